from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from teachingfile.importing.reading import max_bytes_for
from teachingfile.importing.services import import_case_file


class Command(BaseCommand):
    help = (
        "Import case write-ups (Markdown or plain text) as draft cases, with a report per "
        "file of what went where. Nothing is published."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--owner", help="Username that will own the drafts.")
        parser.add_argument("--quiet", action="store_true", help="One line per file.")

    def handle(self, *args: Any, **options: Any) -> None:
        owner = None
        if options["owner"]:
            try:
                owner = get_user_model().objects.get(username=options["owner"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user called {options['owner']!r}.") from None
        failed = 0
        for name in options["files"]:
            path = Path(name)
            report = self._import(path, owner)
            failed += not report.ok
            lines = report.lines()
            for line in lines[:1] if options["quiet"] else lines:
                style = self.style.ERROR if not report.ok else (lambda s: s)
                self.stdout.write(style(line))
        done = len(options["files"]) - failed
        self.stdout.write(f"{done} imported as drafts, {failed} refused.")
        if failed:
            raise CommandError(f"{failed} file(s) could not be imported; see above.")

    def _import(self, path: Path, owner: Any) -> Any:
        from teachingfile.importing.services import ImportReport

        if not path.is_file():
            return ImportReport(filename=str(path), error="no such file")
        limit = max_bytes_for(path.name)
        if path.stat().st_size > limit:
            # Refuse before reading a huge file into memory.
            with path.open("rb") as handle:
                data = handle.read(limit + 1)
        else:
            data = path.read_bytes()
        return import_case_file(data=data, filename=path.name, owner=owner)
