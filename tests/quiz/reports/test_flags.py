"""Statistics send weak cases back: flags on the peer-review queue and the author's home."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from quiz.models import FlagDismissal
from quiz.reports.flags import case_flags, expected_facility
from quiz.reports.statistics import MIN_N
from teachingfile.models import Case
from tests.factories import (
    AttemptFactory,
    CaseFactory,
    QuestionFactory,
    QuizFactory,
    QuizItemFactory,
    RatingFactory,
    ResponseFactory,
)

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def _seed(owner, learners: int = 6, key_scores=None):  # type: ignore[no-untyped-def]
    """A miskeyed case: the learners who do best elsewhere miss it, the weakest get it."""
    quiz = QuizFactory()
    miskeyed, anchor = CaseFactory(owner=owner), CaseFactory()
    QuizItemFactory(quiz=quiz, case=miskeyed, order=0)
    QuizItemFactory(quiz=quiz, case=anchor, order=1)
    q = QuestionFactory(case=miskeyed)
    a1, a2 = QuestionFactory(case=anchor, order=1), QuestionFactory(case=anchor, order=2)
    rest = [(1, 1), (1, 1), (1, 0), (0, 1), (0, 0), (0, 0)][:learners]
    key_scores = key_scores or [0, 0, 0, 1, 1, 1][:learners]
    for (s1, s2), key in zip(rest, key_scores, strict=True):
        attempt = AttemptFactory(quiz=quiz, finished_at=timezone.now())
        ResponseFactory(attempt=attempt, question=q, score=key)
        ResponseFactory(attempt=attempt, question=a1, score=s1)
        ResponseFactory(attempt=attempt, question=a2, score=s2)
    return miskeyed


def test_a_case_with_negative_discrimination_is_flagged_with_its_numbers(  # type: ignore[no-untyped-def]
    client, faculty, other_faculty
) -> None:
    case = _seed(other_faculty)
    client.force_login(faculty)
    body = client.get(reverse("peer_review:review_queue")).content.decode()
    assert f'id="flag-{case.public_id}"' in body
    assert "negative discrimination" in body
    assert "6 counted first attempts" in body
    assert "Q1 discrimination -0." in body


def test_the_flag_disappears_once_dismissed_with_a_note(client, faculty, other_faculty) -> None:  # type: ignore[no-untyped-def]
    case = _seed(other_faculty)
    client.force_login(faculty)
    url = reverse("quiz:flag_dismiss", args=[case.public_id])
    response = client.post(url, {"note": "Key checked: the image is ambiguous on purpose."})
    assert response.status_code == 302
    assert response["Location"] == reverse("peer_review:review_queue")
    body = client.get(reverse("peer_review:review_queue")).content.decode()
    assert f'id="flag-{case.public_id}"' not in body
    dismissal = FlagDismissal.objects.get(case=case)
    assert (dismissal.case_version, dismissal.dismissed_by) == (case.version, faculty)


def test_an_edit_of_the_case_brings_the_flag_back(faculty, other_faculty) -> None:  # type: ignore[no-untyped-def]
    case = _seed(other_faculty)
    FlagDismissal.objects.create(case=case, case_version=case.version, note="fine")
    assert case_flags(Case.objects.filter(pk=case.pk)) == []
    Case.objects.filter(pk=case.pk).update(version=case.version + 1)
    assert [f.case for f in case_flags(Case.objects.filter(pk=case.pk))] == [case]


def test_dismissing_with_htmx_returns_the_flag_fragment(client, faculty, other_faculty) -> None:  # type: ignore[no-untyped-def]
    case = _seed(other_faculty)
    client.force_login(faculty)
    url = reverse("quiz:flag_dismiss", args=[case.public_id])
    response = client.post(url, {"note": "Checked."}, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<li id="flag-{case.public_id}"')
    assert "flag dismissed" in html


@pytest.mark.parametrize("htmx", [False, True])
def test_a_dismissal_without_a_note_is_refused_and_keeps_the_form(  # type: ignore[no-untyped-def]
    client, faculty, other_faculty, htmx: bool
) -> None:
    case = _seed(other_faculty)
    client.force_login(faculty)
    url = reverse("quiz:flag_dismiss", args=[case.public_id])
    response = client.post(url, {"note": "   "}, headers=HTMX if htmx else {})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Say why the numbers need no change." in html
    assert 'name="note"' in html
    assert html.lstrip().startswith("<li") == htmx
    assert not FlagDismissal.objects.exists()


def test_no_flag_below_the_minimum_n(client, faculty, other_faculty) -> None:  # type: ignore[no-untyped-def]
    assert MIN_N == 5
    case = _seed(other_faculty, learners=4)
    assert case_flags(Case.objects.filter(pk=case.pk)) == []


def test_facility_far_from_the_rated_difficulty_is_flagged(other_faculty) -> None:  # type: ignore[no-untyped-def]
    # Every learner gets it right (facility 100%) but faculty rated it hard (4: expects 30%).
    case = _seed(other_faculty, key_scores=[1] * 6)
    RatingFactory(case=case, rater=other_faculty, difficulty=4)
    assert expected_facility(4) == pytest.approx(0.3)
    [flag] = case_flags(Case.objects.filter(pk=case.pk))
    assert flag.reasons == ["easier than rated"]
    # Rated easy (1: expects 90%), the same numbers are within the band: no flag.
    RatingFactory(case=case, difficulty=1)
    RatingFactory(case=case, difficulty=1)
    RatingFactory(case=case, difficulty=1)
    assert case_flags(Case.objects.filter(pk=case.pk)) == []


def test_the_author_sees_the_flag_on_their_home(client, other_faculty, faculty) -> None:  # type: ignore[no-untyped-def]
    case = _seed(other_faculty)
    client.force_login(other_faculty)
    body = client.get(reverse("teachingfile:home")).content.decode()
    assert f'id="flag-{case.public_id}"' in body
    assert 'name="from" value="home"' in body
    client.force_login(faculty)  # not the author
    assert (
        f'id="flag-{case.public_id}"'
        not in client.get(reverse("teachingfile:home")).content.decode()
    )


@pytest.mark.parametrize("persona", ["resident", "director", "outsider"])
def test_only_faculty_may_dismiss(client, request, other_faculty, persona: str) -> None:  # type: ignore[no-untyped-def]
    case = _seed(other_faculty)
    client.force_login(request.getfixturevalue(persona))
    url = reverse("quiz:flag_dismiss", args=[case.public_id])
    assert client.post(url, {"note": "x"}).status_code == 404
    assert not FlagDismissal.objects.exists()


def test_the_measurement_is_cached_for_fifteen_minutes_like_moodles(other_faculty) -> None:  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    from quiz.reports.flags import _CACHE_KEY, CACHE_SECONDS

    assert CACHE_SECONDS == 15 * 60
    assert case_flags(Case.objects.all()) == []  # nothing measured yet; now cached
    case = _seed(other_faculty)
    assert case_flags(Case.objects.all()) == []  # still the cached measurement
    cache.delete(_CACHE_KEY)  # what expiry does
    assert case in [f.case for f in case_flags(Case.objects.all())]
