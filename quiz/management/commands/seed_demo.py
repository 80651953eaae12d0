from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from quiz.demo import seed_demo


class Command(BaseCommand):
    help = (
        "Set up the demo: accounts resident/faculty/editor/director (password 'demo'), "
        "the seed cases, a cohort and an assigned quiz. Never run this on a real install."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        done = seed_demo()
        if done:
            self.stdout.write(self.style.SUCCESS("Demo set up: " + ", ".join(done)))
        else:
            self.stdout.write("Demo already set up; nothing changed.")
