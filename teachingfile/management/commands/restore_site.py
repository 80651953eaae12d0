from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from teachingfile.backup import BackupError, restore_site


class Command(BaseCommand):
    help = (
        "Restore a backup made by backup_site: REPLACES everything in the database, then "
        "writes the media files back. Needs --yes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--yes", action="store_true", help="Confirm the replacement.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        if not options["yes"]:
            raise CommandError(
                "Restoring replaces every row in the database. Run again with --yes "
                "(make restore FILE=... passes it)."
            )
        try:
            with path.open("rb") as handle:
                summary = restore_site(handle)
        except BackupError as exc:
            raise CommandError(f"{exc} Nothing was changed.") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {summary.objects} rows and {summary.media_files} media file(s) "
                f"from {path}; search index rebuilt."
            )
        )
