from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from people import audit
from teachingfile.bundles import export_bundle
from teachingfile.models import Case


class Command(BaseCommand):
    help = "Export cases (by public id, or --all) as a portable bundle zip with their figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("public_ids", nargs="*", metavar="ID")
        parser.add_argument("--all", action="store_true", help="Every case.")
        parser.add_argument("--status", choices=Case.Status.values, help="Only this status.")
        parser.add_argument("-o", "--output", required=True, help="The zip file to write.")

    def handle(self, *args: Any, **options: Any) -> None:
        cases = Case.objects.order_by("public_id")
        if options["public_ids"]:
            cases = cases.filter(public_id__in=options["public_ids"])
            missing = set(options["public_ids"]) - set(cases.values_list("public_id", flat=True))
            if missing:
                raise CommandError(f"No such case: {', '.join(sorted(missing))}")
        elif not options["all"] and not options["status"]:
            raise CommandError("Name the cases to export, or pass --all or --status.")
        if options["status"]:
            cases = cases.filter(status=options["status"])
        output = Path(options["output"])
        with output.open("wb") as handle:
            document = export_bundle(cases, handle)
        audit.from_command(
            audit.AuditAction.EXPORT_BUNDLE, str(output), cases=len(document["cases"])
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Exported {len(document['cases'])} case(s) and {len(document['files'])} "
                f"file(s) to {output}."
            )
        )
