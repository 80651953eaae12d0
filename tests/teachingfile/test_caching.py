"""Cached renders of case text: faster, and never older than the case."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AbstractUser
from django.core.cache import cache
from django.test import Client

from quiz import reading
from teachingfile import caching
from teachingfile.models import Case, Choice, Question
from teachingfile.services import case_touch, case_transition
from tests.factories import ChoiceFactory, QuestionFactory


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    cache.clear()
    caching.clear_local()


def _answerable_case(**fields: object) -> Case:
    question = QuestionFactory(case__presentation="A **firm** lump for a year.", **fields)
    ChoiceFactory(question=question, is_correct=True)
    return question.case


def test_it_renders_markdown_once_per_text(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = caching.render_markdown

    def counting(text: str) -> str:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(caching, "render_markdown", counting)

    first = caching.markdown_html("Some *emphasis*.")
    second = caching.markdown_html("Some *emphasis*.")

    assert first == second == "<p>Some <em>emphasis</em>.</p>"
    assert calls == ["Some *emphasis*."]


def test_cached_markdown_is_still_sanitised() -> None:
    html = caching.markdown_html("<script>alert(1)</script> [x](javascript:alert(1))")
    assert "<script" not in html
    assert "javascript:" not in html
    # The second answer comes from the cache and must be just as clean.
    assert caching.markdown_html("<script>alert(1)</script> [x](javascript:alert(1))") == html


@pytest.mark.django_db
def test_case_rows_are_served_from_the_cache_until_the_case_is_touched(
    editor: AbstractUser,
) -> None:
    case = _answerable_case()
    question = case.questions.get()
    before = reading.case_content(Case.objects.get(pk=case.pk)).questions[0].prompt

    # Changed behind the services' back: the cache still answers, which shows it is used...
    Question.objects.filter(pk=question.pk).update(prompt="What is the second finding?")
    assert reading.case_content(Case.objects.get(pk=case.pk)).questions[0].prompt == before

    # ...and every edit path touches the case, so the new rows are served at once.
    case_touch(case)
    fresh = reading.case_content(Case.objects.get(pk=case.pk))
    assert fresh.questions[0].prompt == "What is the second finding?"


@pytest.mark.django_db
def test_a_status_change_is_a_new_version(editor: AbstractUser) -> None:
    case = _answerable_case()
    case.status = Case.Status.DRAFT
    case.save()
    key = caching.case_key(case, caching.REVEAL, "content")
    case_transition(case=case, to_status=Case.Status.PUBLISHED, by=editor)
    case.refresh_from_db()
    assert caching.case_key(case, caching.REVEAL, "content") != key


@pytest.mark.django_db
def test_an_edit_changes_what_the_case_page_serves(resident: AbstractUser) -> None:
    case = _answerable_case()
    client = Client()
    client.force_login(resident)
    assert "<strong>firm</strong>" in client.get(case.get_absolute_url()).content.decode()

    case.presentation = "A **hard** lump for a year."
    case.save()

    page = client.get(case.get_absolute_url()).content.decode()
    assert "<strong>hard</strong>" in page
    assert "<strong>firm</strong>" not in page


@pytest.mark.django_db
def test_a_choice_edited_in_the_admin_is_served_at_once(
    editor: AbstractUser, resident: AbstractUser
) -> None:
    case = _answerable_case()
    client = Client()
    client.force_login(resident)
    choice = case.questions.get().choices.get()
    assert choice.text in client.get(case.get_absolute_url()).content.decode()

    # What the admin does on save: the inline rows first, then the case is touched.
    Choice.objects.filter(pk=choice.pk).update(text="Quite another answer")
    case_touch(case)

    assert "Quite another answer" in client.get(case.get_absolute_url()).content.decode()


def test_it_refuses_an_unknown_stage() -> None:
    with pytest.raises(ValueError, match="unknown stage"):
        caching.case_key(Case(pk=1, version=1), "after-lunch", "content")


@pytest.mark.django_db
def test_a_case_part_is_built_once_per_version() -> None:
    case = _answerable_case()
    built: list[int] = []

    def build() -> list[str]:
        built.append(1)
        return ["Q1", "Q2"]

    first = caching.for_case(case, caching.UNKNOWN, "questions", build)
    again = caching.for_case(case, caching.UNKNOWN, "questions", build)
    case_touch(case)
    edited = caching.for_case(case, caching.UNKNOWN, "questions", build)

    assert first == again == edited == ["Q1", "Q2"]
    assert len(built) == 2  # once per version


@pytest.mark.django_db
def test_a_case_part_keeps_stages_apart() -> None:
    case = _answerable_case()
    caching.for_case(case, caching.REVEAL, "figures", lambda: ["annotated"])
    before = caching.for_case(case, caching.UNKNOWN, "figures", lambda: ["plain"])
    assert before == ["plain"]


@pytest.mark.django_db
def test_a_restored_row_with_the_same_version_is_another_key() -> None:
    case = _answerable_case()
    key = caching.case_key(case, caching.REVEAL, "content")
    Case.objects.filter(pk=case.pk).update(updated_at=case.updated_at + timedelta(seconds=1))
    case.refresh_from_db()
    assert caching.case_key(case, caching.REVEAL, "content") != key
