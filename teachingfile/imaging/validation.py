"""Checks made before any pixel is decoded: size, format (from the bytes), pixels, zips.

The format is decided by magic numbers only. The filename and the browser's content type
are attacker-controlled and are never consulted, so a text file renamed ``.png`` or an
HTML page renamed ``.jpg`` is refused with a message saying what the bytes really are.
"""

from __future__ import annotations

import io
import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from .errors import ImageRejected

ACCEPTED = "upload JPEG, PNG, WebP or DICOM"

# 60 Mpx covers every camera and scanner image a teaching case needs (a 4000 x 3000 photo
# is 12 Mpx, a large DX plate ~ 9 Mpx) and keeps one decoded RGBA frame under ~240 MB.
MAX_PIXELS = 60_000_000
# All frames of one upload together; a 1000-slice 512 x 512 CT is 262 Mpx.
MAX_TOTAL_PIXELS = 400_000_000

ZIP_MAX_MEMBERS = 2000
ZIP_MAX_UNCOMPRESSED = 1024 * 1024 * 1024
# macOS and Windows add these to zips; they are noise, not an attack.
ZIP_IGNORED_NAMES = {".ds_store", "thumbs.db", "desktop.ini", "dicomdir"}


def read_limited(data: bytes | IO[bytes], max_bytes: int) -> bytes:
    """Return the upload as bytes, refusing it as soon as it exceeds ``max_bytes``."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
    else:
        # Django's UploadedFile may already have been read by form validation.
        if getattr(data, "seekable", lambda: False)():
            data.seek(0)
        # Read one byte past the limit so an oversized stream is detected without
        # pulling all of it into memory.
        raw = data.read(max_bytes + 1)
    if len(raw) > max_bytes:
        size = f"is {_megabytes(len(raw))}" if isinstance(data, (bytes, bytearray, memoryview)) \
            else f"is larger than {_megabytes(max_bytes)}"
        raise ImageRejected(
            f"The file {size}; the limit is {_megabytes(max_bytes)}", code="too_large"
        )
    if not raw:
        raise ImageRejected("The file is empty", code="empty")
    return raw


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB"


def sniff(raw: bytes) -> str:
    """Name the accepted format of ``raw`` ("jpeg", "png", "webp", "dicom", "zip") or refuse."""
    if raw.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if raw.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if raw[:4] == b"RIFF" and raw[8:12] == b"WEBP":
        return "webp"
    if raw[128:132] == b"DICM":
        return "dicom"
    if raw.startswith(b"PK\x03\x04"):
        return "zip"
    raise ImageRejected(_describe_refused(raw), code="format")


# Formats people actually try to upload, named so the message says what went wrong.
_REFUSED_MAGIC: list[tuple[bytes, str]] = [
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"%PDF", "PDF"),
    (b"BM", "BMP"),
    (b"PK\x05\x06", "empty ZIP"),
    (b"\x00\x00\x00\x0cjP  ", "JPEG 2000"),
    (b"\xff\x4f\xff\x51", "JPEG 2000"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf", "7-Zip"),
    (b"\x1f\x8b", "gzip"),
]


def _describe_refused(raw: bytes) -> str:
    for magic, name in _REFUSED_MAGIC:
        if raw.startswith(magic):
            return f"{name} files are not accepted: {ACCEPTED}"
    if raw[4:8] == b"ftyp":
        brand = raw[8:12].decode("ascii", "replace").strip()
        kind = "HEIC/AVIF" if brand[:3] in {"hei", "hev", "mif", "avi", "msf"} else "MP4/QuickTime"
        return f"{kind} files are not accepted: {ACCEPTED}"
    text = _as_text(raw[:4096])
    if text is not None:
        lowered = text.lower()
        if "<svg" in lowered:
            return f"SVG files are not accepted: {ACCEPTED}"
        if "<html" in lowered or "<!doctype html" in lowered or "<script" in lowered:
            return f"The file is an HTML page, not an image: {ACCEPTED}"
        return f"The file is text, not an image: {ACCEPTED}"
    if raw[:128].count(0) == 128 or len(raw) < 132:
        return ("The file is not a recognised image (a DICOM file needs its 'DICM' "
                f"header): {ACCEPTED}")
    return f"The file is not a recognised image format: {ACCEPTED}"


def _as_text(head: bytes) -> str | None:
    """Decode ``head`` if it looks like text (UTF-8/UTF-16, no control bytes), else None."""
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"),
                          (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            return head[len(bom):].decode(encoding, "ignore")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The 4 KiB cut may split a multi-byte character at the end; tolerate only that.
        if exc.start < len(head) - 3:
            return None
        text = head[: exc.start].decode("utf-8")
    if any(ord(c) < 32 and c not in "\t\r\n\f" for c in text):
        return None
    return text


def check_pixels(width: int, height: int, frames: int = 1) -> None:
    """Refuse an image whose declared size is too large, before anything is decoded."""
    if width <= 0 or height <= 0:
        raise ImageRejected(f"Image declares an invalid size of {width} x {height} pixels",
                            code="corrupt")
    if width * height > MAX_PIXELS:
        raise ImageRejected(
            f"Image is {width} x {height} pixels; the limit is "
            f"{MAX_PIXELS // 1_000_000} megapixels",
            code="pixels",
        )
    if width * height * frames > MAX_TOTAL_PIXELS:
        raise ImageRejected(
            f"Image has {frames} frames of {width} x {height} pixels; the limit is "
            f"{MAX_TOTAL_PIXELS // 1_000_000} megapixels in one upload",
            code="pixels",
        )


@dataclass(frozen=True)
class ZipMember:
    name: str
    data: bytes


def iter_zip_members(raw: bytes, *, max_member_bytes: int) -> Iterator[ZipMember]:
    """Yield the files of a zip in archive order, with every limit enforced while reading.

    Nothing is ever extracted to disk, but path tricks are still refused: an archive
    with ``../`` or absolute names was built to attack someone, and is not a series.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as exc:
        raise ImageRejected("The file is a damaged ZIP archive", code="zip") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > ZIP_MAX_MEMBERS:
            raise ImageRejected(
                f"The ZIP archive has {len(infos)} entries; the limit is {ZIP_MAX_MEMBERS}",
                code="zip",
            )
        # Declared sizes can lie, so this is a cheap first check; the real count is below.
        if sum(info.file_size for info in infos) > ZIP_MAX_UNCOMPRESSED:
            raise ImageRejected(_zip_too_big(), code="zip")
        total = 0
        for info in infos:
            _check_member_name(info)
            if info.is_dir() or _is_ignored(info.filename):
                continue
            if info.flag_bits & 0x1:
                raise ImageRejected(
                    f"The ZIP entry '{info.filename}' is encrypted", code="zip"
                )
            data = _read_member(archive, info, max_member_bytes)
            total += len(data)
            if total > ZIP_MAX_UNCOMPRESSED:
                raise ImageRejected(_zip_too_big(), code="zip")
            yield ZipMember(info.filename, data)


def _zip_too_big() -> str:
    return (f"The ZIP archive expands to more than {_megabytes(ZIP_MAX_UNCOMPRESSED)}; "
            "upload the series in parts")


def _check_member_name(info: zipfile.ZipInfo) -> None:
    name = info.filename
    parts = name.replace("\\", "/").split("/")
    unsafe = (
        name.startswith(("/", "\\"))
        or "\\" in name
        or "\x00" in name
        or ".." in parts
        or (len(name) > 1 and name[1] == ":")
        or stat.S_ISLNK(info.external_attr >> 16)
    )
    if unsafe:
        raise ImageRejected(
            f"The ZIP archive contains an unsafe path '{name}'; it was refused", code="zip"
        )


def _is_ignored(name: str) -> bool:
    parts = name.split("/")
    base = parts[-1]
    return (
        parts[0] == "__MACOSX"
        or base.lower() in ZIP_IGNORED_NAMES
        or base.startswith("._")
    )


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    try:
        with archive.open(info) as member:
            data = member.read(limit + 1)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError,
            RuntimeError) as exc:
        raise ImageRejected(
            f"The ZIP entry '{info.filename}' is damaged or uses unsupported compression",
            code="zip",
        ) from exc
    if len(data) > limit:
        raise ImageRejected(
            f"The ZIP entry '{info.filename}' is larger than {_megabytes(limit)}", code="zip"
        )
    return data
