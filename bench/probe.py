"""The harness's view from inside Django: which URLs to drive, their query counts, row counts.

    .venv/bin/python bench/probe.py targets OUT.json   # URLs, submit bodies, SQL per path
    .venv/bin/python bench/probe.py responses          # {"count": N, "max_id": M}
    .venv/bin/python bench/probe.py duplicates MAX_ID  # library answers stored twice
    .venv/bin/python bench/probe.py exam OUT.json      # the exam storm's exam, set up now
    .venv/bin/python bench/probe.py exam-check QUIZ ACCEPTED.json  # its rows: lost, duplicated

Run by bench/run.py with the same environment as the server under test, so it sees the
same database and settings. A path whose view does not exist yet is reported as missing
rather than failing the run: the harness is used while the app is being built.
"""

from __future__ import annotations

import json
import os
import string
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teachingfile.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Max  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.crypto import get_random_string  # noqa: E402

from quiz.models import Assignment, Attempt, Cohort, Quiz, QuizItem, Response  # noqa: E402
from teachingfile.models import Case, Question  # noqa: E402

RESIDENT = "bench-resident-0001"
DIRECTOR = "bench-director"
LOAD_USERS = 50
# The case page rotates over this many cases, as an exam or a teaching session would.
CASE_ROTATION = 50
CPU_REQUESTS = 20
SEARCH_TERMS = ["calcification", "tendon", "renal dialysis", "soft tissue mass", "shoulder"]
EXAM_TITLE = "Bench exam storm"
EXAM_CASES = 10
# Far longer than the storm may run (bench/storm.py bounds it), so no answer meets the deadline.
EXAM_TIME_LIMIT = timedelta(hours=2)


def _reverse(name: str, *args: Any) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _answer_body(case: Case, questions: list[Question], right: bool = True) -> dict[str, str]:
    """Form fields for answering every question of a case, as the case page's form posts."""
    fields: dict[str, str] = {}
    for question in questions:
        if question.is_choice:
            choices = list(question.choices.all())
            pick = next((c for c in choices if c.is_correct), choices[0]) if right else choices[-1]
            fields[f"q{question.pk}"] = str(pick.pk)
        else:
            fields[f"q{question.pk}"] = f"diagnosis {case.pk}" if right else "not sure"
    return fields


def _submit_pairs(users: list[Any], cases: list[Case], limit: int = 40_000) -> list[dict[str, Any]]:
    """(user, case) pairs no user has answered yet, interleaved so neighbours differ."""
    questions: dict[int, list[Question]] = {}
    for question in (
        Question.objects.filter(case__in=cases).prefetch_related("choices").order_by("order", "pk")
    ):
        questions.setdefault(question.case_id, []).append(question)
    pairs = []
    rounds = min(len(cases), -(-limit // max(len(users), 1)))
    for round_ in range(rounds):
        for index in range(len(users)):
            # Each user walks the cases from its own offset: distinct rounds give distinct
            # cases per user, and two users rarely post the same case at the same moment.
            case = cases[(round_ + index * 7) % len(cases)]
            body = _answer_body(case, questions.get(case.pk, []), right=(index + round_) % 3 != 0)
            pairs.append(
                {
                    "user": index,
                    "path": reverse("quiz:case_answer", args=[case.public_id]),
                    "body": urlencode(body),
                    "rows": len(body),
                }
            )
    return pairs


def _count(client: Client, method: str, path: str, **extra: Any) -> dict[str, Any]:
    """One warm-up request, then the measured one: the second shows the steady state."""
    call = client.get if method == "GET" else client.post
    if method == "GET":
        call(path, **extra)
    with CaptureQueriesContext(connection) as captured:
        response = call(path, **extra)
    return {"status": response.status_code, "queries": len(captured)}


def _cpu_ms(client: Client, paths: list[str], rounds: int = CPU_REQUESTS) -> float:
    """CPU milliseconds per request in this process, after one warm pass.

    Unlike wrk's throughput this hardly moves when other programs load the machine, so it
    is the figure to compare when the run shares its cores.
    """
    sequence = [paths[i % len(paths)] for i in range(rounds)]
    for path in sequence:
        client.get(path)
    started = time.process_time()
    for path in sequence:
        client.get(path)
    return round((time.process_time() - started) * 1000 / len(sequence), 3)


def _submit_cpu_ms(client: Client, cases: list[Case]) -> float:
    """CPU milliseconds per first answer (with the reveal), over cases nobody has answered.

    As in real use the learner has the case page open before answering: each page is
    requested once, untimed, so that the submit finds what every learner shares (the
    case's rows, quiz.reading) cached as it would be. The answer, the reveal and the
    reveal's own parts (similar cases, comments, ratings) are still first-time work.
    """
    bodies = []
    for case in cases:
        questions = list(case.questions.prefetch_related("choices"))
        bodies.append(
            (reverse("quiz:case_answer", args=[case.public_id]), _answer_body(case, questions))
        )
        client.get(case.get_absolute_url())
    started = time.process_time()
    for path, body in bodies:
        client.post(path, data=body, HTTP_HX_REQUEST="true")
    return round((time.process_time() - started) * 1000 / max(len(bodies), 1), 3)


def _load_users() -> list[Any]:
    """The residents of the load test and the exam storm, in the order of their sessions."""
    User = get_user_model()
    return list(
        User.objects.filter(username__startswith="bench-resident-").order_by("username")[
            :LOAD_USERS
        ]
    )


def targets(out: str) -> None:
    User = get_user_model()
    resident = User.objects.get(username=RESIDENT)
    director = User.objects.get(username=DIRECTOR)
    load_users = _load_users()
    published = list(Case.objects.published().order_by("pk"))
    answered = set(
        Response.objects.filter(user__in=load_users, attempt__kind=Attempt.Kind.CASE).values_list(
            "case_id", flat=True
        )
    )
    fresh = [case for case in published if case.pk not in answered]
    case_paths = [case.get_absolute_url() for case in fresh[:CASE_ROTATION]]
    result_attempt = Attempt.objects.filter(
        user=resident, quiz__isnull=False, finished_at__isnull=False
    ).first()

    paths: dict[str, dict[str, Any]] = {}

    def add(
        key: str, label: str, url: str | None, user: str, method: str = "GET", **more: Any
    ) -> None:
        paths[key] = {"label": label, "url": url, "user": user, "method": method, **more}

    add("baseline", "bare baseline view", _reverse("bench:baseline"), RESIDENT)
    add(
        "case",
        "unknown case page",
        case_paths[0] if case_paths else None,
        RESIDENT,
        rotate=case_paths,
    )
    submit = _reverse("quiz:case_answer", fresh[-1].public_id) if fresh else None
    add("submit", "answer submit + reveal", submit, RESIDENT, method="POST")
    add("library", "library list", _reverse("teachingfile:case_list"), RESIDENT)
    search = _reverse("search:search")
    searches = [f"{search}?{urlencode({'q': term})}" for term in SEARCH_TERMS] if search else []
    add("search", "search", searches[0] if searches else None, RESIDENT, rotate=searches)
    results = (
        _reverse("quiz:attempt_results", result_attempt.quiz_id, result_attempt.pk)
        if result_attempt
        else None
    )
    add("quiz_results", "quiz results", results, RESIDENT)
    add("cohort_table", "director cohort table", _reverse("reports:reports_home"), DIRECTOR)
    add("item_analysis", "item analysis", _reverse("reports:item_analysis"), DIRECTOR)

    # Query counts through the test client, logged in as each path's user.
    # A page that raises is reported as a 500 for that path; the others still get measured.
    clients = {
        RESIDENT: Client(raise_request_exception=False),
        DIRECTOR: Client(raise_request_exception=False),
    }
    clients[RESIDENT].force_login(resident)
    clients[DIRECTOR].force_login(director)
    for key, spec in paths.items():
        if not spec["url"]:
            continue
        client = clients[spec["user"]]
        if spec["method"] == "POST":
            # A case the load users never get, so the measured submit is a first answer.
            case = fresh[-1]
            questions = list(case.questions.prefetch_related("choices"))
            body = _answer_body(case, questions)
            spec.update(_count(client, "POST", spec["url"], data=body, HTTP_HX_REQUEST="true"))
            spec["cpu_ms"] = _submit_cpu_ms(client, fresh[-1 - CPU_REQUESTS : -1])
        else:
            spec.update(_count(client, "GET", spec["url"]))
            if spec["status"] == 200:
                # The baseline takes well under a millisecond: more rounds for a steady figure.
                rounds = CPU_REQUESTS * 10 if key == "baseline" else CPU_REQUESTS
                spec["cpu_ms"] = _cpu_ms(client, spec.get("rotate") or [spec["url"]], rounds)

    # The last cases are kept for the in-process submit measurements above.
    pairs = _submit_pairs(load_users, fresh[: -1 - CPU_REQUESTS]) if paths["submit"]["url"] else []
    # The load test's residents get their sessions here rather than through the login
    # form: fifty password hashes would take a minute of the run. The resident and the
    # director the pages are measured with still log in through the form (bench/run.py).
    sessions = []
    for user in load_users:
        client = Client()
        client.force_login(user)
        token = get_random_string(32, string.ascii_letters + string.digits)
        sessions.append(
            {
                "cookie": f"{settings.SESSION_COOKIE_NAME}="
                f"{client.cookies[settings.SESSION_COOKIE_NAME].value}; "
                f"{settings.CSRF_COOKIE_NAME}={token}",
                "csrf": token,
            }
        )
    Path(out).write_text(
        json.dumps(
            {
                "paths": paths,
                "load_users": [user.username for user in load_users],
                "sessions": sessions,
                "pairs": pairs,
                "database": connection.vendor,
            }
        )
    )


def responses() -> None:
    stats = Response.objects.aggregate(count=Count("id"), max_id=Max("id"))
    print(json.dumps({"count": stats["count"], "max_id": stats["max_id"] or 0}))


def duplicates(max_id: int) -> None:
    """Rows stored after max_id that repeat a (user, question) within library answers."""
    new = Response.objects.filter(pk__gt=max_id, attempt__kind=Attempt.Kind.CASE)
    repeated = (
        new.values("user_id", "question_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("n", flat=True)
    )
    print(json.dumps({"new_rows": new.count(), "duplicates": sum(n - 1 for n in repeated)}))


def _exam_quiz(title: str, cases: list[Case], director: Any, *, is_open: bool) -> Quiz:
    quiz = Quiz.objects.create(
        title=title,
        mode=Quiz.Mode.EXAM,
        time_limit=EXAM_TIME_LIMIT,
        is_open=is_open,
        created_by=director,
    )
    QuizItem.objects.bulk_create(
        QuizItem(quiz=quiz, case=case, order=order) for order, case in enumerate(cases)
    )
    return quiz


def _sit_trial(trial: Quiz, user: Any, bodies: list[dict[str, str]], *, measure: bool) -> float:
    """One resident through the trial exam: each case page, then each answer (htmx).

    Returns the CPU seconds the answers took, when measured; stops the bench if an answer
    was not saved (refusals are cheap, so a figure without every answer saved is worthless).
    """
    client = Client()
    client.force_login(user)
    started = client.post(reverse("quiz:quiz_start", args=[trial.pk]))
    if started.status_code != 302:
        raise SystemExit(f"bench: starting an exam answered {started.status_code}")
    attempt = Attempt.objects.get(user=user, quiz=trial)
    positions = range(1, len(bodies) + 1)
    for position in positions:
        client.get(reverse("quiz:attempt_case", args=[trial.pk, attempt.pk, position]))
    begun = time.process_time()
    for position, body in zip(positions, bodies, strict=True):
        path = reverse("quiz:attempt_case_answer", args=[trial.pk, attempt.pk, position])
        client.post(path, data=body, HTTP_HX_REQUEST="true")
    spent = time.process_time() - begun
    stored = Response.objects.filter(attempt=attempt).count()
    if stored != sum(len(body) for body in bodies):
        raise SystemExit(f"bench: the exam CPU trial stored {stored} answers, not all")
    return spent if measure else 0.0


def _exam_answer_cpu_ms(
    cases: list[Case], bodies: list[dict[str, str]], users: list[Any], director: Any
) -> float:
    """CPU milliseconds per first save of an exam answer, in this process.

    On a copy of the exam, deleted afterwards with its attempts and rows, so that the storm
    finds its residents without an attempt. The first resident warms the process and the
    per-case cache (in the storm 50 residents share ten cases); the next two are measured.
    Like the paths' `cpu_ms`, this hardly moves when other programs load the machine,
    where answers/s does.
    """
    trial = _exam_quiz("Bench exam CPU trial", cases, director, is_open=True)
    try:
        _sit_trial(trial, users[0], bodies, measure=False)
        measured = users[1:3]
        spent = sum(_sit_trial(trial, user, bodies, measure=True) for user in measured)
        return round(spent * 1000 / max(len(bodies) * len(measured), 1), 3)
    finally:
        trial.delete()


def exam(out: str) -> None:
    """Set up the exam storm's exam: timed, ten cases, assigned to the load users' cohorts.

    Made just before the storm, so that no page measured earlier sees it. Writes what
    bench/storm.py posts: the start URL, and per position the answer fields of each case
    (a right and a wrong variant), with the answer URL to fill in with each attempt's id.
    """
    load_users = _load_users()
    director = get_user_model().objects.get(username=DIRECTOR)
    published = list(Case.objects.published().filter(questions__isnull=False).distinct())
    published.sort(key=lambda case: case.pk)
    # Spread over the library rather than ten neighbours.
    step = max(len(published) // EXAM_CASES, 1)
    cases = published[::step][:EXAM_CASES]
    quiz = _exam_quiz(EXAM_TITLE, cases, director, is_open=False)
    cohorts = Cohort.objects.filter(memberships__resident__in=load_users).distinct()
    Assignment.objects.bulk_create(
        Assignment(
            quiz=quiz, cohort=cohort, due_at=timezone.now() + EXAM_TIME_LIMIT, assigned_by=director
        )
        for cohort in cohorts
    )
    questions: dict[int, list[Question]] = {}
    for question in (
        Question.objects.filter(case__in=cases).prefetch_related("choices").order_by("order", "pk")
    ):
        questions.setdefault(question.case_id, []).append(question)
    answers = [
        [_answer_body(case, questions.get(case.pk, []), right=right) for right in (True, False)]
        for case in cases
    ]
    cpu_ms = _exam_answer_cpu_ms(cases, [pair[0] for pair in answers], load_users, director)
    sentinel = 987654321  # stands for each resident's attempt id, filled in by the storm
    answer = reverse("quiz:attempt_case_answer", args=[quiz.pk, sentinel, 1])
    Path(out).write_text(
        json.dumps(
            {
                "quiz": quiz.pk,
                "start": reverse("quiz:quiz_start", args=[quiz.pk]),
                "answer": answer.replace(str(sentinel), "{attempt}").replace(
                    "/cases/1/", "/cases/{position}/"
                ),
                "time_limit_s": EXAM_TIME_LIMIT.total_seconds(),
                "cohorts": len(cohorts),
                "residents": [user.username for user in load_users],
                "cpu_ms_per_answer": cpu_ms,
                "cases": [
                    {"position": position, "case": case.public_id, "answers": pair}
                    for position, (case, pair) in enumerate(zip(cases, answers, strict=True), 1)
                ],
            }
        )
    )


def exam_check(quiz_id: int, accepted_file: str) -> dict[str, Any]:
    """Compare the exam's stored rows with the answers the server accepted.

    `accepted_file` holds one JSON object per accepted answer post: {"attempt": id,
    "fields": {"q<pk>": value}}. An exam answer saved again replaces the earlier one, so
    rows are counted, not posts: a (attempt, question) is lost when it has no row or its
    row does not hold the last accepted answer; duplicated when it has more than one row.
    A resident with more than one attempt at the exam counts as duplicated too.
    """
    expected: dict[tuple[int, int], str] = {}
    for line in Path(accepted_file).read_text().splitlines():
        if not line.strip():
            continue
        post = json.loads(line)
        for key, value in post["fields"].items():
            expected[(int(post["attempt"]), int(key[1:]))] = str(value)
    attempts = Attempt.objects.filter(quiz_id=quiz_id, kind=Attempt.Kind.QUIZ)
    per_user = attempts.values("user_id").annotate(n=Count("id")).values_list("n", flat=True)
    extra_attempts = sum(n - 1 for n in per_user)
    rows = Response.objects.filter(attempt__quiz_id=quiz_id)
    repeated = (
        rows.values("attempt_id", "question_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("n", flat=True)
    )
    duplicated_rows = sum(n - 1 for n in repeated)
    stored: dict[tuple[int, int], set[str]] = {}
    for row in rows.prefetch_related("choices").select_related("question"):
        if row.question.is_choice:
            held = ",".join(sorted(str(c.pk) for c in row.choices.all()))
        else:
            held = row.answer_text
        stored.setdefault((row.attempt_id, row.question_id), set()).add(held)
    missing = sum(1 for key in expected if key not in stored)
    changed = sum(
        1 for key, value in expected.items() if key in stored and value.strip() not in stored[key]
    )
    return {
        "attempts": attempts.count(),
        "residents_started": len(per_user),
        "extra_attempts": extra_attempts,
        "rows_expected": len(expected),
        "rows_stored": rows.count(),
        "missing_rows": missing,
        "changed_rows": changed,
        "lost": missing + changed,
        "duplicated_rows": duplicated_rows,
        "duplicated": duplicated_rows + extra_attempts,
    }


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "targets":
        targets(argv[2])
    elif command == "responses":
        responses()
    elif command == "duplicates":
        duplicates(int(argv[2]))
    elif command == "exam":
        exam(argv[2])
    elif command == "exam-check":
        print(json.dumps(exam_check(int(argv[2]), argv[3])))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
