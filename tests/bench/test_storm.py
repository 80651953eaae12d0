"""The exam storm's harness: the exam it sets up, the figures it reports, the rows it counts.

The storm itself (50 residents at once) needs gunicorn on a real database file and runs in
`make bench`; here one resident sits the exam against the live test server, and the row
check is shown to catch answers that went missing, changed or were stored twice.
"""

from __future__ import annotations

import importlib.util
import json
import string
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.utils.crypto import get_random_string

from quiz.models import Attempt, Quiz, Response
from teachingfile import roles
from teachingfile.models import Question
from tests.factories import (
    AcceptedAnswerFactory,
    AttemptFactory,
    CaseFactory,
    ChoiceFactory,
    CohortFactory,
    MembershipFactory,
    QuestionFactory,
    make_user,
)

BENCH = Path(settings.BASE_DIR) / "bench"


def _load(name: str) -> ModuleType:
    """A bench script as a module (bench/ is a folder of scripts, not a package)."""
    if f"bench_{name}" in sys.modules:
        return sys.modules[f"bench_{name}"]
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


storm = _load("storm")
probe = _load("probe")


@pytest.fixture
def residents(db: None) -> list[AbstractUser]:
    """Two residents in one cohort, and three published cases of two questions each."""
    make_user("bench-director", roles.DIRECTOR, is_staff=True)
    cohort = CohortFactory()
    people = [make_user(f"bench-resident-{i:04d}", roles.RESIDENT) for i in (1, 2)]
    for person in people:
        MembershipFactory(cohort=cohort, resident=person)
    for _ in range(3):
        case = CaseFactory()
        single = QuestionFactory(case=case, order=1)
        ChoiceFactory(question=single, is_correct=True)
        ChoiceFactory(question=single)
        free = QuestionFactory(case=case, order=2, kind="free_text")
        AcceptedAnswerFactory(question=free, text=f"diagnosis {case.pk}")
    return people


def _exam(tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "exam.json"
    probe.exam(str(out))
    return json.loads(out.read_text())


def _session(user: AbstractUser) -> dict[str, str]:
    """The cookie and CSRF token a logged-in browser sends, as bench/probe.py makes them."""
    client = Client()
    client.force_login(user)
    token = get_random_string(32, string.ascii_letters + string.digits)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {
        "cookie": f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={token}",
        "csrf": token,
    }


def _check(tmp_path: Path, quiz: int, accepted: list[dict[str, Any]]) -> dict[str, Any]:
    path = tmp_path / "accepted.jsonl"
    path.write_text("".join(json.dumps(a) + "\n" for a in accepted))
    return probe.exam_check(quiz, str(path))


def test_it_sets_up_a_timed_exam_assigned_to_the_residents_cohort(
    residents: list[AbstractUser], tmp_path: Path
) -> None:
    spec = _exam(tmp_path)
    quiz = Quiz.objects.get(pk=spec["quiz"])
    assert quiz.is_exam and quiz.time_limit is not None and not quiz.is_open
    assert list(Quiz.objects.available_to(residents[1])) == [quiz]
    assert [case["position"] for case in spec["cases"]] == [1, 2, 3]
    right, wrong = spec["cases"][0]["answers"]
    assert len(right) == 2 and right != wrong
    assert spec["answer"].format(attempt=7, position=2) == (
        f"/quizzes/{quiz.pk}/attempts/7/cases/2/answer/"
    )
    # The CPU trial ran on a copy of the exam, gone with its rows: the storm starts clean.
    assert spec["cpu_ms_per_answer"] > 0
    assert list(Quiz.objects.all()) == [quiz]
    assert not Attempt.objects.exists() and not Response.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_one_resident_sits_the_exam_and_every_answer_is_a_row(
    residents: list[AbstractUser], tmp_path: Path, live_server: Any
) -> None:
    spec = _exam(tmp_path)
    port = int(live_server.url.rsplit(":", 1)[1])
    figures, accepted = storm.run(port, spec, [_session(residents[0])], seconds=60)

    assert figures["starts_ok"] == 1 and figures["distinct_attempts"] == 1
    assert figures["answers_sent"] == figures["answers_accepted"] == 3
    assert figures["not_sent"] == 0 and figures["s5xx"] == 0
    attempt = Attempt.objects.get(user=residents[0], quiz_id=spec["quiz"])
    assert {a["attempt"] for a in accepted} == {attempt.pk}
    check = _check(tmp_path, spec["quiz"], accepted)
    assert check["rows_expected"] == check["rows_stored"] == 6
    assert check["lost"] == check["duplicated"] == 0


def _answered_exam(
    residents: list[AbstractUser], tmp_path: Path
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Both residents' attempts with every first case answered, as the server stores it."""
    spec = _exam(tmp_path)
    quiz = Quiz.objects.get(pk=spec["quiz"])
    fields = spec["cases"][0]["answers"][0]
    accepted = []
    for person in residents:
        attempt = AttemptFactory(user=person, quiz=quiz)
        for key, value in fields.items():
            question = int(key[1:])
            if value.isdigit():
                row = _response(attempt, question, "")
                row.choices.set([int(value)])
            else:
                _response(attempt, question, value)
        accepted.append({"attempt": attempt.pk, "fields": fields})
    return spec, accepted


def _response(attempt: Attempt, question: int, text: str) -> Response:
    q = Question.objects.get(pk=question)
    return Response.objects.create(
        attempt=attempt, question=q, user=attempt.user, case=q.case, answer_text=text, score=1.0
    )


def test_the_check_passes_when_every_accepted_answer_is_stored(
    residents: list[AbstractUser], tmp_path: Path
) -> None:
    spec, accepted = _answered_exam(residents, tmp_path)
    check = _check(tmp_path, spec["quiz"], accepted)
    assert check["rows_expected"] == check["rows_stored"] == 4
    assert check["lost"] == check["duplicated"] == 0
    assert check["residents_started"] == 2


def test_a_missing_row_is_lost(residents: list[AbstractUser], tmp_path: Path) -> None:
    spec, accepted = _answered_exam(residents, tmp_path)
    Response.objects.filter(attempt_id=accepted[0]["attempt"], answer_text="").delete()
    check = _check(tmp_path, spec["quiz"], accepted)
    assert check["missing_rows"] == 1 and check["lost"] == 1


def test_a_row_holding_another_answer_is_lost(
    residents: list[AbstractUser], tmp_path: Path
) -> None:
    spec, accepted = _answered_exam(residents, tmp_path)
    Response.objects.filter(attempt_id=accepted[1]["attempt"]).exclude(answer_text="").update(
        answer_text="something else"
    )
    check = _check(tmp_path, spec["quiz"], accepted)
    assert check["changed_rows"] == 1 and check["lost"] == 1


def test_an_answer_saved_again_counts_once(residents: list[AbstractUser], tmp_path: Path) -> None:
    # An exam answer saved twice replaces the first: the later post is what must be held.
    spec, accepted = _answered_exam(residents, tmp_path)
    first = accepted[0]
    text_key = next(k for k, v in first["fields"].items() if not v.isdigit())
    earlier = {"attempt": first["attempt"], "fields": {**first["fields"], text_key: "old"}}
    check = _check(tmp_path, spec["quiz"], [earlier, *accepted])
    assert check["rows_expected"] == check["rows_stored"] == 4
    assert check["lost"] == check["duplicated"] == 0


def test_a_second_attempt_at_the_exam_is_duplicated(
    residents: list[AbstractUser], tmp_path: Path
) -> None:
    spec, accepted = _answered_exam(residents, tmp_path)
    AttemptFactory(user=residents[0], quiz_id=spec["quiz"])
    check = _check(tmp_path, spec["quiz"], accepted)
    assert check["extra_attempts"] == 1 and check["duplicated"] == 1


def test_figures_count_only_2xx_and_3xx_as_accepted() -> None:
    ok = storm.Post(200, 1.0, 100.0, 1, {"q1": "a"})
    refused = storm.Post(422, 1.2, 10.0, 2, {"q2": "b"})
    dropped = storm.Post(0, 1.1, 60_000.0, 3, {"q3": "c"})
    started = storm.Post(302, 0.5, 40.0)
    resident = storm.Resident(0, "c", "t", attempt=9, start=started)
    resident.answers = [ok, dropped, refused]
    resident.not_sent = 2
    figures = storm.summarise([resident])
    assert figures["answers_sent"] == 3 and figures["answers_accepted"] == 1
    assert figures["answers_refused"] == 1 and figures["socket_errors"] == 1
    assert figures["cases"] == 5 and figures["not_sent"] == 2
    assert storm.accepted([resident]) == [{"attempt": 9, "fields": {"q1": "a"}}]


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert storm.percentile(values, 0.5) == 50.0
    assert storm.percentile(values, 0.99) == 99.0
    assert storm.percentile([7.0], 0.99) == 7.0
    assert storm.percentile([], 0.5) is None
