"""Reports: the cohort table and one resident for directors, item analysis and grading for faculty.

Residents and accounts without a role get a 404 everywhere here: the pages do not exist for
them. A director reaches only residents of cohorts in programs they direct.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from quiz import reports
from quiz.models import Membership, Quiz, Response
from teachingfile import roles
from teachingfile.models import Category, Modality, Question, Region

CASES_PER_PAGE = 25
RESPONSES_PER_PAGE = 50
GRADING_PER_PAGE = 30


def _require_director(request: HttpRequest) -> None:
    if not roles.is_director(request.user):
        raise Http404


def _require_staff_role(request: HttpRequest) -> None:
    """Item statistics and grading: faculty and directors, nobody else."""
    if not (roles.is_faculty(request.user) or roles.is_director(request.user)):
        raise Http404


def _get_resident_for_user(
    request: HttpRequest, resident_id: int
) -> tuple[AbstractUser, list[Membership]]:
    """The resident and their memberships this director may see; 404 for anyone else."""
    _require_director(request)
    memberships = list(reports.visible_memberships(request.user).filter(resident_id=resident_id))
    if not memberships:
        raise Http404
    return memberships[0].resident, memberships


def _partial(request: HttpRequest, template: str, name: str) -> str:
    return f"{template}#{name}" if request.htmx else template  # type: ignore[attr-defined]


@require_GET
@login_required
def reports_home(request: HttpRequest) -> HttpResponse:
    if not roles.is_director(request.user):
        _require_staff_role(request)
        # Faculty without a program see item statistics only.
        return redirect("reports:item_analysis")
    filters = reports.CohortFilters.from_query(request.GET)
    rows = reports.cohort_table(request.user, filters)
    histogram = reports.score_histogram([row.average for row in rows])
    context = {
        "rows": rows,
        "filters": filters,
        "orders": reports.CohortFilters.ORDERS,
        "cohorts": reports.directed_cohorts(request.user),
        "years": range(1, 9),
        "histogram": histogram,
        "chart": reports.bar_chart(
            histogram, "count", max((b["count"] for b in histogram), default=0)
        ),
    }
    template = _partial(request, "quiz/reports_home.html", "cohort-results")
    return render(request, template, context)


@require_GET
@login_required
def cohort_csv(request: HttpRequest) -> HttpResponse:
    _require_director(request)
    rows = reports.cohort_table(request.user, reports.CohortFilters.from_query(request.GET))
    return reports.csv_response(
        "cohort.csv",
        [
            "resident",
            "username",
            "cohort",
            "training year",
            "assigned",
            "completed",
            "overdue",
            "scored attempts",
            "average score",
            "last activity",
            "last 4 weeks",
            "previous 4 weeks",
            "trend",
        ],
        (
            [
                r.name,
                r.username,
                r.cohort,
                r.training_year,
                r.assigned,
                r.completed,
                r.overdue,
                r.attempts,
                r.average,
                r.last_activity,
                r.recent,
                r.previous,
                r.trend,
            ]
            for r in rows
        ),
    )


@require_GET
@login_required
def resident_detail(request: HttpRequest, resident_id: int) -> HttpResponse:
    resident, memberships = _get_resident_for_user(request, resident_id)
    topics = reports.resident_topics(resident.pk)
    weeks = reports.resident_weeks(resident.pk)
    page = Paginator(reports.resident_responses(resident.pk), RESPONSES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "resident": resident,
        "memberships": memberships,
        "topics": [
            {
                "key": key,
                "title": title,
                "rows": topics[key],
                "chart": reports.bar_chart(topics[key], "average", 1.0),
            }
            for key, title in (
                ("modality", "Modality"),
                ("region", "Region"),
                ("category", "Category"),
            )
        ],
        "weeks": weeks,
        "week_chart": reports.line_chart(weeks),
        "page": page,
    }
    template = _partial(request, "quiz/reports/resident_detail.html", "responses")
    return render(request, template, context)


@require_GET
@login_required
def resident_csv(request: HttpRequest, resident_id: int) -> HttpResponse:
    resident, _ = _get_resident_for_user(request, resident_id)
    table = request.GET.get("table", "responses")
    name = resident.username
    if table in ("modality", "region", "category"):
        rows = reports.resident_topics(resident.pk)[table]
        return reports.csv_response(
            f"{name}-{table}.csv",
            [table, "responses", "average score"],
            ([row["label"], row["n"], row["average"]] for row in rows),
        )
    if table == "weeks":
        return reports.csv_response(
            f"{name}-weeks.csv",
            ["week starting", "responses", "average score"],
            (
                [row["label"], row["n"], row["average"]]
                for row in reports.resident_weeks(resident.pk)
            ),
        )
    if table != "responses":
        raise Http404
    responses = reports.resident_responses(resident.pk).iterator(chunk_size=2000)
    return reports.csv_response(
        f"{name}-responses.csv",
        [
            "answered at",
            "case",
            "question",
            "attempt",
            "answer",
            "score",
            "scored by",
            "first attempt",
            "late",
            "time spent (s)",
        ],
        (
            [
                r.answered_at,
                r.case.public_id,
                r.question.order,
                r.attempt.quiz.title if r.attempt.quiz else r.attempt.get_kind_display(),
                r.answer_text,
                r.score,
                r.get_method_display(),
                "yes" if r.is_first_attempt else "no",
                "yes" if r.is_late else "no",
                None if r.time_spent_ms is None else r.time_spent_ms / 1000,
            ]
            for r in responses
        ),
    )


def _item_rows(
    filters: reports.CaseFilters, case_ids: list[int] | None
) -> tuple[dict[int, reports.ItemStats], dict[int, reports.ItemStats]]:
    # Two queries: on SQLite one UNION ALL query over both levels measured slower.
    base = filters.responses(case_ids)
    return (
        reports.item_statistics(base, per="case"),
        reports.item_statistics(base, per="question"),
    )


@require_GET
@login_required
def item_analysis(request: HttpRequest) -> HttpResponse:
    _require_staff_role(request)
    filters = reports.CaseFilters.from_query(request.GET)
    page = Paginator(filters.cases(), CASES_PER_PAGE).get_page(request.GET.get("page"))
    cases = list(page.object_list)
    case_ids = [case.pk for case in cases]
    per_case, per_question = _item_rows(filters, case_ids)
    questions: dict[int, list[Question]] = {}
    for question in Question.objects.filter(case_id__in=case_ids).only(
        "id", "case_id", "order", "kind", "prompt"
    ):
        question.stats = per_question.get(question.pk)  # type: ignore[attr-defined]
        questions.setdefault(question.case_id, []).append(question)
    blocks = [
        {"case": case, "stats": per_case.get(case.pk), "questions": questions.get(case.pk, [])}
        for case in cases
    ]
    facility_bars = [
        {"label": block["case"].public_id, "facility": block["stats"].facility}
        for block in blocks
        if block["stats"]
    ]
    context = {
        "page": page,
        "blocks": blocks,
        "filters": filters,
        "quizzes": Quiz.objects.only("id", "title").order_by("title"),
        "modalities": Modality.choices,
        "regions": Region.choices,
        "categories": Category.choices,
        "conference_choices": list(reports.CONFERENCE_FILTERS.items()),
        "chart": reports.bar_chart(facility_bars, "facility", 1.0),
        "facility_bars": facility_bars,
        "too_easy": reports.TOO_EASY,
        "too_hard": reports.TOO_HARD,
    }
    template = _partial(request, "quiz/reports/item_analysis.html", "item-results")
    return render(request, template, context)


@require_GET
@login_required
def item_csv(request: HttpRequest) -> HttpResponse:
    """Every matching question (or case with ?per=case): no paging in an export."""
    _require_staff_role(request)
    filters = reports.CaseFilters.from_query(request.GET)
    per = "case" if request.GET.get("per") == "case" else "question"
    base = filters.responses()
    if filters.modality or filters.region or filters.category or filters.search:
        base = base.filter(case__in=filters.cases().values("pk"))
    stats = reports.item_statistics(base, per=per)
    header = ["n", "facility", "sd", "discrimination", "discriminative efficiency", "flags"]

    def numbers(s: reports.ItemStats) -> list[object]:
        return [s.n, s.facility, s.sd, s.discrimination, s.efficiency, "; ".join(s.flags)]

    if per == "case":
        cases = filters.cases().filter(pk__in=list(stats))
        return reports.csv_response(
            "case-statistics.csv",
            ["case", "title", *header],
            ([c.public_id, c.known_title, *numbers(stats[c.pk])] for c in cases),
        )
    questions = (
        Question.objects.filter(pk__in=list(stats))
        .select_related("case")
        .only("id", "order", "kind", "prompt", "case__public_id")
        .order_by("case__public_id", "order", "id")
    )
    return reports.csv_response(
        "question-statistics.csv",
        ["case", "question", "kind", "prompt", *header],
        (
            [q.case.public_id, q.order, q.get_kind_display(), q.prompt, *numbers(stats[q.pk])]
            for q in questions
        ),
    )


# --- grading ----------------------------------------------------------------------------


def _grading_queue() -> Any:
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
def grading_queue(request: HttpRequest) -> HttpResponse:
    if not roles.is_faculty(request.user):
        raise Http404
    page = Paginator(_grading_queue(), GRADING_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "quiz/reports/grading_queue.html", {"page": page})


@require_http_methods(["POST"])
@login_required
def grade_response(request: HttpRequest, pk: int) -> HttpResponse:
    if not roles.is_faculty(request.user):
        raise Http404
    # The quiz flow owns scoring writes; imported here so that this module loads on its own.
    from quiz import services as quiz_services

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
    if request.htmx:  # type: ignore[attr-defined]
        response.refresh_from_db()
        _keep_typed(response, error, typed_score, note)
        return render(
            request, "quiz/reports/includes/grading_row.html", {"r": response}, status=status
        )
    if not error:
        messages.success(request, "Score recorded.")
        return redirect(reverse("reports:grading_queue") + f"?page={_page_number(request)}")
    # Show the same page again with the message on the row and what was typed kept.
    page = Paginator(_grading_queue(), GRADING_PER_PAGE).get_page(_page_number(request))
    for row in page.object_list:
        if row.pk == response.pk:
            _keep_typed(row, error, typed_score, note)
    return render(request, "quiz/reports/grading_queue.html", {"page": page}, status=status)


def _page_number(request: HttpRequest) -> int:
    page = request.GET.get("page", "")
    return int(page) if page.isdigit() else 1


def _keep_typed(response: Response, error: str, score: str, note: str) -> None:
    if error:
        response.grade_error = error  # type: ignore[attr-defined]
        response.grade_score = score  # type: ignore[attr-defined]
        response.grade_note = note  # type: ignore[attr-defined]
