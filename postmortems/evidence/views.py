"""The "Export record" button of the incident page: POST downloads the evidence pack."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse
from django.views import View

from postmortems.evidence.services import evidence_pack_export, exportable_incident


class EvidencePackDownloadView(LoginRequiredMixin, View):
    def post(self, request, reference):
        incident = exportable_incident(user=request.user, reference=reference)
        if incident is None:
            raise Http404
        data, _manifest_hash = evidence_pack_export(actor=request.user, incident=incident)
        response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{incident.reference}-evidence.zip"'
        return response
