"""Writes of the people pages: invite, import a cohort, change a role, deactivate, resend.

Each checks that the acting user may manage the person, so a view that forgot its own
check still cannot touch someone else's people. Directors manage the residents of their
programs and the people they invited, and give only the resident and faculty roles;
site admins (superusers) manage everyone and give every role.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q, QuerySet

from people import audit
from people.models import AuditAction, Invitation, Profile, token_digest
from quiz.models import Cohort, Membership
from teachingfile import roles

User = get_user_model()

DIRECTOR_GIVES = (roles.RESIDENT, roles.FACULTY)


def is_site_admin(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False))


def may_manage_people(user: Any) -> bool:
    return is_site_admin(user) or roles.is_director(user)


def assignable_roles(by: Any) -> tuple[str, ...]:
    return roles.ALL_ROLES if is_site_admin(by) else DIRECTOR_GIVES


def managed_people(by: Any) -> QuerySet[Any]:
    """The accounts this user may see and manage on the people pages."""
    if is_site_admin(by):
        return User.objects.all()
    if not roles.is_director(by):
        return User.objects.none()
    programs = by.directed_programs.values("pk")
    return User.objects.filter(
        Q(pk__in=Membership.objects.filter(cohort__program__in=programs).values("resident"))
        | Q(pk__in=Invitation.objects.filter(created_by=by).values("user"))
    ).exclude(is_superuser=True)


def _check_manages(person: Any, by: Any) -> None:
    if person.pk == by.pk:
        raise PermissionDenied("You cannot change your own account here.")
    if not managed_people(by).filter(pk=person.pk).exists():
        raise PermissionDenied("You do not manage this person.")
    if not is_site_admin(by) and (
        person.is_staff and roles.group_names(person) - set(DIRECTOR_GIVES)
    ):
        raise PermissionDenied("Only a site admin changes a director's or an editor's account.")


def _check_cohort(cohort: Cohort | None, by: Any) -> None:
    if cohort is None or is_site_admin(by):
        return
    if not cohort.program.directors.filter(pk=by.pk).exists():
        raise PermissionDenied("Only a director of this program adds people to its cohorts.")


def _username_for(email: str) -> str:
    base = re.sub(r"[^\w.@+-]", "", email.split("@")[0].lower())[:140] or "user"
    name, n = base, 1
    while User.objects.filter(username__iexact=name).exists():
        n += 1
        name = f"{base}{n}"
    return name


@dataclass
class Invited:
    user: Any
    token: str


def _new_invitation(user: Any, by: Any, now: datetime) -> Invited:
    token = secrets.token_urlsafe(32)
    Invitation.objects.create(
        user=user,
        token_hash=token_digest(token),
        created_by=by,
        created_at=now,
        expires_at=now + timedelta(hours=settings.INVITATION_VALID_HOURS),
    )
    return Invited(user=user, token=token)


def _create_invited(
    *,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    by: Any,
    now: datetime,
    cohort: Cohort | None = None,
    training_year: int = 1,
) -> Invited:
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": f"“{email}” is not an e-mail address."}) from None
    if role not in assignable_roles(by):
        raise ValidationError({"role": f"You cannot give the role “{role}”."})
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": f"{email} already has an account."})
    # Inactive until the invitation is accepted: no password, no login, no reset e-mail.
    user = User(
        username=_username_for(email),
        email=email,
        first_name=first_name.strip()[:150],
        last_name=last_name.strip()[:150],
        is_active=False,
        is_staff=role != roles.RESIDENT,
    )
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.set(Group.objects.filter(name=role))
    Profile.objects.create(user=user)
    if cohort is not None:
        membership = Membership(cohort=cohort, resident=user, training_year=training_year)
        membership.full_clean()
        membership.save()
    audit.record(
        AuditAction.USER_INVITE,
        actor=by,
        target=user.username,
        subject=user,
        program=cohort.program if cohort else None,
        role=role,
        cohort=str(cohort) if cohort else None,
    )
    return _new_invitation(user, by, now)


@transaction.atomic
def person_invite(
    *,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    by: Any,
    now: datetime,
    cohort: Cohort | None = None,
    training_year: int = 1,
) -> Invited:
    """Create an inactive account with a role (and cohort) and a one-time invitation."""
    if not may_manage_people(by):
        raise PermissionDenied("Only directors and site admins invite people.")
    _check_cohort(cohort, by)
    if cohort is not None and role != roles.RESIDENT:
        raise ValidationError({"cohort": "Only residents join a cohort."})
    return _create_invited(
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        by=by,
        now=now,
        cohort=cohort,
        training_year=training_year,
    )


class CohortImportError(ValidationError):
    """The CSV had bad rows; `lines` holds one message per bad line, nothing was written."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(lines)
        self.lines = lines


IMPORT_COLUMNS = ("name", "email", "training_year")


def _split_name(name: str) -> tuple[str, str]:
    if "," in name:  # "Doe, Jane"
        last, first = (part.strip() for part in name.split(",", 1))
        return first, last
    first, _, last = name.strip().rpartition(" ")
    return (first, last) if first else (last, "")


@transaction.atomic
def cohort_import(*, cohort: Cohort, text: str, by: Any, now: datetime) -> list[Invited]:
    """Invite a cohort of residents from CSV (name, e-mail, training year): all or nothing."""
    if not may_manage_people(by):
        raise PermissionDenied("Only directors and site admins import people.")
    _check_cohort(cohort, by)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    rows = [(n, row) for n, row in enumerate(reader, start=1) if any(c.strip() for c in row)]
    if rows and [c.strip().lower().replace(" ", "_") for c in rows[0][1]][:3] == list(
        IMPORT_COLUMNS
    ):
        rows = rows[1:]  # a header line
    if not rows:
        raise CohortImportError(["The file has no rows: one line per resident, name,email,year."])
    errors: list[str] = []
    seen: dict[str, int] = {}
    invited: list[Invited] = []
    for line, row in rows:
        if len(row) != 3:
            errors.append(f"Line {line}: expected 3 columns (name, e-mail, training year).")
            continue
        name, email, year = (cell.strip() for cell in row)
        if not name:
            errors.append(f"Line {line}: the name is empty.")
            continue
        if not year.isdigit() or not 1 <= int(year) <= 8:
            errors.append(f"Line {line}: training year must be 1 to 8, not “{year}”.")
            continue
        if email.lower() in seen:
            errors.append(f"Line {line}: {email} is already on line {seen[email.lower()]}.")
            continue
        seen[email.lower()] = line
        first, last = _split_name(name)
        try:
            # A savepoint per row: a bad row is reported, the good ones are rolled back below.
            with transaction.atomic():
                invited.append(
                    _create_invited(
                        email=email,
                        first_name=first,
                        last_name=last,
                        role=roles.RESIDENT,
                        by=by,
                        now=now,
                        cohort=cohort,
                        training_year=int(year),
                    )
                )
        except ValidationError as exc:
            messages = [m for ms in exc.message_dict.values() for m in ms]
            errors.append(f"Line {line}: {' '.join(messages)}")
    if errors:
        transaction.set_rollback(True)
        raise CohortImportError(errors)
    return invited


@transaction.atomic
def invitation_resend(*, person: Any, by: Any, now: datetime) -> Invited:
    """Replace a person's pending invitation with a fresh one; the old link stops working."""
    _check_manages(person, by)
    if person.is_active or person.has_usable_password():
        raise ValidationError("This person has already accepted their invitation.")
    Invitation.objects.filter(user=person).usable(now).update(revoked_at=now)
    return _new_invitation(person, by, now)


def invitation_for_token(token: str) -> Invitation | None:
    return Invitation.objects.select_related("user").filter(token_hash=token_digest(token)).first()


@transaction.atomic
def invitation_accept(*, invitation: Invitation, password: str, now: datetime) -> Any:
    """Set the password and activate the account; the link is spent."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    refusal = invitation.refusal(now)
    if refusal:
        raise ValidationError(refusal)
    user = invitation.user
    user.set_password(password)
    user.is_active = True
    user.save(update_fields=["password", "is_active"])
    invitation.used_at = now
    invitation.save(update_fields=["used_at"])
    return user


@transaction.atomic
def person_set_role(*, person: Any, role: str, by: Any) -> None:
    """Give a person exactly one role (a site admin may add Editor to Faculty in the admin)."""
    _check_manages(person, by)
    if role not in assignable_roles(by):
        raise ValidationError({"role": f"You cannot give the role “{role}”."})
    before = sorted(roles.group_names(person))
    if before == [role]:
        return
    person.groups.set(Group.objects.filter(name=role))
    # Faculty and directors work in the admin (authoring, cohorts); residents never do.
    person.is_staff = role != roles.RESIDENT
    person.save(update_fields=["is_staff"])
    person.__dict__.pop("_role_names", None)
    audit.record(
        AuditAction.ROLE_CHANGE,
        actor=by,
        target=person.get_username(),
        subject=person,
        before=", ".join(before) or "none",
        after=role,
    )


@transaction.atomic
def person_deactivate(*, person: Any, by: Any, now: datetime) -> None:
    """Stop a person logging in; their answers, cases and grades all stay."""
    _check_manages(person, by)
    person.is_active = False
    person.save(update_fields=["is_active"])
    Invitation.objects.filter(user=person).usable(now).update(revoked_at=now)
    audit.record(
        AuditAction.USER_DEACTIVATE, actor=by, target=person.get_username(), subject=person
    )


@transaction.atomic
def person_reactivate(*, person: Any, by: Any) -> None:
    """Let a deactivated person log in again with their old password."""
    _check_manages(person, by)
    if not person.has_usable_password():
        raise ValidationError("This person never set a password: resend the invitation instead.")
    person.is_active = True
    person.save(update_fields=["is_active"])
    audit.record(
        AuditAction.USER_REACTIVATE, actor=by, target=person.get_username(), subject=person
    )


def audit_events_visible_to(user: Any) -> QuerySet[audit.AuditEvent]:
    """Site admins read everything; a director, the rows about their programs and people."""
    events = audit.AuditEvent.objects.select_related("program")
    if getattr(user, "is_superuser", False):
        return events
    if not roles.is_director(user):
        return events.none()
    # Their programs, the people they manage (residents of those programs, people they
    # invited), and what they did themselves.
    programs = user.directed_programs.values("pk")
    return events.filter(
        Q(program__in=programs) | Q(subject__in=managed_people(user).values("pk")) | Q(actor=user)
    )
