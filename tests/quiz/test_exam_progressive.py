"""Progressive cases stay progressive in an exam, walked over the five seed cases.

Question n+1 is not in the page (markup, attributes, scripts or any URL) until question n
is committed; committing locks question n; nothing of the reveal shows before the exam
ends, and everything does after. Same leak rule as the library (tests/teachingfile/
test_case_detail.py, whose seeded fixture and secrets this module reuses).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client

from quiz.models import Attempt, Quiz, QuizItem, Response
from teachingfile.models import Case, Question
from tests.teachingfile.test_case_detail import (  # noqa: F401 (fixtures)
    SEED_IDS,
    _present,
    _run,
    _secrets,
    seed_media,
    seeded,
)

HX = {"HX-Request": "true"}


def _answer_for(question: Question) -> dict[str, object]:
    if question.kind == Question.Kind.FREE_TEXT:
        return {f"q{question.pk}": "no idea at all"}
    if question.kind == Question.Kind.REGION:  # issue 16: a marker on the image
        return {f"q{question.pk}": "0.5,0.5"}
    return {f"q{question.pk}": question.choices.all()[0].pk}


def _later_question_traces(question: Question) -> list[str]:
    """What would show that this question is in the page."""
    traces = [f'name="q{question.pk}"', f'id="q-{question.pk}"', _run(question.prompt)]
    traces += [f'value="{choice.pk}"' for choice in question.choices.all()]
    return [t for t in traces if t]


@pytest.mark.django_db
@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize("public_id", SEED_IDS)
@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain-post"])
def test_an_exam_asks_progressive_questions_one_at_a_time_and_reveals_only_at_the_end(
    client: Client, resident: AbstractUser, public_id: str, htmx: bool
) -> None:
    case = Case.objects.get(public_id=public_id)
    quiz = Quiz.objects.create(
        title="Seed exam", mode=Quiz.Mode.EXAM, time_limit=timedelta(minutes=20), is_open=True
    )
    QuizItem.objects.create(quiz=quiz, case=case)
    client.force_login(resident)
    client.post(f"/quizzes/{quiz.pk}/start/")
    attempt = Attempt.objects.get(quiz=quiz)
    page_url = f"/quizzes/{quiz.pk}/attempts/{attempt.pk}/cases/1/"
    secrets = _secrets(case)
    questions = list(case.questions.prefetch_related("choices"))
    headers = HX if htmx else {}

    batches = [[q] for q in questions] if case.progressive else [questions]
    for step, batch in enumerate(batches):
        page = client.get(page_url).content.decode()
        assert [s for s in secrets if _present(page, s)] == [], f"step {step}: reveal leaked"
        for question in batch:
            assert f'name="q{question.pk}"' in page
        later = [q for b in batches[step + 1 :] for q in b]
        for question in later:
            leaked = [t for t in _later_question_traces(question) if _present(page, t)]
            assert leaked == [], f"step {step}: Q{question.order} in the page: {leaked}"
        data: dict[str, object] = {}
        for question in batch:
            data.update(_answer_for(question))
        saved = client.post(f"{page_url}save/", data, headers=headers)
        assert saved.status_code == (200 if htmx else 302)
        assert [s for s in secrets if _present(saved.content.decode(), s)] == []
        if case.progressive:
            committed = client.post(f"{page_url}answer/", {**data, "go": "commit"})
            assert committed.status_code == 302
            # The committed answer is locked: changing it is refused and stores nothing.
            changed = client.post(f"{page_url}save/", _answer_for(batch[0]), headers=headers)
            assert changed.status_code == (422 if htmx else 409)
    assert Response.objects.filter(attempt=attempt).count() == len(questions)

    client.post(f"/quizzes/{quiz.pk}/attempts/{attempt.pk}/finish/", {"confirm": "hand-in"})
    after = client.get(page_url).content.decode()
    missing = [s for s in secrets if not _present(after, s)]
    assert missing == [], missing


@pytest.mark.django_db
@pytest.mark.usefixtures("seeded")
def test_a_later_question_cannot_be_answered_before_the_first_is_committed(
    client: Client, resident: AbstractUser
) -> None:
    case = Case.objects.get(public_id="tf-0003")
    first, second, _third = list(case.questions.all())
    quiz = Quiz.objects.create(
        title="Seed exam", mode=Quiz.Mode.EXAM, time_limit=timedelta(minutes=20), is_open=True
    )
    QuizItem.objects.create(quiz=quiz, case=case)
    client.force_login(resident)
    client.post(f"/quizzes/{quiz.pk}/start/")
    attempt = Attempt.objects.get(quiz=quiz)
    url = f"/quizzes/{quiz.pk}/attempts/{attempt.pk}/cases/1/"
    early = client.post(f"{url}save/", {f"q{second.pk}": "calciphylaxis"}, headers=HX)
    assert early.status_code == 422 and not Response.objects.exists()
    # Committing an unanswered question is refused too.
    blank = client.post(f"{url}answer/", {"go": "commit"})
    assert blank.status_code == 400 and "before committing" in blank.content.decode()
    attempt.refresh_from_db()
    assert attempt.committed == []
    assert first.pk  # the first question stays open
