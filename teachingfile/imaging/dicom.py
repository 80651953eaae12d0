"""DICOM: read strictly, check the transfer syntax, de-identify, render frames to 8 bits.

Rendering follows the standard pipeline: stored values -> modality LUT (rescale to
Hounsfield units for CT) -> VOI (the header window, else the frame's min/max) -> 8 bits,
inverted for MONOCHROME1. CT additionally gets the three classic window presets.
Multi-frame files give one image per frame; a series (a zip) is ordered by Instance
Number, then by position along the slice normal.
"""

from __future__ import annotations

import io
import math
import struct
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pydicom
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.pixels import apply_color_lut, apply_modality_lut, apply_voi_lut, iter_pixels
from pydicom.uid import (
    JPEG2000,
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    RLELossless,
)

from . import encode
from .deidentify import deidentify
from .errors import ImageRejected
from .result import ProcessedImage
from .validation import MAX_TOTAL_PIXELS, check_pixels

# What the brief promises to decode with pydicom + numpy + Pillow. Anything else (JPEG-LS,
# JPEG lossless, HTJ2K, video...) is refused by name rather than half-supported through
# whichever optional plugin happens to be installed.
SUPPORTED_SYNTAXES = frozenset({
    ImplicitVRLittleEndian, ExplicitVRLittleEndian, ExplicitVRBigEndian,
    DeflatedExplicitVRLittleEndian, RLELossless, JPEGBaseline8Bit, JPEG2000Lossless, JPEG2000,
})

CT_PRESETS: dict[str, tuple[float, float]] = {  # name -> (centre, width)
    "soft tissue": (40.0, 400.0),
    "lung": (-600.0, 1500.0),
    "bone": (300.0, 2000.0),
}

BURNED_IN_MESSAGE = (
    "This DICOM is flagged as having burned-in annotation; confirm it is clean to upload it"
)

_READ_ERRORS = (InvalidDicomError, ValueError, TypeError, KeyError, IndexError, EOFError,
                OSError, struct.error, NotImplementedError, AttributeError, OverflowError)
_REQUIRED_PIXEL_ATTRIBUTES = ("Rows", "Columns", "BitsAllocated", "SamplesPerPixel",
                              "PhotometricInterpretation")


@dataclass
class Instance:
    """One de-identified DICOM file waiting to be rendered."""

    label: str
    ds: Dataset
    deidentified: bytes
    frames: int

    @property
    def series_uid(self) -> str:
        return str(self.ds.get("SeriesInstanceUID", ""))

    def sort_key(self) -> tuple[int, float, float, str]:
        number = self.ds.get("InstanceNumber")
        has_number = number is not None and str(number).strip() != ""
        return (0 if has_number else 1, float(number) if has_number else 0.0,
                _slice_position(self.ds), self.label)


def load_instance(raw: bytes, label: str, *, allow_burned_in: bool,
                  uid_map: MutableMapping[str, str], require_image: bool = True
                  ) -> Instance | None:
    """Read, check and de-identify one DICOM file; None if it has no image and none is required."""
    ds = _read(raw)
    if "PixelData" not in ds:
        if require_image:
            raise ImageRejected(
                "The DICOM file contains no image (it may be a report or a DICOMDIR)",
                code="dicom_no_image",
            )
        return None
    check_transfer_syntax(ds)
    frames = _check_geometry(ds)
    if str(ds.get("BurnedInAnnotation", "")).upper() == "YES" and not allow_burned_in:
        raise ImageRejected(BURNED_IN_MESSAGE, code="burned_in")
    deidentify(ds, uid_map)
    return Instance(label=label, ds=ds, deidentified=_serialise(ds), frames=frames)


def _read(raw: bytes) -> Dataset:
    try:
        return pydicom.dcmread(io.BytesIO(raw), force=False)
    except _READ_ERRORS as exc:
        raise ImageRejected("The file is a damaged or invalid DICOM file",
                            code="dicom_invalid") from exc


def check_transfer_syntax(ds: Dataset) -> None:
    meta = getattr(ds, "file_meta", None)
    syntax = meta.get("TransferSyntaxUID") if meta is not None else None
    if not syntax:
        raise ImageRejected("The DICOM file does not declare its transfer syntax",
                            code="dicom_syntax")
    uid = UID(str(syntax))
    if uid not in SUPPORTED_SYNTAXES:
        name = uid.name if uid.name != str(uid) else "unknown"
        raise ImageRejected(
            f"DICOM transfer syntax {uid} ({name}) is not supported: export it uncompressed, "
            "or as RLE, JPEG baseline or JPEG 2000",
            code="dicom_syntax",
        )


def _check_geometry(ds: Dataset) -> int:
    missing = [name for name in _REQUIRED_PIXEL_ATTRIBUTES if name not in ds]
    if missing:
        raise ImageRejected(f"The DICOM image lacks {', '.join(missing)}", code="dicom_invalid")
    try:
        frames = int(ds.get("NumberOfFrames") or 1)
        width, height = int(ds.Columns), int(ds.Rows)
    except (TypeError, ValueError) as exc:
        raise ImageRejected("The DICOM image has an unreadable size or frame count",
                            code="dicom_invalid") from exc
    check_pixels(width, height, max(frames, 1))
    return max(frames, 1)


def _serialise(ds: Dataset) -> bytes:
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def order_series(instances: list[Instance]) -> list[list[Instance]]:
    """Group by series (in Series Number order) and sort each into stack order."""
    groups: dict[str, list[Instance]] = {}
    for instance in instances:
        groups.setdefault(instance.series_uid, []).append(instance)

    def series_number(uid: str) -> float:
        number = groups[uid][0].ds.get("SeriesNumber")
        return float(number) if number not in (None, "") else math.inf

    ordered = sorted(groups, key=series_number)
    return [sorted(groups[uid], key=Instance.sort_key) for uid in ordered]


def check_total_pixels(instances: list[Instance]) -> None:
    total = sum(int(i.ds.Rows) * int(i.ds.Columns) * i.frames for i in instances)
    if total > MAX_TOTAL_PIXELS:
        raise ImageRejected(
            f"The series has {total // 1_000_000} megapixels in all; the limit is "
            f"{MAX_TOTAL_PIXELS // 1_000_000} megapixels in one upload",
            code="pixels",
        )


def render_instance(instance: Instance, first_position: int) -> list[ProcessedImage]:
    """One ProcessedImage per frame, numbered from ``first_position`` within the series."""
    results = []
    for index, frame in enumerate(_frames(instance)):
        results.append(_render_frame(instance, index, frame, first_position + index))
    return results


def _frames(instance: Instance) -> Iterator[np.ndarray]:
    try:
        # iter_pixels decodes one frame at a time, so a long cine never sits in memory
        # whole; YBR is converted to RGB by default.
        yield from iter_pixels(instance.ds)
    except ImageRejected:
        raise
    except Exception as exc:  # decoders raise a zoo of types on corrupt codestreams
        raise ImageRejected(
            f"The DICOM pixel data cannot be decoded ({type(exc).__name__})",
            code="dicom_pixels",
        ) from exc


def _render_frame(instance: Instance, index: int, frame: np.ndarray, position: int
                  ) -> ProcessedImage:
    ds = instance.ds
    photometric = str(ds.PhotometricInterpretation).upper()
    presets: dict[str, bytes] = {}
    if photometric in ("MONOCHROME1", "MONOCHROME2"):
        values = _modality_values(frame, ds, index)
        pixels, centre, width = _voi(values, ds, index)
        if str(ds.get("Modality", "")).upper() == "CT":
            presets = {name: encode.encode_display(_as_image(window(values, c, w), ds))
                       for name, (c, w) in CT_PRESETS.items()}
        image = _as_image(pixels, ds)
    else:
        centre = width = None
        image = Image.fromarray(_colour_to_8bit(frame, ds, photometric))

    display, thumbnail = encode.encode_derivatives(image)
    return ProcessedImage(
        original=encode.encode_png(image),
        original_ext="png",
        display=display,
        display_ext=encode.DISPLAY_EXT,
        thumbnail=thumbnail,
        thumbnail_ext=encode.THUMBNAIL_EXT,
        width=image.width,
        height=image.height,
        source_format="dicom",
        presets=presets,
        dicom=facts(instance, index, centre, width),
        deidentified_dicom=instance.deidentified,
        series_key=instance.series_uid,
        position=position,
    )


def _modality_values(frame: np.ndarray, ds: Dataset, index: int) -> np.ndarray:
    """Stored values -> output units (HU for CT), via the header's modality LUT."""
    source = ds
    transform = _functional_group(ds, index, "PixelValueTransformationSequence")
    if "RescaleSlope" not in ds and transform is not None:
        # Enhanced multi-frame objects keep the rescale in functional groups, where
        # apply_modality_lut does not look; hand it a dataset that has them on top.
        source = Dataset()
        source.RescaleSlope = transform.get("RescaleSlope", 1)
        source.RescaleIntercept = transform.get("RescaleIntercept", 0)
    return np.asarray(apply_modality_lut(frame, source), dtype=np.float32)


def _voi(values: np.ndarray, ds: Dataset, index: int
         ) -> tuple[np.ndarray, float | None, float | None]:
    """8-bit pixels and the window used (None when a VOI LUT table was applied)."""
    header = _header_window(ds, index)
    if header is not None:
        centre, width = header
        return window(values, centre, width), centre, width
    if "VOILUTSequence" in ds:
        mapped = np.asarray(apply_voi_lut(values, ds), dtype=np.float32)
        return _stretch(mapped), None, None
    # No window in the header: map the frame's own range onto 0..255.
    lo, hi = float(values.min()), float(values.max())
    width = max(hi - lo, 1.0) + 1.0
    centre = lo + 0.5 + (width - 1.0) / 2.0
    return window(values, centre, width), centre, width


def _header_window(ds: Dataset, index: int) -> tuple[float, float] | None:
    source: Dataset | None = ds if "WindowCenter" in ds else _functional_group(
        ds, index, "FrameVOILUTSequence")
    if source is None or "WindowCenter" not in source or "WindowWidth" not in source:
        return None
    centre, width = _first(source.WindowCenter), _first(source.WindowWidth)
    if centre is None or width is None or not width > 0:
        return None
    return centre, width


def _first(value: Any) -> float | None:
    try:
        first = value[0] if isinstance(value, (list, tuple, pydicom.multival.MultiValue)) \
            else value
        number = float(first)
    except (TypeError, ValueError, IndexError):
        return None
    return number if math.isfinite(number) else None


def window(values: np.ndarray, centre: float, width: float) -> np.ndarray:
    """The linear VOI function of PS3.3 C.11.2.1.2 to 0..255."""
    span = max(width - 1.0, 1.0)
    low = centre - 0.5 - span / 2.0
    out = (values.astype(np.float32, copy=False) - np.float32(low)) * np.float32(255.0 / span)
    np.clip(out, 0.0, 255.0, out=out)
    return (out + 0.5).astype(np.uint8)


def _stretch(values: np.ndarray) -> np.ndarray:
    lo, hi = float(values.min()), float(values.max())
    scale = 255.0 / (hi - lo) if hi > lo else 0.0
    return ((values - lo) * scale + 0.5).astype(np.uint8)


def _as_image(pixels: np.ndarray, ds: Dataset) -> Image.Image:
    # MONOCHROME1 means "high values are dark" (many CR/DX plates): invert so it reads
    # like film, as every workstation does.
    if str(ds.PhotometricInterpretation).upper() == "MONOCHROME1":
        pixels = 255 - pixels
    return Image.fromarray(np.ascontiguousarray(pixels))


def _colour_to_8bit(frame: np.ndarray, ds: Dataset, photometric: str) -> np.ndarray:
    bits = int(ds.get("BitsStored") or ds.BitsAllocated)
    if photometric == "PALETTE COLOR":
        frame = apply_color_lut(frame, ds)
        # The palette's own depth (8 or 16 bits), not the index depth, sets the range.
        bits = int(ds.RedPaletteColorLookupTableDescriptor[2])
    if frame.ndim == 2:
        frame = np.stack([frame] * 3, axis=-1)
    if frame.dtype != np.uint8 or bits != 8:
        scale = np.float32(255.0 / (2 ** max(bits, 1) - 1))
        frame = np.clip(frame.astype(np.float32) * scale + 0.5, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(frame[..., :3])


def _functional_group(ds: Dataset, index: int, keyword: str) -> Dataset | None:
    """The item of ``keyword`` for frame ``index``, per-frame first, then shared."""
    for group_keyword, item_index in (("PerFrameFunctionalGroupsSequence", index),
                                      ("SharedFunctionalGroupsSequence", 0)):
        groups = ds.get(group_keyword)
        if groups and item_index < len(groups) and keyword in groups[item_index]:
            sequence = groups[item_index][keyword]
            if sequence.value:
                return sequence.value[0]
    return None


def _slice_position(ds: Dataset) -> float:
    """Distance along the slice normal (z for axial), 0 when the header does not say."""
    try:
        position = [float(v) for v in ds.ImagePositionPatient]
    except (AttributeError, TypeError, ValueError):
        return 0.0
    try:
        row, col = np.array(ds.ImageOrientationPatient, dtype=float).reshape(2, 3)
        return float(np.dot(np.cross(row, col), position))
    except (AttributeError, TypeError, ValueError):
        return position[2] if len(position) == 3 else 0.0


def facts(instance: Instance, index: int, centre: float | None, width: float | None
          ) -> dict[str, Any]:
    """JSON-ready, de-identified facts worth keeping with the figure."""
    ds = instance.ds
    return {
        "modality": _text(ds, "Modality"),
        "series_description": _text(ds, "SeriesDescription"),
        "body_part_examined": _text(ds, "BodyPartExamined"),
        "series_number": _number(ds.get("SeriesNumber"), int),
        "instance_number": _number(ds.get("InstanceNumber"), int),
        "frame_index": index,
        "number_of_frames": instance.frames,
        "slice_location": _number(ds.get("SliceLocation"), float),
        "slice_thickness": _number(ds.get("SliceThickness"), float),
        "image_position_patient": _numbers(ds.get("ImagePositionPatient")),
        "pixel_spacing": _numbers(ds.get("PixelSpacing")),
        "window_center": centre,
        "window_width": width,
        "rows": int(ds.Rows),
        "columns": int(ds.Columns),
        "photometric_interpretation": _text(ds, "PhotometricInterpretation"),
        "transfer_syntax_uid": str(ds.file_meta.TransferSyntaxUID),
        "burned_in_annotation": _text(ds, "BurnedInAnnotation"),
        "study_instance_uid": _text(ds, "StudyInstanceUID"),
        "series_instance_uid": _text(ds, "SeriesInstanceUID"),
        "sop_instance_uid": _text(ds, "SOPInstanceUID"),
        "frame_of_reference_uid": _text(ds, "FrameOfReferenceUID"),
    }


def _text(ds: Dataset, keyword: str) -> str:
    value = ds.get(keyword)
    return "" if value is None else str(value)


def _number(value: Any, kind: type) -> Any:
    try:
        return None if value in (None, "") else kind(float(value))
    except (TypeError, ValueError):
        return None


def _numbers(value: Any) -> list[float] | None:
    try:
        return [float(v) for v in value] if value is not None else None
    except (TypeError, ValueError):
        return None
