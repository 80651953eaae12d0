"""Rate limits for the password pages, as strict as the login's (django-axes' settings).

A reset request sends an e-mail to whoever the address names, and the confirm and change
forms take a secret: each is counted per account and client address and refused with 429
past AXES_FAILURE_LIMIT posts within AXES_COOLOFF_TIME.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render


def _client_key(request: HttpRequest) -> str:
    """Who is asking, keyed like the login lock: the account (or the address typed, or the
    reset link's account) together with the client address, so that one person's retries do
    not lock out a whole hospital behind one NAT address."""
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    # The same client address lookup as django-axes (proxy headers included when set up).
    address = get_client_ip_address(request) or ""
    account = request.POST.get("email", "").strip().lower()[:254] or request.path
    return f"ip:{address}:{hashlib.sha256(account.encode()).hexdigest()[:32]}"


def over_limit(scope: str, request: HttpRequest) -> bool:
    """Count one post; True once the count passes the limit within the cool-off."""
    key = f"ratelimit:{scope}:{_client_key(request)}"
    window = int(settings.AXES_COOLOFF_TIME.total_seconds())
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count > settings.AXES_FAILURE_LIMIT


def rate_limited(
    scope: str,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method == "POST" and over_limit(scope, request):
                context = {
                    "failure_limit": settings.AXES_FAILURE_LIMIT,
                    "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
                }
                return render(request, "registration/rate_limited.html", context, status=429)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
