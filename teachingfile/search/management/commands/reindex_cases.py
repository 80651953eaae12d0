from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from teachingfile.search.services import reindex_all


class Command(BaseCommand):
    help = "Rebuild the full-text search index of every case (safe to run at any time)."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        count = reindex_all()
        took = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"Indexed {count} case(s) in {took:.1f} s."))
