from __future__ import annotations

from django.urls import path

from people import oidc

# mozilla-django-oidc reverses these two names itself (without a namespace).
urlpatterns = [
    path("authenticate/", oidc.authenticate, name="oidc_authentication_init"),
    path("callback/", oidc.callback, name="oidc_authentication_callback"),
]
