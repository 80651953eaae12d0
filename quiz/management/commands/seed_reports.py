"""Bulk data for the reports benchmark: residents, cases, quizzes, attempts and responses.

    manage.py seed_reports                 # 200 residents, 2,000 cases, 1,000,000 responses
    manage.py seed_reports --scale small   # a few thousand rows, for tests

Scores come from a two-parameter logistic model (resident ability, item difficulty and
discrimination, a few items deliberately miskeyed), so the item statistics have something
real to find. Responses go in with executemany in batches: the ORM's per-object work would
dominate at a million rows.
"""

from __future__ import annotations

import math
import time
from datetime import timedelta
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from quiz.models import Assignment, Attempt, Cohort, Membership, Program, Quiz, QuizItem, Response
from teachingfile import roles
from teachingfile.models import Case, Category, Question, Region
from teachingfile.vocab import DicomModality

SCALES = {
    "full": {"residents": 200, "cases": 2000, "responses": 1_000_000},
    "small": {"residents": 12, "cases": 40, "responses": 2_000},
}
CASES_PER_QUIZ = 20
QUESTIONS_PER_CASE = 2
BATCH = 20_000
PREFIX = "bench"


class Command(BaseCommand):
    help = "Seed bulk residents, cases and responses for the reports benchmark."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="full")
        parser.add_argument("--residents", type=int)
        parser.add_argument("--cases", type=int)
        parser.add_argument("--responses", type=int)
        parser.add_argument("--seed", type=int, default=5)

    def handle(self, *args: Any, **options: Any) -> None:
        sizes = dict(SCALES[options["scale"]])
        for key in sizes:
            if options[key]:
                sizes[key] = options[key]
        if Program.objects.filter(name=f"{PREFIX} program").exists():
            raise CommandError("Bench data is already seeded in this database.")
        started = time.perf_counter()
        rng = np.random.default_rng(options["seed"])
        roles.ensure_groups()
        with transaction.atomic():
            director, residents, cohorts = _people(sizes["residents"])
            cases, questions = _cases(sizes["cases"], rng)
            quizzes = _quizzes(cases, director)
            _assignments(cohorts, quizzes, director)
        count = _attempts_and_responses(residents, quizzes, questions, sizes["responses"], rng)
        self.stdout.write(
            f"Seeded {len(residents)} residents, {len(cases)} cases, {len(quizzes)} quizzes, "
            f"{count} responses in {time.perf_counter() - started:.1f} s "
            f"(director account: {director.username})."
        )


def _people(n: int) -> tuple[Any, list[Any], list[Cohort]]:
    User = get_user_model()
    director = User.objects.create(username=f"{PREFIX}-director", is_staff=True)
    director.set_unusable_password()
    director.save(update_fields=["password"])
    director.groups.add(Group.objects.get(name=roles.DIRECTOR))
    program = Program.objects.create(name=f"{PREFIX} program")
    program.directors.add(director)
    cohorts = [
        Cohort.objects.create(program=program, name=f"PGY-{year}", academic_year="2025-2026")
        for year in range(1, 5)
    ]
    User.objects.bulk_create(
        User(
            username=f"{PREFIX}-r{i:04d}",
            first_name=f"Resident{i:04d}",
            last_name=f"Bench{i % 37:02d}",
            password="!",  # noqa: S106 - "!" is Django's unusable password: no login
        )
        for i in range(n)
    )
    residents = list(User.objects.filter(username__startswith=f"{PREFIX}-r").order_by("id"))
    group = Group.objects.get(name=roles.RESIDENT)
    User.groups.through.objects.bulk_create(
        User.groups.through(user_id=r.pk, group_id=group.pk) for r in residents
    )
    Membership.objects.bulk_create(
        Membership(cohort=cohorts[i % 4], resident=r, training_year=i % 4 + 1)
        for i, r in enumerate(residents)
    )
    return director, residents, cohorts


def _cases(n: int, rng: np.random.Generator) -> tuple[list[Case], list[Question]]:
    highest = 0
    for public_id in Case.objects.values_list("public_id", flat=True):
        digits = public_id.removeprefix("tf-")
        if digits.isdigit():
            highest = max(highest, int(digits))
    now = timezone.now()
    modalities, regions, categories = DicomModality.values, Region.values, Category.values
    Case.objects.bulk_create(
        Case(
            public_id=f"tf-{highest + 1 + i:05d}",
            status=Case.Status.PUBLISHED,
            unknown_title=f"Bench patient {i}",
            presentation="Generated for the reports benchmark.",
            known_title=f"Bench diagnosis {i}",
            diagnosis=f"Bench diagnosis {i}",
            modalities=str(modalities[int(rng.integers(len(modalities)))]),
            region=str(regions[int(rng.integers(len(regions)))]),
            category=str(categories[int(rng.integers(len(categories)))]),
            published_at=now,
        )
        for i in range(n)
    )
    cases = list(Case.objects.filter(unknown_title__startswith="Bench patient ").order_by("id"))
    Question.objects.bulk_create(
        Question(
            case=case,
            order=order,
            kind=Question.Kind.SINGLE if order == 1 else Question.Kind.FREE_TEXT,
            prompt="Finding?" if order == 1 else "Diagnosis?",
        )
        for case in cases
        for order in range(1, QUESTIONS_PER_CASE + 1)
    )
    questions = list(Question.objects.filter(case__in=cases).order_by("case_id", "order"))
    return cases, questions


def _quizzes(cases: list[Case], director: Any) -> list[Quiz]:
    count = math.ceil(len(cases) / CASES_PER_QUIZ)
    Quiz.objects.bulk_create(
        Quiz(title=f"{PREFIX} quiz {i:03d}", created_by=director) for i in range(count)
    )
    quizzes = list(Quiz.objects.filter(title__startswith=f"{PREFIX} quiz ").order_by("id"))
    QuizItem.objects.bulk_create(
        QuizItem(quiz=quizzes[i // CASES_PER_QUIZ], case=case, order=i % CASES_PER_QUIZ)
        for i, case in enumerate(cases)
    )
    return quizzes


def _assignments(cohorts: list[Cohort], quizzes: list[Quiz], director: Any) -> None:
    now = timezone.now()
    Assignment.objects.bulk_create(
        Assignment(
            quiz=quiz,
            cohort=cohort,
            due_at=now + timedelta(days=14 * (i - 5)),
            assigned_by=director,
        )
        for c, cohort in enumerate(cohorts)
        for i, quiz in enumerate(quizzes[c * 2 : c * 2 + 10])
    )


def _attempts_and_responses(
    residents: list[Any],
    quizzes: list[Quiz],
    questions: list[Question],
    target: int,
    rng: np.random.Generator,
) -> int:
    # Item parameters: difficulty b, discrimination a; 3% miskeyed items discriminate negatively.
    n_questions = len(questions)
    b = rng.normal(0.0, 1.0, n_questions)
    a = rng.uniform(0.4, 2.0, n_questions)
    a[rng.random(n_questions) < 0.03] *= -1
    ability = rng.normal(0.0, 1.0, len(residents))
    question_index = {q.pk: i for i, q in enumerate(questions)}
    by_quiz: dict[int, list[Question]] = {}
    case_quiz = dict(QuizItem.objects.values_list("case_id", "quiz_id"))
    for question in questions:
        by_quiz.setdefault(case_quiz[question.case_id], []).append(question)

    per_resident = max(1, target // len(residents))
    now = timezone.now()
    attempts: list[Attempt] = []
    plan: list[tuple[int, int, Quiz, bool]] = []  # resident index, attempt slot, quiz, first
    for r_index, resident in enumerate(residents):
        done = 0
        order = rng.permutation(len(quizzes))
        slot = 0
        while done < per_resident:
            quiz = quizzes[int(order[slot % len(order)])]
            first = slot < len(order)
            size = min(len(by_quiz[quiz.pk]), per_resident - done)
            start = now - timedelta(days=float(rng.uniform(0, 180)))
            attempts.append(
                Attempt(
                    user=resident,
                    kind=Attempt.Kind.QUIZ,
                    quiz=quiz,
                    started_at=start,
                    finished_at=start + timedelta(seconds=40 * size),
                )
            )
            plan.append((r_index, size, quiz, first))
            done += size
            slot += 1
    Attempt.objects.bulk_create(attempts, batch_size=5000)
    if attempts[0].pk is None:  # databases that do not return ids from bulk inserts
        raise CommandError("This database does not return ids from bulk_create.")

    table = Response._meta.db_table
    columns = [
        "attempt_id",
        "question_id",
        "user_id",
        "case_id",
        "answer_text",
        "score",
        "method",
        "judgement",
        "is_first_attempt",
        "is_late",
        "answered_at",
        "time_spent_ms",
    ]
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - fixed column names
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    rows: list[tuple[Any, ...]] = []
    written = 0
    with connection.cursor() as cursor:
        for attempt, (r_index, size, quiz, first) in zip(attempts, plan, strict=True):
            chosen = by_quiz[quiz.pk][:size]
            idx = np.fromiter((question_index[q.pk] for q in chosen), dtype=int, count=size)
            p = 1.0 / (1.0 + np.exp(-a[idx] * (ability[r_index] - b[idx])))
            draws = rng.random(size)
            for k, question in enumerate(chosen):
                right = draws[k] < p[k]
                if question.kind == Question.Kind.FREE_TEXT:
                    # Near misses earn half; a few answers wait for faculty.
                    if draws[k] > 0.995:
                        score, method = None, Response.Method.PENDING
                    elif not right and draws[k] < p[k] + 0.1:
                        score, method = 0.5, Response.Method.AUTO
                    else:
                        score, method = (1.0 if right else 0.0), Response.Method.AUTO
                else:
                    score, method = (1.0 if right else 0.0), Response.Method.AUTO
                rows.append(
                    (
                        attempt.pk,
                        question.pk,
                        attempt.user_id,
                        question.case_id,
                        "bench answer",
                        score,
                        method,
                        "",
                        first,
                        False,
                        attempt.started_at + timedelta(seconds=40 * k),
                        int(15000 + 30000 * draws[k]),
                    )
                )
            if len(rows) >= BATCH:
                with transaction.atomic():
                    cursor.executemany(sql, rows)
                written += len(rows)
                rows = []
        if rows:
            with transaction.atomic():
                cursor.executemany(sql, rows)
            written += len(rows)
    # Attempt scores as the quiz flow would have stored them.
    attempt_table = Attempt._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {attempt_table} SET score = ("  # noqa: S608 - fixed table names
            f"SELECT AVG(r.score) FROM {table} r WHERE r.attempt_id = {attempt_table}.id) "
            f"WHERE quiz_id IN (SELECT id FROM quiz_quiz WHERE title LIKE %s)",
            [f"{PREFIX} quiz %"],
        )
    return written
