"""Old addresses of pages that moved: permanent redirects that keep the method and the query.

A 308 rather than a 301 so that a form still posting to an old address (a page open in a
browser during a deploy, a bookmark of a POST target) reaches the new view as a POST.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.urls import reverse


def moved_to(name: str) -> Callable[..., HttpResponsePermanentRedirect]:
    """A view that sends any request to the URL named `name`, with the same arguments."""

    def redirect_view(request: HttpRequest, **kwargs: Any) -> HttpResponsePermanentRedirect:
        url = reverse(name, kwargs=kwargs)
        if request.META.get("QUERY_STRING"):
            url += "?" + request.META["QUERY_STRING"]
        return HttpResponsePermanentRedirect(url, preserve_request=True)

    return redirect_view
