"""Quiz pages. The quiz flow itself lands with the quiz issue."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from quiz.models import Quiz
from teachingfile import roles


@require_GET
@login_required
def quiz_list(request: HttpRequest) -> HttpResponse:
    quizzes = Quiz.objects.available_to(request.user).order_by("title")
    return render(request, "quiz/quiz_list.html", {"quizzes": quizzes})


def _get_quiz_for_user(request: HttpRequest, pk: int) -> Quiz:
    if roles.is_faculty(request.user):
        return get_object_or_404(Quiz, pk=pk)
    return get_object_or_404(Quiz.objects.available_to(request.user), pk=pk)


@require_GET
@login_required
def quiz_detail(request: HttpRequest, pk: int) -> HttpResponse:
    quiz = _get_quiz_for_user(request, pk)
    items = quiz.items.select_related("case")
    return render(request, "quiz/quiz_detail.html", {"quiz": quiz, "items": items})
