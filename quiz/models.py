"""Quizzes, cohorts, attempts and the one-row-per-answer responses behind every score."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from teachingfile.models import Case, Choice, Question
from teachingfile.roles import AnyUser

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class Program(models.Model):
    """A residency program; its directors see the residents of its cohorts."""

    name = models.CharField(max_length=200, unique=True)
    directors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="directed_programs"
    )

    def __str__(self) -> str:
        return self.name


class Cohort(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="cohorts")
    name = models.CharField(max_length=200)
    academic_year = models.CharField(max_length=20, blank=True, help_text="e.g. 2026-2027")
    members: models.ManyToManyField[User, Membership] = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="cohorts"
    )

    class Meta:
        ordering = ["program__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "name"], name="cohort_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.program.name}: {self.name}"


class Membership(models.Model):
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="memberships")
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    training_year = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(8)], help_text="PGY"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cohort", "resident"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.resident} in {self.cohort}"


class QuizQuerySet(models.QuerySet["Quiz"]):
    def available_to(self, user: object) -> QuizQuerySet:
        """Open quizzes plus those assigned to one of the user's cohorts."""
        return self.filter(
            Q(is_open=True) | Q(assignments__cohort__memberships__resident=user)
        ).distinct()


class Quiz(models.Model):
    class Mode(models.TextChoices):
        PRACTICE = "practice", "Practice: reveal after each case"
        EXAM = "exam", "Exam: timed, reveal at the end"

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.PRACTICE)
    time_limit = models.DurationField(
        null=True, blank=True, help_text="Exams only, e.g. 00:30:00. Enforced on the server."
    )
    is_open = models.BooleanField(
        default=False, help_text="Any resident may take it, assigned or not."
    )
    cases: models.ManyToManyField[Case, QuizItem] = models.ManyToManyField(
        Case, through="QuizItem", related_name="quizzes"
    )
    # --- attempts policy (issue #12) ---
    attempts_allowed = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="How many times a resident may take it. Empty: once for an exam, "
        "without limit for practice.",
    )
    reveal_before_due = models.BooleanField(
        default=True,
        help_text="Exams: show the answers as soon as a resident hands in. Off: only once "
        "the due date of the resident's assignment has passed.",
    )
    shuffle_cases = models.BooleanField(
        default=False, help_text="Each attempt gets its own order of cases."
    )
    shuffle_choices = models.BooleanField(
        default=False, help_text="Each attempt gets its own order of the choices of a question."
    )
    # --- end attempts policy ---
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = QuizQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "quizzes"

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("quiz:quiz_detail", args=[self.pk])

    @property
    def is_exam(self) -> bool:
        return self.mode == self.Mode.EXAM

    @property
    def attempt_limit(self) -> int | None:
        """Attempts a learner may start; None means no limit."""
        if self.attempts_allowed is not None:
            return self.attempts_allowed
        return 1 if self.is_exam else None


class QuizItem(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="items")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="quiz_items")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "case"], name="quizitem_unique_case")
        ]

    def __str__(self) -> str:
        return f"{self.quiz} #{self.order}: {self.case.public_id}"


class Assignment(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="assignments")
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="assignments")
    due_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["quiz", "cohort"], name="assignment_unique")]

    def __str__(self) -> str:
        return f"{self.quiz} -> {self.cohort}"


class AttemptQuerySet(models.QuerySet["Attempt"]):
    def of(self, user: AnyUser) -> AttemptQuerySet:
        return self.filter(user=user)

    def finished(self) -> AttemptQuerySet:
        return self.filter(finished_at__isnull=False)

    def unfinished(self) -> AttemptQuerySet:
        return self.filter(finished_at__isnull=True)


class Attempt(models.Model):
    """One learner working through one quiz, one library case, or a review session."""

    class Kind(models.TextChoices):
        QUIZ = "quiz", "Quiz"
        CASE = "case", "Library case"
        REVIEW = "review", "Review"
        # live: one per participant per live session (live.models.Participant.attempt)
        CONFERENCE = "conference", "Live conference"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attempts"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.QUIZ)
    quiz = models.ForeignKey(
        Quiz, on_delete=models.CASCADE, null=True, blank=True, related_name="attempts"
    )
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="attempts"
    )
    started_at = models.DateTimeField(default=timezone.now)
    # Exams: fixed at start from the quiz's time limit, so edits to the quiz or a server
    # restart cannot move it.
    deadline = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True, help_text="Mean response score, 0..1.")
    # --- per-attempt order and exam workspace state (issue #12) ---
    # Fixed at start when the quiz shuffles, so that a reload shows the same order.
    case_order = models.JSONField(default=list, blank=True, help_text="Case ids, in order.")
    choice_order = models.JSONField(
        default=dict, blank=True, help_text="Question id -> choice ids, in order."
    )
    flagged = models.JSONField(default=list, blank=True, help_text="Case ids flagged for review.")
    # Progressive cases in an exam: questions whose answer the learner committed (locked).
    committed = models.JSONField(default=list, blank=True, help_text="Question ids committed.")
    # --- end ---

    objects = AttemptQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["user", "quiz"]), models.Index(fields=["user", "case"])]

    def __str__(self) -> str:
        target = self.quiz or self.case or self.kind
        return f"{self.user} on {target}"

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None

    def is_past_deadline(self, now: datetime | None = None) -> bool:
        return self.deadline is not None and (now or timezone.now()) > self.deadline

    def time_left(self, now: datetime | None = None) -> timedelta | None:
        if self.deadline is None:
            return None
        return max(self.deadline - (now or timezone.now()), timedelta(0))

    def ordered(self, case_ids: list[int]) -> list[int]:
        """The quiz's case ids in this attempt's order (cases added since go last)."""
        if not self.case_order:
            return list(case_ids)
        known = set(case_ids)
        first = [pk for pk in self.case_order if pk in known]
        return first + [pk for pk in case_ids if pk not in set(first)]


class Response(models.Model):
    """One learner's answer to one question within one attempt: the unit of every statistic."""

    class Method(models.TextChoices):
        AUTO = "auto", "Scored automatically"
        SELF = "self", "Self-assessed"
        OVERRIDE = "override", "Overridden by faculty"
        PENDING = "pending", "Awaiting self-assessment"

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="responses")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="responses")
    # Denormalised from the attempt and question so that reports aggregate without joins.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="responses"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="responses")
    answer_text = models.TextField(blank=True, max_length=2000)
    choices = models.ManyToManyField(Choice, blank=True, related_name="responses")
    score = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="0..1; empty while waiting for self-assessment.",
    )
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.AUTO)
    judgement = models.CharField(
        max_length=300, blank=True, help_text="How the answer was judged, shown in the reveal."
    )
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="scored_responses",
    )
    # True for the learner's first ever answer to this question (the resident page marks the
    # others "repeat"). Item statistics choose whole attempts instead (quiz.reports.statistics).
    is_first_attempt = models.BooleanField(default=True)
    is_late = models.BooleanField(default=False)
    shown_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(default=timezone.now, db_index=True)
    time_spent_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["answered_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "question"], name="response_one_per_attempt_question"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0.0, score__lte=1.0),
                name="response_score_in_range",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "answered_at"]),
            models.Index(fields=["question", "is_first_attempt"]),
            models.Index(fields=["case", "user"]),
            # Item statistics read only these columns for a page of cases, and each
            # attempt's total from the second: both answered from the index alone, without
            # touching the table rows (measured in docs/statistics.md).
            models.Index(
                fields=["case", "is_first_attempt", "score", "method", "attempt", "question"],
                name="response_item_stats",
            ),
            models.Index(fields=["attempt", "score"], name="response_attempt_score"),
            # Attempts still waiting for a grade, which statistics leave out: few rows.
            models.Index(
                fields=["attempt"], condition=Q(score__isnull=True), name="response_unscored"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.question}: {self.score}"


class ReviewCard(models.Model):
    """The spaced-repetition state of one question for one learner (FSRS)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_cards"
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="review_cards")
    due = models.DateTimeField(db_index=True)
    state = models.JSONField(default=dict, help_text="fsrs.Card.to_dict()")
    reviews = models.PositiveIntegerField(default=0)
    lapses = models.PositiveIntegerField(default=0)
    last_reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due"]
        constraints = [
            models.UniqueConstraint(fields=["user", "question"], name="reviewcard_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} / {self.question} due {self.due:%Y-%m-%d}"


# --- statistics flags (issue 19) --------------------------------------------------------


class FlagDismissal(models.Model):
    """Faculty looked at a case's statistics flag and judged it; holds for one case version.

    An edit bumps `Case.version`, so a rewritten case is measured and flagged afresh.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="flag_dismissals")
    case_version = models.PositiveIntegerField()
    note = models.TextField(max_length=2000, help_text="Why the flag needs no change.")
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    dismissed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-dismissed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "case_version"], name="flagdismissal_one_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case.public_id} v{self.case_version} flag dismissed"


# --- collections (issue 18) -------------------------------------------------------------


class CollectionQuerySet(models.QuerySet["Collection"]):
    def visible_to(self, user: object) -> CollectionQuerySet:
        """The user's own collections and those shared with one of their cohorts."""
        return self.filter(Q(owner=user) | Q(shared_with__memberships__resident=user)).distinct()


class Collection(models.Model):
    """A named set of cases a user keeps: private, or shared with one cohort."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collections"
    )
    name = models.CharField(max_length=120)
    shared_with = models.ForeignKey(
        Cohort,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="collections",
        help_text="Empty: private. A cohort: its residents see the collection.",
    )
    cases: models.ManyToManyField[Case, CollectionItem] = models.ManyToManyField(
        Case, through="CollectionItem", related_name="collections"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = CollectionQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="collection_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("collections:collection_detail", args=[self.pk])


class CollectionItem(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="items")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="collection_items")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "case"], name="collectionitem_unique")
        ]

    def __str__(self) -> str:
        return f"{self.collection} / {self.case.public_id}"
