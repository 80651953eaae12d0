"""The reminders `manage.py send_reminders` sends: each at most once per person and subject.

Safe to run every few minutes: a SentNotice row (unique on kind, person, subject) is
written in the same transaction as the message goes out, so a second run finds it and
sends nothing, and a failed send leaves no row and is tried again next time.
"""

from __future__ import annotations

import logging
import smtplib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, Q

from people import mail
from people.models import Notice, SentNotice
from quiz.models import Assignment, Attempt, Cohort, Membership, Response
from teachingfile.models import Case, StatusChange

logger = logging.getLogger(__name__)

# Nothing older than this is announced: the first run on an old database sends no backlog.
LOOKBACK = timedelta(days=7)
DUE_SOON = timedelta(hours=48)


@dataclass
class Outgoing:
    kind: str
    user: Any
    key: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)


def _wants(user: Any, kind: str) -> bool:
    try:
        return user.profile.wants(kind)
    except AttributeError:  # no profile: every notice is on by default
        return True


def _finished(assignments: list[Assignment]) -> set[tuple[int, int]]:
    return set(
        Attempt.objects.finished()
        .filter(quiz__in={a.quiz_id for a in assignments})
        .values_list("user_id", "quiz_id")
    )


def _members(assignments: list[Assignment]) -> dict[int, list[Any]]:
    by_cohort: dict[int, list[Any]] = {}
    memberships = Membership.objects.filter(
        cohort__in={a.cohort_id for a in assignments}, resident__is_active=True
    ).select_related("resident", "resident__profile")
    for m in memberships:
        by_cohort.setdefault(m.cohort_id, []).append(m.resident)
    return by_cohort


def _assignment_notices(now: datetime) -> Iterable[Outgoing]:
    assignments = list(
        Assignment.objects.filter(
            Q(assigned_at__gte=now - LOOKBACK)
            | Q(due_at__gt=now - LOOKBACK, due_at__lte=now + DUE_SOON)
        ).select_related("quiz", "cohort")
    )
    members = _members(assignments)
    finished = _finished(assignments)
    for a in assignments:
        for user in members.get(a.cohort_id, []):
            if (user.pk, a.quiz_id) in finished:
                continue
            context = {"assignment": a, "quiz_url": mail.absolute(a.quiz.get_absolute_url())}
            key = f"assignment:{a.pk}"
            if a.assigned_at >= now - LOOKBACK and (a.due_at is None or a.due_at > now):
                yield Outgoing(Notice.ASSIGNMENT, user, key, "assignment", context)
            # Assigned less than 48 hours before it is due: the assignment e-mail says so.
            short_notice = a.due_at is not None and a.assigned_at > a.due_at - DUE_SOON
            if a.due_at is not None and now < a.due_at <= now + DUE_SOON and not short_notice:
                yield Outgoing(Notice.DUE_SOON, user, key, "due_soon", context)
            if a.due_at is not None and now - LOOKBACK < a.due_at <= now:
                yield Outgoing(Notice.OVERDUE, user, key, "overdue", context)


def _returned_case_notices(now: datetime) -> Iterable[Outgoing]:
    changes = (
        StatusChange.objects.filter(
            from_status=Case.Status.IN_REVIEW,
            to_status=Case.Status.DRAFT,
            at__gte=now - LOOKBACK,
            case__owner__is_active=True,
        )
        .exclude(by=None)
        .select_related("case", "case__owner", "case__owner__profile", "by")
    )
    for change in changes:
        if change.by_id == change.case.owner_id:
            continue  # the author withdrew it: nobody to tell
        context = {"change": change, "case": change.case}
        owner = change.case.owner
        yield Outgoing(
            Notice.CASE_RETURNED, owner, f"statuschange:{change.pk}", "case_returned", context
        )


def _digest_notices(now: datetime) -> Iterable[Outgoing]:
    year, week, _ = now.isocalendar()
    week_name = f"{year}-W{week:02d}"
    key = f"week:{week_name}"
    directors = (
        get_user_model()
        .objects.filter(is_active=True, directed_programs__isnull=False)
        .select_related("profile")
        .distinct()
    )
    for director in directors:
        cohorts = (
            Cohort.objects.filter(program__directors=director)
            .select_related("program")
            .annotate(n_members=Count("memberships", distinct=True))
        )
        rows = []
        for cohort in cohorts:
            residents = Membership.objects.filter(cohort=cohort).values("resident")
            answered = Response.objects.filter(
                user__in=residents, answered_at__gte=now - timedelta(days=7)
            )
            overdue = Assignment.objects.filter(
                cohort=cohort, due_at__lte=now, due_at__gt=now - timedelta(days=7)
            )
            rows.append(
                {
                    "cohort": cohort,
                    "answers": answered.count(),
                    "active": answered.values("user").distinct().count(),
                    "overdue": [a.quiz.title for a in overdue.select_related("quiz")],
                }
            )
        yield Outgoing(Notice.DIGEST, director, key, "digest", {"rows": rows, "week": week_name})


def _send_once(item: Outgoing, now: datetime) -> bool:
    if not item.user.email or not _wants(item.user, item.kind):
        return False
    try:
        with transaction.atomic():
            _, created = SentNotice.objects.get_or_create(
                kind=item.kind, user=item.user, key=item.key, defaults={"sent_at": now}
            )
            if created:
                # Inside the transaction: if the mail server refuses, the row goes too.
                mail.send_to(item.user, item.template, item.context)
    except IntegrityError:  # another run sent it a moment ago
        return False
    except (OSError, smtplib.SMTPException):
        # The row went with the rollback: the next run tries again. One refused address
        # must not stop the others.
        logger.exception("Could not send %s to %s", item.kind, item.user.email)
        return False
    return created


def send_reminders(*, now: datetime) -> Counter[str]:
    """Send every reminder that is due and was not sent before; count what went out."""
    sent: Counter[str] = Counter()
    # A shortcut past what recent runs sent; the unique row in _send_once is the real guard.
    recent = SentNotice.objects.filter(sent_at__gte=now - 4 * LOOKBACK)
    already = set(recent.values_list("kind", "user_id", "key"))
    for source in (_assignment_notices, _returned_case_notices, _digest_notices):
        for item in source(now):
            if (item.kind, item.user.pk, item.key) in already:
                continue
            if _send_once(item, now):
                sent[item.kind] += 1
    return sent
