"""The Cornerstone3D viewer in a real Chromium: window/level on stored values, probe,
measurements, keyboard and phone journeys, accessibility, and nothing of the reveal early.

The CT is made here with pydicom and uploaded through the image pipeline, as the admin
does. new_page (conftest) fails any test whose pages reported a CSP refusal.
"""

from __future__ import annotations

import io
import re
import shutil
from typing import Any

import numpy as np
import pytest
from django.contrib.auth.models import AbstractUser
from PIL import Image

from teachingfile.models import Case, Figure
from teachingfile.services import figure_set_image, figures_from_upload
from tests.browser.conftest import screenshot
from tests.browser.test_accessibility import axe_violations
from tests.factories import CaseFactory, png_bytes
from tests.teachingfile.imaging.builders import ct_dataset, dicom_bytes, zip_of

pytest.importorskip("playwright.sync_api")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium is not installed"),
]

SIZE = 512
LEFT = 134  # columns of the left ramp, -1000 .. -1 HU
BAND = 3  # every value 0..80 HU is three columns wide


def ramp_hu() -> np.ndarray:
    """One row of the Done-when image: -1000 HU at the left edge up to +1000 at the right."""
    left = np.linspace(-1000, -1, LEFT)
    middle = np.repeat(np.arange(81), BAND)
    right = np.linspace(81, 1000, SIZE - LEFT - middle.size)
    return np.round(np.concatenate([left, middle, right])).astype(np.int32)


def column_of(hu: int) -> int:
    """The middle column of the band holding `hu` (0..80)."""
    return LEFT + hu * BAND + 1


def synthetic_ct(rows: int = SIZE) -> bytes:
    hu = np.tile(ramp_hu(), (rows, 1))
    ds = ct_dataset((hu + 1024).astype(np.uint16), window=(40.0, 400.0))
    ds.PixelSpacing = [0.5, 0.5]
    return dicom_bytes(ds)


def _ct_case(*, stage: str = "question", title: str = "Man with headache") -> Case:
    case = CaseFactory(unknown_title=title)
    figures_from_upload(
        case=case,
        data=synthetic_ct(),
        filename="ct.dcm",
        label="Fig. 1",
        alt_text="Axial CT",
        stage=stage,
    )
    return case


def _stack_case() -> Case:
    case = CaseFactory(unknown_title="Woman with cough")
    members = []
    for n in range(1, 4):
        hu = np.full((128, 128), -800 + 300 * n, dtype=np.int32)
        ds = ct_dataset((hu + 1024).astype(np.uint16), instance_number=n, z=float(n))
        members.append((f"{n}.dcm", dicom_bytes(ds)))
    figures_from_upload(
        case=case, data=zip_of(members), filename="s.zip", label="Fig. 1", alt_text="Axial CT slice"
    )
    return case


def _open(page: Any, url: str, selector: str = "[data-viewer]") -> Any:
    page.goto(url)
    root = page.locator(selector).first
    root.scroll_into_view_if_needed()
    page.wait_for_function(
        "el => el.dataset.viewerReady === 'true'", arg=root.element_handle(), timeout=15_000
    )
    return root


def _client_xy(page: Any, root: Any, x: float, y: float) -> tuple[float, float]:
    cx, cy = page.evaluate(
        "([el, x, y]) => window.TFViewer.imageToClient(el, x, y)", [root.element_handle(), x, y]
    )
    return cx, cy


def _grey_at(image: Image.Image, page: Any, root: Any, x: float, y: float) -> int:
    cx, cy = _client_xy(page, root, x, y)
    return int(image.getpixel((round(cx), round(cy))))


@pytest.fixture
def page(new_page: Any, resident: AbstractUser) -> Any:
    return new_page(resident)


def test_a_narrow_window_shows_more_grey_levels_than_the_8_bit_image_could(
    page: Any, live_server: Any
) -> None:
    case = _ct_case()
    root = _open(page, f"{live_server.url}/cases/{case.public_id}/")
    assert root.get_attribute("data-window-center") == "40"
    assert root.get_attribute("data-window-width") == "400"

    root.get_by_label("Window center").fill("40")
    root.get_by_label("Window width").fill("80")
    page.wait_for_function("el => el.dataset.windowWidth === '80'", arg=root.element_handle())
    assert root.get_attribute("data-window-center") == "40"
    page.wait_for_timeout(200)

    shot = Image.open(io.BytesIO(page.screenshot())).convert("L")
    greys = {_grey_at(shot, page, root, column_of(hu), SIZE / 2) for hu in range(81)}
    assert len(greys) >= 60, sorted(greys)
    assert _grey_at(shot, page, root, 1, SIZE / 2) <= 3  # -1000 HU: black
    assert _grey_at(shot, page, root, SIZE - 2, SIZE / 2) >= 252  # +1000 HU: white

    # The probe: the value under the pointer, as text inside the viewer root.
    page.mouse.move(*_client_xy(page, root, column_of(37), 200))
    readout = root.locator("[data-probe]")
    page.wait_for_function("el => /37 HU/.test(el.textContent)", arg=readout.element_handle())
    assert re.search(r"^37 HU at x \d+, y 200$", readout.inner_text())

    # A 100-pixel line drawn with the mouse on the 0.5 mm image reads 50 mm.
    root.get_by_role("button", name="Length").click()
    start, end = _client_xy(page, root, 100, 300), _client_xy(page, root, 200, 300)
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move((start[0] + end[0]) / 2, start[1], steps=4)
    page.mouse.move(*end, steps=4)
    page.mouse.up()
    item = root.locator(".viewer__measures li").first
    item.wait_for()
    length = float(re.fullmatch(r"Length: ([\d.]+) mm", item.inner_text()).group(1))  # type: ignore[union-attr]
    assert abs(length - 50.0) <= 0.5
    screenshot(page, "viewer-ct-narrow-window")


def test_every_tool_works_from_the_keyboard_and_keys_stay_in_the_viewer(
    page: Any, live_server: Any
) -> None:
    case = _stack_case()
    root = _open(page, f"{live_server.url}/cases/{case.public_id}/", "[data-viewer][data-stack]")
    handle = root.element_handle()
    page.evaluate(
        """() => { window.leaked = 0; document.addEventListener('keydown', e => {
               if (e.target.closest && e.target.closest('[data-viewer]')) window.leaked++; }); }"""
    )
    root.focus()

    def wait(expression: str) -> None:
        page.wait_for_function(f"el => {expression}", arg=handle)

    page.keyboard.press("2")  # the first CT default after the header window: Brain 40/80
    wait("el.dataset.windowWidth === '80'")
    page.keyboard.press("9")
    wait("el.dataset.windowCenter === '400'")
    page.keyboard.press("]")
    wait("parseFloat(el.dataset.windowWidth) > 1800")
    page.keyboard.press(",")
    wait("parseFloat(el.dataset.windowCenter) < 400")
    page.keyboard.press("ArrowDown")  # the window/level tool leaves the arrows to the stack
    wait("el.dataset.frame === '1'")
    assert root.locator(".viewer__indicator").inner_text() == "2 / 3"
    page.keyboard.press("End")
    wait("el.dataset.frame === '2'")
    page.keyboard.press("Home")
    wait("el.dataset.frame === '0'")
    page.keyboard.press("c")
    wait("el.dataset.playing === 'true'")
    page.keyboard.press("c")
    wait("el.dataset.playing === 'false'")
    page.keyboard.press("+")
    wait("parseFloat(el.dataset.zoom) > 1")
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("e")
    wait("el.dataset.rotation === '90'")
    page.keyboard.press("h")
    wait("el.dataset.flipH === 'true'")
    page.keyboard.press("y")
    wait("el.dataset.flipV === 'true'")
    page.keyboard.press("i")
    wait("el.dataset.inverted === 'true'")
    for key, tool in (("p", "pan"), ("z", "zoom"), ("s", "scroll"), ("w", "wl")):
        page.keyboard.press(key)
        wait(f"el.dataset.tool === '{tool}'")

    page.keyboard.press("v")  # probe: the cursor starts in the middle
    wait("el.dataset.tool === 'probe'")
    page.keyboard.press("ArrowRight")
    assert re.fullmatch(r"-500 HU at x 65, y 64", root.locator("[data-probe]").inner_text())

    measures = root.locator(".viewer__measures li")
    page.keyboard.press("l")
    page.keyboard.press("Enter")
    for _ in range(4):
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Enter")
    measures.first.wait_for()
    assert measures.first.inner_text() == "Length: 28.0 mm"  # 40 px at 0.7 mm

    page.keyboard.press("g")
    page.keyboard.press("Enter")
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("Enter")
    page.keyboard.press("Shift+ArrowUp")
    page.keyboard.press("Enter")
    page.get_by_text("Angle: 90.0°").wait_for()

    page.keyboard.press("o")
    page.keyboard.press("Enter")
    for _ in range(2):
        page.keyboard.press("Shift+ArrowDown")
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Enter")
    roi = root.get_by_text(re.compile(r"^Ellipse: mean -500\.0 HU, SD 0\.0 HU, area [\d.]+ mm²$"))
    roi.wait_for()
    screenshot(page, "viewer-keyboard-measures")

    page.keyboard.press("r")
    wait(
        "el.dataset.zoom === '1' && el.dataset.inverted === 'false' && el.dataset.rotation === '0'"
        " && el.dataset.flipH === 'false' && el.dataset.flipV === 'false'"
    )
    assert measures.count() == 0  # scratch marks go with the reset
    page.keyboard.press("f")
    wait("el.dataset.fullscreen === 'true'")
    page.keyboard.press("Escape")
    wait("el.dataset.fullscreen === 'false'")
    assert page.evaluate("window.leaked") == 0


def test_on_a_phone_every_tool_is_reachable_without_sideways_scrolling(
    new_page: Any, resident: AbstractUser, live_server: Any
) -> None:
    case = _stack_case()
    page = new_page(resident, viewport={"width": 390, "height": 844})
    root = _open(page, f"{live_server.url}/cases/{case.public_id}/", "[data-viewer][data-stack]")
    for button in root.locator("button[data-action]").all():
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert box["height"] >= 44
    for name, tool in (
        ("Length", "length"),
        ("Angle", "angle"),
        ("Ellipse ROI", "roi"),
        ("Probe", "probe"),
        ("Scroll", "scroll"),
        ("Pan", "pan"),
    ):
        root.get_by_role("button", name=name, exact=True).click()
        assert root.get_attribute("data-tool") == tool
    root.get_by_role("button", name="Next image").click()
    page.wait_for_function("el => el.dataset.frame === '1'", arg=root.element_handle())
    root.get_by_role("button", name="Play").click()
    page.wait_for_function("el => el.dataset.playing === 'true'", arg=root.element_handle())
    root.get_by_role("button", name="Pause").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "viewer-phone")


def test_the_viewer_page_has_no_serious_accessibility_violation(
    page: Any, live_server: Any
) -> None:
    case = _stack_case()
    _open(page, f"{live_server.url}/cases/{case.public_id}/", "[data-viewer][data-stack]")
    assert axe_violations(page) == []


def test_nothing_of_the_reveal_reaches_the_page_or_its_requests_before_answering(
    page: Any, live_server: Any
) -> None:
    case = _ct_case(title="Woman with a lump")
    shown = case.figures.get()
    figure_set_image(
        figure=shown, data=png_bytes(60, (400, 300), text="ARROW"), filename="b.png", annotated=True
    )
    figures_from_upload(
        case=case,
        data=synthetic_ct(64),
        filename="later.dcm",
        label="Fig. 2",
        alt_text="Axial CT",
        stage="reveal",
        order=2,
    )
    hidden = case.figures.get(stage="reveal")
    secret = [
        f.url
        for f in (
            hidden.viewer_source,
            hidden.display,
            hidden.image,
            shown.annotated_display,
            shown.annotated_image,
        )
    ]
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    root = _open(page, f"{live_server.url}/cases/{case.public_id}/")
    root.focus()
    page.keyboard.press("a")
    page.wait_for_timeout(300)
    html = page.content()
    assert root.get_attribute("data-annotated") != "true"
    assert page.locator(".viewer__btn--annotated, [data-annotated-src]").count() == 0
    assert shown.viewer_source.url in html  # the pre-reveal figure is windowed live
    for url in secret:
        assert url not in html
        assert not any(url in r for r in requested), url


def test_a_png_figure_uses_the_same_viewer_on_its_8_bit_values(page: Any, live_server: Any) -> None:
    case = CaseFactory(unknown_title="Child with limp")
    figure = Figure(case=case, order=0, label="Fig. 1", alt_text="Radiograph", stage="question")
    figure_set_image(figure=figure, data=png_bytes(90, (400, 300), text=""), filename="a.png")
    root = _open(page, f"{live_server.url}/cases/{case.public_id}/")
    assert root.get_attribute("data-tool") == "pan"
    page.mouse.move(*_client_xy(page, root, 300, 250))
    page.wait_for_function(
        "el => /^90 at x 300, y 250$/.test(el.textContent)",
        arg=root.locator("[data-probe]").element_handle(),
    )
    root.get_by_role("button", name="Length").click()
    root.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Enter")
    root.get_by_text("Length: 10.0 px (uncalibrated: no pixel spacing)").wait_for()


def test_after_the_reveal_the_new_viewer_toggles_the_annotated_image(
    page: Any, live_server: Any
) -> None:
    from tests.browser.scenes import answerable_case

    case = answerable_case()
    shown = case.figures.get()
    figure_set_image(
        figure=shown, data=png_bytes(60, (400, 300), text="ARROW"), filename="b.png", annotated=True
    )
    root = _open(page, f"{live_server.url}/cases/{case.public_id}/")
    choice = page.get_by_label("Vascular calcification")
    root.focus()
    page.keyboard.press("1")  # a preset key in the viewer, never the page's answer key
    assert not choice.is_checked()

    choice.check()
    page.get_by_role("textbox").first.fill("calciphylaxis")
    page.get_by_role("button", name="Submit answer").click()
    page.locator(".known-title").wait_for()
    revealed = page.locator("[data-viewer]").first
    page.wait_for_function(
        "el => el.isConnected && el.dataset.viewerReady === 'true'",
        arg=revealed.element_handle(),
    )
    revealed.get_by_role("button", name="Annotated").click()
    page.wait_for_function("el => el.dataset.annotated === 'true'", arg=revealed.element_handle())
    revealed.focus()
    page.keyboard.press("a")
    page.wait_for_function("el => el.dataset.annotated === 'false'", arg=revealed.element_handle())
