"""Write-ups in the shapes departments have: each placed, nothing lost, nothing spoiled.

The samples in samples/ were written for these tests (no source was copied); each stands
for one shape faculty bring: an in-training item, a Eurorad-style page, a
Radiopaedia-style case, an AJR case of the week, a faculty e-mail, a journal quiz with
numbered answers, and a Markdown file with Setext headings and bold labels.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest
from django.conf import settings

from teachingfile.importing.parser import parse_document
from teachingfile.importing.patterns import clean_markup
from teachingfile.importing.services import import_case_file
from teachingfile.importing.sweep import LABEL_WORDS, words
from teachingfile.models import Case, Question, Sex
from tests.teachingfile.importing.helpers import draft_text, pre_reveal_text

SAMPLES = Path(__file__).parent / "samples"
SEEDS = Path(
    os.environ.get("SEED_DOCUMENTS") or Path(settings.BASE_DIR).parent / "shared" / "seeds"
)
WRITE_UPS = sorted(p for p in SAMPLES.iterdir() if p.suffix in (".md", ".txt"))

pytestmark = pytest.mark.django_db


def _import(path: Path) -> Case:
    report = import_case_file(data=path.read_bytes(), filename=path.name)
    assert report.ok, report.error
    return Case.objects.get(public_id=report.public_id)


def _all_sources() -> list[Path]:
    seeds = sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
    return WRITE_UPS + seeds


@pytest.mark.parametrize("path", _all_sources(), ids=lambda p: p.name)
def test_the_draft_holds_every_word_of_its_source(path: Path) -> None:
    case = _import(path)
    held = words(draft_text(case))
    source = words(clean_markup(path.read_text(encoding="utf-8")))
    lost = source - held - LABEL_WORDS
    assert lost == set()


@pytest.mark.parametrize("path", WRITE_UPS, ids=lambda p: p.name)
def test_nothing_of_the_answer_is_shown_before_answering(path: Path) -> None:
    case = _import(path)
    public = pre_reveal_text(case)
    secrets = [case.diagnosis, case.findings, case.discussion, case.unplaced]
    secrets += [c.rationale for q in case.questions.all() for c in q.choices.all()]
    secrets += [q.explanation for q in case.questions.all()]
    for secret in filter(None, secrets):
        for sentence in secret.split("\n"):
            sentence = sentence.strip().lower()
            # The correct choice is one of the choices: that it is offered is no leak.
            offered = any(
                sentence.strip(" .") == c.text.lower()
                for q in case.questions.all()
                for c in q.choices.all()
            )
            if len(sentence) >= 12 and not offered:
                assert sentence not in public


def test_an_in_training_item_becomes_a_single_best_answer_question() -> None:
    case = _import(SAMPLES / "in_training_item.md")
    question = case.questions.get()
    assert question.kind == Question.Kind.SINGLE
    assert question.prompt == "Which is the most likely diagnosis?"
    choices = list(question.choices.all())
    assert [c.text for c in choices][:2] == ["Graves disease", "Toxic multinodular goitre"]
    assert [c.text for c in choices if c.is_correct] == ["Painless thyroiditis"]
    assert not question.accepted_answers.exists()
    assert all(c.rationale for c in choices)
    assert choices[3].rationale.startswith("Postpartum painless thyroiditis")
    assert case.diagnosis == "Painless thyroiditis"
    assert "eight weeks after delivering" in case.presentation
    assert "Which is the most likely" not in case.presentation
    assert "uptake diffusely" not in case.findings  # rationales are not findings
    assert case.known_title == "Thyroid item 12"


def test_a_eurorad_page_with_headings_on_the_line_above_their_text() -> None:
    case = _import(SAMPLES / "eurorad_style.txt")
    assert case.source_reference == "Case 14872"
    assert case.diagnosis == "Sclerosing mesenteritis"
    assert case.known_title.startswith("Sclerosing mesenteritis in a man")
    assert case.presentation.startswith("A 61-year-old man has had dull central")
    assert case.findings.startswith("Contrast CT shows a fatty mass")
    assert case.discussion.startswith("The fat halo")
    assert list(case.differentials.values_list("diagnosis", flat=True)) == [
        "Sclerosing mesenteritis",
        "Mesenteric lymphoma",
        "Carcinoid tumour of the mesentery",
        "Peritoneal carcinomatosis",
    ]
    figures = list(case.figures.all())
    assert [f.label for f in figures] == ["Fig. 1", "Fig. 2"]
    assert (
        figures[0].caption.startswith("Axial contrast CT") and "Coronal" not in figures[0].caption
    )
    assert [r.citation[:10] for r in case.references.all()] == ["Horton KM,", "Coulier B."]


def test_a_radiopaedia_case_keeps_findings_and_discussion_out_of_the_presentation() -> None:
    case = _import(SAMPLES / "radiopaedia_style.md")
    assert case.presentation == "Smoker with haemoptysis for three weeks."
    assert case.findings.startswith("Frontal chest radiograph")
    assert case.discussion.startswith("The Golden S sign")
    assert (case.patient_age, case.patient_sex) == (67, Sex.MALE)
    assert case.unknown_title == "67-year-old man"


def test_an_ajr_case_of_the_week_takes_its_diagnosis_from_the_answer() -> None:
    case = _import(SAMPLES / "ajr_case_of_the_week.txt")
    assert case.diagnosis == "Bucket-handle tear of the medial meniscus"
    assert case.known_title == case.diagnosis
    assert case.source_reference == "AJR Case of the Week - Week 37"
    assert case.findings.startswith("Sagittal proton-density MR")
    assert "double PCL sign" in case.discussion


def test_a_faculty_email_keeps_headers_greeting_and_signature_apart() -> None:
    case = _import(SAMPLES / "faculty_email.txt")
    assert case.diagnosis == "Obstructing right distal ureteric calculus"
    assert case.presentation.startswith("52-year-old woman with right flank pain")
    assert case.findings.startswith("Unenhanced CT shows a 6 mm calculus")
    assert list(case.differentials.values_list("diagnosis", flat=True)) == [
        "phlebolith",
        "calcified iliac artery",
        "appendicolith",
    ]
    assert not case.teaching_points
    for kept in ("Subject: case for Thursday conference", "Pager 4471", "Hi all", "stone case"):
        assert kept in case.unplaced
        assert kept not in pre_reveal_text(case)


def test_numbered_answers_ratings_and_lab_lines() -> None:
    case = _import(SAMPLES / "quiz_with_answers.md")
    q1, q2 = case.questions.all()
    assert q1.prompt == "Which finding stands out on the bone scan?"
    assert q1.explanation.startswith("Diffuse uptake in the lungs")
    assert q2.explanation.startswith("Secondary hyperparathyroidism")
    assert case.diagnosis == "Secondary hyperparathyroidism with metastatic calcification"
    rating = case.ratings.get()
    assert (rating.difficulty, rating.quality) == (3, 4)
    assert set(case.keywords.values_list("name", flat=True)) == {
        "renal osteodystrophy",
        "metastatic calcification",
    }
    labs = list(case.lab_values.all())
    assert [(x.name, x.value, x.unit, x.reference_range) for x in labs] == [
        ("Serum Calcium", "11.2", "mg/dl", "8.6 - 10.3 mg/dl"),
        ("Parathyroid Hormone", "890", "pg/ml", "10 - 65 pg/ml"),
    ]
    # They were given with the history: residents see them with the presentation.
    assert all(x.shown_before_reveal for x in labs)
    assert "Serum Calcium" not in case.presentation


def test_setext_headings_and_bold_labels() -> None:
    case = _import(SAMPLES / "setext_and_bold.md")
    assert case.known_title == "Hip pain in a runner"
    assert case.presentation.startswith("A 24-year-old female marathon runner")
    assert case.findings.startswith("Coronal STIR MR shows oedema")
    assert case.diagnosis == "Compression-side femoral neck stress fracture"
    assert case.teaching_points.startswith("Compression-side fractures are usually")


# Every way of writing a heading, with and without a blank line under it.
_STYLES = {
    "atx": "## {h}\n\n{t}",
    "atx-tight": "## {h}\n{t}",
    "bold": "**{h}**\n\n{t}",
    "bold-label": "**{h}:** {t}",
    "label": "{h}: {t}",
    "bare": "{h}\n\n{t}",
    "bare-tight": "{h}\n{t}",
    "setext": "{h}\n-------\n\n{t}",
}
_SECRET_SECTIONS = {
    "Findings": "Zebrafindingword lesion enhances avidly.",
    "Diagnosis": "Quaggadiagnosisword",
    "Discussion": "Okapidiscussionword explains the sign.",
    "Answer": "Tapiranswerword is the answer.",
}


@pytest.mark.parametrize("style", list(_STYLES))
@pytest.mark.parametrize("history", ["History", "Presentation", "Hx", "Clinical History"])
def test_no_answer_section_lands_in_a_pre_reveal_field_whatever_the_layout(
    style: str, history: str
) -> None:
    template = _STYLES[style]
    for order in itertools.islice(itertools.permutations(_SECRET_SECTIONS), 0, 24, 5):
        sections = [template.format(h=history, t="A 50-year-old man with a cough.")]
        # Headings nobody planned for, right after the history: unsure, so not shown.
        sections.append(template.format(h="Impression", t="Yakimpressionword"))
        sections += [template.format(h=name, t=_SECRET_SECTIONS[name]) for name in order]
        parsed = parse_document("# A teaching case\n\n" + "\n\n".join(sections))
        shown = " ".join(
            [parsed.text("presentation"), parsed.text("unknown_title")]
            + [q.prompt for q in parsed.questions]
            + [c.text for q in parsed.questions for c in q.choices]
        ).lower()
        for marker in ("zebra", "quagga", "okapi", "tapir", "yak"):
            assert marker not in shown, (style, order, parsed.text("presentation"))
        assert "cough" in parsed.text("presentation")


def test_a_lettered_list_in_the_discussion_is_not_a_question() -> None:
    parsed = parse_document(
        "## History\n\nA 40-year-old man with a cough.\n\n## Discussion\n\n"
        "Why does the halo matter?\n\nA. Zebrahalo fungal infection\nB. Quaggahalo bleed"
    )
    assert not [q for q in parsed.questions if q.choices]
    assert "Zebrahalo" in parsed.text("discussion")


def test_a_rating_under_the_keywords_is_a_rating_not_a_keyword() -> None:
    parsed = parse_document("History: A cough.\n\nKeywords:\nsarcoidosis, hilar nodes\n#D2 #Q4")
    assert parsed.keywords == ["sarcoidosis", "hilar nodes"]
    assert parsed.rating == (2, 4)
