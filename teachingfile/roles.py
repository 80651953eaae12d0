"""Roles are Django groups; these helpers are the one place that names them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser, User

if TYPE_CHECKING:
    from teachingfile.models import Case

RESIDENT = "Resident"
FACULTY = "Faculty"
EDITOR = "Editor"
DIRECTOR = "Program director"
ALL_ROLES = (RESIDENT, FACULTY, EDITOR, DIRECTOR)

# The project keeps Django's own User model (no AUTH_USER_MODEL); request.user is one of these.
AnyUser = User | AnonymousUser


def group_names(user: AnyUser) -> frozenset[str]:
    if not user.is_authenticated:
        return frozenset()
    # Cached on the user object: templates and views ask several times per request.
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        # A per-request memo on the user object, which declares no such attribute.
        user._role_names = cached  # type: ignore[attr-defined]  # memo, not a model field
    return cached


def is_faculty(user: AnyUser) -> bool:
    return bool(group_names(user) & {FACULTY, EDITOR}) or bool(getattr(user, "is_superuser", False))


def is_editor(user: AnyUser) -> bool:
    return EDITOR in group_names(user) or bool(getattr(user, "is_superuser", False))


def is_director(user: AnyUser) -> bool:
    return DIRECTOR in group_names(user) or bool(getattr(user, "is_superuser", False))


def is_resident(user: AnyUser) -> bool:
    return RESIDENT in group_names(user)


def may_edit_case(user: AnyUser, case: Case) -> bool:
    """Editors (and site admins) edit any case; other faculty only the cases they own."""
    if is_editor(user):
        return True
    return is_faculty(user) and case.owner_id is not None and case.owner_id == user.pk


# What each role may do in the admin. Residents use the site only, never the admin.
_GROUP_PERMISSIONS: dict[str, list[str]] = {
    RESIDENT: [],
    FACULTY: [
        "teachingfile.view_case",
        "teachingfile.add_case",
        "teachingfile.change_case",
        "teachingfile.review_case",
        *[
            f"teachingfile.{action}_{model}"
            for model in (
                "figure",
                "question",
                "choice",
                "acceptedanswer",
                "reference",
                "labvalue",
                "differentialdiagnosis",
                "series",
            )
            for action in ("view", "add", "change", "delete")
        ],
        "teachingfile.view_keyword",
        "teachingfile.add_keyword",
        "teachingfile.view_rating",
        "teachingfile.add_rating",
        "teachingfile.change_rating",
        "teachingfile.view_comment",
        "teachingfile.change_comment",
        "teachingfile.view_statuschange",
        "quiz.view_quiz",
        "quiz.add_quiz",
        "quiz.change_quiz",
        "quiz.view_quizitem",
        "quiz.add_quizitem",
        "quiz.change_quizitem",
        "quiz.delete_quizitem",
        "quiz.view_response",
        "quiz.change_response",
    ],
    EDITOR: ["teachingfile.publish_case", "teachingfile.delete_case"],
    DIRECTOR: [
        "quiz.view_program",
        *[
            f"quiz.{action}_{model}"
            for model in ("cohort", "membership", "assignment")
            for action in ("view", "add", "change", "delete")
        ],
        "quiz.view_quiz",
        "quiz.view_quizitem",
        "quiz.view_response",
        "quiz.view_attempt",
    ],
}


def ensure_groups() -> None:
    """Create the role groups with their permissions; safe to run again."""
    from django.contrib.auth.models import Group, Permission

    for name, codes in _GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for code in codes:
            app_label, codename = code.split(".")
            wanted.append((app_label, codename))
        perms = [
            perm
            for perm in Permission.objects.filter(
                content_type__app_label__in={a for a, _ in wanted},
                codename__in={c for _, c in wanted},
            ).select_related("content_type")
            if (perm.content_type.app_label, perm.codename) in set(wanted)
        ]
        if len(perms) != len(set(wanted)):
            missing = set(wanted) - {(p.content_type.app_label, p.codename) for p in perms}
            raise RuntimeError(f"Unknown permissions for {name}: {sorted(missing)}")
        group.permissions.set(perms)
