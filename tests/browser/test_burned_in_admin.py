"""In the admin, an image with a name burned into it is held with the regions shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from PIL import Image

from teachingfile.models import Case
from tests.browser.conftest import log_in, screenshot
from tests.teachingfile.imaging.builders import encode
from tests.teachingfile.imaging.test_burned_in import _with_name, require_tesseract

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_author_sees_the_text_regions_then_blacks_them_out(
    new_page: Callable[..., Any],
    live_server: Any,
    faculty: AbstractUser,
    settings: Any,
    tmp_path: Any,
) -> None:
    require_tesseract()
    settings.IMAGE_CHECK_BURNED_IN_TEXT = True
    image = tmp_path / "screenshot.png"
    image.write_bytes(encode(Image.fromarray(_with_name((480, 320))), "PNG"))
    page = new_page()
    log_in(page, live_server.url, "farid", "pass-word-123")
    page.goto(f"{live_server.url}/admin/teachingfile/case/add/")
    page.fill("#id_unknown_title", "40-year-old woman with a neck lump")
    page.fill("#id_presentation", "A lump for a month.")
    page.fill("#id_known_title", "Thyroid nodule")
    page.fill("#id_diagnosis", "Thyroid nodule")
    page.get_by_text("Add another Figure").click()
    page.fill("#id_figures-0-label", "Fig. 1")
    page.fill("#id_figures-0-alt_text", "Ultrasound of the neck")
    page.set_input_files("#id_figures-0-upload", str(image))
    page.locator("input[name=_save]").click()

    error = page.locator(".errorlist", has_text="Text was found burned into the image")
    error.wait_for()
    preview = error.locator("img")
    assert preview.get_attribute("src").startswith("data:image/png;base64,")
    assert preview.evaluate("img => img.naturalWidth") > 0  # allowed by the CSP, decoded
    error.scroll_into_view_if_needed()
    page.locator("#figures-0").screenshot(
        path=str(
            screenshot(page, "burned-in-text-held").with_name("burned-in-text-held-inline.png")
        )
    )
    assert not Case.objects.exists()

    page.set_input_files("#id_figures-0-upload", str(image))
    page.check("#id_figures-0-redact_burned_in_text")
    page.locator("input[name=_save]").click()
    page.wait_for_url("**/admin/teachingfile/case/")
    assert Case.objects.get().figures.count() == 1
