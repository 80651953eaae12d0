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

from quiz import services
from quiz.models import Assignment, Attempt, Quiz, QuizItem, Response, ReviewCard
from quiz.reading import CaseWork, build_case_work, with_rating_summary
from teachingfile import roles
from teachingfile.models import Case, Figure, Question
from teachingfile.viewing import figure_views

REVEAL_TEMPLATE = "quiz/includes/reveal.html"


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


# ---------------------------------------------------------------- library cases


def _get_case_for_user(request: HttpRequest, public_id: str) -> Case:
    """A case this user may open (residents: published only), with its rating summary."""
    cases = with_rating_summary(Case.objects.visible_to(request.user))
    return get_object_or_404(cases, public_id=public_id)


def library_case_work(request: HttpRequest, case: Case) -> CaseWork:
    """The case as the library shows it to this user: their latest library attempt."""
    attempt = (
        Attempt.objects.filter(user=request.user, kind=Attempt.Kind.CASE, case=case)
        .only("id", "user_id", "kind", "case_id", "finished_at", "deadline", "quiz_id")
        .first()
    )
    preview = roles.is_faculty(request.user) and request.GET.get("reveal") == "1"
    blocked = ""
    if not preview and services.exam_in_progress_for(user=request.user, case=case):
        blocked = "This case is part of an exam you are taking: answer it there."
    return build_case_work(
        case=case,
        attempt=attempt,
        action_url=reverse("quiz:case_answer", args=[case.public_id]),
        preview=preview,
        blocked_message=blocked,
    )


def case_page_context(request: HttpRequest, case: Case, work: CaseWork) -> dict[str, Any]:
    figures = Figure.objects.filter(case=case, stage=Figure.Stage.QUESTION).select_related("series")
    return {
        "case": case,
        "work": work,
        "figures": figure_views(figures, revealed=False),
        "lab_values": [lab for lab in case.lab_values.all() if lab.shown_before_reveal],
        "is_preview": case.status != Case.Status.PUBLISHED,
        "may_preview_reveal": roles.is_faculty(request.user),
    }


def _render_work(request: HttpRequest, work: CaseWork, *, status: int = 200) -> HttpResponse:
    return render(request, REVEAL_TEMPLATE, {"work": work, "case": work.case}, status=status)


@require_POST
@login_required
def case_answer(request: HttpRequest, public_id: str) -> HttpResponse:
    """Answer a library case: score, store, then the reveal (fragment or redirect)."""
    case = _get_case_for_user(request, public_id)
    questions = list(case.questions.prefetch_related("choices"))
    answers = services.answers_from_post(questions, request.POST)
    error = _blank_answer_error(case, questions, answers)
    status = 400
    if not error:
        try:
            attempt = services.case_attempt_current(user=request.user, case=case)
            services.attempt_answer(attempt=attempt, case=case, answers=answers)
        except services.AnswerRefused as refused:
            error, status = refused.message, 409
    if error:
        work = library_case_work(request, case)
        work.keep_draft(answers, error)
        if _is_htmx(request):
            # htmx swaps only 2xx responses: the form comes back with the message.
            return _render_work(request, work)
        context = case_page_context(request, case, work)
        return render(request, "teachingfile/case_detail.html", context, status=status)
    if _is_htmx(request):
        return _render_work(request, library_case_work(request, case))
    return redirect(f"{case.get_absolute_url()}#case-work")


def _blank_answer_error(case: Case, questions: list[Question], answers: dict[int, Any]) -> str:
    given = {pk: a for pk, a in answers.items() if not a.is_blank}
    if not given:
        return "Give an answer before submitting."
    if not case.progressive and len(given) < len(answers):
        return "Answer every question of this case before submitting."
    return ""


@require_POST
@login_required
def case_retry(request: HttpRequest, public_id: str) -> HttpResponse:
    case = _get_case_for_user(request, public_id)
    services.case_attempt_start(user=request.user, case=case)
    return redirect(case.get_absolute_url())


@require_POST
@login_required
def comment_add(request: HttpRequest, public_id: str) -> HttpResponse:
    case = _get_case_for_user(request, public_id)
    if not _has_seen_reveal(request, case):
        raise PermissionDenied("Comments open once you have answered the case.")
    try:
        services.comment_create(case=case, author=request.user, body=request.POST.get("body", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Comment posted.")
    return redirect(f"{case.get_absolute_url()}#comments")


def _has_seen_reveal(request: HttpRequest, case: Case) -> bool:
    """Comments are part of the reveal: faculty, or a learner who has earned it somewhere."""
    if roles.is_faculty(request.user):
        return True
    if library_case_work(request, case).revealed:
        return True
    for attempt in Attempt.objects.filter(
        user=request.user, kind=Attempt.Kind.QUIZ, quiz__items__case=case
    ).select_related("quiz"):
        work = _attempt_case_work(attempt, case, 0)
        if work.revealed:
            return True
    return False


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


def _item_at(attempt: Attempt, position: int) -> tuple[list[QuizItem], Case]:
    items = list(attempt.quiz.items.select_related(None).only("id", "case_id", "order"))
    if not 1 <= position <= len(items):
        raise Http404("No such case in this quiz.")
    case = get_object_or_404(
        with_rating_summary(Case.objects.all()), pk=items[position - 1].case_id
    )
    return items, case


def _attempt_case_work(attempt: Attempt, case: Case, position: int) -> CaseWork:
    exam = attempt.quiz is not None and attempt.quiz.is_exam
    return build_case_work(
        case=case,
        attempt=attempt,
        action_url=reverse(
            "quiz:attempt_case_answer", args=[attempt.quiz_id, attempt.pk, position]
        ),
        page_url=reverse("quiz:attempt_case", args=[attempt.quiz_id, attempt.pk, position]),
        exam=exam,
        exam_over=attempt.is_finished,
    )


def _attempt_context(
    request: HttpRequest, attempt: Attempt, items: list[QuizItem], case: Case, position: int
) -> dict[str, Any]:
    work = _attempt_case_work(attempt, case, position)
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
    items, case = _item_at(attempt, position)
    context = _attempt_context(request, attempt, items, case, position)
    return render(request, "quiz/attempt_case.html", context)


@require_POST
@login_required
def attempt_case_answer(
    request: HttpRequest, pk: int, attempt_pk: int, position: int
) -> HttpResponse:
    """Answer one case in a quiz: practice gets the reveal, an exam saves without one."""
    attempt = _get_attempt_for_user(request, pk, attempt_pk)
    items, case = _item_at(attempt, position)
    page = reverse("quiz:attempt_case", args=[pk, attempt.pk, position])
    questions = list(case.questions.prefetch_related("choices"))
    answers = services.answers_from_post(questions, request.POST)
    exam = attempt.quiz.is_exam
    error = "" if exam and answers else _blank_answer_error(case, questions, answers)
    if exam and not any(not a.is_blank for a in answers.values()):
        error = "Give an answer before saving."
    status = 400
    if not error:
        try:
            services.attempt_answer(attempt=attempt, case=case, answers=answers)
        except services.AnswerRefused as refused:
            if refused.code == "deadline" and not _is_htmx(request):
                return _deadline_refusal(request, attempt, refused.message)
            error, status = refused.message, 409
    if error:
        context = _attempt_context(request, attempt, items, case, position)
        context["work"].keep_draft(answers, error)
        if _is_htmx(request):
            return render(request, REVEAL_TEMPLATE, context)
        return render(request, "quiz/attempt_case.html", context, status=status)
    if _is_htmx(request):
        work = _attempt_case_work(attempt, case, position)
        if exam:
            work.saved_message = f"Saved at {timezone.localtime():%H:%M:%S}."
        context = _attempt_context(request, attempt, items, case, position)
        context["work"] = work
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
    rows = []
    for n, item in enumerate(items, 1):
        case_responses = [r for r in responses if r.case_id == item.case_id]
        scored = [r.score for r in case_responses if r.score is not None]
        rows.append(
            {
                "n": n,
                "case": item.case,
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
    [answer] = services.answers_from_post([question], request.POST).values() or [None]
    if answer is None or answer.is_blank:
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
