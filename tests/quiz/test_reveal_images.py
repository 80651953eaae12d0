"""After the reveal the image column itself shows the annotated figures, once."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client

from teachingfile.models import Case, Figure
from teachingfile.services import figure_set_image
from tests.factories import CaseFactory, ChoiceFactory, QuestionFactory, png_bytes

pytestmark = pytest.mark.django_db


def _case() -> tuple[Case, Figure, Figure, str]:
    case = CaseFactory()
    question = QuestionFactory(case=case)
    right = ChoiceFactory(question=question, order=0, is_correct=True)
    shown = Figure(case=case, order=0, label="Fig. 1", alt_text="Scan", stage="question")
    figure_set_image(figure=shown, data=png_bytes(50), filename="a.png")
    figure_set_image(figure=shown, data=png_bytes(90), filename="b.png", annotated=True)
    later = Figure(case=case, order=1, label="Fig. 2", alt_text="CT", stage="reveal")
    figure_set_image(figure=later, data=png_bytes(150), filename="c.png")
    return case, shown, later, f"q{question.pk}={right.pk}"


def test_the_htmx_answer_replaces_the_image_column_out_of_band(
    client: Client, resident: AbstractUser
) -> None:
    case, shown, later, answer = _case()
    client.force_login(resident)
    response = client.post(
        f"/cases/{case.public_id}/answer/",
        answer,
        content_type="application/x-www-form-urlencoded",
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('id="case-images"') == 1
    assert 'id="case-images" aria-label="Images" hx-swap-oob="true"' in body
    assert shown.annotated_display.url in body
    assert later.display.url in body


def test_the_revealed_page_shows_one_image_column_with_annotations(
    client: Client, resident: AbstractUser
) -> None:
    case, shown, later, answer = _case()
    client.force_login(resident)
    client.post(
        f"/cases/{case.public_id}/answer/",
        answer,
        content_type="application/x-www-form-urlencoded",
    )
    body = client.get(case.get_absolute_url()).content.decode()
    assert body.count('id="case-images"') == 1
    assert "hx-swap-oob" not in body
    assert body.count(f'data-annotated-src="{shown.annotated_display.url}"') == 1
    assert later.display.url in body


def test_before_the_answer_the_column_has_neither_annotations_nor_reveal_figures(
    client: Client, resident: AbstractUser
) -> None:
    case, shown, later, _answer = _case()
    client.force_login(resident)
    body = client.get(case.get_absolute_url()).content.decode()
    assert shown.display.url in body
    assert shown.annotated_display.url not in body
    assert later.display.url not in body
