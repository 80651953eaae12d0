from __future__ import annotations

from django.urls import path

from live import views

app_name = "live"

urlpatterns = [
    path("", views.index, name="index"),
    path("start/", views.session_start, name="session_start"),
    path("join/", views.join, name="join"),
    path("<str:code>/", views.participant, name="participant"),
    path("<str:code>/stage/", views.participant_stage, name="participant_stage"),
    path("<str:code>/answer/", views.answer, name="answer"),
    path("<str:code>/present/", views.present, name="present"),
    path("<str:code>/present/stage/", views.present_stage, name="present_stage"),
    path("<str:code>/present/counts/", views.present_counts, name="present_counts"),
    path("<str:code>/present/control/", views.control, name="control"),
    path("<str:code>/results/", views.results, name="results"),
]
