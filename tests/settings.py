"""Settings for the test suite: the local defaults, made fast and isolated."""

from __future__ import annotations

import os

# Local-mode settings (no HTTPS redirect, plain static storage); Django's test runner
# still runs the code with DEBUG off.
os.environ.setdefault("DEBUG", "1")

from teachingfile.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
LOGGING = {"version": 1, "disable_existing_loggers": False}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - WhiteNoise warns if missing
SEED_ILLUSTRATION_SIZE = 320
# Reading pixels for burned-in text (Tesseract) is exercised by the tests that need it;
# elsewhere it would only slow the suite and need tesseract-ocr on every machine.
IMAGE_CHECK_BURNED_IN_TEXT = False
