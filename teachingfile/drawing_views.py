"""The drawing editor (issue 16): annotations on a figure, target regions of a question.

Faculty who may edit the case only (`roles.may_edit_case`); anyone else gets a 404, so the
page never confirms that a figure or question exists. Both pages are plain forms that post
JSON drawn by static/js/annotate.js; with htmx a refusal comes back as 422 with the form.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from teachingfile import drawings, roles, services
from teachingfile.models import Figure, Question

EDITOR_TEMPLATE = "teachingfile/drawing_editor.html"
_PICK_FIGURE = "Pick a figure of this case that is shown with the questions."


def _get_figure_for_user(request: HttpRequest, pk: int) -> Figure:
    figure = get_object_or_404(Figure.objects.select_related("case"), pk=pk)
    if not roles.may_edit_case(request.user, figure.case):
        raise Http404("No such figure.")
    return figure


def _get_question_for_user(request: HttpRequest, pk: int) -> Question:
    question = get_object_or_404(
        Question.objects.select_related("case", "region_figure"), pk=pk, kind=Question.Kind.REGION
    )
    if not roles.may_edit_case(request.user, question.case):
        raise Http404("No such question.")
    return question


def _admin_url(case_pk: int) -> str:
    return reverse("admin:teachingfile_case_change", args=[case_pk])


def _render(request: HttpRequest, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    template = EDITOR_TEMPLATE
    if getattr(request, "htmx", False):
        template += "#editor-form"
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def figure_draw(request: HttpRequest, pk: int) -> HttpResponse:
    """Draw arrows, ellipses, outlines, lines and labels on one figure."""
    figure = _get_figure_for_user(request, pk)
    context: dict[str, Any] = {
        "mode": "annotate",
        "colours": list(drawings.COLOURS.items()),
        "case": figure.case,
        "figure": figure,
        "shapes_json": json.dumps(figure.annotations),
        "admin_url": _admin_url(figure.case_id),
        "action_url": reverse("drawing:figure_draw", args=[figure.pk]),
    }
    if request.method == "POST":
        posted = request.POST.get("shapes")
        try:
            if posted is None:
                # A post without the drawing must not wipe the stored one.
                raise ValidationError("The drawing was not sent; nothing was changed.")
            drawings.figure_annotations_save(
                figure=figure, annotations=drawings.parse_annotations(posted)
            )
        except ValidationError as error:
            context.update(error=" ".join(error.messages), shapes_json=posted or "[]")
            return _render(request, context, status=422)
        context.update(saved=True, shapes_json=json.dumps(figure.annotations))
        if not getattr(request, "htmx", False):
            return redirect(f"{context['action_url']}?saved=1")
    context["saved"] = context.get("saved") or request.GET.get("saved") == "1"
    return _render(request, context)


@transaction.atomic
def question_regions_save(
    *, question: Question, figure: Figure, targets: list[dict[str, Any]], margin: float, mode: str
) -> Question:
    """Store a question's target regions on one of its case's pre-reveal figures."""
    if figure.case_id != question.case_id or not figure.shown_before_reveal:
        raise ValidationError(_PICK_FIGURE)
    try:
        question.regions = drawings.clean_regions(targets)
    except ValueError as error:
        raise ValidationError(str(error)) from None
    if not question.regions:
        raise ValidationError("Draw at least one target region.")
    question.region_figure = figure
    question.region_margin = margin
    question.region_mode = mode
    question.full_clean()
    question.save(update_fields=["regions", "region_figure", "region_margin", "region_mode"])
    services.case_touch(question.case)
    return question


@require_http_methods(["GET", "POST"])
@login_required
def question_regions(request: HttpRequest, pk: int) -> HttpResponse:
    """Draw the target regions of a "click on the finding" question."""
    question = _get_question_for_user(request, pk)
    figures = list(question.case.figures.filter(stage=Figure.Stage.QUESTION))
    figure = question.region_figure or (figures[0] if figures else None)
    if request.GET.get("figure", "").isdigit():
        figure = next((f for f in figures if f.pk == int(request.GET["figure"])), figure)
    context: dict[str, Any] = {
        "mode": "regions",
        "case": question.case,
        "question": question,
        "figure": figure,
        "figures": figures,
        "shapes_json": json.dumps(question.regions if question.region_figure == figure else []),
        "margin": question.region_margin,
        "region_mode": question.region_mode,
        "modes": Question.RegionMode.choices,
        "admin_url": _admin_url(question.case_id),
        "action_url": reverse("drawing:question_regions", args=[question.pk]),
    }
    if request.method == "POST":
        posted = request.POST.get("shapes", "")
        chosen = next((f for f in figures if str(f.pk) == request.POST.get("figure")), None)
        try:
            if chosen is None:
                raise ValidationError(_PICK_FIGURE)
            try:
                margin = float(request.POST.get("margin") or 0)
                targets = json.loads(posted or "[]")
            except ValueError:
                raise ValidationError("The margin or the drawing could not be read.") from None
            question_regions_save(
                question=question,
                figure=chosen,
                targets=targets,
                margin=margin,
                mode=request.POST.get("region_mode", ""),
            )
        except ValidationError as error:
            context.update(
                error=" ".join(error.messages),
                shapes_json=posted,
                figure=chosen or figure,
                margin=request.POST.get("margin", ""),
                region_mode=request.POST.get("region_mode", ""),
            )
            return _render(request, context, status=422)
        if not getattr(request, "htmx", False):
            return redirect(f"{context['action_url']}?saved=1")
        context.update(
            saved=True,
            shapes_json=json.dumps(question.regions),
            figure=chosen,
            margin=question.region_margin,
            region_mode=question.region_mode,
        )
    context["saved"] = context.get("saved") or request.GET.get("saved") == "1"
    return _render(request, context)
