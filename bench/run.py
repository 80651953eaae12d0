"""The speed benchmark: a fresh seeded database, gunicorn in production mode, wrk on the hot paths.

    make bench                    # full scale: 10k cases, 300 residents, 1M responses
    make bench SCALE=small        # a few minutes: 500 cases, 50 residents, 20k responses
    BENCH_DB=postgres make bench  # or both; PostgreSQL via createdb -h 127.0.0.1 -U postgres

For each database: create it empty, migrate, seed (bench/seed.py), build the search index,
collect static files, start gunicorn (gunicorn.conf.py, 2 workers, DEBUG off, the bench
baseline view on), log in through the login form, then drive every path with wrk and
count its SQL queries with one test-client request (bench/probe.py). Then the load test:
50 simulated residents posting answers at once, checking that every accepted answer was
stored exactly once. Last, the exam storm (bench/storm.py): the same 50 residents start
one timed exam within a second, then answer each of its cases once. Prints a table and
writes var/bench/latest.json.

Environment: SCALE (full|small|tiny), BENCH_DB (sqlite|postgres|both), BENCH_SECONDS per
path, BENCH_LOAD_SECONDS, BENCH_STORM_SECONDS (the storm's bound), BENCH_CONNECTIONS,
BENCH_PORT (8014), BENCH_PG_URL, and BENCH_SOURCE=head to measure the last commit
(exported) instead of the working tree.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))  # a script, run from any directory

import storm  # noqa: E402

BENCH_DIR = ROOT / "var" / "bench"
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
LUA = ROOT / "bench" / "wrk" / "drive.lua"


class Source:
    """The code under test: this checkout, or a clean export of its last commit (main())."""

    path: Path = ROOT


def export_head(commit: str) -> Path:
    """`git archive HEAD` into var/bench/src: the committed code, not half-saved edits.

    A shared working tree changes under a long run; a template saved half-way through
    turns into a burst of 500s that says nothing about speed.
    """
    dest = BENCH_DIR / "src"
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit], cwd=ROOT, capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    log(f"measuring commit {commit[:7]} (exported to {dest.relative_to(ROOT)})")
    return dest


PASSWORD = "bench-pass-2026"  # noqa: S105 - matches bench/seed.py's throwaway accounts

# What issue #11 asks of each path: CPU per request against the baseline's (cpu_ratio =
# baseline cpu ms / path cpu ms, which a busy machine moves less than throughput), or a
# latency at full scale.
CPU_RATIO_TARGETS = {
    "case": 0.08, "submit": 0.03, "library": 0.08, "search": 0.05, "quiz_results": 0.06,
}  # fmt: skip
P50_TARGETS_MS = {"cohort_table": 60.0, "item_analysis": 60.0}
# The exam storm on SQLite; on PostgreSQL only its integrity is a target.
STORM_TARGET = {"answers_per_s": 150.0, "p99_ms": 500.0}
ORDER = [
    "baseline", "case", "submit", "library", "search", "quiz_results", "cohort_table",
    "item_analysis",
]  # fmt: skip
DEFAULTS = {  # per-path seconds, load-test seconds, the exam storm's bound in seconds
    "full": (20, 60, 120),
    "small": (6, 15, 90),
    "tiny": (3, 5, 60),
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


# --- set-up -------------------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk is missing: installing the Debian package")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    install = [*sudo, "apt-get", "install", "-y", "wrk"]
    if subprocess.run(install, check=False).returncode != 0:
        subprocess.run([*sudo, "apt-get", "update"], check=True)
        subprocess.run(install, check=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk could not be installed; install it with apt-get install wrk")
    return found


def machine() -> dict[str, Any]:
    memory_kb = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        match = re.search(r"MemTotal:\s+(\d+) kB", meminfo.read_text())
        memory_kb = int(match.group(1)) if match else 0
    cpu = platform.processor()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        match = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        cpu = match.group(1).strip() if match else cpu
    return {
        # Other programs on the machine lower every figure; the load average says how much.
        "load_average_1m": round(os.getloadavg()[0], 2),
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "cpu": cpu,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def server_env(database: str, var_dir: Path, port: int) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        # Nothing from the caller's shell may change what is measured.
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "AWS_", "GUNICORN_", "DB_POOL"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "teachingfile.settings",
            "DEBUG": "0",
            "SECRET_KEY": "bench-" + os.urandom(24).hex(),
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "SECURE_SSL_REDIRECT": "0",
            "BENCH_BASELINE": "1",
            "VAR_DIR": str(var_dir),
            "DATABASE_URL": database,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": os.environ.get("BENCH_WORKERS", "2"),
            "GUNICORN_THREADS": "1",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    for key in ("REDIS_URL", "DB_POOL"):
        if os.environ.get(f"BENCH_{key}"):
            env[key] = os.environ[f"BENCH_{key}"]
    return env


def fresh_database(engine: str, var_dir: Path) -> str:
    if engine == "sqlite":
        return f"sqlite:///{var_dir / 'teachingfile.sqlite3'}"
    url = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/teachingfile_bench")
    parts = urlparse(url)
    name = parts.path.lstrip("/")
    args = ["-h", parts.hostname or "127.0.0.1", "-U", parts.username or "postgres"]
    if parts.port:
        args += ["-p", str(parts.port)]
    subprocess.run(["dropdb", *args, "--if-exists", name], check=True)
    subprocess.run(["createdb", *args, name], check=True)
    return url


def run_step(label: str, args: list[str], env: dict[str, str], timings: dict[str, float]) -> str:
    started = time.perf_counter()
    done = subprocess.run(
        args, env=env, cwd=Source.path, capture_output=True, text=True, check=False
    )
    timings[label] = round(time.perf_counter() - started, 1)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"bench: {label} failed ({' '.join(args[:3])}...)")
    log(f"{label}: {timings[label]} s")
    return done.stdout


def has_command(name: str) -> bool:
    return any(
        path.exists()
        for path in Source.path.glob(f"**/management/commands/{name}.py")
        if ".venv" not in path.parts
    )


# --- HTTP ---------------------------------------------------------------------------------


class Session:
    """A logged-in user: the cookies the login form set, and the CSRF token to post with."""

    def __init__(self, port: int, username: str) -> None:
        self.port = port
        self.username = username
        self.cookies: dict[str, str] = {}

    def _absorb(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for key, morsel in jar.items():
                self.cookies[key] = morsel.value

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{key}={value}" for key, value in sorted(self.cookies.items()))

    @property
    def csrf(self) -> str:
        return self.cookies.get("csrftoken", "")

    def request(self, method: str, path: str, body: str = "", **headers: str) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        all_headers = {"Cookie": self.cookie_header, **headers}
        if body:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body or None, headers=all_headers)
        response = connection.getresponse()
        data = response.read()
        self._absorb(response)
        connection.close()
        return response.status, data

    def login(self) -> Session:
        status, page = self.request("GET", "/accounts/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not match:
            raise SystemExit(f"bench: the login form did not load ({status})")
        form = urlencode(
            {
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": match.group(1).decode(),
            }
        )
        status, _ = self.request("POST", "/accounts/login/", form)
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"bench: logging in {self.username} failed ({status})")
        return self


def wait_for(port: int, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("bench: gunicorn exited at start; see var/bench/*/gunicorn.log")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("bench: gunicorn did not answer /healthz in time")


def wrk(
    wrk_bin: str, url: str, seconds: int, connections: int, extra_env: dict[str, str]
) -> dict[str, Any]:
    threads = min(2, connections)
    env = {**os.environ, "BENCH_THREADS": str(threads), **extra_env}
    args = [wrk_bin, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s"]
    done = subprocess.run(
        [*args, "-s", str(LUA), url], env=env, capture_output=True, text=True, check=False
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCHJSON ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"bench: wrk failed on {url}:\n{done.stdout}\n{done.stderr}")
    stats = json.loads(line.removeprefix("BENCHJSON "))
    seconds_run = stats["duration_us"] / 1e6
    stats["rps"] = round(stats["requests"] / seconds_run, 1) if seconds_run else 0.0
    stats["p50_ms"] = round(stats["p50_us"] / 1000, 1)
    stats["p99_ms"] = round(stats["p99_us"] / 1000, 1)
    return stats


# --- one database -------------------------------------------------------------------------


def write_lines(path: Path, lines: list[str]) -> str:
    path.write_text("".join(line + "\n" for line in lines))
    return str(path)


def count_responses(env: dict[str, str]) -> dict[str, int]:
    out = subprocess.run(
        [PYTHON, "bench/probe.py", "responses"],
        env=env,
        cwd=Source.path,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def submit_run(
    wrk_bin: str,
    base: str,
    env: dict[str, str],
    work: Path,
    label: str,
    pairs: list[dict[str, Any]],
    users_file: str,
    seconds: int,
    connections: int,
) -> dict[str, Any]:
    """POST answers with wrk and check rows stored against answers accepted."""
    pairs_file = write_lines(
        work / f"pairs-{label}.tsv", [f"{p['user']}\t{p['path']}\t{p['body']}" for p in pairs]
    )
    before = count_responses(env)
    stats = wrk(
        wrk_bin,
        base,
        seconds,
        connections,
        {"BENCH_PAIRS_FILE": pairs_file, "BENCH_USERS_FILE": users_file, "BENCH_HTMX": "1"},
    )
    time.sleep(1.0)  # let answers still in flight when wrk stopped finish on the server
    after = count_responses(env)
    dupes = json.loads(
        subprocess.run(
            [PYTHON, "bench/probe.py", "duplicates", str(before["max_id"])],
            env=env,
            cwd=Source.path,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    rows_per_submit = pairs[0]["rows"] if pairs else 0
    stored = after["count"] - before["count"]
    expected = stats["s2xx"] * rows_per_submit
    # wrk stops with up to one request per connection written but unanswered; the server
    # may still store those, so they may add rows but can never excuse missing ones.
    in_flight = max(stats["sent"] - stats["requests"], 0)
    lost = max(expected - stored, 0)
    extra = max(stored - expected, 0)
    stats.update(
        {
            "accepted_submits": stats["s2xx"],
            "refused_submits": stats["s4xx"],
            "rows_per_submit": rows_per_submit,
            "rows_expected": expected,
            "rows_stored": stored,
            "lost_rows": lost,
            "unexplained_extra_rows": max(extra - in_flight * rows_per_submit, 0),
            "in_flight_at_stop": in_flight,
            "duplicated_rows": dupes["duplicates"],
        }
    )
    return stats


def exam_storm(
    engine: str, env: dict[str, str], work: Path, port: int, sessions: list[dict[str, str]],
    seconds: int,
) -> dict[str, Any]:  # fmt: skip
    """Set up the exam, run the storm (bench/storm.py), then count its rows in the database."""
    spec_file = work / "exam.json"
    subprocess.run(
        [PYTHON, "bench/probe.py", "exam", str(spec_file)], env=env, cwd=Source.path, check=True
    )
    spec = json.loads(spec_file.read_text())
    log(
        f"exam storm: {len(sessions)} residents start a {len(spec['cases'])}-case exam "
        f"at once, then answer it (at most {seconds} s)"
    )
    figures, accepted = storm.run(port, spec, sessions, seconds)
    time.sleep(1.0)  # nothing should still be in flight; a second costs nothing to be sure
    accepted_file = write_lines(work / "exam-accepted.jsonl", [json.dumps(a) for a in accepted])
    check = json.loads(
        subprocess.run(
            [PYTHON, "bench/probe.py", "exam-check", str(spec["quiz"]), accepted_file],
            env=env,
            cwd=Source.path,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    result = {"seconds_limit": seconds, **figures, **check}
    # CPU per answer in one process, and the answers/s it allows the workers at best (no
    # waiting, no gunicorn or client overhead): steadier than answers/s on a busy machine.
    result["cpu_ms_per_answer"] = spec["cpu_ms_per_answer"]
    workers = min(int(env["GUNICORN_WORKERS"]), os.cpu_count() or 1)
    result["cpu_bound_answers_per_s"] = (
        round(workers * 1000 / spec["cpu_ms_per_answer"], 1) if spec["cpu_ms_per_answer"] else None
    )
    result["target"], result["met"] = _storm_target(engine, result)
    log(
        f"exam storm: {result['answers_accepted']} answers accepted, {result['rows_stored']} "
        f"rows stored (expected {result['rows_expected']}), {result['answers_per_s']} answers/s, "
        f"p99 {result['p99_ms']} ms, {result['lost']} lost, {result['duplicated']} duplicated"
    )
    return result


def _storm_target(engine: str, result: dict[str, Any]) -> tuple[str, bool]:
    whole = (
        result["lost"] == 0
        and result["duplicated"] == 0
        and result["answers_accepted"] > 0
        and result["starts_failed"] == 0
    )
    if engine != "sqlite":
        return "0 lost, 0 duplicated", whole
    rate, p99 = STORM_TARGET["answers_per_s"], STORM_TARGET["p99_ms"]
    fast = result["answers_per_s"] >= rate and (result["p99_ms"] or 0) <= p99
    return f">= {rate:.0f} answers/s, p99 <= {p99:.0f} ms, 0 lost, 0 duplicated", whole and fast


def run_database(
    engine: str,
    scale: str,
    wrk_bin: str,
    port: int,
    seconds: int,
    load_seconds: int,
    storm_seconds: int,
) -> dict[str, Any]:
    var_dir = BENCH_DIR / engine
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    timings: dict[str, float] = {}
    url = fresh_database(engine, var_dir)
    env = server_env(url, var_dir, port)
    log(f"{engine}: fresh database {url.split('@')[-1]}")
    run_step("migrate", [PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env, timings)
    seeded = run_step("seed", [PYTHON, "bench/seed.py", "--scale", scale], env, timings)
    print(seeded.rstrip())
    if has_command("reindex_cases"):
        run_step("search index", [PYTHON, "manage.py", "reindex_cases"], env, timings)
    run_step(
        "collectstatic", [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], env, timings
    )
    targets_file = var_dir / "targets.json"
    run_step("query counts", [PYTHON, "bench/probe.py", "targets", str(targets_file)], env, timings)
    targets = json.loads(targets_file.read_text())
    connections = env_int("BENCH_CONNECTIONS", 4)

    log_file = (var_dir / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [GUNICORN, "-c", "gunicorn.conf.py"],
        env=env,
        cwd=Source.path,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    paths: dict[str, Any] = {}
    load: dict[str, Any] = {}
    exam: dict[str, Any] = {}
    try:
        wait_for(port, server)
        base = f"http://127.0.0.1:{port}"
        people = ("bench-resident-0001", "bench-director")
        sessions = {name: Session(port, name).login() for name in people}
        log("logged in the resident and the director through the login form")
        users_file = write_lines(
            var_dir / "users.tsv", [f"{s['cookie']}\t{s['csrf']}" for s in targets["sessions"]]
        )
        pairs = targets["pairs"]
        split = len(pairs) // 4
        for key in ORDER:
            spec = targets["paths"].get(key, {})
            entry: dict[str, Any] = {
                "label": spec.get("label", key),
                "url": spec.get("url"),
                "queries": spec.get("queries"),
                "cpu_ms": spec.get("cpu_ms"),
            }
            paths[key] = entry
            if not spec.get("url"):
                entry["status"] = "missing"
                log(f"{key}: no such page yet, reported as missing")
                continue
            session = sessions[spec["user"]]
            if spec["method"] == "POST":
                if spec.get("status") != 200 or not pairs:
                    entry["status"] = f"HTTP {spec.get('status')}"
                    continue
                stats = submit_run(
                    wrk_bin, base, env, var_dir, "submit", pairs[:split], users_file,
                    seconds, connections,
                )  # fmt: skip
            else:
                status, _ = session.request("GET", spec["url"])
                if status != 200:
                    entry["status"] = f"HTTP {status}"
                    log(f"{key}: {spec['url']} answered {status}; not measured")
                    continue
                extra = {"BENCH_COOKIE": session.cookie_header}
                if spec.get("rotate"):
                    extra["BENCH_ROTATE_FILE"] = write_lines(
                        var_dir / f"{key}.paths", spec["rotate"]
                    )
                # A warm-up pass first: each worker fills its template and render caches
                # once, as a long-running server has.
                wrk(wrk_bin, base + spec["url"], max(1, seconds // 3), connections, extra)
                stats = wrk(wrk_bin, base + spec["url"], seconds, connections, extra)
            entry.update(
                {
                    "status": "ok" if stats["s5xx"] == 0 and stats["s2xx"] else "errors",
                    "rps": stats["rps"],
                    "p50_ms": stats["p50_ms"],
                    "p99_ms": stats["p99_ms"],
                    "requests": stats["requests"],
                    "non_2xx": stats["s3xx"] + stats["s4xx"] + stats["s5xx"],
                    "s5xx": stats["s5xx"],
                }
            )
            if spec["method"] == "POST":
                entry["integrity"] = {
                    k: stats[k]
                    for k in ("accepted_submits", "rows_stored", "rows_expected", "lost_rows",
                              "duplicated_rows", "in_flight_at_stop")
                }  # fmt: skip
            log(f"{key}: {stats['rps']} req/s, p50 {stats['p50_ms']} ms, p99 {stats['p99_ms']} ms")

        if targets["paths"].get("submit", {}).get("status") == 200 and pairs:
            users = len(targets["load_users"])
            log(f"load: {users} residents posting answers for {load_seconds} s")
            stats = submit_run(
                wrk_bin, base, env, var_dir, "load", pairs[split:], users_file, load_seconds,
                users,
            )  # fmt: skip
            load = {
                "residents": users,
                "seconds": load_seconds,
                "rps": stats["rps"],
                "p50_ms": stats["p50_ms"],
                "p99_ms": stats["p99_ms"],
                "requests": stats["requests"],
                "s5xx": stats["s5xx"],
                "socket_errors": stats["connect_errors"] + stats["read_errors"]
                + stats["write_errors"] + stats["timeouts"],
                **{k: stats[k] for k in (
                    "accepted_submits", "refused_submits", "rows_per_submit", "rows_expected",
                    "rows_stored", "lost_rows", "duplicated_rows", "in_flight_at_stop",
                    "unexplained_extra_rows", "wrapped",
                )},
            }  # fmt: skip
            load["passed"] = (
                load["s5xx"] == 0
                and load["lost_rows"] == 0
                and load["duplicated_rows"] == 0
                and load["unexplained_extra_rows"] == 0
                and load["accepted_submits"] > 0
            )
            log(
                f"load: {stats['s2xx']} answers accepted, {load['rows_stored']} rows stored "
                f"(expected {load['rows_expected']}), {load['s5xx']} 5xx, "
                f"{load['duplicated_rows']} duplicated"
            )
        else:
            load = {"status": "missing: no answer submit endpoint yet"}
        # Last: it leaves 50 exams running, which would hold back those cases' reveals.
        exam = exam_storm(engine, env, var_dir, port, targets["sessions"], storm_seconds)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log_file.close()

    baseline = paths.get("baseline", {}).get("rps")
    baseline_cpu = paths.get("baseline", {}).get("cpu_ms")
    for key, entry in paths.items():
        if baseline and entry.get("rps") is not None:
            entry["ratio"] = round(entry["rps"] / baseline, 4)
        if baseline_cpu and entry.get("cpu_ms"):
            # The same ratio from CPU time per request in one process: steady when other
            # programs share the machine, which wrk's throughput is not.
            entry["cpu_ratio"] = round(baseline_cpu / entry["cpu_ms"], 4)
        entry["target"], entry["met"] = _target(key, entry, scale)
    return {
        "database": engine,
        "database_version": _db_version(env),
        "setup_seconds": timings,
        "paths": paths,
        "load": load,
        "exam_storm": exam,
    }


def _target(key: str, entry: dict[str, Any], scale: str) -> tuple[str | None, bool | None]:
    if key in CPU_RATIO_TARGETS:
        goal = CPU_RATIO_TARGETS[key]
        ratio = entry.get("cpu_ratio")
        return f"cpu ratio >= {goal}", None if ratio is None else ratio >= goal
    if key in P50_TARGETS_MS:
        goal = P50_TARGETS_MS[key]
        p50 = entry.get("p50_ms")
        # The issue sets this target at full scale; smaller runs report it for information.
        met = None if p50 is None else p50 <= goal
        return f"p50 <= {goal:.0f} ms" + ("" if scale == "full" else " (full scale)"), met
    return None, None


def _db_version(env: dict[str, str]) -> str:
    code = (
        "import django; django.setup(); from django.db import connection; "
        "connection.ensure_connection(); "
        "print(connection.vendor, '.'.join(map(str, connection.Database.sqlite_version_info)) "
        "if connection.vendor == 'sqlite' else connection.pg_version)"
    )
    done = subprocess.run(
        [PYTHON, "-c", code], env=env, cwd=Source.path, capture_output=True, text=True, check=False
    )
    return done.stdout.strip()


# --- report -------------------------------------------------------------------------------


def table(run: dict[str, Any]) -> str:
    lines = [
        f"{run['database']} ({run['database_version']})",
        f"{'path':<24} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'queries':>8} {'ratio':>7}"
        f" {'cpu ms':>7} {'cpu r.':>7}  target",
    ]
    for key in ORDER:
        entry = run["paths"].get(key)
        if not entry:
            continue
        if entry.get("rps") is None:
            lines.append(f"{entry['label']:<24} {entry.get('status', '?'):>8}")
            continue
        mark = {True: "ok", False: "MISSED", None: ""}[entry.get("met")]
        target = f"{entry['target']} {mark}" if entry.get("target") else ""
        queries = "-" if entry.get("queries") is None else str(entry["queries"])
        cpu = "-" if entry.get("cpu_ms") is None else f"{entry['cpu_ms']:.2f}"
        cpu_ratio = "-" if entry.get("cpu_ratio") is None else f"{entry['cpu_ratio']:.4f}"
        lines.append(
            f"{entry['label']:<24} {entry['rps']:>8.1f} {entry['p50_ms']:>8.1f} "
            f"{entry['p99_ms']:>8.1f} {queries:>8} {entry.get('ratio', 0):>7.4f} {cpu:>7} "
            f"{cpu_ratio:>7}  {target}"
        )
    load = run["load"]
    if "passed" in load:
        lines.append(
            f"load: {load['residents']} residents x {load['seconds']} s: {load['rps']} answers/s, "
            f"{load['accepted_submits']} accepted, {load['rows_stored']} rows stored "
            f"(expected {load['rows_expected']}), {load['s5xx']} 5xx, {load['lost_rows']} lost, "
            f"{load['duplicated_rows']} duplicated -> {'PASS' if load['passed'] else 'FAIL'}"
        )
    else:
        lines.append(f"load: {load.get('status')}")
    exam = run.get("exam_storm") or {}
    if exam:
        mark = "ok" if exam["met"] else "MISSED"
        lines.append(
            f"exam storm: {exam['starts_ok']}/{exam['residents']} residents started within "
            f"{exam['starts_spread_ms']} ms (starts p99 {exam['starts_p99_ms']} ms); "
            f"{exam['answers_accepted']}/{exam['answers_sent']} answers accepted "
            f"({exam['not_sent']} not sent in {exam['seconds_limit']} s): "
            f"{exam['answers_per_s']} answers/s, p50 {exam['p50_ms']} ms, p99 {exam['p99_ms']} ms, "
            f"{exam['rows_stored']} rows for {exam['rows_expected']} expected, "
            f"{exam['lost']} lost, {exam['duplicated']} duplicated"
        )
        lines.append(
            f"  cpu {exam['cpu_ms_per_answer']} ms per answer (at most "
            f"{exam['cpu_bound_answers_per_s']} answers/s on these workers); "
            f"target {exam['target']}: {mark}"
        )
    return "\n".join(lines)


def main() -> int:
    scale = os.environ.get("SCALE", "full")
    if scale not in DEFAULTS:
        raise SystemExit(f"SCALE must be one of {', '.join(DEFAULTS)}, not {scale!r}")
    choice = os.environ.get("BENCH_DB", "sqlite")
    engines = {"sqlite": ["sqlite"], "postgres": ["postgres"], "both": ["sqlite", "postgres"]}
    if choice not in engines:
        raise SystemExit(f"BENCH_DB must be sqlite, postgres or both, not {choice!r}")
    seconds = env_int("BENCH_SECONDS", DEFAULTS[scale][0])
    load_seconds = env_int("BENCH_LOAD_SECONDS", DEFAULTS[scale][1])
    storm_seconds = env_int("BENCH_STORM_SECONDS", DEFAULTS[scale][2])
    port = env_int("BENCH_PORT", 8014)
    wrk_bin = ensure_wrk()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    # Read before the run: in a shared repository HEAD may move while it goes on.
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    source = os.environ.get("BENCH_SOURCE", "tree")
    if source not in {"tree", "head"}:
        raise SystemExit(f"BENCH_SOURCE must be tree or head, not {source!r}")
    if source == "head":
        Source.path = export_head(commit)
    started = time.perf_counter()
    runs = [
        run_database(e, scale, wrk_bin, port, seconds, load_seconds, storm_seconds)
        for e in engines[choice]
    ]
    report = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "scale": scale,
        "machine": machine(),
        "server": {"gunicorn_workers": int(os.environ.get("BENCH_WORKERS", "2")), "threads": 1},
        "source": source,
        # With BENCH_SOURCE=tree this is the commit the working tree was based on.
        "commit": commit,
        "wrk": {
            "seconds_per_path": seconds,
            "connections": env_int("BENCH_CONNECTIONS", 4),
            "load_seconds": load_seconds,
        },
        "storm_seconds": storm_seconds,
        # The first database's figures at the top level, every database under "runs".
        "database": runs[0]["database"],
        "paths": runs[0]["paths"],
        "load": runs[0]["load"],
        # The exam storm per database: {"sqlite": {...}, "postgres": {...}}.
        "exam_storm": {run["database"]: run["exam_storm"] for run in runs},
        "runs": runs,
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    out = BENCH_DIR / "latest.json"
    with tempfile.NamedTemporaryFile("w", dir=BENCH_DIR, delete=False, suffix=".json") as tmp:
        json.dump(report, tmp, indent=2)
    Path(tmp.name).replace(out)
    # A copy per run, so a quick small run does not erase the last full-scale figures.
    stamp = report["date"].replace(":", "").replace("+0000", "Z")
    shutil.copyfile(out, BENCH_DIR / f"run-{scale}-{report['database']}-{stamp}.json")
    info = report["machine"]
    print()
    size = f"{info['cores']} cores, {info['memory_gb']} GB, {info['cpu']}"
    print(f"{report['date']}  scale={scale}  {size}")
    for run in runs:
        print()
        print(table(run))
    print(f"\nwrote {out.relative_to(ROOT)} in {report['total_seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
