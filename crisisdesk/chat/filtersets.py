"""The FilterSet of the chat delivery log (API)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from crisisdesk.filters import StrictFilterSet
from crisisdesk.webhooks.models import DeliveryStatus

from .models import ChatDelivery, Destination


class ChatDeliveryFilterSet(StrictFilterSet):
    """Filter chat deliveries by destination, status or event type."""

    destination = django_filters.ModelChoiceFilter(label=_("Destination"), queryset=Destination.objects.all())
    status = django_filters.MultipleChoiceFilter(label=_("Status"), choices=DeliveryStatus.choices)
    event_type = django_filters.CharFilter(label=_("Event type"), max_length=64)

    class Meta:
        model = ChatDelivery
        fields = ["destination", "status", "event_type"]
