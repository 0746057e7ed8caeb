"""``AuditRecord``: one state change anywhere in CrisisDesk; written once, never changed or deleted."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisisdesk.review.models import AppendOnlyModel

STATE_LENGTH = 255
REPR_LENGTH = 255


class AuditRecord(AppendOnlyModel):
    """Who (``actor``, empty for the system), when, what (``action`` on ``target``), from, to, why.

    Database triggers (migration 0002) refuse UPDATE, DELETE and TRUNCATE on the table.
    """

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    # PROTECT, not SET_NULL: nulling the column would be an UPDATE, which the trigger refuses.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    target_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("target type")
    )
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    target_repr = models.CharField(_("target"), max_length=REPR_LENGTH, blank=True)
    from_state = models.CharField(_("from"), max_length=STATE_LENGTH, blank=True)
    to_state = models.CharField(_("to"), max_length=STATE_LENGTH, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        indexes = [models.Index(fields=["target_type", "target_id", "-at"], name="audit_target_at")]
        constraints = [models.CheckConstraint(condition=~Q(action=""), name="audit_record_has_action")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target_repr}"
