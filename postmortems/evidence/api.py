"""``GET/POST /api/v1/incidents/{ref}/evidence-pack/``: the incident's evidence pack as a ZIP."""

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from postmortems.evidence.services import evidence_pack_export, exportable_incident


class EvidencePackView(APIView):
    """Visible incidents only; a confidential one only to its team and superusers (others get 404)."""

    permission_classes = [IsAuthenticated]

    def _export(self, request, reference):
        incident = exportable_incident(user=request.user, reference=reference)
        if incident is None:
            raise Http404
        data, manifest_hash = evidence_pack_export(actor=request.user, incident=incident)
        response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{incident.reference}-evidence.zip"'
        response["X-Manifest-SHA256"] = manifest_hash
        return response

    @extend_schema(
        request=None, responses={(200, "application/zip"): OpenApiTypes.BINARY}, operation_id="evidence_pack_get"
    )
    def get(self, request, reference):
        return self._export(request, reference)

    @extend_schema(
        request=None, responses={(200, "application/zip"): OpenApiTypes.BINARY}, operation_id="evidence_pack_export"
    )
    def post(self, request, reference):
        return self._export(request, reference)
