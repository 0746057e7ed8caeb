"""Checklist routes under an incident (mounted by ``incidents/urls.py``, namespace ``incidents``)."""

from django.urls import path

from incidents.checklist import views as task_views

urlpatterns = [
    path("<str:reference>/tasks/activate/", task_views.ActivatePlaybookView.as_view(), name="activate_playbook"),
    path("<str:reference>/tasks/<int:pk>/complete/", task_views.TaskCompleteView.as_view(), name="task_complete"),
    path("<str:reference>/tasks/<int:pk>/skip/", task_views.TaskSkipView.as_view(), name="task_skip"),
    path("<str:reference>/tasks/<int:pk>/reopen/", task_views.TaskReopenView.as_view(), name="task_reopen"),
    path("<str:reference>/tasks/<int:pk>/assign/", task_views.TaskAssignView.as_view(), name="task_assign"),
]
