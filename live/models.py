"""A live case conference: the session the presenter drives, its cases, its participants.

The whole state of a session is one row (`LiveSession`): which question is current and at
which step, and a `version` bumped by every change. Nothing lives in a process's memory,
so any number of app servers serve one session; live.state caches the row's few state
columns in the shared cache to keep polling cheap.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from quiz.models import Attempt, Program, Quiz
from teachingfile.models import Case

# Join codes: no 0/O, 1/I/L, so a code read off a projector is typed right.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
# A session nobody ended stops accepting joins and answers after this long.
SESSION_LIFETIME = timedelta(hours=12)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str:
    """What a person typed (or a QR code carried) as a join code: spaces and case ignored."""
    return "".join(raw.split()).upper()[:20]


class LiveSessionQuerySet(models.QuerySet["LiveSession"]):
    def results_visible_to(self, user: object) -> LiveSessionQuerySet:
        """Sessions whose results this user may read: their own, or their programs' ones."""
        if getattr(user, "is_superuser", False):
            return self.all()
        return self.filter(models.Q(presenter=user) | models.Q(program__directors=user)).distinct()


class LiveSession(models.Model):
    class Step(models.TextChoices):
        LOBBY = "lobby", "Waiting to start"
        OPEN = "open", "Question open"
        CLOSED = "closed", "Answers closed"
        DISTRIBUTION = "distribution", "Distribution shown"
        REVEAL = "reveal", "Answer revealed"
        ENDED = "ended", "Ended"

    code = models.CharField(max_length=CODE_LENGTH, unique=True, default=new_code)
    title = models.CharField(max_length=200)
    presenter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="live_sessions"
    )
    # Whose directors see attendance and scores; faculty of other programs see nothing.
    program = models.ForeignKey(
        Program, on_delete=models.SET_NULL, null=True, blank=True, related_name="live_sessions"
    )
    quiz = models.ForeignKey(
        Quiz, on_delete=models.SET_NULL, null=True, blank=True, related_name="live_sessions"
    )
    cases: models.ManyToManyField[Case, LiveItem] = models.ManyToManyField(
        Case, through="LiveItem", related_name="live_sessions"
    )
    # The questions in presenting order as [question id, case id] pairs, fixed at the start.
    plan = models.JSONField(default=list)
    position = models.IntegerField(default=-1, help_text="Index into plan; -1 before the first.")
    # The furthest question opened so far: going back never reopens a question.
    furthest = models.IntegerField(default=-1)
    step = models.CharField(max_length=12, choices=Step.choices, default=Step.LOBBY)
    step_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = LiveSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.code})"

    def get_absolute_url(self) -> str:
        return reverse("live:participant", args=[self.code])

    @property
    def expires_at(self) -> datetime:
        return self.created_at + SESSION_LIFETIME

    def is_over(self, now: datetime | None = None) -> bool:
        return self.step == self.Step.ENDED or (now or timezone.now()) >= self.expires_at

    @property
    def question_id(self) -> int | None:
        if 0 <= self.position < len(self.plan):
            return int(self.plan[self.position][0])
        return None


class LiveItem(models.Model):
    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="items")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="live_items")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "case"], name="liveitem_unique_case")
        ]

    def __str__(self) -> str:
        return f"{self.session.code} #{self.order}: {self.case.public_id}"


class Participant(models.Model):
    """One resident in one session; their answers are Responses of `attempt`."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_participations"
    )
    attempt = models.OneToOneField(
        Attempt, on_delete=models.CASCADE, related_name="live_participant"
    )
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [models.UniqueConstraint(fields=["session", "user"], name="participant_once")]

    def __str__(self) -> str:
        return f"{self.user} in {self.session.code}"
