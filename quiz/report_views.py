"""Reports: the cohort table and one resident for directors, item analysis for faculty.

Read-only: grading (`quiz.grading_views`) and cohort management (`quiz.cohort_views`) write,
so they live outside the reports namespace.

Residents and accounts without a role get a 404 everywhere here: the pages do not exist for
them. A director reaches only residents of cohorts in programs they direct.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractUser
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from people import audit
from quiz import rules
from quiz.models import Membership, Quiz
from quiz.reports import charts, csv_export, response_analysis, statistics
from quiz.reports import cohort as cohort_reports
from quiz.reports import resident as resident_reports
from teachingfile import roles
from teachingfile.http import HtmxHttpRequest
from teachingfile.models import Category, Modality, Question, Region

CASES_PER_PAGE = 25
RESPONSES_PER_PAGE = 50


def _require_director(request: HtmxHttpRequest) -> None:
    if not roles.is_director(request.user):
        raise Http404


def _require_staff_role(request: HtmxHttpRequest) -> None:
    """Item statistics: faculty and directors, nobody else."""
    if not (roles.is_faculty(request.user) or roles.is_director(request.user)):
        raise Http404


def _get_resident_for_user(
    request: HtmxHttpRequest, resident_id: int
) -> tuple[AbstractUser, list[Membership]]:
    """The resident and their memberships this director may see; 404 for anyone else."""
    _require_director(request)
    memberships = list(
        cohort_reports.visible_memberships(request.user).filter(resident_id=resident_id)
    )
    if not memberships:
        raise Http404
    return memberships[0].resident, memberships


def _partial(request: HtmxHttpRequest, template: str, name: str) -> str:
    return f"{template}#{name}" if request.htmx else template


@require_GET
@login_required
def reports_home(request: HtmxHttpRequest) -> HttpResponse:
    if not roles.is_director(request.user):
        _require_staff_role(request)
        # Faculty without a program see item statistics only.
        return redirect("reports:item_analysis")
    filters = cohort_reports.CohortFilters.from_query(request.GET)
    rows = cohort_reports.cohort_table(request.user, filters)
    histogram = cohort_reports.score_histogram([row.average for row in rows])
    context = {
        "rows": rows,
        "filters": filters,
        "orders": cohort_reports.CohortFilters.ORDERS,
        "cohorts": rules.directed_cohorts(request.user),
        "years": range(1, 9),
        "histogram": histogram,
        "chart": charts.bar_chart(
            histogram, "count", max((b["count"] for b in histogram), default=0)
        ),
    }
    template = _partial(request, "quiz/reports_home.html", "cohort-results")
    return render(request, template, context)


@require_GET
@login_required
def cohort_csv(request: HtmxHttpRequest) -> HttpResponse:
    _require_director(request)
    audit.exported(request, audit.AuditAction.EXPORT_CSV, "cohort.csv")
    rows = cohort_reports.cohort_table(
        request.user, cohort_reports.CohortFilters.from_query(request.GET)
    )
    return csv_export.csv_response(
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
            "average score per attempt",
            "last activity",
            "last 4 weeks (per attempt)",
            "previous 4 weeks (per attempt)",
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
def resident_detail(request: HtmxHttpRequest, resident_id: int) -> HttpResponse:
    resident, memberships = _get_resident_for_user(request, resident_id)
    topics = resident_reports.resident_topics(resident.pk)
    weeks = resident_reports.resident_weeks(resident.pk)
    page = Paginator(resident_reports.resident_responses(resident.pk), RESPONSES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "resident": resident,
        "memberships": memberships,
        "summary": resident_reports.resident_summary(resident.pk),
        "topics": [
            {
                "key": key,
                "title": title,
                "rows": topics[key],
                "chart": charts.bar_chart(topics[key], "average", 1.0),
            }
            for key, title in resident_reports.TOPICS
        ],
        "weeks": weeks,
        "week_chart": charts.line_chart(weeks),
        "page": page,
    }
    template = _partial(request, "quiz/reports/resident_detail.html", "responses")
    return render(request, template, context)


@require_GET
@login_required
def resident_csv(request: HtmxHttpRequest, resident_id: int) -> HttpResponse:
    resident, _ = _get_resident_for_user(request, resident_id)
    audit.exported(
        request, audit.AuditAction.EXPORT_CSV, f"{resident.username}.csv", subject=resident
    )
    table = request.GET.get("table", "responses")
    name = resident.username
    if table == "domain":  # coverage: cases answered per curriculum domain (issue 18)
        rows = resident_reports.resident_topics(resident.pk)[table]
        return csv_export.csv_response(
            f"{name}-{table}.csv",
            [table, "cases answered", "responses", "average score per answer"],
            ([row["label"], row["cases"], row["n"], row["average"]] for row in rows),
        )
    if table in ("modality", "region", "category"):
        rows = resident_reports.resident_topics(resident.pk)[table]
        return csv_export.csv_response(
            f"{name}-{table}.csv",
            [table, "responses", "average score per answer"],
            ([row["label"], row["n"], row["average"]] for row in rows),
        )
    if table == "weeks":
        return csv_export.csv_response(
            f"{name}-weeks.csv",
            ["week starting", "responses", "average score per answer"],
            (
                [row["label"], row["n"], row["average"]]
                for row in resident_reports.resident_weeks(resident.pk)
            ),
        )
    if table != "responses":
        raise Http404
    responses = resident_reports.resident_responses(resident.pk).iterator(chunk_size=2000)
    return csv_export.csv_response(
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
    filters: statistics.CaseFilters, case_ids: list[int] | None
) -> tuple[dict[int, statistics.ItemStats], dict[int, statistics.ItemStats]]:
    # One query for both levels: choosing the counted attempts is part of every statement,
    # so one UNION ALL statement now beats two (measured in docs/statistics.md).
    by_level = statistics.item_statistics_by_level(filters.responses(case_ids))
    return by_level["case"], by_level["question"]


@require_GET
@login_required
def item_analysis(request: HtmxHttpRequest) -> HttpResponse:
    _require_staff_role(request)
    filters = statistics.CaseFilters.from_query(request.GET)
    page = Paginator(filters.cases(), CASES_PER_PAGE).get_page(request.GET.get("page"))
    cases = list(page.object_list)
    case_ids = [case.pk for case in cases]
    per_case, per_question = _item_rows(filters, case_ids)
    question_list = list(
        Question.objects.filter(case_id__in=case_ids).only(
            "id", "case_id", "order", "kind", "prompt", "max_mark"
        )
    )
    analysis = response_analysis.response_analysis(
        filters.responses(case_ids),
        question_list,
        {pk: stats.n for pk, stats in per_question.items()},
    )
    questions: dict[int, list[Question]] = {}
    for question in question_list:
        question.stats = per_question.get(question.pk)  # type: ignore[attr-defined]  # for the row
        question.analysis = analysis.get(question.pk)  # type: ignore[attr-defined]  # for the row
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
        "which_choices": statistics.WhichAttempts.choices,
        "quiz_stats": (
            statistics.quiz_statistics(filters.which, filters.quiz) if filters.quiz else None
        ),
        "modalities": Modality.choices,
        "regions": Region.choices,
        "categories": Category.choices,
        "conference_choices": list(statistics.CONFERENCE_FILTERS.items()),
        "chart": charts.bar_chart(facility_bars, "facility", 1.0),
        "facility_bars": facility_bars,
        "too_easy": statistics.TOO_EASY,
        "too_hard": statistics.TOO_HARD,
        "min_n": statistics.MIN_N,
    }
    template = _partial(request, "quiz/reports/item_analysis.html", "item-results")
    return render(request, template, context)


@require_GET
@login_required
def item_csv(request: HtmxHttpRequest) -> HttpResponse:
    """Every matching question (or case with ?per=case): no paging in an export."""
    _require_staff_role(request)
    audit.exported(request, audit.AuditAction.EXPORT_CSV, "item statistics")
    filters = statistics.CaseFilters.from_query(request.GET)
    per = request.GET.get("per", "question")
    per = per if per in ("case", "quiz") else "question"
    base = filters.responses()
    if filters.modality or filters.region or filters.category or filters.search:
        base = base.filter(case__in=filters.cases().values("pk"))
    if per == "quiz":
        return _quiz_csv(filters)
    stats = statistics.item_statistics(base, per=per)
    # The quiz-level figures of the chosen quiz on every row (empty without a quiz: they
    # describe one test), under the stable names of docs/statistics.md.
    quiz_stats = statistics.quiz_statistics(filters.which, filters.quiz) if filters.quiz else None
    quiz_values = quiz_stats.csv_values() if quiz_stats else [None] * 9
    header = [
        "n",
        "facility",
        "item sd",  # "sd" alone is the quiz's, among the quiz-level columns
        "discrimination",
        "discriminative efficiency",
        "flags",
        *statistics.QuizStats.CSV_COLUMNS,
    ]

    def numbers(s: statistics.ItemStats) -> list[object]:
        return [
            s.n,
            s.facility,
            s.sd,
            s.discrimination,
            s.efficiency,
            "; ".join(s.flags),
            *quiz_values,
        ]

    if per == "case":
        cases = filters.cases().filter(pk__in=list(stats))
        return csv_export.csv_response(
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
    return csv_export.csv_response(
        "question-statistics.csv",
        ["case", "question", "kind", "prompt", *header],
        (
            [q.case.public_id, q.order, q.get_kind_display(), q.prompt, *numbers(stats[q.pk])]
            for q in questions
        ),
    )


def _quiz_csv(filters: statistics.CaseFilters) -> HttpResponse:
    """One row per quiz with attempts: the quiz-level figures (three queries in all)."""
    by_quiz = statistics.quiz_statistics_by_quiz(
        filters.which, [filters.quiz] if filters.quiz else None
    )
    quizzes = Quiz.objects.filter(pk__in=list(by_quiz)).only("id", "title").order_by("title")
    return csv_export.csv_response(
        "quiz-statistics.csv",
        ["quiz", "attempts rule", *statistics.QuizStats.CSV_COLUMNS, "provisional_attempts"],
        (
            [q.title, filters.which, *by_quiz[q.pk].csv_values(), by_quiz[q.pk].provisional]
            for q in quizzes
        ),
    )
