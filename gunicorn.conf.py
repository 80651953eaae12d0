"""gunicorn settings, read from the environment so one file serves every install.

Run with `gunicorn -c gunicorn.conf.py teachingfile.wsgi`. Behind a TLS proxy (nginx,
Caddy, a load balancer) that sets X-Forwarded-Proto; see docs/production.md.
"""

from __future__ import annotations

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        # A typo must stop the server at start, not leave it running on a guess.
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from None


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


wsgi_app = "teachingfile.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
# The usual 2 x cores + 1 for sync workers; WEB_CONCURRENCY is what most platforms set.
workers = _int("GUNICORN_WORKERS", _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = _int("GUNICORN_THREADS", 1)
# Threads need the gthread worker; with one thread the plain sync worker is faster.
worker_class = "gthread" if threads > 1 else "sync"
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
backlog = _int("GUNICORN_BACKLOG", 2048)
# Recycle workers now and then so a slow leak cannot grow without bound; the jitter keeps
# them from all restarting at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", max(max_requests // 10, 0))
preload_app = _flag("GUNICORN_PRELOAD")

# The access log is off unless asked for: the proxy in front usually keeps one, and
# writing a line per request costs throughput. Errors always go to stderr.
accesslog = "-" if _flag("GUNICORN_ACCESS_LOG") else None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Only trust X-Forwarded-* from the proxy on the same machine unless told otherwise.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Keep worker heartbeat files in memory, not on a possibly slow disk.
_SHM = "/dev/shm"  # noqa: S108 - gunicorn only writes its own heartbeat files here
worker_tmp_dir = _SHM if os.path.isdir(_SHM) else None
