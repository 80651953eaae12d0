"""{% similar_to case as similar %}: the reveal's similar cases without touching its view."""

from __future__ import annotations

from django import template

from teachingfile import caching
from teachingfile.models import Case
from teachingfile.similar import similar_cases

# Similar cases depend on the rest of the library too (a case published elsewhere), which
# does not touch this case's version: a newly published neighbour shows within this time.
SIMILAR_SECONDS = 10 * 60

register = template.Library()


@register.simple_tag
def similar_to(case: Case, limit: int = 5) -> list[Case]:
    # Only ever used after the reveal; the cases are listed by unknown title. The list is
    # the same for everyone (published cases only), so it is cached per case version.
    return caching.for_case(
        case,
        caching.REVEAL,
        f"similar-{limit}",
        lambda: similar_cases(case, limit=limit),
        timeout=SIMILAR_SECONDS,
    )
