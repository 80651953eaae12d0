from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from teachingfile.importing.banks import questions_for_export
from teachingfile.importing.gift import write_gift
from teachingfile.importing.moodle import write_moodle_xml
from teachingfile.models import Case


class Command(BaseCommand):
    help = (
        "Export the questions of cases as a question bank an LMS reads: Moodle XML "
        "(default) or GIFT. Single, multiple and short-answer questions, with choices, "
        "rationales, accepted answers and partial credit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("public_ids", nargs="+", metavar="ID")
        parser.add_argument("--format", choices=["moodle", "gift"], default="moodle")
        parser.add_argument("--category", default="", help="Category for the questions.")
        parser.add_argument("-o", "--output", help="File to write (default: standard output).")

    def handle(self, *args: Any, **options: Any) -> None:
        cases = Case.objects.filter(public_id__in=options["public_ids"]).order_by("public_id")
        missing = set(options["public_ids"]) - {case.public_id for case in cases}
        if missing:
            raise CommandError(f"No such case: {', '.join(sorted(missing))}")
        questions = questions_for_export(cases)
        if options["format"] == "gift":
            data = write_gift(questions, category=options["category"]).encode()
        else:
            data = write_moodle_xml(questions, category=options["category"])
        if options["output"]:
            Path(options["output"]).write_bytes(data)
            self.stderr.write(f"Exported {len(questions)} question(s) to {options['output']}.")
        else:
            self.stdout.write(data.decode())
