"""Cached renders of case text: faster, and never older than the case."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser
from django.core.cache import cache
from django.test import Client

from teachingfile import caching
from teachingfile.models import Case
from teachingfile.services import case_transition
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
def test_unknown_sections_hold_nothing_of_the_reveal() -> None:
    case = _answerable_case()
    case.findings = "Secret findings."
    case.discussion = "Secret discussion."
    case.save()

    sections = caching.case_sections(case, caching.UNKNOWN)

    assert set(sections) == {"presentation"}
    assert "Secret" not in "".join(sections.values())
    assert "Secret findings" in caching.case_sections(case, caching.REVEAL)["findings"]


@pytest.mark.django_db
def test_sections_are_served_from_the_cache_until_the_version_changes(
    editor: AbstractUser,
) -> None:
    case = _answerable_case()
    case.status = Case.Status.DRAFT
    case.save()
    before = caching.case_sections(case, caching.UNKNOWN)["presentation"]

    # Changed without a version bump: the cache still answers, which shows it is used...
    Case.objects.filter(pk=case.pk).update(presentation="A soft lump since spring.")
    case.refresh_from_db()
    assert caching.case_sections(case, caching.UNKNOWN)["presentation"] == before

    # ...and every real edit path bumps the version, so the new text is served.
    case_transition(case=case, to_status=Case.Status.PUBLISHED, by=editor)
    case.refresh_from_db()
    assert (
        "A soft lump since spring." in caching.case_sections(case, caching.UNKNOWN)["presentation"]
    )


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


def test_it_refuses_an_unknown_stage() -> None:
    with pytest.raises(ValueError, match="unknown stage"):
        caching.case_sections(Case(pk=1), "after-lunch")


def test_a_case_part_is_built_once_per_version() -> None:
    built: list[int] = []

    def build() -> list[str]:
        built.append(1)
        return ["Q1", "Q2"]

    first = caching.for_case_version(7, 3, caching.UNKNOWN, "questions", build)
    again = caching.for_case_version(7, 3, caching.UNKNOWN, "questions", build)
    edited = caching.for_case_version(7, 4, caching.UNKNOWN, "questions", build)

    assert first == again == edited == ["Q1", "Q2"]
    assert len(built) == 2  # once for version 3, once for version 4


def test_a_case_part_keeps_stages_apart() -> None:
    caching.for_case_version(7, 1, caching.REVEAL, "figures", lambda: ["annotated"])
    before = caching.for_case_version(7, 1, caching.UNKNOWN, "figures", lambda: ["plain"])
    assert before == ["plain"]
