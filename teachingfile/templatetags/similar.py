"""{% similar_to case as similar %}: the reveal's similar cases without touching its view."""

from __future__ import annotations

from django import template

from teachingfile.models import Case
from teachingfile.similar import similar_cases

register = template.Library()


@register.simple_tag
def similar_to(case: Case, limit: int = 5) -> list[Case]:
    # Only ever used after the reveal; the cases are listed by unknown title.
    return similar_cases(case, limit=limit)
