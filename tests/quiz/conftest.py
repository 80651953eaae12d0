"""Two programs for cohort, report and grading tests: a home cohort and another program."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser

from teachingfile import roles
from tests.factories import CohortFactory, MembershipFactory, ProgramFactory, make_user


@pytest.fixture
def other_director(db: None) -> AbstractUser:
    return make_user("dmitri", roles.DIRECTOR, is_staff=True)


@pytest.fixture
def other_cohort(db: None, other_resident: AbstractUser, other_director: AbstractUser):  # type: ignore[no-untyped-def]
    """Another program's cohort: oscar's scores belong to dmitri, not to dana."""
    program = ProgramFactory(name="Other program")
    program.directors.add(other_director)
    group = CohortFactory(program=program, name="PGY-3")
    MembershipFactory(cohort=group, resident=other_resident, training_year=3)
    return group
