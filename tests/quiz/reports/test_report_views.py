"""Report pages: who reaches them, what they show, CSV exports and fixed query counts."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    AttemptFactory,
    CaseFactory,
    MembershipFactory,
    QuestionFactory,
    ResponseFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _answers(user, n: int = 2) -> None:  # type: ignore[no-untyped-def]
    attempt = AttemptFactory(user=user, finished_at=timezone.now())
    for i in range(n):
        ResponseFactory(attempt=attempt, score=i % 2, answer_text=f"answer {i}")


def test_the_cohort_table_lists_the_directors_residents(client, director, resident, cohort) -> None:  # type: ignore[no-untyped-def]
    _answers(resident)
    client.force_login(director)
    response = client.get(reverse("reports:reports_home"))
    assert response.status_code == 200
    assert b"<html" in response.content
    assert reverse("reports:resident_detail", args=[resident.pk]).encode() in response.content
    assert b"<svg" in response.content and b"<table" in response.content


def test_the_cohort_filters_return_only_the_table_to_htmx(client, director, cohort) -> None:  # type: ignore[no-untyped-def]
    client.force_login(director)
    response = client.get(
        reverse("reports:reports_home"), {"year": "2"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.content.lstrip().startswith(b'<section id="cohort-results"')
    assert b"<html" not in response.content


def test_faculty_without_a_program_are_sent_to_item_statistics(client, faculty) -> None:  # type: ignore[no-untyped-def]
    client.force_login(faculty)
    response = client.get(reverse("reports:reports_home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:item_analysis")


@pytest.mark.parametrize("name", ["reports_home", "cohort_csv", "item_analysis", "item_csv"])
def test_residents_do_not_reach_reports(client, resident, cohort, name) -> None:  # type: ignore[no-untyped-def]
    client.force_login(resident)
    assert client.get(reverse(f"reports:{name}")).status_code == 404


def test_another_programs_director_gets_404_on_a_resident(  # type: ignore[no-untyped-def]
    client, resident, cohort, other_director, other_cohort
) -> None:
    client.force_login(other_director)
    for name in ("resident_detail", "resident_csv"):
        assert client.get(reverse(f"reports:{name}", args=[resident.pk])).status_code == 404


def test_faculty_do_not_see_one_residents_scores(client, faculty, resident, cohort) -> None:  # type: ignore[no-untyped-def]
    client.force_login(faculty)
    assert client.get(reverse("reports:resident_detail", args=[resident.pk])).status_code == 404
    assert client.get(reverse("reports:cohort_csv")).status_code == 404


def test_one_resident_shows_topics_weeks_and_every_answer(
    client, director, resident, cohort
) -> None:  # type: ignore[no-untyped-def]
    _answers(resident, 3)
    client.force_login(director)
    response = client.get(reverse("reports:resident_detail", args=[resident.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "answer 2" in body
    assert "Computed tomography" in body or "CT" in body
    assert "Chest" in body and "Infection" in body
    assert 'class="chart-line"' in body


def test_resident_answer_pages_swap_by_htmx(client, director, resident, cohort) -> None:  # type: ignore[no-untyped-def]
    _answers(resident)
    client.force_login(director)
    url = reverse("reports:resident_detail", args=[resident.pk])
    partial = client.get(url, headers={"HX-Request": "true"})
    assert partial.content.lstrip().startswith(b'<section id="responses"')
    assert b"<html" in client.get(url).content


def test_the_cohort_csv_has_one_row_per_resident_and_safe_cells(client, director, cohort) -> None:  # type: ignore[no-untyped-def]
    MembershipFactory(
        cohort=cohort, resident=UserFactory(username="mallory", first_name="=HYPERLINK(1)")
    )
    client.force_login(director)
    response = client.get(reverse("reports:cohort_csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="cohort.csv"'
    rows = _rows(response)
    assert rows[0][:3] == ["resident", "username", "cohort"]
    assert len(rows) == 3
    assert "'=HYPERLINK(1)" in [row[0] for row in rows]


def test_the_resident_csv_exports_every_answer(client, director, resident, cohort) -> None:  # type: ignore[no-untyped-def]
    _answers(resident, 3)
    client.force_login(director)
    rows = _rows(client.get(reverse("reports:resident_csv", args=[resident.pk])))
    assert rows[0][0] == "answered at"
    assert len(rows) == 4
    topics = _rows(
        client.get(reverse("reports:resident_csv", args=[resident.pk]), {"table": "region"})
    )
    assert topics == [["region", "responses", "average score per answer"], ["Chest", "3", "0.3333"]]


def test_the_item_analysis_shows_statistics_per_case_and_question(client, faculty) -> None:  # type: ignore[no-untyped-def]
    case = CaseFactory(known_title="Tumoral calcinosis")
    question = QuestionFactory(case=case)
    for score in (1, 1, 1, 1, 1):  # five: no flag below the minimum n
        ResponseFactory(
            attempt=AttemptFactory(finished_at=timezone.now()), question=question, score=score
        )
    client.force_login(faculty)
    response = client.get(reverse("reports:item_analysis"))
    body = response.content.decode()
    assert "Tumoral calcinosis" in body
    assert "too easy" in body
    partial = client.get(reverse("reports:item_analysis"), headers={"HX-Request": "true"})
    assert partial.content.lstrip().startswith(b'<section id="item-results"')


def test_the_item_csv_has_one_row_per_question(client, director) -> None:  # type: ignore[no-untyped-def]
    case = CaseFactory()
    q1, q2 = QuestionFactory(case=case, order=1), QuestionFactory(case=case, order=2, prompt="-1?")
    attempt = AttemptFactory(finished_at=timezone.now())
    ResponseFactory(attempt=attempt, question=q1, score=1)
    ResponseFactory(attempt=attempt, question=q2, score=0)
    client.force_login(director)
    rows = _rows(client.get(reverse("reports:item_csv")))
    assert rows[0][:4] == ["case", "question", "kind", "prompt"]
    assert [row[1] for row in rows[1:]] == ["1", "2"]
    assert rows[2][3] == "'-1?"
    per_case = _rows(client.get(reverse("reports:item_csv"), {"per": "case"}))
    assert len(per_case) == 2


def _count_queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_cohort_table_query_count_does_not_grow_with_data(client, director, cohort) -> None:  # type: ignore[no-untyped-def]
    client.force_login(director)
    url = reverse("reports:reports_home")
    before = _count_queries(client, url)
    for i in range(5):
        user = UserFactory(username=f"extra{i}")
        MembershipFactory(cohort=cohort, resident=user)
        _answers(user)
    assert _count_queries(client, url) == before
    assert before <= 8


def test_the_resident_page_query_count_does_not_grow_with_data(
    client, director, resident, cohort
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(director)
    url = reverse("reports:resident_detail", args=[resident.pk])
    _answers(resident, 1)
    before = _count_queries(client, url)
    for _ in range(4):
        _answers(resident, 3)
    assert _count_queries(client, url) == before
    assert before <= 13  # issue 18: + coverage by curriculum domain


def test_the_item_analysis_query_count_does_not_grow_with_data(client, faculty) -> None:  # type: ignore[no-untyped-def]
    client.force_login(faculty)
    url = reverse("reports:item_analysis")
    _answers(UserFactory(), 2)
    before = _count_queries(client, url)
    for _ in range(4):
        _answers(UserFactory(), 3)
    assert _count_queries(client, url) == before
    assert before <= 13  # 3 of them the response analysis


def test_chart_labels_get_room_for_the_longest_topic_name() -> None:
    from quiz.reports.charts import bar_chart

    short = bar_chart([{"label": "CT", "average": 0.5}], "average", 1.0)
    long = bar_chart([{"label": "Metabolic, endocrine, toxic", "average": 0.5}], "average", 1.0)
    assert short["label_width"] == 90
    assert long["label_width"] >= 7 * len("Metabolic, endocrine, toxic")
    assert long["plot"] == long["width"] - long["label_width"] - 60


def test_the_item_analysis_shows_question_prompts_as_text_not_markdown(client, faculty) -> None:  # type: ignore[no-untyped-def]
    QuestionFactory(case=CaseFactory(), prompt="What do you see on **both** scans?")
    client.force_login(faculty)
    body = client.get(reverse("reports:item_analysis")).content.decode()
    assert "What do you see on both scans?" in body
    assert "**both**" not in body
