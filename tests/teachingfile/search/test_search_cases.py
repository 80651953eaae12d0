"""search_cases: ranking, filters, and the rule that search never spoils a case."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser

from quiz.models import Quiz
from teachingfile.models import Case, Keyword
from teachingfile.search.query import SearchFilters, make_snippet, search_cases
from teachingfile.search.services import index_case, reindex_all
from tests.factories import (
    AttemptFactory,
    CaseFactory,
    QuestionFactory,
    QuizFactory,
    RatingFactory,
    ResponseFactory,
)

pytestmark = pytest.mark.django_db


def _case(**fields: object) -> Case:
    case = CaseFactory(**fields)
    index_case(case)
    return case


def _ids(results: object) -> list[str]:
    return [hit.case.public_id for hit in results.hits]  # type: ignore[attr-defined]


def _answer(user: AbstractUser, case: Case) -> None:
    question = QuestionFactory(case=case)
    ResponseFactory(attempt=AttemptFactory(user=user, case=case), question=question)


@pytest.fixture
def spoiler_case() -> Case:
    case = _case(
        unknown_title="Woman with mid back pain",
        presentation="Worsening mid back pain for three months.",
        known_title="Metastatic calcification",
        diagnosis="Metastatic calcification from renal insufficiency",
        findings="Diffuse pulmonary uptake of tracer.",
        discussion="Calcium phosphate product exceeded.",
    )
    case.keywords.add(Keyword.objects.create(name="hypercalcaemia"))
    index_case(case)
    return case


def test_it_hides_a_case_from_learners_searching_its_diagnosis_before_they_answer(
    resident: AbstractUser, spoiler_case: Case
) -> None:
    for words in ("metastatic calcification", "renal insufficiency", "pulmonary", "hypercalc"):
        assert search_cases(query=words, user=resident).total == 0, words


def test_it_finds_an_unanswered_case_by_pre_reveal_text_with_no_hidden_snippet(
    resident: AbstractUser, spoiler_case: Case
) -> None:
    results = search_cases(query="back pain", user=resident)
    assert _ids(results) == [spoiler_case.public_id]
    hit = results.hits[0]
    assert not hit.revealed
    assert hit.known_title == ""
    assert "<mark>back</mark>" in hit.snippet
    for secret in ("Metastatic", "calcification", "pulmonary", "phosphate", "hypercalc"):
        assert secret.lower() not in hit.snippet.lower()


def test_it_matches_the_reveal_once_the_learner_has_answered(
    resident: AbstractUser, other_resident: AbstractUser, spoiler_case: Case
) -> None:
    _answer(resident, spoiler_case)
    results = search_cases(query="renal insufficiency", user=resident)
    assert _ids(results) == [spoiler_case.public_id]
    assert results.hits[0].revealed
    assert results.hits[0].known_title == "Metastatic calcification"
    # Someone else's answer entitles nobody else.
    assert search_cases(query="renal insufficiency", user=other_resident).total == 0


def test_it_keeps_the_reveal_hidden_while_an_exam_is_still_running(
    resident: AbstractUser, spoiler_case: Case
) -> None:
    exam = QuizFactory(mode=Quiz.Mode.EXAM)
    attempt = AttemptFactory(user=resident, quiz=exam)
    ResponseFactory(attempt=attempt, question=QuestionFactory(case=spoiler_case))
    assert search_cases(query="renal insufficiency", user=resident).total == 0
    attempt.finished_at = attempt.started_at
    attempt.save()
    assert search_cases(query="renal insufficiency", user=resident).total == 1


def test_faculty_match_the_full_text_and_see_the_known_title(
    faculty: AbstractUser, spoiler_case: Case
) -> None:
    results = search_cases(query="hypercalc", user=faculty)
    assert _ids(results) == [spoiler_case.public_id]
    assert results.hits[0].known_title == "Metastatic calcification"


def test_learners_never_find_drafts_but_faculty_can_filter_by_status(
    resident: AbstractUser, faculty: AbstractUser
) -> None:
    draft = _case(presentation="Draft about gout.", status=Case.Status.DRAFT)
    live = _case(presentation="Live about gout.")
    assert _ids(search_cases(query="gout", user=resident)) == [live.public_id]
    assert sorted(_ids(search_cases(query="gout", user=faculty))) == sorted(
        [draft.public_id, live.public_id]
    )
    only_drafts = search_cases(query="gout", user=faculty, filters=SearchFilters(status="draft"))
    assert _ids(only_drafts) == [draft.public_id]
    # A resident asking for drafts still gets published cases only.
    asked = search_cases(query="gout", user=resident, filters=SearchFilters(status="draft"))
    assert _ids(asked) == [live.public_id]


def test_it_ranks_title_matches_above_body_matches(resident: AbstractUser) -> None:
    body_only = _case(unknown_title="Man with a limp", presentation="Knee swelling after a fall.")
    in_title = _case(unknown_title="Knee swelling in a runner", presentation="Two weeks.")
    assert _ids(search_cases(query="knee", user=resident)) == [
        in_title.public_id,
        body_only.public_id,
    ]


def test_every_word_must_match_as_a_prefix(resident: AbstractUser) -> None:
    both = _case(presentation="Chronic renal failure and calf ulcers.")
    _case(presentation="Chronic cough.")
    assert _ids(search_cases(query="chron ulcer", user=resident)) == [both.public_id]
    assert search_cases(query="the of and", user=resident).total == 0


def test_it_applies_modality_region_category_and_difficulty_filters(
    resident: AbstractUser,
) -> None:
    ct = _case(presentation="Swelling.", modalities="CT MR", region="chest", category="trauma")
    xr = _case(presentation="Swelling.", modalities="CR", region="spine", category="neoplasm")
    RatingFactory(case=ct, difficulty=4)
    RatingFactory(case=xr, difficulty=2)

    def found(**kw: object) -> list[str]:
        return _ids(search_cases(query="swelling", user=resident, filters=SearchFilters(**kw)))

    assert found(modality="MR") == [ct.public_id]
    assert found(modality="M") == []  # whole codes only
    assert found(region="spine") == [xr.public_id]
    assert found(category="trauma") == [ct.public_id]
    assert found(difficulty=2) == [xr.public_id]
    assert sorted(found()) == sorted([ct.public_id, xr.public_id])


def test_it_pages_with_a_total_that_counts_every_match(resident: AbstractUser) -> None:
    for _ in range(7):
        _case(presentation="Shoulder pain.")
    first = search_cases(query="shoulder", user=resident, limit=5)
    second = search_cases(query="shoulder", user=resident, limit=5, offset=5)
    assert first.total == second.total == 7
    assert len(first.hits) == 5 and len(second.hits) == 2
    assert first.has_next and not second.has_next
    assert not set(_ids(first)) & set(_ids(second))


def test_query_syntax_characters_are_plain_words(resident: AbstractUser) -> None:
    case = _case(presentation="Pain in the hip.")
    for query in ('hip"', "hip*", "hip OR NOT", "(hip)", "hip:*", "hip' --"):
        assert case.public_id in _ids(search_cases(query=query, user=resident)), query


def test_reindex_all_rebuilds_an_index_that_went_stale(resident: AbstractUser) -> None:
    case = CaseFactory(presentation="Ankle sprain.")  # saved without indexing
    assert search_cases(query="ankle", user=resident).total == 0
    assert reindex_all() >= 1
    assert _ids(search_cases(query="ankle", user=resident)) == [case.public_id]
    Case.objects.filter(pk=case.pk).update(presentation="Wrist sprain.")
    index_case(case)
    assert search_cases(query="ankle", user=resident).total == 0
    assert search_cases(query="wrist", user=resident).total == 1


def test_the_snippet_escapes_html_and_marks_each_term() -> None:
    snippet = make_snippet("<b>Back</b> pain and backache", ["back"])
    assert "<b>" not in snippet
    assert "&lt;b&gt;<mark>Back</mark>&lt;/b&gt;" in snippet
    assert "<mark>backache</mark>" in snippet
