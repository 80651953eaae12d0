from __future__ import annotations

from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "teachingfile.search"
    label = "search"
    verbose_name = "Case search"
