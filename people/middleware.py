from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from people.timezones import SESSION_KEY, zone_name_for


class TimezoneMiddleware:
    """Show times in the person's own zone; the zone is read once and kept in the session."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The session first, as Django's time-zone guide does: the zone is put there at
        # login, so a page that never touches request.user does not load the user for it.
        name: str | None = request.session.get(SESSION_KEY)
        if name is None:
            name = ""
            if request.user.is_authenticated:  # a session from before the zone was kept
                name = zone_name_for(request.user)
                request.session[SESSION_KEY] = name
        if name:
            try:
                timezone.activate(zoneinfo.ZoneInfo(name))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()  # the site's TIME_ZONE
        return self.get_response(request)
