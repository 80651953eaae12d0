from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from teachingfile.importing.decoding import max_bytes_for
from teachingfile.importing.services import import_case_file
from teachingfile.models import Case


class Command(BaseCommand):
    help = (
        "Import case write-ups (Markdown, text, Word, PDF, HTML), MIRC documents and "
        "question banks (Moodle XML, GIFT) as draft cases, with a report per file of what "
        "went where. Nothing is published."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--owner", help="Username that will own the drafts.")
        parser.add_argument("--quiet", action="store_true", help="One line per file.")
        parser.add_argument(
            "--case",
            metavar="ID",
            help="Add the questions of question banks (Moodle XML, GIFT) to this case "
            "instead of making a draft per question.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        owner = None
        if options["owner"]:
            try:
                owner = get_user_model().objects.get(username=options["owner"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user called {options['owner']!r}.") from None
        case = None
        if options["case"]:
            case = Case.objects.filter(public_id=options["case"]).first()
            if case is None:
                raise CommandError(f"No case {options['case']!r}.")
        failed = 0
        for name in options["files"]:
            path = Path(name)
            report = self._import(path, owner, case)
            failed += not report.ok
            lines = report.lines()
            for line in lines[:1] if options["quiet"] else lines:
                style = self.style.ERROR if not report.ok else (lambda s: s)
                self.stdout.write(style(line))
        done = len(options["files"]) - failed
        self.stdout.write(f"{done} imported as drafts, {failed} refused.")
        if failed:
            raise CommandError(f"{failed} file(s) could not be imported; see above.")

    def _import(self, path: Path, owner: Any, case: Case | None) -> Any:
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
        return import_case_file(data=data, filename=path.name, owner=owner, case=case)
