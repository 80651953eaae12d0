"""Case bundles: export, wipe, import gives the same cases and the same image bytes."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.test import Client

from teachingfile.bundles import (
    BundleError,
    case_document,
    export_bundle_bytes,
    import_bundle,
)
from teachingfile.models import Case, Figure
from teachingfile.search.query import search_cases
from tests.factories import CaseFactory, CommentFactory, RatingFactory, png_bytes

pytestmark = pytest.mark.django_db


def _figure_bytes() -> dict[str, bytes]:
    out = {}
    for figure in Figure.objects.order_by("case__public_id", "order", "pk"):
        for name in (figure.image.name, figure.display.name, figure.annotated_image.name):
            if name:
                with default_storage.open(name, "rb") as handle:
                    out[f"{figure.case.public_id}/{figure.label}/{name}"] = handle.read()
    return out


def _wipe() -> None:
    Case.objects.all().delete()
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


@pytest.fixture
def seeded(faculty: AbstractUser) -> list[Case]:
    """Five cases with figures (one annotated), questions, keywords, ratings and a comment."""
    from teachingfile import services
    from teachingfile.models import Keyword
    from tests.factories import AcceptedAnswerFactory, ChoiceFactory, QuestionFactory

    cases = []
    for n in range(1, 6):
        case = CaseFactory(
            public_id=f"tf-{n:04d}", owner=faculty, presentation=f"Back pain, case {n}."
        )
        case.keywords.add(Keyword.objects.get_or_create(name=f"keyword {n % 2}")[0])
        (figure,) = services.figures_from_upload(
            case=case,
            data=png_bytes(40 * n, (64, 48)),
            filename="a.png",
            label="Fig. 1",
            alt_text="Scan",
        )
        if n == 1:
            services.figure_set_image(
                figure=figure, data=png_bytes(250, (64, 48)), filename="b.png", annotated=True
            )
        choice = ChoiceFactory(question=QuestionFactory(case=case), is_correct=True)
        AcceptedAnswerFactory(question=QuestionFactory(case=case, order=2))
        assert choice.pk
        cases.append(case)
    cases[0].companions.add(cases[1])
    RatingFactory(case=cases[0], rater=faculty, difficulty=4, quality=5)
    CommentFactory(case=cases[0], author=faculty, body="Nice case.")
    from teachingfile.search.services import reindex_all

    reindex_all()
    return cases


def test_export_wipe_import_restores_the_same_fields_and_image_bytes(
    seeded: list[Case], resident: AbstractUser
) -> None:
    before = [case_document(c) for c in Case.objects.order_by("public_id")]
    images = _figure_bytes()
    assert images and len(before) == 5
    bundle = export_bundle_bytes(Case.objects.order_by("public_id"))
    _wipe()
    assert not Case.objects.exists()

    report = import_bundle(bundle)

    assert [new for _, new in report.created] == [c["public_id"] for c in before]
    after = [case_document(c) for c in Case.objects.order_by("public_id")]
    assert after == before
    assert _figure_bytes() == images
    # The restored cases are searchable again.
    assert search_cases(query="back pain", user=resident).total >= 1


def test_the_document_is_versioned_and_lists_every_file_with_its_checksum(
    seeded: list[Case],
) -> None:
    archive = zipfile.ZipFile(io.BytesIO(export_bundle_bytes([seeded[0]])))
    document = json.loads(archive.read("case-bundle.json"))
    assert (document["format"], document["version"]) == ("teachingfile-bundle", 1)
    assert [c["public_id"] for c in document["cases"]] == ["tf-0001"]
    assert document["files"] and set(document["files"]) <= set(archive.namelist())


def test_an_id_collision_is_refused_and_imports_nothing(seeded: list[Case]) -> None:
    bundle = export_bundle_bytes(Case.objects.filter(public_id="tf-0002"))
    files_before = sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())
    with pytest.raises(BundleError, match="tf-0002 already exists here; nothing was imported"):
        import_bundle(bundle)
    assert Case.objects.count() == 5
    assert sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()) == files_before


def test_renumbering_gives_colliding_cases_the_next_free_ids(seeded: list[Case]) -> None:
    bundle = export_bundle_bytes(Case.objects.filter(public_id__in=["tf-0002", "tf-0003"]))
    report = import_bundle(bundle, renumber=True)
    assert report.created == [("tf-0002", "tf-0006"), ("tf-0003", "tf-0007")]
    assert "tf-0002 imported as tf-0006 (renumbered)" in report.lines()
    copy, original = Case.objects.get(public_id="tf-0006"), Case.objects.get(public_id="tf-0002")
    assert copy.diagnosis == original.diagnosis
    # The copy has its own files, with the same bytes.
    first_copy, first_original = copy.figures.first(), original.figures.first()
    assert first_copy.image.name != first_original.image.name
    assert first_copy.image.read() == first_original.image.read()


def test_companions_inside_the_bundle_are_linked_and_others_reported() -> None:
    first, second, outside = CaseFactory(), CaseFactory(), CaseFactory()
    first.companions.add(second, outside)
    bundle = export_bundle_bytes([first, second])
    Case.objects.filter(pk__in=[first.pk, second.pk]).delete()
    report = import_bundle(bundle)
    restored = Case.objects.get(public_id=first.public_id)
    assert [c.public_id for c in restored.companions.all()] == [second.public_id]
    assert any(outside.public_id in note for note in report.notes)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not a zip", "not a zip file"),
        ("no-document", "has no case-bundle.json"),
        ("wrong-version", "version 2"),
        ("missing-file", "lacks 1 listed file"),
        ("bad-checksum", "does not match its checksum"),
    ],
)
def test_it_refuses_a_damaged_or_foreign_bundle(data: object, message: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        document = {"format": "teachingfile-bundle", "version": 1, "cases": [], "files": {}}
        if data == "wrong-version":
            document["version"] = 2
        if data == "missing-file":
            document["files"] = {"files/x.png": "0" * 64}
        if data == "bad-checksum":
            document["files"] = {"files/x.png": "0" * 64}
            archive.writestr("files/x.png", b"png")
        if data != "no-document":
            archive.writestr("case-bundle.json", json.dumps(document))
    raw = data if isinstance(data, bytes) else buffer.getvalue()
    with pytest.raises(BundleError, match=message):
        import_bundle(raw)
    assert not Case.objects.exists()


def test_the_commands_export_and_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = CaseFactory(public_id="tf-0042")
    out = tmp_path / "one.zip"
    call_command("export_cases", "tf-0042", "--output", str(out))
    assert "Exported 1 case(s)" in capsys.readouterr().out
    with pytest.raises(CommandError, match="already exists"):
        call_command("import_bundle", str(out))
    call_command("import_bundle", str(out), "--renumber")
    assert "tf-0042 imported as tf-0043 (renumbered)" in capsys.readouterr().out
    case.delete()
    with pytest.raises(CommandError, match="Name the cases"):
        call_command("export_cases", "--output", str(out))
    with pytest.raises(CommandError, match="No such case"):
        call_command("export_cases", "tf-9999", "--output", str(out))


def test_the_admin_action_downloads_a_bundle(client: Client, editor: AbstractUser) -> None:
    case = CaseFactory()
    client.force_login(editor)
    response = client.post(
        "/admin/teachingfile/case/",
        {"action": "export_as_bundle", "_selected_action": [case.pk]},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    document = json.loads(archive.read("case-bundle.json"))
    assert [c["public_id"] for c in document["cases"]] == [case.public_id]


def test_residents_cannot_reach_the_admin_action(client: Client, resident: AbstractUser) -> None:
    case = CaseFactory()
    client.force_login(resident)
    response = client.post(
        "/admin/teachingfile/case/",
        {"action": "export_as_bundle", "_selected_action": [case.pk]},
    )
    assert response.status_code == 302
    assert "zip" not in response.get("Content-Type", "")


def test_domains_travel_and_an_old_bundle_gets_dicom_modalities() -> None:
    from teachingfile.models import CurriculumDomain

    case = CaseFactory(modalities="CT")
    case.domains.set(CurriculumDomain.objects.filter(code__in=["thoracic", "physics"]))
    bundle = export_bundle_bytes(Case.objects.all())
    # Rewrite the document as a bundle from before issue 18 would have it.
    with zipfile.ZipFile(io.BytesIO(bundle)) as old:
        members = {name: old.read(name) for name in old.namelist()}
    document = json.loads(members["case-bundle.json"])
    document["cases"][0]["modalities"] = "XR gamma"
    members["case-bundle.json"] = json.dumps(document).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as new:
        for name, data in members.items():
            new.writestr(name, data)
    Case.objects.all().delete()

    import_bundle(out.getvalue())

    restored = Case.objects.get()
    assert restored.modalities == "DX"
    assert "gamma" in restored.unplaced
    assert sorted(restored.domains.values_list("code", flat=True)) == ["physics", "thoracic"]
