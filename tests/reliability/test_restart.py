"""An exam survives a server restart: the deadline and the answers live in the database.

"Restart" here means what a new server process would have: every database connection
closed and every cache emptied. Only the session cookie carries over, as in a browser.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import connections
from django.test import Client
from django.utils import timezone

from quiz.models import Attempt, Cohort, Quiz, Response
from tests.factories import (
    AssignmentFactory,
    CaseFactory,
    ChoiceFactory,
    QuestionFactory,
    QuizFactory,
    QuizItemFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _exam(cohort: Cohort) -> tuple[Quiz, list[tuple[int, int]]]:
    """A 30-minute exam of two cases; returns the quiz and (question, right choice) pairs."""
    quiz = QuizFactory(mode=Quiz.Mode.EXAM, time_limit=timedelta(minutes=30), is_open=False)
    AssignmentFactory(quiz=quiz, cohort=cohort)
    pairs = []
    for order in (1, 2):
        case = CaseFactory()
        question = QuestionFactory(case=case)
        right = ChoiceFactory(question=question, is_correct=True)
        ChoiceFactory(question=question)
        QuizItemFactory(quiz=quiz, case=case, order=order)
        pairs.append((question.pk, right.pk))
    return quiz, pairs


def _restart(old: Client) -> Client:
    connections.close_all()
    for cache in caches.all():
        cache.clear()
    fresh = Client()
    fresh.cookies = old.cookies  # the browser keeps its session cookie
    return fresh


def test_an_exam_keeps_its_deadline_and_answers_across_a_restart(
    client: Client, resident: object, cohort: Cohort, time_machine: object
) -> None:
    time_machine.move_to(timezone.now(), tick=False)  # type: ignore[attr-defined]
    quiz, pairs = _exam(cohort)
    client.force_login(resident)  # type: ignore[arg-type]
    started = client.post(f"/quizzes/{quiz.pk}/start/")
    assert started.status_code == 302
    attempt = Attempt.objects.get(user=resident, quiz=quiz)
    assert attempt.deadline == timezone.now() + timedelta(minutes=30)
    (question, choice), _ = pairs
    saved = client.post(
        f"/quizzes/{quiz.pk}/attempts/{attempt.pk}/cases/1/answer/", {f"q{question}": choice}
    )
    assert saved.status_code == 302

    client = _restart(client)

    resumed = client.post(f"/quizzes/{quiz.pk}/start/")
    # Resuming lands on the case not yet answered, in the same attempt.
    assert resumed["Location"] == f"/quizzes/{quiz.pk}/attempts/{attempt.pk}/cases/2/"
    again = Attempt.objects.get(pk=attempt.pk)
    assert again.deadline == attempt.deadline
    assert Attempt.objects.filter(user=resident, quiz=quiz).count() == 1
    kept = Response.objects.get(attempt=attempt, question_id=question)
    assert list(kept.choices.values_list("pk", flat=True)) == [choice]
    # The page shows the saved answer as chosen: a reload loses nothing.
    page = client.get(f"/quizzes/{quiz.pk}/attempts/{attempt.pk}/cases/1/").content.decode()
    assert f'name="q{question}" value="{choice}" checked' in page


def test_after_a_restart_a_late_answer_is_still_refused(
    client: Client, resident: object, cohort: Cohort, time_machine: object
) -> None:
    time_machine.move_to(timezone.now(), tick=False)  # type: ignore[attr-defined]
    quiz, pairs = _exam(cohort)
    client.force_login(resident)  # type: ignore[arg-type]
    client.post(f"/quizzes/{quiz.pk}/start/")
    attempt = Attempt.objects.get(user=resident, quiz=quiz)

    client = _restart(client)
    time_machine.move_to(attempt.deadline + timedelta(seconds=1), tick=False)  # type: ignore[attr-defined]

    (_, _), (question, choice) = pairs
    late = client.post(
        f"/quizzes/{quiz.pk}/attempts/{attempt.pk}/cases/2/answer/", {f"q{question}": choice}
    )
    assert late.status_code == 409
    assert "Time is up" in late.content.decode()
    htmx_late = client.post(
        f"/quizzes/{quiz.pk}/attempts/{attempt.pk}/cases/2/answer/",
        {f"q{question}": choice},
        headers={"HX-Request": "true"},
    )
    assert "Time is up" in htmx_late.content.decode()
    # Closing the exam records the unanswered question as missed; the late choice is
    # nowhere, and the attempt is finished at its deadline, not at the late post.
    missed = Response.objects.get(attempt=attempt, question_id=question)
    assert missed.score == 0
    assert not missed.choices.exists()
    attempt.refresh_from_db()
    assert attempt.finished_at is not None and attempt.finished_at <= attempt.deadline


@pytest.mark.slow
def test_a_crashed_server_comes_back_with_the_exam_as_it_was(server: tuple) -> None:
    """A real gunicorn, killed with SIGKILL mid-exam, then started again on the same file."""
    from tests.reliability.liveprocess import log_in

    live, data = server
    examinee = log_in(live, "examinee")["examinee"]
    started = examinee.request(f"/quizzes/{data['exam']}/start/", {})
    attempt = started.location.rstrip("/").split("/")[-3]
    (q1, c1), (q2, c2) = data["exam_items"]
    base = f"/quizzes/{data['exam']}/attempts/{attempt}/cases"
    assert examinee.request(f"{base}/1/answer/", {f"q{q1}": c1}).status == 302
    read = (
        "from quiz.models import Attempt\n"
        f"a = Attempt.objects.get(pk={attempt})\n"
        "print(json.dumps([a.deadline.isoformat(), a.finished_at is None,"
        " list(a.responses.values_list('question_id', flat=True))]))"
    )
    before = live.run_script(read)

    live.kill()
    live.start()

    assert live.run_script(read) == before
    resumed = examinee.request(f"/quizzes/{data['exam']}/start/", {})
    assert resumed.location == f"{base}/2/"
    page = examinee.request(f"{base}/1/")
    assert f'name="q{q1}" value="{c1}" checked' in page.body

    # Time passing, as the server sees it: the stored deadline is now behind us.
    live.run_script(
        "from datetime import timedelta\nfrom django.utils import timezone\n"
        "from quiz.models import Attempt\n"
        f"Attempt.objects.filter(pk={attempt})"
        ".update(deadline=timezone.now() - timedelta(seconds=1))\nprint('{}')"
    )
    late = examinee.request(f"{base}/2/answer/", {f"q{q2}": c2})
    assert late.status == 409
    assert "Time is up" in late.body
