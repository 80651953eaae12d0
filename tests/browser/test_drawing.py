"""Drawing on images and "click on the finding" in Chromium (issue 16).

Faculty draw an arrow on a figure and a target ellipse for a region question of a new
case, preview the case as a resident sees it, answer by clicking inside the ellipse (full
credit), try again and click outside (0); the reveal shows the regions, the markers and
the arrow. Markers can be placed from the keyboard alone; axe finds nothing serious on
the editor or the question.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser

from quiz.models import Response
from teachingfile import services
from teachingfile.models import Case, Figure, Question
from tests.browser.conftest import screenshot
from tests.browser.test_accessibility import axe_violations
from tests.factories import CaseFactory, QuestionFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _png(size: tuple[int, int] = (400, 300)) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("L", size, 30)
    ImageDraw.Draw(image).ellipse((200, 150, 260, 200), fill=220)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _new_case(owner: AbstractUser, **extra: Any) -> tuple[Case, Figure, Question]:
    case = CaseFactory(owner=owner, **extra)
    figure = Figure(case=case, label="Fig. 1", alt_text="Axial CT of the chest")
    services.figure_set_image(figure=figure, data=_png(), filename="chest.png")
    question = QuestionFactory(
        case=case,
        kind=Question.Kind.REGION,
        prompt="Click on the finding.",
        explanation="The nodule in the right lower zone.",
    )
    return case, figure, question


def _drag(page: Any, selector: str, start: tuple[float, float], end: tuple[float, float]) -> None:
    box = page.locator(selector).bounding_box()
    page.mouse.move(box["x"] + box["width"] * start[0], box["y"] + box["height"] * start[1])
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * end[0], box["y"] + box["height"] * end[1], steps=5)
    page.mouse.up()


def _click(page: Any, selector: str, at: tuple[float, float]) -> None:
    box = page.locator(selector).bounding_box()
    page.mouse.click(box["x"] + box["width"] * at[0], box["y"] + box["height"] * at[1])


def test_faculty_draw_then_answer_inside_and_outside_the_target(
    new_page: Callable[..., Any], live_server: Any, faculty: AbstractUser
) -> None:
    case, figure, question = _new_case(faculty, status=Case.Status.DRAFT)
    page = new_page(faculty)

    # From the case admin page to the annotation editor: an arrow, saved.
    page.goto(f"{live_server.url}/admin/teachingfile/case/{case.pk}/change/")
    page.get_by_role("link", name="Draw annotations").click()
    page.wait_for_selector("[data-editor-stage][data-tool=arrow]")
    _drag(page, "[data-editor-stage]", (0.2, 0.2), (0.45, 0.45))
    assert page.get_attribute("[data-editor-stage]", "data-shapes") == "1"
    # A second shape, undone; then the arrow is picked from the list and recoloured.
    page.get_by_role("button", name="Line", exact=True).click()
    _drag(page, "[data-editor-stage]", (0.6, 0.1), (0.9, 0.2))
    assert page.get_attribute("[data-editor-stage]", "data-shapes") == "2"
    page.get_by_role("button", name="Undo").click()
    assert page.get_attribute("[data-editor-stage]", "data-shapes") == "1"
    page.locator("[data-editor-shapes] button").first.click()
    page.get_by_label("Colour").select_option("#ff3b30")
    page.get_by_role("button", name="Save drawing").click()
    page.wait_for_selector("text=Saved.")
    screenshot(page, "drawing-editor-arrow")
    # Screenshots and axe after the htmx save: a full-page screenshot leaves style
    # attributes behind, which htmx's settle step would copy (a CSP report that is the
    # test's doing, not the page's).
    assert axe_violations(page) == []
    figure.refresh_from_db()
    assert [shape["type"] for shape in figure.annotations] == ["arrow"]
    assert figure.annotations[0]["color"] == "#ff3b30"
    (x1, _y1), (_x2, y2) = figure.annotations[0]["points"]
    assert abs(x1 - 0.2) < 0.02 and abs(y2 - 0.45) < 0.02

    # The target ellipse of the question.
    page.goto(f"{live_server.url}/admin/teachingfile/case/{case.pk}/change/")
    page.get_by_role("link", name="Draw target regions").click()
    page.wait_for_selector("[data-editor-stage][data-tool=ellipse]")
    _drag(page, "[data-editor-stage]", (0.4, 0.4), (0.7, 0.7))
    page.get_by_label("Tolerance margin (0 to 0.5 of the image; partial credit inside it)").fill(
        "0.02"
    )
    page.get_by_role("button", name="Save drawing").click()
    page.wait_for_selector("text=Saved.")
    screenshot(page, "drawing-editor-region")
    assert axe_violations(page) == []
    question.refresh_from_db()
    (target,) = question.regions
    assert target["shape"] == "ellipse" and abs(target["cx"] - 0.55) < 0.02
    assert question.region_figure == figure and question.region_mode == "any"
    assert question.region_margin == 0.02
    # The swapped form shows what was stored.
    assert (
        page.get_by_label(
            "Tolerance margin (0 to 0.5 of the image; partial credit inside it)"
        ).input_value()
        == "0.02"
    )

    # Preview as a resident sees it: the question holds no region, no annotation.
    page.goto(f"{live_server.url}{case.get_absolute_url()}")
    page.wait_for_selector("[data-region-tool]:not([hidden])")
    html = page.content()
    assert "data-region-reveal" not in html and "data-annotated-figure" not in html
    assert "<ellipse" not in html and "<polygon" not in html
    assert page.locator("[data-region-nojs]").is_hidden()
    assert axe_violations(page) == []
    _click(page, "[data-region-stage]", (0.55, 0.57))
    assert page.get_attribute("[data-region-question]", "data-markers") == "1"
    screenshot(page, "drawing-question-marked")
    page.get_by_role("button", name="Submit answer").click()
    page.wait_for_selector("[data-region-reveal]")
    first = Response.objects.get(question=question)
    assert first.score == 1.0
    assert page.locator("#case-work").get_by_text("Score 1 / 1").count() == 1
    assert page.locator("[data-annotated-figure] svg line").count() == 1

    # A new attempt, a click far outside: 0, and the reveal shows both.
    page.get_by_role("button", name="Try again").click()
    page.wait_for_selector("[data-region-tool]:not([hidden])")
    _click(page, "[data-region-stage]", (0.1, 0.9))
    page.get_by_role("button", name="Submit answer").click()
    page.wait_for_selector("[data-region-reveal]")
    second = Response.objects.filter(question=question).latest("pk")
    assert second.pk != first.pk and second.score == 0.0
    assert second.attempt_id != first.attempt_id
    reveal = page.locator("[data-region-reveal]")
    assert reveal.locator("ellipse").count() == 1  # the target
    assert reveal.locator("line").count() == 2  # the marker's cross
    assert page.locator("[data-annotated-figure] svg").is_visible()
    page.get_by_label("Annotated (Fig. 1); clear the box for the clean image").uncheck()
    assert page.locator("[data-annotated-figure] svg").is_hidden()
    screenshot(page, "drawing-reveal")


def test_a_marker_can_be_placed_with_the_keyboard_alone(
    new_page: Callable[..., Any], live_server: Any, faculty: AbstractUser, resident: AbstractUser
) -> None:
    case, figure, question = _new_case(faculty)
    question.region_figure = figure
    question.regions = [{"shape": "ellipse", "cx": 0.58, "cy": 0.58, "rx": 0.08, "ry": 0.08}]
    question.save()
    page = new_page(resident)
    page.goto(f"{live_server.url}{case.get_absolute_url()}")
    page.wait_for_selector("[data-region-tool]:not([hidden])")
    # Tab to the image: nothing but the keyboard from here on.
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.matches('[data-region-stage]')"):
            break
    else:
        raise AssertionError("the image tool is not in the Tab order")
    # The crosshair starts at the centre; 8 steps of 1 % right and down reach 0.58, 0.58.
    for _ in range(8):
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    field = page.locator(f"input[name=q{question.pk}]")
    assert field.input_value() == "0.5800,0.5800"
    assert "1 marker placed" in page.locator("[data-region-status]").inner_text()
    # Backspace removes it, Enter places it again; the keys never reached the page (the
    # form was not submitted by Enter).
    page.keyboard.press("Backspace")
    assert field.input_value() == ""
    page.keyboard.press("Enter")
    assert Response.objects.count() == 0
    # Tab on to the submit button and press it.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent.trim() === 'Submit answer'"):
            break
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-region-reveal]")
    assert Response.objects.get(question=question).score == 1.0
    screenshot(page, "drawing-keyboard-reveal")
