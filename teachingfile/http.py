"""Request helpers every app's views share: the htmx request type and the safe `next`."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    # Only for type checking: HtmxMiddleware attaches the details to every request.
    htmx: HtmxDetails


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The `next` address a form posted, if it stays on this site; otherwise `fallback`.

    Only site-relative paths pass ("/cases/tf-0001/"): never another host, scheme or
    protocol-relative ("//evil.example") address, so the redirect cannot send anyone away.
    """
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts=None, require_https=request.is_secure()
    ):
        return candidate
    return fallback
