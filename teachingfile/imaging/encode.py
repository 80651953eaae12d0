"""Encoders for the stored files: full-size original, screen-size display, thumbnail.

All inputs are clean Pillow images built from pixel data only (see ``raster.pixels_only``),
and no encoder is given ``exif=``, ``icc_profile=`` or ``pnginfo=``, so nothing but pixels
reaches the stored bytes.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

DISPLAY_MAX_SIDE = 1600
DISPLAY_MAX_BYTES = 300 * 1024
THUMBNAIL_MAX_SIDE = 320

DISPLAY_EXT = "webp"
THUMBNAIL_EXT = "webp"

# WebP method 2 is ~2x faster than 4 (4x faster than 6) for ~5% more bytes, which the
# budget easily absorbs. Qualities are tried in order until the display fits its byte
# budget (noisy radiographs compress badly).
_WEBP_METHOD = 2
_DISPLAY_QUALITIES = (82, 72, 62, 50, 40)
_THUMBNAIL_QUALITY = 75

# Modes a browser-facing 8-bit derivative can be made from without a decision.
_EIGHT_BIT_MODES = {"L", "LA", "RGB", "RGBA"}


def downscale(im: Image.Image, max_side: int) -> Image.Image:
    """Shrink so the longest side is at most ``max_side``; never enlarge."""
    width, height = im.size
    longest = max(width, height)
    if longest <= max_side:
        return im
    scale = max_side / longest
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # reducing_gap lets Pillow box-reduce by an integer factor first (cheap), then
    # Lanczos the rest: near Lanczos quality at a fraction of the cost for big photos.
    return im.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def to_eight_bit(im: Image.Image) -> Image.Image:
    """Return an 8-bit L/LA/RGB/RGBA image for derivatives (16-bit is min/max stretched)."""
    if im.mode in _EIGHT_BIT_MODES:
        return im
    if im.mode.startswith("I") or im.mode == "F":
        arr = np.asarray(im, dtype=np.float32)
        lo, hi = float(arr.min()), float(arr.max())
        span = hi - lo if hi > lo else 1.0
        scaled = np.clip((arr - lo) * (255.0 / span), 0, 255).round().astype(np.uint8)
        return Image.fromarray(scaled)
    return im.convert("RGBA" if "A" in im.getbands() else "RGB")


def encode_webp(im: Image.Image, quality: int, *, lossless: bool = False) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "WEBP", quality=quality, method=_WEBP_METHOD, lossless=lossless)
    return buf.getvalue()


def encode_png(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG", compress_level=6)
    return buf.getvalue()


def encode_jpeg(im: Image.Image, quality: int = 92) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def encode_display(im: Image.Image) -> bytes:
    """Screen-size WebP, longest side <= 1600 px and at most 300 KB."""
    image = downscale(to_eight_bit(im), DISPLAY_MAX_SIDE)
    while True:
        for quality in _DISPLAY_QUALITIES:
            data = encode_webp(image, quality)
            if len(data) <= DISPLAY_MAX_BYTES:
                return data
        # Even q40 is too big (pure noise): give up resolution rather than the budget.
        width, height = image.size
        image = image.resize((max(1, width * 4 // 5), max(1, height * 4 // 5)),
                             Image.Resampling.LANCZOS)


def encode_thumbnail(im: Image.Image) -> bytes:
    return encode_webp(downscale(to_eight_bit(im), THUMBNAIL_MAX_SIDE), _THUMBNAIL_QUALITY)


def encode_derivatives(im: Image.Image) -> tuple[bytes, bytes]:
    """(display, thumbnail); the thumbnail is cut from the screen-size image, not the original."""
    screen = downscale(to_eight_bit(im), DISPLAY_MAX_SIDE)
    return encode_display(screen), encode_thumbnail(screen)
