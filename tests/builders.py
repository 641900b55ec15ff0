"""Small hand-built case-level data for rule tests, and edits of generated files (not a test module)."""
from __future__ import annotations

import io
import itertools

import openpyxl
import pandas as pd

from yj_metrics.dataset import Dataset
from yj_metrics.example_exports import FLAT_SHEET

_ids = itertools.count(1)


class Service:
    """Accumulates children, outcomes, interventions... and builds a Dataset."""

    def __init__(self):
        self.children, self.outcomes, self.interventions = [], [], []
        self.victims, self.remands, self.board, self.population, self.benchmarks = [], [], [], [], []

    def child(self, dob="2006-06-15", gender="Male", ethnicity="White - British", locality="North",
              resident=True, prior=False, cid=None) -> str:
        cid = cid or f"C{next(_ids):06d}"
        self.children.append({"child_id": cid, "date_of_birth": pd.Timestamp(dob), "gender": gender,
                              "ethnicity": ethnicity, "locality": locality, "resident": resident,
                              "prior_substantive_outcome": prior})
        return cid

    def outcome(self, cid, date, otype="Youth Caution", offence_date=None, category="Theft and handling",
                gravity=3, overturned=False, looked_after=False, **fields) -> str:
        oid = f"O{next(_ids):06d}"
        date = pd.Timestamp(date)
        self.outcomes.append({"outcome_id": oid, "child_id": cid,
                              "offence_date": pd.Timestamp(offence_date) if offence_date else date - pd.Timedelta(days=14),
                              "outcome_date": date, "outcome_type": otype, "offence_category": category,
                              "gravity_score": gravity, "overturned_on_appeal": overturned,
                              "looked_after": looked_after, **fields})
        return oid

    def order(self, cid, itype, start, end=None, outcome_id=None, **fields) -> str:
        iid = f"I{next(_ids):06d}"
        self.interventions.append({"intervention_id": iid, "child_id": cid, "outcome_id": outcome_id,
                                   "intervention_type": itype, "start_date": pd.Timestamp(start),
                                   "end_date": pd.Timestamp(end) if end else None, **fields})
        return iid

    def population_total(self, total, year, locality="North"):
        self.population.append({"locality": locality, "gender": "Male", "ethnicity": "White", "age": 14,
                                "population": total, "year": year})

    def build(self) -> Dataset:
        def f(rows):
            return pd.DataFrame(rows) if rows else None

        return Dataset.from_frames(children=f(self.children), outcomes=f(self.outcomes),
                                   interventions=f(self.interventions), victims=f(self.victims),
                                   remands=f(self.remands), board_attendance=f(self.board),
                                   population=f(self.population), benchmarks=f(self.benchmarks))


def flat_export_with_new_code(xlsx: bytes, code: str) -> tuple[bytes, int]:
    """The flat export with one outcome's code (heading "Legal Outcome") set to ``code``, never seen before;
    the outcome chosen is on one row only (an outcome on several rows would then disagree with itself).
    Returns the file and that row."""
    wb = openpyxl.load_workbook(io.BytesIO(xlsx))
    ws = wb[FLAT_SHEET]
    headings = [c.value for c in ws[1]]
    ref, kind = headings.index("Outcome Ref"), headings.index("Legal Outcome")
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    refs = [r[ref] for r in rows]
    row = next(i for i, r in enumerate(rows, start=2) if r[ref] and refs.count(r[ref]) == 1)
    ws.cell(row=row, column=kind + 1, value=code)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), row
