"""One FilterSet for the delivery log, shared by the browser page and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from crisisdesk.filters import StrictFilterSet

from . import events
from .models import Delivery, DeliveryStatus, Subscription


class DeliveryFilterSet(StrictFilterSet):
    """Filter deliveries by status, subscription, event type or event id."""

    status = django_filters.MultipleChoiceFilter(label=_("Status"), choices=DeliveryStatus.choices)
    subscription = django_filters.ModelChoiceFilter(label=_("Subscription"), queryset=Subscription.objects.all())
    event_type = django_filters.MultipleChoiceFilter(
        label=_("Event type"), field_name="event__event_type", choices=events.choices
    )
    event = django_filters.UUIDFilter(label=_("Event id"), field_name="event_id")

    class Meta:
        model = Delivery
        fields = ["status", "subscription", "event_type", "event"]
