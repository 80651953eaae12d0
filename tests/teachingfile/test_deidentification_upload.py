"""DICOM through the admin: nothing of Table E.1-1 is stored anywhere; limits from settings."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pydicom
import pytest
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from teachingfile.imaging.deidentify import KEEP
from teachingfile.models import Case, Figure
from tests.teachingfile.imaging.builders import ct_dataset, ct_phantom, dicom_bytes
from tests.teachingfile.imaging.markers import marked_ct
from tests.teachingfile.test_admin_authoring import _case_form


def _upload(client: Client, data: bytes, name: str = "IM0001.dcm") -> object:
    form = _case_form(**{"figures-0-upload": SimpleUploadedFile(name, data, "application/dicom")})
    form["figures-TOTAL_FORMS"] = "1"
    for key in [k for k in form if k.startswith("figures-1-")]:
        del form[key]
    return client.post("/admin/teachingfile/case/add/", form)


def _database_text() -> str:
    """Every value of every table, as text (the whole test database)."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from introspection
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


@pytest.mark.django_db
def test_no_marker_of_the_profile_is_stored_anywhere(client: Client, faculty: AbstractUser) -> None:
    marked = marked_ct()
    raw = dicom_bytes(marked.ds)
    for marker in marked.searchable:  # the test file really carries every marker
        assert marker.encode() in raw, marker
    client.force_login(faculty)

    response = _upload(client, raw)

    assert response.status_code == 302, response.content.decode()[:2000]
    (figure,) = Figure.objects.all()
    database = _database_text()
    media = [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
    assert len(media) >= 4  # original, display, thumbnail, presets, source DICOM
    stored = {p.name: p.read_bytes() for p in media}
    info = json.dumps(figure.dicom_info)
    for marker, where in marked.searchable.items():
        assert marker not in database, (marker, where)
        assert marker not in info, (marker, where)
        for name, data in stored.items():
            assert marker.encode() not in data, (marker, where, name)

    # The stored source, element by element, at every level: only kept attributes, no
    # private tag, and each listed attribute removed, emptied or replaced.
    source = pydicom.dcmread(figure.source_file.path)
    for elem in source.iterall():
        assert not elem.tag.is_private, elem
        assert int(elem.tag) in KEEP or elem.keyword.startswith("Referenced"), elem
        assert elem.tag.group & 0xFF00 not in (0x5000, 0x6000), elem
        text = str(elem.value)
        assert not any(marker in text for marker in marked.searchable), elem
    assert source.PatientIdentityRemoved == "YES"
    assert set(source.file_meta.keys()) <= {
        0x00020000,
        0x00020001,
        0x00020002,
        0x00020003,
        0x00020010,
        0x00020012,
        0x00020013,
    }
    assert "MKR" not in str(source.file_meta)


@pytest.mark.django_db
def test_a_multi_frame_dicom_is_stored_once(client: Client, faculty: AbstractUser) -> None:
    stack = np.stack([ct_phantom()] * 5)
    client.force_login(faculty)

    response = _upload(client, dicom_bytes(ct_dataset(stack)))

    assert response.status_code == 302, response.content.decode()[:2000]
    figures = list(Figure.objects.order_by("position"))
    assert len(figures) == 5
    assert len({f.source_file.name for f in figures}) == 1
    dicoms = list(Path(settings.MEDIA_ROOT).rglob("*.dcm"))
    assert len(dicoms) == 1


@pytest.mark.django_db
def test_image_max_bytes_limits_uploads(
    client: Client, faculty: AbstractUser, settings: pytest.FixtureRequest
) -> None:
    settings.IMAGE_MAX_BYTES = 4096  # type: ignore[attr-defined]
    client.force_login(faculty)

    response = _upload(client, dicom_bytes(ct_dataset()))

    assert response.status_code == 200
    assert "larger than 4 KB; the limit is 4 KB (IMAGE_MAX_BYTES)" in response.content.decode()
    assert not Case.objects.exists()


def test_the_stored_source_is_readable_dicom() -> None:
    # Guard for the test above: the helper really produces a file pydicom reads.
    assert pydicom.dcmread(io.BytesIO(dicom_bytes(ct_dataset()))).Modality == "CT"


@pytest.mark.django_db
def test_the_admin_holds_an_image_with_text_until_it_is_redacted(
    client: Client, faculty: AbstractUser, settings: pytest.FixtureRequest
) -> None:
    from tests.teachingfile.imaging.builders import encode
    from tests.teachingfile.imaging.test_burned_in import _with_name, require_tesseract

    require_tesseract()
    settings.IMAGE_CHECK_BURNED_IN_TEXT = True  # type: ignore[attr-defined]
    from PIL import Image

    png = encode(Image.fromarray(_with_name()), "PNG")
    client.force_login(faculty)

    def post(**extra: str) -> object:
        form = _case_form(**{"figures-0-upload": SimpleUploadedFile("shot.png", png)})
        form["figures-TOTAL_FORMS"] = "1"
        for key in [k for k in form if k.startswith("figures-1-")]:
            del form[key]
        form.update(extra)
        return client.post("/admin/teachingfile/case/add/", form)

    held = post()
    assert held.status_code == 200  # type: ignore[attr-defined]
    page = held.content.decode()  # type: ignore[attr-defined]
    assert "Text was found burned into the image" in page
    assert 'src="data:image/png;base64,' in page
    assert not Figure.objects.exists()

    kept = post(**{"figures-0-redact_burned_in_text": "on"})
    assert kept.status_code == 302  # type: ignore[attr-defined]
    assert Figure.objects.count() == 1
