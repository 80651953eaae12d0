"""The image viewer in a real Chromium: zoom, stack scrolling, and no annotations early."""

from __future__ import annotations

import io
import shutil
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from PIL import Image, ImageDraw

from teachingfile.models import Case, Figure, Series
from teachingfile.services import figure_set_image
from tests.browser.conftest import screenshot
from tests.factories import CaseFactory

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium is not installed"),
]


def _png(shade: int, text: str) -> bytes:
    image = Image.new("L", (400, 300), shade)
    ImageDraw.Draw(image).text((20, 20), text, fill=255 - shade)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _case_with_stack() -> Case:
    case = CaseFactory(unknown_title="Woman with a lump")
    single = Figure(case=case, order=0, label="Fig. 1", alt_text="Radiograph", stage="question")
    figure_set_image(figure=single, data=_png(60, "clean"), filename="a.png")
    figure_set_image(figure=single, data=_png(60, "ARROW"), filename="b.png", annotated=True)
    series = Series.objects.create(case=case, name="CT")
    for position in range(3):
        frame = Figure(
            case=case,
            order=1,
            label=f"Fig. 2 ({position + 1}/3)",
            alt_text="Axial CT slice",
            stage="question",
            series=series,
            position=position,
        )
        figure_set_image(
            figure=frame, data=_png(40 + 60 * position, str(position)), filename="s.png"
        )
    return case


@pytest.fixture
def page(new_page: Any, resident: AbstractUser) -> Any:
    # One Chromium per session (tests/browser/conftest.py): Playwright's sync API allows
    # only one running instance per thread.
    return new_page(resident)


def test_zoom_and_stack_scrolling_change_what_is_displayed(page: Any, live_server: Any) -> None:
    case = _case_with_stack()
    page.goto(f"{live_server.url}/cases/{case.public_id}/")
    single = page.locator("[data-viewer]").first
    stack = page.locator("[data-viewer][data-stack]")
    single.scroll_into_view_if_needed()
    single.wait_for(state="visible")
    assert single.get_attribute("data-zoom") in ("1", "1.0", None)

    box = single.locator("img").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -300)
    page.wait_for_function("el => parseFloat(el.dataset.zoom) > 1", arg=single.element_handle())
    transform = single.locator("img").evaluate("img => getComputedStyle(img).transform")
    assert transform not in ("none", "matrix(1, 0, 0, 1, 0, 0)")

    first_src = stack.locator("img").get_attribute("src")
    stack.focus()
    assert stack.get_attribute("data-frame") == "0"
    page.keyboard.press("ArrowDown")
    page.wait_for_function("el => el.dataset.frame === '1'", arg=stack.element_handle())
    assert stack.locator("img").get_attribute("src") != first_src

    screenshot(page, "viewer-zoomed")


def test_the_annotated_toggle_is_absent_before_the_reveal(page: Any, live_server: Any) -> None:
    case = _case_with_stack()
    annotated = case.figures.exclude(annotated_display="").get()
    page.goto(f"{live_server.url}/cases/{case.public_id}/")
    page.locator("[data-viewer]").first.wait_for(state="visible")
    assert page.locator(".viewer__btn--annotated").count() == 0
    assert page.locator("[data-annotated-src]").count() == 0
    html = page.content()
    assert annotated.annotated_display.url not in html
    assert annotated.annotated_image.url not in html
    page.keyboard.press("a")
    assert page.locator("[data-viewer]").first.get_attribute("data-annotated") != "true"
