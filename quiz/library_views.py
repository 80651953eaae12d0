"""The library pages: home, the case list and the case page (unknown first, then the reveal).

They live in quiz because what they show depends on the learner's attempts and the reveal
rule; the URL names stay in the `teachingfile` namespace (teachingfile/urls.py).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from quiz.dashboard import home_context
from quiz.progress import with_my_score
from quiz.reading import case_queryset
from quiz.views import case_page_context, library_case_work
from teachingfile import roles
from teachingfile.http import HtmxHttpRequest
from teachingfile.models import Case, Category, CurriculumDomain, Modality, Region

PAGE_SIZE = 24


@require_GET
@login_required
def home(request: HtmxHttpRequest) -> HttpResponse:
    return render(request, "teachingfile/home.html", home_context(request.user))


@require_GET
@login_required
def case_list(request: HtmxHttpRequest) -> HttpResponse:
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
        # issue #12: cards mark answered cases
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
    if request.htmx:
        template += "#case-results"
    return render(request, template, context)


@require_GET
@login_required
def case_detail(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    """The unknown case; the reveal only once this learner has earned it (see quiz.rules)."""
    # Only cases this user may open (residents: published ones, else 404), with every row
    # the page and the reveal may show.
    case = get_object_or_404(case_queryset(request.user), public_id=public_id)
    work = library_case_work(request, case)
    context = case_page_context(request, case, work)
    return render(request, "teachingfile/case_detail.html", context)
