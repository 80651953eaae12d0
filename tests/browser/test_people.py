"""People in Chromium: a director invites a resident, the resident sets a password from the
e-mailed link and logs in; the director changes a role in place (htmx)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core import mail

from quiz.models import Cohort
from teachingfile import roles
from tests.browser.conftest import log_in, screenshot
from tests.people.conftest import invitation_link

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_invited_resident_sets_a_password_and_a_director_changes_a_role_in_place(
    new_page: Callable[..., Any],
    live_server: Any,
    director: AbstractUser,
    resident: AbstractUser,
    cohort: Cohort,
) -> None:
    page = new_page()
    log_in(page, live_server.url, "dana", "pass-word-123")
    page.goto(f"{live_server.url}/people/invite/")
    page.get_by_label("First name").fill("Nia")
    page.get_by_label("Last name").fill("Okafor")
    page.get_by_label("E-mail").fill("nia@hospital.example")
    page.get_by_label("Cohort").select_option(label=str(cohort))
    page.get_by_role("button", name="Send the invitation").click()
    page.wait_for_url(f"{live_server.url}/people/")
    assert page.get_by_text("Invitation sent to nia@hospital.example").is_visible()

    # The resident's side: the link from the e-mail, a password, then the login form.
    newcomer = new_page()
    newcomer.goto(live_server.url + invitation_link(mail.outbox[-1]))
    newcomer.get_by_label("New password", exact=True).fill("a-Long-enough-pass-phrase")
    newcomer.get_by_label("New password again").fill("a-Long-enough-pass-phrase")
    newcomer.get_by_role("button", name="Set my password").click()
    newcomer.wait_for_url(f"{live_server.url}/accounts/login/")
    log_in(newcomer, live_server.url, "nia", "a-Long-enough-pass-phrase")
    assert newcomer.get_by_role("link", name="Nia Okafor").is_visible()

    # The director makes rosa faculty: the row changes in place, the page stays.
    page.goto(f"{live_server.url}/people/")
    row = page.locator(f"#person-{resident.pk}")
    row.get_by_label("Role of rosa").select_option(roles.FACULTY)
    page.evaluate("window.__stayed = true")
    row.get_by_role("button", name="Change role of rosa").click()
    page.get_by_text("rosa is now Faculty.").wait_for()
    assert page.evaluate("window.__stayed") is True
    screenshot(page, "people-list")
    rosa = get_user_model().objects.get(pk=resident.pk)
    assert set(rosa.groups.values_list("name", flat=True)) == {roles.FACULTY}


@pytest.mark.parametrize("theme", ("dark", "light"))
def test_the_people_and_password_pages_have_no_serious_accessibility_violations(
    new_page: Callable[..., Any],
    live_server: Any,
    theme: str,
    director: AbstractUser,
    resident: AbstractUser,
    cohort: Cohort,
) -> None:
    from tests.browser.test_accessibility import axe_violations

    pages_by_user: list[tuple[Any, list[str]]] = [
        (None, ["/accounts/password_reset/", "/accounts/password_reset/done/"]),
        (resident, ["/people/preferences/", "/accounts/password_change/"]),
        (director, ["/people/", "/people/invite/", "/people/import/", "/people/audit/"]),
    ]
    found: dict[str, Any] = {}
    for user, paths in pages_by_user:
        page = new_page(user, theme=theme)
        for path in paths:
            page.goto(f"{live_server.url}{path}")
            violations = axe_violations(page)
            if violations:
                found[path] = violations
                screenshot(page, f"axe-{theme}-{path.strip('/').replace('/', '_')}")
    assert found == {}, found
