"""Text burned into the pixels is found, held for the author, and can be blacked out."""

from __future__ import annotations

import io
import os

import numpy as np
import pydicom
import pytest
from PIL import Image, ImageDraw, ImageFont

from teachingfile.imaging import process_upload
from teachingfile.imaging.burned_in import BurnedInTextFound, find_text, tesseract_available

from .builders import ct_dataset, dicom_bytes, encode

NAME = "ZZZDOWNTIME,MARY"


def require_tesseract() -> None:
    # CI runs as root and installs tesseract-ocr (make ocr-deps): there it must run.
    if not tesseract_available():
        if os.geteuid() != 0:
            pytest.skip("tesseract-ocr is not installed and installing it needs root")
        pytest.fail("tesseract-ocr is missing although we are root: run make ocr-deps")


@pytest.fixture(autouse=True)
def _needs_tesseract() -> None:
    require_tesseract()


def _with_name(size: tuple[int, int] = (320, 240)) -> np.ndarray:
    """A dark, speckled ultrasound-like picture with a patient name typed at the top."""
    rng = np.random.default_rng(3)
    picture = Image.fromarray(rng.integers(0, 60, size[::-1], dtype=np.uint8))
    draw = ImageDraw.Draw(picture)
    draw.text((12, 10), NAME, fill=235, font=ImageFont.load_default(size=22))
    return np.asarray(picture)


def _ultrasound(pixels: np.ndarray) -> bytes:
    ds = ct_dataset(pixels.astype(np.uint16), modality="US", window=None)
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    del ds.RescaleIntercept, ds.RescaleSlope
    ds.PixelData = pixels.astype(np.uint8).tobytes()
    assert "BurnedInAnnotation" not in ds  # the flag is absent, as in the issue
    return dicom_bytes(ds)


def _read_text(image: Image.Image) -> str:
    return " ".join(box.text for box in find_text(image))


def test_the_name_is_readable_in_the_test_image() -> None:
    assert "DOWNTIME" in _read_text(Image.fromarray(_with_name())).upper()


def test_an_ultrasound_with_a_name_in_its_pixels_is_held_with_the_regions() -> None:
    with pytest.raises(BurnedInTextFound) as caught:
        process_upload(_ultrasound(_with_name()), filename="us.dcm", text_check="hold")
    held = caught.value
    assert held.code == "burned_in_text"
    assert held.boxes and all(box.top < 60 for box in held.boxes)
    assert "Text was found burned into the image" in held.message
    assert Image.open(io.BytesIO(held.preview_png)).format == "PNG"


def test_after_redaction_the_stored_pixels_hold_no_readable_text() -> None:
    (result,) = process_upload(_ultrasound(_with_name()), filename="us.dcm", text_check="redact")
    stored = pydicom.dcmread(io.BytesIO(result.deidentified_dicom or b""))
    assert stored.BurnedInAnnotation == "NO"
    assert _read_text(Image.fromarray(stored.pixel_array.astype(np.uint8))) == ""
    assert _read_text(Image.open(io.BytesIO(result.original))) == ""
    # Only the regions were filled: the rest of the picture is as it was.
    assert np.array_equal(stored.pixel_array[120:], _with_name()[120:])


def test_a_png_screenshot_gets_the_same_check() -> None:
    png = encode(Image.fromarray(_with_name()), "PNG")
    with pytest.raises(BurnedInTextFound):
        process_upload(png, filename="shot.png", text_check="hold")
    (result,) = process_upload(png, filename="shot.png", text_check="redact")
    assert _read_text(Image.open(io.BytesIO(result.original))) == ""
    (kept,) = process_upload(png, filename="shot.png", text_check="confirmed")
    assert "DOWNTIME" in _read_text(Image.open(io.BytesIO(kept.original))).upper()


def test_an_image_without_text_passes() -> None:
    rng = np.random.default_rng(5)
    plain = rng.integers(0, 60, (240, 320), dtype=np.uint8)
    (result,) = process_upload(_ultrasound(plain), filename="us.dcm", text_check="hold")
    assert result.source_format == "dicom"
