"""The entry point: one upload in, clean stored-ready images out, or ``ImageRejected``.

All checks run and every derivative is produced before anything is returned, so a
caller that stores only on success can never leave half a case behind: a zip with one
bad slice is refused as a whole.

Limits (``validation.Limits``) are checked as early as the data allows: bytes while the
upload is read, members from the zip's directory, frames and pixels from each DICOM
header before any pixel is decoded, and the time budget between files and frames.
"""

from __future__ import annotations

import os
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import IO

from . import burned_in, dicom, raster
from .deidentify import DeidOptions
from .errors import ImageRejected
from .result import ProcessedImage
from .validation import (
    MAX_BYTES,
    Limits,
    iter_zip_members,
    open_zip,
    read_limited,
    sniff,
    zip_files,
)

DEFAULT_MAX_BYTES = MAX_BYTES
_RENDER_WORKERS = max(1, min(4, os.cpu_count() or 1))
_EXT = re.compile(r"^[a-z0-9]{1,8}$")


def process_upload(
    data: bytes | IO[bytes],
    *,
    filename: str,
    max_bytes: int | None = None,
    allow_burned_in: bool = False,
    limits: Limits | None = None,
    deid: DeidOptions | None = None,
    text_check: str | None = None,
) -> list[ProcessedImage]:
    """A raster gives one item; a DICOM file one per frame; a zip of DICOM the series in order.

    ``filename`` is used only to word messages; the format always comes from the bytes.
    ``text_check`` reads the pixels for burned-in text: "hold" refuses an upload with
    text (``burned_in.BurnedInTextFound``, with the regions), "redact" fills the regions
    in the stored pixels, "confirmed" or None keeps the pixels as they are.
    """
    # A fresh copy starts the clock for this upload.
    limits = replace(limits or Limits(), **({"max_bytes": max_bytes} if max_bytes else {}))
    limits = replace(limits, started=Limits().started)
    raw = read_limited(data, limits.max_bytes)
    fmt = sniff(raw)
    if fmt in ("jpeg", "png", "webp"):
        decoded = raster.decode(raw, fmt)
        frames = int(getattr(decoded, "n_frames", 1) or 1)
        image = raster.clean(decoded)
        if text_check in ("hold", "redact"):
            boxes = burned_in.find_text(image)
            if boxes and text_check == "hold":
                raise burned_in.BurnedInTextFound(boxes, image)
            if boxes:
                image = burned_in.redact_image(image, boxes)
        built = raster.build(image, fmt, raw)
        if frames > 1:
            note = (f"{filename} is an animation of {frames} frames; only the first frame "
                    "is kept (upload a DICOM or a zip of frames for a stack)")
            built = replace(built, notes=(note,))
        return [built]
    if fmt == "dicom":
        instance = dicom.load_instance(raw, filename, allow_burned_in=allow_burned_in,
                                       uid_map={}, options=deid, limits=limits)
        assert instance is not None  # require_image=True never returns None
        instances = [instance]
    else:
        instances = _load_zip(raw, limits=limits, allow_burned_in=allow_burned_in, deid=deid)
    if text_check in ("hold", "redact"):
        _check_text(instances, limits, redact=text_check == "redact")
    return _render(instances, limits)


def _check_text(instances: list[dicom.Instance], limits: Limits, *, redact: bool) -> None:
    """Read the first frame of each object likely to carry text, and of each series.

    Ultrasound, secondary captures, angiography and the like are read object by object;
    other series (CT, MR) once, on their first object, which is where a scanner puts
    its patient banner when it burns one in.
    """
    for series in dicom.order_series(instances):
        for position, instance in enumerate(series):
            modality = str(instance.ds.get("Modality", "")).upper()
            flagged = str(instance.ds.get("BurnedInAnnotation", "")).upper() == "YES"
            if position and not flagged and modality not in burned_in.TEXT_PRONE_MODALITIES:
                continue
            limits.check_time()
            image = dicom.first_frame_image(instance)
            boxes = burned_in.find_text(image)
            if not boxes:
                continue
            if not redact:
                raise burned_in.BurnedInTextFound(boxes, image)
            dicom.redact(instance, boxes)


def _check_zip_headers(raw: bytes, limits: Limits) -> None:
    """Add up what the members' DICOM headers declare, before any of them is decoded."""
    total = 0
    with open_zip(raw, limits) as archive:
        for info in zip_files(archive):
            limits.check_time()
            if info.file_size > limits.max_bytes:
                raise ImageRejected(
                    f"The ZIP entry '{info.filename}' is larger than the limit of "
                    f"{limits.max_bytes // (1024 * 1024)} MB (IMAGE_MAX_BYTES)",
                    code="zip",
                )
            try:
                with archive.open(info) as member:
                    declared = dicom.declared_size(member)
            except Exception:
                declared = None
            if declared is None:
                continue
            frames, pixels = declared
            limits.check_frames(frames)
            total += pixels
            limits.check_total_pixels(total, "The ZIP archive")


def _load_zip(raw: bytes, *, limits: Limits, allow_burned_in: bool,
              deid: DeidOptions | None) -> list[dicom.Instance]:
    _check_zip_headers(raw, limits)
    uid_map: dict[str, str] = {}  # one map per upload keeps the series consistent
    instances = []
    total = 0
    for member in iter_zip_members(raw, max_member_bytes=limits.max_bytes, limits=limits):
        try:
            if sniff_member(member.data) != "dicom":
                raise ImageRejected("it is not a DICOM file; a ZIP may only hold DICOM "
                                    "(upload JPEG, PNG or WebP images one by one)", code="zip")
            instance = dicom.load_instance(member.data, member.name,
                                           allow_burned_in=allow_burned_in,
                                           uid_map=uid_map, require_image=False,
                                           options=deid, limits=limits)
        except ImageRejected as exc:
            raise ImageRejected(f"{member.name} (in the ZIP): {exc.message}",
                                code=exc.code) from exc
        if instance is not None:
            # Headers can lie, so the real count is enforced as the files are read too.
            total += dicom.pixel_count(instance)
            limits.check_total_pixels(total, "The ZIP archive")
            instances.append(instance)
    if not instances:
        raise ImageRejected("The ZIP archive contains no DICOM images", code="zip")
    return instances


def sniff_member(data: bytes) -> str:
    try:
        return sniff(data)
    except ImageRejected:
        return "unknown"


def _render(instances: list[dicom.Instance], limits: Limits) -> list[ProcessedImage]:
    jobs: list[tuple[dicom.Instance, int]] = []
    for series in dicom.order_series(instances):
        position = 0
        for instance in series:
            jobs.append((instance, position))
            position += instance.frames
    if len(jobs) == 1:
        return dicom.render_instance(*jobs[0], limits)
    # Decoding and encoding release the GIL (numpy, Pillow's codecs), so threads give a
    # near-linear speed-up on a series without the cost of pickling datasets to processes.
    with ThreadPoolExecutor(max_workers=_RENDER_WORKERS) as pool:
        rendered = pool.map(lambda job: dicom.render_instance(*job, limits), jobs)
        return [image for frames in rendered for image in frames]


def generate_unguessable_name(ext: str) -> str:
    """A storage path like ``f/3a/<32 hex>.webp``: 128 random bits, nothing from the upload.

    The two-character directory spreads files so no directory grows huge.
    """
    ext = ext.lower().lstrip(".")
    if not _EXT.match(ext):
        raise ValueError(f"Unexpected file extension {ext!r}")
    token = secrets.token_hex(16)
    return f"f/{token[:2]}/{token}.{ext}"
