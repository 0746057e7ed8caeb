from django.views.generic import TemplateView


class DashboardView(TemplateView):
    template_name = "dashboard.html"


class IncidentListView(TemplateView):
    template_name = "incidents/incident_list.html"
