"""The audit trail's one way in: `audit.record(...)`, a single line at each audited place."""

from __future__ import annotations

from typing import Any

from people.models import AuditAction, AuditEvent

__all__ = ["AuditAction", "AuditEvent", "record"]


def record(
    action: AuditAction | str,
    *,
    actor: Any = None,
    target: str = "",
    subject: Any = None,
    program: Any = None,
    **detail: Any,
) -> AuditEvent:
    """Append one row: who (`actor`, None for the system), what, to whom, with details."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    event = AuditEvent(
        action=AuditAction(action),
        actor=actor,
        actor_name=actor.get_username() if actor is not None else "",
        target=str(target)[:200],
        subject=subject,
        program=program,
        detail={key: value for key, value in detail.items() if value not in (None, "")},
    )
    event.save()
    return event


_CASE_ACTIONS = {
    ("in_review", "published"): AuditAction.CASE_PUBLISH,
    ("in_review", "draft"): AuditAction.CASE_RETURN,
    ("published", "retired"): AuditAction.CASE_RETIRE,
}


def case_status_changed(change: Any) -> AuditEvent:
    """A step of the review workflow (teachingfile.services.case_transition)."""
    action = _CASE_ACTIONS.get((change.from_status, change.to_status), AuditAction.CASE_STATUS)
    return record(
        action,
        actor=change.by,
        target=change.case.public_id,
        subject=change.case.owner,
        before=change.from_status,
        after=change.to_status,
        note=change.note[:200],
    )


def response_scored(response: Any, *, score: float, by: Any, note: str = "") -> AuditEvent:
    """Faculty grade a pending answer, or override a score already given (call before saving)."""
    pending = response.method == "pending"
    return record(
        AuditAction.RESPONSE_GRADE if pending else AuditAction.RESPONSE_OVERRIDE,
        actor=by,
        target=f"answer {response.pk} ({response.case.public_id})",
        subject=response.user,
        before=None if pending else response.score,
        after=score,
        note=note.strip()[:200],
    )


def exported(request: Any, kind: AuditAction | str, target: str, **detail: Any) -> AuditEvent:
    """A download of data (CSV, bundle) through the site."""
    query = request.GET.urlencode() if request is not None else ""
    actor = request.user if request is not None else None
    return record(kind, actor=actor, target=target, query=query, **detail)


def from_command(kind: AuditAction | str, target: str, **detail: Any) -> AuditEvent:
    """An export or backup run with manage.py: the operating-system user is the "who"."""
    import getpass

    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return record(kind, target=target, via=f"manage.py as {who}", **detail)
