"""A URLconf whose views fail on purpose, to look at the error pages."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

SECRET = "sk-live-0c5e-very-secret-value"


def explode(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(f"database password is {SECRET}")


def forbid(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied(f"internal rule 7 for {SECRET}")


urlpatterns = [
    path("explode/", explode),
    path("forbid/", forbid),
    path("", include("teachingfile.urls")),
]
