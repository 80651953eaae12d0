from __future__ import annotations

from django.urls import path

from quiz import grading_views

app_name = "grading"

urlpatterns = [
    path("", grading_views.grading_queue, name="grading_queue"),
    path("<int:pk>/", grading_views.grade_response, name="grade_response"),
]
