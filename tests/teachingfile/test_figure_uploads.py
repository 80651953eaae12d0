"""Uploads through the admin and the services: series become stacks, bad files leave nothing."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from teachingfile.imaging import ImageRejected
from teachingfile.models import Case, Figure
from teachingfile.services import figure_set_image, figures_from_upload
from tests.factories import CaseFactory
from tests.teachingfile.imaging.builders import (
    ct_dataset,
    dicom_bytes,
    encapsulated,
    png_declaring,
    zip_of,
)
from tests.teachingfile.test_admin_authoring import _case_form


def _stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _series_zip(count: int) -> bytes:
    members = []
    for number in range(count, 0, -1):
        slice_ = np.full((32, 32), 1024 + number * 40, dtype=np.uint16)
        members.append((f"IM{number}.dcm", dicom_bytes(ct_dataset(slice_, instance_number=number))))
    return zip_of(members)


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (80, 60), (120, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x0132] = "2024:01:01 10:00:00"  # DateTime
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (51.0, 30.0, 0.0)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


BAD_UPLOADS = {
    "truncated JPEG": ("scan.jpg", None),
    "text renamed .png": ("scan.png", b"hello, I am a text file\n" * 10),
    "PNG decompression bomb": ("bomb.png", png_declaring(100_000, 100_000)),
    "SVG": ("scan.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    "HTML renamed .jpg": ("scan.jpg", b"<!doctype html><html><script>alert(1)</script></html>"),
}


def _bad(name: str) -> tuple[str, bytes]:
    filename, data = BAD_UPLOADS[name]
    if data is None:
        buffer = io.BytesIO()
        Image.new("RGB", (200, 200), (10, 200, 10)).save(buffer, format="JPEG")
        data = buffer.getvalue()[:300]
    return filename, data


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(BAD_UPLOADS))
def test_a_bad_upload_in_the_admin_shows_its_message_and_stores_nothing(
    client: Client, faculty: AbstractUser, name: str
) -> None:
    filename, data = _bad(name)
    client.force_login(faculty)
    form = _case_form(**{"figures-1-upload": SimpleUploadedFile(filename, data)})
    response = client.post("/admin/teachingfile/case/add/", form)
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][1].formset.errors[1]["upload"]
    assert errors and errors[0]
    assert not Case.objects.exists()
    assert _stored_files() == []


@pytest.mark.django_db
def test_the_pipeline_message_names_the_problem() -> None:
    case = CaseFactory()
    with pytest.raises(ImageRejected) as caught:
        figure_set_image(
            figure=Figure(case=case, label="Fig. 1", alt_text="x"),
            data=_bad("SVG")[1],
            filename="scan.svg",
        )
    assert "SVG" in caught.value.message
    assert not Figure.objects.exists()
    assert _stored_files() == []


@pytest.mark.django_db
def test_a_dicom_with_an_unsupported_syntax_is_refused_by_name() -> None:
    case = CaseFactory()
    ds = encapsulated(ct_dataset(), "1.2.840.10008.1.2.4.80", [b"\x00" * 64])
    with pytest.raises(ImageRejected, match=r"1\.2\.840\.10008\.1\.2\.4\.80"):
        figures_from_upload(
            case=case, data=dicom_bytes(ds), filename="ls.dcm", label="Fig. 1", alt_text="CT"
        )
    assert not Figure.objects.exists()
    assert _stored_files() == []


@pytest.mark.django_db
def test_a_zipped_series_uploaded_in_the_admin_becomes_a_stack_in_order(
    client: Client, faculty: AbstractUser
) -> None:
    client.force_login(faculty)
    form = _case_form(**{"figures-1-upload": SimpleUploadedFile("series.zip", _series_zip(4))})
    response = client.post("/admin/teachingfile/case/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get()
    stack = list(case.figures.filter(series__isnull=False).order_by("position"))
    assert [f.position for f in stack] == [0, 1, 2, 3]
    assert [f.dicom_info["instance_number"] for f in stack] == [1, 2, 3, 4]
    assert stack[0].label == "Fig. 2 (1/4)"
    assert {f.stage for f in stack} == {"reveal"}
    assert all(f.presets == {} and f.viewer_source.name.endswith(".tfv") for f in stack)


@pytest.mark.django_db
def test_a_dicom_keeps_no_patient_name_or_birth_date() -> None:
    import pydicom

    case = CaseFactory()
    (figure,) = figures_from_upload(
        case=case,
        data=dicom_bytes(ct_dataset()),
        filename="slice.dcm",
        label="Fig. 1",
        alt_text="CT slice",
    )
    with figure.source_file.open("rb") as handle:
        kept = pydicom.dcmread(handle)
    assert not str(kept.get("PatientName", ""))
    assert not kept.get("PatientBirthDate", "")
    assert kept.PatientIdentityRemoved == "YES"


@pytest.mark.django_db
def test_a_jpeg_with_gps_is_stored_without_exif() -> None:
    case = CaseFactory()
    (figure,) = figures_from_upload(
        case=case, data=_jpeg_with_gps(), filename="photo.jpg", label="Fig. 1", alt_text="x"
    )
    for field in (figure.image, figure.display, figure.thumbnail):
        with field.open("rb") as handle:
            stored = Image.open(io.BytesIO(handle.read()))
            assert not stored.getexif()
            assert "exif" not in stored.info


@pytest.mark.django_db
def test_media_is_served_with_immutable_caching_and_nosniff(
    client: Client, resident: AbstractUser
) -> None:
    case = CaseFactory()
    (figure,) = figures_from_upload(
        case=case, data=_jpeg_with_gps(), filename="photo.jpg", label="Fig. 1", alt_text="x"
    )
    response = client.get(figure.display.url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "image/webp"


@pytest.mark.django_db
def test_dicom_sources_and_unknown_paths_are_not_served(client: Client) -> None:
    case = CaseFactory()
    (figure,) = figures_from_upload(
        case=case,
        data=dicom_bytes(ct_dataset()),
        filename="slice.dcm",
        label="Fig. 1",
        alt_text="CT slice",
    )
    assert client.get(figure.source_file.url).status_code == 404
    assert client.get("/media/../teachingfile/settings.py").status_code == 404
    assert client.get("/media/f/00/nothing-here.webp").status_code == 404


@pytest.mark.django_db
def test_a_zip_of_two_studies_becomes_one_stack_per_series_named_neutrally() -> None:
    members = []
    for series_number, (uid, modality) in enumerate(
        (("1.2.3.4.1", "CT"), ("1.2.3.4.2", "CT"), ("1.2.3.9.1", "MR")), start=2
    ):
        for number in (1, 2):
            ds = ct_dataset(instance_number=number, series_uid=uid, modality=modality)
            ds.SeriesNumber = series_number
            ds.SeriesDescription = "METASTASIS WORKUP"  # must never name a stack
            members.append((f"S{series_number}/IM{number}.dcm", dicom_bytes(ds)))
    case = CaseFactory()

    figures = figures_from_upload(
        case=case, data=zip_of(members), filename="dicomdir.zip", label="Fig. 1", alt_text="x"
    )

    assert len(figures) == 6
    names = sorted(case.series.values_list("name", flat=True))
    assert names == ["CT series 2", "CT series 3", "MR series 4"]
    # In display order each stack is contiguous, in stack order.
    shown = [f.series.name for f in case.figures.order_by("order", "position", "id")]
    assert shown == ["CT series 2"] * 2 + ["CT series 3"] * 2 + ["MR series 4"] * 2
    assert not any("METASTASIS" in f.label for f in figures)
