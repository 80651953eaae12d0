"""The unknown case page: nothing of the reveal before answering, all of it after.

Walks the five seed cases (loaded once for the module): known title, diagnosis,
explanations, rationales, accepted answers, findings, discussion and the URLs of
reveal-only and annotated figures are absent before answering and present after, on
the htmx path and on the plain-post path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import AbstractUser
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from quiz.models import Response
from teachingfile.models import Case, Figure, Question
from teachingfile.seeding import load_seed_cases
from tests.factories import CaseFactory, ChoiceFactory, QuestionFactory, UserFactory

SEED_IDS = [f"tf-000{n}" for n in range(1, 6)]
# A cold page (the case's rows not yet cached for its version) loads them with plain
# prefetches; a warm one reads them from the cache and asks only for the learner's rows.
# Every page also counts the resident's due reviews for the menu.
# Issue 18: + the user's collections for "Add to collection".
MAX_QUERIES = 15
MAX_WARM_QUERIES = 7
# The reveal adds its comments, companions, ratings, similar cases and choice shares.
MAX_REVEALED_QUERIES = 13


@pytest.fixture(scope="module")
def seed_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("seed-media")


@pytest.fixture(scope="module")
def seeded(django_db_setup: None, django_db_blocker: object, seed_media: Path) -> Iterator[None]:
    # Loading renders and encodes ~23 figures: once per module, rolled back at the end.
    unblock = django_db_blocker.unblock  # type: ignore[attr-defined]
    with unblock(), override_settings(MEDIA_ROOT=seed_media), transaction.atomic():
        load_seed_cases()
        yield
        transaction.set_rollback(True)


def _run(text: str) -> str:
    """A distinctive stretch of plain words from authored Markdown, to look for in HTML.

    Runs stop at Markdown markup, so a needle never spans a tag in the rendered page.
    """
    runs = re.findall(r"[A-Za-z0-9][A-Za-z0-9 ,.()-]{11,}", text or "")
    return max(runs, key=len)[:60].strip() if runs else ""


def _public_text(case: Case) -> str:
    parts = [case.unknown_title, case.presentation]
    for question in case.questions.all():
        parts.append(question.prompt)
        parts += [c.text for c in question.choices.all()]
    for figure in case.figures.all():
        parts += [figure.neutral_caption, figure.alt_text, figure.label]
    parts += [str(lab) for lab in case.lab_values.filter(shown_before_reveal=True)]
    return " ".join(parts).lower()


def _secrets(case: Case) -> list[str]:
    """Strings that belong to the reveal only."""
    public = _public_text(case)
    secrets = [case.known_title, case.diagnosis, _run(case.findings), _run(case.discussion)]
    for question in case.questions.all():
        secrets.append(_run(question.explanation))
        secrets += [_run(c.rationale) for c in question.choices.all()]
        secrets += [a.text for a in question.accepted_answers.all() if len(a.text) >= 12]
    for figure in Figure.objects.filter(case=case):
        if figure.stage == Figure.Stage.REVEAL:
            secrets.append(default_storage.url(figure.display.name))
        if figure.annotated_display:
            secrets.append(default_storage.url(figure.annotated_display.name))
        # Drawn annotations (issue 16): their labels belong to the reveal.
        secrets += [shape["text"] for shape in figure.annotations if shape["type"] == "text"]
    return [s for s in secrets if s and s.lower() not in public]


def _present(body: str, needle: str) -> bool:
    # Authored text reaches the page HTML-escaped.
    from django.utils.html import escape

    low = body.lower()
    return needle.lower() in low or escape(needle).lower() in low


def _answer_everything(client: Client, case: Case, *, htmx: bool) -> str:
    """Answer each question (progressive cases one at a time); return the last body."""
    headers = {"HX-Request": "true"} if htmx else {}
    questions = list(case.questions.prefetch_related("choices"))
    batches = [[q] for q in questions] if case.progressive else [questions]
    body = ""
    for batch in batches:
        data: dict[str, object] = {}
        for question in batch:
            if question.kind == Question.Kind.FREE_TEXT:
                data[f"q{question.pk}"] = "no idea at all"
            elif question.kind == Question.Kind.REGION:
                data[f"q{question.pk}"] = "0.5,0.5"  # issue 16: a marker on the image
            else:
                data[f"q{question.pk}"] = question.choices.all()[0].pk
        response = client.post(f"/cases/{case.public_id}/answer/", data, headers=headers)
        assert response.status_code == (200 if htmx else 302), response.content[:500]
        body = response.content.decode()
    if not htmx:
        body = client.get(case.get_absolute_url()).content.decode()
    return body


@pytest.mark.django_db
@pytest.mark.parametrize("public_id", SEED_IDS)
@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain-post"])
def test_it_hides_every_reveal_string_before_answering_and_shows_them_after(
    seeded: None, client: Client, resident: AbstractUser, public_id: str, htmx: bool
) -> None:
    case = Case.objects.get(public_id=public_id)
    secrets = _secrets(case)
    assert len(secrets) >= 6, secrets  # the test would prove nothing without them
    client.force_login(resident)
    before = client.get(case.get_absolute_url())
    assert before.status_code == 200
    leaked = [s for s in secrets if _present(before.content.decode(), s)]
    assert leaked == []

    after = _answer_everything(client, case, htmx=htmx)
    missing = [s for s in secrets if not _present(after, s)]
    assert missing == [], "\n".join(missing)


@pytest.mark.django_db
def test_a_progressive_case_shows_question_two_only_after_question_one(
    seeded: None, client: Client, resident: AbstractUser
) -> None:
    case = Case.objects.get(public_id="tf-0001")
    first, second = list(case.questions.all())
    client.force_login(resident)
    body = client.get(case.get_absolute_url()).content.decode()
    assert f'name="q{first.pk}"' in body and f'name="q{second.pk}"' not in body
    skip = client.post(f"/cases/{case.public_id}/answer/", {f"q{second.pk}": "dystrophic"})
    assert skip.status_code == 409 and not Response.objects.exists()
    client.post(f"/cases/{case.public_id}/answer/", {f"q{first.pk}": "chest wall uptake"})
    body = client.get(case.get_absolute_url()).content.decode()
    assert f'name="q{second.pk}"' in body
    assert _run(first.explanation).lower() in body.lower()
    assert _run(second.explanation).lower() not in body.lower()
    assert case.diagnosis not in body


def _queries(client: Client, method: str, url: str, data: dict[str, object] | None = None) -> int:
    """Statements one request sends, as production would send them.

    The test runs inside a transaction, so each atomic block in the view becomes a
    SAVEPOINT/RELEASE pair here; in production it is a BEGIN/COMMIT that the driver
    issues and Django does not log. Those pairs are left out of the count.
    """
    with CaptureQueriesContext(connection) as ctx:
        if method == "get":
            response = client.get(url)
        else:
            response = client.post(url, data or {}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    statements = [q["sql"] for q in ctx.captured_queries]
    return len([sql for sql in statements if "SAVEPOINT" not in sql.upper()])


def _grow_library(n: int, user: AbstractUser) -> None:
    from quiz.services import Answer, case_answer

    for _ in range(n):
        other = CaseFactory()
        question = QuestionFactory(case=other)
        choice = ChoiceFactory(question=question, is_correct=True)
        case_answer(user=user, case=other, answers={question.pk: Answer(frozenset({choice.pk}))})


@pytest.mark.django_db
def test_the_case_page_and_the_submit_make_a_fixed_number_of_queries(
    seeded: None, client: Client, resident: AbstractUser
) -> None:
    case = Case.objects.get(public_id="tf-0002")
    questions = list(case.questions.prefetch_related("choices"))
    data = {
        f"q{q.pk}": (q.choices.all()[0].pk if q.is_choice else "renal failure") for q in questions
    }
    # Issue 16: tf-0002's "click on the finding" question takes a marker.
    data |= {f"q{q.pk}": "0.43,0.28" for q in questions if q.is_region}
    client.force_login(resident)
    # Django probes SQLite's JSON support once per connection, on first use: not per page.
    assert connection.features.supports_json_field

    def cold_and_warm() -> tuple[int, int]:
        # Cold: the case's rows are not in the cache yet (first visit after an edit).
        cache.clear()
        return _queries(client, "get", case.get_absolute_url()), _queries(
            client, "get", case.get_absolute_url()
        )

    small_cold, small_warm = cold_and_warm()
    _grow_library(30, resident)
    other = UserFactory()
    _grow_library(5, other)
    big_cold, big_warm = cold_and_warm()
    submit = _queries(client, "post", f"/cases/{case.public_id}/answer/", data)
    revealed = _queries(client, "get", case.get_absolute_url())
    assert (small_cold, small_warm) == (big_cold, big_warm)
    assert big_warm < big_cold <= MAX_QUERIES, (big_warm, big_cold)
    assert big_warm <= MAX_WARM_QUERIES, big_warm
    assert revealed <= MAX_REVEALED_QUERIES, revealed
    assert submit <= MAX_QUERIES, submit


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain-post"])
def test_it_never_shows_the_unplaced_import_text_to_a_resident(
    client: Client, resident: AbstractUser, htmx: bool
) -> None:
    # Text an import could not place is for the author: not before, not after the reveal.
    case = CaseFactory(unplaced="Zanzibarunplaced note: Subject line and pager 4471")
    question = QuestionFactory(case=case)
    ChoiceFactory(question=question, is_correct=True)
    client.force_login(resident)
    before = client.get(case.get_absolute_url()).content.decode()
    assert "Zanzibarunplaced" not in before and "pager 4471" not in before
    after = _answer_everything(client, case, htmx=htmx)
    assert case.diagnosis in after  # the reveal happened
    assert "Zanzibarunplaced" not in after and "pager 4471" not in after
