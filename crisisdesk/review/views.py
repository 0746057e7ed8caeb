"""Browser side of the review engine: the workflow buttons, Legal's queue, the review page and the audit trail.

Views are thin. ``ItemTransitionView`` validates one button press and calls the matching
``crisisdesk.review.services`` function; statements and key messages subclass it to look their
item up. Domain errors map the way every war-room action maps them: ``InvalidTransition`` and
``ValidationError`` become an error message after the redirect, ``PermissionDenied`` is a 403.

Which kinds of item exist, and what differs between them (links, the text a copy is compared
with, extra review-page context), comes from ``crisisdesk.review.registry``, filled by the apps
that own the items in their ``AppConfig.ready()``: this module imports none of them.

Items are always looked up through what the user may see (the model's ``visible_to``), so
a confidential incident's statement answers 404 to a non-member here as everywhere.
"""

import difflib
import re

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from crisisdesk import live
from crisisdesk.confirm import confirmation_page, is_confirmed
from crisisdesk.exceptions import InvalidTransition
from crisisdesk.forms import apply_service_error
from crisisdesk.twofactor.stepup import StepUpRequired, confirm_url, page_of, require_recent_factor

from . import queue_count, registry, selectors
from . import services as review
from .forms import TransitionForm
from .models import Action, Decision, ReviewRequest, ReviewRequestStatus, ReviewStatus, Revision
from .policy import policy_for
from .registry import ReviewableKind, kind_of  # also importable from here, as before the registry

REVIEWER_ACTIONS = (Action.APPROVE, Action.REQUEST_CHANGES, Action.REJECT)
# What decides the public word needs a second factor confirmed lately (crisisdesk.twofactor.stepup).
STEP_UP_ACTIONS = (Action.APPROVE, Action.PUBLISH, Action.WITHDRAW)
# Public or irreversible: the browser asks first (crisisdesk.confirm), without JavaScript on a page of its own.
CONFIRMED_ACTIONS = (Action.PUBLISH, Action.WITHDRAW)


def _kind_or_404(slug: str) -> ReviewableKind:
    try:
        return registry.get(slug)
    except LookupError:
        raise Http404(_("Unknown kind of item.")) from None


def client_ip(request) -> str | None:
    """The address the audit trail records for a browser, admin or API request."""
    return request.META.get("REMOTE_ADDR") or None


def service_error_on_form(form, error) -> None:
    """Show a create/update service's refusal on the form: field errors on their fields, the rest on top."""
    if isinstance(error, ValidationError):
        apply_service_error(form, error)
    else:
        form.add_error(None, str(error))


# --- workflow buttons ---------------------------------------------------------------------------------


def may_attempt(user, item, action: str) -> bool:
    """Could ``user`` ever take ``action`` on ``item`` (role only, whatever the state)?

    Asked before calling the service so that someone without the role gets a 403 even when the
    state would also refuse; the service checks everything again inside its transaction.
    """
    policy = policy_for(item)
    if action in REVIEWER_ACTIONS:
        return any(policy.qualifies(user, item, requirement) for requirement in policy.requirements(item))
    return policy.can(user, item, action)


SUCCESS_MESSAGES = {
    Action.SUBMIT: gettext_lazy("Submitted for review."),
    Action.APPROVE: gettext_lazy("Approved."),
    Action.REQUEST_CHANGES: gettext_lazy("Changes requested; the author has been told."),
    Action.REJECT: gettext_lazy("Rejected."),
    Action.PUBLISH: gettext_lazy("Published."),
    Action.WITHDRAW: gettext_lazy("Withdrawn."),
}


def perform_transition(*, request, item, action: str, comment: str, revision: int | None, factor: str = ""):
    """Call the one service function that does ``action``; its errors propagate to the caller.

    ``factor`` is the second factor ``step_up`` found for an approval, publication or withdrawal.
    """
    actor, ip_address = request.user, client_ip(request)
    if action == Action.SUBMIT:
        return review.review_submit(actor=actor, item=item, comment=comment, ip_address=ip_address)
    if action == Action.APPROVE:
        return review.review_approve(
            actor=actor, item=item, revision=revision, comment=comment, ip_address=ip_address, factor=factor
        )
    if action == Action.REQUEST_CHANGES:
        return review.review_request_changes(
            actor=actor, item=item, comment=comment, revision=revision, ip_address=ip_address
        )
    if action == Action.REJECT:
        return review.review_reject(actor=actor, item=item, comment=comment, revision=revision, ip_address=ip_address)
    if action == Action.PUBLISH:
        return review.review_publish(
            actor=actor, item=item, revision=revision, comment=comment, ip_address=ip_address, factor=factor
        )
    if action == Action.WITHDRAW:
        return review.review_withdraw(actor=actor, item=item, reason=comment, ip_address=ip_address, factor=factor)
    raise ValidationError({"action": _("Unknown action.")})


def error_messages(request, error) -> None:
    """Show a ValidationError (or a form's errors) as error messages."""
    if isinstance(error, ValidationError):
        texts = (
            [m for values in error.message_dict.values() for m in values]
            if hasattr(error, "error_dict")
            else error.messages
        )
    else:  # a form's ErrorDict
        texts = [m for values in error.values() for m in values]
    for text in texts:
        messages.error(request, text)


class ItemTransitionView(LoginRequiredMixin, View):
    """POST one workflow button (submit, approve, request changes, reject, publish, withdraw) for one item.

    Subclasses implement ``get_item()`` (404 when the user may not see it). After the action the
    user goes back to ``next`` when it is a safe local URL (the review page sends the queue), else
    to the item's page.
    """

    http_method_names = ["post"]

    def get_item(self):
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        item = self.get_item()
        form = TransitionForm(request.POST)
        action = request.POST.get("action", "")
        if action in SUCCESS_MESSAGES and not may_attempt(request.user, item, action):
            raise PermissionDenied(_("You may not do this to this item."))
        if not form.is_valid():
            error_messages(request, form.errors)
            return redirect(self.next_url(item))
        factor = ""
        if action in STEP_UP_ACTIONS:
            try:
                factor = require_recent_factor(request)
            except StepUpRequired:
                # Nothing is done: the person confirms, comes back to the page and presses the button again.
                messages.info(request, _("Confirm your second factor, then press the button again."))
                return redirect(confirm_url(page_of(request, self.next_url(item))))
        if self.must_confirm(item, action, form):
            return self.confirmation(item, action)
        try:
            perform_transition(
                request=request,
                item=item,
                action=action,
                comment=form.cleaned_data["comment"],
                revision=form.cleaned_data["revision"],
                factor=factor,
            )
        except InvalidTransition as error:
            messages.error(request, str(error))
        except ValidationError as error:
            error_messages(request, error)
        else:
            item.refresh_from_db()
            missing = review.missing_requirements(item) if action == Action.APPROVE else []
            if missing and item.status == ReviewStatus.IN_REVIEW:
                messages.success(
                    request,
                    _("Your approval is recorded; still waiting for: %s.") % ", ".join(str(r.label) for r in missing),
                )
            elif action == Action.WITHDRAW and selectors.retires(item):
                messages.success(request, _("Retired."))
            else:
                messages.success(request, SUCCESS_MESSAGES[action])
        return redirect(self.next_url(item))

    def must_confirm(self, item, action: str, form) -> bool:
        """A publish or withdraw posted without ``confirmed=1`` that would go through: ask first.

        One that would be refused anyway (wrong state, no reason for a withdrawal) is not asked
        about: the service's refusal shows as usual.
        """
        if action not in CONFIRMED_ACTIONS or is_confirmed(self.request):
            return False
        if action == Action.WITHDRAW and not form.cleaned_data["comment"].strip():
            return False
        return action in review.available_actions(user=self.request.user, item=item)

    def confirmation(self, item, action: str):
        if action == Action.PUBLISH:
            label, css = _("Publish"), "btn-success"
        else:
            label, css = (_("Retire") if selectors.retires(item) else _("Withdraw")), "btn-danger"
        return confirmation_page(
            self.request,
            question=kind_of(item).confirm_question(item, action),
            confirm_label=label,
            confirm_class=css,
            cancel_url=self.next_url(item),
            fields=("action", "revision", "comment", "next"),
        )

    def next_url(self, item) -> str:
        candidate = self.request.POST.get("next", "")
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            return candidate
        return kind_of(item).url(item)


def action_context(user, item) -> dict:
    """What a page needs to draw an item's workflow buttons: the allowed actions and the revision shown."""
    actions = review.available_actions(user=user, item=item)
    kind = kind_of(item)
    return {
        "actions": actions,
        "author_actions": [a for a in actions if a in (Action.SUBMIT, Action.PUBLISH, Action.WITHDRAW)],
        "reviewer_actions": [a for a in actions if a in REVIEWER_ACTIONS],
        "can_edit": Action.EDIT in actions,
        "transition_url": kind.transition_url(item),
        "review_url": kind.review_url(item),
        "audit_url": kind.audit_url(item),
        "missing_requirements": review.missing_requirements(item) if item.current_revision_id else [],
        # The question each confirmed button asks (data-confirm), the same as its no-JavaScript page.
        "confirm_questions": {a: kind.confirm_question(item, a) for a in actions if a in CONFIRMED_ACTIONS},
    }


# --- Legal's queue ------------------------------------------------------------------------------------


class ReviewQueueView(LoginRequiredMixin, TemplateView):
    """Everything waiting for this user's decision, statements and key messages together, oldest first."""

    template_name = "review/queue.html"

    def get(self, request, *args, **kwargs):
        if not selectors.can_view_any_reviewable(request.user):
            raise PermissionDenied
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        entries = selectors.waiting_for(self.request.user)
        # The navigation badge counts the same list: let it reuse this one instead of computing it again.
        self.request._review_queue_count = len(entries)
        queue_count.store(self.request.user, len(entries))
        return super().get_context_data(entries=entries, live_topics=[live.REVIEWS], **kwargs)


# --- the review page ----------------------------------------------------------------------------------


_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")


def _segments(tokens: list[str], changed: set[int]) -> list[dict]:
    """Merge consecutive tokens with the same changed-flag into display segments."""
    segments: list[dict] = []
    for index, token in enumerate(tokens):
        flag = index in changed
        if segments and segments[-1]["changed"] == flag:
            segments[-1]["text"] += token
        else:
            segments.append({"changed": flag, "text": token})
    return segments


def text_diff(old: str, new: str) -> list[dict]:
    """A line diff with word-level marks inside replaced lines, as plain data.

    Rows are ``{"op": "equal"|"delete"|"insert", "segments": [{"changed": bool, "text": str}]}``;
    the template prints every ``text`` with autoescaping on, so no user text is ever marked safe.
    """
    old_lines, new_lines = (old or "").splitlines(), (new or "").splitlines()
    rows: list[dict] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += [{"op": "equal", "segments": [{"changed": False, "text": line}]} for line in old_lines[i1:i2]]
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            for before, after in zip(old_lines[i1:i2], new_lines[j1:j2], strict=True):
                a, b = _TOKENS.findall(before), _TOKENS.findall(after)
                removed, added = set(), set()
                for op, a1, a2, b1, b2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
                    if op != "equal":
                        removed.update(range(a1, a2))
                        added.update(range(b1, b2))
                rows.append({"op": "delete", "segments": _segments(a, removed)})
                rows.append({"op": "insert", "segments": _segments(b, added)})
            continue
        rows += [{"op": "delete", "segments": [{"changed": True, "text": line}]} for line in old_lines[i1:i2]]
        rows += [{"op": "insert", "segments": [{"changed": True, "text": line}]} for line in new_lines[j1:j2]]
    return rows


def comparison_base(item, revision) -> tuple[dict, str]:
    """What the submitted revision is compared with, and how to name it.

    The item's last approved revision; else, for an item copied from another (its kind's
    ``origin()``: a statement started from a key message), the origin's last approved revision,
    named by the origin's kind; else nothing (everything shows as new).
    """
    previous = (
        Revision.objects.filter(
            content_type=ContentType.objects.get_for_model(type(item)),
            object_id=item.pk,
            number__lt=revision.number,
            decisions__decision=Decision.APPROVE,
        )
        .order_by("-number")
        .first()
    )
    if previous is not None:
        return previous.content, _("the last approved revision (r%(number)s)") % {"number": previous.number}
    origin = kind_of(item).origin(item)
    if origin is not None:
        source = (
            Revision.objects.filter(
                content_type=ContentType.objects.get_for_model(type(origin)),
                object_id=origin.pk,
                decisions__decision=Decision.APPROVE,
            )
            .order_by("-number")
            .first()
        )
        if source is not None:
            return source.content, _origin_kind(origin).base_label(origin, source)
    return {}, _("nothing: this is the first submission")


def _origin_kind(origin) -> ReviewableKind:
    try:
        return kind_of(origin)
    except LookupError:  # copied from an item type the browser does not know: name it plainly
        return ReviewableKind(slug="", label="", model=type(origin))


def _display(value, labels: dict) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(_display_entry(v, labels) for v in value)
    return str(labels.get(value, value))


def _display_entry(value, labels: dict) -> str:
    # A playbook version's steps are snapshots of dicts: show them as "1. what (role, 15 min)".
    if isinstance(value, dict):
        return _("%(position)s. %(title)s (%(role)s, %(minutes)s min)") % {
            "position": value.get("position", ""),
            "title": value.get("title", ""),
            "role": value.get("role") or "—",
            "minutes": value.get("within_minutes", ""),
        }
    return str(labels.get(value, value))


def field_changes(model, old: dict, new: dict, value_labels: dict[str, dict]) -> list[dict]:
    """The non-text fields of a snapshot side by side (channels, language, facts…), changed ones flagged.

    A field's raw values are shown through ``value_labels[name]`` when its kind gives labels for it
    (``ReviewableKind.value_labels``: channel names, fact claims), else through its model field's choices.
    """
    rows = []
    names = [n for n in new if n not in ("title", "body")]
    names += [n for n in old if n not in new and n not in ("title", "body")]
    for name in names:
        labels: dict = {}
        try:
            model_field = model._meta.get_field(name)
            # Reverse relations (a playbook version's steps) have no verbose name of their own.
            label = getattr(model_field, "verbose_name", None) or model_field.related_model._meta.verbose_name_plural
            labels = dict(model_field.flatchoices) if getattr(model_field, "choices", None) else {}
        except FieldDoesNotExist:
            label = name
        if name in value_labels:
            labels = value_labels[name]
        rows.append(
            {
                "label": label,
                "before": _display(old.get(name), labels),
                "after": _display(new.get(name), labels),
                "changed": bool(old) and old.get(name) != new.get(name),
            }
        )
    return rows


class ReviewPageView(LoginRequiredMixin, TemplateView):
    """The submitted revision against its comparison base, the kind's extras (cited facts), and the decision form."""

    template_name = "review/review.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        kind = _kind_or_404(self.kwargs["kind"])
        item = get_object_or_404(kind.visible(user), pk=self.kwargs["pk"])
        revision = item.current_revision
        base, base_label = comparison_base(item, revision)
        content = revision.content
        extra = kind.review_context(item, content, base)
        context = {
            **extra,
            "item": item,
            "kind": kind,
            "revision": revision,
            "base_label": base_label,
            "title_diff": text_diff(base.get("title", ""), content.get("title", "")),
            "body_diff": text_diff(base.get("body", ""), content.get("body", "")),
            "field_changes": field_changes(kind.model, base, content, kind.value_labels(item, extra)),
            "open_request": ReviewRequest.objects.filter(
                content_type=ContentType.objects.get_for_model(kind.model),
                object_id=item.pk,
                status=ReviewRequestStatus.OPEN,
            )
            .select_related("submitted_by")
            .first(),
            "decisions": item.decisions().filter(revision=revision).select_related("reviewer"),
            "item_url": kind.url(item),
            "queue_url": reverse("review:queue"),
            **action_context(user, item),
        }
        # The URL's "kind" (a slug) is replaced by the ReviewableKind in the context.
        return super().get_context_data(**{**kwargs, **context})


# --- audit trail ----------------------------------------------------------------------------------------


class AuditTrailView(LoginRequiredMixin, TemplateView):
    """Read-only list of one item's audit events, newest first (who, when, action, from → to, comment, IP)."""

    template_name = "review/audit_trail.html"

    def get_context_data(self, **kwargs):
        kind = _kind_or_404(self.kwargs["kind"])
        item = get_object_or_404(kind.visible(self.request.user), pk=self.kwargs["pk"])
        events = item.audit_events().select_related("actor", "revision")
        context = {
            "item": item,
            "kind": kind,
            "item_url": kind.url(item),
            "events": events,
            "incident": getattr(item, "incident", None),
        }
        return super().get_context_data(**{**kwargs, **context})
