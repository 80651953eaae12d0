from __future__ import annotations

import io
from typing import Any

import pydicom
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, transaction

from teachingfile import services
from teachingfile.imaging import phi_check
from teachingfile.models import Figure


class Command(BaseCommand):
    help = (
        "Walk every stored DICOM source and report attributes outside the keep-list, "
        "private tags and files de-identified by an older version; exit 1 if any. "
        "--fix applies the current profile again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--fix", action="store_true", help="Re-apply the profile.")

    def handle(self, *args: Any, **options: Any) -> None:
        deid = services.upload_options()["deid"]
        try:
            figures = list(
                Figure.objects.exclude(source_file="").values("pk", "source_file", "dicom_info")
            )
        except DatabaseError:
            # A fresh install (prod-check before migrate): no tables, so nothing stored.
            self.stdout.write("phi_audit: no database tables yet; nothing is stored.")
            return
        by_file: dict[str, list[dict[str, Any]]] = {}
        for row in figures:
            by_file.setdefault(row["source_file"], []).append(row)
        problems = 0
        for name, rows in sorted(by_file.items()):
            found = self._check(name, rows, deid, fix=options["fix"])
            problems += bool(found)
            for line in found:
                self.stdout.write(f"{name}: {line}")
        verb = "fixed" if options["fix"] else "with findings"
        self.stdout.write(f"phi_audit: {len(by_file)} DICOM file(s) checked, {problems} {verb}.")
        if problems and not options["fix"]:
            raise CommandError(f"{problems} stored DICOM file(s) need phi_audit --fix")

    def _check(self, name: str, rows: list[dict[str, Any]], deid: Any, *, fix: bool) -> list[str]:
        try:
            with default_storage.open(name, "rb") as handle:
                ds = pydicom.dcmread(handle)
        except (OSError, pydicom.errors.InvalidDicomError) as exc:
            return [f"cannot be read ({type(exc).__name__})"]
        found = phi_check.findings(ds, deid)
        for row in rows:
            found += phi_check.info_findings(row["dicom_info"] or {})
        if found and fix:
            phi_check.fix(ds, deid)
            buffer = io.BytesIO()
            ds.save_as(buffer, enforce_file_format=True)
            with transaction.atomic():
                default_storage.delete(name)
                new_name = default_storage.save(name, ContentFile(buffer.getvalue()))
                for row in rows:
                    info = {
                        k: v
                        for k, v in (row["dicom_info"] or {}).items()
                        if k not in phi_check.RETIRED_INFO_KEYS
                    }
                    Figure.objects.filter(pk=row["pk"]).update(
                        source_file=new_name, dicom_info=info
                    )
        return found
