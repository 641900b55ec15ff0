"""A deterministic synthetic youth justice service ("Demo"), localities North and West.

Five financial years of case-level data shaped like the source plans: mostly White
children, then Mixed, Black and Asian; about four in five boys; about half of outcomes
diversion; a few custodial sentences; some children reoffending, a few prolifically.
Pseudonymous ids only. Deterministic for a given seed.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from . import contract as c
from .dataset import Dataset

SERVICE_NAME = "Demo Youth Justice Service"
LOCALITIES = ("North", "West")

_ETHNICITIES = [  # (label as a case system exports it, weight)
    ("White - British", 64), ("WBRI", 4), ("White - Irish", 1), ("White - Gypsy or Irish Traveller", 1),
    ("White - Any other White background", 4), ("WOTH", 1),
    ("Mixed - White and Black Caribbean", 4), ("MWBA", 1), ("Mixed - White and Asian", 1.5),
    ("Mixed - Any other Mixed background", 1.5),
    ("Black - African", 2.5), ("BCRB", 2), ("Black - Any other Black background", 1),
    ("Asian - Pakistani", 1.5), ("Asian - Indian", 1), ("Asian - Bangladeshi", 1), ("CHNE", 0.3),
    ("Asian - Any other Asian background", 0.7),
    ("Other - Arab", 0.5), ("Other - Any other ethnic group", 1),
    ("Not known - Not obtained", 2.5), ("REFU", 0.5),
]
_FIRST_OUTCOME = [  # type, weight for a child's first outcome
    ("Community Resolution", 40), ("Outcome 22", 16), ("Other diversion", 4),
    ("Youth Caution", 12), ("Youth Conditional Caution", 10),
    ("Referral Order", 14), ("Reparation Order", 1), ("Fine", 1.5), ("Conditional Discharge", 2),
    ("Absolute Discharge", 0.5), ("Youth Rehabilitation Order", 5),
    ("Detention and Training Order", 0.8), ("Section 250", 0.2),
]
_LATER_OUTCOME = [
    ("Community Resolution", 14), ("Outcome 22", 6), ("Other diversion", 2),
    ("Youth Caution", 10), ("Youth Conditional Caution", 12),
    ("Referral Order", 22), ("Reparation Order", 2), ("Fine", 3), ("Conditional Discharge", 4),
    ("Absolute Discharge", 1), ("Youth Rehabilitation Order", 17),
    ("Detention and Training Order", 5), ("Section 250", 1.5), ("Other custodial", 0.5),
]
_OFFENCES = [  # category, weight, gravity low, gravity high
    ("Violence against the person", 30, 3, 6), ("Robbery", 5, 5, 7), ("Drugs offences", 9, 2, 6),
    ("Sexual offences", 2, 4, 7), ("Domestic burglary", 3, 4, 6), ("Non-domestic burglary", 3, 3, 4),
    ("Theft and handling", 13, 2, 4), ("Vehicle theft", 3, 3, 5), ("Criminal damage", 10, 2, 4),
    ("Arson", 1, 4, 6), ("Public order", 9, 2, 4), ("Motoring offences", 5, 2, 4),
    ("Fraud and forgery", 1, 2, 4), ("Breach of statutory order", 2, 3, 4), ("Breach of bail", 1, 2, 3),
    ("Other", 3, 1, 4),
]
_DURATION_DAYS = {  # typical length of supervision, (low, high)
    "Diversion": (42, 120), "Pre-court": (56, 140), "First-tier": (90, 365),
    "Community": (180, 730), "Custody": (120, 540), "Prevention": (42, 180),
}
_SCHOOL_PROVISION = [("School", 56), ("Special school", 8), ("Alternative provision/PRU", 18),
                     ("Elective home education", 3), ("NEET", 8), ("Not known", 7)]
_OLDER_PROVISION = [("College", 30), ("Training", 10), ("Apprenticeship", 4), ("Employment", 7),
                    ("Re-engagement", 11), ("NEET", 30), ("Not known", 8)]
_ACCOMMODATION = [("Living with parents", 70), ("Living with family (not parents)", 8),
                  ("Living with friends", 1), ("Foster care", 7), ("Independent living", 2),
                  ("Residential unit", 4), ("Supported accommodation/lodgings", 4),
                  ("Temporary accommodation", 2), ("No fixed abode", 0.5), ("Other", 1.5)]
_CUSTODY_ACCOMMODATION = [("Young offender institution", 70), ("Secure training centre", 15),
                          ("Secure children's home", 15)]
_REMAND_TYPES = [("Young offender institution", 35), ("Secure training centre", 15),
                 ("Secure children's home", 15), ("Local authority accommodation", 35)]


def _pick(rng, choices, n):
    labels = np.array([x[0] for x in choices], dtype=object)
    w = np.array([x[1] for x in choices], dtype=float)
    return labels[rng.choice(len(labels), size=n, p=w / w.sum())]


def _yn(rng, n, p):
    return rng.random(n) < p


def _days(rng, low, high, n):
    return pd.to_timedelta(rng.integers(low, high + 1, size=n), unit="D")


def demo_dataset(seed: int = 7, children: int = 1500, end: dt.date = dt.date(2024, 3, 31)) -> Dataset:
    """The demo service: ``children`` children over the five financial years ending ``end``."""
    rng = np.random.default_rng(seed)
    end_ts = pd.Timestamp(end)
    start_ts = end_ts - pd.DateOffset(years=5) + pd.Timedelta(days=1)
    span = (end_ts - start_ts).days

    # ------------------------------------------------------------------ children
    n_prev = max(1, children // 10)  # prevention-only children (Turnaround etc.)
    n_just = children - n_prev
    n = children
    ids = np.array([f"C{i:06d}" for i in rng.permutation(np.arange(100001, 100001 + n))], dtype=object)
    first = start_ts + _days(rng, 0, span - 1, n)
    age_first = rng.choice(np.arange(10, 18), size=n, p=np.array([1, 2, 4, 8, 12, 15, 16, 13]) / 71)
    dob = first - pd.to_timedelta(age_first * 365.25 + rng.integers(0, 360, n), unit="D")
    dob = pd.DatetimeIndex(dob).normalize()
    gender = _pick(rng, [("Male", 80), ("Female", 18.5), ("Not known", 1), ("Other", 0.5)], n)
    locality = _pick(rng, [("North", 57), ("West", 43)], n)
    resident = ~_yn(rng, n, 0.03)
    prior = _yn(rng, n, 0.05)
    child_frame = pd.DataFrame({
        "child_id": ids, "date_of_birth": dob, "gender": gender, "ethnicity": _pick(rng, _ETHNICITIES, n),
        "locality": locality, "resident": resident, "prior_substantive_outcome": prior,
    })

    # ------------------------------------------------------------------ outcomes
    counts = rng.choice([1, 2, 3, 4, 5, 6, 8, 10], size=n_just, p=[.66, .15, .08, .04, .03, .02, .01, .01])
    child_idx = np.repeat(np.arange(n_just), counts)
    seq = np.concatenate([np.arange(k) for k in counts])
    gaps = rng.integers(20, 200, size=len(child_idx))
    gaps[seq == 0] = 0
    offsets = pd.Series(gaps).groupby(child_idx).cumsum().to_numpy()
    out_date = first[:n_just][child_idx] + pd.to_timedelta(offsets, unit="D")
    age_at = (out_date - dob[child_idx]).days / 365.25
    keep = (out_date <= end_ts) & (age_at < 17.95)
    child_idx, seq, out_date = child_idx[keep], seq[keep], out_date[keep]
    m = len(child_idx)
    otype = np.where(seq == 0, _pick(rng, _FIRST_OUTCOME, m), _pick(rng, _LATER_OUTCOME, m))
    # children already in the system before the data starts (prior Y) begin at court more often
    prior_child = prior[child_idx]
    otype = np.where(prior_child & (seq == 0) & (rng.random(m) < .5), "Referral Order", otype)
    cat_rows = rng.choice(len(_OFFENCES), size=m, p=np.array([o[1] for o in _OFFENCES]) / sum(o[1] for o in _OFFENCES))
    cats = np.array([o[0] for o in _OFFENCES], dtype=object)[cat_rows]
    glo = np.array([o[2] for o in _OFFENCES])[cat_rows]
    ghi = np.array([o[3] for o in _OFFENCES])[cat_rows]
    gravity = glo + np.floor(rng.random(m) * (ghi - glo + 1)).astype(int)
    tier = pd.Series(otype).map(c.OUTCOME_TIERS).to_numpy()
    custody = tier == "Custody"
    gravity = np.where(custody, np.maximum(gravity, 5), gravity)
    offence_date = out_date - _days(rng, 3, 150, m)
    offence_date = pd.DatetimeIndex(np.maximum(offence_date, dob[child_idx] + pd.Timedelta(days=int(365.25 * 10) + 2)))
    offence_date = pd.DatetimeIndex(np.minimum(offence_date, out_date))
    court_tier = np.isin(tier, c.COURT_TIERS)
    court = np.where(court_tier, _pick(rng, [("Youth Court", 88), ("Magistrates' Court", 4), ("Crown Court", 8)], m), None)
    court = np.where(otype == "Section 250", "Crown Court", court)
    outcomes = pd.DataFrame({
        "outcome_id": [f"O{i:07d}" for i in range(1, m + 1)],
        "child_id": ids[child_idx], "offence_date": offence_date, "outcome_date": out_date,
        "outcome_type": otype, "offence_category": cats, "gravity_score": gravity, "court": court,
        "looked_after": _yn(rng, m, 0.09), "overturned_on_appeal": court_tier & _yn(rng, m, 0.01),
    })
    outcomes = outcomes.sort_values(["outcome_date", "outcome_id"]).reset_index(drop=True)

    # ------------------------------------------------------------------ interventions
    has_iv = (outcomes["outcome_type"].map(c.OUTCOME_TIERS) != "Diversion") | _yn(rng, len(outcomes), 0.85)
    iv_out = outcomes[has_iv.to_numpy()].reset_index(drop=True)
    k = len(iv_out)
    iv_tier = iv_out["outcome_type"].map(c.OUTCOME_TIERS).to_numpy()
    start = iv_out["outcome_date"] + _days(rng, 0, 10, k)
    low = np.array([_DURATION_DAYS[t][0] for t in iv_tier])
    high = np.array([_DURATION_DAYS[t][1] for t in iv_tier])
    length = (low + rng.random(k) * (high - low)).astype(int)
    iv_end = start + pd.to_timedelta(length, unit="D")

    # prevention work: the prevention-only children, plus bail supervision for some court cases
    prev_children = child_frame.iloc[n_just:]
    p_start = first[n_just:]
    p_type = _pick(rng, [("Prevention", 55), ("Turnaround", 45)], len(prev_children))
    p_len = rng.integers(42, 180, size=len(prev_children))
    prevention = pd.DataFrame({
        "child_id": prev_children["child_id"].to_numpy(), "outcome_id": None, "intervention_type": p_type,
        "start_date": p_start, "end_date": p_start + pd.to_timedelta(p_len, unit="D"),
    })
    bail_rows = iv_out[np.isin(iv_tier, ["Community", "Custody"]) & _yn(rng, k, 0.25)]
    bail = pd.DataFrame({
        "child_id": bail_rows["child_id"].to_numpy(), "outcome_id": None, "intervention_type": "Bail supervision",
        "start_date": bail_rows["offence_date"].to_numpy() + np.timedelta64(1, "D"),
        "end_date": bail_rows["outcome_date"].to_numpy(),
    })
    bail = bail[bail["end_date"] >= bail["start_date"]]

    orders = pd.DataFrame({
        "child_id": iv_out["child_id"], "outcome_id": iv_out["outcome_id"],
        "intervention_type": iv_out["outcome_type"], "start_date": start, "end_date": iv_end,
    })
    iv = pd.concat([orders, prevention, bail], ignore_index=True)
    iv = iv[iv["start_date"] <= end_ts].reset_index(drop=True)
    k = len(iv)
    iv["end_date"] = iv["end_date"].where(iv["end_date"] <= end_ts)
    is_open = iv["end_date"].isna().to_numpy()
    iv_tier = iv["intervention_type"].map(lambda t: c.OUTCOME_TIERS.get(t, "Prevention")).to_numpy()
    iv["intervention_id"] = [f"I{i:07d}" for i in range(1, k + 1)]
    iv_loc = iv["child_id"].map(child_frame.set_index("child_id")["locality"]).to_numpy()
    oocd = np.isin(iv_tier, ["Diversion", "Pre-court", "Prevention"])
    iv["team"] = np.where(oocd, "Out of court", np.where(_yn(rng, k, 0.3), "Court", iv_loc))
    iv["case_worker"] = [f"W{x:03d}" for x in rng.integers(1, 41, size=k)]
    statutory = np.isin(iv_tier, ["First-tier", "Community", "Custody"])
    iv["scaled_approach"] = np.where(
        statutory, _pick(rng, [("Standard", 50), ("Enhanced", 35), ("Intensive", 15)], k), None)

    iv_dob = iv["child_id"].map(child_frame.set_index("child_id")["date_of_birth"])
    age_start = ((iv["start_date"] - iv_dob).dt.days / 365.25).to_numpy()
    school = age_start < 16
    in_custody = iv_tier == "Custody"
    prov_start = np.where(school, _pick(rng, _SCHOOL_PROVISION, k), _pick(rng, _OLDER_PROVISION, k))
    prov_start = np.where(in_custody, "Education in custody", prov_start)
    improve = _yn(rng, k, 0.25)
    prov_end = np.where(improve & (prov_start == "NEET"),
                        np.where(school, "Alternative provision/PRU", "Re-engagement"), prov_start)
    prov_end = np.where(_yn(rng, k, 0.06), "NEET", prov_end)

    def suitability(prov, p_suitable):
        s = np.where(_yn(rng, k, p_suitable), "Suitable", "Unsuitable")
        s = np.where(np.isin(prov, ["NEET"]), "Unsuitable", s)
        s = np.where((prov == "Not known") | _yn(rng, k, 0.05), "Unknown", s)
        return s

    iv["ete_provision_start"] = prov_start
    iv["ete_provision_end"] = np.where(is_open, None, prov_end)
    iv["ete_suitable_start"] = suitability(prov_start, np.where(school, 0.78, 0.62))
    iv["ete_suitable_end"] = np.where(is_open, None, suitability(prov_end, np.where(school, 0.82, 0.68)))
    offered = np.where(school, rng.choice([10, 15, 20, 25, 25, 30], size=k), rng.choice([6, 12, 16, 20, 25, 30], size=k))
    offered = np.where(prov_end == "NEET", 0, offered).astype(float)
    attended = np.floor(offered * rng.uniform(0.4, 1.0, size=k))
    iv["ete_hours_offered_end"] = np.where(is_open, np.nan, offered)
    iv["ete_hours_attended_end"] = np.where(is_open, np.nan, attended)
    acc_start = np.where(in_custody, _pick(rng, _CUSTODY_ACCOMMODATION, k), _pick(rng, _ACCOMMODATION, k))
    acc_end = np.where(in_custody, _pick(rng, _ACCOMMODATION, k), acc_start)
    iv["accommodation_type_start"] = acc_start
    iv["accommodation_type_end"] = np.where(is_open, None, acc_end)

    def acc_suit(acc):
        s = np.where(_yn(rng, k, 0.93), "Suitable", "Unsuitable")
        s = np.where(np.isin(acc, ["No fixed abode", "Temporary accommodation"]), "Unsuitable", s)
        return np.where(_yn(rng, k, 0.03), "Unknown", s)

    iv["accommodation_suitable_start"] = acc_suit(acc_start)
    iv["accommodation_suitable_end"] = np.where(is_open, None, acc_suit(acc_end))
    send = _yn(rng, k, 0.32)
    iv["send_identified"] = send
    iv["send_plan"] = send & _yn(rng, k, 0.6)
    for prefix, p_need, p_off, p_att in (("mh", 0.38, 0.82, 0.72), ("sm", 0.27, 0.76, 0.66)):
        need = _yn(rng, k, p_need)
        offered_ = need & _yn(rng, k, p_off)
        iv[f"{prefix}_need"] = need
        iv[f"{prefix}_offered"] = offered_
        iv[f"{prefix}_attended"] = offered_ & _yn(rng, k, p_att)
    iv["early_help"] = _yn(rng, k, 0.12)
    iv["child_protection"] = _yn(rng, k, 0.07)
    iv["child_in_need"] = _yn(rng, k, 0.15)
    la = iv["outcome_id"].map(outcomes.set_index("outcome_id")["looked_after"])
    iv["looked_after"] = la.fillna(pd.Series(_yn(rng, k, 0.08), index=iv.index)).astype(bool)
    completion = np.where(statutory, _pick(rng, [("Completed", 82), ("Not completed", 6), ("Breached", 9), ("Revoked", 3)], k),
                          _pick(rng, [("Completed", 88), ("Not completed", 12)], k))
    iv["completion"] = np.where(is_open, None, completion)
    ro = (iv["intervention_type"] == "Referral Order").to_numpy()
    ro_outcome_date = iv["outcome_id"].map(outcomes.set_index("outcome_id")["outcome_date"])
    wd = np.where(_yn(rng, k, 0.82), rng.integers(8, 21, size=k), rng.integers(21, 35, size=k))
    panel = pd.Series(pd.NaT, index=iv.index, dtype="datetime64[ns]")
    ok = ro & ro_outcome_date.notna().to_numpy()
    if ok.any():
        days = np.busday_offset(ro_outcome_date[ok].to_numpy().astype("datetime64[D]"), wd[ok], roll="forward")
        panel[ok] = days.astype("datetime64[ns]")
    iv["panel_date"] = panel.where(panel <= end_ts)
    iv = iv.sort_values(["start_date", "intervention_id"]).reset_index(drop=True)

    # ------------------------------------------------------------------ victims
    victim_out = outcomes[outcomes["offence_category"].isin(
        ["Violence against the person", "Robbery", "Domestic burglary", "Theft and handling",
         "Criminal damage", "Sexual offences", "Arson"]).to_numpy() & _yn(rng, len(outcomes), 0.55)]
    v = len(victim_out)
    consented = _yn(rng, v, 0.58)
    offered_rj = consented & _yn(rng, v, 0.8)
    prog_req = consented & _yn(rng, v, 0.35)
    sup_req = consented & _yn(rng, v, 0.3)
    victims = pd.DataFrame({
        "victim_id": [f"V{i:06d}" for i in range(1, v + 1)],
        "child_id": victim_out["child_id"].to_numpy(), "outcome_id": victim_out["outcome_id"].to_numpy(),
        "consented_to_contact": consented, "views_sought": consented & _yn(rng, v, 0.9),
        "rj_offered": offered_rj, "rj_engaged": offered_rj & _yn(rng, v, 0.45),
        "progress_info_requested": prog_req, "progress_info_provided": prog_req & _yn(rng, v, 0.9),
        "support_requested": sup_req, "support_provided": sup_req & _yn(rng, v, 0.85),
    })

    # ------------------------------------------------------------------ remands
    rem_out = outcomes[(outcomes["outcome_type"].map(c.OUTCOME_TIERS).isin(["Community", "Custody"])).to_numpy()
                       & _yn(rng, len(outcomes), 0.4)]
    r = len(rem_out)
    r_len = rng.integers(3, 90, size=r)
    r_end = rem_out["outcome_date"].to_numpy()
    r_start = pd.DatetimeIndex(r_end) - pd.to_timedelta(r_len, unit="D")
    r_start = pd.DatetimeIndex(np.maximum(r_start, rem_out["offence_date"].to_numpy()))
    remands = pd.DataFrame({
        "remand_id": [f"R{i:05d}" for i in range(1, r + 1)], "child_id": rem_out["child_id"].to_numpy(),
        "remand_type": _pick(rng, _REMAND_TYPES, r), "start_date": r_start, "end_date": r_end,
    })

    # ------------------------------------------------------------------ board attendance
    meetings = pd.date_range(start_ts, end_ts, freq="QS-APR") + pd.Timedelta(days=48)
    meetings = meetings[meetings <= end_ts]
    rows = [(m, s) for m in meetings for s in c.BOARD_SECTORS]
    b = len(rows)
    board = pd.DataFrame({
        "meeting_date": [x[0] for x in rows], "sector": [x[1] for x in rows],
        "attendance": _pick(rng, [("Senior", 74), ("Delegated", 16), ("Absent", 10)], b),
        "data_contributed": _yn(rng, b, 0.72),
    })

    # ------------------------------------------------------------------ population (10-17)
    groups = [("White", .80), ("Mixed", .06), ("Asian", .07), ("Black", .04), ("Other", .03)]
    base = {"North": 42_000, "West": 38_000}  # like Northamptonshire's two unitaries
    pop_rows = []
    for year in range(start_ts.year, end_ts.year + 1):
        growth = 1 + 0.008 * (year - start_ts.year)
        for loc in LOCALITIES:
            for gen, gshare in (("Male", .512), ("Female", .488)):
                for eth, eshare in groups:
                    for age in range(10, 18):
                        pop_rows.append((loc, gen, eth, age, round(base[loc] * growth * gshare * eshare / 8), year))
    population = pd.DataFrame(pop_rows, columns=["locality", "gender", "ethnicity", "age", "population", "year"])

    # ------------------------------------------------------------------ benchmarks
    bench_rows = []
    comparators = {"National": 1.0, "Regional": 0.95, "Family": 1.05,
                   "Northshire YJS": 0.9, "Westborough YJS": 1.15, "Eastvale YJS": 1.0}
    typical = {"fte_rate": 170.0, "custody_rate": 0.14, "reoffending_rate": 32.0}
    for qn in range(28):  # rolling 12 months to each quarter end, as the YJB publishes them
        pe = (end_ts - pd.DateOffset(months=3 * qn) + pd.offsets.MonthEnd(0)).normalize()
        ps = pe - pd.DateOffset(years=1) + pd.Timedelta(days=1)
        for ind, val in typical.items():
            for comp, f in comparators.items():
                v = val * f * (1 + rng.normal(0, 0.06))
                bench_rows.append((ind, ps, pe, comp, round(v, 2 if ind == "custody_rate" else 1)))
    benchmarks = pd.DataFrame(bench_rows, columns=["indicator", "period_start", "period_end", "comparator", "value"])

    outcomes, iv = _yjb_fields(seed, outcomes, iv, end_ts)

    return Dataset.from_frames(
        children=child_frame, outcomes=outcomes, interventions=iv, victims=victims, remands=remands,
        board_attendance=board, population=population, benchmarks=benchmarks,
        is_demo=True, service_name=SERVICE_NAME, file_name="demo",
    )


def _yjb_fields(seed: int, outcomes: pd.DataFrame, iv: pd.DataFrame, end_ts: pd.Timestamp):
    """The optional fields of issue 12, from their own random stream (so every value drawn
    before stays the same): the YJB's extra out-of-court types, offence ids (a few offences
    sentenced again), first hearings, residence at the outcome, release from custody,
    treatment at the start, ETE hours at the start, early help referrals, the template's
    further ETE types."""
    rng = np.random.default_rng(seed + 1_000)
    outcomes, iv = outcomes.copy(), iv.copy()
    m, k = len(outcomes), len(iv)
    otype = outcomes["outcome_type"].to_numpy(dtype=object)
    otype = np.where((otype == "Outcome 22") & _yn(rng, m, 0.25), "Outcome 22 deferred prosecution", otype)
    otype = np.where((otype == "Community Resolution") & _yn(rng, m, 0.08), "Outcome 20/21", otype)
    outcomes["outcome_type"] = otype
    new_type = outcomes.set_index("outcome_id")["outcome_type"]
    linked = iv["outcome_id"].notna()
    iv.loc[linked, "intervention_type"] = iv.loc[linked, "outcome_id"].map(new_type)
    # offence ids: each outcome its own offence, except ~3% of a child's later court outcomes
    # that re-sentence the previous offence (e.g. after a breach)
    oid = np.array([f"F{i:07d}" for i in range(1, m + 1)], dtype=object)
    order = outcomes.sort_values(["child_id", "outcome_date", "outcome_id"]).index.to_numpy()
    prev_same_child = np.r_[False, outcomes.loc[order, "child_id"].to_numpy()[1:] == outcomes.loc[order, "child_id"].to_numpy()[:-1]]
    court = outcomes.loc[order, "outcome_type"].map(c.OUTCOME_TIERS).isin(c.COURT_TIERS).to_numpy()
    again = prev_same_child & court & _yn(rng, m, 0.03)
    ids_sorted = oid[order]
    for i in np.flatnonzero(again):  # few rows; keeps the chain of a re-sentenced offence
        ids_sorted[i] = ids_sorted[i - 1]
    oid[order] = ids_sorted
    outcomes["offence_id"] = oid
    tier = outcomes["outcome_type"].map(c.OUTCOME_TIERS)
    gap = (outcomes["outcome_date"] - outcomes["offence_date"]).dt.days.fillna(0)
    hearing = outcomes["offence_date"] + pd.to_timedelta(np.floor(gap * rng.uniform(0.2, 0.9, m)), unit="D")
    outcomes["first_hearing_date"] = hearing.where(tier.isin(c.COURT_TIERS).to_numpy())
    moved = _yn(rng, m, 0.02)
    outcomes["resident_at_outcome"] = pd.array(np.where(moved, False, True), dtype="boolean")
    outcomes.loc[~(moved | _yn(rng, m, 0.5)), "resident_at_outcome"] = pd.NA
    # custody: release half-way through the order (the rest on licence in the community)
    custody = iv["intervention_type"].map(c.OUTCOME_TIERS).eq("Custody").to_numpy()
    half = iv["start_date"] + (iv["end_date"].fillna(end_ts) - iv["start_date"]) / 2
    iv["release_date"] = half.dt.normalize().where(custody & (half <= end_ts).to_numpy())
    for prefix, p in (("mh", 0.12), ("sm", 0.08)):
        iv[f"{prefix}_in_treatment_at_start"] = _yn(rng, k, p)
    school = iv["ete_provision_start"].isin(["School", "Special school", "Alternative provision/PRU"]).to_numpy()
    start_hours = np.where(school, rng.choice([10, 15, 20, 25, 30], size=k), rng.choice([0, 8, 12, 16, 24, 30], size=k))
    iv["ete_hours_offered_start"] = np.where(iv["ete_provision_start"].eq("NEET").to_numpy(), 0, start_hours).astype(float)
    iv["early_help_referral"] = _yn(rng, k, 0.06)
    older = iv["ete_provision_start"].isin(["College", "Training", "Employment"]).to_numpy() & _yn(rng, k, 0.1)
    extra = _pick(rng, [("Traineeship", 30), ("Supported internship", 20), ("Self-employment", 10),
                        ("Voluntary work", 25), ("University", 5), ("Mentoring circle", 10)], k)
    iv["ete_provision_start"] = np.where(older, extra, iv["ete_provision_start"].to_numpy(dtype=object))
    return outcomes, iv


def demo_xlsx(seed: int = 7, children: int = 1500) -> bytes:
    """The demo service as a canonical ``.xlsx`` workbook."""
    from .writing import dataset_to_xlsx

    return dataset_to_xlsx(demo_dataset(seed=seed, children=children))
