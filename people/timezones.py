"""Time zones: the site's (TIME_ZONE) and each person's own choice."""

from __future__ import annotations

import functools
import zoneinfo
from typing import Any

from django.conf import settings

SESSION_KEY = "people_time_zone"


@functools.cache
def zone_names() -> tuple[str, ...]:
    # Area/City names only: the legacy aliases ("US/Central", "EST5EDT") clutter the list.
    legacy = ("Etc/", "SystemV/", "US/", "posix/", "right/")
    areas = (n for n in zoneinfo.available_timezones() if "/" in n and not n.startswith(legacy))
    return (*sorted(areas), "UTC")


def is_zone(name: str) -> bool:
    return name in zone_names() or name == settings.TIME_ZONE


def zone_name_for(user: Any) -> str:
    """The person's chosen zone, or "" for the site's."""
    try:
        return user.profile.time_zone or ""
    except AttributeError:  # no profile yet (RelatedObjectDoesNotExist is one too)
        return ""


def zone_for(user: Any) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(zone_name_for(user) or settings.TIME_ZONE)
