"""MIRC teaching files: a MIRCdocument XML, or a zip of one with its images.

samples/mirc/MIRCdocument.xml was written for these tests from the elements MIRC's
author templates and MIRCdocument.xsl use (johnperry/MIRC2); the images are drawn here.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from teachingfile.importing.mirc import _source_text
from teachingfile.importing.services import import_case_file
from teachingfile.importing.sweep import LABEL_WORDS, words
from teachingfile.models import Case, Question, Sex
from tests.teachingfile.importing.builders import GPS_IFD, jpeg_with_gps, zip_of
from tests.teachingfile.importing.helpers import draft_text, pre_reveal_text

pytestmark = pytest.mark.django_db
DOCUMENT = (Path(__file__).parent / "samples" / "mirc" / "MIRCdocument.xml").read_bytes()
PHI = ("Doe", "Jordan", "RTH-448812", "00912345")


def _import(data: bytes, filename: str) -> tuple[Case, list[str]]:
    report = import_case_file(data=data, filename=filename)
    assert report.ok, report.error
    return Case.objects.get(public_id=report.public_id), report.notes


def _zip(**replace: bytes) -> bytes:
    files = {
        "osteoid/MIRCdocument.xml": DOCUMENT,
        "osteoid/image1.jpg": jpeg_with_gps(),
        "osteoid/image1-an.jpg": jpeg_with_gps(),
        "osteoid/image1_icon.jpg": jpeg_with_gps((32, 24)),
        "osteoid/image2.jpg": jpeg_with_gps((200, 200)),
    }
    files.update({f"osteoid/{name.replace('_', '.')}": data for name, data in replace.items()})
    return zip_of(files)


def test_a_mircdocument_fills_the_case() -> None:
    case, notes = _import(DOCUMENT, "MIRCdocument.xml")
    assert case.status == Case.Status.DRAFT
    assert case.known_title == "Osteoid osteoma of the femoral neck"
    assert case.unknown_title == "Night pain in a teenager"
    assert case.presentation.startswith("Sixteen-year-old with left hip pain")
    assert case.findings.startswith("CT shows a 7 mm cortical nidus")
    assert case.diagnosis == "Osteoid osteoma"
    assert list(case.differentials.values_list("diagnosis", flat=True)) == [
        "Stress fracture",
        "Brodie abscess",
        "osteoblastoma",
    ]
    assert case.discussion.startswith("The nidus makes prostaglandins")
    assert "- Larger: think osteoblastoma." in case.discussion
    assert case.teaching_points.startswith("A small lucent nidus")
    assert case.authors == "Lena Okafor, MD, Sam Ito, MD"
    assert case.credits == "Department of Radiology, Riverside Teaching Hospital"
    assert set(case.keywords.values_list("name", flat=True)) == {
        "bone tumour",
        "nidus",
        "night pain",
    }
    assert (case.region, case.modalities) == ("musculoskeletal", "CT")
    assert (case.patient_age, case.patient_sex) == (16, Sex.MALE)
    assert str(case.source_date) == "2024-05-17"
    assert case.licence.startswith("Copyright Riverside")
    assert case.references.get().citation.startswith("Kransdorf MJ")
    question = case.questions.get()
    assert question.kind == Question.Kind.SINGLE
    assert question.prompt.startswith("Test yourself before reading on.")
    correct = question.choices.get(is_correct=True)
    assert correct.text == "Radiofrequency ablation"
    assert correct.rationale.startswith("Correct. CT-guided ablation")
    # No images in a bare XML: the figures wait for their upload, captions revealed only.
    figures = list(case.figures.all())
    assert [f.caption[:16] for f in figures] == ["Axial CT through", "Bone scan: inten"]
    assert all(not f.image and f.stage == "reveal" and not f.neutral_caption for f in figures)
    assert any("image1.jpg is not in the file" in note for note in notes)
    # What has no field is kept for the author only.
    public = pre_reveal_text(case)
    for secret in (case.diagnosis, case.findings, case.discussion, correct.rationale):
        assert secret.lower() not in public
    assert all(f.caption.lower() not in public for f in figures)
    for kept in ("l.okafor@riverside.example", "Resident", "Ask about aspirin"):
        assert kept in case.unplaced
        assert kept.lower() not in pre_reveal_text(case)


def test_patient_identifiers_are_never_stored() -> None:
    case, _ = _import(_zip(), "osteoid.zip")
    everything = draft_text(case)
    for identifier in PHI:
        assert identifier not in everything


def test_a_mirc_zip_brings_its_images_through_the_pipeline() -> None:
    # The source images really carry a position and a camera, or this proves nothing.
    source = jpeg_with_gps()
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(GPS_IFD) and b"SecretPhone" in source
    case, notes = _import(_zip(), "osteoid.zip")
    first, second = case.figures.all()
    assert first.image and first.display and first.annotated_image and second.image
    assert first.caption.startswith("Axial CT through the femoral neck.")
    for name in (first.image.name, first.annotated_image.name, second.display.name):
        with default_storage.open(name) as stored:
            data = stored.read()
        assert not Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)
        assert b"SecretPhone" not in data and b"ward 7" not in data
    assert not any("not in the file" in note for note in notes)


def test_an_image_the_pipeline_refuses_leaves_its_figure_waiting_and_says_why() -> None:
    case, notes = _import(_zip(image2_jpg=b"\xff\xd8\xff\xe0 not a picture"), "osteoid.zip")
    first, second = case.figures.all()
    assert first.image and not second.image
    assert any(note.startswith("Image 2: its image was refused") for note in notes)


def test_the_draft_holds_every_word_of_the_document_but_the_identifiers() -> None:
    case, _ = _import(_zip(), "osteoid.zip")
    from defusedxml import ElementTree

    source = words(_source_text(ElementTree.fromstring(DOCUMENT)))
    lost = source - words(draft_text(case)) - LABEL_WORDS
    assert lost == set()


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (zip_of({"notes.txt": b"hello"}), "x.zip", "holds no MIRCdocument"),
        (b"<MIRCdocument><title>x</title>", "broken.xml", "not well-formed"),
        (b"<?xml version='1.0'?><html/>", "page.xml", "neither a MIRCdocument"),
    ],
)
def test_a_bad_mirc_file_is_refused_by_name(data: bytes, filename: str, message: str) -> None:
    report = import_case_file(data=data, filename=filename)
    assert not report.ok and message in report.error and filename in report.error
    assert not Case.objects.exists()
