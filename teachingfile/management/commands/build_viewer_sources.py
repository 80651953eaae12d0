from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from teachingfile.models import Figure
from teachingfile.services import figure_build_viewer_source


class Command(BaseCommand):
    help = (
        "Write the viewer source (stored-depth pixels for live window/level) of DICOM "
        "figures uploaded before it existed, and retire their window preset files."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        pending = Figure.objects.filter(viewer_source="").exclude(source_file="").order_by("pk")
        built = sum(figure_build_viewer_source(figure=figure) for figure in pending.iterator())
        self.stdout.write(self.style.SUCCESS(f"Built {built} viewer source(s)."))
