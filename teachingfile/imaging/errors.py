"""The one exception the image pipeline raises for bad uploads, and its Django adapter.

Everything that is wrong with an upload (wrong format, too big, corrupt, identifying
DICOM the author has not confirmed) surfaces as ``ImageRejected`` with a message that
can be shown to the author as is. Django is imported lazily so the pipeline can be used
(and tested) without settings.
"""

from __future__ import annotations

from typing import Any


class ImageRejected(Exception):
    """An upload that must not be stored; ``message`` is user-facing, ``code`` is stable."""

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message


def to_validation_error(exc: ImageRejected) -> Any:
    """Convert to ``django.core.exceptions.ValidationError`` for forms and ``Model.clean``."""
    from django.core.exceptions import ValidationError

    return ValidationError(exc.message, code=f"image_{exc.code}")
