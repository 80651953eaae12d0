from __future__ import annotations

from teachingfile.text import plain_text, render_markdown


def test_it_renders_markdown_emphasis_and_lists() -> None:
    html = render_markdown("**Bold** point\n\n- one\n- two")
    assert "<strong>Bold</strong>" in html
    assert "<li>one</li>" in html


def test_it_makes_a_script_inert() -> None:
    html = render_markdown('Hello <script>alert("x")</script> <img src=x onerror=alert(1)>')
    assert "<script" not in html
    assert "onerror" not in html
    assert "<img" not in html


def test_it_drops_javascript_links() -> None:
    html = render_markdown("[click](javascript:alert(1))")
    assert "javascript:" not in html


def test_plain_text_has_no_markup() -> None:
    assert plain_text("**a** _b_") == "a b"
