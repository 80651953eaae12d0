"""Personas and isolation shared by every test."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import AbstractUser

from teachingfile import roles
from tests.factories import CohortFactory, MembershipFactory, ProgramFactory, make_user


@pytest.fixture(autouse=True)
def _media_root(settings: pytest.FixtureRequest, tmp_path: Path) -> None:
    # Uploads land in a per-test folder, never in var/media.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    # Each test's database starts afresh (ids and versions repeat), so its cache must too
    # (the case rows of quiz.reading, the review flags of quiz.reports.flags...).
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def resident(db: None) -> AbstractUser:
    return make_user("rosa", roles.RESIDENT)


@pytest.fixture
def other_resident(db: None) -> AbstractUser:
    return make_user("oscar", roles.RESIDENT)


@pytest.fixture
def faculty(db: None) -> AbstractUser:
    return make_user("farid", roles.FACULTY, is_staff=True)


@pytest.fixture
def other_faculty(db: None) -> AbstractUser:
    return make_user("fiona", roles.FACULTY, is_staff=True)


@pytest.fixture
def editor(db: None) -> AbstractUser:
    return make_user("edith", roles.FACULTY, roles.EDITOR, is_staff=True)


@pytest.fixture
def director(db: None) -> AbstractUser:
    return make_user("dana", roles.DIRECTOR, is_staff=True)


@pytest.fixture
def outsider(db: None) -> AbstractUser:
    """Logged in, but in no role at all."""
    return make_user("charlie")


@pytest.fixture
def cohort(db: None, resident: AbstractUser, director: AbstractUser):  # type: ignore[no-untyped-def]
    program = ProgramFactory(name="Home program")
    program.directors.add(director)
    group = CohortFactory(program=program, name="PGY-2")
    MembershipFactory(cohort=group, resident=resident)
    return group
