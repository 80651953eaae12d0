from __future__ import annotations

from django.urls import path

from teachingfile import review_views

app_name = "review"

urlpatterns = [
    path("review-queue/", review_views.review_queue, name="review_queue"),
    path("cases/<str:public_id>/review/", review_views.case_review, name="case_review"),
    path("cases/<str:public_id>/review/status/", review_views.case_status, name="case_status"),
    path("cases/<str:public_id>/review/rating/", review_views.case_rating, name="case_rating"),
    path(
        "comments/<int:pk>/visibility/",
        review_views.comment_visibility,
        name="comment_visibility",
    ),
]
