"""A page's own choices (breakdown, compare-by, reference group...) kept in the URL.

Each choice reads its first value from ``?key=`` when that is one of its options (anything
else falls back to the default, silently) and writes its value back, so a copied link opens
the same view. The sidebar's keys (``ui/filters.py``) are left alone.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

_WRITTEN = "_url_written_"  # session keys: what each widget last wrote into the URL


def from_url(param: str, options: Sequence, default):
    """The option the URL names (compared as text, so numbers work), else ``default``."""
    raw = st.query_params.get(param)
    return next((o for o in options if str(o) == raw), default)


def remember(param: str, value) -> None:
    """Write a choice into the URL (only when it changed, so the page does not rerun for nothing)."""
    if st.query_params.get(param) != str(value):
        st.query_params[param] = str(value)


def choice(param: str, label: str, options: Sequence, default=None, *, key: str,
           widget: Callable = st.selectbox, **kwargs):
    """A selectbox (or another single-choice widget, e.g. ``st.radio`` or ``column.selectbox``) whose
    value starts from ``?param=`` and is kept there. ``default`` is the first option when not given
    or not an option; ``kwargs`` go to the widget.

    The URL wins when it names something other than what this widget last wrote there (a pasted
    link, or another page opening this one with a choice); otherwise the widget keeps its value."""
    options = list(options)
    if not options:
        return None
    default = options[0] if default not in options else default
    raw = st.query_params.get(param)
    from_outside = raw is not None and raw != st.session_state.get(_WRITTEN + key)
    if from_outside or st.session_state.get(key) not in options:
        st.session_state[key] = from_url(param, options, default)
    value = widget(label, options, key=key, **kwargs)
    remember(param, value)
    st.session_state[_WRITTEN + key] = str(value)
    return value
