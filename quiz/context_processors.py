from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from quiz.progress import due_review_count


def practice_review_context(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    # The menu's "Review (N due)": counted only when a page renders it.
    return {"review_due": SimpleLazyObject(lambda: due_review_count(user))}
