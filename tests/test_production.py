"""The production stack: S3 media, Redis cache and sessions, gunicorn, deploy checks, static files.

Settings are read once at start-up, so the rules about what the environment selects run
in a fresh interpreter (`_settings_in`); the services themselves run in-process against
moto's S3 and the Redis on 127.0.0.1:6379 (database 15), skipped with a reason when it
does not answer.
"""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.cache import caches
from django.core.files.storage import default_storage
from django.test import Client, override_settings
from PIL import Image

from teachingfile.models import Figure
from teachingfile.services import figure_set_image
from tests.factories import CaseFactory, png_bytes

ROOT = Path(settings.BASE_DIR)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "test-production-" + "k" * 50,
    "ALLOWED_HOSTS": "teachingfile.example.org",
}


def _clean_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "AWS_", "DB_POOL", "BENCH_"))
        and key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CONN_MAX_AGE"}
    }
    env["DJANGO_SETTINGS_MODULE"] = "teachingfile.settings"
    env.update(extra)
    return env


def _run(code: str, tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = _clean_env(**{"VAR_DIR": str(tmp_path), **PRODUCTION_ENV, **extra})
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )


def _settings_in(tmp_path: Path, names: list[str], **extra: str) -> dict[str, Any]:
    """The values of some settings as a fresh process with this environment reads them."""
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}, default=str))"
    )
    done = _run(code, tmp_path, **extra)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# --- S3 media -------------------------------------------------------------------------------


@pytest.fixture
def s3_bucket(monkeypatch: pytest.MonkeyPatch) -> Any:
    moto = pytest.importorskip("moto", reason="moto is part of the test extras")
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    with moto.mock_aws():
        import boto3

        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="teachingfile-media")
        storages = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": "teachingfile-media",
                    "region_name": "us-east-1",
                    "default_acl": None,
                    "querystring_auth": True,
                    "file_overwrite": False,
                    "object_parameters": {"CacheControl": "max-age=31536000, immutable"},
                },
            },
        }
        with override_settings(STORAGES=storages):
            yield boto3.client("s3", region_name="us-east-1")


@pytest.mark.django_db
def test_it_stores_an_uploaded_figure_in_s3_and_reads_it_back(s3_bucket: Any) -> None:
    case = CaseFactory()
    figure = Figure(case=case, label="Fig. A", alt_text="Axial CT of the thigh")

    figure_set_image(figure=figure, data=png_bytes(size=(64, 48)), filename="thigh.png")

    figure.refresh_from_db()
    keys = {
        item["Key"] for item in s3_bucket.list_objects_v2(Bucket="teachingfile-media")["Contents"]
    }
    assert {figure.image.name, figure.display.name, figure.thumbnail.name} <= keys
    with default_storage.open(figure.display.name, "rb") as stored:
        assert Image.open(stored).size[0] > 0
    head = s3_bucket.head_object(Bucket="teachingfile-media", Key=figure.image.name)
    assert head["CacheControl"] == "max-age=31536000, immutable"
    # The original upload name never reaches the bucket: names are unguessable.
    assert not any("thigh" in key for key in keys)


@pytest.mark.django_db
def test_it_serves_s3_media_through_signed_urls(s3_bucket: Any) -> None:
    figure = Figure(case=CaseFactory(), label="Fig. A", alt_text="Radiograph")
    figure_set_image(figure=figure, data=png_bytes(size=(64, 48)), filename="x.png")

    url = default_storage.url(figure.display.name)

    assert "X-Amz-Signature=" in url or "Signature=" in url


def test_it_selects_s3_storage_when_a_bucket_is_configured(tmp_path: Path) -> None:
    values = _settings_in(
        tmp_path,
        ["STORAGES"],
        AWS_STORAGE_BUCKET_NAME="media-bucket",
        AWS_S3_ENDPOINT_URL="http://127.0.0.1:9000",
    )
    default = values["STORAGES"]["default"]
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    assert default["OPTIONS"]["bucket_name"] == "media-bucket"
    assert default["OPTIONS"]["endpoint_url"] == "http://127.0.0.1:9000"


def test_it_keeps_media_on_disk_without_a_bucket(tmp_path: Path) -> None:
    values = _settings_in(tmp_path, ["STORAGES"])
    assert values["STORAGES"]["default"]["BACKEND"].endswith("FileSystemStorage")


# --- Redis ------------------------------------------------------------------------------------


def _redis_or_skip() -> None:
    redis = pytest.importorskip("redis", reason="redis-py is a dependency")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.exceptions.RedisError as error:
        pytest.skip(f"no Redis answering at {REDIS_URL} ({error.__class__.__name__})")


@pytest.fixture
def redis_cache() -> Any:
    _redis_or_skip()
    # A prefix per test keeps runs (and other users of database 15) apart.
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    cache_settings = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    with override_settings(
        CACHES=cache_settings, SESSION_ENGINE="django.contrib.sessions.backends.cached_db"
    ):
        yield caches["default"]
        caches["default"].clear()


def test_it_caches_in_redis(redis_cache: Any) -> None:
    redis_cache.set("answer", {"value": 42}, 30)
    assert redis_cache.get("answer") == {"value": 42}
    redis_cache.delete("answer")
    assert redis_cache.get("answer") is None


@pytest.mark.django_db
def test_it_keeps_sessions_in_redis(redis_cache: Any, resident: AbstractUser) -> None:
    client = Client()
    response = client.post("/accounts/login/", {"username": "rosa", "password": "pass-word-123"})
    assert response.status_code == 302

    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    cached = redis_cache.get(f"django.contrib.sessions.cached_db{session_key}")
    assert cached is not None
    assert str(cached["_auth_user_id"]) == str(resident.pk)
    # The home page is served from that session.
    assert client.get("/").status_code == 200


def test_it_selects_redis_for_cache_and_sessions_when_redis_url_is_set(tmp_path: Path) -> None:
    values = _settings_in(tmp_path, ["CACHES", "SESSION_ENGINE"], REDIS_URL=REDIS_URL)
    assert values["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert values["CACHES"]["default"]["LOCATION"] == REDIS_URL
    assert values["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"


def test_it_keeps_sessions_in_the_database_without_redis(tmp_path: Path) -> None:
    # A per-process cache cannot hold sessions: a logout on one worker would not reach
    # the others.
    values = _settings_in(tmp_path, ["CACHES", "SESSION_ENGINE"])
    assert values["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"


# --- PostgreSQL connections -----------------------------------------------------------------


def test_it_keeps_postgres_connections_open_with_health_checks(tmp_path: Path) -> None:
    values = _settings_in(
        tmp_path, ["DATABASES"], DATABASE_URL="postgres://app@db.internal:5432/teachingfile"
    )
    database = values["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["CONN_MAX_AGE"] == 60
    assert database["CONN_HEALTH_CHECKS"] is True
    assert "pool" not in database.get("OPTIONS", {})


def test_it_pools_postgres_connections_when_asked(tmp_path: Path) -> None:
    values = _settings_in(
        tmp_path,
        ["DATABASES"],
        DATABASE_URL="postgres://app@db.internal:5432/teachingfile",
        DB_POOL="1",
        DB_POOL_MAX_SIZE="20",
    )
    database = values["DATABASES"]["default"]
    # Django refuses a pool together with persistent connections.
    assert database["CONN_MAX_AGE"] == 0
    assert database["OPTIONS"]["pool"]["max_size"] == 20


# --- gunicorn ---------------------------------------------------------------------------------


def _gunicorn_config(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    for key in list(os.environ):
        if key.startswith("GUNICORN_") or key == "WEB_CONCURRENCY":
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_config_is_valid_for_gunicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    from gunicorn.config import Config

    values = _gunicorn_config(monkeypatch, GUNICORN_BIND="0.0.0.0:8000", GUNICORN_WORKERS="3")
    config = Config()
    for name, value in values.items():
        if name in config.settings:
            config.set(name, value)  # gunicorn validates each value as it is set

    assert config.bind == ["0.0.0.0:8000"]
    assert config.workers == 3
    assert config.worker_class_str == "sync"
    assert config.accesslog is None  # off unless asked for
    assert config.wsgi_app == "teachingfile.wsgi:application"


def test_gunicorn_uses_threads_and_an_access_log_when_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = _gunicorn_config(monkeypatch, GUNICORN_THREADS="4", GUNICORN_ACCESS_LOG="1")
    assert values["worker_class"] == "gthread"
    assert values["threads"] == 4
    assert values["accesslog"] == "-"


def test_gunicorn_refuses_a_worker_count_that_is_not_a_number(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(SystemExit, match="GUNICORN_WORKERS"):
        _gunicorn_config(monkeypatch, GUNICORN_WORKERS="four")


# --- deploy checks and static files -----------------------------------------------------------


def test_check_deploy_is_silent_with_production_settings(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_clean_env(VAR_DIR=str(tmp_path), **PRODUCTION_ENV),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    done = _run("import django; django.setup()", tmp_path, SECRET_KEY="")
    assert done.returncode != 0
    assert "SECRET_KEY must be set" in done.stderr


def test_static_files_get_hashed_compressed_names_and_immutable_caching(tmp_path: Path) -> None:
    code = """
import django, json
django.setup()
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client
call_command("collectstatic", "--noinput", verbosity=0)
url = static("css/app.css")
response = Client().get(url, secure=True)
print(json.dumps({"url": url, "status": response.status_code,
                  "cache": response.headers.get("Cache-Control", "")}))
"""
    done = _run(code, tmp_path, ALLOWED_HOSTS="testserver")
    assert done.returncode == 0, done.stderr
    served = json.loads(done.stdout.strip().splitlines()[-1])
    # app.<hash>.css: a new deploy gets a new name, so browsers may keep the old forever.
    name = served["url"].rsplit("/", 1)[-1]
    assert name.startswith("app.") and name.endswith(".css") and name != "app.css"
    assert served["status"] == 200
    assert "immutable" in served["cache"]
    collected = tmp_path / "staticfiles"
    assert (collected / "staticfiles.json").exists()
    assert (collected / "css" / (name + ".gz")).exists()


def test_the_bench_baseline_exists_only_when_the_bench_asks(tmp_path: Path) -> None:
    code = (
        "import django; django.setup(); from django.urls import resolve, Resolver404\n"
        "try:\n    print(resolve('/bench/baseline').view_name)\n"
        "except Resolver404:\n    print('absent')"
    )
    assert _run(code, tmp_path).stdout.strip() == "absent"
    assert _run(code, tmp_path, BENCH_BASELINE="1").stdout.strip() == "bench:baseline"
