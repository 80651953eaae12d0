"""The faculty side of a case: review queue, status workflow, ratings and comment moderation.

Residents and role-less accounts get 404 here: for them these pages do not exist.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Avg, Count, Max, OuterRef, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from quiz.reports.flags import FACILITY_BAND, case_flags, measured_cases
from quiz.reports.statistics import MIN_N, counted_responses, item_statistics
from teachingfile import review_services, roles, services, spoilers
from teachingfile.http import HtmxHttpRequest, safe_next
from teachingfile.models import Case, Comment, Rating, StatusChange

_LISTING_FIELDS = ("public_id", "status", "unknown_title", "owner")


class RatingForm(forms.Form):
    difficulty = forms.TypedChoiceField(
        choices=[(i, str(i)) for i in range(1, 6)], coerce=int, help_text="1 easy, 5 hard"
    )
    quality = forms.TypedChoiceField(
        choices=[(i, str(i)) for i in range(1, 6)], coerce=int, help_text="1 poor, 5 excellent"
    )
    note = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


def _require_faculty(request: HtmxHttpRequest) -> None:
    if not roles.is_faculty(request.user):
        raise Http404


def _get_case_for_user(request: HtmxHttpRequest, public_id: str) -> Case:
    _require_faculty(request)
    return get_object_or_404(Case, public_id=public_id)


def _get_comment_for_user(request: HtmxHttpRequest, pk: int) -> Comment:
    _require_faculty(request)
    return get_object_or_404(Comment.objects.select_related("case", "hidden_by"), pk=pk)


@require_GET
@login_required
def review_queue(request: HtmxHttpRequest) -> HttpResponse:
    _require_faculty(request)
    last_change = StatusChange.objects.filter(case=OuterRef("pk")).order_by("-at", "-id")
    cases = (
        Case.objects.select_related("owner")
        .only(*_LISTING_FIELDS, "owner__username", "owner__first_name", "owner__last_name")
        .annotate(
            changed_at=Subquery(last_change.values("at")[:1]),
            last_note=Subquery(last_change.values("note")[:1]),
        )
        .order_by("changed_at", "public_id")
    )
    waiting = cases.filter(status=Case.Status.IN_REVIEW).exclude(owner=request.user)
    mine = cases.filter(owner=request.user, status__in=[Case.Status.DRAFT, Case.Status.IN_REVIEW])
    # Measured cases whose numbers call for a second look (quiz.reports.flags).
    flags = case_flags(Case.objects.published())
    context = {"waiting": waiting, "mine": mine, "flags": flags, "min_n": MIN_N}
    context["measured_at"], _ = measured_cases()
    context["band"] = round(FACILITY_BAND * 100)
    return render(request, "quiz/peer_review/review_queue.html", context)


def _case_review_context(request: HtmxHttpRequest, case: Case, **extra: Any) -> dict[str, Any]:
    ratings = Rating.objects.filter(case=case)
    summary = ratings.aggregate(difficulty=Avg("difficulty"), quality=Avg("quality"), n=Count("id"))
    # Measured facility: the case's marks over its maximum, first attempts that count.
    measured = item_statistics(counted_responses().filter(case=case), per="case").get(case.pk)
    own = ratings.filter(rater=request.user).first()
    context = {
        "case": case,
        # Only while the case is a draft: that is when submitting asks for the check.
        "spoilers": spoilers.case_spoilers(case) if case.status == Case.Status.DRAFT else [],
        "history": case.status_changes.select_related("by"),
        "actions": [
            (status, services.TRANSITION_LABELS[status])
            for status in services.allowed_transitions(case, request.user)
        ],
        "summary": summary,
        "measured_facility": measured.facility if measured else None,
        "measured_n": measured.n if measured else 0,
        "ratings": ratings.select_related("rater").order_by("-updated_at"),
        "rating_form": RatingForm(
            initial={"difficulty": own.difficulty, "quality": own.quality, "note": own.note}
            if own
            else None
        ),
        "own_rating": own,
        "comments": case.comments.select_related("author", "hidden_by"),
        "last_comment": case.comments.aggregate(last=Max("created_at"))["last"],
    }
    context.update(extra)
    return context


@require_GET
@login_required
def case_review(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    case = _get_case_for_user(request, public_id)
    return render(request, "quiz/peer_review/case_review.html", _case_review_context(request, case))


@require_POST
@login_required
def case_status(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    case = _get_case_for_user(request, public_id)
    to_status = request.POST.get("to_status", "")
    note = request.POST.get("note", "")[:5000]
    if to_status not in Case.Status.values:
        messages.error(request, "Choose one of the actions offered.")
        return redirect("peer_review:case_review", public_id=case.public_id)
    back = request.POST.get("next", "")
    try:
        services.case_transition(
            case=case,
            to_status=to_status,
            by=request.user,
            note=note,
            spoilers_checked=request.POST.get("spoilers_checked") == "1",
        )
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        # Keep what they typed: the note is the work here.
        case.refresh_from_db()
        context = _case_review_context(
            request, case, status_error=" ".join(exc.messages), note=note
        )
        return render(request, "quiz/peer_review/case_review.html", context, status=422)
    else:
        messages.success(
            request, f"{case.public_id} is now {Case.Status(to_status).label.lower()}."
        )
    # The authoring page posts here too and asks to come back (same-site paths only).
    if back:
        return redirect(
            safe_next(request, reverse("peer_review:case_review", args=[case.public_id]))
        )
    return redirect("peer_review:case_review", public_id=case.public_id)


@require_POST
@login_required
def case_rating(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    case = _get_case_for_user(request, public_id)
    form = RatingForm(request.POST)
    if form.is_valid():
        review_services.rating_save(
            case=case,
            rater=request.user,
            difficulty=form.cleaned_data["difficulty"],
            quality=form.cleaned_data["quality"],
            note=form.cleaned_data["note"],
        )
        messages.success(request, "Rating saved.")
        return redirect(reverse("peer_review:case_review", args=[case.public_id]) + "#ratings")
    context = _case_review_context(request, case, rating_form=form)
    return render(request, "quiz/peer_review/case_review.html", context, status=422)


@require_POST
@login_required
def comment_visibility(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    comment = _get_comment_for_user(request, pk)
    hidden = request.POST.get("hidden") == "1"
    review_services.comment_set_hidden(comment=comment, hidden=hidden, by=request.user)
    if request.htmx:
        context = {"comment": comment, "next_url": request.POST.get("next", "")}
        return render(request, "quiz/includes/comment_actions.html", context)
    messages.success(
        request, "Comment hidden from residents." if hidden else "Comment shown again."
    )
    fallback = reverse("peer_review:case_review", args=[comment.case.public_id]) + "#comments"
    return redirect(safe_next(request, fallback))
