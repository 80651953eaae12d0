"""safe_next: the one check of a posted `next` address."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from teachingfile.http import safe_next


@pytest.mark.parametrize(
    "posted",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "javascript:alert(1)",
        "cases/tf-0001/",
        "",
    ],
)
def test_it_refuses_anything_that_leaves_the_site(rf: RequestFactory, posted: str) -> None:
    request = rf.post("/x/", {"next": posted})
    assert safe_next(request, "/fallback/") == "/fallback/"


def test_it_keeps_a_site_relative_path_with_its_query_and_fragment(rf: RequestFactory) -> None:
    request = rf.post("/x/", {"next": "/cases/tf-0001/?tab=2#comments"})
    assert safe_next(request, "/fallback/") == "/cases/tf-0001/?tab=2#comments"


def test_it_reads_next_from_the_query_string_too(rf: RequestFactory) -> None:
    assert safe_next(rf.get("/x/", {"next": "/quizzes/"}), "/fallback/") == "/quizzes/"
