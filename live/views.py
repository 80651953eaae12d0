"""The live conference screens: start, join, the participant's phone, the big screen, results.

Polls are conditional: each fragment carries the ETag of the state it shows and sends it
back as If-None-Match; while the session's version (and, for the presenter, the counts)
is unchanged the answer is a bodiless 304 that htmx leaves alone (static/js/live.js).
"""

from __future__ import annotations

import re
from typing import Any

import segno
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Avg, Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from live import services, stage, state
from live.models import CODE_ALPHABET, CODE_LENGTH, LiveSession, Participant, normalise_code
from quiz.models import Program, Quiz, Response
from quiz.reports import charts
from quiz.services import Answer, answers_from_post
from teachingfile import roles
from teachingfile.models import Case

PARTICIPANT_STAGE = "live/includes/participant_stage.html"
PRESENTER_STAGE = "live/includes/present_stage.html"
PRESENTER_COUNTS = "live/includes/present_counts.html"


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _conditional(request: HttpRequest, etag: str) -> HttpResponse | None:
    """A 304 when the client already shows this state."""
    sent = request.headers.get("If-None-Match", "")
    if etag in {tag.strip().removeprefix("W/") for tag in sent.split(",")}:
        response = HttpResponseNotModified()
        response["ETag"] = etag
        return response
    return None


def _fresh(response: HttpResponse, etag: str) -> HttpResponse:
    response["ETag"] = etag
    # Always asked again: the page must never show an old state from the browser's cache.
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ["HX-Request"])
    return response


# ---------------------------------------------------------------- access


def _get_state(code: str) -> state.State:
    code = normalise_code(code)
    if not (len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)):
        raise Http404  # never a cache key or a query for something that cannot be a code
    found = state.load(code)
    if found is None:
        raise Http404
    return found


def _get_attempt_for_user(request: HttpRequest, code: str) -> tuple[state.State, int]:
    """The session and this user's conference attempt in it; 404 unless they joined."""
    current = _get_state(code)
    attempt_id = state.attempt_of(current, request.user)
    if attempt_id is None:
        raise Http404
    return current, attempt_id


def _get_session_for_presenter(request: HttpRequest, code: str) -> LiveSession:
    """The session if this user presents it; anyone else gets a 404, never a peek."""
    session = get_object_or_404(LiveSession, code=normalise_code(code))
    if session.presenter_id != request.user.pk and not request.user.is_superuser:
        raise Http404
    return session


def _get_session_for_results(request: HttpRequest, code: str) -> LiveSession:
    return get_object_or_404(
        LiveSession.objects.results_visible_to(request.user).select_related("program", "quiz"),
        code=normalise_code(code),
    )


# ---------------------------------------------------------------- index and start


def _index_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    faculty = roles.is_faculty(request.user)
    sessions = (
        LiveSession.objects.results_visible_to(request.user)
        .select_related("program", "presenter")
        .annotate(
            attendance=Count("participants", distinct=True),
            mean_score=Avg(
                "participants__attempt__responses__score",
                filter=Q(participants__attempt__responses__score__isnull=False),
            ),
        )[:50]
    )
    context: dict[str, Any] = {
        "sessions": sessions,
        "may_present": faculty,
        "form": {"title": "", "quiz": "", "cases": "", "program": ""},
    }
    if faculty:
        context["quizzes"] = Quiz.objects.only("id", "title").order_by("title")
        context["programs"] = Program.objects.only("id", "name").order_by("name")
        context["library"] = Case.objects.published().only("public_id", "unknown_title")
    context.update(extra)
    return context


@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Faculty start sessions here; faculty and directors find past sessions' results."""
    if not (roles.is_faculty(request.user) or roles.is_director(request.user)):
        return redirect("live:join")
    return render(request, "live/index.html", _index_context(request))


def _cases_for_start(data: Any) -> tuple[list[Case], Quiz | None]:
    quiz_id = str(data.get("quiz") or "")
    if quiz_id.isdigit():
        quiz = Quiz.objects.filter(pk=int(quiz_id)).first()
        if quiz is None:
            raise ValidationError("That quiz does not exist.")
        cases = [item.case for item in quiz.items.select_related("case")]
        return [c for c in cases if c.status == Case.Status.PUBLISHED], quiz
    wanted = [p for p in re.split(r"[\s,;]+", str(data.get("cases") or "")) if p]
    wanted += [str(v) for v in data.getlist("case")] if hasattr(data, "getlist") else []
    if not wanted:
        raise ValidationError("Choose a quiz or list some cases.")
    found = {c.public_id: c for c in Case.objects.published().filter(public_id__in=wanted)}
    unknown = [p for p in wanted if p not in found]
    if unknown:
        raise ValidationError(f"No published case with id {', '.join(unknown[:5])}.")
    return list(dict.fromkeys(found[p] for p in wanted)), None


@require_POST
@login_required
def session_start(request: HttpRequest) -> HttpResponse:
    if not roles.is_faculty(request.user):
        raise PermissionDenied("Only faculty present a live session.")
    program_id = str(request.POST.get("program") or "")
    program = Program.objects.filter(pk=int(program_id)).first() if program_id.isdigit() else None
    try:
        cases, quiz = _cases_for_start(request.POST)
        session = services.session_start(
            presenter=request.user,
            title=str(request.POST.get("title", ""))[:200],
            cases=cases,
            quiz=quiz,
            program=program,
        )
    except ValidationError as error:
        form = {k: str(request.POST.get(k, "")) for k in ("title", "quiz", "cases", "program")}
        context = _index_context(request, error=" ".join(error.messages), form=form)
        template = "live/index.html#start-form" if _is_htmx(request) else "live/index.html"
        return render(request, template, context, status=422)
    url = reverse("live:present", args=[session.code])
    return HttpResponseClientRedirect(url) if _is_htmx(request) else redirect(url)


# ---------------------------------------------------------------- participants


@require_http_methods(["GET", "POST"])
@login_required
def join(request: HttpRequest) -> HttpResponse:
    """Join with the code from the screen (the QR code fills it in)."""
    source = request.POST if request.method == "POST" else request.GET
    code = normalise_code(str(source.get("code", "")))
    context: dict[str, Any] = {"code": code}
    if request.method == "POST":
        try:
            services.participant_join(code=code, user=request.user)
        except services.LiveRefused as refused:
            context["error"] = refused.message
            template = "live/includes/join_form.html" if _is_htmx(request) else "live/join.html"
            return render(request, template, context, status=refused.status)
        url = reverse("live:participant", args=[code])
        return HttpResponseClientRedirect(url) if _is_htmx(request) else redirect(url)
    return render(request, "live/join.html", context)


def _participant_page(
    request: HttpRequest,
    current: state.State,
    attempt_id: int,
    *,
    status: int = 200,
    error: str = "",
    draft: Answer | None = None,
    answered: services.Stored | None = None,
) -> HttpResponse:
    page_url = reverse("live:participant", args=[current.code])
    shown = stage.participant_stage(
        current, user=request.user, attempt_id=attempt_id, page_url=page_url, answered=answered
    )
    shown.error = error
    if draft is not None and shown.question is not None:
        # Refused: put back what was typed or picked, so nothing is lost.
        shown.question.draft_text = draft.text
        for line in shown.question.choices:
            line.picked = line.choice.pk in draft.choice_ids
    template = PARTICIPANT_STAGE if _is_htmx(request) else "live/participant.html"
    context = {
        "stage": shown,
        "code": current.code,
        "poll_ms": state.PARTICIPANT_POLL_MS,
        "poll_token": poll_token(current, request.user),
    }
    return _fresh(render(request, template, context, status=status), shown.etag)


@require_GET
@login_required
def participant(request: HttpRequest, code: str) -> HttpResponse:
    current = _get_state(code)
    attempt_id = state.attempt_of(current, request.user)
    if attempt_id is None:
        if current.presenter_id == request.user.pk:
            return redirect("live:present", current.code)
        return redirect(f"{reverse('live:join')}?code={current.code}")
    return _participant_page(request, current, attempt_id)


# Polls carry a token signed for (session, user) that the page got when it was rendered
# for its logged-in participant. With it, "nothing changed" is answered from the cache
# alone, without reading the login session and the user: that is most polls (docs/live.md).
_POLL_SIGNER = signing.Signer(salt="live.poll")


def poll_token(current: state.State, user: Any) -> str:
    return _POLL_SIGNER.sign(f"{current.pk}.{user.pk}")


def _poll_token_matches(token: str, current: state.State) -> bool:
    try:
        session_pk, _user = _POLL_SIGNER.unsign(token).split(".", 1)
    except (signing.BadSignature, ValueError):
        return False
    return session_pk == str(current.pk)


@require_GET
def participant_stage(request: HttpRequest, code: str) -> HttpResponse:
    """The phone's poll: 304 while the session is where the page shows it."""
    current = _get_state(code)
    if _poll_token_matches(str(request.GET.get("t", "")), current):
        not_modified = _conditional(request, stage.etag_for_participant(current))
        if not_modified is not None:
            return not_modified
    return _participant_stage_page(request, code)


@login_required
def _participant_stage_page(request: HttpRequest, code: str) -> HttpResponse:
    current, attempt_id = _get_attempt_for_user(request, code)
    not_modified = _conditional(request, stage.etag_for_participant(current))
    if not_modified is not None:
        return not_modified
    return _participant_page(request, current, attempt_id)


@require_POST
@login_required
def answer(request: HttpRequest, code: str) -> HttpResponse:
    """Store or change the answer to the open question: 409 once closed, 422 when blank."""
    current, attempt_id = _get_attempt_for_user(request, code)
    raw = str(request.POST.get("question", ""))
    question_id = int(raw) if raw.isdigit() and len(raw) < 12 else 0
    given = answers_from_post(request.POST).get(question_id, Answer())
    try:
        stored = services.live_answer(
            session_pk=current.pk,
            attempt_id=attempt_id,
            question_id=question_id,
            answer=given,
        )
    except services.LiveRefused as refused:
        current = _get_state(code)
        return _participant_page(
            request, current, attempt_id, status=refused.status, error=refused.message, draft=given
        )
    if _is_htmx(request):
        return _participant_page(request, current, attempt_id, answered=stored)
    return redirect("live:participant", current.code)


# ---------------------------------------------------------------- the presenter


def _join_url(request: HttpRequest, code: str) -> str:
    return request.build_absolute_uri(f"{reverse('live:join')}?code={code}")


def _qr_svg(url: str) -> str:
    # segno writes plain SVG markup (no script, no style attribute): safe under the CSP.
    return segno.make(url, error="m").svg_inline(scale=8, dark="#000", light="#fff", border=2)


def _present_page(
    request: HttpRequest,
    session: LiveSession,
    *,
    shown_case_id: int | None = None,
    counts: tuple[int, int] | None = None,
    status: int = 200,
    error: str = "",
    counts_url: bool = False,
) -> HttpResponse:
    current = state.State.of(session)
    shown = stage.presenter_stage(
        current, session, user=request.user, shown_case_id=shown_case_id, counts=counts
    )
    join_url = _join_url(request, session.code)
    context = {
        "stage": shown,
        "session": session,
        "join_url": join_url,
        "error": error,
        "poll_ms": state.PRESENTER_POLL_MS,
    }
    if _is_htmx(request):
        template = PRESENTER_STAGE
    else:
        template = "live/present.html"
        context["qr_svg"] = _qr_svg(join_url)
    etag = shown.counts_etag if counts_url else shown.etag
    return _fresh(render(request, template, context, status=status), etag)


@require_GET
@login_required
def present(request: HttpRequest, code: str) -> HttpResponse:
    """The big screen: join code and QR, then each case, question, spread and reveal."""
    session = _get_session_for_presenter(request, code)
    return _present_page(request, session)


@require_GET
@login_required
def present_stage(request: HttpRequest, code: str) -> HttpResponse:
    """The big screen's poll for the step: 304 until the presenter (on any screen) moves."""
    session = _get_session_for_presenter(request, code)
    current = state.State.of(session)
    not_modified = _conditional(request, stage.etag_for_presenter(current))
    if not_modified is not None:
        return not_modified
    raw = str(request.GET.get("case", ""))
    shown_case = int(raw) if raw.isdigit() and len(raw) < 12 else None
    return _present_page(request, session, shown_case_id=shown_case)


@require_GET
@login_required
def present_counts(request: HttpRequest, code: str) -> HttpResponse:
    """The big screen's answer and join counts: two counts, polled apart from the case."""
    session = _get_session_for_presenter(request, code)
    current = state.State.of(session)
    shown = stage.PresenterStage(state=current, session=session)
    shown.answers, shown.joined = stage.answer_count(current), stage.joined_count(current)
    not_modified = _conditional(request, shown.counts_etag)
    if not_modified is not None:
        return not_modified
    if not _is_htmx(request):
        counts = (shown.answers, shown.joined)
        return _present_page(request, session, counts=counts, counts_url=True)
    context = {"stage": shown, "session": session, "poll_ms": state.PRESENTER_POLL_MS}
    return _fresh(render(request, PRESENTER_COUNTS, context), shown.counts_etag)


@require_POST
@login_required
def control(request: HttpRequest, code: str) -> HttpResponse:
    """Next step (space), previous question, end: the presenter's clicker."""
    session = _get_session_for_presenter(request, code)
    raw = str(request.POST.get("case", ""))
    shown_case = int(raw) if raw.isdigit() and len(raw) < 12 else None
    try:
        session = services.session_step(
            session=session, action=str(request.POST.get("action", "")), by=request.user
        )
    except services.LiveRefused as refused:
        if not _is_htmx(request) and refused.status == 409:
            return _present_page(request, session, status=409, error=refused.message)
        return _present_page(
            request, session, shown_case_id=shown_case, status=refused.status, error=refused.message
        )
    if _is_htmx(request):
        return _present_page(request, session, shown_case_id=shown_case)
    return redirect("live:present", session.code)


# ---------------------------------------------------------------- results


@require_GET
@login_required
def results(request: HttpRequest, code: str) -> HttpResponse:
    """Attendance and scores: the presenter and the directors of the session's program."""
    session = _get_session_for_results(request, code)
    participants = (
        Participant.objects.filter(session=session)
        .select_related("user", "attempt")
        .annotate(
            answered=Count("attempt__responses"),
            right=Count("attempt__responses", filter=Q(attempt__responses__score=1)),
            mean=Avg("attempt__responses__score"),
        )
        .order_by("user__last_name", "user__first_name", "user__username")
    )
    per_question = {
        row["question_id"]: row
        for row in Response.objects.filter(attempt__live_participant__session=session)
        .values("question_id")
        .annotate(n=Count("id"), facility=Avg("score"))
    }
    plan = [
        {"number": n, "question_id": q, "stats": per_question.get(q)}
        for n, (q, _case) in enumerate(session.plan, 1)
    ]
    context = {
        "session": session,
        "participants": participants,
        "plan": plan,
        "chart": charts.bar_chart(
            [
                {"label": f"Q{row['number']}", "facility": (row["stats"] or {}).get("facility")}
                for row in plan
            ],
            "facility",
            1.0,
        ),
    }
    return render(request, "live/results.html", context)
