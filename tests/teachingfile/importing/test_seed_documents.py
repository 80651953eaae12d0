"""The five seed write-ups import as drafts with each section in its field."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

from teachingfile.importing.services import import_case_file
from teachingfile.models import Case

# Beside the repository; SEED_DOCUMENTS points elsewhere (a worktree one level deeper).
SEEDS = Path(
    os.environ.get("SEED_DOCUMENTS") or Path(settings.BASE_DIR).parent / "shared" / "seeds"
)
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not SEEDS.is_dir() or len(list(SEEDS.glob("*.txt"))) < 5,
        reason=f"the seed write-ups are not beside the repository ({SEEDS})",
    ),
]


def _import(prefix: str) -> Case:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    report = import_case_file(data=path.read_bytes(), filename=path.name)
    assert report.ok, report.error
    return Case.objects.get(public_id=report.public_id)


def _assert_common(case: Case) -> None:
    assert case.status == Case.Status.DRAFT
    assert case.published_at is None
    assert case.presentation.strip()
    assert case.findings.strip()
    assert case.discussion.strip()
    assert case.references.exists()
    questions = list(case.questions.all())
    assert questions
    # Every question has its answer: an explanation or accepted answers.
    for question in questions:
        assert question.explanation or question.accepted_answers.exists()


def test_the_journal_quiz_keeps_its_two_questions_with_their_answers() -> None:
    case = _import("000")
    _assert_common(case)
    assert case.presentation.startswith("40 years old lady")
    assert "mastectomy" in case.presentation
    q1, q2 = case.questions.all()
    assert "abnoral fnding" in q1.prompt
    assert q1.explanation.startswith("Both scans show a curvilinear area")
    assert q2.prompt == "Your diagnosis?"
    assert "modfied mastectmoy" in q2.explanation and "CT scan" in q2.explanation
    assert "calcification" in case.diagnosis.lower()
    assert case.known_title.startswith("Soft Tissue Calcification on Bone Scan")
    assert case.discussion.startswith("Bone scan is the most commonly performed")
    assert "dystrophic calcification" in case.discussion
    assert case.references.get().citation.startswith("Tarsarya S")
    assert case.authors == "Maseeh uz Zaman, Nosheen Fatima"
    assert "Aga Khan University Hospital" in case.credits
    assert case.source_citation == "PJR January - March 2015; 25(1): 43-44"
    assert (case.patient_age, case.patient_sex) == (40, "F")


def test_the_teaching_file_page_fills_history_labs_findings_and_provenance() -> None:
    case = _import("001")
    _assert_common(case)
    assert case.diagnosis == "Metastatic calcification from chronic renal insufficiency"
    assert case.presentation == "63 year old woman with progressive worsening mid back pain."
    assert case.full_history.startswith("This is a 53 year old woman")
    assert "Plasma Phosphorus" not in case.full_history
    labs = {lab.name: (lab.value, lab.unit, lab.reference_range) for lab in case.lab_values.all()}
    assert labs["Plasma Phosphorus"] == ("5.8", "mg/dl", "2.3 - 4.3 mg/dl")
    assert len(labs) == 4
    assert case.technique.startswith("Tc99m MDP")
    assert case.findings.startswith("Bone Scintigraphy: Diffuse increased activity")
    assert "Thoracic spine radiographs" in case.findings
    assert case.discussion.startswith("Soft tissue accumulation of Tc99m MDP")
    assert case.follow_up.startswith("The patient is currently still on immunosuppression")
    assert case.differentials.get().note.startswith("If the patient had a recent lung scan")
    assert case.references.get().url == "http://www.auntminnie.com/"
    assert case.companion_note == "For companion case see case #BS113"
    assert case.category == "metabolic"
    assert case.source_reference == "bs139"
    assert case.licence == "Copyright by Wash U MO"
    assert str(case.source_date) == "2004-04-26"
    assert case.authors.startswith("Dennis Hsueh, M.D., Markus Lammle")
    rating = case.ratings.get()
    assert (rating.difficulty, rating.quality) == (2, 3)
    assert case.modality_codes == ["NM", "DX"]


def test_the_case_report_fills_history_discussion_figures_and_references() -> None:
    case = _import("002")
    _assert_common(case)
    assert case.known_title.startswith("Calciophylaxis on bone scan")
    assert case.diagnosis == "Calciophylaxis"
    assert case.full_history.startswith("A 65-year-old male with long-term end-stage renal")
    # The sentence split by the page break and the two figures is whole again.
    assert "underlying calcification of arteries and subcutaneous fat" in case.full_history
    assert case.presentation.endswith("bilateral ankle pain of unclear etiology.")
    assert case.discussion.startswith("Calciophylaxis is a rare condition")
    assert "Calciphylaxis represents extensive microangiopathy" in case.discussion
    assert [f.label for f in case.figures.all()] == ["Fig. 1", "Fig. 2"]
    assert all(f.stage == "reveal" and not f.image for f in case.figures.all())
    assert case.references.count() == 5
    assert set(case.keywords.values_list("name", flat=True)) == {
        "calciophylaxis",
        "bone scan",
        "calcific uremic microangiopathy",
    }
    assert case.source_doi == "10.1016/j.radcr.2016.11.027"
    assert "CC BY-NC-ND" in case.licence
    assert case.authors.startswith("Malak Itani MD")
    assert case.questions.get().accepted_answers.get().text == "Calciophylaxis"


def test_the_imaging_quiz_takes_its_diagnosis_from_the_last_line() -> None:
    case = _import("003")
    _assert_common(case)
    assert case.diagnosis == "Dystrophic breast calcification in scleroderma"
    assert case.full_history.startswith("A 45-year-old woman with a four year history")
    assert case.discussion.startswith("Dystrophic calcification (DC) is the calcification")
    assert "five-year survival is 70%" in case.discussion
    assert case.figures.count() == 5
    assert case.references.count() == 3
    assert case.authors == "M. Tsitskari, S. Kampanarou, S. Tanteles, L. Thanos"
    assert case.source_reference == "Case 29"
    assert "ARCHIVES OF HELLENIC MEDICINE" in case.source_citation
    assert case.modality_codes == ["DX", "CT", "US"]


def test_the_plain_text_case_report_finds_its_sections_without_markup() -> None:
    case = _import("004")
    _assert_common(case)
    assert case.known_title == "Tumoral calcinosis mimicking recurrent osteosarcoma"
    assert case.diagnosis == "Tumoral calcinosis"
    assert case.full_history.startswith("Our case is a 29-year-old woman")
    assert case.discussion.startswith("Osteosarcoma is the most common primary bone malignancy")
    assert "intramedullary nail" in case.discussion
    # The running page header repeating the title is not text of the case.
    assert "osteosarcoma\n\nTumoral calcinosis mimicking" not in case.discussion
    assert case.references.count() == 25
    assert case.references.last().citation.startswith("Okuyama C")
    assert "Last access 9/7/09" in case.references.get(order=12).citation
    assert case.source_doi == "10.2484/rcr.v4i4.336"
    assert case.source_citation.startswith("Petscavage JM, Richardson ML.")
    assert case.teaching_points.startswith("We report a case of a tumoral calcinosis")
    assert (case.patient_age, case.patient_sex) == (29, "F")


def test_an_imported_unknown_title_never_names_the_diagnosis() -> None:
    for prefix in ("000", "001", "002", "003", "004"):
        case = _import(prefix)
        assert case.unknown_title.endswith(("woman", "man"))
        assert case.diagnosis.lower() not in case.unknown_title.lower()
