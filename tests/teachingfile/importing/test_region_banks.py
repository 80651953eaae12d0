"""Question banks and image-region questions (issue 16): what cannot be placed stays out."""

from __future__ import annotations

import pytest

from teachingfile.importing.banks import questions_for_export
from teachingfile.importing.moodle import read_moodle_xml
from teachingfile.models import Question
from tests.factories import CaseFactory, ChoiceFactory, QuestionFactory

pytestmark = pytest.mark.django_db

DDMARKER = b"""<?xml version="1.0"?>
<quiz>
  <question type="ddmarker">
    <name><text>Find the nodule</text></name>
    <questiontext format="html"><text>Drop the marker on the nodule.</text></questiontext>
    <drop><no>1</no><shape>circle</shape><coords>120,80;30</coords><choice>1</choice></drop>
  </question>
  <question type="multichoice">
    <name><text>Which lobe?</text></name>
    <questiontext format="html"><text>Which lobe?</text></questiontext>
    <single>true</single>
    <answer fraction="100"><text>Upper</text></answer>
    <answer fraction="0"><text>Lower</text></answer>
  </question>
</quiz>
"""


def test_a_moodle_marker_question_is_skipped_with_a_note() -> None:
    questions = read_moodle_xml(DDMARKER, filename="bank.xml")
    assert [q.spec.prompt for q in questions] == ["Which lobe?"]
    assert "ddmarker" in " ".join(questions[0].notes)


def test_a_bank_export_leaves_region_questions_out() -> None:
    case = CaseFactory()
    ChoiceFactory(question=QuestionFactory(case=case, order=1), is_correct=True)
    QuestionFactory(case=case, order=2, kind=Question.Kind.REGION)
    names = [name for name, _ in questions_for_export([case])]
    assert names == [f"{case.public_id} Q1"]
