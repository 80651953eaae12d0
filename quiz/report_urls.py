from __future__ import annotations

from django.urls import path

from quiz import cohort_views, report_views

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
    path("cohorts/", cohort_views.cohort_list, name="cohort_list"),
    path("cohorts/<int:cohort_id>/", cohort_views.cohort_detail, name="cohort_detail"),
    path("cohorts/<int:cohort_id>/members/", cohort_views.member_add, name="member_add"),
    path(
        "cohorts/<int:cohort_id>/members/<int:membership_id>/remove/",
        cohort_views.member_remove,
        name="member_remove",
    ),
    path(
        "cohorts/<int:cohort_id>/assignments/",
        cohort_views.assignment_add,
        name="assignment_add",
    ),
    path(
        "cohorts/<int:cohort_id>/assignments/<int:assignment_id>/remove/",
        cohort_views.assignment_remove,
        name="assignment_remove",
    ),
]
