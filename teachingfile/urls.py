from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path

from quiz import library_views
from teachingfile import views

library_patterns = [
    path("", library_views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("cases/", library_views.case_list, name="case_list"),
    path("cases/<str:public_id>/", library_views.case_detail, name="case_detail"),
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include((library_patterns, "teachingfile"))),
    path("", include("quiz.urls")),
    path("reports/", include("quiz.report_urls")),
    path("grading/", include("quiz.grading_urls")),
    path("cohorts/", include("quiz.cohort_urls")),
    path("collections/", include("quiz.collection_urls")),  # issue 18
    path("", include("quiz.peer_review_urls")),
    path("search/", include("teachingfile.search.urls")),
    path("live/", include("live.urls")),
    # --- drawing (issue 16): the annotation and target-region editor
    path("authoring/", include("teachingfile.drawing_urls")),
    # --- end drawing
    # Django's account views, password pages rate-limited (people/account_urls.py).
    path("accounts/", include("people.account_urls")),
    path("people/", include("people.urls")),
    path("oidc/", include("people.oidc_urls")),
    path("admin/", admin.site.urls),
]

if settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):
    # Local media with immutable caching; S3 installs serve media from the bucket.
    urlpatterns.append(re_path(r"^media/(?P<path>.+)$", views.media_file, name="media_file"))

if settings.BENCH_BASELINE:
    urlpatterns.append(path("bench/", include("teachingfile.bench_urls")))
