"""Browser URLs of key messages (mounted at /keymessages/)."""

from django.urls import path

from playbooks.keymessages import views

app_name = "keymessages"

urlpatterns = [
    path("", views.KeyMessageListView.as_view(), name="list"),
    path("new/", views.KeyMessageCreateView.as_view(), name="create"),
    path("<int:pk>/", views.KeyMessageDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.KeyMessageEditView.as_view(), name="edit"),
    path("<int:pk>/transition/", views.KeyMessageTransitionView.as_view(), name="transition"),
]
