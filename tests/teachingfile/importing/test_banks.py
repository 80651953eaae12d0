"""Question banks: Moodle XML and GIFT in (drafts or a chosen case) and out, round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import AbstractUser
from django.core.management import call_command
from django.test import Client

from teachingfile import services
from teachingfile.importing.banks import question_spec_of, questions_for_export
from teachingfile.importing.gift import read_gift, write_gift
from teachingfile.importing.moodle import write_moodle_xml
from teachingfile.importing.services import import_case_file
from teachingfile.models import Case, Question
from teachingfile.services import AnswerSpec, CaseSpec, ChoiceSpec, QuestionSpec

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).parent / "samples"

QUESTIONS = [
    QuestionSpec(
        prompt="Which sign is shown?",
        kind=Question.Kind.SINGLE,
        explanation="The sign: a *central* mass lifts the fissure.",
        choices=[
            ChoiceSpec("Golden S sign", True, "The reverse S outline."),
            ChoiceSpec("Luftsichel sign", False, "That is left upper lobe collapse."),
            ChoiceSpec("Deep sulcus sign", False, "A supine pneumothorax sign."),
        ],
    ),
    QuestionSpec(
        prompt="Which findings are present? Pick all that apply.",
        kind=Question.Kind.MULTIPLE,
        explanation="Two are present.",
        choices=[
            ChoiceSpec("Elevated minor fissure", True, "Pulled up by the collapse."),
            ChoiceSpec("Hilar mass", True, ""),
            ChoiceSpec("Pleural effusion", False, "None here."),
            ChoiceSpec("Rib fracture {old}", False, "Braces and #hashes survive: 50% = ok."),
        ],
    ),
    QuestionSpec(
        prompt="Name the most likely cause.",
        kind=Question.Kind.FREE_TEXT,
        explanation="Squamous cell carcinoma\nwas confirmed at bronchoscopy.",
        accepted=[
            AnswerSpec("bronchogenic carcinoma", 1.0),
            AnswerSpec("lung cancer", 1.0),
            AnswerSpec("central mass", 0.5),
        ],
    ),
]


def _source_case() -> Case:
    spec = CaseSpec(
        fields={
            "unknown_title": "67-year-old man",
            "presentation": "Smoker with haemoptysis.",
            "known_title": "Right upper lobe collapse",
            "diagnosis": "Right upper lobe collapse",
        },
        questions=QUESTIONS,
    )
    return services.case_build(spec=spec, owner=None, note="test")


@pytest.mark.parametrize("fmt", ["moodle", "gift"])
def test_each_question_kind_survives_a_round_trip(fmt: str) -> None:
    exported = questions_for_export([_source_case()])
    if fmt == "moodle":
        data, filename = write_moodle_xml(exported, category="Chest"), "bank.xml"
    else:
        data, filename = write_gift(exported, category="Chest").encode(), "bank.gift"
    report = import_case_file(data=data, filename=filename)
    assert report.ok, report.error
    assert len(report.public_ids) == 3
    drafts = Case.objects.filter(public_id__in=report.public_ids).order_by("public_id")
    back = [question_spec_of(case.questions.get()) for case in drafts]
    assert back == QUESTIONS
    assert all(case.status == Case.Status.DRAFT for case in drafts)
    assert {k for case in drafts for k in case.keywords.values_list("name", flat=True)} == {"chest"}


def test_a_moodle_bank_written_elsewhere_is_read() -> None:
    report = import_case_file(data=(SAMPLES / "bank.moodle.xml").read_bytes(), filename="n.xml")
    assert report.ok, report.error
    cases = list(Case.objects.filter(public_id__in=report.public_ids).order_by("public_id"))
    assert len(cases) == 4
    abscess, calcification, sign, stroke = (case.questions.get() for case in cases)
    assert abscess.kind == Question.Kind.SINGLE
    assert abscess.prompt == (
        "A solitary ring-enhancing lesion shows **restricted diffusion** in its centre. "
        "Which is most likely?"
    )
    assert abscess.explanation == "Central restricted diffusion favours pus."
    first = abscess.choices.all()[0]
    assert (first.text, first.is_correct) == ("Pyogenic abscess", True)
    assert abscess.choices.get(text="Glioblastoma").rationale.startswith("Necrosis")
    assert calcification.kind == Question.Kind.MULTIPLE
    assert [c.is_correct for c in calcification.choices.all()] == [True, True, False]
    assert sign.kind == Question.Kind.FREE_TEXT
    assert [(a.text, a.score) for a in sign.accepted_answers.all()] == [
        ("dense MCA sign", 1.0),
        ("hyperdense artery", 0.5),
    ]
    assert [c.text for c in stroke.choices.filter(is_correct=True)] == ["True"]
    # The bank's names may name the answer: revealed titles only.
    assert cases[0].unknown_title == "Imported question 1"
    assert cases[0].known_title == "Ring-enhancing lesion"
    assert "abscess" in cases[0].unplaced  # the tag has no field: kept for the author
    assert "Close: the named sign is better." in cases[2].unplaced
    assert any("Match the sequences (matching)" in note for note in report.notes)


def test_a_gift_bank_written_elsewhere_is_read() -> None:
    questions = read_gift((SAMPLES / "bank.gift").read_text(), filename="chest.gift")
    assert [q.spec.kind for q in questions] == ["single", "multiple", "free_text", "single"]
    collapse, silhouette, name, effusion = questions
    assert collapse.category == "Chest"
    assert collapse.spec.explanation.startswith("Look for a central mass")
    assert collapse.spec.choices[0].rationale == "The fissure and a central mass make the S."
    assert [c.is_correct for c in silhouette.spec.choices] == [True, True, False]
    assert name.spec.prompt.startswith("Name the sign of a **deep lateral")
    assert [(a.text, a.score) for a in name.spec.accepted] == [
        ("deep sulcus sign", 1.0),
        ("deep sulcus", 0.5),
    ]
    assert [c.text for c in effusion.spec.choices if c.is_correct] == ["True"]
    assert any("Number (numerical)" in note for note in collapse.notes)


def test_bank_questions_can_join_a_chosen_case() -> None:
    case = _source_case()
    report = import_case_file(
        data=(SAMPLES / "bank.gift").read_bytes(), filename="chest.gift", case=case
    )
    assert report.ok, report.error
    assert report.public_ids == [case.public_id]
    assert list(case.questions.values_list("order", flat=True)) == [1, 2, 3, 4, 5, 6, 7]
    assert Case.objects.count() == 1


def test_a_write_up_cannot_join_a_case() -> None:
    report = import_case_file(data=b"History\n\nA cough.", filename="x.md", case=_source_case())
    assert "only question banks" in report.error


@pytest.mark.parametrize(
    "payload",
    [
        b'<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
        b"<quiz><question type='shortanswer'><name><text>&b;</text></name></question></quiz>",
        b'<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<quiz><question type='essay'><name><text>&x;</text></name></question></quiz>",
    ],
    ids=["entity-expansion", "external-entity"],
)
def test_xml_with_entities_is_refused(payload: bytes) -> None:
    report = import_case_file(data=payload, filename="evil.xml")
    assert not report.ok and "evil.xml" in report.error
    assert not Case.objects.exists()


def test_the_export_command_writes_moodle_xml_and_gift(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = _source_case()
    out = tmp_path / "bank.xml"
    call_command("export_questions", case.public_id, "--output", str(out))
    assert out.read_bytes().count(b"<question type=") == 3
    call_command("export_questions", case.public_id, "--format", "gift")
    assert capsys.readouterr().out.count("::tf-") == 3


def test_faculty_export_questions_from_the_admin(client: Client, faculty: AbstractUser) -> None:
    case = _source_case()
    client.force_login(faculty)
    for action, marker in (
        ("export_questions_moodle", b"<quiz>"),
        ("export_questions_gift", b"::"),
    ):
        response = client.post(
            "/admin/teachingfile/case/", {"action": action, "_selected_action": [case.pk]}
        )
        assert response.status_code == 200
        assert marker in response.content
        assert response["Content-Disposition"].startswith("attachment")


def test_faculty_add_bank_questions_to_their_own_case_from_the_admin(
    client: Client, faculty: AbstractUser
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    mine = _source_case()
    mine.owner = faculty
    mine.save()
    theirs = _source_case()
    client.force_login(faculty)
    bank = (SAMPLES / "bank.gift").read_bytes()
    refused = client.post(
        "/admin/teachingfile/case/import/",
        {"files": [SimpleUploadedFile("chest.gift", bank)], "case": theirs.public_id},
    )
    assert f"No case {theirs.public_id} that you can edit." in refused.content.decode()
    assert theirs.questions.count() == 3
    done = client.post(
        "/admin/teachingfile/case/import/",
        {"files": [SimpleUploadedFile("chest.gift", bank)], "case": mine.public_id},
    )
    assert "1 of 1 file imported" in done.content.decode()
    assert mine.questions.count() == 7
    assert Case.objects.count() == 2


def test_the_import_command_adds_bank_questions_to_a_named_case(
    capsys: pytest.CaptureFixture[str],
) -> None:
    case = _source_case()
    call_command("import_cases", str(SAMPLES / "bank.moodle.xml"), "--case", case.public_id)
    assert f"bank.moodle.xml: questions added to {case.public_id}" in capsys.readouterr().out
    assert case.questions.count() == 7


def test_html_question_text_is_cleaned_and_embedded_images_are_named() -> None:
    (gift,) = read_gift(
        "::Sign::[html]<p>Which <b>sign</b>?</p><script>x()</script> {=Halo ~Crescent}",
        filename="h.gift",
    )
    assert gift.spec.prompt == "Which **sign**?"
    moodle = (
        b'<quiz><question type="shortanswer"><name><text>Pic</text></name>'
        b'<questiontext format="html"><text>What is shown?</text>'
        b'<file name="a.png" encoding="base64">iVBORw0KGgo=</file></questiontext>'
        b'<answer fraction="100"><text>gas</text></answer></question></quiz>'
    )
    report = import_case_file(data=moodle, filename="pic.xml")
    assert report.ok, report.error
    assert "Pic: its embedded images were not imported; upload them" in report.notes
