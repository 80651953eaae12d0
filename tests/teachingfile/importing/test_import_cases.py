"""Importing write-ups: refusals that write nothing, the command, and the admin page."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import AbstractUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from teachingfile.importing.parser import heading_bucket, parse_document
from teachingfile.importing.services import import_case_file
from teachingfile.models import Case, Figure, Question, Reference
from teachingfile.search.query import search_cases

pytestmark = pytest.mark.django_db

WRITE_UP = b"""# Gout of the first toe

Jane Doe MD, John Roe MD

## History

A 58-year-old man with a painful swollen big toe for two days.

## Findings

Juxta-articular erosions with overhanging edges.

**Figure 1.** Radiograph of the foot shows punched-out erosions.

## Diagnosis

Gouty arthropathy

## Discusion

Monosodium urate deposition erodes bone at the joint margin.

## References

1. Smith A. Gout imaging. Radiology 2010; 1(2): 3-4. doi:10.1148/radiol.2020
"""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"   \n\n  \t", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"History\n\n\xff\xfe\xfa caf\xe9 au lait", "not UTF-8"),
        (b"\x01\x02\x03\x04\x05\x06 History", "binary"),
    ],
)
def test_it_refuses_bad_input_with_a_clear_error_and_writes_nothing(
    data: bytes, message: str
) -> None:
    report = import_case_file(data=data, filename="bad.md")
    assert not report.ok
    assert message in report.error and "bad.md" in report.error
    assert not Case.objects.exists()


def test_it_refuses_a_file_over_the_size_limit(settings: pytest.FixtureRequest) -> None:
    settings.IMPORT_MAX_BYTES = 1000  # type: ignore[attr-defined]
    report = import_case_file(data=WRITE_UP * 3, filename="big.md")
    assert "larger than" in report.error
    assert not Case.objects.exists()


def test_it_refuses_text_with_nothing_of_a_case_in_it() -> None:
    report = import_case_file(data=b"## Keywords\n\nfoo, bar", filename="odd.md")
    assert "no history" in report.error
    assert not Case.objects.exists()


def test_a_failure_while_writing_leaves_nothing_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(Reference.objects, "bulk_create", explode)
    with pytest.raises(RuntimeError):
        import_case_file(data=WRITE_UP, filename="gout.md")
    assert not Case.objects.exists() and not Question.objects.exists()


def test_it_imports_a_draft_that_learners_cannot_see_or_find(resident: AbstractUser) -> None:
    report = import_case_file(data=WRITE_UP, filename="gout.md")
    case = Case.objects.get(public_id=report.public_id)
    assert case.status == Case.Status.DRAFT
    assert case.diagnosis == "Gouty arthropathy"
    assert case.known_title == "Gout of the first toe"
    assert case.discussion.startswith("Monosodium urate")  # "Discusion" typo tolerated
    assert case.findings.startswith("Juxta-articular erosions")
    assert case.authors == "Jane Doe MD, John Roe MD"
    assert case.references.get().doi == "10.1148/radiol.2020"
    figure = case.figures.get()
    assert (figure.label, figure.stage) == ("Fig. 1", Figure.Stage.REVEAL)
    assert case.questions.get().accepted_answers.get().text == "Gouty arthropathy"
    assert case.status_changes.get().note == "Imported from gout.md."
    assert search_cases(query="swollen toe", user=resident).total == 0
    assert any("diagnosis" in line for line in report.placed)


def test_heading_matching_tolerates_typos_but_not_strangers() -> None:
    assert heading_bucket("**Refrences**") == "references"
    assert heading_bucket("Follow-up:") == "follow_up"
    assert heading_bucket("Differential Diagnosis List") == "differential"
    assert heading_bucket("Bone Scintigraphy") is None
    assert heading_bucket("Case") is None


def test_figure_captions_in_three_styles_become_figures() -> None:
    text = "History\n\nA cough.\n\nFig. 1 - First.\n\n**Fig. 2** – Second.\n\nFigure 3. Third."
    parsed = parse_document(text)
    assert [(f.label, f.caption) for f in parsed.figures] == [
        ("Fig. 1", "First."),
        ("Fig. 2", "Second."),
        ("Fig. 3", "Third."),
    ]


def test_the_command_reports_each_file_and_fails_when_one_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], faculty: AbstractUser
) -> None:
    good = tmp_path / "gout.md"
    good.write_bytes(WRITE_UP)
    empty = tmp_path / "empty.md"
    empty.write_bytes(b"")
    with pytest.raises(CommandError):
        call_command("import_cases", str(good), str(empty), "--owner", faculty.username)
    out = capsys.readouterr().out
    assert "gout.md: imported as draft tf-0001" in out
    assert "placed   diagnosis" in out
    assert "empty.md: NOT IMPORTED - empty.md is empty." in out
    assert Case.objects.get().owner == faculty
    call_command("import_cases", str(good), "--quiet")
    assert Case.objects.count() == 2


def test_the_command_refuses_an_unknown_owner(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No user"):
        call_command("import_cases", str(tmp_path / "x.md"), "--owner", "nobody")


def test_faculty_import_from_the_admin_and_read_the_report(
    client: Client, faculty: AbstractUser
) -> None:
    client.force_login(faculty)
    changelist = client.get("/admin/teachingfile/case/").content.decode()
    assert "/admin/teachingfile/case/import/" in changelist
    assert client.get("/admin/teachingfile/case/import/").status_code == 200
    response = client.post(
        "/admin/teachingfile/case/import/",
        {
            "files": [
                SimpleUploadedFile("gout.md", WRITE_UP),
                SimpleUploadedFile("photo.md", b"\x00\x01\x02"),
            ]
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "1 of 2 files imported" in body
    assert "gout.md → " in body and "photo.md: not imported" in body
    case = Case.objects.get()
    assert case.owner == faculty and case.status == Case.Status.DRAFT


def test_the_admin_import_asks_for_a_file(client: Client, faculty: AbstractUser) -> None:
    client.force_login(faculty)
    body = client.post("/admin/teachingfile/case/import/", {}).content.decode()
    assert "This field is required" in body
    assert not Case.objects.exists()


@pytest.mark.parametrize("persona", ["resident", "director", "outsider"])
def test_people_who_cannot_add_cases_cannot_import(
    client: Client, request: pytest.FixtureRequest, persona: str
) -> None:
    client.force_login(request.getfixturevalue(persona))
    upload = SimpleUploadedFile("gout.md", WRITE_UP)
    response = client.post("/admin/teachingfile/case/import/", {"files": [upload]})
    assert response.status_code in (302, 403)
    assert not Case.objects.exists()
