"""A failure in the middle of an upload or an import leaves nothing half-written.

Each test lets a late step fail (a storage write, the search index, a save) and then
checks that neither rows nor files are left behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.test import Client

from teachingfile import services
from teachingfile.models import (
    Case,
    DifferentialDiagnosis,
    Figure,
    LabValue,
    Question,
    Reference,
    StatusChange,
)
from tests.factories import CaseFactory, png_bytes
from tests.teachingfile.test_admin_authoring import _case_form


class Boom(RuntimeError):
    pass


def _stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _counts() -> dict[str, int]:
    models = (Case, Figure, Question, LabValue, DifferentialDiagnosis, Reference, StatusChange)
    return {m.__name__: m.objects.count() for m in models}


def _fail_on_write(monkeypatch: pytest.MonkeyPatch, number: int) -> None:
    """Let the first writes through and make write `number` fail, like a full disk."""
    real = services._save_bytes
    calls = {"n": 0}

    def flaky(data: bytes, ext: str, written: list[str]) -> str:
        calls["n"] += 1
        if calls["n"] == number:
            raise Boom("disk full")
        return real(data, ext, written)

    monkeypatch.setattr(services, "_save_bytes", flaky)


@pytest.mark.django_db
def test_a_storage_failure_mid_upload_keeps_no_files_and_no_figure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case = CaseFactory()
    _fail_on_write(monkeypatch, 3)  # original and display are written, the thumbnail fails
    with pytest.raises(Boom):
        services.figures_from_upload(
            case=case,
            data=png_bytes(90, (64, 48)),
            filename="scan.png",
            label="Fig. 1",
            alt_text="Radiograph",
        )
    assert _stored_files() == []
    assert Figure.objects.count() == 0


@pytest.mark.django_db
def test_a_failing_save_after_the_files_are_written_removes_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case = CaseFactory()
    figure = Figure(case=case, label="Fig. 1", alt_text="Radiograph")

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise Boom("database went away")

    monkeypatch.setattr(Figure, "save", refuse)
    with pytest.raises(Boom):
        services.figure_set_image(figure=figure, data=png_bytes(90, (64, 48)), filename="scan.png")
    assert _stored_files() == []


@pytest.mark.django_db
def test_an_admin_save_that_fails_after_the_upload_keeps_no_case_and_no_files(
    client: Client, faculty: AbstractUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The figures are written, then indexing the case fails: the whole save is undone."""
    import teachingfile.search.services as search_services

    def broken_index(case: Case) -> None:
        raise Boom("search index unavailable")

    monkeypatch.setattr(search_services, "index_case", broken_index)
    client.force_login(faculty)
    before = _counts()
    client.raise_request_exception = False
    response = client.post("/admin/teachingfile/case/add/", _case_form())
    assert response.status_code == 500
    assert _counts() == before
    assert _stored_files() == []


IMPORT_TEXT = """# Calf pain in a woman on dialysis

## History
A 58-year-old woman on haemodialysis with painful calves.

## Findings
Sheet-like soft-tissue calcification in both calves.

## Diagnosis
Calciphylaxis

## Differential diagnosis
- Metastatic calcification
- Dermatomyositis

## References
1. Smith J. Calciphylaxis. Radiology. 2001;1:1.
"""


@pytest.mark.django_db
def test_an_import_that_fails_at_its_last_step_writes_no_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import teachingfile.search.services as search_services
    from teachingfile.importing.services import import_case_file

    # The control: the same file imports cleanly when nothing fails.
    report = import_case_file(data=IMPORT_TEXT.encode(), filename="calf.md")
    assert report.ok, report.lines()
    Case.objects.all().delete()
    before = _counts()

    def broken_index(case: Case) -> None:
        raise Boom("search index unavailable")

    monkeypatch.setattr(search_services, "index_case", broken_index)
    with pytest.raises(Boom):
        import_case_file(data=IMPORT_TEXT.encode(), filename="calf.md")
    assert _counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize("failing_step", ["_link_companions", "index_cases"])
def test_a_bundle_import_that_fails_late_keeps_no_rows_and_no_files(
    monkeypatch: pytest.MonkeyPatch, failing_step: str
) -> None:
    """Files are restored first; a failure after them (companions, the index) removes them."""
    from teachingfile import bundles
    from teachingfile.search import services as search_services

    case = CaseFactory()
    services.figures_from_upload(
        case=case,
        data=png_bytes(90, (64, 48)),
        filename="scan.png",
        label="Fig. 1",
        alt_text="Radiograph",
    )
    data = bundles.export_bundle_bytes([case])
    files_before = sorted(_stored_files())
    before = _counts()

    def explode(*args: Any, **kwargs: Any) -> None:
        raise Boom(f"{failing_step} failed")

    target = bundles if failing_step == "_link_companions" else search_services
    monkeypatch.setattr(target, failing_step, explode)
    with pytest.raises(Boom):
        bundles.import_bundle(data, renumber=True)
    assert _counts() == before
    assert sorted(_stored_files()) == files_before
