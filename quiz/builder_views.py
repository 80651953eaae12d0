"""The faculty quiz builder (/quizzes/new/) and the quiz editor it leads to.

Filters are a GET form: with htmx the candidate list and its live count are swapped in as
the filters change; without JavaScript the "Show matching cases" button reloads the page.
Residents, directors and role-less accounts get a 404: for them these pages do not exist.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from quiz import builder, rules
from quiz.models import Cohort, Quiz, QuizItem
from teachingfile.models import Case, Category, CurriculumDomain, Modality, Region
from teachingfile.spoilers import quiz_spoilers

BUILDER = "quiz/quiz_builder.html"
EDITOR = "quiz/quiz_edit.html"


class QuizOptionsForm(forms.ModelForm):
    """The quiz options of issue #12, as the model defines them."""

    class Meta:
        model = Quiz
        fields = [
            "title",
            "description",
            "mode",
            "time_limit",
            "attempts_allowed",
            "reveal_before_due",
            "shuffle_cases",
            "shuffle_choices",
            "is_open",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class AssignForm(forms.Form):
    cohort = forms.ModelChoiceField(
        queryset=Cohort.objects.none(),
        required=False,
        empty_label="Not assigned",
        label="Assign to cohort",
    )
    due_at = forms.DateTimeField(
        label="Due",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text="Optional; local time.",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = rules.assignable_cohorts(user)  # type: ignore[attr-defined]


class SelectionForm(forms.Form):
    how = forms.ChoiceField(
        choices=[("draw", "Draw at random"), ("pick", "The cases I ticked")], initial="draw"
    )
    count = forms.IntegerField(
        min_value=1, max_value=builder.MAX_DRAW, required=False, initial=10, label="How many"
    )
    cases = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=[])

    def __init__(self, *args: Any, ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cases"].choices = [(pk, pk) for pk in ids]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("how") == "draw" and not data.get("count"):
            self.add_error("count", "Say how many cases to draw.")
        if data.get("how") == "pick" and not data.get("cases"):
            self.add_error("cases", "Tick at least one case.")
        return data


def _require_builder(request: HttpRequest) -> None:
    if not rules.may_build_quizzes(request.user):
        raise Http404


def _get_quiz_for_user(request: HttpRequest, pk: int) -> Quiz:
    """A quiz this user may edit; 404 for everything else."""
    _require_builder(request)
    quiz = get_object_or_404(Quiz, pk=pk)
    if not rules.may_edit_quiz(request.user, quiz):
        raise Http404
    return quiz


def _builder_context(request: HttpRequest, params: Any, **extra: Any) -> dict[str, Any]:
    cohorts = rules.assignable_cohorts(request.user)
    filters = builder.BuilderFilters.from_params(params, cohorts)
    ids, bands = builder.candidate_ids(filters)
    shown = list(
        Case.objects.filter(pk__in=ids[: builder.MAX_SHOWN])
        .only("public_id", "unknown_title", "known_title", "modalities", "region", "status")
        .order_by("public_id")
    )
    for case in shown:
        case.band = bands.get(case.pk, "unrated")  # type: ignore[attr-defined]
    context = {
        "filters": filters,
        "filter_params": filters.as_params(),
        "count": len(ids),
        "shown": shown,
        "ids": ids,
        "max_shown": builder.MAX_SHOWN,
        "modalities": Modality.choices,
        "regions": Region.choices,
        "categories": Category.choices,
        "domains": [(d.code, d.name) for d in CurriculumDomain.objects.filter(is_active=True)],
        "bands": builder.BANDS,
        "cohorts": [(str(c.pk), str(c)) for c in cohorts],
        "options_form": QuizOptionsForm(),
        "assign_form": AssignForm(user=request.user),
        "selection_form": SelectionForm(ids=ids),
        "picked": set(),
    }
    context.update(extra)
    return context


@require_http_methods(["GET", "POST"])
@login_required
def quiz_new(request: HttpRequest) -> HttpResponse:
    _require_builder(request)
    if request.method == "GET":
        template = BUILDER
        if request.htmx:  # type: ignore[attr-defined]
            template += "#candidates"
        return render(request, template, _builder_context(request, request.GET))

    # The filters travel with the form as hidden fields, so a draw uses the same matches.
    context = _builder_context(request, request.POST)
    options = QuizOptionsForm(request.POST)
    assign = AssignForm(request.POST, user=request.user)
    selection = SelectionForm(request.POST, ids=context["ids"])
    context.update(options_form=options, assign_form=assign, selection_form=selection)
    context["picked"] = {int(v) for v in request.POST.getlist("cases") if v.isdigit()}
    if options.is_valid() and assign.is_valid() and selection.is_valid():
        try:
            if selection.cleaned_data["how"] == "draw":
                case_ids = builder.draw(context["ids"], selection.cleaned_data["count"])
            else:
                case_ids = selection.cleaned_data["cases"]
            warnings = quiz_spoilers(
                options.cleaned_data["title"],
                options.cleaned_data["description"],
                Case.objects.filter(pk__in=case_ids).prefetch_related("differentials", "keywords"),
            )
            if warnings and request.POST.get("spoilers_checked") != "1":
                context["spoilers"] = warnings
                raise ValidationError("The title or description may give a case away.")
            quiz = builder.quiz_build(
                quiz=options.save(commit=False),
                case_ids=case_ids,
                by=request.user,
                cohort=assign.cleaned_data["cohort"],
                due_at=assign.cleaned_data["due_at"],
            )
        except (ValidationError, PermissionDenied) as exc:
            messages_ = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            context["build_error"] = " ".join(messages_)
        else:
            messages.success(request, f"Quiz “{quiz.title}” built with {len(case_ids)} cases.")
            return redirect("quiz:quiz_edit", pk=quiz.pk)
    return render(request, BUILDER, context, status=422)


def _editor_context(request: HttpRequest, quiz: Quiz, **extra: Any) -> dict[str, Any]:
    items = quiz.items.select_related("case").only(
        "order", "quiz_id", "case__public_id", "case__unknown_title", "case__known_title"
    )
    context = {
        "quiz": quiz,
        "items": items,
        "has_attempts": rules.quiz_has_attempts(quiz),
        "assignments": quiz.assignments.select_related("cohort__program"),
        "options_form": QuizOptionsForm(instance=quiz),
        "assign_form": AssignForm(user=request.user),
        "attempt_count": quiz.attempts.aggregate(n=Count("id"))["n"],
    }
    context.update(extra)
    return context


@require_http_methods(["GET", "POST"])
@login_required
def quiz_edit(request: HttpRequest, pk: int) -> HttpResponse:
    quiz = _get_quiz_for_user(request, pk)
    if request.method == "GET":
        return render(request, EDITOR, _editor_context(request, quiz))
    if request.POST.get("form") == "assign":
        assign = AssignForm(request.POST, user=request.user)
        if assign.is_valid() and assign.cleaned_data["cohort"] is not None:
            from django.utils import timezone

            from quiz.cohort_services import assignment_create

            try:
                assignment_create(
                    cohort=assign.cleaned_data["cohort"],
                    quiz=quiz,
                    due_at=assign.cleaned_data["due_at"],
                    by=request.user,
                    now=timezone.now(),
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    assign.add_error(field if field in assign.fields else None, errors)
            else:
                messages.success(request, "Quiz assigned.")
                return redirect("quiz:quiz_edit", pk=quiz.pk)
        elif assign.is_valid():
            assign.add_error("cohort", "Choose a cohort.")
        return render(
            request, EDITOR, _editor_context(request, quiz, assign_form=assign), status=422
        )
    options = QuizOptionsForm(request.POST, instance=quiz)
    if options.is_valid():
        warnings = quiz_spoilers(
            options.cleaned_data["title"],
            options.cleaned_data["description"],
            Case.objects.filter(quiz_items__quiz=quiz).prefetch_related(
                "differentials", "keywords"
            ),
        )
        if not warnings or request.POST.get("spoilers_checked") == "1":
            options.save()
            messages.success(request, "Quiz options saved.")
            return redirect("quiz:quiz_edit", pk=quiz.pk)
        context = _editor_context(request, quiz, options_form=options, spoilers=warnings)
        return render(request, EDITOR, context, status=422)
    return render(request, EDITOR, _editor_context(request, quiz, options_form=options), status=422)


def _get_item_for_user(request: HttpRequest, pk: int, item_pk: int) -> QuizItem:
    quiz = _get_quiz_for_user(request, pk)
    return get_object_or_404(QuizItem.objects.select_related("quiz"), pk=item_pk, quiz=quiz)


def _items_response(
    request: HttpRequest, quiz: Quiz, status: int = 200, **extra: Any
) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        context = _editor_context(request, quiz, **extra)
        return render(request, EDITOR + "#quiz-items", context, status=status)
    if status != 200:
        return render(request, EDITOR, _editor_context(request, quiz, **extra), status=status)
    return redirect(reverse("quiz:quiz_edit", args=[quiz.pk]) + "#quiz-items")


@require_POST
@login_required
def quiz_item_move(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    item = _get_item_for_user(request, pk, item_pk)
    # Buttons send a direction; a drag (static/js/quiz_edit.js) sends the new position.
    step = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    position = request.POST.get("position", "")
    if step is None and not position.isdigit():
        return _items_response(request, item.quiz, 422, items_error="Move a case up or down.")
    if step is None:
        builder.quiz_item_move(item=item, position=int(position))
    else:
        builder.quiz_item_move(item=item, step=step)
    return _items_response(request, item.quiz)


@require_POST
@login_required
def quiz_item_remove(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    item = _get_item_for_user(request, pk, item_pk)
    try:
        builder.quiz_item_remove(item=item)
    except ValidationError as exc:
        return _items_response(request, item.quiz, 422, items_error=" ".join(exc.messages))
    return _items_response(request, item.quiz)


@require_POST
@login_required
def quiz_copy(request: HttpRequest, pk: int) -> HttpResponse:
    quiz = _get_quiz_for_user(request, pk)
    copy = builder.quiz_copy(quiz=quiz, by=request.user)
    messages.success(request, f"Copied: edit “{copy.title}” freely, it has no attempts.")
    return redirect("quiz:quiz_edit", pk=copy.pk)
