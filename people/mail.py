"""E-mail: every message is a plain-text template under templates/people/email/."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from people.timezones import zone_for


def absolute(path: str) -> str:
    """A link for an e-mail: the site's public address (SITE_URL) plus the path."""
    return settings.SITE_URL.rstrip("/") + path


def send_to(user: Any, template: str, context: dict[str, Any]) -> None:
    """Render people/email/<template>.txt (first line: subject) in the recipient's zone."""
    with timezone.override(zone_for(user)):
        text = render_to_string(
            f"people/email/{template}.txt",
            {
                "user": user,
                "site_url": settings.SITE_URL.rstrip("/"),
                "preferences_url": absolute(reverse("people:preferences")),
                **context,
            },
        )
    subject, _, body = text.lstrip().partition("\n")
    send_mail(subject.strip(), body.lstrip("\n"), None, [user.email])


def send_invitation(user: Any, token: str, by: Any) -> None:
    link = absolute(reverse("people:invitation_accept", args=[token]))
    invitation = user.invitations.order_by("-created_at").first()
    send_to(
        user,
        "invitation",
        {"link": link, "by": by, "expires_at": invitation.expires_at if invitation else None},
    )
