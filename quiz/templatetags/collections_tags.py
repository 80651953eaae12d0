from __future__ import annotations

from typing import Any

from django import template

from quiz.models import Collection

register = template.Library()


@register.inclusion_tag("quiz/includes/collect_form.html", takes_context=True)
def collect_form(context: dict[str, Any], case: Any) -> dict[str, Any]:
    """The "Add to collection" form of a case page: the user's own collections."""
    user = context["request"].user
    mine = Collection.objects.filter(owner=user).only("id", "name") if user.is_authenticated else []
    return {
        "case": case,
        "collections": mine,
        "csrf_token": context.get("csrf_token"),
        "added": None,
    }
