"""Keeping the search index in step with the case library."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from teachingfile.models import Case
from teachingfile.search.index_documents import PREFETCH, build_documents
from teachingfile.search.models import SearchEntry

Scope = SearchEntry.Scope


def _entries_for(case: Case) -> list[SearchEntry]:
    docs = build_documents(case)
    return [
        SearchEntry(case=case, scope=Scope.PUBLIC, title=docs.public_title, body=docs.public_body),
        SearchEntry(case=case, scope=Scope.FULL, title=docs.full_title, body=docs.full_body),
    ]


@transaction.atomic
def index_case(case: Case) -> None:
    """(Re)write both documents of one case; call after any save that changes its text."""
    fresh = Case.objects.prefetch_related(*PREFETCH).get(pk=case.pk)
    SearchEntry.objects.filter(case=fresh).delete()
    SearchEntry.objects.bulk_create(_entries_for(fresh))


@transaction.atomic
def index_cases(cases: Iterable[Case]) -> int:
    ids = [case.pk for case in cases]
    return _index_ids(ids)


def _index_ids(ids: list[int], batch_size: int = 500) -> int:
    written = 0
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        SearchEntry.objects.filter(case_id__in=chunk).delete()
        entries = [
            entry
            for case in Case.objects.filter(pk__in=chunk).prefetch_related(*PREFETCH)
            for entry in _entries_for(case)
        ]
        SearchEntry.objects.bulk_create(entries, batch_size=batch_size)
        written += len(chunk)
    return written


@transaction.atomic
def reindex_all() -> int:
    """Rebuild the whole index from the cases; returns the number of cases indexed."""
    SearchEntry.objects.all().delete()
    count = _index_ids(list(Case.objects.order_by("pk").values_list("pk", flat=True)))
    if connection.vendor == "postgresql":
        # Fresh statistics, or the planner guesses the matches and picks slow plans.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {SearchEntry._meta.db_table}")
    return count
