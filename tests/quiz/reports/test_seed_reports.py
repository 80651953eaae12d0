"""The bulk seeding command behind the reports benchmark."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from quiz.models import Attempt, Membership, Response

pytestmark = pytest.mark.django_db


def test_it_seeds_residents_cases_and_responses_at_small_scale() -> None:
    call_command("seed_reports", "--scale", "small")
    assert Membership.objects.count() == 12
    assert Response.objects.count() == 12 * (2000 // 12)
    assert not Attempt.objects.filter(score__isnull=True).exists()
    assert Response.objects.filter(is_first_attempt=False).exists()


def test_it_refuses_to_seed_twice() -> None:
    call_command("seed_reports", "--scale", "small")
    with pytest.raises(CommandError):
        call_command("seed_reports", "--scale", "small")
