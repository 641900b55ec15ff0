"""Drill-down filters shared by every page and calculation, and the 10-17 population.

A :class:`Filters` narrows a :class:`~yj_metrics.dataset.Dataset` to a locality,
ethnic group, gender, age band and disposal type. Child attributes (locality,
ethnicity, gender) restrict children and everything linked to them; the age band
restricts each event by the child's age on that event (outcome date, intervention
start, remand start); the disposal type restricts outcomes and interventions by
their YJB order type (:data:`yj_metrics.contract.DISPOSAL_GROUP_OF_TYPE`).
The population is narrowed by the same locality, ethnicity, gender and age band.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import pandas as pd

from . import contract as c
from .dataset import Dataset, age_band_of, age_on

#: Dimensions a filter or breakdown can use, with their display names.
DIMENSIONS = {
    "locality": "Locality",
    "ethnicity": "Ethnicity",
    "gender": "Gender",
    "age_band": "Age band",
    "disposal": "Disposal type",
}


@dataclass(frozen=True)
class Filters:
    """Allowed values per dimension; an empty tuple means all."""

    locality: tuple[str, ...] = ()
    ethnicity: tuple[str, ...] = ()
    gender: tuple[str, ...] = ()
    age_band: tuple[str, ...] = ()
    disposal: tuple[str, ...] = ()

    @property
    def active(self) -> dict[str, tuple[str, ...]]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}

    def __bool__(self) -> bool:
        return bool(self.active)

    def describe(self) -> str:
        """``'Locality: North; Gender: Female'`` or ``'All children'``."""
        if not self:
            return "All children"
        return "; ".join(f"{DIMENSIONS[k]}: {', '.join(v)}" for k, v in self.active.items())


def _age_band_at(children: pd.DataFrame, events: pd.DataFrame, date_col: str) -> pd.Series:
    if events.empty:  # no events for the chosen children: nothing to band (and nothing to cast)
        return pd.Series([], index=events.index, dtype="object")
    dob = events["child_id"].map(children.set_index("child_id")["date_of_birth"])
    return age_band_of(age_on(dob, events[date_col]))


def apply_filters(ds: Dataset, f: Filters) -> Dataset:
    """The dataset narrowed by ``f`` (the same object when no filter is active)."""
    if not f:
        return ds
    children = ds.children
    if f.locality:
        children = children[children["locality"].isin(f.locality)]
    if f.ethnicity:
        children = children[children["ethnicity_group"].isin(f.ethnicity)]
    if f.gender:
        children = children[children["gender"].isin(f.gender)]
    keep = set(children["child_id"])
    outcomes = ds.outcomes[ds.outcomes["child_id"].isin(keep)]
    interventions = ds.interventions[ds.interventions["child_id"].isin(keep)]
    remands = ds.remands[ds.remands["child_id"].isin(keep)]
    victims = ds.victims[ds.victims["child_id"].isin(keep) | ds.victims["child_id"].isna()]
    if f.age_band:
        outcomes = outcomes[_age_band_at(children, outcomes, "outcome_date").isin(f.age_band).to_numpy()]
        interventions = interventions[
            _age_band_at(children, interventions, "start_date").isin(f.age_band).to_numpy()]
        remands = remands[_age_band_at(children, remands, "start_date").isin(f.age_band).to_numpy()]
    if f.disposal:
        outcomes = outcomes[outcomes["outcome_type"].map(c.DISPOSAL_GROUP_OF_TYPE).isin(f.disposal)]
        interventions = interventions[
            interventions["intervention_type"].map(c.DISPOSAL_GROUP_OF_TYPE).isin(f.disposal)]
    victims = victims[victims["outcome_id"].isna() | victims["outcome_id"].isin(outcomes["outcome_id"])]
    population = ds.population
    for dim in ("locality", "ethnicity", "gender", "age_band"):
        allowed = getattr(f, dim)
        if allowed:
            population = population[population[dim].isin(allowed)]
    # A filter on the children alone keeps whole children: derived frames are then cut from the whole
    # service's (Dataset.per_child). Age band and disposal drop rows of the children kept.
    whole_children = not (f.age_band or f.disposal)
    return ds.narrowed(
        keep if whole_children else None,
        children=children.reset_index(drop=True),
        outcomes=outcomes.reset_index(drop=True),
        interventions=interventions.reset_index(drop=True),
        remands=remands.reset_index(drop=True),
        victims=victims.reset_index(drop=True),
        population=population.reset_index(drop=True),
    )


def population_year(population: pd.DataFrame, on: pd.Timestamp | str) -> int | None:
    """The mid-year estimate to use for a period ending ``on``: that year's, else the nearest."""
    years = population["year"].dropna().astype(int).unique()
    if len(years) == 0:
        return None
    target = pd.Timestamp(on).year
    return int(min(years, key=lambda y: (abs(y - target), -y)))


def population_total(ds: Dataset, on: pd.Timestamp | str) -> float | None:
    """10-17 resident population for the year of ``on`` (``None`` when there is none)."""
    year = population_year(ds.population, on)
    if year is None:
        return None
    return float(ds.population.loc[ds.population["year"] == year, "population"].sum())


def population_by(ds: Dataset, on: pd.Timestamp | str, dimension: str) -> pd.Series:
    """10-17 population per group of ``dimension`` (blank cells count as Not known)."""
    year = population_year(ds.population, on)
    if year is None or dimension not in ("locality", "ethnicity", "gender", "age_band"):
        return pd.Series(dtype="float64")
    pop = ds.population[ds.population["year"] == year]
    keys = pop[dimension].fillna("Not known")
    return pop.groupby(keys)["population"].sum().astype("float64")
