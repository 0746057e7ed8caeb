"""Django admin of the review engine: the append-only trail, and the workflow actions every reviewable admin uses.

Nothing here writes a status. ``ReviewableAdmin`` (the base of the statement and
key message admins) shows status, revisions, hashes and approvals read-only and
offers the workflow as admin actions that call ``crisisdesk.review.services``
item by item, reporting each success or refusal: the admin approves under the
same four-eyes rule and roles as everyone else. Approve, request changes, reject
and withdraw go through a confirmation page that shows the text being decided,
binds the decision to the revision shown and asks for the comment or reason.
Revisions, decisions and audit events are viewable only, never changed or deleted.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crisisdesk.exceptions import DomainError
from crisisdesk.twofactor.stepup import StepUpRequired, confirm_url, require_recent_factor

from . import selectors
from . import services as review
from .models import AuditEvent, Decision, ReviewDecision, ReviewRequest, Revision
from .views import client_ip

# Errors a service raises on purpose; the admin reports them instead of failing.
SERVICE_ERRORS = (DomainError, PermissionDenied, ValidationError)


def error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def for_each_item(modeladmin, request, queryset, *, done: str, call) -> None:
    """Run ``call(item)`` on each selected item in its own transaction (the service's); report each outcome."""
    for item in queryset:
        label = str(item)
        try:
            call(item)
        except SERVICE_ERRORS as exc:
            modeladmin.message_user(request, f"{label}: {error_text(exc)}", messages.ERROR)
        else:
            modeladmin.message_user(request, f"{label}: {done}", messages.SUCCESS)


# --- workflow actions ------------------------------------------------------------------------------------


@admin.action(description=_("Submit for review"), permissions=["review"])
def submit_items(modeladmin, request, queryset):
    for_each_item(
        modeladmin,
        request,
        queryset,
        done=gettext("submitted for review."),
        call=lambda item: review.review_submit(
            actor=request.user, item=item, comment=gettext("From the admin."), ip_address=client_ip(request)
        ),
    )


def step_up_redirect(modeladmin, request):
    """None when the admin user confirmed a second factor lately, else the way to the confirm page (and back).

    The factor found is left on ``request.twofactor_factor`` for the service calls of this action.
    """
    try:
        request.twofactor_factor = require_recent_factor(request)
    except StepUpRequired as exc:
        modeladmin.message_user(request, str(exc), messages.WARNING)
        opts = modeladmin.model._meta
        return redirect(confirm_url(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")))
    return None


@admin.action(description=_("Publish"), permissions=["review"])
def publish_items(modeladmin, request, queryset):
    if (refused := step_up_redirect(modeladmin, request)) is not None:
        return refused
    for_each_item(
        modeladmin,
        request,
        queryset,
        done=gettext("published."),
        call=lambda item: review.review_publish(
            actor=request.user, item=item, ip_address=client_ip(request), factor=request.twofactor_factor
        ),
    )
    return None


def _posted_revision(request, item):
    """The revision id the confirmation page showed for ``item`` (None if absent: the service then asks for one)."""
    value = request.POST.get(f"revision_{item.pk}", "")
    return int(value) if value.isdigit() else None


def confirmed_action(
    *, name: str, description, done, comment_label, submit_label, call, retire_labels=None, step_up=False
):
    """An admin action that first shows the selected texts and asks for a comment, then calls the service.

    ``call(request, item, revision_id, comment)`` runs once per item after confirmation. With
    ``step_up`` the admin user needs a recent second factor first (``request.twofactor_factor``).
    ``retire_labels`` replace ``description``, ``done``, ``comment_label`` and ``submit_label``
    for items that are retired rather than withdrawn (key messages).
    """

    def act(modeladmin, request, queryset):
        if step_up and (refused := step_up_redirect(modeladmin, request)) is not None:
            return refused
        labels = {"description": description, "done": done, "comment_label": comment_label}
        labels["submit_label"] = submit_label
        if retire_labels and selectors.retires(modeladmin.model):
            labels.update(retire_labels)
        if request.POST.get("apply"):
            comment = request.POST.get("comment", "")
            for_each_item(
                modeladmin,
                request,
                queryset,
                done=str(labels["done"]),
                call=lambda item: call(request, item, _posted_revision(request, item), comment),
            )
            return None
        rows = [
            {
                "item": item,
                "revision": item.current_revision,
                "html": item.rendered_body() if hasattr(item, "rendered_body") else "",
                "status": item.get_status_display(),
            }
            for item in queryset.select_related("current_revision")
        ]
        opts = modeladmin.model._meta
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": labels["description"],
            "opts": opts,
            "rows": rows,
            "action_name": name,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "comment_label": labels["comment_label"],
            "submit_label": labels["submit_label"],
            "changelist_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
        }
        return TemplateResponse(request, "admin/review/confirm_action.html", context)

    act.__name__ = name
    return admin.action(description=description, permissions=["review"])(act)


def _decision(service, **extra):
    """The ``call`` of a reviewer's action: approve, request changes and reject take the same arguments."""
    return lambda request, item, revision, comment: service(
        actor=request.user,
        item=item,
        revision=revision,
        comment=comment,
        ip_address=client_ip(request),
        **{name: getattr(request, attribute) for name, attribute in extra.items()},
    )


approve_items = confirmed_action(
    name="approve_items",
    description=_("Approve"),
    done=_("approved."),
    comment_label=_("Comment (optional)"),
    submit_label=_("Approve these revisions"),
    call=_decision(review.review_approve, factor="twofactor_factor"),
    step_up=True,
)
request_changes_items = confirmed_action(
    name="request_changes_items",
    description=_("Request changes"),
    done=_("sent back to its author."),
    comment_label=_("What must change"),
    submit_label=_("Request changes"),
    call=_decision(review.review_request_changes),
)
reject_items = confirmed_action(
    name="reject_items",
    description=_("Reject"),
    done=_("rejected."),
    comment_label=_("Why it is rejected"),
    submit_label=_("Reject"),
    call=_decision(review.review_reject),
)
withdraw_items = confirmed_action(
    name="withdraw_items",
    description=_("Withdraw"),
    done=_("withdrawn."),
    comment_label=_("Reason (internal, never shown publicly)"),
    submit_label=_("Withdraw"),
    call=lambda request, item, revision, comment: review.review_withdraw(
        actor=request.user, item=item, reason=comment, ip_address=client_ip(request), factor=request.twofactor_factor
    ),
    step_up=True,
    retire_labels={
        "description": _("Retire"),
        "done": _("retired."),
        "comment_label": _("Why it is retired"),
        "submit_label": _("Retire"),
    },
)


class WaitingForMyReviewFilter(admin.SimpleListFilter):
    """The reviewer's queue inside the admin list: the same ``selectors.waiting_for`` as the queue page and API."""

    title = _("review queue")
    parameter_name = "waiting_for_me"

    def lookups(self, request, model_admin):
        return [("1", _("Waiting for my review"))]

    def queryset(self, request, queryset):
        if self.value() != "1":
            return queryset
        model = queryset.model
        waiting = [entry.item.pk for entry in selectors.waiting_for(request.user) if isinstance(entry.item, model)]
        return queryset.filter(pk__in=waiting)


class ReviewableAdmin(admin.ModelAdmin):
    """Base admin of a reviewable type: review fields read-only, workflow as actions, nothing deleted.

    Subclasses list the editable fields in their form (a ``ServiceForm`` calling the
    item's create/update service) and add ``review_readonly_fields`` to their
    read-only fields.
    """

    actions = [submit_items, approve_items, request_changes_items, reject_items, publish_items, withdraw_items]
    review_readonly_fields = [
        "status",
        "revision_display",
        "approvals_display",
        "missing_display",
        "published_revision_display",
        "published_at",
        "published_by",
        "withdrawn_at",
        "withdrawn_by",
        "withdrawal_reason",
        "created_by",
        "created_at",
        "updated_at",
        "trail_links",
    ]

    def get_queryset(self, request):
        return selectors.visible_items(self.model, request.user).select_related("current_revision", "created_by")

    def get_list_filter(self, request):
        return [WaitingForMyReviewFilter, *super().get_list_filter(request)]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "withdraw_items" in actions and selectors.retires(self.model):
            function, name, _description = actions["withdraw_items"]
            actions["withdraw_items"] = (function, name, _("Retire"))
        return actions

    def has_delete_permission(self, request, obj=None):
        # Reviewed texts are records: withdrawn or rejected, never deleted.
        return False

    def has_review_permission(self, request):
        # Whoever may see the items is offered the workflow; the engine decides per item
        # (role, four eyes, state) and the refusal is reported next to the item.
        return self.has_view_permission(request)

    def save_related(self, request, form, formsets, change):
        # The form's service already saved the many-to-many fields (as part of the revision);
        # form.save_m2m() would write them again behind its back.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @admin.display(description=_("current revision"))
    def revision_display(self, obj):
        revision = obj.current_revision
        if revision is None:
            return "—"
        return format_html("r{} · {}", revision.number, revision.content_hash)

    @admin.display(description=_("published revision"))
    def published_revision_display(self, obj):
        revision = obj.published_revision
        if revision is None:
            return "—"
        return format_html("r{} · {}", revision.number, revision.content_hash)

    @admin.display(description=_("approvals of the current revision"))
    def approvals_display(self, obj):
        if obj.current_revision is None:
            return "—"
        approvals = (
            obj.decisions()
            .filter(
                revision=obj.current_revision, content_hash=obj.current_revision.content_hash, decision=Decision.APPROVE
            )
            .select_related("reviewer")
        )
        if not approvals:
            return "—"
        return format_html_join(
            ", ", "{} ({}, {})", ((d.reviewer, d.role, d.created_at.isoformat(timespec="minutes")) for d in approvals)
        )

    @admin.display(description=_("approvals still missing"))
    def missing_display(self, obj):
        missing = review.missing_requirements(obj)
        return ", ".join(str(r.label) for r in missing) or "—"

    @admin.display(description=_("trail"))
    def trail_links(self, obj):
        content_type = ContentType.objects.get_for_model(type(obj))
        query = f"?content_type__id__exact={content_type.pk}&object_id={obj.pk}"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:review_revision_changelist") + query,
            gettext("Revisions"),
            reverse("admin:review_reviewdecision_changelist") + query,
            gettext("Review decisions"),
            reverse("admin:review_auditevent_changelist") + query,
            gettext("Audit trail"),
        )


# --- the engine's own tables: view only -----------------------------------------------------------------


# Offer only the item types that have rows (not every content type of the project).
CONTENT_TYPE_FILTER = ("content_type", admin.RelatedOnlyFieldListFilter)


class EngineRecordAdmin(admin.ModelAdmin):
    """Rows only the engine writes: viewable by anyone who may see some reviewed item, never edited here."""

    visible_rows = None  # a selector: user → queryset

    def get_queryset(self, request):
        return type(self).visible_rows(request.user).select_related(*self.list_select_related)

    def has_module_permission(self, request):
        return super().has_module_permission(request) or selectors.can_view_any_reviewable(request.user)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or selectors.can_view_any_reviewable(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("item"))
    def item_link(self, obj):
        content_type = ContentType.objects.get_for_id(obj.content_type_id)
        try:
            url = reverse(f"admin:{content_type.app_label}_{content_type.model}_change", args=[obj.object_id])
        except NoReverseMatch:  # a reviewable type without an admin: show the id only
            return f"{content_type.model} #{obj.object_id}"
        return format_html('<a href="{}">{} #{}</a>', url, content_type.model, obj.object_id)


@admin.register(Revision)
class RevisionAdmin(EngineRecordAdmin):
    """Immutable snapshots of reviewed content; every edit adds one."""

    visible_rows = staticmethod(selectors.revisions_visible_to)
    list_display = ["item_link", "number", "content_hash", "created_by", "created_at"]
    list_filter = [CONTENT_TYPE_FILTER]
    list_select_related = ["created_by"]
    search_fields = ["content_hash", "text_hash"]
    fields = ["content_type", "object_id", "number", "content_hash", "text_hash", "content", "created_by", "created_at"]
    readonly_fields = fields


@admin.register(ReviewRequest)
class ReviewRequestAdmin(EngineRecordAdmin):
    """Review rounds; opened and closed by the engine only."""

    visible_rows = staticmethod(selectors.review_requests_visible_to)
    list_display = ["item_link", "revision", "status", "submitted_by", "submitted_at", "closed_at"]
    list_filter = ["status", CONTENT_TYPE_FILTER]
    list_select_related = ["revision", "submitted_by"]
    fields = ["content_type", "object_id", "revision", "status", "submitted_by", "submitted_at", "comment", "closed_at"]
    readonly_fields = fields


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(EngineRecordAdmin):
    """Approvals, change requests and rejections, each bound to a revision's hash; append-only."""

    visible_rows = staticmethod(selectors.decisions_visible_to)
    list_display = ["item_link", "revision", "decision", "role", "reviewer", "created_at"]
    list_filter = ["decision", "role", CONTENT_TYPE_FILTER]
    list_select_related = ["revision", "reviewer"]
    fields = [
        "content_type",
        "object_id",
        "revision",
        "content_hash",
        "review_request",
        "decision",
        "role",
        "reviewer",
        "comment",
        "based_on",
        "created_at",
    ]
    readonly_fields = fields


@admin.register(AuditEvent)
class AuditEventAdmin(EngineRecordAdmin):
    """Who did what to which item, when, from which state to which, why and from where; append-only."""

    visible_rows = staticmethod(selectors.audit_events_visible_to)
    list_display = ["created_at", "item_link", "action", "from_state", "to_state", "actor", "ip_address"]
    list_filter = ["action", CONTENT_TYPE_FILTER]
    list_select_related = ["actor", "incident"]
    search_fields = ["comment", "incident__reference"]
    date_hierarchy = "created_at"
    fields = [
        "content_type",
        "object_id",
        "incident",
        "action",
        "from_state",
        "to_state",
        "actor",
        "comment",
        "ip_address",
        "revision",
        "data",
        "created_at",
    ]
    readonly_fields = fields
