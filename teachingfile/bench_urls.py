"""The benchmark's baseline: the cheapest page the stack can serve, through every middleware.

Included from teachingfile/urls.py only when BENCH_BASELINE is set, so it never exists
in a normal install.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET


@require_GET
def baseline(request: HttpRequest) -> HttpResponse:
    # No database, no template, no session access: the ratio the bench reports is
    # measured against this.
    return HttpResponse(b"ok", content_type="text/plain")


app_name = "bench"

urlpatterns = [path("baseline", baseline, name="baseline")]
