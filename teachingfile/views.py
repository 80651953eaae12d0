"""Library pages: home, the case list, the unknown case, health and media."""

from __future__ import annotations

import posixpath

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from teachingfile import roles
from teachingfile.models import Case, Category, CurriculumDomain, Modality, Region

PAGE_SIZE = 24
# Only display formats are served; de-identified DICOM sources stay private.
_MEDIA_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".tfv": "application/octet-stream",  # viewer source (teachingfile/imaging/viewer_source.py)
}


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    from quiz.dashboard import home_context

    return render(request, "teachingfile/home.html", home_context(request.user))


@require_GET
@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    cases = Case.objects.visible_to(request.user).for_listing()
    filters = {
        "modality": request.GET.get("modality", ""),
        "region": request.GET.get("region", ""),
        "category": request.GET.get("category", ""),
        "status": request.GET.get("status", ""),
        "domain": request.GET.get("domain", ""),
    }
    if filters["modality"] in Modality.values:
        cases = cases.with_modality(filters["modality"])
    if filters["region"] in Region.values:
        cases = cases.filter(region=filters["region"])
    if filters["category"] in Category.values:
        cases = cases.filter(category=filters["category"])
    domains = [(d.code, d.name) for d in CurriculumDomain.objects.filter(is_active=True)]
    if filters["domain"] in {code for code, _ in domains}:
        cases = cases.filter(domains__code=filters["domain"])
    if filters["status"] in Case.Status.values and roles.is_faculty(request.user):
        cases = cases.filter(status=filters["status"])
    if request.user.is_authenticated:
        from quiz.progress import with_my_score  # issue #12: cards mark answered cases

        cases = with_my_score(cases, request.user)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "modalities": Modality.choices,
        "regions": Region.choices,
        "categories": Category.choices,
        "domains": domains,
        "statuses": Case.Status.choices,
    }
    template = "teachingfile/case_list.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#case-results"
    return render(request, template, context)


@require_GET
@login_required
def case_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    """The unknown case; the reveal only once this learner has earned it (see quiz.reading)."""
    from quiz.reading import case_queryset
    from quiz.views import case_page_context, library_case_work

    # Only cases this user may open (residents: published ones, else 404), with every row
    # the page and the reveal may show.
    case = get_object_or_404(case_queryset(request.user), public_id=public_id)
    work = library_case_work(request, case)
    context = case_page_context(request, case, work)
    return render(request, "teachingfile/case_detail.html", context)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@require_GET
def media_file(request: HttpRequest, path: str) -> FileResponse:
    """Serve an uploaded image with immutable caching; anything else is a 404."""
    normalised = posixpath.normpath(path)
    ext = posixpath.splitext(normalised)[1].lower()
    if normalised.startswith(("..", "/")) or ext not in _MEDIA_TYPES:
        raise Http404
    if not default_storage.exists(normalised):
        raise Http404
    response = FileResponse(default_storage.open(normalised, "rb"), content_type=_MEDIA_TYPES[ext])
    # Names are unguessable and never reused, so a browser may keep them for a year.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response
