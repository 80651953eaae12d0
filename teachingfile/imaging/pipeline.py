"""The entry point: one upload in, clean stored-ready images out, or ``ImageRejected``.

All checks run and every derivative is produced before anything is returned, so a
caller that stores only on success can never leave half a case behind: a zip with one
bad slice is refused as a whole.
"""

from __future__ import annotations

import os
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import IO

from . import dicom
from .errors import ImageRejected
from .raster import process_raster
from .result import ProcessedImage
from .validation import iter_zip_members, read_limited, sniff

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
_RENDER_WORKERS = max(1, min(4, os.cpu_count() or 1))
_EXT = re.compile(r"^[a-z0-9]{1,8}$")


def process_upload(
    data: bytes | IO[bytes],
    *,
    filename: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allow_burned_in: bool = False,
) -> list[ProcessedImage]:
    """A raster gives one item; a DICOM file one per frame; a zip of DICOM the series in order.

    ``filename`` is used only to word messages; the format always comes from the bytes.
    """
    raw = read_limited(data, max_bytes)
    fmt = sniff(raw)
    if fmt in ("jpeg", "png", "webp"):
        return [process_raster(raw, fmt)]
    if fmt == "dicom":
        instance = dicom.load_instance(raw, filename, allow_burned_in=allow_burned_in,
                                       uid_map={})
        assert instance is not None  # require_image=True never returns None
        return _render([instance])
    return _process_zip(raw, max_bytes=max_bytes, allow_burned_in=allow_burned_in)


def _process_zip(raw: bytes, *, max_bytes: int, allow_burned_in: bool) -> list[ProcessedImage]:
    uid_map: dict[str, str] = {}  # one map per upload keeps the series consistent
    instances = []
    for member in iter_zip_members(raw, max_member_bytes=max_bytes):
        try:
            if sniff_member(member.data) != "dicom":
                raise ImageRejected("it is not a DICOM file; a ZIP may only hold DICOM "
                                    "(upload JPEG, PNG or WebP images one by one)", code="zip")
            instance = dicom.load_instance(member.data, member.name,
                                           allow_burned_in=allow_burned_in,
                                           uid_map=uid_map, require_image=False)
        except ImageRejected as exc:
            raise ImageRejected(f"{member.name} (in the ZIP): {exc.message}",
                                code=exc.code) from exc
        if instance is not None:
            instances.append(instance)
    if not instances:
        raise ImageRejected("The ZIP archive contains no DICOM images", code="zip")
    dicom.check_total_pixels(instances)
    return _render(instances)


def sniff_member(data: bytes) -> str:
    try:
        return sniff(data)
    except ImageRejected:
        return "unknown"


def _render(instances: list[dicom.Instance]) -> list[ProcessedImage]:
    jobs: list[tuple[dicom.Instance, int]] = []
    for series in dicom.order_series(instances):
        position = 0
        for instance in series:
            jobs.append((instance, position))
            position += instance.frames
    if len(jobs) == 1:
        return dicom.render_instance(*jobs[0])
    # Decoding and encoding release the GIL (numpy, Pillow's codecs), so threads give a
    # near-linear speed-up on a series without the cost of pickling datasets to processes.
    with ThreadPoolExecutor(max_workers=_RENDER_WORKERS) as pool:
        rendered = pool.map(lambda job: dicom.render_instance(*job), jobs)
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
