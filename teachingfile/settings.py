"""Settings for the teaching file, read from the environment.

Local use needs nothing: SQLite under var/, DEBUG only when asked for. Production sets
DEBUG off, SECRET_KEY, ALLOWED_HOSTS and usually DATABASE_URL, and then passes
`manage.py check --deploy` without a warning.
"""

from __future__ import annotations

import zoneinfo
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from teachingfile.env import email_config, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

_DEV_SECRET = "insecure-local-development-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET if DEBUG else "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
if not DEBUG:
    # Refuse to start a production server with a guessable key or an open host list.
    if not SECRET_KEY or SECRET_KEY == _DEV_SECRET:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "teachingfile",
    "quiz",
    "teachingfile.search",
    "live",  # live case conference (docs/live.md)
    "axes",
    "people",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "people.middleware.TimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "teachingfile.middleware.SecurityHeadersMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "teachingfile.urls"
WSGI_APPLICATION = "teachingfile.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "teachingfile.context_processors.roles_context",
                "quiz.context_processors.practice_review_context",
                "people.context_processors.sign_in",
            ],
        },
    }
]

# SQLite by default so one command runs the demo; DATABASE_URL points bigger installs at
# PostgreSQL. WAL plus IMMEDIATE transactions lets several workers write without
# "database is locked": writers queue on the busy timeout instead of failing mid-way.
_SQLITE_PATH = VAR_DIR / "teachingfile.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{_SQLITE_PATH}"),
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DB_POOL"):
    # psycopg's pool keeps warm connections per worker process; Django refuses a pool
    # together with persistent connections, so the pool replaces CONN_MAX_AGE.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DB_POOL_MIN_SIZE", 2),
        "max_size": env_int("DB_POOL_MAX_SIZE", 10),
        "timeout": env_int("DB_POOL_TIMEOUT", 10),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A new SQLite connection re-reads the schema and re-registers Django's functions
    # (a millisecond or two per request), so production workers keep theirs, as they do
    # on PostgreSQL. The dev server opens a thread per request and gains nothing from it.
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 0 if DEBUG else 60)
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA busy_timeout=20000;"
            "PRAGMA foreign_keys=ON;"
        ),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login rate limiting (django-axes): five wrong passwords for one username from one address
# lock that pair out for 15 minutes. Keying on the pair, not the address alone, keeps a
# whole hospital behind one NAT address from being locked out by one person's typos.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# Passwords are never stored in the attempt log, even wrong ones.
AXES_SENSITIVE_PARAMETERS = ["password"]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
# The site's zone (e.g. America/Chicago); each person may choose their own on
# /people/preferences/. Times are stored in UTC and shown with their zone.
TIME_ZONE = env_str("TIME_ZONE", "UTC")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(
        f"TIME_ZONE must be a zone such as America/Chicago, not {TIME_ZONE!r}"
    ) from None
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# S3-compatible media (django-storages) when a bucket is configured.
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "default_acl": None,
            "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH", True),
            "file_overwrite": False,
            "object_parameters": {"CacheControl": "max-age=31536000, immutable"},
        },
    }

# Media files are content-addressed under unguessable names, so they never change
# (teachingfile.views.media_file sends this as max-age, with `immutable`).
MEDIA_CACHE_SECONDS = 60 * 60 * 24 * 365
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
IMAGE_MAX_BYTES = env_int("IMAGE_MAX_BYTES", 50 * 1024 * 1024)
# --- Upload limits and DICOM de-identification (docs/security.md, issue #13) ---
# Each limit is checked from headers before any pixel is decoded, and again while reading.
IMAGE_MAX_FRAMES = env_int("IMAGE_MAX_FRAMES", 1000)  # frames in one DICOM object
IMAGE_ZIP_MAX_MEMBERS = env_int("IMAGE_ZIP_MAX_MEMBERS", 1000)  # files in one zip
IMAGE_MAX_TOTAL_PIXELS = env_int("IMAGE_MAX_TOTAL_PIXELS", 400_000_000)  # all frames
IMAGE_TIME_BUDGET_SECONDS = env_int("IMAGE_TIME_BUDGET_SECONDS", 120)  # one upload
# PS3.15 options, off as in the basic profile: keep age/sex/size/weight; keep dates
# shifted by a per-patient number of days (intervals survive).
DICOM_RETAIN_PATIENT_CHARACTERISTICS = env_bool("DICOM_RETAIN_PATIENT_CHARACTERISTICS")
DICOM_RETAIN_MODIFIED_DATES = env_bool("DICOM_RETAIN_MODIFIED_DATES")
# Look for text burned into the pixels (Tesseract) and hold such uploads for the author.
IMAGE_CHECK_BURNED_IN_TEXT = env_bool("IMAGE_CHECK_BURNED_IN_TEXT", True)
# --- end upload limits ---

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# --- people (people/): invitations, e-mail, single sign-on -----------------------------------
# E-mail from one URL (console: for the local demo; smtp+tls://user:pass@host:587 etc.).
_EMAIL = email_config(env_str("EMAIL_URL", "console:" if DEBUG else "smtp://localhost:25"))
EMAIL_BACKEND = str(_EMAIL["EMAIL_BACKEND"])
EMAIL_HOST = str(_EMAIL.get("EMAIL_HOST", "localhost"))
EMAIL_PORT = int(_EMAIL.get("EMAIL_PORT", 25))  # type: ignore[call-overload]  # int or str
EMAIL_HOST_USER = str(_EMAIL.get("EMAIL_HOST_USER", ""))
EMAIL_HOST_PASSWORD = str(_EMAIL.get("EMAIL_HOST_PASSWORD", ""))
EMAIL_USE_TLS = bool(_EMAIL.get("EMAIL_USE_TLS", False))
EMAIL_USE_SSL = bool(_EMAIL.get("EMAIL_USE_SSL", False))
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Teaching file <teachingfile@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The public address e-mails link to (invitations, reminders).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
INVITATION_VALID_HOURS = env_int("INVITATION_VALID_HOURS", 72)
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_HOURS", 24) * 3600

# OpenID Connect single sign-on (mozilla-django-oidc), on when an issuer and client are set.
# Endpoints come from the issuer's discovery document (people/oidc.py).
OIDC_ISSUER = env_str("OIDC_ISSUER").rstrip("/")
OIDC_RP_CLIENT_ID = env_str("OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
OIDC_RP_SIGN_ALGO = env_str("OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = env_str("OIDC_SCOPES", "openid email profile")
OIDC_USE_PKCE = True
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT", 10)
# The claim listing the person's groups, and which group gives which role:
# OIDC_ROLE_MAP="rad-residents=Resident,rad-faculty=Faculty,rad-pd=Program director".
OIDC_ROLES_CLAIM = env_str("OIDC_ROLES_CLAIM", "groups")
OIDC_ROLE_MAP = dict(
    (key.strip(), value.strip())
    for key, _, value in (item.partition("=") for item in env_list("OIDC_ROLE_MAP", []))
)
OIDC_BUTTON_LABEL = env_str("OIDC_BUTTON_LABEL", "Sign in with your hospital account")
LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/?sso=failed"
if OIDC_ISSUER and OIDC_RP_CLIENT_ID:
    AUTHENTICATION_BACKENDS.append("people.oidc.RoleMappingBackend")

# Only `make bench` turns this on: a bare view at /bench/baseline that measures what the
# server and middleware cost without any page work.
BENCH_BASELINE = env_bool("BENCH_BASELINE", False)

# One policy for every page: only our own origin. htmx and the viewer are vendored files,
# and no template carries inline script or style, so nothing needs 'unsafe-inline'.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# Free-text answers at or above this rapidfuzz similarity (0-100) to an accepted answer
# count as correct; see docs/scoring.md.
FREE_TEXT_MATCH_THRESHOLD = env_int("FREE_TEXT_MATCH_THRESHOLD", 88)

# --- layering (issue 14) ---
# The reveal rule the library's search applies to residents (docs/architecture.md): a dotted
# path to a function(user) -> (sql, params) selecting the ids of the cases a learner may see
# revealed (faculty and anonymous users are handled by search itself).
REVEALED_CASES_RULE = "quiz.rules.revealed_case_ids_sql"
# --- end layering ---
