from __future__ import annotations

from typing import Any

from oidc_provider.lib.claims import ScopeClaims


def userinfo(claims: dict[str, Any], user: Any) -> dict[str, Any]:
    claims.update(
        email=user.email,
        email_verified=True,
        given_name=user.first_name,
        family_name=user.last_name,
        preferred_username=user.username,
    )
    return claims


class GroupsClaims(ScopeClaims):
    info_groups = ("Groups", "The groups you belong to.")

    def scope_groups(self) -> dict[str, Any]:
        return {"groups": list(self.user.groups.values_list("name", flat=True))}
