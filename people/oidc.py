"""OpenID Connect single sign-on through mozilla-django-oidc, configured from the environment.

Only the issuer is configured: its endpoints are read from its discovery document
(/.well-known/openid-configuration) once per process. A claim (OIDC_ROLES_CLAIM) lists
the person's groups at the identity provider; OIDC_ROLE_MAP turns them into our roles.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from people import audit
from people.models import AuditAction, Invitation, Profile
from teachingfile import roles

logger = logging.getLogger(__name__)

_DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
_documents: dict[str, dict[str, Any]] = {}


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER and settings.OIDC_RP_CLIENT_ID)


def discovery(issuer: str) -> dict[str, Any]:
    if issuer not in _documents:
        response = requests.get(
            f"{issuer}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT
        )
        response.raise_for_status()
        document = response.json()
        if document.get("issuer", "").rstrip("/") != issuer:
            raise ValueError(f"The discovery document at {issuer} names another issuer.")
        _documents[issuer] = document
    return _documents[issuer]


def oidc_setting(attr: str, *default: Any) -> Any:
    """A setting, with the provider's endpoints filled in from its discovery document."""
    if attr in _DISCOVERED and not getattr(settings, attr, None):
        return discovery(settings.OIDC_ISSUER)[_DISCOVERED[attr]]
    return import_from_settings(attr, *default)


def roles_from_claims(claims: dict[str, Any]) -> list[str]:
    groups = claims.get(settings.OIDC_ROLES_CLAIM) or []
    if isinstance(groups, str):
        groups = groups.split()
    mapping = settings.OIDC_ROLE_MAP
    return sorted({mapping[g] for g in groups if g in mapping and mapping[g] in roles.ALL_ROLES})


class RoleMappingBackend(OIDCAuthenticationBackend):
    """Find or create the account by e-mail, and give it the roles its groups map to."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Django builds every backend for every password login too: the provider's
        # endpoints are looked up only when an SSO callback actually arrives, so a provider
        # that is down never breaks local logins.
        self.UserModel = get_user_model()

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        if not enabled() or request is None or "code" not in request.GET:
            return None
        super().__init__()
        return super().authenticate(request, **kwargs)

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        # The e-mail is how an SSO login finds an invited or imported account.
        return bool(claims.get("email")) and claims.get("email_verified", True) is not False

    def get_username(self, claims: dict[str, Any]) -> str:
        wanted = claims.get("preferred_username") or claims["email"].split("@")[0]
        base = re.sub(r"[^\w.@+-]", "", wanted)[:140] or "user"
        name, n = base, 1
        while self.UserModel.objects.filter(username__iexact=name).exists():
            n += 1
            name = f"{base}{n}"
        return name

    @transaction.atomic
    def create_user(self, claims: dict[str, Any]) -> Any:
        user = self.UserModel.objects.create_user(
            self.get_username(claims),
            email=claims["email"],
            first_name=claims.get("given_name", "")[:150],
            last_name=claims.get("family_name", "")[:150],
        )
        Profile.objects.get_or_create(user=user)
        return self.update_user(user, claims)

    @transaction.atomic
    def update_user(self, user: Any, claims: dict[str, Any]) -> Any:
        now = timezone.now()
        pending = Invitation.objects.filter(user=user).usable(now)
        if not user.is_active and pending.exists():
            # Invited or imported, and the provider vouches for the e-mail: the sign-in
            # accepts the invitation. A deactivated person has no usable invitation.
            pending.update(used_at=now)
            user.is_active = True
            user.save(update_fields=["is_active"])
        mapped = roles_from_claims(claims)
        before = sorted(roles.group_names(user))
        # The provider is the authority for roles only when one of its groups maps to one.
        if mapped and mapped != before:
            user.groups.set(Group.objects.filter(name__in=mapped))
            user.is_staff = mapped != [roles.RESIDENT]
            user.save(update_fields=["is_staff"])
            user.__dict__.pop("_role_names", None)
            audit.record(
                AuditAction.ROLE_CHANGE,
                target=user.get_username(),
                subject=user,
                before=", ".join(before) or "none",
                after=", ".join(mapped),
                source="single sign-on",
            )
        return user

    def get_user(self, user_id: int) -> Any:
        user = super().get_user(user_id)
        # A deactivated person's open session ends with their next request.
        return user if user is not None and user.is_active else None


class _RequestView(OIDCAuthenticationRequestView):
    get_settings = staticmethod(oidc_setting)


class _CallbackView(OIDCAuthenticationCallbackView):
    get_settings = staticmethod(oidc_setting)


def _unreachable(request: HttpRequest, error: Exception) -> HttpResponse:
    logger.warning("Single sign-on failed: %s", error)
    return redirect(settings.LOGIN_REDIRECT_URL_FAILURE)


def authenticate(request: HttpRequest) -> HttpResponse:
    """Send the browser to the identity provider (404 when single sign-on is off)."""
    if not enabled() or request.method != "GET":
        raise Http404
    try:
        return _RequestView.as_view()(request)
    except (requests.RequestException, ValueError, KeyError) as error:
        return _unreachable(request, error)


def callback(request: HttpRequest) -> HttpResponse:
    """The provider sends the browser back here with a code; log the person in."""
    if not enabled() or request.method != "GET":
        raise Http404
    try:
        return _CallbackView.as_view()(request)
    except (requests.RequestException, ValueError, KeyError) as error:
        return _unreachable(request, error)
