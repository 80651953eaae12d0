from __future__ import annotations

import re

import pytest
from django.core import mail


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    # The rate limits count in the cache, which outlives a test.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_time_zone_cache() -> None:
    # Each test starts from the site's zone; the middleware sets it per request.
    from django.utils import timezone

    timezone.deactivate()


def invitation_link(message: mail.EmailMessage) -> str:
    found = re.search(r"https?://[^/\s]+(/people/welcome/[^/\s]+/)", message.body)
    assert found, message.body
    return found.group(1)
