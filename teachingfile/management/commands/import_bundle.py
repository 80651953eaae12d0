from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from teachingfile.bundles import BundleError, import_bundle


class Command(BaseCommand):
    help = (
        "Import a case bundle made by export_cases. Ids already in use are refused "
        "(nothing is imported) unless --renumber gives those cases the next free ids."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--renumber", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            with path.open("rb") as handle:
                report = import_bundle(handle, renumber=options["renumber"])
        except BundleError as exc:
            raise CommandError(str(exc)) from None
        for line in report.lines():
            self.stdout.write(line)
