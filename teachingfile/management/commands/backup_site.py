from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from people import audit
from teachingfile.backup import backup_site


class Command(BaseCommand):
    help = "Back up the whole site (database and media) into one zip; see docs/bundles.md."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("-o", "--output", help="The zip to write (default: a dated name).")
        parser.add_argument("--dir", help="Folder for the dated name (default: VAR_DIR/backups).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["output"]:
            path = Path(options["output"])
        else:
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
            folder = Path(options["dir"] or Path(settings.VAR_DIR) / "backups")
            path = folder / f"teachingfile-backup-{stamp}.zip"
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        with partial.open("wb") as handle:
            summary = backup_site(handle)
        # Only a finished backup gets the real name.
        partial.replace(path)
        audit.from_command(audit.AuditAction.BACKUP, str(path), rows=summary.objects)
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {summary.objects} rows and {summary.media_files} media file(s) "
                f"to {path}"
            )
        )
