"""A real server process (gunicorn) on its own SQLite file, for restart and concurrency.

The in-process test database is a shared-cache memory database, where a second writer is
refused at once instead of queueing; only a real file with WAL behaves like production.
So these tests build a throwaway database file, start gunicorn on it with several worker
processes and threads, talk to it over HTTP, and can kill and restart it.
"""

from __future__ import annotations

import ctypes
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Reply:
    status: int
    body: str
    location: str


def _die_with_parent() -> None:
    """Ask Linux to stop the server if pytest itself is killed before its clean-up runs."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class LiveProcess:
    def __init__(self, var_dir: Path) -> None:
        self.var_dir = var_dir
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},
            "DJANGO_SETTINGS_MODULE": "teachingfile.settings",
            "DEBUG": "1",
            "VAR_DIR": str(var_dir),
            "CONN_MAX_AGE": "60",
        }

    def run_script(self, code: str) -> dict:
        """Run Django code against the server's database; the code prints one JSON line."""
        prelude = "import django, json\ndjango.setup()\n"
        result = subprocess.run(
            [sys.executable, "-c", prelude + code],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return json.loads(result.stdout.strip().splitlines()[-1])

    def migrate(self) -> None:
        result = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=self.env,
            check=False,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr[-3000:]

    def start(self, workers: int = 3, threads: int = 4) -> None:
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "teachingfile.wsgi",
                "--config",
                "/dev/null",  # none of the production config: just the app
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=_die_with_parent,  # only sets a process flag before exec
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as reply:  # noqa: S310
                    if reply.status == 200:
                        return
            except OSError:  # refused, reset or timed out while the workers boot
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not come up")

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
            self.process = None

    def kill(self) -> None:
        """A crash, not a shutdown: nothing gets the chance to flush or finish."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=30)
            self.process = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class Browser:
    """A cookie-carrying HTTP client for one logged-in user (no redirects followed)."""

    def __init__(self, server: LiveProcess, session_key: str) -> None:
        self.server = server
        self.csrf = secrets.token_hex(16)  # 32 characters: Django accepts it unmasked
        self.cookies = f"sessionid={session_key}; csrftoken={self.csrf}"

    def request(self, path: str, data: dict | None = None, headers: dict | None = None) -> Reply:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(  # noqa: S310 - always our own http://127.0.0.1
            self.server.url + path,
            data=body,
            headers={"Cookie": self.cookies, "X-CSRFToken": self.csrf, **(headers or {})},
        )
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=60) as reply:
                return Reply(reply.status, reply.read().decode(), reply.headers.get("Location", ""))
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read().decode(), error.headers.get("Location", ""))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


LOGIN_SCRIPT = """
from django.test import Client
from django.contrib.auth import get_user_model
from django.conf import settings
sessions = {}
for user in get_user_model().objects.filter(username__in=%r):
    client = Client()
    client.force_login(user)
    sessions[user.username] = client.cookies[settings.SESSION_COOKIE_NAME].value
print(json.dumps(sessions))
"""


def log_in(server: LiveProcess, *usernames: str) -> dict[str, Browser]:
    keys = server.run_script(LOGIN_SCRIPT % (list(usernames),))
    return {name: Browser(server, key) for name, key in keys.items()}
