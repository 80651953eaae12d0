from __future__ import annotations

from django.urls import path

from quiz import views

app_name = "quiz"

urlpatterns = [
    path("quizzes/", views.quiz_list, name="quiz_list"),
    path("quizzes/<int:pk>/", views.quiz_detail, name="quiz_detail"),
]
