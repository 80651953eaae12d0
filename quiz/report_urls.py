from __future__ import annotations

from django.urls import path

from quiz import report_views

app_name = "reports"

urlpatterns = [
    path("", report_views.reports_home, name="reports_home"),
]
