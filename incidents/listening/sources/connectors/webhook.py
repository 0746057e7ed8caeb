"""The inbound webhook kind: nothing to poll, items are pushed (``incidents.listening.sources.inbound``)."""

from incidents.listening.sources.connectors.base import Connector, register
from incidents.listening.sources.models import SourceKind


@register
class InboundWebhookConnector(Connector):
    kind = SourceKind.INBOUND_WEBHOOK
    platform = "webhook"
    pushed = True
    credential_fields = ("webhook_secret",)
