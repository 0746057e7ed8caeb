"""``GET /api/v1/statements/{id}/impact/``: the measured impact of a statement (see ``incidents.impact``).

Lives in the incidents core, not in ``incidents.statements``: the computation reads mentions, and
the statements and listening packages stay independent of each other.
"""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.impact import statement_impact
from incidents.statements.models import Statement


class StatementImpactView(APIView):
    """Mention volume, reach and negative share before and after a published statement (2 h, 6 h, 24 h)."""

    # Signed-in users (the API default); an integration key is refused: the view declares no required_scope.

    @extend_schema(
        summary=_("The impact of a published statement: mentions before and after it"),
        description=_(
            "Counts the mentions linked to the statement's incident. Before = [t − w, t), after = [t, t + w); "
            "an after-window still running is marked partial with its elapsed minutes (figures so far). "
            "Negative share = negative / scored mentions. `impact` is null for an unpublished statement "
            "or an exercise."
        ),
        responses={200: OpenApiResponse(description=_("The figures per window.")), 404: None},
    )
    def get(self, request, pk: int):
        statement = get_object_or_404(Statement.objects.visible_to(request.user).select_related("incident"), pk=pk)
        return Response({"statement": statement.pk, "impact": statement_impact(statement=statement)})
