"""Word, PDF and HTML write-ups: read, placed, and their images through the image pipeline."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from django.contrib.auth.models import AbstractUser
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from PIL import Image

from teachingfile.importing.services import import_case_file
from teachingfile.models import Case
from tests.teachingfile.importing.builders import GPS_IFD, jpeg_with_gps, pdf_document

pytestmark = pytest.mark.django_db


def _docx(with_image: bool = True) -> bytes:
    document = docx.Document()
    document.add_heading("Lateral elbow pain in a tennis coach", level=1)
    document.add_heading("History", level=2)
    document.add_paragraph("A 44-year-old man with pain over the outer elbow for six months.")
    findings = document.add_paragraph()
    findings.add_run("Findings:").bold = True
    findings.add_run(" Thickened common extensor origin with a partial-thickness tear.")
    document.add_heading("Diagnosis", level=2)
    document.add_paragraph("Lateral epicondylitis")
    if with_image:
        document.add_picture(io.BytesIO(jpeg_with_gps()))
    document.add_paragraph("Figure 1. Coronal PD fat-saturated image of the elbow.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Tendon"
    table.rows[0].cells[1].text = "Common extensor"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _assert_clean_image(name: str) -> None:
    with default_storage.open(name) as stored:
        data = stored.read()
    image = Image.open(io.BytesIO(data))
    assert not image.getexif().get_ifd(GPS_IFD)
    assert b"SecretPhone" not in data and b"ward 7" not in data


def test_a_word_file_keeps_its_headings_bold_labels_tables_and_image() -> None:
    report = import_case_file(data=_docx(), filename="elbow.docx")
    assert report.ok, report.error
    case = Case.objects.get(public_id=report.public_id)
    assert case.known_title == "Lateral elbow pain in a tennis coach"
    assert case.presentation.startswith("A 44-year-old man with pain over the outer elbow")
    assert case.findings.startswith("Thickened common extensor origin")
    assert case.diagnosis == "Lateral epicondylitis"
    assert "Common extensor" in case.unplaced  # the table: kept for the author
    figure = case.figures.get()
    assert figure.caption.startswith("Coronal PD fat-saturated")
    assert figure.image and figure.display and figure.thumbnail
    _assert_clean_image(figure.image.name)
    # The alt text is shown before the reveal: it must not carry the caption.
    assert "Coronal" not in figure.alt_text


def test_a_pdf_case_report_is_read_with_its_figure() -> None:
    lines = [
        "Gout in a chef",
        "Case report",
        "A 58-year-old man with a red hot first toe for two days.",
        "Imaging findings",
        "Punched-out juxta-articular erosions with overhanging edges.",
        "Figure 1. Dorsoplantar radiograph of the forefoot.",
        "Final diagnosis",
        "Tophaceous gout",
    ]
    report = import_case_file(data=pdf_document(lines, jpeg_with_gps()), filename="gout.pdf")
    assert report.ok, report.error
    case = Case.objects.get(public_id=report.public_id)
    assert case.full_history.startswith("A 58-year-old man with a red hot first toe")
    assert case.findings.startswith("Punched-out juxta-articular erosions")
    assert case.diagnosis == "Tophaceous gout"
    figure = case.figures.get()
    assert figure.label == "Fig. 1" and figure.caption.startswith("Dorsoplantar radiograph")
    _assert_clean_image(figure.image.name)
    assert any("image pipeline" in line for line in report.placed)


def test_a_web_page_is_cleaned_and_its_scripts_dropped() -> None:
    page = b"""<!doctype html><html><head><title>Teaching file</title>
    <script>document.write('alert stealer')</script><style>h2 {color: red}</style></head>
    <body><h1>Hip pain in a runner</h1>
    <h2>History</h2><p>A 24-year-old woman with groin pain on running.</p>
    <h2>Findings</h2><p>Oedema in the <b>inferomedial</b> femoral neck.</p>
    <h2>Diagnosis</h2><p>Femoral neck stress fracture</p>
    <p onclick="steal()">Teaching &amp; learning</p></body></html>"""
    report = import_case_file(data=page, filename="hip.html")
    assert report.ok, report.error
    case = Case.objects.get(public_id=report.public_id)
    assert case.presentation == "A 24-year-old woman with groin pain on running."
    assert case.findings == "Oedema in the **inferomedial** femoral neck."
    assert case.diagnosis == "Femoral neck stress fracture"
    everything = " ".join(str(getattr(case, f.name)) for f in Case._meta.concrete_fields)
    assert "alert stealer" not in everything and "steal()" not in everything
    assert "color: red" not in everything


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("scan.pdf", b"%PDF-1.4 not really", "could not be read as a PDF"),
        ("notes.docx", b"PK\x03\x04 broken", "not a valid Word (.docx) file"),
        ("old.doc", b"\xd0\xcf\x11\xe0 legacy", "files of this kind are not read"),
        ("empty.docx", b"", "is empty"),
    ],
)
def test_a_broken_document_is_refused_with_its_name(
    filename: str, data: bytes, message: str
) -> None:
    report = import_case_file(data=data, filename=filename)
    assert not report.ok
    assert message in report.error and filename in report.error
    assert not Case.objects.exists()


def test_a_batch_with_an_empty_file_imports_the_others_and_names_it(
    client: Client, faculty: AbstractUser
) -> None:
    client.force_login(faculty)
    response = client.post(
        "/admin/teachingfile/case/import/",
        {
            "files": [
                SimpleUploadedFile("empty.md", b""),
                SimpleUploadedFile("elbow.docx", _docx(with_image=False)),
            ]
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "1 of 2 files imported" in body
    assert "empty.md: not imported" in body and "empty.md is empty." in body
    assert Case.objects.get().diagnosis == "Lateral epicondylitis"


def test_the_command_reads_a_word_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "elbow.docx"
    good.write_bytes(_docx(with_image=False))
    empty = tmp_path / "blank.md"
    empty.write_bytes(b"")
    with pytest.raises(CommandError):
        call_command("import_cases", str(good), str(empty))
    out = capsys.readouterr().out
    assert "elbow.docx: imported as draft tf-0001" in out
    assert "blank.md: NOT IMPORTED - blank.md is empty." in out


def test_word_pdf_and_web_drafts_hold_every_word_and_reveal_nothing_early() -> None:
    from teachingfile.importing.documents import read_docx, read_html, read_pdf
    from teachingfile.importing.sweep import LABEL_WORDS, words
    from tests.teachingfile.importing.helpers import draft_text, pre_reveal_text

    lines = ["Case report", "A 58-year-old man with a hot toe.", "Diagnosis", "Tophaceous gout"]
    page = b"<h2>History</h2><p>A 30-year-old woman.</p><h2>Findings</h2><p>Hilar nodes.</p>"
    sources = {
        "elbow.docx": (_docx(with_image=False), lambda d: read_docx(d, filename="x").text),
        "gout.pdf": (pdf_document(lines), lambda d: read_pdf(d, filename="x").text),
        "page.html": (page, lambda d: read_html(d.decode())),
    }
    for filename, (data, text_of) in sources.items():
        report = import_case_file(data=data, filename=filename)
        assert report.ok, report.error
        case = Case.objects.get(public_id=report.public_id)
        assert words(text_of(data)) - words(draft_text(case)) - LABEL_WORDS == set(), filename
        assert case.diagnosis or case.findings, filename
        for secret in filter(None, (case.diagnosis, case.findings)):
            assert secret.lower() not in pre_reveal_text(case), filename
