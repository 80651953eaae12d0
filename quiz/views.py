"""The quiz screens: answering a case, quizzes and exams, results, practice review.

Over 600 lines: the library case, quiz, exam and practice review screens share the case
work helpers at the top (library_case_work, case_page_context, _render_work). The next one to
grow should move out whole, as the library pages (library_views) and peer review did.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from quiz import progress, rules, services
from quiz.models import Assignment, Attempt, Quiz, QuizItem, Response, ReviewCard
from quiz.reading import (
    CaseWork,
    LearnerQuestion,
    add_choice_shares,
    build_case_work,
    case_queryset,
    latest_library_attempt,
    load_questions,
    unknown_figures,
    unknown_lab_values,
)
from teachingfile import roles
from teachingfile.http import HtmxHttpRequest, safe_next
from teachingfile.models import Case, Question

REVEAL_TEMPLATE = "quiz/includes/reveal.html"


# ---------------------------------------------------------------- library cases


def _get_case_for_user(request: HtmxHttpRequest, public_id: str) -> Case:
    """A case this user may open (residents: published only) with all its page shows."""
    return get_object_or_404(case_queryset(request.user), public_id=public_id)


def library_case_work(
    request: HtmxHttpRequest, case: Case, questions: list[LearnerQuestion] | None = None
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
    if work.revealed:
        add_choice_shares(work)
    return work


def case_page_context(request: HtmxHttpRequest, case: Case, work: CaseWork) -> dict[str, Any]:
    return {
        "case": case,
        "work": work,
        "figures": unknown_figures(case),
        "lab_values": unknown_lab_values(case),
        "is_preview": case.status != Case.Status.PUBLISHED,
        "may_preview_reveal": roles.is_faculty(request.user),
    }


def _render_work(request: HtmxHttpRequest, work: CaseWork, *, status: int = 200) -> HttpResponse:
    return render(request, REVEAL_TEMPLATE, {"work": work, "case": work.case}, status=status)


# Refusals that mean "fix your input" are 400; the rest (order, exam, deadline) conflict.
_BAD_INPUT = {"blank", "unknown", "malformed"}


@require_POST
@login_required
def case_answer(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    """Answer a library case: score, store, then the reveal (fragment or redirect)."""
    case = _get_case_for_user(request, public_id)
    answers = services.answers_from_post(request.POST)
    try:
        answered = services.case_answer(user=request.user, case=case, answers=answers)
    except services.AnswerRefused as refused:
        work = library_case_work(request, case)
        work.keep_draft(answers, refused.message)
        if request.htmx:
            # The house convention (docs/htmx.md): 422 with the form and its message.
            return _render_work(request, work, status=422)
        context = case_page_context(request, case, work)
        status = 400 if refused.code in _BAD_INPUT else 409
        return render(request, "teachingfile/case_detail.html", context, status=status)
    if request.htmx:
        return _render_work(request, library_case_work(request, case, answered.questions))
    return redirect(f"{case.get_absolute_url()}#case-work")


@require_POST
@login_required
def case_retry(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    """Start a fresh library attempt: the case comes back unanswered, the old rows stay."""
    case = _get_case_for_user(request, public_id)
    services.case_attempt_start(user=request.user, case=case)
    return redirect(case.get_absolute_url())


@require_POST
@login_required
def comment_add(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    """Post a comment after the reveal; a refusal comes back with the text kept (400/422)."""
    case = _get_case_for_user(request, public_id)
    if not rules.reveal_visible(request.user, case):
        raise PermissionDenied("Comments open once you have answered the case.")
    body = request.POST.get("body", "")
    try:
        services.comment_create(case=case, author=request.user, body=body)
    except ValidationError as error:
        work = library_case_work(request, case)
        work.comment_error = " ".join(error.messages)
        work.comment_draft = body
        if request.htmx:
            context = {"work": work, "case": case}
            return render(request, "quiz/includes/comments.html", context, status=422)
        context = case_page_context(request, case, work)
        return render(request, "teachingfile/case_detail.html", context, status=400)
    if request.htmx:
        case = _get_case_for_user(request, public_id)  # the list with the new comment
        work = library_case_work(request, case)
        work.comment_message = "Comment posted."
        return render(request, "quiz/includes/comments.html", {"work": work, "case": case})
    messages.success(request, "Comment posted.")
    return redirect(f"{case.get_absolute_url()}#comments")


@require_POST
@login_required
def response_self_assess(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    response = get_object_or_404(
        Response.objects.select_related("attempt", "case"), pk=pk, user=request.user
    )
    try:
        services.response_self_assess(
            response=response, verdict=request.POST.get("verdict", ""), by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(safe_next(request, response.case.get_absolute_url()))


# ---------------------------------------------------------------- quizzes


def _get_quiz_for_user(request: HtmxHttpRequest, pk: int) -> Quiz:
    """A quiz this user may take: open, assigned to one of their cohorts, or any for faculty."""
    if roles.is_faculty(request.user):
        return get_object_or_404(Quiz, pk=pk)
    return get_object_or_404(Quiz.objects.available_to(request.user), pk=pk)


def _get_attempt_for_user(request: HtmxHttpRequest, quiz_pk: int, attempt_pk: int) -> Attempt:
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
def quiz_list(request: HtmxHttpRequest) -> HttpResponse:
    now = timezone.now()
    assignments = list(
        Assignment.objects.filter(cohort__memberships__resident=request.user)
        .select_related("quiz", "cohort")
        .order_by("due_at", "id")
    )
    assigned_ids = {a.quiz_id for a in assignments}
    open_quizzes = list(
        Quiz.objects.filter(is_open=True).exclude(pk__in=assigned_ids).order_by("title")
    )
    statuses = progress.quiz_statuses(request.user)
    for quiz_row in [a.quiz for a in assignments] + open_quizzes:
        quiz_row.status = statuses.get(quiz_row.pk, progress.NOT_STARTED)
    for assignment in assignments:
        assignment.is_done = assignment.quiz.status.label == "handed in"
        assignment.is_overdue = (
            assignment.due_at is not None and assignment.due_at < now and not assignment.is_done
        )
    context = {"assignments": assignments, "open_quizzes": open_quizzes}
    return render(request, "quiz/quiz_list.html", context)


@require_GET
@login_required
def quiz_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
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
    limit = quiz.attempt_limit
    context = {
        "quiz": quiz,
        "items": items,
        "current": current,
        "finished_attempts": [a for a in attempts if a.is_finished],
        "attempt_limit": limit,
        "attempts_left": None if limit is None else max(limit - len(attempts), 0),
    }
    return render(request, "quiz/quiz_detail.html", context)


@require_POST
@login_required
def quiz_start(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Start or resume: the same unfinished attempt on every device until it is finished."""
    quiz = _get_quiz_for_user(request, pk)
    if not quiz.items.exists():
        messages.error(request, "This quiz has no cases yet.")
        return redirect(quiz.get_absolute_url())
    try:
        attempt = services.quiz_attempt_start(user=request.user, quiz=quiz)
    except services.AttemptRefused as refused:
        messages.error(request, refused.message)
        return redirect(quiz.get_absolute_url())
    answered = set(attempt.responses.values_list("case_id", flat=True))
    order = attempt.ordered(list(quiz.items.values_list("case_id", flat=True)))
    position = next((i for i, case_id in enumerate(order, 1) if case_id not in answered), 1)
    return redirect("quiz:attempt_case", quiz.pk, attempt.pk, position)


def _ordered_items(attempt: Attempt) -> list[QuizItem]:
    """The quiz's items in this attempt's order (its own when the quiz shuffles).

    Each item carries `asked` (its case's questions) and `done` (this attempt's answers
    to them) for the navigator, in the same query.
    """
    asked = (
        Question.objects.filter(case=OuterRef("case_id"))
        .order_by()
        .values("case")
        .annotate(n=Count("id"))
        .values("n")
    )
    done = (
        Response.objects.filter(attempt=attempt, case=OuterRef("case_id"))
        .order_by()
        .values("case")
        .annotate(n=Count("id"))
        .values("n")
    )
    items = list(
        attempt.quiz.items.only("id", "quiz_id", "case_id", "order").annotate(
            asked=Coalesce(Subquery(asked[:1]), 0), done=Coalesce(Subquery(done[:1]), 0)
        )
    )
    by_case = {item.case_id: item for item in items}
    return [by_case[case_id] for case_id in attempt.ordered(list(by_case))]


def _item_at(
    request: HtmxHttpRequest, attempt: Attempt, position: int
) -> tuple[list[QuizItem], Case]:
    items = _ordered_items(attempt)
    if not 1 <= position <= len(items):
        raise Http404("No such case in this quiz.")
    # A quiz may hold a case retired since it was built: the attempt still shows it.
    cases = case_queryset(request.user, cases=Case.objects.all(), library=False)
    case = get_object_or_404(cases, pk=items[position - 1].case_id)
    return items, case


def _withheld_message(attempt: Attempt) -> str:
    """A handed-in exam whose quiz shows answers only after the due date: say when."""
    due = rules.reveal_withheld_until(attempt)
    if due is None:
        return ""
    return (
        "Handed in. The answers and the discussion open after the due date, "
        f"{timezone.localtime(due):%d %b %Y %H:%M}."
    )


def _attempt_case_work(
    request: HtmxHttpRequest,
    attempt: Attempt,
    case: Case,
    position: int,
    questions: list[LearnerQuestion] | None = None,
) -> CaseWork:
    exam = attempt.quiz is not None and attempt.quiz.is_exam
    if questions is None:
        questions = load_questions(case, user=request.user, attempt=attempt)
    work = build_case_work(
        case=case,
        questions=questions,
        user=request.user,
        action_url=reverse(
            "quiz:attempt_case_answer", args=[attempt.quiz_id, attempt.pk, position]
        ),
        page_url=reverse("quiz:attempt_case", args=[attempt.quiz_id, attempt.pk, position]),
        exam=exam,
        exam_over=attempt.is_finished,
        committed=attempt.committed,
        choice_order=attempt.choice_order,
        withheld_message=_withheld_message(attempt),
    )
    if work.revealed:
        add_choice_shares(work)
    return work


def _steps(attempt: Attempt, items: list[QuizItem], position: int | None) -> list[dict[str, Any]]:
    """The navigator: each case unanswered, partly answered or answered, and flagged."""
    steps = []
    for n, item in enumerate(items, 1):
        done, total = item.done, item.asked
        state = "answered" if total and done >= total else ("partly" if done else "unanswered")
        steps.append(
            {
                "n": n,
                "state": state,
                "label": {"partly": "partly answered"}.get(state, state),
                "flagged": item.case_id in attempt.flagged,
                "current": n == position,
                "url": reverse("quiz:attempt_case", args=[attempt.quiz_id, attempt.pk, n]),
            }
        )
    return steps


def _attempt_context(
    request: HtmxHttpRequest,
    attempt: Attempt,
    items: list[QuizItem],
    case: Case,
    position: int,
    work: CaseWork,
) -> dict[str, Any]:
    context = case_page_context(request, case, work)
    remaining = attempt.time_left()

    def at(n: int) -> str:
        if not 1 <= n <= len(items):
            return ""
        return reverse("quiz:attempt_case", args=[attempt.quiz_id, attempt.pk, n])

    work.next_url = at(position + 1)
    context.update(
        {
            "attempt": attempt,
            "quiz": attempt.quiz,
            "position": position,
            "count": len(items),
            "steps": _steps(attempt, items, position),
            "flagged": case.pk in attempt.flagged,
            "prev_url": at(position - 1),
            "next_url": at(position + 1),
            "save_url": reverse(
                "quiz:attempt_case_save", args=[attempt.quiz_id, attempt.pk, position]
            ),
            "seconds_left": int(remaining.total_seconds()) if remaining is not None else None,
        }
    )
    return context


@require_GET
@login_required
def attempt_case(request: HtmxHttpRequest, pk: int, attempt_pk: int, position: int) -> HttpResponse:
    attempt = _get_attempt_for_user(request, pk, attempt_pk)
    if attempt.quiz.is_exam and not attempt.is_finished and attempt.is_past_deadline():
        services.attempt_finish(attempt=attempt)
        messages.info(request, "Time is up: the exam has been handed in with what was saved.")
        return redirect("quiz:attempt_results", pk, attempt.pk)
    items, case = _item_at(request, attempt, position)
    work = _attempt_case_work(request, attempt, case, position)
    context = _attempt_context(request, attempt, items, case, position, work)
    return render(request, "quiz/attempt_case.html", context)


def _flag_from_post(data: QueryDict) -> bool | None:
    # The form says it carries the flag box, so that an unticked box clears the flag.
    if "flag_shown" not in data:
        return None
    return data.get("flag") == "1"


def _exam_post(
    request: HtmxHttpRequest, attempt: Attempt, position: int, *, autosave: bool
) -> HttpResponse:
    """Save an exam case (autosave or the plain form), then go where the button said."""
    items, case = _item_at(request, attempt, position)
    answers = services.answers_from_post(request.POST)
    go = "stay" if autosave else request.POST.get("go", "stay")
    htmx = request.htmx
    try:
        saved = services.exam_save(
            attempt=attempt,
            case=case,
            answers=answers,
            flag=_flag_from_post(request.POST),
            commit=go == "commit",
        )
    except services.AnswerRefused as refused:
        closed = refused.code in {"deadline", "done"}
        if closed and not htmx:
            return _deadline_refusal(request, attempt, refused.message)
        if autosave and htmx:
            context = {
                "error": refused.message,
                "closed": closed,
                "attempt": attempt,
                "quiz": attempt.quiz,
            }
            return render(request, "quiz/includes/save_status.html", context, status=422)
        attempt.refresh_from_db()
        work = _attempt_case_work(request, attempt, case, position)
        work.keep_draft(answers, refused.message)
        context = _attempt_context(request, attempt, items, case, position, work)
        if htmx:
            return render(request, REVEAL_TEMPLATE, context, status=422)
        status = 400 if refused.code in _BAD_INPUT else 409
        return render(request, "quiz/attempt_case.html", context, status=status)
    stamp = f"{timezone.localtime():%H:%M:%S}"
    if htmx:
        attempt = saved.attempt
        if autosave:
            context = {
                "saved_at": stamp,
                "attempt": attempt,
                "quiz": attempt.quiz,
                "steps": _steps(attempt, _ordered_items(attempt), position),
                "oob": True,
            }
            return render(request, "quiz/includes/save_status.html", context)
        work = _attempt_case_work(request, attempt, case, position)
        work.saved_message = f"Saved at {stamp}."
        context = _attempt_context(request, attempt, items, case, position, work)
        return render(request, REVEAL_TEMPLATE, context)
    target = {"prev": position - 1, "next": position + 1}.get(go, position)
    if go == "finish":
        return redirect("quiz:attempt_finish", attempt.quiz_id, attempt.pk)
    if go in {"stay", "commit"}:
        messages.success(request, f"Saved at {stamp}.")
    target = min(max(target, 1), len(items))
    page = reverse("quiz:attempt_case", args=[attempt.quiz_id, attempt.pk, target])
    return redirect(f"{page}#case-work" if target == position else page)


@require_POST
@login_required
def attempt_case_save(
    request: HtmxHttpRequest, pk: int, attempt_pk: int, position: int
) -> HttpResponse:
    """Autosave of an exam case: a status fragment for htmx, else back to the case."""
    attempt = _get_attempt_for_user(request, pk, attempt_pk)
    if not attempt.quiz.is_exam:
        raise Http404("Only exams save drafts.")
    return _exam_post(request, attempt, position, autosave=True)


@require_POST
@login_required
def attempt_case_answer(
    request: HtmxHttpRequest, pk: int, attempt_pk: int, position: int
) -> HttpResponse:
    """Answer one case in a quiz: practice gets the reveal, an exam saves without one."""
    attempt = _get_attempt_for_user(request, pk, attempt_pk)
    if attempt.quiz.is_exam:
        return _exam_post(request, attempt, position, autosave=False)
    items, case = _item_at(request, attempt, position)
    page = reverse("quiz:attempt_case", args=[pk, attempt.pk, position])
    answers = services.answers_from_post(request.POST)
    try:
        answered = services.attempt_answer(attempt=attempt, case=case, answers=answers)
    except services.AnswerRefused as refused:
        work = _attempt_case_work(request, attempt, case, position)
        work.keep_draft(answers, refused.message)
        context = _attempt_context(request, attempt, items, case, position, work)
        if request.htmx:
            return render(request, REVEAL_TEMPLATE, context)
        status = 400 if refused.code in _BAD_INPUT else 409
        return render(request, "quiz/attempt_case.html", context, status=status)
    if request.htmx:
        work = _attempt_case_work(request, answered.attempt, case, position, answered.questions)
        context = _attempt_context(request, answered.attempt, items, case, position, work)
        return render(request, REVEAL_TEMPLATE, context)
    return redirect(f"{page}#case-work")


def _deadline_refusal(request: HtmxHttpRequest, attempt: Attempt, message: str) -> HttpResponse:
    """After the deadline nothing is stored: say so plainly, with HTTP 409."""
    services.attempt_close_if_expired(attempt=attempt)
    context = {"attempt": attempt, "quiz": attempt.quiz, "message": message}
    return render(request, "quiz/includes/deadline_passed.html", context, status=409)


@require_http_methods(["GET", "POST"])
@login_required
def attempt_finish(request: HtmxHttpRequest, pk: int, attempt_pk: int) -> HttpResponse:
    """Hand in: a confirmation page listing what is unanswered and flagged.

    Only a POST carrying the confirmation finishes the attempt; a GET, or a POST without
    it, shows the confirmation page and changes nothing.
    """
    attempt = _get_attempt_for_user(request, pk, attempt_pk)
    attempt = services.attempt_close_if_expired(attempt=attempt)
    if attempt.is_finished:
        return redirect("quiz:attempt_results", pk, attempt.pk)
    if request.method == "POST" and request.POST.get("confirm") == "hand-in":
        services.attempt_finish(attempt=attempt)
        messages.success(request, "Handed in.")
        return redirect("quiz:attempt_results", pk, attempt.pk)
    steps = _steps(attempt, _ordered_items(attempt), None)
    remaining = attempt.time_left()
    context = {
        "attempt": attempt,
        "quiz": attempt.quiz,
        "steps": steps,
        "unanswered": [s for s in steps if s["state"] != "answered"],
        "flagged_steps": [s for s in steps if s["flagged"]],
        "seconds_left": int(remaining.total_seconds()) if remaining is not None else None,
        "unconfirmed": request.method == "POST",
    }
    return render(request, "quiz/attempt_finish.html", context)


@require_GET
@login_required
def attempt_results(request: HtmxHttpRequest, pk: int, attempt_pk: int) -> HttpResponse:
    attempt = _get_attempt_for_user(request, pk, attempt_pk)
    attempt = services.attempt_close_if_expired(attempt=attempt)
    if not attempt.is_finished:
        messages.info(request, "Results appear once you finish the quiz.")
        return redirect("quiz:attempt_case", pk, attempt.pk, 1)
    by_case = {item.case_id: item for item in attempt.quiz.items.select_related("case")}
    items = [by_case[case_id] for case_id in attempt.ordered(list(by_case))]
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
    context = {
        "attempt": attempt,
        "quiz": attempt.quiz,
        "rows": rows,
        "withheld_message": _withheld_message(attempt),
    }
    return render(request, "quiz/attempt_results.html", context)


@require_GET
@login_required
def progress_page(request: HtmxHttpRequest) -> HttpResponse:
    """A resident's own progress; nobody else's, and only residents have one."""
    if not roles.is_resident(request.user):
        raise PermissionDenied("Progress is a resident's own page.")
    data = progress.resident_progress(request.user)
    context = {"progress": data, "review_due": data.due_reviews}  # the menu reads it too
    return render(request, "quiz/progress.html", context)


# ---------------------------------------------------------------- review


def _get_card_for_user(request: HtmxHttpRequest, pk: int) -> ReviewCard:
    return get_object_or_404(
        ReviewCard.objects.select_related("question__case"), pk=pk, user=request.user
    )


@require_GET
@login_required
def review_queue(request: HtmxHttpRequest) -> HttpResponse:
    now = timezone.now()
    due = ReviewCard.objects.filter(user=request.user, due__lte=now)
    card = due.select_related("question__case").order_by("due", "id").first()
    due_count = due.count()
    # The menu's "Review (N due)" reads the same count instead of asking again.
    context: dict[str, Any] = {"due_count": due_count, "review_due": due_count, "card": card}
    if card is not None:
        question = card.question
        # The unknown view of the case, as the library shows it: figures and lab values.
        case = case_queryset(
            request.user, cases=Case.objects.filter(pk=question.case_id), library=False
        ).get()
        context["case"] = case
        context["figures"] = unknown_figures(case)
        context["lab_values"] = unknown_lab_values(case)
        context["choices"] = list(question.choices.all())
    upcoming = ReviewCard.objects.filter(user=request.user, due__gt=now).order_by("due").first()
    context["next_due"] = upcoming.due if upcoming else None
    context["soon"] = upcoming is not None and upcoming.due - now < timedelta(hours=1)
    return render(request, "quiz/review.html", context)


@require_POST
@login_required
def review_answer(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    card = _get_card_for_user(request, pk)
    question = card.question
    answer = services.answers_from_post(request.POST).get(question.pk)
    if answer is None or services.answer_is_blank(question, answer):
        messages.error(request, "Give an answer before submitting.")
        return redirect("quiz:review_queue")
    try:
        response = services.review_answer(card=card, answer=answer)
    except services.AnswerRefused as refused:
        # A malformed image-region answer (issue 16): nothing stored, the card stays due.
        messages.error(request, refused.message)
        return redirect("quiz:review_queue")
    return redirect("quiz:review_feedback", response.pk)


@require_GET
@login_required
def review_feedback(request: HtmxHttpRequest, pk: int) -> HttpResponse:
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
        "due_count": progress.due_review_count(request.user),
        "card": ReviewCard.objects.filter(user=request.user, question=question).first(),
    }
    context["review_due"] = context["due_count"]
    return render(request, "quiz/review_feedback.html", context)
