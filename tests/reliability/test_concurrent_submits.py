"""Concurrent submits lose nothing: every accepted answer is one row, duplicates are one row.

Real concurrency needs a real server: gunicorn with several worker processes and threads
on a SQLite file in WAL mode (see liveprocess.py), hit by threads that a barrier releases
at the same moment.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from tests.reliability.liveprocess import Browser, LiveProcess, Reply, log_in

pytestmark = pytest.mark.slow

COUNT = """
from quiz.models import Attempt, Response
out = {}
for name in %r:
    out[name] = {
        "attempts": Attempt.objects.filter(user__username=name, kind="case").count(),
        "questions": sorted(
            Response.objects.filter(user__username=name, attempt__kind="case")
            .values_list("question_id", flat=True)
        ),
    }
print(json.dumps(out))
"""


def _run_together(jobs: list[Callable[[], Reply]]) -> list[Any]:
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=20)
            results[index] = jobs[index]()
        except Exception as error:  # a crash in a thread must fail the test, not vanish
            results[index] = error

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_many_learners_and_triple_clicks_at_once_lose_nothing(
    server: tuple[LiveProcess, dict],
) -> None:
    live, data = server
    names = [f"learner{i}" for i in range(6)]
    browsers = log_in(live, *names)
    answer = {f"q{data['first']}": data["right"], f"q{data['second']}": data["wrong"]}
    path = f"/cases/{data['case']}/answer/"

    jobs: list[Callable[[], Reply]] = []
    for name in names:
        for _ in range(3):  # the same answer sent three times at once
            jobs.append(lambda b=browsers[name]: b.request(path, answer))
    replies = _run_together(jobs)

    assert [r for r in replies if not isinstance(r, Reply)] == []
    assert [r.status for r in replies if r.status >= 500] == []
    assert all(r.status in {302, 409} for r in replies), [r.status for r in replies]
    stored = live.run_script(COUNT % (names,))
    for name in names:
        # One attempt, one row per question: the duplicates were absorbed, not stored.
        assert stored[name] == {
            "attempts": 1,
            "questions": sorted([data["first"], data["second"]]),
        }, name


def test_one_learner_answering_every_case_at_once_keeps_every_answer(
    server: tuple[LiveProcess, dict],
) -> None:
    live, data = server
    tabs: Browser = log_in(live, "learner0")["learner0"]
    started = tabs.request(f"/quizzes/{data['quiz']}/start/", {})
    assert started.status == 302
    attempt = started.location.rstrip("/").split("/")[-3]

    jobs: list[Callable[[], Reply]] = []
    for position, (question, choice) in enumerate(data["items"], start=1):
        path = f"/quizzes/{data['quiz']}/attempts/{attempt}/cases/{position}/answer/"
        for _ in range(2):
            jobs.append(lambda p=path, d={f"q{question}": choice}: tabs.request(p, d))
    replies = _run_together(jobs)

    assert [r for r in replies if not isinstance(r, Reply)] == []
    assert [r.status for r in replies if r.status >= 500] == []
    rows = live.run_script(
        "from quiz.models import Response\n"
        f"rows = Response.objects.filter(attempt_id={attempt})\n"
        "print(json.dumps([[r.question_id, r.score] for r in rows]))"
    )
    assert sorted(q for q, _ in rows) == sorted(q for q, _ in data["items"])
    assert all(score == 1 for _, score in rows)
