from __future__ import annotations

from django.urls import path

from quiz import report_views

app_name = "reports"

urlpatterns = [
    path("", report_views.reports_home, name="reports_home"),
    path("cohort.csv", report_views.cohort_csv, name="cohort_csv"),
    path("residents/<int:resident_id>/", report_views.resident_detail, name="resident_detail"),
    path("residents/<int:resident_id>/export.csv", report_views.resident_csv, name="resident_csv"),
    path("items/", report_views.item_analysis, name="item_analysis"),
    path("items/export.csv", report_views.item_csv, name="item_csv"),
    path("grading/", report_views.grading_queue, name="grading_queue"),
    path("grading/<int:pk>/", report_views.grade_response, name="grade_response"),
]
