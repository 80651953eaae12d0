from __future__ import annotations

from django.urls import path

from quiz import cohort_views

app_name = "cohorts"

urlpatterns = [
    path("", cohort_views.cohort_list, name="cohort_list"),
    path("<int:cohort_id>/", cohort_views.cohort_detail, name="cohort_detail"),
    path("<int:cohort_id>/members/", cohort_views.member_add, name="member_add"),
    path(
        "<int:cohort_id>/members/<int:membership_id>/remove/",
        cohort_views.member_remove,
        name="member_remove",
    ),
    path("<int:cohort_id>/assignments/", cohort_views.assignment_add, name="assignment_add"),
    path(
        "<int:cohort_id>/assignments/<int:assignment_id>/remove/",
        cohort_views.assignment_remove,
        name="assignment_remove",
    ),
]
