from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _create_role_groups(sender: AppConfig, **kwargs: Any) -> None:
    # Runs after the quiz app's permissions exist, the last of ours to migrate.
    if sender.label == "quiz":
        from teachingfile.roles import ensure_groups

        ensure_groups()


class TeachingFileConfig(AppConfig):
    name = "teachingfile"
    verbose_name = "Teaching file"

    def ready(self) -> None:
        post_migrate.connect(_create_role_groups, dispatch_uid="teachingfile-role-groups")
