from __future__ import annotations

from tests.security.urlwalk import shadowed_routes, site_urls


def test_no_url_pattern_is_hidden_behind_an_earlier_one(db: None) -> None:
    """Two views on one path: the second is unreachable, and the sweeps would skip it."""
    assert shadowed_routes() == []


def test_the_sweep_reaches_the_pages_that_matter(db: None) -> None:
    paths = {u.path for u in site_urls()}
    for expected in ("/cases/tf-0001/answer/", "/accounts/login/", "/admin/", "/reports/"):
        assert expected in paths
