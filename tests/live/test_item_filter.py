"""Item statistics can include, exclude or isolate live conference answers."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.utils import timezone

from quiz.models import Attempt
from quiz.reports import statistics as reports
from tests.factories import AttemptFactory, ResponseFactory
from tests.live.conftest import Room


def test_the_filter_reads_the_query_and_defaults_to_every_answer() -> None:
    assert reports.CaseFilters.from_query({}).conference == "include"
    assert reports.CaseFilters.from_query({"conference": "exclude"}).conference == "exclude"
    assert reports.CaseFilters.from_query({"conference": "only"}).conference == "only"
    assert reports.CaseFilters.from_query({"conference": "nonsense"}).conference == "include"


def test_conference_answers_can_be_left_out_of_item_statistics(
    resident: AbstractUser, other_resident: AbstractUser, room: Room
) -> None:
    # Statistics count finished attempts only (a session's end finishes its attempts).
    live = AttemptFactory(user=resident, kind=Attempt.Kind.CONFERENCE, finished_at=timezone.now())
    ResponseFactory(attempt=live, question=room.q1, score=1.0)
    quiz = AttemptFactory(user=other_resident, kind=Attempt.Kind.QUIZ, finished_at=timezone.now())
    ResponseFactory(attempt=quiz, question=room.q1, score=0.0)

    def facility(choice: str) -> float | None:
        base = reports.CaseFilters(conference=choice).responses([room.first.pk])
        stats = reports.item_statistics(base).get(room.q1.pk)
        return None if stats is None else stats.facility

    assert facility("include") == 0.5
    assert facility("exclude") == 0.0
    assert facility("only") == 1.0


def test_the_item_analysis_page_offers_the_filter(client: Client, director: AbstractUser) -> None:
    client.force_login(director)
    page = client.get("/reports/items/?conference=exclude").content.decode()
    assert 'name="conference"' in page
    assert '<option value="exclude" selected>' in page


def test_the_item_csv_follows_the_filter(
    client: Client, director: AbstractUser, resident: AbstractUser, room: Room
) -> None:
    live = AttemptFactory(user=resident, kind=Attempt.Kind.CONFERENCE, finished_at=timezone.now())
    ResponseFactory(attempt=live, question=room.q1, score=1.0)
    client.force_login(director)
    with_live = client.get("/reports/items/export.csv?conference=include").content.decode()
    without = client.get("/reports/items/export.csv?conference=exclude").content.decode()
    assert room.first.public_id in with_live
    assert room.first.public_id not in without
