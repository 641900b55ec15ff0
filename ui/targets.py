"""The Settings page's local targets: one labelled group of number inputs per indicator (no grid).

Each indicator that can have a target (:func:`yj_metrics.targets.targetable`) gets its name, its unit,
which way is better, and two thresholds: green at or better than, red at or worse than (amber between,
as :class:`yj_metrics.settings.Target` rates a value). Both blank means no target.
"""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from yj_metrics.settings import Target
from yj_metrics.targets import target_problem, targetable

#: the step of the number inputs, by unit (a percentage in whole points, a rate per 1,000 in hundredths)
_STEP = {"%": 1.0, "per 100,000": 1.0, "per 1,000": 0.01, "per 10,000": 0.1, "count": 1.0, "nights": 1.0,
         "£": 100.0}
_FORMAT = {"per 1,000": "%.2f", "per 10,000": "%.2f", "per reoffender": "%.2f", "per child": "%.2f",
           "per worker": "%.1f", "%": "%.1f", "per 100,000": "%.0f", "count": "%.0f", "nights": "%.0f", "£": "%.0f"}
_BETTER = {"lower": "Lower is better", "higher": "Higher is better"}


@dataclass(frozen=True)
class Band:
    """What the manager typed for one indicator."""

    definition: object
    green: float | None
    red: float | None
    direction: str


def unit_words(unit: str) -> str:
    """The unit as the input labels say it: ``%``, ``per 10,000 children``, ``£``."""
    return {"per 100,000": "per 100,000 children", "per 1,000": "per 1,000 children",
            "per 10,000": "per 10,000 children", "count": "number"}.get(unit, unit)


def _inputs(d, t: Target | None) -> Band:
    fixed = d.direction in ("lower", "higher")
    with st.container(border=True, key=f"target_box_{d.id}"):
        st.markdown(f"**{d.label}** ({unit_words(d.unit)})")
        st.caption(d.description)
        cols = st.columns(3)
        if fixed:
            direction = d.direction
            cols[2].markdown(f"{_BETTER[direction]}.")
        else:  # e.g. KPI 7: the service decides which way it wants the figure to move
            options = ["higher", "lower"]
            direction = cols[2].selectbox(f"{d.label}: which is better", options, format_func=_BETTER.get,
                                          index=options.index(t.direction) if t and t.direction in options else 0,
                                          key=f"target_{d.id}_direction")
        better = "at or below" if direction == "lower" else "at or above"
        worse = "at or above" if direction == "lower" else "at or below"
        if not fixed:
            better, worse = "at or better than", "at or worse than"
        kw = dict(min_value=0.0, max_value=100.0 if d.unit == "%" else None, step=_STEP.get(d.unit, 0.1),
                  format=_FORMAT.get(d.unit, "%.2f"), placeholder="No target")
        # value=None makes the input clearable (blank = no target); the saved threshold starts in its state
        for part, v in (("green", None if t is None else t.green), ("red", None if t is None else t.red)):
            st.session_state.setdefault(f"target_{d.id}_{part}", None if v is None else float(v))
        green = cols[0].number_input(f"{d.label}: green {better} ({unit_words(d.unit)})", value=None,
                                     key=f"target_{d.id}_green", **kw)
        red = cols[1].number_input(f"{d.label}: red {worse} ({unit_words(d.unit)})", value=None,
                                   key=f"target_{d.id}_red", **kw)
    return Band(d, green, red, direction)


def target_inputs(current: dict[str, Target]) -> list[Band]:
    """Draw the inputs (inside the Settings form) for every indicator that can have a target."""
    st.markdown("**Local targets.** Green when the figure is at or better than the green threshold, red at or "
                "worse than the red one, amber between. Leave both blank for no target.")
    ds = targetable()
    headline = [d for d in ds if d.headline]
    bands = [_inputs(d, current.get(d.id)) for d in headline]
    with st.expander("Targets for the other local measures"):
        bands += [_inputs(d, current.get(d.id)) for d in ds if not d.headline]
    return bands


def read_targets(bands: list[Band]) -> tuple[dict[str, Target], list[str]]:
    """The targets the inputs describe, and every problem that stops them being saved."""
    targets, problems = {}, []
    for b in bands:
        problem = target_problem(b.definition, b.green, b.red, b.direction)
        if problem:
            problems.append(problem)
        elif b.green is not None:
            targets[b.definition.id] = Target(b.definition.id, float(b.green), float(b.red), b.direction)
    return targets, problems
