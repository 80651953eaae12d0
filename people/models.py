"""People: invitations, each person's preferences, the audit trail and what e-mail went out."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


def token_digest(token: str) -> str:
    """Only a digest of an invitation token is stored, so a database dump opens no account."""
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def usable(self, now: datetime) -> InvitationQuerySet:
        return self.filter(used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


class Invitation(models.Model):
    """A one-time link, sent by e-mail, that lets a new person set their password."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # Set when a newer invitation replaces this one (resend) or the person is deactivated.
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Invitation for {self.user} ({self.created_at:%Y-%m-%d})"

    def refusal(self, now: datetime) -> str:
        """Why the link cannot be used any more, or "" when it can."""
        if self.used_at is not None:
            return "This invitation has already been used. Log in, or reset your password."
        if self.revoked_at is not None:
            return "This invitation was replaced by a newer one. Use the link in the latest e-mail."
        if self.expires_at <= now:
            return "This invitation has expired. Ask your program director to send a new one."
        return ""


class Notice(models.TextChoices):
    """Kinds of e-mail; the essential ones (invitation, password) cannot be turned off."""

    ASSIGNMENT = "assignment", "A quiz is assigned to me"
    DUE_SOON = "due_soon", "An assignment is due within 48 hours"
    OVERDUE = "overdue", "An assignment is overdue"
    CASE_RETURNED = "case_returned", "A case of mine is returned by its reviewer"
    DIGEST = "digest", "Weekly digest of my programs (directors)"


class Profile(models.Model):
    """What each person chooses for themselves: time zone and which e-mail they get."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    time_zone = models.CharField(
        max_length=64, blank=True, help_text="Empty: the site's time zone."
    )
    # Kinds of Notice the person turned off.
    muted = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"Preferences of {self.user}"

    def wants(self, kind: str) -> bool:
        return kind not in self.muted


class SentNotice(models.Model):
    """One e-mail reminder that went out; the unique key is what keeps cron runs idempotent."""

    kind = models.CharField(max_length=20, choices=Notice.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sent_notices"
    )
    # What it was about: "assignment:12", "statuschange:40", "week:2026-W48".
    key = models.CharField(max_length=80)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "user", "key"], name="sentnotice_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.user} about {self.key}"


class AuditAction(models.TextChoices):
    CASE_PUBLISH = "case.publish", "Case published"
    CASE_RETURN = "case.return", "Case returned to its author"
    CASE_RETIRE = "case.retire", "Case retired"
    CASE_STATUS = "case.status", "Case status changed"
    RESPONSE_GRADE = "response.grade", "Answer graded"
    RESPONSE_OVERRIDE = "response.override", "Score overridden"
    ROLE_CHANGE = "user.role", "Role changed"
    USER_INVITE = "user.invite", "Person invited"
    USER_DEACTIVATE = "user.deactivate", "Person deactivated"
    USER_REACTIVATE = "user.reactivate", "Person reactivated"
    EXPORT_CSV = "export.csv", "CSV exported"
    EXPORT_BUNDLE = "export.bundle", "Case bundle exported"
    BACKUP = "export.backup", "Site backup written"


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    # The log is append-only: bulk edits through the ORM are refused as well.
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("The audit trail is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit trail is append-only.")


class AuditEvent(models.Model):
    """Who did what, when: one row per audited action, never changed afterwards."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Kept as text too, so the row still says who it was if the account is ever removed.
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=24, choices=AuditAction.choices, db_index=True)
    target = models.CharField(max_length=200, blank=True, help_text="What it was done to.")
    detail = models.JSONField(default=dict, blank=True)
    # Whose record it touches and in which program, so directors read their programs only.
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    program = models.ForeignKey(
        "quiz.Program", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name or 'system'} {self.action} {self.target}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit trail is append-only.")
