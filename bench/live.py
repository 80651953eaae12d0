"""Load test of a live case conference: 200 phones, one big screen, a real server.

    .venv/bin/python bench/live.py                  # SQLite
    BENCH_DB=postgres .venv/bin/python bench/live.py
    BENCH_DB=both .venv/bin/python bench/live.py    # writes var/bench/live.json

For each database: a fresh database (PostgreSQL: BENCH_PG_URL, default tf_live_bench),
migrate, collectstatic, then a set-up in Django that makes a presenter, the participants
(logged-in sessions written to the session store, no password hashing) and a session of
QUESTIONS single-answer questions. gunicorn (gunicorn.conf.py, production settings,
BENCH_WORKERS x BENCH_THREADS) serves it. One asyncio process then plays every phone and
the big screen over keep-alive HTTP/1.1 connections:

* each participant joins by code (POST /live/join/), then polls its stage as the page
  does (every PARTICIPANT_POLL_MS, If-None-Match), and answers each open question at a
  random moment within ANSWER_WINDOW seconds; one in ten changes its answer once;
* the presenter polls its stage (every PRESENTER_POLL_MS, If-None-Match) and steps the
  session: open, wait for the window, close, spread, reveal, next question.

Measured: answers accepted (2xx/302), refused, lost (accepted but not stored as the last
answer given), duplicated (more than one response per participant and question), the
answer POST latency (p50, p95, p99), how long after the last accepted answer the big
screen's count was right, the share of polls answered 304, and the server's CPU time
(gunicorn master and workers, from /proc) per participant per second.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(1, str(ROOT))

import run as bench_run  # noqa: E402  (bench/run.py: server environment, fresh databases)

PARTICIPANTS = int(os.environ.get("BENCH_PARTICIPANTS", "200"))
QUESTIONS = int(os.environ.get("BENCH_QUESTIONS", "3"))
ANSWER_WINDOW = float(os.environ.get("BENCH_ANSWER_WINDOW", "10"))
PORT = int(os.environ.get("BENCH_PORT", "8041"))
PARTICIPANT_POLL_MS = 700  # live.state.PARTICIPANT_POLL_MS
PRESENTER_POLL_MS = 500  # live.state.PRESENTER_POLL_MS
RACERS = float(os.environ.get("BENCH_RACERS", "0.1"))  # share of phones racing each close
OUT = ROOT / "var" / "bench" / "live.json"
UNUSABLE = "!"  # Django's mark for "no password": the phones log in by session cookie


# ---------------------------------------------------------------- set-up (inside Django)


def setup(out: str) -> None:
    # This file is bench/live.py: with bench/ on the path, `live` would name it, not the app.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.modules.pop("live", None)
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore

    from live.services import session_start
    from teachingfile import roles
    from teachingfile.models import Case, Choice, Question

    roles.ensure_groups()
    User = get_user_model()
    presenter = User.objects.create(username="bench-presenter", is_staff=True)
    presenter.groups.add(Group.objects.get(name=roles.FACULTY))
    residents = User.objects.bulk_create(
        User(username=f"bench-live-{n:04d}", password=UNUSABLE) for n in range(PARTICIPANTS)
    )
    resident_group = Group.objects.get(name=roles.RESIDENT)
    User.groups.through.objects.bulk_create(
        User.groups.through(user_id=u.pk, group_id=resident_group.pk) for u in residents
    )
    cases, choices = [], {}
    for n in range(QUESTIONS):
        case = Case.objects.create(
            public_id=f"tf-{9500 + n}",
            status=Case.Status.PUBLISHED,
            unknown_title=f"Bench patient {n}",
            presentation="Pain.",
            known_title=f"Known {n}",
            diagnosis=f"Diagnosis {n}",
            owner=presenter,
        )
        question = Question.objects.create(case=case, order=1, prompt=f"Finding {n}?")
        made = Choice.objects.bulk_create(
            Choice(question=question, order=o, text=f"Choice {o}", is_correct=o == 0)
            for o in range(4)
        )
        choices[question.pk] = [c.pk for c in made]
        cases.append(case)
    session = session_start(presenter=presenter, title="Bench conference", cases=cases)

    def cookie(user: Any) -> str:
        store = SessionStore()
        store["_auth_user_id"] = str(user.pk)
        store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        store["_auth_user_hash"] = user.get_session_auth_hash()
        store.create()
        return store.session_key or ""

    data = {
        "code": session.code,
        "cookie_name": settings.SESSION_COOKIE_NAME,
        "presenter": cookie(presenter),
        "participants": [cookie(u) for u in residents],
        "choices": {str(k): v for k, v in choices.items()},
    }
    Path(out).write_text(json.dumps(data))


# ---------------------------------------------------------------- a tiny HTTP/1.1 client


class Conn:
    """One keep-alive connection, one request at a time (a phone's browser tab)."""

    def __init__(self, cookie: str, cookie_name: str) -> None:
        self.csrf = os.urandom(16).hex()  # a 32-character secret: cookie and header agree
        self.cookies = f"{cookie_name}={cookie}; csrftoken={self.csrf}"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, body: str = "", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        for attempt in range(3):
            try:
                return await self._request(method, path, body, headers or {})
            except (ConnectionError, asyncio.IncompleteReadError):
                self.writer = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _request(
        self, method: str, path: str, body: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", PORT)
        assert self.reader is not None
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: 127.0.0.1:{PORT}",
            f"Cookie: {self.cookies}",
            f"X-CSRFToken: {self.csrf}",
            f"Referer: http://127.0.0.1:{PORT}/",
            "Connection: keep-alive",
            *(f"{k}: {v}" for k, v in headers.items()),
        ]
        payload = body.encode()
        if method == "POST":
            lines += ["Content-Type: application/x-www-form-urlencoded"]
            lines += [f"Content-Length: {len(payload)}"]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed")
        status = int(status_line.split()[1])
        got: dict[str, str] = {}
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            key, _, value = line.decode("latin-1").partition(":")
            got[key.strip().lower()] = value.strip()
        size = int(got.get("content-length", "0"))
        data = await self.reader.readexactly(size) if size else b""
        if got.get("connection", "").lower() == "close":
            self.writer.close()
            self.writer = None
        return status, got, data


# ---------------------------------------------------------------- the room


class Room:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.code = data["code"]
        self.question: int | None = None  # the open question, as the phones learn it
        self.open_at = 0.0
        self.done = False
        self.latencies: list[float] = []
        self.accepted = 0
        self.refused = 0
        self.errors = 0
        self.last_given: dict[tuple[int, int], int] = {}  # (participant, question) -> choice
        # When the answer that completed each question's count came back (a participant's
        # first answer to it; changes do not move the count), and answers still in flight.
        self.last_answer_at: dict[int, float] = {}
        self.inflight = 0
        self.running: set[asyncio.Task[None]] = set()
        # Racers post at the moment the presenter closes the question: each must be either
        # stored (before the close) or refused with 409 and not stored at all.
        self.closing = asyncio.Event()
        self.raced = {"accepted": 0, "refused": 0}
        self.tasks: dict[int, int] = {}
        self.polls = 0
        self.not_modified = 0


STEP = re.compile(rb'data-step="(\w+)"')
QUESTION = re.compile(rb'name="question" value="(\d+)"')
COUNT = re.compile(rb"<strong data-live-answers>(\d+)</strong>")


async def participant(room: Room, n: int, cookie: str) -> None:
    conn = Conn(cookie, room.data["cookie_name"])
    status, _, _ = await conn.request("POST", "/live/join/", f"code={room.code}")
    if status != 302:
        room.errors += 1
        return
    etag = ""
    answered: set[int] = set()
    stage_path = f"/live/{room.code}/stage/"
    await asyncio.sleep(random.random() * PARTICIPANT_POLL_MS / 1000)
    while not room.done:
        headers = {"HX-Request": "true"}
        if etag:
            headers["If-None-Match"] = etag
        status, got, body = await conn.request("GET", stage_path, headers=headers)
        room.polls += 1
        if status == 304:
            room.not_modified += 1
        elif status == 200:
            etag = got.get("etag", "")
            step = STEP.search(body)
            found = QUESTION.search(body)
            if step and step.group(1) == b"open" and found:
                question = int(found.group(1))
                if question not in answered:
                    answered.add(question)
                    room.tasks[question] = room.tasks.get(question, 0) + 1
                    room.running.add(
                        asyncio.create_task(answer(room, n, conn_for(room, cookie), question))
                    )
                    if random.random() < RACERS:
                        room.running.add(
                            asyncio.create_task(race(room, n, conn_for(room, cookie), question))
                        )
        else:
            room.errors += 1
        await asyncio.sleep(PARTICIPANT_POLL_MS / 1000)


def conn_for(room: Room, cookie: str) -> Conn:
    # A second connection for the answer: a browser polls and posts in parallel too.
    return Conn(cookie, room.data["cookie_name"])


async def answer(room: Room, n: int, conn: Conn, question: int) -> None:
    choices = room.data["choices"][str(question)]
    changes = 2 if random.random() < 0.1 else 1
    elapsed = time.monotonic() - room.open_at
    moments = sorted(random.uniform(0.2, ANSWER_WINDOW - 0.5) for _ in range(changes))
    room.inflight += 1
    for moment in moments:
        await asyncio.sleep(max(0.0, moment - elapsed))
        elapsed = moment
        choice = random.choice(choices)
        started = time.monotonic()
        status, _, _ = await conn.request(
            "POST",
            f"/live/{room.code}/answer/",
            f"question={question}&q{question}={choice}",
            {"HX-Request": "true"},
        )
        ended = time.monotonic()
        room.latencies.append(ended - started)
        if status == 200:
            room.accepted += 1
            if (n, question) not in room.last_given:
                room.last_answer_at[question] = max(room.last_answer_at.get(question, 0), ended)
            room.last_given[(n, question)] = choice
        elif status == 409:
            room.refused += 1
        else:
            room.errors += 1
    room.inflight -= 1


async def race(room: Room, n: int, conn: Conn, question: int) -> None:
    """Post a different answer the moment the presenter closes the question."""
    closing = room.closing
    await closing.wait()
    given = room.last_given.get((n, question))
    choice = next(c for c in room.data["choices"][str(question)] if c != given)
    status, _, _ = await conn.request(
        "POST",
        f"/live/{room.code}/answer/",
        f"question={question}&q{question}={choice}",
        {"HX-Request": "true"},
    )
    if status == 200:
        room.raced["accepted"] += 1
        room.last_given[(n, question)] = choice
    elif status == 409:
        room.raced["refused"] += 1
    else:
        room.errors += 1


async def presenter(room: Room, results: dict[str, Any]) -> None:
    conn = Conn(room.data["presenter"], room.data["cookie_name"])
    control = f"/live/{room.code}/present/control/"
    stage_path = f"/live/{room.code}/present/counts/"
    count_right: list[float] = []
    joined_wait_started = time.monotonic()
    while True:  # wait until every phone has joined (the lobby shows the count)
        status, _, body = await conn.request("GET", stage_path, headers={"HX-Request": "true"})
        joined = re.search(rb"<span data-live-joined>(\d+)</span>", body)
        if joined and int(joined.group(1)) >= PARTICIPANTS:
            break
        if time.monotonic() - joined_wait_started > 120:
            raise SystemExit("bench: participants did not all join within 2 minutes")
        await asyncio.sleep(0.5)
    results["join_seconds"] = round(time.monotonic() - joined_wait_started, 2)
    for _ in range(QUESTIONS):
        await conn.request("POST", control, "action=next", {"HX-Request": "true"})
        room.open_at = time.monotonic()
        # The big screen polls until every phone's answers are back and its count shows
        # them all; the lag is from the answer that completed the count to that poll.
        etag = ""
        count = 0
        question = None
        while time.monotonic() - room.open_at < ANSWER_WINDOW + 60:
            headers = {"HX-Request": "true", **({"If-None-Match": etag} if etag else {})}
            status, got, body = await conn.request("GET", stage_path, headers=headers)
            now = time.monotonic()
            if status == 200:
                etag = got.get("etag", "")
                match = COUNT.search(body)
                count = int(match.group(1)) if match else count
            question = question or max(room.tasks, key=lambda q: room.tasks[q], default=None)
            settled = question is not None and room.tasks.get(question) == PARTICIPANTS
            settled = settled and room.inflight == 0
            expected = len({n for (n, q) in room.last_given if q == question})
            if settled and count == expected:
                count_right.append(now - room.last_answer_at.get(question, now))
                break
            await asyncio.sleep(PRESENTER_POLL_MS / 1000)
        results.setdefault("presenter_lag", []).append(count_right[0] if count_right else None)
        count_right.clear()
        room.tasks.clear()
        room.closing.set()  # the racers post now, side by side with the close
        await asyncio.sleep(random.uniform(0, 0.03))  # so that some win the race
        for _ in range(3):  # close, spread, reveal
            await conn.request("POST", control, "action=next", {"HX-Request": "true"})
        room.closing = asyncio.Event()
        room.last_answer_at.clear()
    await conn.request("POST", control, "action=end", {"HX-Request": "true"})
    room.done = True


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (gunicorn master and workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


async def drive(data: dict[str, Any], server_pid: int) -> dict[str, Any]:
    room = Room(data)
    # The machine's load when the run starts: other work on the cores stretches latencies.
    results: dict[str, Any] = {"load_average_at_start": [round(x, 1) for x in os.getloadavg()]}
    cpu_before, started = cpu_seconds(server_pid), time.monotonic()
    phones = [
        asyncio.create_task(participant(room, n, cookie))
        for n, cookie in enumerate(data["participants"])
    ]
    await presenter(room, results)
    await asyncio.gather(*phones)
    seconds = time.monotonic() - started
    cpu = cpu_seconds(server_pid) - cpu_before
    lat = sorted(room.latencies)

    def pct(p: float) -> float:
        return round(1000 * lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else 0.0

    results.update(
        {
            "participants": PARTICIPANTS,
            "questions": QUESTIONS,
            "answers_posted": len(lat),
            "answers_accepted": room.accepted,
            "answers_refused": room.refused,
            "racing_the_close": dict(room.raced),
            "errors": room.errors,
            "answer_ms": {
                "p50": pct(0.5),
                "p95": pct(0.95),
                "p99": pct(0.99),
                "max": round(1000 * lat[-1], 1) if lat else 0.0,
                "mean": round(1000 * statistics.mean(lat), 1) if lat else 0.0,
            },
            "polls": room.polls,
            "polls_304_share": round(room.not_modified / room.polls, 3) if room.polls else 0,
            "seconds": round(seconds, 1),
            "server_cpu_seconds": round(cpu, 2),
            "cpu_ms_per_participant_second": round(1000 * cpu / (PARTICIPANTS * seconds), 3),
            "load_average_at_end": [round(x, 1) for x in os.getloadavg()],
            "last_given": {f"{n}:{q}": c for (n, q), c in room.last_given.items()},
        }
    )
    return results


# ---------------------------------------------------------------- checks and the run


def check(env: dict[str, str], last_given: dict[str, int], usernames: int) -> dict[str, int]:
    """Count stored responses against the answers the server accepted."""
    script = (
        "import json,sys;from quiz.models import Response;"
        "rows=list(Response.objects.filter(attempt__kind='conference')"
        ".values_list('user__username','question_id','choices__id'));"
        "print(json.dumps(rows))"
    )
    out = subprocess.run(
        [bench_run.PYTHON, "manage.py", "shell", "-c", script],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = json.loads(out.strip().splitlines()[-1])
    seen: dict[str, list[int]] = {}
    for username, question, choice in rows:
        n = int(username.rsplit("-", 1)[1])
        seen.setdefault(f"{n}:{question}", []).append(choice)
    duplicated = sum(1 for v in seen.values() if len(v) > 1)
    lost = sum(1 for key, choice in last_given.items() if seen.get(key) != [choice])
    # A refused answer that was stored anyway: a row nobody's accepted answer explains.
    unexplained = sum(1 for key in seen if key not in last_given)
    return {
        "stored": len(rows),
        "lost": lost,
        "duplicated": duplicated,
        "stored_without_acceptance": unexplained,
    }


def one(engine: str) -> dict[str, Any]:
    var_dir = ROOT / "var" / "bench" / f"live-{engine}"
    var_dir.mkdir(parents=True, exist_ok=True)
    for old in var_dir.glob("teachingfile.sqlite3*"):
        old.unlink()
    if engine == "postgres":
        os.environ.setdefault("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/tf_live_bench")
    database = bench_run.fresh_database(engine, var_dir)
    env = bench_run.server_env(database, var_dir, PORT)
    env["GUNICORN_WORKERS"] = os.environ.get("BENCH_WORKERS", "2")
    env["GUNICORN_THREADS"] = os.environ.get("BENCH_THREADS", "8")
    if os.environ.get("BENCH_ACCESS_LOG"):  # each request's server-side time, in µs
        env["GUNICORN_ACCESS_LOG"] = "1"
        env["GUNICORN_CMD_ARGS"] = "--access-logformat='%(m)s %(U)s %(s)s %(D)s'"
    timings: dict[str, float] = {}
    bench_run.run_step("migrate", [bench_run.PYTHON, "manage.py", "migrate", "-v0"], env, timings)
    bench_run.run_step(
        "collectstatic",
        [bench_run.PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
        env,
        timings,
    )
    setup_file = var_dir / "setup.json"
    bench_run.run_step(
        "set-up", [bench_run.PYTHON, "bench/live.py", "setup", str(setup_file)], env, timings
    )
    data = json.loads(setup_file.read_text())
    log = (var_dir / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [bench_run.GUNICORN, "-c", "gunicorn.conf.py"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        bench_run.wait_for(PORT, server)
        results = asyncio.run(drive(data, server.pid))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    last_given = results.pop("last_given")
    results.update(check(env, last_given, PARTICIPANTS))
    results["database"] = engine
    results["server"] = {
        "workers": int(env["GUNICORN_WORKERS"]),
        "threads": int(env["GUNICORN_THREADS"]),
    }
    return results


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "setup":
        setup(sys.argv[2])
        return
    choice = os.environ.get("BENCH_DB", "sqlite")
    engines = ["sqlite", "postgres"] if choice == "both" else [choice]
    report = {"machine": bench_run.machine(), "runs": [one(engine) for engine in engines]}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2))
    for run in report["runs"]:
        lags = [round(x, 2) if x is not None else None for x in run["presenter_lag"]]
        print(
            f"{run['database']:8} accepted {run['answers_accepted']}, refused "
            f"{run['answers_refused']}, errors {run['errors']}, stored {run['stored']}, "
            f"lost {run['lost']}, duplicated {run['duplicated']}, stored without "
            f"acceptance {run['stored_without_acceptance']}; racing the close "
            f"{run['racing_the_close']}; answer ms p50 "
            f"{run['answer_ms']['p50']} p95 {run['answer_ms']['p95']} p99 "
            f"{run['answer_ms']['p99']}; presenter right after {lags} s; 304s "
            f"{run['polls_304_share']:.0%} of {run['polls']} polls; CPU "
            f"{run['cpu_ms_per_participant_second']} ms per participant-second; load "
            f"{run['load_average_at_start'][0]} -> {run['load_average_at_end'][0]}"
        )
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
