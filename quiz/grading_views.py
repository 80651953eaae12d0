"""Grading for faculty: answers the machine could not judge, and self-assessments to check.

Moved out of the reports namespace (a read-only area) since grading writes scores.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from quiz import services as quiz_services
from quiz.models import Response
from teachingfile import roles
from teachingfile.http import HtmxHttpRequest

GRADING_PER_PAGE = 30


def _require_faculty(request: HtmxHttpRequest) -> None:
    if not roles.is_faculty(request.user):
        raise Http404


def _grading_queue() -> QuerySet[Response]:
    waiting = Q(method=Response.Method.PENDING) | Q(method=Response.Method.SELF)
    return (
        Response.objects.filter(waiting)
        .select_related("question", "case", "user")
        .prefetch_related("question__accepted_answers")
        # Undecided answers ("pending") before self-assessed ones, oldest first.
        .order_by("method", "answered_at", "id")
    )


@require_GET
@login_required
def grading_queue(request: HtmxHttpRequest) -> HttpResponse:
    _require_faculty(request)
    page = Paginator(_grading_queue(), GRADING_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "quiz/grading_queue.html", {"page": page})


@require_http_methods(["POST"])
@login_required
def grade_response(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    _require_faculty(request)
    response = get_object_or_404(_grading_queue(), pk=pk)
    typed_score = request.POST.get("score", "").strip()[:20]
    note = request.POST.get("note", "")[:200]
    error = ""
    try:
        score = float(typed_score)
    except ValueError:
        error = "Give a score between 0 and 1."
    else:
        try:
            quiz_services.response_override(
                response=response, score=score, by=request.user, note=note
            )
        except (ValidationError, PermissionDenied) as exc:
            error = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    status = 422 if error else 200
    if request.htmx:
        response.refresh_from_db()
        _keep_typed(response, error, typed_score, note)
        # The count above the table follows, out of band: an override leaves the queue.
        context = {"r": response, "waiting": _grading_queue().count()}
        return render(request, "quiz/includes/grading_result.html", context, status=status)
    if not error:
        messages.success(request, "Score recorded.")
        return redirect(reverse("grading:grading_queue") + f"?page={_page_number(request)}")
    # Show the same page again with the message on the row and what was typed kept.
    page = Paginator(_grading_queue(), GRADING_PER_PAGE).get_page(_page_number(request))
    for row in page.object_list:
        if row.pk == response.pk:
            _keep_typed(row, error, typed_score, note)
    return render(request, "quiz/grading_queue.html", {"page": page}, status=status)


def _page_number(request: HtmxHttpRequest) -> int:
    page = request.GET.get("page", "")
    return int(page) if page.isdigit() else 1


def _keep_typed(response: Response, error: str, score: str, note: str) -> None:
    if error:
        response.grade_error = error  # type: ignore[attr-defined]  # re-shown in the form
        response.grade_score = score  # type: ignore[attr-defined]  # re-shown in the form
        response.grade_note = note  # type: ignore[attr-defined]  # re-shown in the form
