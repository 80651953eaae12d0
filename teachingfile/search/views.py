"""The search page: words and library filters, ranked results without spoilers."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from teachingfile.http import HtmxHttpRequest
from teachingfile.models import Case, Category, Modality, Region
from teachingfile.search.query import SearchFilters, search_cases

PAGE_SIZE = 20


@require_GET
@login_required
def search(request: HtmxHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    filters = SearchFilters.from_params(request.GET)
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    results = search_cases(
        query=query,
        user=request.user,
        filters=filters,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    context = {
        "query": query,
        "filters": filters,
        "results": results,
        "page": page,
        "modalities": Modality.choices,
        "regions": Region.choices,
        "categories": Category.choices,
        "statuses": Case.Status.choices,
        "difficulties": [(str(n), str(n)) for n in range(1, 6)],
    }
    template = "teachingfile/search/search.html"
    if request.htmx:
        template += "#search-results"
    return render(request, template, context)
