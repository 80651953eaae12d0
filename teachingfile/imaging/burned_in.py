"""Text burned into the pixels: find it with Tesseract, show it, black it out.

A name typed onto an ultrasound or a screenshot survives every header rule, so the
pixels themselves are read. Tesseract (Debian's ``tesseract-ocr``, through pytesseract)
returns words with boxes; a word counts when it is read with some confidence and has at
least two letters or digits, which keeps speckle and calipers from raising alarms.
"""

from __future__ import annotations

import base64
import io
import shutil
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from .errors import ImageRejected

# Modalities that often carry typed text (PS3.3 C.7.6.1.1.1 lists the same kinds).
TEXT_PRONE_MODALITIES = frozenset({"US", "SC", "XA", "OT", "XC", "ES", "GM", "SM", "RF", "DX"})
MIN_CONFIDENCE = 60
MIN_CHARACTERS = 3
LIGHT_INK = 200
DARK_INK = 55
_MIN_SIDE = 24  # below this nothing legible fits
_PAD = 3


class TesseractMissing(RuntimeError):
    """The OCR engine is not installed (``make ocr-deps`` installs it)."""


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    width: int
    height: int
    text: str

    def describe(self) -> str:
        return f"{self.width}x{self.height} at ({self.left}, {self.top})"


class BurnedInTextFound(ImageRejected):
    """Text was read in the pixels: the upload is held until the author decides."""

    def __init__(self, boxes: list[Box], preview: Image.Image) -> None:
        where = "; ".join(b.describe() for b in boxes[:8])
        super().__init__(
            f"Text was found burned into the image ({len(boxes)} region(s): {where}); "
            "nothing was kept. Check the regions outlined in red, then upload the file "
            'again and tick either "The image is free of burned-in identifying text" or '
            '"Black out the text found in the pixels"',
            code="burned_in_text",
        )
        self.boxes = boxes
        self.preview_png = highlight(preview, boxes)

    def preview_data_url(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.preview_png).decode()


def tesseract_available() -> bool:
    return shutil.which("tesseract") is not None


def find_text(image: Image.Image) -> list[Box]:
    """Boxes of the words Tesseract reads in ``image`` (any mode), in its pixel coordinates."""
    if min(image.size) < _MIN_SIDE:
        return []
    if not tesseract_available():
        raise TesseractMissing("tesseract is not installed")
    import pytesseract

    grey = np.asarray(ImageOps.grayscale(image.convert("RGB")))
    # Burned-in text is drawn at the extreme of the display range: near-white on a dark
    # image (ultrasound, fluoroscopy), near-black on a light one (screenshots). Keeping
    # only those pixels, as black on white, leaves speckle and tissue out of the reading.
    ink = grey >= LIGHT_INK if float(np.median(grey)) < 128 else grey <= DARK_INK
    page = Image.fromarray(np.where(ink, 0, 255).astype(np.uint8))
    # Small text on small images reads better enlarged; big images are read as they are.
    scale = 2 if max(page.size) < 1200 else 1
    if scale != 1:
        page = page.resize((page.width * scale, page.height * scale), Image.Resampling.NEAREST)
    data = pytesseract.image_to_data(page, output_type=pytesseract.Output.DICT, config="--psm 11")
    boxes: list[Box] = []
    for i, word in enumerate(data["text"]):
        text = word.strip()
        try:
            confidence = float(data["conf"][i])
        except (TypeError, ValueError):
            continue
        if confidence < MIN_CONFIDENCE or sum(c.isalnum() for c in text) < MIN_CHARACTERS:
            continue
        boxes.append(
            Box(
                left=int(data["left"][i]) // scale,
                top=int(data["top"][i]) // scale,
                width=max(1, int(data["width"][i]) // scale),
                height=max(1, int(data["height"][i]) // scale),
                text=text,
            )
        )
    return _merge(boxes)


def _merge(boxes: list[Box]) -> list[Box]:
    """Drop boxes found twice."""
    unique: dict[tuple[int, int, int, int], Box] = {}
    for box in boxes:
        key = (box.left // 4, box.top // 4, box.width // 4, box.height // 4)
        unique.setdefault(key, box)
    return list(unique.values())


def padded(box: Box, width: int, height: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1), exclusive ends, grown a little and clipped to the image."""
    return (
        max(0, box.left - _PAD),
        max(0, box.top - _PAD),
        min(width, box.left + box.width + _PAD),
        min(height, box.top + box.height + _PAD),
    )


def redact_array(pixels: np.ndarray, boxes: list[Box], *, colour: bool) -> np.ndarray:
    """Fill the boxes with the array's minimum in every frame.

    ``pixels`` is (rows, cols), (frames, rows, cols), or either with a trailing
    samples axis when ``colour``.
    """
    out = np.array(pixels, copy=True)
    rows_axis = -3 if colour else -2
    height, width = out.shape[rows_axis], out.shape[rows_axis + 1]
    fill = out.min()
    for box in boxes:
        x0, y0, x1, y1 = padded(box, width, height)
        if colour:
            out[..., y0:y1, x0:x1, :] = fill
        else:
            out[..., y0:y1, x0:x1] = fill
    return out


def redact_image(image: Image.Image, boxes: list[Box]) -> Image.Image:
    out = image.copy()
    draw = ImageDraw.Draw(out)
    fill = 0 if out.mode in ("L", "I", "I;16", "F") else (0,) * len(out.getbands())
    for box in boxes:
        x0, y0, x1, y1 = padded(box, out.width, out.height)
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=fill)
    return out


def highlight(image: Image.Image, boxes: list[Box]) -> bytes:
    """A PNG of ``image`` (at most 800 px) with each region outlined in red."""
    preview = image.convert("RGB")
    scale = min(1.0, 800 / max(preview.size))
    if scale < 1:
        preview = preview.resize(
            (max(1, int(preview.width * scale)), max(1, int(preview.height * scale)))
        )
    draw = ImageDraw.Draw(preview)
    for box in boxes:
        x0, y0, x1, y1 = (int(v * scale) for v in padded(box, image.width, image.height))
        draw.rectangle((x0, y0, x1, y1), outline=(255, 0, 0), width=2)
    buffer = io.BytesIO()
    preview.save(buffer, "PNG")
    return buffer.getvalue()
