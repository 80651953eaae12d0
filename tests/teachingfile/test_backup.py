"""Backup and restore of the whole site: a round trip gives back rows and media bytes."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from teachingfile import roles, services
from teachingfile.backup import BackupError, backup_site, restore_site
from teachingfile.bundles import case_document
from teachingfile.models import Case
from teachingfile.search.query import search_cases
from teachingfile.search.services import reindex_all
from tests.factories import (
    AttemptFactory,
    CaseFactory,
    QuestionFactory,
    ResponseFactory,
    png_bytes,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(faculty: AbstractUser, resident: AbstractUser) -> Case:
    case = CaseFactory(public_id="tf-0001", owner=faculty, presentation="Back pain.")
    services.figures_from_upload(
        case=case, data=png_bytes(90, (32, 32)), filename="a.png", label="Fig. 1", alt_text="Scan"
    )
    ResponseFactory(
        attempt=AttemptFactory(user=resident, case=case), question=QuestionFactory(case=case)
    )
    reindex_all()
    return case


def _media() -> dict[str, bytes]:
    from teachingfile.backup import _media_names

    out = {}
    for name in _media_names():
        with default_storage.open(name, "rb") as handle:
            out[name] = handle.read()
    return out


def test_backup_then_restore_gives_back_the_rows_and_the_media(
    site: Case, resident: AbstractUser
) -> None:
    before_case = case_document(site)
    before_media = _media()
    buffer = io.BytesIO()
    summary = backup_site(buffer)
    assert summary.media_files == len(before_media) >= 3

    # Lose everything: rows and files.
    Case.objects.all().delete()
    get_user_model().objects.all().delete()
    for name in before_media:
        default_storage.delete(name)

    restore_site(buffer.getvalue())

    restored = Case.objects.get(public_id="tf-0001")
    assert case_document(restored) == before_case
    assert _media() == before_media
    rosa = get_user_model().objects.get(username=resident.username)
    assert roles.is_resident(rosa) and rosa.responses.count() == 1
    assert rosa.check_password("pass-word-123")
    # The search index came back too, with rosa's entitlement to the reveal.
    assert search_cases(query="secret", user=rosa).total == 1


def test_a_damaged_backup_is_refused_before_anything_changes(site: Case) -> None:
    buffer = io.BytesIO()
    backup_site(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    damaged = io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.startswith("media/"):
                data = b"tampered" + data
            archive.writestr(info, data)
    with pytest.raises(BackupError, match="checksum"):
        restore_site(damaged.getvalue())
    with pytest.raises(BackupError, match="not a zip"):
        restore_site(b"plain text")
    assert Case.objects.filter(public_id="tf-0001").exists()


def test_a_bad_fixture_rolls_back_and_keeps_the_database(site: Case) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "backup.json", json.dumps({"format": "teachingfile-backup", "version": 1, "media": {}})
        )
        archive.writestr(
            "db.xml",
            '<?xml version="1.0"?><django-objects version="1.0">'
            '<object model="teachingfile.case" pk="1"><field name="nope">x</field></object>'
            "</django-objects>",
        )
    with pytest.raises(Exception):  # noqa: B017 - any database error; what matters is after
        restore_site(buffer.getvalue())
    assert Case.objects.filter(public_id="tf-0001").exists()


def test_the_commands_need_yes_and_round_trip(site: Case, tmp_path: Path) -> None:
    target = tmp_path / "site.zip"
    call_command("backup_site", "--output", str(target))
    assert target.is_file() and not (tmp_path / "site.zip.part").exists()
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore_site", str(target))
    Case.objects.all().delete()
    call_command("restore_site", str(target), "--yes")
    assert Case.objects.filter(public_id="tf-0001").exists()
    with pytest.raises(CommandError, match="Nothing was changed"):
        (tmp_path / "x.zip").write_bytes(b"nope")
        call_command("restore_site", str(tmp_path / "x.zip"), "--yes")
