"""Peer review: faculty read, rate and publish colleagues' cases (not residents' practice)."""

from __future__ import annotations

from django.urls import path

from quiz import peer_review_views as views
from teachingfile.moved import moved_to

app_name = "peer_review"

urlpatterns = [
    path("peer-review/", views.review_queue, name="review_queue"),
    path("cases/<str:public_id>/peer-review/", views.case_review, name="case_review"),
    path("cases/<str:public_id>/peer-review/status/", views.case_status, name="case_status"),
    path("cases/<str:public_id>/peer-review/rating/", views.case_rating, name="case_rating"),
    path("comments/<int:pk>/visibility/", views.comment_visibility, name="comment_visibility"),
    # Old addresses (before issue 14 named the two reviews apart).
    path("review-queue/", moved_to("peer_review:review_queue")),
    path("cases/<str:public_id>/review/", moved_to("peer_review:case_review")),
    path("cases/<str:public_id>/review/status/", moved_to("peer_review:case_status")),
    path("cases/<str:public_id>/review/rating/", moved_to("peer_review:case_rating")),
]
