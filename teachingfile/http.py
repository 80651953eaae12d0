"""The request type of views that read `request.htmx` (django-htmx's middleware sets it)."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    # Only for type checking: HtmxMiddleware attaches the details to every request.
    htmx: HtmxDetails
