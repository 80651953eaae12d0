"""The quiz screens: answering a case, quizzes and exams, results, review."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from quiz import rules, services
from quiz.models import Assignment, Attempt, Quiz, QuizItem, Response, ReviewCard
from quiz.reading import (
    CaseWork,
    LearnerQuestion,
    build_case_work,
    case_queryset,
    latest_library_attempt,
    load_questions,
    unknown_figures,
    unknown_lab_values,
)
from teachingfile import roles
from teachingfile.models import Case, Figure
from teachingfile.viewing import figure_views

REVEAL_TEMPLATE = "quiz/includes/reveal.html"


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


# ---------------------------------------------------------------- library cases


def _get_case_for_user(request: HttpRequest, public_id: str) -> Case:
    """A case this user may open (residents: published only) with all its page shows."""
    return get_object_or_404(case_queryset(request.user), public_id=public_id)


def library_case_work(
    request: HttpRequest, case: Case, questions: list[LearnerQuestion] | None = None
) -> CaseWork:
    """The case as the library shows it to this user: their latest library attempt."""
    preview = roles.is_faculty(request.user) and request.GET.get("reveal") == "1"
    if questions is None:
        attempt = None if preview else latest_library_attempt(request.user, case)
        questions = load_questions(case, user=request.user, attempt=attempt)
    blocked = ""
    if not preview and getattr(case, "exam_running", False):
        blocked = "This case is part of an exam you are taking: answer it there."
    work = build_case_work(
        case=case,
        questions=questions,
        user=request.user,
        action_url=reverse("quiz:case_answer", args=[case.public_id]),
        preview=preview,
        blocked_message=blocked,
    )
    if work.revealed and not preview:
        work.retry_url = reverse("quiz:case_retry", args=[case.public_id])
    return work


def case_page_context(request: HttpRequest, case: Case, work: CaseWork) -> dict[str, Any]:
    return {
        "case": case,
        "work": work,
        "figures": unknown_figures(case),
        "lab_values": unknown_lab_values(case),
        "is_preview": case.status != Case.Status.PUBLISHED,
        "may_preview_reveal": roles.is_faculty(request.user),
    }


def _render_work(request: HttpRequest, work: CaseWork, *, status: int = 200) -> HttpResponse:
    return render(request, REVEAL_TEMPLATE, {"work": work, "case": work.case}, status=status)


# Refusals that mean "fix your input" are 400; the rest (order, exam, deadline) conflict.
_BAD_INPUT = {"blank", "unknown"}


@require_POST
@login_required
def case_answer(request: HttpRequest, public_id: str) -> HttpResponse:
    """Answer a library case: score, store, then the reveal (fragment or redirect)."""
    case = _get_case_for_user(request, public_id)
    answers = services.answers_from_post(request.POST)
    try:
        answered = services.case_answer(user=request.user, case=case, answers=answers)
    except services.AnswerRefused as refused:
        work = library_case_work(request, case)
        work.keep_draft(answers, refused.message)
        if _is_htmx(request):
            # htmx swaps only 2xx responses: the form comes back with the message.
            return _render_work(request, work)
        context = case_page_context(request, case, work)
        status = 400 if refused.code in _BAD_INPUT else 409
        return render(request, "teachingfile/case_detail.html", context, status=status)
    if _is_htmx(request):
        return _render_work(request, library_case_work(request, case, answered.questions))
    return redirect(f"{case.get_absolute_url()}#case-work")


@require_POST
@login_required
def case_retry(request: HttpRequest, public_id: str) -> HttpResponse:
    """Start a fresh library attempt: the case comes back unanswered, the old rows stay."""
    case = _get_case_for_user(request, public_id)
    services.case_attempt_start(user=request.user, case=case)
    return redirect(case.get_absolute_url())


@require_POST
@login_required
def comment_add(request: HttpRequest, public_id: str) -> HttpResponse:
    case = _get_case_for_user(request, public_id)
    if not rules.reveal_visible(request.user, case):
        raise PermissionDenied("Comments open once you have answered the case.")
    try:
        services.comment_create(case=case, author=request.user, body=request.POST.get("body", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Comment posted.")
    return redirect(f"{case.get_absolute_url()}#comments")


@require_POST
@login_required
def response_self_assess(request: HttpRequest, pk: int) -> HttpResponse:
    response = get_object_or_404(
        Response.objects.select_related("attempt", "case"), pk=pk, user=request.user
    )
    try:
        services.response_self_assess(
            response=response, verdict=request.POST.get("verdict", ""), by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    back = request.POST.get("next") or response.case.get_absolute_url()
    if not back.startswith("/") or back.startswith("//"):
        back = response.case.get_absolute_url()
    return redirect(back)


# ---------------------------------------------------------------- quizzes


def _get_quiz_for_user(request: HttpRequest, pk: int) -> Quiz:
    """A quiz this user may take: open, assigned to one of their cohorts, or any for faculty."""
    if roles.is_faculty(request.user):
        return get_object_or_404(Quiz, pk=pk)
    return get_object_or_404(Quiz.objects.available_to(request.user), pk=pk)


def _get_attempt_for_user(request: HttpRequest, quiz_pk: int, attempt_pk: int) -> Attempt:
    """The user's own attempt at this quiz; anyone else's is a 404, never a peek."""
    return get_object_or_404(
        Attempt.objects.select_related("quiz"),
        pk=attempt_pk,
        quiz_id=quiz_pk,
        user=request.user,
        kind=Attempt.Kind.QUIZ,
    )


@require_GET
@login_required
def quiz_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    assignments = list(
        Assignment.objects.filter(cohort__memberships__resident=request.user)
        .select_related("quiz", "cohort")
        .order_by("due_at", "id")
    )
    assigned_ids = {a.quiz_id for a in assignments}
    open_quizzes = Quiz.objects.filter(is_open=True).exclude(pk__in=assigned_ids).order_by("title")
    finished = set(
        Attempt.objects.filter(
            user=request.user, kind=Attempt.Kind.QUIZ, finished_at__isnull=False
        ).values_list("quiz_id", flat=True)
    )
    for assignment in assignments:
        assignment.is_done = assignment.quiz_id in finished
        assignment.is_overdue = (
            assignment.due_at is not None and assignment.due_at < now and not assignment.is_done
        )
    context = {"assignments": assignments, "open_quizzes": open_quizzes, "finished": finished}
    return render(request, "quiz/quiz_list.html", context)


@require_GET
@login_required
def quiz_detail(request: HttpRequest, pk: int) -> HttpResponse:
    quiz = _get_quiz_for_user(request, pk)
    items = quiz.items.select_related("case").only(
        "order", "quiz_id", "case__public_id", "case__unknown_title"
    )
    attempts = list(Attempt.objects.filter(user=request.user, quiz=quiz, kind=Attempt.Kind.QUIZ))
    current = next((a for a in attempts if not a.is_finished), None)
    if current is not None and current.is_past_deadline():
        current = services.attempt_close_if_expired(attempt=current)
        attempts = list(
            Attempt.objects.filter(user=request.user, quiz=quiz, kind=Attempt.Kind.QUIZ)
        )
        current = None
    context = {
        "quiz": quiz,
        "items": items,
        "current": current,
        "finished_attempts": [a for a in attempts if a.is_finished],
    }
    return render(request, "quiz/quiz_detail.html", context)


@require_POST
@login_required
def quiz_start(request: HttpRequest, pk: int) -> HttpResponse:
    """Start or resume: the same unfinished attempt on every device until it is finished."""
    quiz = _get_quiz_for_user(request, pk)
    if not quiz.items.exists():
        messages.error(request, "This quiz has no cases yet.")
        return redirect(quiz.get_absolute_url())
    attempt = services.quiz_attempt_start(user=request.user, quiz=quiz)
    answered = set(attempt.responses.values_list("case_id", flat=True))
    items = list(quiz.items.values_list("case_id", flat=True))
    position = next((i for i, case_id in enumerate(items, 1) if case_id not in answered), 1)
    return redirect("quiz:attempt_case", quiz.pk, attempt.pk, position)


def _item_at(request: HttpRequest, attempt: Attempt, position: int) -> tuple[list[QuizItem], Case]:
    items = list(attempt.quiz.items.only("id", "quiz_id", "case_id", "order"))
    if not 1 <= position <= len(items):
        raise Http404("No such case in this quiz.")
    # A quiz may hold a case retired since it was built: the attempt still shows it.
    cases = case_queryset(request.user, cases=Case.objects.all(), library=False)
    case = get_object_or_404(cases, pk=items[position - 1].case_id)
    return items, case


def _attempt_case_work(
    request: HttpRequest,
    attempt: Attempt,
    case: Case,
    position: int,
    questions: list[LearnerQuestion] | None = None,
) -> CaseWork:
    exam = attempt.quiz is not None and attempt.quiz.is_exam
    if questions is None:
        questions = load_questions(case, user=request.user, attempt=attempt)
    return build_case_work(
        case=case,
        questions=questions,
        user=request.user,
        action_url=reverse(
            "quiz:attempt_case_answer", args=[attempt.quiz_id, attempt.pk, position]
        ),
        page_url=reverse("quiz:attempt_case", args=[attempt.quiz_id, attempt.pk, position]),
        exam=exam,
        exam_over=attempt.is_finished,
    )


def _attempt_context(
    request: HttpRequest,
    attempt: Attempt,
    items: list[QuizItem],
    case: Case,
    position: int,
    work: CaseWork,
) -> dict[str, Any]:
    context = case_page_context(request, case, work)
    answered = set(attempt.responses.values_list("case_id", flat=True).distinct())
    remaining = attempt.time_left()
    context.update(
        {
            "attempt": attempt,
            "quiz": attempt.quiz,
            "position": position,
            "count": len(items),
            "steps": [
                {"n": n, "answered": item.case_id in answered, "current": n == position}
                for n, item in enumerate(items, 1)
            ],
            "next_url": (
                reverse("quiz:attempt_case", args=[attempt.quiz_id, attempt.pk, position + 1])
                if position < len(items)
                else ""
            ),
            "seconds_left": int(remaining.total_seconds()) if remaining is not None else None,
        }
    )
    return context


@require_GET
@login_required
def attempt_case(request: HttpRequest, pk: int, attempt_pk: int, position: int) -> HttpResponse:
    attempt = _get_attempt_for_user(request, pk, attempt_pk)
    if attempt.quiz.is_exam and not attempt.is_finished and attempt.is_past_deadline():
        services.attempt_finish(attempt=attempt)
        messages.info(request, "Time is up: the exam has been handed in.")
        return redirect("quiz:attempt_results", pk, attempt.pk)
    items, case = _item_at(request, attempt, position)
    work = _attempt_case_work(request, attempt, case, position)
    context = _attempt_context(request, attempt, items, case, position, work)
    return render(request, "quiz/attempt_case.html", context)


@require_POST
@login_required
def attempt_case_answer(
    request: HttpRequest, pk: int, attempt_pk: int, position: int
) -> HttpResponse:
    """Answer one case in a quiz: practice gets the reveal, an exam saves without one."""
    attempt = _get_attempt_for_user(request, pk, attempt_pk)
    items, case = _item_at(request, attempt, position)
    page = reverse("quiz:attempt_case", args=[pk, attempt.pk, position])
    answers = services.answers_from_post(request.POST)
    exam = attempt.quiz.is_exam
    try:
        answered = services.attempt_answer(attempt=attempt, case=case, answers=answers)
    except services.AnswerRefused as refused:
        if refused.code == "deadline" and not _is_htmx(request):
            return _deadline_refusal(request, attempt, refused.message)
        work = _attempt_case_work(request, attempt, case, position)
        work.keep_draft(answers, refused.message)
        context = _attempt_context(request, attempt, items, case, position, work)
        if _is_htmx(request):
            return render(request, REVEAL_TEMPLATE, context)
        status = 400 if refused.code in _BAD_INPUT else 409
        return render(request, "quiz/attempt_case.html", context, status=status)
    if _is_htmx(request):
        work = _attempt_case_work(request, answered.attempt, case, position, answered.questions)
        if exam:
            work.saved_message = f"Saved at {timezone.localtime():%H:%M:%S}."
        context = _attempt_context(request, answered.attempt, items, case, position, work)
        return render(request, REVEAL_TEMPLATE, context)
    if exam:
        messages.success(request, "Answers saved.")
        if position < len(items):
            return redirect("quiz:attempt_case", pk, attempt.pk, position + 1)
    return redirect(f"{page}#case-work")


def _deadline_refusal(request: HttpRequest, attempt: Attempt, message: str) -> HttpResponse:
    """After the deadline nothing is stored: say so plainly, with HTTP 409."""
    services.attempt_close_if_expired(attempt=attempt)
    context = {"attempt": attempt, "quiz": attempt.quiz, "message": message}
    return render(request, "quiz/includes/deadline_passed.html", context, status=409)


@require_POST
@login_required
def attempt_finish(request: HttpRequest, pk: int, attempt_pk: int) -> HttpResponse:
    attempt = _get_attempt_for_user(request, pk, attempt_pk)
    services.attempt_finish(attempt=attempt)
    return redirect("quiz:attempt_results", pk, attempt.pk)


@require_GET
@login_required
def attempt_results(request: HttpRequest, pk: int, attempt_pk: int) -> HttpResponse:
    attempt = _get_attempt_for_user(request, pk, attempt_pk)
    attempt = services.attempt_close_if_expired(attempt=attempt)
    if not attempt.is_finished:
        messages.info(request, "Results appear once you finish the quiz.")
        return redirect("quiz:attempt_case", pk, attempt.pk, 1)
    items = list(attempt.quiz.items.select_related("case"))
    responses = list(attempt.responses.select_related("question").order_by("question__order", "id"))
    # A known title is part of the reveal: shown only where the rule grants it.
    revealed = set(
        rules.revealed_cases(request.user)
        .filter(pk__in=[item.case_id for item in items])
        .values_list("pk", flat=True)
    )
    rows = []
    for n, item in enumerate(items, 1):
        case_responses = [r for r in responses if r.case_id == item.case_id]
        scored = [r.score for r in case_responses if r.score is not None]
        rows.append(
            {
                "n": n,
                "case": item.case,
                "title": (
                    item.case.known_title if item.case_id in revealed else item.case.unknown_title
                ),
                "responses": case_responses,
                "score": sum(scored) / len(scored) if scored else None,
                "url": reverse("quiz:attempt_case", args=[pk, attempt.pk, n]),
            }
        )
    context = {"attempt": attempt, "quiz": attempt.quiz, "rows": rows}
    return render(request, "quiz/attempt_results.html", context)


# ---------------------------------------------------------------- review


def _get_card_for_user(request: HttpRequest, pk: int) -> ReviewCard:
    return get_object_or_404(
        ReviewCard.objects.select_related("question__case"), pk=pk, user=request.user
    )


@require_GET
@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    due = ReviewCard.objects.filter(user=request.user, due__lte=now)
    card = due.select_related("question__case").order_by("due", "id").first()
    context: dict[str, Any] = {"due_count": due.count(), "card": card}
    if card is not None:
        question = card.question
        figures = Figure.objects.filter(
            case=question.case, stage=Figure.Stage.QUESTION
        ).select_related("series")
        context["figures"] = figure_views(figures, revealed=False)
        context["choices"] = list(question.choices.all())
    upcoming = ReviewCard.objects.filter(user=request.user, due__gt=now).order_by("due").first()
    context["next_due"] = upcoming.due if upcoming else None
    context["soon"] = upcoming is not None and upcoming.due - now < timedelta(hours=1)
    return render(request, "quiz/review.html", context)


@require_POST
@login_required
def review_answer(request: HttpRequest, pk: int) -> HttpResponse:
    card = _get_card_for_user(request, pk)
    question = card.question
    answer = services.answers_from_post(request.POST).get(question.pk)
    if answer is None or services.answer_is_blank(question, answer):
        messages.error(request, "Give an answer before submitting.")
        return redirect("quiz:review_queue")
    response = services.review_answer(card=card, answer=answer)
    return redirect("quiz:review_feedback", response.pk)


@require_GET
@login_required
def review_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    response = get_object_or_404(
        Response.objects.select_related("question__case", "attempt"),
        pk=pk,
        user=request.user,
        attempt__kind=Attempt.Kind.REVIEW,
    )
    question = response.question
    picked = set(response.choices.values_list("pk", flat=True))
    context = {
        "response": response,
        "question": question,
        "choices": [(c, c.pk in picked) for c in question.choices.all()],
        "accepted": list(question.accepted_answers.all()),
        "due_count": ReviewCard.objects.filter(user=request.user, due__lte=timezone.now()).count(),
        "card": ReviewCard.objects.filter(user=request.user, question=question).first(),
    }
    return render(request, "quiz/review_feedback.html", context)
