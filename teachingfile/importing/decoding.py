"""Turning uploaded bytes into text, or a clear refusal before anything is written."""

from __future__ import annotations

import codecs

from django.conf import settings

DEFAULT_MAX_BYTES = 1024 * 1024
# Word, PDF and zip files carry their images, so they may be larger than a text write-up.
DEFAULT_MAX_DOCUMENT_BYTES = 25 * 1024 * 1024
TEXT_SUFFIXES = (".md", ".markdown", ".txt", ".text")
BINARY_SUFFIXES = (".docx", ".pdf", ".zip")
MARKUP_SUFFIXES = (".html", ".htm", ".xml", ".gift")
SUFFIXES = TEXT_SUFFIXES + BINARY_SUFFIXES + MARKUP_SUFFIXES
_ALLOWED_CONTROLS = {"\t", "\n", "\r", "\f"}


class ImportRejected(Exception):
    """A file that cannot be imported at all; nothing of it has been written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def max_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_bytes_for(filename: str) -> int:
    """The size limit of one file: larger for documents that carry images."""
    if filename.lower().endswith(BINARY_SUFFIXES):
        return int(getattr(settings, "IMPORT_MAX_DOCUMENT_BYTES", DEFAULT_MAX_DOCUMENT_BYTES))
    return max_bytes()


def suffix_of(filename: str) -> str:
    """The file's kind by its name; refuses kinds the importer does not read."""
    lowered = filename.lower()
    for suffix in SUFFIXES:
        if lowered.endswith(suffix):
            return suffix
    if "." not in filename.rsplit("/", 1)[-1]:
        return ".txt"  # a name without an extension: read as plain text
    raise ImportRejected(
        f"{filename}: files of this kind are not read. Import Markdown or plain text, "
        "Word (.docx), PDF, HTML, Moodle XML, GIFT, a MIRCdocument (.xml) or a MIRC zip."
    )


def check_size(data: bytes, *, filename: str) -> None:
    limit = max_bytes_for(filename)
    if len(data) > limit:
        raise ImportRejected(
            f"{filename} is {len(data) / 1024:.0f} KB; files of this kind larger than "
            f"{limit // 1024} KB are refused. Split it or remove embedded images."
        )
    if not data.strip():
        raise ImportRejected(f"{filename} is empty.")


def decode_document(data: bytes, *, filename: str) -> str:
    """The document as text; raises ImportRejected for empty, huge, binary or non-text input."""
    limit = max_bytes()
    if len(data) > limit:
        raise ImportRejected(
            f"{filename} is {len(data) / 1024:.0f} KB; write-ups larger than "
            f"{limit // 1024} KB are refused. Split it or remove embedded images."
        )
    if not data.strip():
        raise ImportRejected(f"{filename} is empty.")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
        if b"\x00" in data:
            raise ImportRejected(
                f"{filename} looks like a binary file (it contains NUL bytes); "
                "export the write-up as Markdown or plain text."
            )
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ImportRejected(
            f"{filename} is not UTF-8 text (undecodable byte 0x{data[exc.start]:02x} at "
            f"position {exc.start}); save it as UTF-8 and try again."
        ) from None
    controls = sum(1 for ch in text if ch < " " and ch not in _ALLOWED_CONTROLS)
    if controls > max(2, len(text) // 200):
        raise ImportRejected(
            f"{filename} looks like a binary file ({controls} control characters); "
            "export the write-up as Markdown or plain text."
        )
    if not text.strip():
        raise ImportRejected(f"{filename} is empty.")
    return text
