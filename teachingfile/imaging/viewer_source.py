"""The viewer source: one DICOM frame at its stored depth, with only what display needs.

The browser viewer (Cornerstone3D) windows, probes and measures on stored values, so it
needs more than the 8-bit WebP. Rather than serve the de-identified DICOM (whose header
still holds descriptions that can name the diagnosis) or ship a DICOM parser and codecs to
the browser, each frame is written as a tiny container that needs no decoder::

    b"TFV1"  uint32 LE header length  header (UTF-8 JSON, space-padded)  pixels (raw LE)

The pixels start on an 8-byte boundary so the browser can view them as a typed array
without copying. The header holds exactly the keys of ``HEADER_KEYS``; ``parse`` is the
reader the tests use, and static/js/viewer.js has its twin.
"""

from __future__ import annotations

import json
import math
import struct
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

MAGIC = b"TFV1"
EXT = "tfv"
CONTENT_TYPE = "application/octet-stream"

# The allow-list. Nothing else goes in: no descriptions, UIDs, dates, names or free text.
HEADER_KEYS = frozenset(
    {
        "version",
        "rows",
        "columns",
        "samples_per_pixel",
        "dtype",  # numpy-style little-endian name of the pixel array: uint8, int16, float32...
        "bits_stored",
        "rescale_slope",
        "rescale_intercept",
        "units",  # "HU" on CT, else "" (the modality's raw units)
        "modality",  # two to four capitals (CT, MR, CR): picks the window presets offered
        "photometric_interpretation",
        "pixel_spacing",  # [row spacing, column spacing] in mm, or null
        "spacing_calibrated",  # true only for Pixel Spacing in the patient plane
        "windows",  # [[centre, width], ...] from the header, in output units
        "position",  # 0-based position in its series (stack order)
    }
)

_DTYPES = {"uint8", "int8", "uint16", "int16", "float32"}
_PHOTOMETRIC = {"MONOCHROME1", "MONOCHROME2", "RGB"}
_MODALITY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def build(ds: Dataset, frame: np.ndarray, index: int, position: int) -> bytes:
    """The viewer source of frame ``index`` of ``ds``, already decoded to ``frame``.

    Greyscale frames keep their stored integers; colour frames (RGB, YBR, palette) arrive
    here as 8-bit RGB.
    """
    from .dicom import _functional_group  # the one reader of per-frame functional groups

    photometric = str(ds.PhotometricInterpretation).upper()
    if photometric not in ("MONOCHROME1", "MONOCHROME2"):
        pixels = np.ascontiguousarray(frame[..., :3] if frame.ndim == 3 else frame, dtype=np.uint8)
        samples = 3 if pixels.ndim == 3 else 1
        photometric = "RGB" if samples == 3 else "MONOCHROME2"
        slope, intercept, windows = 1.0, 0.0, []
    else:
        pixels = _stored(frame)
        samples = 1
        transform = _functional_group(ds, index, "PixelValueTransformationSequence")
        rescale = ds if "RescaleSlope" in ds or transform is None else transform
        slope = _float(rescale.get("RescaleSlope"), 1.0) or 1.0
        intercept = _float(rescale.get("RescaleIntercept"), 0.0)
        voi = ds if "WindowCenter" in ds else _functional_group(ds, index, "FrameVOILUTSequence")
        windows = _windows(voi) if voi is not None else []

    modality = str(ds.get("Modality", "")).upper()
    if not (2 <= len(modality) <= 4 and set(modality) <= _MODALITY_CHARS):
        modality = ""
    spacing, calibrated = _spacing(ds, index)
    rows, columns = int(pixels.shape[0]), int(pixels.shape[1])
    header = {
        "version": 1,
        "rows": rows,
        "columns": columns,
        "samples_per_pixel": samples,
        "dtype": pixels.dtype.name,
        "bits_stored": int(ds.get("BitsStored") or pixels.dtype.itemsize * 8)
        if samples == 1
        else 8,
        "rescale_slope": slope,
        "rescale_intercept": intercept,
        "units": "HU" if modality == "CT" and samples == 1 else "",
        "modality": modality,
        "photometric_interpretation": photometric,
        "pixel_spacing": spacing,
        "spacing_calibrated": calibrated,
        "windows": windows,
        "position": int(position),
    }
    return pack(header, pixels)


def build_from_dicom(raw: bytes, index: int, position: int) -> bytes:
    """The viewer source of one frame of a stored, already de-identified DICOM file.

    For figures uploaded before viewer sources existed (``manage.py build_viewer_sources``).
    """
    from pydicom.pixels import pixel_array

    from .dicom import _colour_to_8bit, _read

    ds = _read(raw)
    frame = pixel_array(ds, index=index)
    photometric = str(ds.PhotometricInterpretation).upper()
    if photometric not in ("MONOCHROME1", "MONOCHROME2"):
        frame = _colour_to_8bit(frame, ds, photometric)
    return build(ds, frame, index, position)


def pack(header: dict[str, Any], pixels: np.ndarray) -> bytes:
    """Serialise ``header`` (allow-listed keys only) and ``pixels`` into the container."""
    unexpected = set(header) - HEADER_KEYS
    if unexpected:
        raise ValueError(f"Not allowed in a viewer source: {sorted(unexpected)}")
    text = json.dumps(header, separators=(",", ":"), allow_nan=False).encode()
    # Pad so that 8 + len(header) is a multiple of 8: typed arrays need aligned offsets.
    text += b" " * (-(8 + len(text)) % 8)
    little = pixels.astype(pixels.dtype.newbyteorder("<"), copy=False)
    return MAGIC + struct.pack("<I", len(text)) + text + np.ascontiguousarray(little).tobytes()


def parse(data: bytes) -> tuple[dict[str, Any], np.ndarray]:
    """Read a viewer source back: (header, pixels shaped rows x columns [x samples])."""
    if data[:4] != MAGIC or len(data) < 8:
        raise ValueError("Not a viewer source")
    (length,) = struct.unpack("<I", data[4:8])
    header = json.loads(data[8 : 8 + length])
    if header.get("dtype") not in _DTYPES:
        raise ValueError("Unknown pixel type")
    if header.get("photometric_interpretation") not in _PHOTOMETRIC:
        raise ValueError("Unknown photometric interpretation")
    shape = [header["rows"], header["columns"]]
    if header["samples_per_pixel"] > 1:
        shape.append(header["samples_per_pixel"])
    pixels = np.frombuffer(
        data, dtype=np.dtype(header["dtype"]).newbyteorder("<"), offset=8 + length
    ).reshape(shape)
    return header, pixels


def _stored(frame: np.ndarray) -> np.ndarray:
    """Stored greyscale values in a type the browser has a typed array for."""
    if frame.dtype.name in ("uint8", "int8", "uint16", "int16"):
        return np.ascontiguousarray(frame)
    if frame.dtype.kind in "iu":
        lo, hi = int(frame.min()), int(frame.max())
        for name in ("int16", "uint16"):
            info = np.iinfo(name)
            if info.min <= lo and hi <= info.max:
                return np.ascontiguousarray(frame, dtype=name)
    # 32-bit integers out of 16-bit range and float pixel data: float32 keeps every value
    # a CT or MR can hold (integers are exact below 2**24).
    return np.ascontiguousarray(frame, dtype=np.float32)


def _windows(source: Dataset) -> list[list[float]]:
    if "WindowCenter" not in source or "WindowWidth" not in source:
        return []
    centres, widths = _many(source.WindowCenter), _many(source.WindowWidth)
    return [[c, w] for c, w in zip(centres, widths, strict=False) if w > 0][:9]


def _many(value: Any) -> list[float]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        value = [value]
    numbers = [_float(v, math.nan) for v in value]
    return [n for n in numbers if math.isfinite(n)]


def _spacing(ds: Dataset, index: int) -> tuple[list[float] | None, bool]:
    """Pixel Spacing (calibrated, patient plane) or Imager Pixel Spacing (detector plane)."""
    from .dicom import _functional_group

    measures = _functional_group(ds, index, "PixelMeasuresSequence")
    for source, keyword, calibrated in (
        (ds, "PixelSpacing", True),
        (measures, "PixelSpacing", True),
        (ds, "ImagerPixelSpacing", False),
    ):
        if source is None or keyword not in source:
            continue
        values = _many(source[keyword].value)
        if len(values) == 2 and all(v > 0 for v in values):
            return values, calibrated
    return None, False


def _float(value: Any, default: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) else default
