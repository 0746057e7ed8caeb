"""The "Export record" button of the incident page: POST downloads the evidence pack."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse
from django.views import View

from incidents.models import Incident
from incidents.permissions import can_view
from postmortems.evidence.services import evidence_pack_export


class EvidencePackDownloadView(LoginRequiredMixin, View):
    def post(self, request, reference):
        incident = Incident.objects.visible_to(request.user).filter(reference=reference).first()
        if incident is None or not can_view(request.user, incident):
            raise Http404
        data, _manifest_hash = evidence_pack_export(actor=request.user, incident=incident)
        response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{incident.reference}-evidence.zip"'
        return response
