"""The value object ``process_upload`` returns: one per stored figure (raster, or DICOM frame)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ProcessedImage:
    """Clean bytes ready to store, plus the facts worth recording about them.

    ``original`` carries pixels only (no EXIF, text chunks, ICC or DICOM header).
    For DICOM, ``deidentified_dicom`` is the whole de-identified file; all frames of one
    multi-frame file share the same bytes object, so store it once per
    ``dicom["sop_instance_uid"]``.
    """

    original: bytes
    original_ext: str
    display: bytes
    display_ext: str
    thumbnail: bytes
    thumbnail_ext: str
    width: int
    height: int
    source_format: str
    presets: dict[str, bytes] = field(default_factory=dict)
    dicom: dict[str, Any] = field(default_factory=dict)
    deidentified_dicom: bytes | None = None
    # DICOM only: stored-depth pixels and display facts for the viewer (viewer_source.py).
    viewer_source: bytes | None = None
    series_key: str = ""
    position: int = 0
    # Things the author should be told about this upload (e.g. frames left out).
    notes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        # The default repr would dump megabytes of image bytes into logs and tracebacks.
        return (
            f"ProcessedImage({self.source_format} {self.width}x{self.height}, "
            f"original={len(self.original)}B .{self.original_ext}, "
            f"display={len(self.display)}B .{self.display_ext}, "
            f"thumbnail={len(self.thumbnail)}B, presets={sorted(self.presets)}, "
            f"viewer_source={len(self.viewer_source or b'')}B, "
            f"series_key={self.series_key!r}, position={self.position})"
        )
