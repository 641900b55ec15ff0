"""ui.fmt.md_escape: values from data or users shown literally inside Streamlit markdown."""
from __future__ import annotations

import re
import string

import pytest

from ui.fmt import md_escape

HOSTILE = [
    "![x](http://example.invalid/t.png)",
    "[click](http://example.invalid)",
    "<img src=http://example.invalid/i.png>",
    "<a href='http://example.invalid'>x</a>",
    "http://example.invalid/autolink",
    "www.example.invalid",
    "someone@example.invalid",
    ":red[alarm] :material/warning: :smile:",
    "$x^2$ and $$\\frac{1}{2}$$",
    "**bold** _it_ ~~gone~~ `code`",
    "# Heading",
    "> quote",
    "- item",
    "1. item",
    "| a | b |",
    "back\\slash\\",
    "[ref]: http://example.invalid",
    "&lt;entity&gt; &#60;",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_every_ascii_punctuation_is_escaped_and_nothing_else_changes(text):
    out = md_escape(text)
    # each punctuation character carries exactly one backslash before it ...
    assert re.fullmatch(r"(?:\\[%s]|[^%s])*" % (re.escape(string.punctuation), re.escape(string.punctuation)), out)
    # ... and dropping them gives the text back
    assert re.sub(r"\\(.)", r"\1", out) == text


@pytest.mark.parametrize("text, expected", [
    ("North", "North"),
    ("", ""),
    ("[click](http://example.invalid)", r"\[click\]\(http\:\/\/example\.invalid\)"),
    ("a\\b", r"a\\b"),
    ("Team A\nTeam B\r\n\tC", "Team A Team B   C"),
    ("Café – Ēast", "Café – Ēast"),  # non-ASCII is left alone
    (42, "42"),
])
def test_examples(text, expected):
    assert md_escape(text) == expected


@pytest.mark.parametrize("ch", list("\n\r\t\v\f"))
def test_no_line_breaks_survive(ch):
    assert md_escape(f"line{ch}# heading") == r"line \# heading"
