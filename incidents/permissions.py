"""Who may do what to an incident: the one place these rules live.

Services enforce them (raising PermissionDenied); views and templates ask the
same functions so the war room shows only the buttons a user may use.
"""

from incidents.models import LEAD_ROLE_CODE, Incident, Status


def _team_flag(user, incident: Incident, name: str) -> bool | None:
    """The flag ``IncidentQuerySet.with_team_flags`` read for this very user, or None."""
    if getattr(incident, "team_flags_for", None) == user.pk:
        return getattr(incident, name)
    return None


def is_member(user, incident: Incident) -> bool:
    if not user.is_authenticated:
        return False
    if incident.lead_id == user.pk:
        return True
    flag = _team_flag(user, incident, "viewer_on_team")
    if flag is not None:
        return flag
    # Use the prefetched team when the caller has loaded it (war room) to save a query.
    cache = getattr(incident, "_prefetched_objects_cache", {})
    if "memberships" in cache:
        return any(m.user_id == user.pk for m in cache["memberships"])
    return incident.memberships.filter(user=user).exists()


def is_incident_lead(user, incident: Incident) -> bool:
    if not user.is_authenticated:
        return False
    if incident.lead_id == user.pk:
        return True
    flag = _team_flag(user, incident, "viewer_leads_team")
    if flag is not None:
        return flag
    cache = getattr(incident, "_prefetched_objects_cache", {})
    if "memberships" in cache:
        return any(m.user_id == user.pk and m.role.code == LEAD_ROLE_CODE for m in cache["memberships"])
    return incident.memberships.filter(user=user, role__code=LEAD_ROLE_CODE).exists()


def can_view(user, incident: Incident) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if not user.has_perm("incidents.view_incident"):
        return False
    return not incident.confidential or is_member(user, incident)


def can_create(user) -> bool:
    return user.is_authenticated and user.has_perm("incidents.add_incident")


def can_edit(user, incident: Incident) -> bool:
    """Edit the description (title, summary, category, source, channels)."""
    return (
        can_view(user, incident)
        and incident.status != Status.CLOSED
        and (user.has_perm("incidents.change_incident") or is_incident_lead(user, incident))
    )


def can_manage(user, incident: Incident) -> bool:
    """Set severity, lead, crisis team and the confidential flag."""
    return (
        can_view(user, incident)
        and incident.status != Status.CLOSED
        and (user.has_perm("incidents.manage_incident") or is_incident_lead(user, incident))
    )


def can_transition(user, incident: Incident, to_status: str) -> bool:
    """Permission only; whether the move exists is the transition table's business."""
    if not can_view(user, incident):
        return False
    if to_status == Status.CLOSED:
        return user.has_perm("incidents.close_incident") or is_incident_lead(user, incident)
    return user.has_perm("incidents.transition_incident") or is_incident_lead(user, incident)


def can_add_note(user, incident: Incident) -> bool:
    return can_view(user, incident) and (user.has_perm("incidents.add_timelineentry") or is_member(user, incident))


def can_add_fact(user, incident: Incident) -> bool:
    return (
        can_view(user, incident)
        and incident.status != Status.CLOSED
        and (user.has_perm("incidents.add_fact") or is_member(user, incident))
    )


def can_verify_fact(user, incident: Incident) -> bool:
    return (
        can_view(user, incident)
        and incident.status != Status.CLOSED
        and (user.has_perm("incidents.verify_fact") or is_incident_lead(user, incident))
    )


# --- statements -------------------------------------------------------------------------------------


def can_view_statements(user, incident: Incident) -> bool:
    """Read this incident's statements and their audit trail (confidential incidents: members only)."""
    return user.is_authenticated and user.has_perm("incidents.view_statement") and can_view(user, incident)


def holds_statement_drafting_role(user, incident: Incident) -> bool:
    """Drafts statements (Communicator, Team lead) or leads this incident; says nothing about its state."""
    return user.has_perm("incidents.add_statement") or is_incident_lead(user, incident)


def can_draft_statement(user, incident: Incident) -> bool:
    """Draft a new statement for this incident: see its statements, hold the role, and it is not closed."""
    return (
        can_view_statements(user, incident)
        and holds_statement_drafting_role(user, incident)
        and incident.status != Status.CLOSED
    )


def can_draft_statement_from_key_message(user, incident: Incident) -> bool:
    """Draft a statement for this incident starting from a key message, which the user must be able to read."""
    return can_draft_statement(user, incident) and user.has_perm("playbooks.view_keymessage")
