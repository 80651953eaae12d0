from __future__ import annotations

from django.urls import path

from quiz import report_views
from teachingfile.moved import moved_to

app_name = "reports"

urlpatterns = [
    path("", report_views.reports_home, name="reports_home"),
    path("cohort.csv", report_views.cohort_csv, name="cohort_csv"),
    path("residents/<int:resident_id>/", report_views.resident_detail, name="resident_detail"),
    path("residents/<int:resident_id>/export.csv", report_views.resident_csv, name="resident_csv"),
    path("items/", report_views.item_analysis, name="item_analysis"),
    path("items/export.csv", report_views.item_csv, name="item_csv"),
]

# Grading and cohort management write, so they left the reports namespace (issue 14). Their
# old addresses redirect; unnamed, so nothing links to them any more.
urlpatterns += [
    path("grading/", moved_to("grading:grading_queue")),
    path("grading/<int:pk>/", moved_to("grading:grade_response")),
    path("cohorts/", moved_to("cohorts:cohort_list")),
    path("cohorts/<int:cohort_id>/", moved_to("cohorts:cohort_detail")),
    path("cohorts/<int:cohort_id>/members/", moved_to("cohorts:member_add")),
    path(
        "cohorts/<int:cohort_id>/members/<int:membership_id>/remove/",
        moved_to("cohorts:member_remove"),
    ),
    path("cohorts/<int:cohort_id>/assignments/", moved_to("cohorts:assignment_add")),
    path(
        "cohorts/<int:cohort_id>/assignments/<int:assignment_id>/remove/",
        moved_to("cohorts:assignment_remove"),
    ),
]
