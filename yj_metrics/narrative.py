"""Plain-English sentences about an indicator, written from its numbers only.

Deterministic and cautious: a change is only called a rise or a fall when the two 95%
intervals do not overlap; otherwise it is "no clear change". UK spelling.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .results import IndicatorDefinition, IndicatorResult

SMALL_BASE = 10
WIDE_RELATIVE = 0.5  # interval wider than half the value either side counts as wide

#: What an indicator counts, when not children: ``(denominator, numerator)`` nouns for the small-number
#: caution ("based on only 5 sector places at board meetings"). Ids not listed count children.
COUNTS_OF: dict[str, tuple[str, str]] = {
    "kpi8_board_attendance": ("sector places at board meetings", "sector places filled by a senior leader"),
    "kpi8_board_attendance_meeting": ("board meetings", "board meetings"),
    "kpi8_delegated_attendance": ("sector places at board meetings", "sector places filled by a delegate"),
    "kpi8_data_contributed": ("statutory partners", "statutory partners"),
    "kpi9_serious_violence": ("children in the population", "serious violence offences"),
    "kpi9_serious_violence_count": ("offences", "serious violence offences"),
    "kpi9_serious_violence_rolling": ("children in the population", "serious violence offences"),
    "kpi9_serious_violence_share": ("proven offences", "serious violence offences"),
    "kpi10_victims": ("victims", "victims"), "kpi10_views_sought": ("victims", "victims"),
    "kpi10_progress_info": ("victims", "victims"), "kpi10_support": ("victims", "victims"),
    "rj_offered": ("victims", "victims"), "rj_engaged": ("victims", "victims"),
    "kpi6_oocd_disposals": ("out-of-court disposals", "out-of-court disposals"),
    "custody_rate": ("children in the population", "custodial sentences"),
    "custody_count": ("custodial sentences", "custodial sentences"),
    "reoffences_per_reoffender": ("reoffenders", "reoffences"),
    "reoffences_per_child": ("children", "reoffences"),
    "reoffending_prolific_share": ("reoffences", "reoffences"),
    "ro_panel_timeliness": ("referral order panels", "referral order panels"),
    "disposals": ("disposals", "disposals"), "caseload_open": ("interventions", "interventions"),
    "caseload_per_worker": ("case workers", "interventions"), "ete_status_open": ("open cases", "open cases"),
    "remand_nights": ("remands", "nights"), "remand_cost": ("remands", "nights"),
}


def counted(indicator: str) -> tuple[str, str]:
    """What the indicator's denominator and numerator count, as plural nouns (children unless listed)."""
    return COUNTS_OF.get(indicator, ("children", "children"))


RAG_WORDS = {"Green": "meets the local target", "Amber": "is short of the local target but within tolerance",
             "Red": "misses the local target"}


def fmt(value: float | None, unit: str) -> str:
    """A value in its unit: ``31.7%``, ``229 per 100,000``, ``0.17 per 1,000``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not available"
    if unit == "%":
        return f"{value:.1f}%"
    if unit == "£":
        return f"£{value:,.0f}"
    if unit in ("count", "nights"):
        return f"{value:,.0f}" + (" nights" if unit == "nights" else "")
    if unit == "per 100,000":
        return f"{value:,.0f} per 100,000"
    return f"{value:,.2f} {unit}"


def _diff(a: float, b: float, unit: str) -> str:
    d = abs(a - b)
    if unit == "%":
        return f"{d:.1f} percentage points"
    return fmt(d, unit)


def _overlap(a: IndicatorResult, b: IndicatorResult) -> bool:
    """True when the two 95% intervals overlap (or either is missing): no clear change."""
    if None in (a.ci_low, a.ci_high, b.ci_low, b.ci_high):
        return a.value == b.value
    return not (a.ci_low > b.ci_high or b.ci_low > a.ci_high)


@dataclass(frozen=True)
class Change:
    """How a figure moved since an earlier one: ``difference`` (now minus then), whether that is
    ``better`` (None when unchanged or neither way is better), and whether it is ``clear`` (the
    two 95% intervals do not overlap)."""

    difference: float
    better: bool | None
    clear: bool


def change(current: IndicatorResult, earlier: IndicatorResult | None, direction: str) -> Change | None:
    """The change from ``earlier`` to ``current``; None when either has no value."""
    if earlier is None or earlier.value is None or current.value is None:
        return None
    diff = current.value - earlier.value
    better = None if diff == 0 or direction not in ("lower", "higher") else (diff < 0) == (direction == "lower")
    return Change(diff, better, diff != 0 and not _overlap(current, earlier))


def clear_change(cur: IndicatorResult, old: IndicatorResult | None, direction: str) -> str | None:
    """``"improved"`` or ``"worsened"`` when the change is clear (95% intervals apart) and the
    indicator has a better direction; otherwise ``None``."""
    c = change(cur, old, direction)
    if c is None or not c.clear or c.better is None:
        return None
    return "improved" if c.better else "worsened"


def _change(cur: IndicatorResult, old: IndicatorResult | None, when: str, direction: str) -> str | None:
    c = change(cur, old, direction)
    if c is None:
        return None
    if c.difference == 0:
        return f"unchanged {when} ({fmt(old.value, cur.unit)})"
    word = "up" if c.difference > 0 else "down"
    size = _diff(cur.value, old.value, cur.unit)
    if not c.clear:
        return f"{word} {size} {when} ({fmt(old.value, cur.unit)}), no clear change given the uncertainty"
    judgement = "" if c.better is None else (", an improvement" if c.better else ", a worsening")
    return f"{word} {size} {when} ({fmt(old.value, cur.unit)}){judgement}"


def is_hidden(r: IndicatorResult | None) -> bool:
    """A figure hidden from partners (its note starts "protected"; older notes say "suppressed")."""
    note = (r.note or "") if r is not None else ""
    return r is not None and r.value is None and (note.startswith("protected") or "suppressed" in note)


def target_text(target, unit: str) -> str:
    """``green at 80.0% or more, red at 60.0% or less`` for a local target band."""
    better, worse = ("or less", "or more") if target.direction == "lower" else ("or more", "or less")
    return f"green at {fmt(target.green, unit)} {better}, red at {fmt(target.red, unit)} {worse}"


def _hidden_sentence(current: IndicatorResult, label: str, target) -> str:
    """A hidden figure: said to be hidden (never "nothing to count"), with its RAG where the
    protection kept it, and its target, which is public."""
    text = (f"{label}: hidden for {_period(current)}, to protect small numbers (it rests on very few, or "
            "would let a small number elsewhere be worked out).")
    if current.rag in RAG_WORDS:
        text += f" It {RAG_WORDS[current.rag]} ({current.rag})."
    if target is not None:
        text += f" Local target: {target_text(target, current.unit)}."
    elif current.rag is None:
        text += " Its RAG is hidden with it."
    return text


def indicator_sentence(current: IndicatorResult, previous: IndicatorResult | None = None,
                       year_earlier: IndicatorResult | None = None,
                       definition: IndicatorDefinition | None = None, benchmarks: bool = True, *,
                       target=None) -> str:
    """One or two sentences: value, change on the previous period and a year before, target,
    benchmarks and rank, and a caution for small numbers (in what the indicator counts: children,
    victims, sector places...), wide intervals or incomplete data. A hidden (protected) figure is
    said to be hidden, with its RAG when kept and its ``target`` (a :class:`settings.Target`).

    ``benchmarks=False`` leaves out the comparators and the rank: for a filtered figure (one
    locality, one group), which whole-service benchmarks do not describe."""
    label = definition.label if definition else current.label
    direction = definition.direction if definition else "none"
    if current.value is None:
        if is_hidden(current):
            return _hidden_sentence(current, label, target)
        return f"{label}: no figure for {_period(current)} (nothing to count)."
    first = f"{label} was {fmt(current.value, current.unit)} in {_period(current)}"
    changes = [c for c in (_change(current, previous, "on the previous period", direction),
                           _change(current, year_earlier, "on a year earlier", direction)) if c]
    changes += [f"the figure {when} is hidden to protect small numbers"
                for old, when in ((previous, "for the previous period"), (year_earlier, "a year earlier"))
                if is_hidden(old)]
    if changes:
        first += ", " + "; ".join(changes)
    first += "."
    parts = []
    if current.rag:
        parts.append(RAG_WORDS[current.rag])
    comparisons = []
    for b in current.benchmarks if benchmarks else ():
        if b.value is None or (isinstance(b.value, float) and math.isnan(b.value)):
            continue
        rel = "above" if current.value > b.value else "below" if current.value < b.value else "level with"
        comparisons.append(f"{rel} {b.comparator} ({fmt(b.value, current.unit)})")
    if comparisons:
        parts.append("is " + ", ".join(comparisons[:3]))
    if benchmarks and current.rank and current.rank_of:
        parts.append(f"ranks {current.rank} of {current.rank_of} in the family group")
    second = ("It " + "; it ".join(parts) + ".") if parts else ""
    cautions = []
    of, counts = counted(current.indicator)
    if current.denominator is not None and 0 < current.denominator < SMALL_BASE and current.unit == "%":
        cautions.append(f"based on only {current.denominator:.0f} {of}")
    elif current.numerator is not None and current.unit != "%" and 0 < current.numerator < SMALL_BASE:
        cautions.append(f"based on only {current.numerator:.0f} {counts}")
    if current.ci_low is not None and current.ci_high is not None and current.value:
        if (current.ci_high - current.ci_low) / 2 > WIDE_RELATIVE * abs(current.value):
            cautions.append(f"the 95% interval is wide ({fmt(current.ci_low, current.unit)} to "
                            f"{fmt(current.ci_high, current.unit)})")
    if current.incomplete:
        cautions.append("the follow-up period is not yet complete, so the figure may rise")
    third = ("Caution: " + "; ".join(cautions) + ".") if cautions else ""
    return " ".join(x for x in (first, second, third) if x)


def _period(r: IndicatorResult) -> str:
    from .periods import fmt_date

    return f"{fmt_date(r.start)} to {fmt_date(r.end)}"
