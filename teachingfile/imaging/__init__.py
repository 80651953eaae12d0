"""Image upload pipeline: validation, metadata stripping, DICOM de-identification, derivatives.

Django-free at import time; ``to_validation_error`` imports Django only when called.

    >>> from teachingfile.imaging import process_upload, ImageRejected
    >>> images = process_upload(uploaded_file, filename=uploaded_file.name)
"""

from __future__ import annotations

from .errors import ImageRejected, to_validation_error
from .pipeline import generate_unguessable_name, process_upload
from .result import ProcessedImage

__all__ = [
    "ImageRejected",
    "ProcessedImage",
    "generate_unguessable_name",
    "process_upload",
    "to_validation_error",
]
