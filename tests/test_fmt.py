"""ui.fmt.md_escape: values from data or users shown literally inside Streamlit markdown."""
from __future__ import annotations

import re
import string

import pytest

from ui.fmt import WORD_JOINER, md_escape

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
    "HTTPS://EXAMPLE.INVALID WWW.EXAMPLE.INVALID mailto:someone@example.invalid",
]


def _parsed(escaped: str) -> str:
    """The text CommonMark makes of ``escaped`` (each backslash escape gives its character)."""
    return re.sub(r"\\(.)", r"\1", escaped)


@pytest.mark.parametrize("text", HOSTILE)
def test_punctuation_is_escaped_and_no_address_can_become_a_link(text):
    out = md_escape(text)
    # each punctuation character carries exactly one backslash before it ...
    assert re.fullmatch(r"(?:\\[%s]|[^%s])*" % (re.escape(string.punctuation), re.escape(string.punctuation)), out)
    # ... and the text comes back, with word joiners only where an address would become a link
    assert _parsed(out).replace(WORD_JOINER, "") == text
    assert not re.search(r"(?i)https?://|www\.|[-.\w+]@", _parsed(out))


@pytest.mark.parametrize("text, expected", [
    ("North", "North"),
    ("", ""),
    ("[click](http://example.invalid)", "\\[click\\]\\(http\\:\u2060\\/\\/example\\.invalid\\)"),
    ("www.example.invalid", "www\u2060\\.example\\.invalid"),
    ("a@b.invalid", "a\u2060\\@b\\.invalid"),
    ("Locality: North", "Locality\\: North"),
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
