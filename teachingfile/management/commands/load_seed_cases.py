from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from teachingfile.seeding import load_seed_cases


class Command(BaseCommand):
    help = "Load the five seed cases (tf-0001..tf-0005) as published cases; skips existing ids."

    def handle(self, *args: Any, **options: Any) -> None:
        created = load_seed_cases()
        if created:
            ids = ", ".join(case.public_id for case in created)
            self.stdout.write(self.style.SUCCESS(f"Loaded {len(created)} seed case(s): {ids}"))
        else:
            self.stdout.write("Seed cases already present; nothing to do.")
