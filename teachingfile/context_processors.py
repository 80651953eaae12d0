from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from teachingfile import roles


def roles_context(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    return {
        "user_is_faculty": roles.is_faculty(user),
        "user_is_director": roles.is_director(user),
        "user_is_resident": roles.is_resident(user),
        # The menu's "Review (N due)": counted only when a page renders it.
        "review_due": SimpleLazyObject(lambda: _review_due(user)),
    }


def _review_due(user: Any) -> int:
    from quiz.progress import due_review_count

    return due_review_count(user)
