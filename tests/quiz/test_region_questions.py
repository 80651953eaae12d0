""" "Click on the finding" questions through the case page (issue 16).

The seeded tf-0002 carries one ("any" mode, on Fig. 1A) and vector annotations on the
same figure. A marker word is planted in an annotation label and distinctive numbers in
the target regions: neither may be in the unknown page, its attributes, its scripts or
anything it references before the answer, and both are there after it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client, override_settings

from quiz.models import Response
from teachingfile.models import AcceptedAnswer, Case, Figure, Question
from teachingfile.seeding import SEED_FILE, load_seed_cases
from tests.factories import CaseFactory, FigureFactory, QuestionFactory
from tests.quiz.test_reveal_rule import _walk

pytestmark = pytest.mark.django_db

MARK = "zqxvannolabel"
# Distinctive target coordinates: any of these digits in a page would be the region leaking.
SECRET_CX = 0.43117


@pytest.fixture
def seeded_0002(tmp_path: Path) -> Iterator[Case]:
    document = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    document["cases"] = [c for c in document["cases"] if c["public_id"] == "tf-0002"]
    only = tmp_path / "seed.json"
    only.write_text(json.dumps(document), encoding="utf-8")
    with override_settings(MEDIA_ROOT=tmp_path / "media"):
        load_seed_cases(path=only)
        yield Case.objects.get(public_id="tf-0002")


def _plant(case: Case) -> tuple[Question, Figure]:
    question = case.questions.get(kind=Question.Kind.REGION)
    figure = question.region_figure
    assert figure is not None and figure.label == "Fig. 1A"
    assert question.region_mode == "any" and figure.annotations
    figure.annotations = [
        *figure.annotations,
        {"type": "text", "points": [[0.1, 0.9]], "text": MARK, "color": "#ffffff"},
    ]
    figure.save(update_fields=["annotations"])
    question.regions = [{**question.regions[0], "cx": SECRET_CX}, *question.regions[1:]]
    question.save(update_fields=["regions"])
    case.version += 1
    case.save(update_fields=["version"])
    return question, figure


def _answers(case: Case, region: str) -> dict[str, str]:
    data: dict[str, str] = {}
    for question in case.questions.all():
        if question.kind == "single":
            data[f"q{question.pk}"] = str(question.choices.get(is_correct=True).pk)
        elif question.kind == "free_text":
            data[f"q{question.pk}"] = question.accepted_answers.first().text
        else:
            data[f"q{question.pk}"] = region
    return data


def _secret_in(body: str) -> list[str]:
    return [
        word for word in (MARK, str(SECRET_CX), "31170", "Uptake in both lungs") if word in body
    ]


def test_the_seeded_region_question_keeps_regions_and_annotations_for_the_reveal(
    seeded_0002: Case, resident: AbstractUser
) -> None:
    case = seeded_0002
    question, figure = _plant(case)
    client = Client()
    client.force_login(resident)

    page = client.get(case.get_absolute_url()).content.decode()
    assert 'data-kind="region"' in page
    assert f'name="q{question.pk}"' in page
    assert "data-region-stage" in page
    pages = _walk(client, [case.get_absolute_url()], limit=60)
    # The walk reached the images and pages the unknown page references (static files
    # are the same for every case and hold no case data).
    assert len(pages) > 3
    leaks = {url: _secret_in(body) for url, body in pages.items() if _secret_in(body)}
    assert leaks == {}
    for name in (figure.annotated_image.name, figure.annotated_display.name):
        assert all(name not in body for body in pages.values())
    assert Response.objects.count() == 0

    # Inside the left lung: full credit; the reveal draws the regions, markers, annotations.
    answered = client.post(f"/cases/{case.public_id}/answer/", _answers(case, "0.43,0.29"))
    assert answered.status_code == 302
    response = Response.objects.get(question=question, user=resident)
    assert response.score == 1.0 and response.answer_text == "0.4300,0.2900"
    revealed = client.get(case.get_absolute_url()).content.decode()
    assert MARK in revealed and "Uptake in both lungs" in revealed
    assert "data-region-reveal" in revealed and "data-annotated-figure" in revealed
    # The target ellipse is drawn in the figure's pixels: cx 0.43117 of the width.
    assert f'cx="{SECRET_CX * figure.width:.1f}"' in revealed


@pytest.mark.parametrize(
    "posted", ["1.2,0.5", "0.5,-0.01", "0.5", "0.5,0.5,0.5", "nan,0.3", "0.5;;x", "  "]
)
def test_a_malformed_or_out_of_range_marker_is_refused_with_400_and_stores_nothing(
    resident: AbstractUser, posted: str
) -> None:
    case = CaseFactory()
    figure = FigureFactory(case=case)
    question = QuestionFactory(
        case=case,
        kind=Question.Kind.REGION,
        region_figure=figure,
        regions=[{"shape": "ellipse", "cx": 0.5, "cy": 0.5, "rx": 0.1, "ry": 0.1}],
    )
    client = Client()
    client.force_login(resident)
    response = client.post(f"/cases/{case.public_id}/answer/", {f"q{question.pk}": posted})
    assert response.status_code == 400
    assert 'data-kind="region"' in response.content.decode()
    htmx = client.post(
        f"/cases/{case.public_id}/answer/",
        {f"q{question.pk}": posted},
        headers={"HX-Request": "true"},
    )
    # htmx gets the form back with the message, as 422 (docs/htmx.md).
    assert htmx.status_code == 422 and 'data-kind="region"' in htmx.content.decode()
    assert Response.objects.count() == 0


def test_inside_margin_and_outside_score_through_the_answer_endpoint(
    resident: AbstractUser,
) -> None:
    case = CaseFactory()
    figure = FigureFactory(case=case)
    question = QuestionFactory(
        case=case,
        kind=Question.Kind.REGION,
        region_figure=figure,
        region_margin=0.05,
        regions=[{"shape": "ellipse", "cx": 0.5, "cy": 0.5, "rx": 0.1, "ry": 0.1}],
    )
    client = Client()
    client.force_login(resident)
    for posted, expected in (("0.52,0.48", 1.0), ("0.63,0.5", 0.5), ("0.9,0.1", 0.0)):
        client.post(f"/cases/{case.public_id}/retry/")
        assert (
            client.post(f"/cases/{case.public_id}/answer/", {f"q{question.pk}": posted}).status_code
            == 302
        )
        assert Response.objects.filter(question=question).latest("pk").score == expected


def test_without_javascript_a_typed_fallback_is_offered_only_when_the_author_wrote_one(
    resident: AbstractUser,
) -> None:
    case = CaseFactory()
    figure = FigureFactory(case=case)
    question = QuestionFactory(
        case=case,
        kind=Question.Kind.REGION,
        region_figure=figure,
        regions=[{"shape": "ellipse", "cx": 0.5, "cy": 0.5, "rx": 0.1, "ry": 0.1}],
    )
    client = Client()
    client.force_login(resident)
    page = client.get(case.get_absolute_url()).content.decode()
    assert "needs the image tool" in page and "<noscript>" not in page
    AcceptedAnswer.objects.create(question=question, text="left lung", score=1)
    case.version += 1
    case.save(update_fields=["version"])
    page = client.get(case.get_absolute_url()).content.decode()
    assert "<noscript>" in page and "type your answer below" in page
    client.post(f"/cases/{case.public_id}/answer/", {f"q{question.pk}": ["", "Left lung"]})
    assert Response.objects.get(question=question).score == 1.0


@pytest.mark.parametrize("htmx", [False, True])
def test_an_exam_autosave_keeps_markers_and_refuses_bad_ones(
    resident: AbstractUser, htmx: bool
) -> None:
    from datetime import timedelta

    from quiz.models import Attempt, Quiz
    from tests.factories import QuizFactory, QuizItemFactory

    case = CaseFactory()
    figure = FigureFactory(case=case)
    question = QuestionFactory(
        case=case,
        kind=Question.Kind.REGION,
        region_figure=figure,
        regions=[{"shape": "ellipse", "cx": 0.5, "cy": 0.5, "rx": 0.1, "ry": 0.1}],
    )
    exam = QuizFactory(mode=Quiz.Mode.EXAM, time_limit=timedelta(minutes=30), is_open=True)
    QuizItemFactory(quiz=exam, case=case)
    client = Client()
    client.force_login(resident)
    client.post(f"/quizzes/{exam.pk}/start/")
    attempt = Attempt.objects.get(quiz=exam)
    save = f"/quizzes/{exam.pk}/attempts/{attempt.pk}/cases/1/save/"
    headers = {"HX-Request": "true"} if htmx else {}
    bad = client.post(save, {f"q{question.pk}": "0.5,1.5"}, headers=headers)
    # htmx autosave: 422 with the save status (the exam's house rule); plain post: 400.
    assert bad.status_code == (422 if htmx else 400)
    assert Response.objects.count() == 0
    client.post(save, {f"q{question.pk}": "0.51,0.5;0.9,0.9"}, headers=headers)
    saved = Response.objects.get(question=question)
    assert saved.answer_text == "0.5100,0.5000;0.9000,0.9000" and saved.score == 1.0
    page = client.get(f"/quizzes/{exam.pk}/attempts/{attempt.pk}/cases/1/").content.decode()
    # The saved markers come back in the field; the target does not.
    assert 'value="0.5100,0.5000;0.9000,0.9000"' in page and "data-region-reveal" not in page
