"""Cohort management for program directors: members with training year, assigned quizzes.

Plain forms that post and redirect; with htmx the same endpoints return the section they
changed. Anyone who does not direct the cohort's program gets a 404, as on other reports.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from quiz import cohort_services, rules
from quiz.models import Assignment, Cohort, Membership, Quiz
from teachingfile import roles
from teachingfile.http import HtmxHttpRequest

TEMPLATE = "quiz/cohort_detail.html"


class MemberForm(forms.Form):
    username = forms.CharField(max_length=150, label="Username")
    training_year = forms.TypedChoiceField(
        label="Training year",
        choices=[(year, f"PGY-{year}") for year in range(1, 9)],
        coerce=int,
        initial=1,
    )


class AssignmentForm(forms.Form):
    quiz = forms.ModelChoiceField(
        queryset=Quiz.objects.only("id", "title").order_by("title"),
        empty_label="Choose a quiz",
    )
    due_at = forms.DateTimeField(
        label="Due",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text="Optional; local time.",
    )


def _get_cohort_for_user(request: HtmxHttpRequest, cohort_id: int) -> Cohort:
    """A cohort of a program this user directs; 404 for any other cohort or user."""
    cohort = rules.directed_cohorts(request.user).filter(pk=cohort_id).first()
    if cohort is None:
        raise Http404
    return cohort


def _context(request: HtmxHttpRequest, cohort: Cohort, **extra: Any) -> dict[str, Any]:
    memberships = (
        Membership.objects.filter(cohort=cohort)
        .select_related("resident")
        .order_by("resident__last_name", "resident__first_name", "resident__username")
    )
    assignments = (
        Assignment.objects.filter(cohort=cohort)
        .select_related("quiz")
        .only("id", "due_at", "assigned_at", "quiz__id", "quiz__title")
        .order_by("due_at", "id")
    )
    return {
        "cohort": cohort,
        "memberships": memberships,
        "assignments": assignments,
        "member_form": extra.pop("member_form", None) or MemberForm(),
        "assignment_form": extra.pop("assignment_form", None) or AssignmentForm(),
        "now": timezone.now(),
        **extra,
    }


def _respond(
    request: HtmxHttpRequest, cohort: Cohort, section: str, notice: str, error: bool, **extra: Any
) -> HttpResponse:
    """The changed section for htmx; otherwise back to the page, or the page with errors."""
    status = 422 if error else 200
    if request.htmx:
        context = _context(request, cohort, notice=notice, notice_section=section, **extra)
        return render(request, f"{TEMPLATE}#{section}", context, status=status)
    if error:
        # Render rather than redirect so that what was typed stays in the form.
        context = _context(request, cohort, **extra)
        return render(request, TEMPLATE, context, status=status)
    messages.success(request, notice)
    return redirect("cohorts:cohort_detail", cohort_id=cohort.pk)


def _form_errors(form: forms.Form, exc: ValidationError) -> None:
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


@require_GET
@login_required
def cohort_list(request: HtmxHttpRequest) -> HttpResponse:
    if not roles.is_director(request.user):
        raise Http404
    cohorts = rules.directed_cohorts(request.user).annotate(
        n_members=Count("memberships", distinct=True),
        n_assignments=Count("assignments", distinct=True),
    )
    return render(request, "quiz/cohort_list.html", {"cohorts": cohorts})


@require_GET
@login_required
def cohort_detail(request: HtmxHttpRequest, cohort_id: int) -> HttpResponse:
    cohort = _get_cohort_for_user(request, cohort_id)
    return render(request, TEMPLATE, _context(request, cohort))


@require_POST
@login_required
def member_add(request: HtmxHttpRequest, cohort_id: int) -> HttpResponse:
    cohort = _get_cohort_for_user(request, cohort_id)
    form = MemberForm(request.POST)
    if form.is_valid():
        try:
            membership = cohort_services.cohort_member_add(
                cohort=cohort,
                username=form.cleaned_data["username"],
                training_year=form.cleaned_data["training_year"],
                by=request.user,
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            name = membership.resident.get_full_name() or membership.resident.username
            notice = f"{name} added as PGY-{membership.training_year}."
            return _respond(request, cohort, "members", notice, error=False)
    return _respond(request, cohort, "members", "", error=True, member_form=form)


@require_POST
@login_required
def member_remove(request: HtmxHttpRequest, cohort_id: int, membership_id: int) -> HttpResponse:
    cohort = _get_cohort_for_user(request, cohort_id)
    membership = (
        Membership.objects.filter(cohort=cohort, pk=membership_id)
        .select_related("resident")
        .first()
    )
    if membership is None:
        raise Http404
    name = membership.resident.get_full_name() or membership.resident.username
    cohort_services.cohort_member_remove(membership=membership, by=request.user)
    notice = f"{name} removed from {cohort.name}; their answers are kept."
    return _respond(request, cohort, "members", notice, error=False)


@require_POST
@login_required
def assignment_add(request: HtmxHttpRequest, cohort_id: int) -> HttpResponse:
    cohort = _get_cohort_for_user(request, cohort_id)
    form = AssignmentForm(request.POST)
    if form.is_valid():
        try:
            assignment = cohort_services.assignment_create(
                cohort=cohort,
                quiz=form.cleaned_data["quiz"],
                due_at=form.cleaned_data["due_at"],
                by=request.user,
                now=timezone.now(),
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            notice = f"“{assignment.quiz.title}” assigned to {cohort.name}."
            return _respond(request, cohort, "assignments", notice, error=False)
    return _respond(request, cohort, "assignments", "", error=True, assignment_form=form)


@require_POST
@login_required
def assignment_remove(request: HtmxHttpRequest, cohort_id: int, assignment_id: int) -> HttpResponse:
    cohort = _get_cohort_for_user(request, cohort_id)
    assignment = (
        Assignment.objects.filter(cohort=cohort, pk=assignment_id).select_related("quiz").first()
    )
    if assignment is None:
        raise Http404
    title = assignment.quiz.title
    cohort_services.assignment_remove(assignment=assignment, by=request.user)
    notice = f"“{title}” withdrawn from {cohort.name}; attempts already made are kept."
    return _respond(request, cohort, "assignments", notice, error=False)
