"""The demo site: role accounts, a program with a cohort, and a quiz of the seed cases.

Only `manage.py seed_demo` (and so `make run`) calls this: a real install never gets
accounts with a known password.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.db import transaction
from django.utils import timezone

from quiz.models import Assignment, Cohort, Membership, Program, Quiz, QuizItem
from teachingfile import roles
from teachingfile.models import Case
from teachingfile.seeding import load_seed_cases

DEMO_PASSWORD = "demo"  # noqa: S105 - documented demo credential, demo set-up only

_ACCOUNTS = [
    # username, first, last, groups, is_staff
    ("resident", "Rosa", "Resident", [roles.RESIDENT], False),
    ("faculty", "Farid", "Faculty", [roles.FACULTY], True),
    ("editor", "Edith", "Editor", [roles.FACULTY, roles.EDITOR], True),
    ("director", "Dana", "Director", [roles.DIRECTOR], True),
]


@transaction.atomic
def _account(username: str, first: str, last: str, groups: list[str], staff: bool) -> AbstractUser:
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "is_staff": staff,
            "email": f"{username}@example.org",
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        user.groups.set(Group.objects.filter(name__in=groups))
    return user


def _quiz_of(cases: list[Case], *, title: str, **fields: object) -> tuple[Quiz, bool]:
    """The quiz with this title, created with the cases in order if it is missing."""
    quiz, made = Quiz.objects.get_or_create(title=title, defaults=fields)
    if made:
        QuizItem.objects.bulk_create(
            QuizItem(quiz=quiz, case=case, order=i) for i, case in enumerate(cases)
        )
    return quiz, made


def seed_demo() -> list[str]:
    """Set up the demo; running it again changes nothing. Returns what it created."""
    roles.ensure_groups()
    done: list[str] = []
    users = {username: _account(username, *rest) for username, *rest in _ACCOUNTS}
    created_cases = load_seed_cases(owner=users["faculty"])
    if created_cases:
        done.append(f"{len(created_cases)} seed cases")

    program, _ = Program.objects.get_or_create(name="Demo Radiology Residency")
    program.directors.add(users["director"])
    cohort, _ = Cohort.objects.get_or_create(
        program=program, name="PGY-2 2026", defaults={"academic_year": "2026-2027"}
    )
    Membership.objects.get_or_create(
        cohort=cohort, resident=users["resident"], defaults={"training_year": 2}
    )
    seed_cases = list(Case.objects.filter(public_id__in=[f"tf-000{i}" for i in range(1, 6)]))
    practice, made = _quiz_of(
        seed_cases,
        # Neutral, like an unknown title: a theme in the title is a hint to every case.
        title="Mixed unknowns: set 1",
        description="Five published cases from the teaching file, in practice mode.",
        mode=Quiz.Mode.PRACTICE,
        created_by=users["faculty"],
    )
    if made:
        done.append("practice quiz")
    _, made = _quiz_of(
        seed_cases,
        title="Mixed unknowns: timed set (20 minutes)",
        description="The same five cases under exam conditions; answers come at the end.",
        mode=Quiz.Mode.EXAM,
        time_limit=timedelta(minutes=20),
        is_open=True,
        created_by=users["faculty"],
    )
    if made:
        done.append("exam quiz")
    _, made = Assignment.objects.get_or_create(
        quiz=practice,
        cohort=cohort,
        defaults={"due_at": timezone.now() + timedelta(days=14), "assigned_by": users["director"]},
    )
    if made:
        done.append("assignment")
    return done
