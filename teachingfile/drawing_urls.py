from __future__ import annotations

from django.urls import path

from teachingfile import drawing_views

app_name = "drawing"

urlpatterns = [
    path("figures/<int:pk>/draw/", drawing_views.figure_draw, name="figure_draw"),
    path("questions/<int:pk>/regions/", drawing_views.question_regions, name="question_regions"),
]
