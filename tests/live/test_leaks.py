"""Nothing of an unopened question or of a reveal reaches a phone before the presenter shows it.

The library's leak test (tests/teachingfile/test_case_detail.py) walked through a live
session over the five seed cases, step by step: at every step the participant's page and
its polled fragment are searched for every reveal string (known title, diagnosis,
findings, discussion, reveal-only and annotated figure URLs, explanations, rationales,
accepted answers) and for the prompts of questions not yet opened. Phones never get the
case reveal; a question's explanation reaches them at its reveal step, not before.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import AbstractUser
from django.core.files.storage import default_storage
from django.db import transaction
from django.test import Client, override_settings

from live import services
from teachingfile.models import Case, Figure, Question
from teachingfile.seeding import load_seed_cases
from tests.factories import make_live_session
from tests.teachingfile.test_case_detail import _present, _run

SEED_IDS = [f"tf-000{n}" for n in range(1, 6)]


@pytest.fixture(scope="module")
def seeded(
    django_db_setup: None, django_db_blocker: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    media = tmp_path_factory.mktemp("live-seed-media")
    unblock = django_db_blocker.unblock  # type: ignore[attr-defined]
    with unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        load_seed_cases()
        yield media
        transaction.set_rollback(True)


def _case_secrets(case: Case) -> list[str]:
    secrets = [case.known_title, case.diagnosis, _run(case.findings), _run(case.discussion)]
    for figure in Figure.objects.filter(case=case):
        if figure.stage == Figure.Stage.REVEAL:
            secrets.append(default_storage.url(figure.display.name))
        if figure.annotated_display:
            secrets.append(default_storage.url(figure.annotated_display.name))
    return [s for s in secrets if s]


def _question_secrets(question: Question) -> list[str]:
    secrets = [_run(question.explanation)]
    secrets += [_run(c.rationale) for c in question.choices.all()]
    secrets += [a.text for a in question.accepted_answers.all() if len(a.text) >= 12]
    return [s for s in secrets if s]


def _public(cases: list[Case]) -> str:
    """What the unknown views show anyway: a secret that is also public text proves nothing."""
    parts = []
    for case in cases:
        parts += [case.unknown_title, case.presentation]
        for question in case.questions.all():
            parts.append(question.prompt)
            parts += [c.text for c in question.choices.all()]
    return " ".join(parts).lower()


def _answer(question: Question) -> dict[str, object]:
    if question.kind == Question.Kind.FREE_TEXT:
        return {"question": question.pk, f"q{question.pk}": "no idea at all"}
    if question.kind == Question.Kind.REGION:  # issue 16: a marker on the image
        return {"question": question.pk, f"q{question.pk}": "0.5,0.5"}
    return {"question": question.pk, f"q{question.pk}": question.choices.all()[0].pk}


@pytest.mark.django_db
def test_a_phone_sees_each_question_and_its_feedback_only_when_the_presenter_shows_it(
    seeded: Path, client: Client, faculty: AbstractUser, resident: AbstractUser
) -> None:
    with override_settings(MEDIA_ROOT=seeded):
        cases = [Case.objects.get(public_id=p) for p in SEED_IDS]
        session = make_live_session(faculty, cases)
        questions = {q.pk: q for q in Question.objects.filter(case__in=cases)}
        plan = [questions[q] for q, _ in session.plan]
        public = _public(cases)
        always = [s for case in cases for s in _case_secrets(case) if s.lower() not in public]
        assert len(always) >= 20, always  # the test would prove nothing without them
        client.force_login(resident)
        client.post("/live/join/", {"code": session.code})
        page_url, stage_url = f"/live/{session.code}/", f"/live/{session.code}/stage/"
        revealed = ""
        checked = 0

        def look() -> str:
            page = client.get(page_url).content.decode()
            fragment = client.get(stage_url, headers={"HX-Request": "true"}).content.decode()
            return page + fragment

        def assert_nothing_leaks(body: str, position: int, step: str) -> None:
            nonlocal checked
            forbidden = [s for s in always if s.lower() not in revealed]
            for n, question in enumerate(plan):
                shown_feedback = n < position or (n == position and step == "reveal")
                if not shown_feedback:
                    forbidden += [
                        s
                        for s in _question_secrets(question)
                        if s.lower() not in public and s.lower() not in revealed
                    ]
                prompt = _run(question.prompt)
                if n > position and prompt and prompt.lower() not in revealed:
                    # Not yet opened: not even the question. Prompts shared with an
                    # opened question's text would prove nothing.
                    opened = " ".join(_run(q.prompt).lower() for q in plan[: position + 1])
                    if prompt.lower() not in opened:
                        forbidden.append(prompt)
            leaked = [s for s in forbidden if _present(body, s)]
            assert leaked == [], f"position {position}, step {step}: {leaked}"
            checked += len(forbidden)

        assert_nothing_leaks(look(), -1, "lobby")
        for position, question in enumerate(plan):
            session = services.session_step(session=session, action="next", by=faculty)
            assert (session.position, session.step) == (position, "open")
            assert_nothing_leaks(look(), position, "open")
            reply = client.post(
                f"/live/{session.code}/answer/", _answer(question), headers={"HX-Request": "true"}
            )
            assert reply.status_code == 200, reply.content[:300]
            assert_nothing_leaks(look() + reply.content.decode(), position, "answered")
            for step in ("closed", "distribution"):
                session = services.session_step(session=session, action="next", by=faculty)
                assert session.step == step
                assert_nothing_leaks(look(), position, step)
            session = services.session_step(session=session, action="next", by=faculty)
            # From here the question's feedback is theirs: its accepted answers may name
            # the diagnosis, which then is no longer a secret on the phone.
            revealed += " " + question.explanation.lower() + " "
            revealed += " ".join(c.rationale for c in question.choices.all()).lower() + " "
            revealed += " ".join(a.text for a in question.accepted_answers.all()).lower()
            body = look()
            assert_nothing_leaks(body, position, "reveal")
            explanation = _run(question.explanation)
            if explanation:
                assert _present(body, explanation), f"the reveal of {question} is missing"
        assert checked > 200
