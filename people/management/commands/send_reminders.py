from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from people.reminders import send_reminders


class Command(BaseCommand):
    help = (
        "E-mail new assignments, due-in-48-hours and overdue reminders, returned cases and "
        "the directors' weekly digest. Idempotent: run it every few minutes from cron."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_reminders(now=timezone.now())
        summary = ", ".join(f"{kind} {n}" for kind, n in sorted(sent.items())) or "nothing due"
        self.stdout.write(f"Reminders sent: {summary}.")
