"""The audit trail's one way in: `audit.record(...)`, a single line at each audited place."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from people.models import AuditAction, AuditEvent


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


def visible_to(user: Any) -> QuerySet[AuditEvent]:
    """Site admins read everything; a director, the rows of the programs they direct."""
    events = AuditEvent.objects.select_related("program")
    if getattr(user, "is_superuser", False):
        return events
    from teachingfile import roles

    if not roles.is_director(user):
        return events.none()
    from quiz.models import Membership

    programs = user.directed_programs.values("pk")
    residents = Membership.objects.filter(cohort__program__in=programs).values("resident")
    return events.filter(Q(program__in=programs) | Q(subject__in=residents))
