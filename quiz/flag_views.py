"""Dismissing a statistics flag (faculty): from the peer-review queue or the author's home.

A plain form post redirects back; with htmx the flag's own fragment comes back, and a
refusal (no note) is a 422 with the form and what was typed.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from quiz import flag_services
from quiz.reports.flags import FACILITY_BAND, case_flags
from teachingfile import roles
from teachingfile.http import HtmxHttpRequest
from teachingfile.models import Case

FRAGMENT = "quiz/includes/statistics_flag.html"


def _get_case_for_user(request: HtmxHttpRequest, public_id: str) -> Case:
    if not roles.is_faculty(request.user):
        raise Http404
    return get_object_or_404(Case, public_id=public_id)


@require_POST
@login_required
def flag_dismiss(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    case = _get_case_for_user(request, public_id)
    note = request.POST.get("note", "")[:2000]
    back = "teachingfile:home" if request.POST.get("from") == "home" else "peer_review:review_queue"
    try:
        dismissal = flag_services.flag_dismiss(case=case, by=request.user, note=note)
    except ValidationError as exc:
        flag = next(iter(case_flags(Case.objects.filter(pk=case.pk))), None)
        context = {"flag": flag, "case": case, "error": " ".join(exc.messages), "note": note}
        context["origin"] = request.POST.get("from", "")
        context["band"] = round(FACILITY_BAND * 100)
        # Without htmx the same fragment stands alone on a small page.
        template = FRAGMENT if request.htmx else "quiz/flag_dismiss.html"
        return render(request, template, context, status=422)
    if request.htmx:
        return render(request, FRAGMENT, {"case": case, "dismissal": dismissal})
    messages.success(request, f"Flag on {case.public_id} dismissed for this version.")
    return redirect(back)
