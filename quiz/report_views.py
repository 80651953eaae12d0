"""Program-director reports."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from teachingfile import roles


@require_GET
@login_required
def reports_home(request: HttpRequest) -> HttpResponse:
    if not roles.is_director(request.user):
        raise PermissionDenied
    return render(request, "quiz/reports_home.html", {})
