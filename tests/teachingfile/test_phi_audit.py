"""manage.py phi_audit: finds what should not be in a stored DICOM source, and fixes it."""

from __future__ import annotations

import io

import pydicom
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from teachingfile import services
from teachingfile.models import Figure
from tests.factories import CaseFactory
from tests.teachingfile.imaging.builders import ct_dataset, dicom_bytes


def _figure_with_source(data: bytes) -> Figure:
    (figure,) = services.figures_from_upload(
        case=CaseFactory(),
        data=dicom_bytes(ct_dataset()),
        filename="ct.dcm",
        label="Fig. 1",
        alt_text="CT",
    )
    default_storage.delete(figure.source_file.name)
    default_storage.save(figure.source_file.name, ContentFile(data))
    return figure


def _audit(*args: str) -> str:
    out = io.StringIO()
    call_command("phi_audit", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_passes_on_an_empty_site_and_on_clean_files() -> None:
    assert "0 DICOM file(s) checked, 0 with findings" in _audit()
    services.figures_from_upload(
        case=CaseFactory(),
        data=dicom_bytes(ct_dataset()),
        filename="ct.dcm",
        label="Fig. 1",
        alt_text="CT",
    )
    assert "1 DICOM file(s) checked, 0 with findings" in _audit()


@pytest.mark.django_db
def test_it_fails_on_a_file_written_by_an_older_version_and_fix_cleans_it() -> None:
    old = ct_dataset()  # still carries names, institution, a private tag...
    old.DeidentificationMethod = "DICOM PS3.15 Annex E Basic Application Confidentiality Profile"
    figure = _figure_with_source(dicom_bytes(old))
    Figure.objects.filter(pk=figure.pk).update(
        dicom_info={**figure.dicom_info, "series_description": "AX CHEST"}
    )

    with pytest.raises(CommandError, match="1 stored DICOM file"):
        _audit()
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("phi_audit", stdout=out)
    report = out.getvalue()
    assert "InstitutionName" in report and "private tag" in report
    assert "older than 2" in report and "dicom_info holds series_description" in report

    assert "1 fixed" in _audit("--fix")
    assert "0 with findings" in _audit()
    figure.refresh_from_db()
    fixed = pydicom.dcmread(figure.source_file.path)
    assert "InstitutionName" not in fixed and "series_description" not in figure.dicom_info
    # UIDs were replaced when the file was first stored; --fix keeps them as they are,
    # so stacks and dicom_info still match the file.
    assert fixed.SeriesInstanceUID == old.SeriesInstanceUID
