"""similar_cases: ranked by shared keywords, ACR code, diagnosis words and category."""

from __future__ import annotations

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from teachingfile.models import Case, Keyword
from teachingfile.similar import diagnosis_words, similar_cases
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def _kw(*names: str) -> list[Keyword]:
    return [Keyword.objects.get_or_create(name=name)[0] for name in names]


@pytest.fixture
def source() -> Case:
    case = CaseFactory(
        diagnosis="Metastatic calcification from chronic renal insufficiency",
        acr_code="4.54",
        category="metabolic",
    )
    case.keywords.set(_kw("calcification", "renal failure", "bone scan"))
    return case


def test_it_ranks_cases_by_what_they_share(source: Case) -> None:
    two_keywords = CaseFactory(diagnosis="Tumoral calcinosis", category="other")
    two_keywords.keywords.set(_kw("calcification", "renal failure"))
    same_acr = CaseFactory(diagnosis="Something else", acr_code="4.54", category="other")
    same_word = CaseFactory(diagnosis="Dystrophic calcification", category="other")
    same_category = CaseFactory(diagnosis="Gout", category="metabolic")
    CaseFactory(diagnosis="Pneumonia", category="infection")  # shares nothing
    ranked = similar_cases(source)
    assert [c.pk for c in ranked] == [two_keywords.pk, same_acr.pk, same_word.pk, same_category.pk]
    assert ranked[0].similarity > ranked[-1].similarity  # type: ignore[attr-defined]


def test_it_offers_only_other_published_cases(source: Case) -> None:
    CaseFactory(diagnosis="Metastatic calcification", status=Case.Status.DRAFT)
    CaseFactory(diagnosis="Metastatic calcification", status=Case.Status.RETIRED)
    live = CaseFactory(diagnosis="Metastatic calcification")
    assert [c.pk for c in similar_cases(source)] == [live.pk]


def test_it_respects_the_limit_and_returns_nothing_for_a_case_sharing_nothing() -> None:
    lonely = CaseFactory(diagnosis="Xyzzy", category="", acr_code="")
    CaseFactory.create_batch(3, diagnosis="Other")
    assert similar_cases(lonely) == []
    busy = CaseFactory(category="infection")
    assert len(similar_cases(busy, limit=2)) == 2


def test_it_uses_two_queries_however_many_cases_match(source: Case) -> None:
    for _ in range(3):
        CaseFactory(diagnosis="Metastatic calcification").keywords.set(_kw("bone scan"))
    with CaptureQueriesContext(connection) as few:
        similar_cases(source)
    for _ in range(40):
        CaseFactory(diagnosis="Metastatic calcification").keywords.set(_kw("bone scan"))
    with CaptureQueriesContext(connection) as many:
        similar_cases(source)
    assert len(few.captured_queries) == len(many.captured_queries) == 2


def test_diagnosis_words_skip_the_common_ones() -> None:
    assert diagnosis_words("Metastatic calcification from chronic renal disease") == [
        "calcification",
        "metastatic",
        "renal",
    ]


def test_the_include_lists_similar_cases_by_unknown_title_only(source: Case) -> None:
    other = CaseFactory(diagnosis="Metastatic calcification", unknown_title="Man with leg ulcers")
    html = render_to_string(
        "teachingfile/includes/similar_cases.html", {"similar": similar_cases(source)}
    )
    assert "Man with leg ulcers" in html and other.public_id in html
    assert other.known_title not in html and "Metastatic" not in html
    assert (
        render_to_string("teachingfile/includes/similar_cases.html", {"similar": []}).strip() == ""
    )


def test_companions_are_linked_both_ways() -> None:
    first, second = CaseFactory(), CaseFactory()
    first.companions.add(second)
    assert list(second.companions.all()) == [first]


def test_the_reveal_template_tag_lists_similar_cases(source: Case) -> None:
    from django.template import Context, Template

    other = CaseFactory(diagnosis="Metastatic calcification", unknown_title="Man with leg ulcers")
    html = Template(
        "{% load similar_cases %}{% similar_to case as similar %}{{ similar|length }}"
        "{% for c in similar %} {{ c.public_id }}{% endfor %}"
    ).render(Context({"case": source}))
    assert html == f"1 {other.public_id}"
