"""The exam storm: a cohort starts the same timed exam within one second, then answers it.

Run by bench/run.py against the gunicorn it started, after the load test. One thread per
resident (the load test's residents, already logged in by bench/probe.py): each opens its
connection, waits at a barrier with the others, then all POST the quiz start URL at once;
each then answers every case of the exam once, in order, with the fields the exam page's
form posts (htmx, as a browser with scripts sends them), one request after another.

Plain http.client and threads, no keep-alive: gunicorn's sync workers close every
connection after one response, as they do for a browser. The storm stops sending when
its time runs out (BENCH_STORM_SECONDS); answers not sent by then are counted, never
guessed. Which answers were stored is checked in the database afterwards
(`bench/probe.py exam-check`): rows, not posts.
"""

from __future__ import annotations

import http.client
import math
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

# The start redirects to the attempt's first unanswered case.
ATTEMPT_URL = re.compile(r"/attempts/(\d+)/cases/\d+/")
TIMEOUT_S = 60.0


@dataclass
class Post:
    """One request's outcome; status 0 is a socket error or timeout."""

    status: int
    sent_at: float
    ms: float
    position: int = 0
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class Resident:
    index: int
    cookie: str
    csrf: str
    attempt: int | None = None
    start: Post | None = None
    answers: list[Post] = field(default_factory=list)
    not_sent: int = 0


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile: the smallest value with `share` of all values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def _send(
    connection: http.client.HTTPConnection,
    resident: Resident,
    path: str,
    fields: dict[str, str],
    *,
    htmx: bool,
) -> tuple[Post, str]:
    """POST a form as the resident; returns the outcome and the Location header, if any."""
    headers = {
        "Cookie": resident.cookie,
        "X-CSRFToken": resident.csrf,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    if htmx:
        headers["HX-Request"] = "true"
    body = urlencode({"csrfmiddlewaretoken": resident.csrf, **fields})
    started = time.perf_counter()
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        status, location = response.status, response.getheader("Location") or ""
    except OSError:
        status, location = 0, ""
    finally:
        connection.close()
    return Post(status, started, (time.perf_counter() - started) * 1000), location


def _sit(
    port: int, spec: dict[str, Any], resident: Resident, barrier: threading.Barrier, stop: float
) -> None:
    """One resident's exam: start with the others, then answer each case once, in order."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    try:
        # Connect first, so that the barrier releases requests, not TCP handshakes.
        connection.connect()
        barrier.wait()
    except (OSError, threading.BrokenBarrierError):
        connection.close()
        resident.start = Post(0, time.perf_counter(), 0.0)
        resident.not_sent = len(spec["cases"])
        return
    resident.start, location = _send(connection, resident, spec["start"], {}, htmx=False)
    match = ATTEMPT_URL.search(location)
    if resident.start.status != 302 or not match:
        resident.not_sent = len(spec["cases"])
        return
    resident.attempt = int(match.group(1))
    for number, case in enumerate(spec["cases"]):
        if time.perf_counter() >= stop:
            resident.not_sent = len(spec["cases"]) - number
            return
        # A mix of right and wrong answers, different for neighbouring residents.
        fields = case["answers"][0 if (resident.index + number) % 3 else 1]
        path = spec["answer"].format(attempt=resident.attempt, position=case["position"])
        # A new connection per answer, its set-up timed too: as a browser meets a sync worker.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
        post, _ = _send(connection, resident, path, fields, htmx=True)
        post.position, post.fields = case["position"], fields
        resident.answers.append(post)


def run(
    port: int, spec: dict[str, Any], sessions: list[dict[str, str]], seconds: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Drive the storm; returns (figures, accepted answers) for exam-check to verify."""
    residents = [
        Resident(index, session["cookie"], session["csrf"])
        for index, session in enumerate(sessions)
    ]
    barrier = threading.Barrier(len(residents), timeout=30)
    stop = time.perf_counter() + seconds
    threads = [
        threading.Thread(target=_sit, args=(port, spec, r, barrier, stop), daemon=True)
        for r in residents
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        # Each request times out on its own; this only guards against a hung thread.
        thread.join(timeout=seconds + TIMEOUT_S * 2)
    return summarise(residents), accepted(residents)


def accepted(residents: list[Resident]) -> list[dict[str, Any]]:
    """Answers the server took (2xx/3xx), in the order they were sent: what must be stored."""
    posts = [
        (post.sent_at, resident.attempt, post.fields)
        for resident in residents
        for post in resident.answers
        if 200 <= post.status < 400
    ]
    posts.sort(key=lambda post: post[0])
    return [{"attempt": attempt, "fields": fields} for _, attempt, fields in posts]


def summarise(residents: list[Resident]) -> dict[str, Any]:
    starts = [r.start for r in residents if r.start is not None]
    started_ok = sum(1 for r in residents if r.attempt is not None)
    answers = [post for r in residents for post in r.answers]
    ok = [post for post in answers if 200 <= post.status < 400]
    if answers:
        first = min(post.sent_at for post in answers)
        last = max(post.sent_at + post.ms / 1000 for post in answers)
        window = last - first
    else:
        window = 0.0
    sends = [s.sent_at for s in starts]
    latencies = [post.ms for post in answers]
    start_latencies = [s.ms for s in starts]

    def ms(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    return {
        "residents": len(residents),
        "cases": max((len(r.answers) + r.not_sent for r in residents), default=0),
        "starts_ok": started_ok,
        "starts_failed": len(residents) - started_ok,
        # How far apart the 50 start requests left the client: "within one second".
        "starts_spread_ms": ms((max(sends) - min(sends)) * 1000 if sends else None),
        "starts_p50_ms": ms(percentile(start_latencies, 0.5)),
        "starts_p99_ms": ms(percentile(start_latencies, 0.99)),
        "distinct_attempts": len({r.attempt for r in residents if r.attempt is not None}),
        "answers_sent": len(answers),
        "answers_accepted": len(ok),
        "answers_refused": sum(1 for post in answers if 400 <= post.status < 500),
        "s5xx": sum(1 for post in answers if post.status >= 500),
        "socket_errors": sum(1 for post in answers if post.status == 0),
        "not_sent": sum(r.not_sent for r in residents),
        "seconds": round(window, 2),
        "answers_per_s": round(len(ok) / window, 1) if window else 0.0,
        "p50_ms": ms(percentile(latencies, 0.5)),
        "p99_ms": ms(percentile(latencies, 0.99)),
    }
