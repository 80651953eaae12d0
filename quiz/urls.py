from __future__ import annotations

from django.urls import path

from quiz import builder_views, flag_views, views

app_name = "quiz"

urlpatterns = [
    path("cases/<str:public_id>/answer/", views.case_answer, name="case_answer"),
    path("cases/<str:public_id>/retry/", views.case_retry, name="case_retry"),
    path("cases/<str:public_id>/comments/", views.comment_add, name="comment_add"),
    path(
        "cases/<str:public_id>/statistics-flag/dismiss/",
        flag_views.flag_dismiss,
        name="flag_dismiss",
    ),
    path("responses/<int:pk>/self-assess/", views.response_self_assess, name="self_assess"),
    path("quizzes/", views.quiz_list, name="quiz_list"),
    path("quizzes/<int:pk>/", views.quiz_detail, name="quiz_detail"),
    # --- quiz builder (issue 18) ---
    path("quizzes/new/", builder_views.quiz_new, name="quiz_new"),
    path("quizzes/<int:pk>/edit/", builder_views.quiz_edit, name="quiz_edit"),
    path("quizzes/<int:pk>/copy/", builder_views.quiz_copy, name="quiz_copy"),
    path(
        "quizzes/<int:pk>/edit/items/<int:item_pk>/move/",
        builder_views.quiz_item_move,
        name="quiz_item_move",
    ),
    path(
        "quizzes/<int:pk>/edit/items/<int:item_pk>/remove/",
        builder_views.quiz_item_remove,
        name="quiz_item_remove",
    ),
    # --- end quiz builder ---
    path("quizzes/<int:pk>/start/", views.quiz_start, name="quiz_start"),
    path(
        "quizzes/<int:pk>/attempts/<int:attempt_pk>/",
        views.attempt_results,
        name="attempt_results",
    ),
    path(
        "quizzes/<int:pk>/attempts/<int:attempt_pk>/finish/",
        views.attempt_finish,
        name="attempt_finish",
    ),
    path(
        "quizzes/<int:pk>/attempts/<int:attempt_pk>/cases/<int:position>/",
        views.attempt_case,
        name="attempt_case",
    ),
    path(
        "quizzes/<int:pk>/attempts/<int:attempt_pk>/cases/<int:position>/answer/",
        views.attempt_case_answer,
        name="attempt_case_answer",
    ),
    path(
        "quizzes/<int:pk>/attempts/<int:attempt_pk>/cases/<int:position>/save/",
        views.attempt_case_save,
        name="attempt_case_save",
    ),
    path("progress/", views.progress_page, name="progress"),
    path("review/", views.review_queue, name="review_queue"),
    path("review/<int:pk>/answer/", views.review_answer, name="review_answer"),
    path("review/responses/<int:pk>/", views.review_feedback, name="review_feedback"),
]
