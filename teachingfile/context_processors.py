from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from teachingfile import roles


def roles_context(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    return {
        "user_is_faculty": roles.is_faculty(user),
        "user_is_director": roles.is_director(user),
        "user_is_resident": roles.is_resident(user),
    }
