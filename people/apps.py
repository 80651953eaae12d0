from __future__ import annotations

from typing import Any

from django.apps import AppConfig


def _remember_time_zone(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # Read the person's zone once, at login, into the session: pages then show times in it
    # without a query of their own (people.middleware.TimezoneMiddleware).
    from people.timezones import SESSION_KEY, zone_name_for

    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = zone_name_for(user)


class PeopleConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "people"
    verbose_name = "People"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(_remember_time_zone, dispatch_uid="people_time_zone")
