"""JPEG, PNG and WebP: prove the file decodes, make it upright and clean, derive sizes.

The order matters for safety: the declared size is read from the header and checked
against the pixel limit *before* any decoding, then Pillow ``verify()``s the file, then a
fresh image is fully ``load()``ed (verify leaves the image unusable, and a file can pass
verify yet be truncated). Only then is the picture rebuilt from its pixels alone.
"""

from __future__ import annotations

import io
import struct
import warnings

from PIL import Image, ImageCms, ImageOps, JpegImagePlugin, PngImagePlugin, WebPImagePlugin

from . import encode
from .errors import ImageRejected
from .result import ProcessedImage
from .validation import check_pixels

_PILLOW_FORMAT = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}
_HEADER_READERS = {
    "jpeg": JpegImagePlugin.JpegImageFile,
    "png": PngImagePlugin.PngImageFile,
    "webp": WebPImagePlugin.WebPImageFile,
}
# What a damaged file can make Pillow's decoders raise.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError,
                  TypeError, KeyError, Image.DecompressionBombError)


def process_raster(raw: bytes, fmt: str) -> ProcessedImage:
    """Turn validated-format bytes (``fmt`` from ``validation.sniff``) into a ProcessedImage."""
    image = clean(decode(raw, fmt))
    original, original_ext = _encode_original(image, fmt, raw)
    display, thumbnail = encode.encode_derivatives(image)
    return ProcessedImage(
        original=original,
        original_ext=original_ext,
        display=display,
        display_ext=encode.DISPLAY_EXT,
        thumbnail=thumbnail,
        thumbnail_ext=encode.THUMBNAIL_EXT,
        width=image.width,
        height=image.height,
        source_format=fmt,
    )


def declared_size(raw: bytes, fmt: str) -> tuple[int, int]:
    """Width and height from the header only; no pixel data is touched.

    The plugin classes are used directly because ``Image.open`` runs Pillow's own
    decompression-bomb check, which raises without telling us the dimensions.
    """
    name = _PILLOW_FORMAT[fmt]
    try:
        header = _HEADER_READERS[fmt](io.BytesIO(raw))
    except _DECODE_ERRORS as exc:
        raise ImageRejected(f"The file is a corrupt {name}: its header cannot be read",
                            code="corrupt") from exc
    with header:
        return header.size


def decode(raw: bytes, fmt: str) -> Image.Image:
    """Fully decode ``raw`` as ``fmt`` after the pixel limit has been checked."""
    name = _PILLOW_FORMAT[fmt]
    check_pixels(*declared_size(raw, fmt))
    try:
        with warnings.catch_warnings():
            # Belt and braces: our limit is below Pillow's, but never decode a bomb.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw), formats=[name]) as probe:
                probe.verify()
            image = Image.open(io.BytesIO(raw), formats=[name])
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(f"The {name} is too large to decode safely", code="pixels") from exc
    except _DECODE_ERRORS as exc:
        if "truncat" in str(exc).lower():
            raise ImageRejected(f"The file is a truncated {name}", code="truncated") from exc
        raise ImageRejected(f"The file is a corrupt {name}: it cannot be decoded",
                            code="corrupt") from exc
    return image


def clean(image: Image.Image) -> Image.Image:
    """Upright, sRGB, a sensible mode, and rebuilt from pixels so no metadata survives."""
    image = _upright(image)
    image = _to_srgb(image)
    image = _sensible_mode(image)
    return pixels_only(image)


def pixels_only(image: Image.Image) -> Image.Image:
    """A new image with the same pixels and an empty ``info`` (no EXIF, ICC, text, XMP)."""
    return Image.frombytes(image.mode, image.size, image.tobytes())


def _upright(image: Image.Image) -> Image.Image:
    # A phone photo of a film is often stored sideways with an EXIF Orientation tag; once
    # EXIF is dropped the tag is gone, so the rotation must be baked into the pixels.
    try:
        return ImageOps.exif_transpose(image)
    except _DECODE_ERRORS:
        return image  # unreadable EXIF: the pixels are still fine, just not rotated


def _to_srgb(image: Image.Image) -> Image.Image:
    # Dropping a non-sRGB profile (Display P3 from phones, Adobe RGB, CMYK press
    # profiles) would shift colours, so convert to sRGB first; then the profile can go.
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in {"RGB", "RGBA", "CMYK"}:
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in ImageCms.getProfileDescription(source).lower().replace(" ", ""):
            return image
        out_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(
            image, source, ImageCms.createProfile("sRGB"), outputMode=out_mode
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image  # a broken profile is treated as absent
    return converted if converted is not None else image


def _sensible_mode(image: Image.Image) -> Image.Image:
    mode = image.mode
    if mode in {"L", "LA", "RGB", "RGBA", "I;16"}:
        return image
    if mode == "1":
        return image.convert("L")
    if mode in {"P", "PA"}:
        has_alpha = mode == "PA" or "transparency" in image.info
        return image.convert("RGBA" if has_alpha else "RGB")
    if mode.startswith("I;16"):
        return image.convert("I;16")  # byte-order variants: one native 16-bit mode
    if mode in {"I", "F"}:
        return encode.to_eight_bit(image)
    # CMYK, YCbCr, LAB, HSV, La, RGBa, RGBX...: what a browser shows is RGB(A).
    return image.convert("RGBA" if "A" in image.getbands() else "RGB")


def _encode_original(image: Image.Image, fmt: str, raw: bytes) -> tuple[bytes, str]:
    if fmt == "jpeg":
        # JPEG sources are already lossy; q92 keeps them visually identical.
        return encode.encode_jpeg(encode.to_eight_bit(image)), "jpg"
    if fmt == "webp":
        lossless = _webp_is_lossless(raw)
        return encode.encode_webp(encode.to_eight_bit(image), 92, lossless=lossless), "webp"
    return encode.encode_png(image), "png"


def _webp_is_lossless(raw: bytes) -> bool:
    """True when the WebP's image chunk is VP8L (lossless) rather than VP8 (lossy)."""
    offset = 12
    while offset + 8 <= len(raw):
        fourcc = raw[offset : offset + 4]
        (size,) = struct.unpack_from("<I", raw, offset + 4)
        if fourcc == b"VP8L":
            return True
        if fourcc == b"VP8 ":
            return False
        offset += 8 + size + (size & 1)
    return False
