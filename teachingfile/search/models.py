"""The search index: two text documents per case, one safe before the reveal, one full."""

from __future__ import annotations

from django.db import models

from teachingfile.models import Case


class SearchEntry(models.Model):
    """One indexed document of a case.

    The full-text index itself lives beside this table (an FTS5 table on SQLite, a
    generated tsvector column with a GIN index on PostgreSQL), created by migration 0002
    and kept in step by the database, so writing these rows is all the indexing there is.
    """

    class Scope(models.TextChoices):
        # Only what a learner sees before answering: safe to match for anyone.
        PUBLIC = "public", "Before the reveal"
        # Everything, reveal included: faculty, and learners who have answered the case.
        FULL = "full", "Everything"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="search_entries")
    scope = models.CharField(max_length=6, choices=Scope.choices)
    title = models.TextField(blank=True)
    body = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "search entries"
        constraints = [
            models.UniqueConstraint(fields=["case", "scope"], name="searchentry_one_per_scope")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.scope}"
