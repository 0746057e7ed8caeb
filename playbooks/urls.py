"""Browser URLs of playbooks (mounted at /playbooks/) and exercises (mounted at /exercises/)."""

from django.urls import path

from playbooks import views

app_name = "playbooks"

urlpatterns = [
    path("", views.PlaybookListView.as_view(), name="list"),
    path("new/", views.PlaybookCreateView.as_view(), name="create"),
    path("<int:pk>/", views.PlaybookDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.PlaybookEditView.as_view(), name="edit"),
    path("<int:pk>/versions/new/", views.VersionNewView.as_view(), name="version_new"),
    path("<int:pk>/versions/<int:number>/", views.VersionDetailView.as_view(), name="version"),
    path("<int:pk>/versions/<int:number>/edit/", views.VersionEditView.as_view(), name="version_edit"),
    path(
        "<int:pk>/versions/<int:number>/transition/",
        views.VersionTransitionView.as_view(),
        name="version_transition",
    ),
    path("<int:pk>/exercises/new/", views.ExerciseCreateView.as_view(), name="exercise_create"),
]

exercise_urlpatterns = (
    [
        path("<int:pk>/", views.ExerciseDetailView.as_view(), name="detail"),
        path("<int:pk>/action/", views.ExerciseActionView.as_view(), name="action"),
    ],
    "exercises",
)
