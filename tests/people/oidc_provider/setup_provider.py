"""Create the provider's signing key, one registered client and its people."""

from __future__ import annotations

import json
import sys

import django

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from oidc_provider.models import Client, ResponseType  # noqa: E402

config = json.loads(sys.argv[1])
call_command("migrate", verbosity=0)
call_command("creatersakey")
client = Client.objects.create(
    name="Teaching file",
    client_type="confidential",
    client_id=config["client_id"],
    client_secret=config["client_secret"],
    jwt_alg="RS256",
    require_consent=False,
    _redirect_uris=config["redirect_uri"],
    _scope="openid email profile groups",
)
client.response_types.set(ResponseType.objects.filter(value="code"))
for person in config["people"]:
    user = User.objects.create_user(
        person["username"],
        email=person["email"],
        password=person["password"],
        first_name=person.get("first_name", ""),
        last_name=person.get("last_name", ""),
    )
    for name in person.get("groups", []):
        user.groups.add(Group.objects.get_or_create(name=name)[0])
