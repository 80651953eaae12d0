from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from people import oidc


def sign_in(request: HttpRequest) -> dict[str, object]:
    return {"oidc_enabled": oidc.enabled(), "oidc_button_label": settings.OIDC_BUTTON_LABEL}
