"""One-pass validation of the monthly case-level workbook.

:func:`validate` checks a :class:`~yj_metrics.reading.RawWorkbook` against the data contract
(:mod:`yj_metrics.contract`) and reports **every** problem in one pass, each with its sheet,
Excel row number (header = row 1), column, the offending value and a plain-English message
saying how to fix it. Errors block loading; warnings do not. When there are no errors the
report carries the canonical :class:`~yj_metrics.dataset.Dataset`.

Parsing rules (issue 2):

- sheet and column names match case- and whitespace-insensitively (:func:`contract.norm_name`);
- Y/N: Y, N, Yes, No, True, False, 1, 0 in any case, or a real boolean; blank = not recorded
  (the contract default applies where there is one);
- dates: real Excel date cells, ISO text (``2023-04-03``) or UK day-first text
  (``03/04/2023`` is 3 April 2023); dates before 1990 or in the future are impossible, and a
  date after 2100 (31/12/9999, a common "no end date") is reported as an open-ended date;
- unknown extra columns are ignored with a warning; columns that look like names or
  addresses (:func:`contract.is_personal_column`) are dropped with a warning and never
  passed on (their values are never echoed in a message either).

Columns are parsed per column over their distinct values (pandas), so a workbook of a few
thousand rows validates in well under a second.
"""
from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import contract as c
from .dataset import FRAME_OF_SHEET, Dataset, age_on
from .reading import RawSheet, RawWorkbook, ReadLimits, WorkbookReadError, read_workbook

__all__ = ["Problem", "ValidationReport", "validate", "validate_bytes", "vocab_value"]

EARLIEST_DATE = pd.Timestamp("1990-01-01")
#: Dates after this are open-ended ("no end date" markers such as 31/12/9999), never real events.
LATEST_DATE = pd.Timestamp("2100-12-31")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_LATEST_SERIAL = (LATEST_DATE.date() - _EXCEL_EPOCH).days
#: Sheets a workbook may carry for people (template instructions, dropdown lists): ignored.
IGNORED_SHEETS = {"instructions", "lists", "readme", "notes", "lookups", "vocabularies",
                  "dropdowns", "guidance", "about"}
SEVERITY_ORDER = {"error": 0, "warning": 1}
SHEET_ORDER = {s.name: i for i, s in enumerate(c.SHEETS)}


# --------------------------------------------------------------------------- results

@dataclass(frozen=True)
class Problem:
    """One problem in the workbook. ``row`` is the Excel row number (header = row 1)."""

    sheet: str | None
    row: int | None
    column: str | None
    value: str | None
    message: str
    severity: str = "error"

    def to_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column,
                "value": self.value, "message": self.message, "severity": self.severity}


def _sort_key(p: Problem):
    return (SEVERITY_ORDER.get(p.severity, 9), SHEET_ORDER.get(p.sheet, 99), p.sheet or "",
            p.row or 0, p.column or "")


@dataclass(frozen=True)
class ValidationReport:
    """Every problem found, and the canonical data when there are no errors.

    ``unreadable`` is the message when the file could not be read at all (it is also the one
    error). ``dataset`` is ``None`` whenever there is any error.
    """

    errors: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()
    unreadable: str | None = None
    dataset: Dataset | None = None
    file_name: str | None = None

    @property
    def ok(self) -> bool:
        """True when the workbook can be loaded (no errors; warnings allowed)."""
        return self.unreadable is None and not self.errors

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self.errors + self.warnings

    def to_frame(self) -> pd.DataFrame:
        """Problems as a table (errors first, then by sheet and row) for the upload page."""
        cols = ["severity", "sheet", "row", "column", "value", "message"]
        rows = [p.to_dict() for p in sorted(self.problems, key=_sort_key)]
        df = pd.DataFrame(rows, columns=cols)
        df["row"] = pd.array(df["row"].tolist(), dtype="Int64")
        for col in ("severity", "sheet", "column", "value", "message"):
            df[col] = df[col].astype("object").where(df[col].notna(), None)
        return df

    def to_json_dict(self) -> dict:
        """``{"errors": [...], "warnings": [...]}`` of problem dicts (the CLI's ``--json``)."""
        return {"errors": [p.to_dict() for p in self.errors],
                "warnings": [p.to_dict() for p in self.warnings]}


# --------------------------------------------------------------------------- helpers

def _letter(idx: int) -> str:
    """Excel column letter of a 0-based column index."""
    s, n = "", idx + 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def _show(v: object) -> str | None:
    """A cell value as text for messages and the problem table."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, dt.datetime):
        return _fmt_date(v) + ("" if v.time() == dt.time() else v.strftime(" %H:%M"))
    if isinstance(v, dt.date):
        return _fmt_date(v)
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    text = str(v)
    return text if len(text) <= 80 else text[:77] + "..."


def _fmt_date(d) -> str:
    """``3 Apr 2023``: the way dates are shown to users."""
    return f"{d.day} {d.strftime('%b %Y')}"


def _is_blank_value(v: object) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "") or (
        isinstance(v, float) and v != v)


def _human(column: str) -> str:
    return column.replace("_", " ")


def _suggest(value: str, choices: list[str] | tuple[str, ...]) -> str | None:
    """The closest allowed value (difflib), compared case- and punctuation-insensitively."""
    normed = {c.norm_text(ch): ch for ch in choices}
    hit = difflib.get_close_matches(c.norm_text(value), list(normed), n=1, cutoff=0.6)
    return normed[hit[0]] if hit else None


class _Problems:
    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, sheet, row, column, value, message, severity="error") -> None:
        self.items.append(Problem(sheet, row, column, value, message, severity))

    def cell(self, sheet, row, column, value, text, severity="error") -> None:
        shown = _show(value)
        self.add(sheet, int(row), column, shown,
                 f"{sheet} row {int(row)}, column {column}: {text}", severity)

    def cells(self, sheet, column, raw: pd.Series, mask, text_of, severity="error") -> None:
        """One problem per row where ``mask`` is true; ``text_of(value)`` gives the message."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        for row, value in zip(raw.index[mask], raw[mask].tolist()):
            self.cell(sheet, row, column, value, text_of(value), severity)


def _map_unique(raw: pd.Series, fn) -> list:
    """``fn`` over the distinct values of a column (keyed by type too: True is not 1.0)."""
    cache: dict = {}
    out = []
    for v in raw.tolist():
        key = (type(v), v)
        try:
            out.append(cache[key])
        except KeyError:
            r = cache[key] = fn(v)
            out.append(r)
        except TypeError:  # unhashable: not expected from calamine, but never crash
            out.append(fn(v))
    return out


# --------------------------------------------------------------------------- column parsers
# Each parser takes the raw object column (index = Excel row numbers) and returns the parsed
# column and a "bad" mask (non-blank cells that could not be parsed); it reports the bad cells.

def _text_of(v: object) -> str | None:
    if _is_blank_value(v):
        return None
    if isinstance(v, bool):
        return "Y" if v else "N"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime):
        return _show(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v).strip()


def _parse_text(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    vals = _map_unique(raw, _text_of)
    return pd.Series(vals, index=raw.index, dtype="object"), np.zeros(len(raw), dtype=bool)


def _yn_of(v: object):
    if _is_blank_value(v):
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return True if v == 1 else False if v == 0 else "bad"
    if isinstance(v, str):
        t = v.strip().lower()
        if t in c.YES_VALUES:
            return True
        if t in c.NO_VALUES:
            return False
    return "bad"


def _parse_yn(raw, sheet, column, problems: _Problems):
    vals = _map_unique(raw, _yn_of)
    bad = np.array([isinstance(v, str) for v in vals], dtype=bool)   # "bad"
    parsed = pd.Series([None if isinstance(v, str) else v for v in vals], index=raw.index,
                       dtype="object")
    problems.cells(sheet, column, raw, bad, lambda v: (
        f"'{_show(v)}' is not a Y/N value. Use Y or N (Yes/No, True/False and 1/0 are also "
        "accepted), or leave the cell blank if it was not recorded."))
    return parsed.astype("boolean"), bad


_ISO_DATE = r"^\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
_DAYFIRST_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%d %B %Y", "%d %b %Y",
                     "%d-%b-%Y", "%d %b %y", "%d-%b-%y")


def _parse_dates(raw, sheet, column, problems: _Problems, today: pd.Timestamp):
    """Real date cells, ISO text or UK day-first text -> datetime64 at midnight.

    Parsed at microsecond resolution first, so 31/12/9999 (a case system's "no end date") is
    read and reported as an open-ended date instead of overflowing nanosecond timestamps."""
    kinds = pd.Series(_map_unique(raw, lambda v: (
        "blank" if _is_blank_value(v) else
        "date" if isinstance(v, (dt.date, pd.Timestamp, np.datetime64)) else
        "time" if isinstance(v, (dt.time, dt.timedelta)) else
        "bool" if isinstance(v, bool) else
        "number" if isinstance(v, (int, float)) else
        "text")), index=raw.index)
    out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]")
    is_date, is_text = (kinds == "date").to_numpy(), (kinds == "text").to_numpy()
    if is_date.any():
        out[is_date] = pd.to_datetime(pd.Series(raw[is_date].tolist(), dtype="object"),
                                      errors="coerce").astype("datetime64[us]").to_numpy()
    if is_text.any():
        text = raw[is_text].map(lambda v: str(v).strip())
        uniq = pd.Series(text.unique(), dtype="object")
        # ISO only for a full date (2023-04-03, optionally with a time): "2023" is not a date.
        iso = uniq.where(uniq.str.match(_ISO_DATE), None)
        parsed = pd.to_datetime(iso, format="ISO8601", errors="coerce").astype("datetime64[us]")
        for fmt in _DAYFIRST_FORMATS:
            todo = parsed.isna()
            if not todo.any():
                break
            parsed[todo] = pd.to_datetime(uniq[todo], format=fmt, errors="coerce").astype("datetime64[us]")
        lookup = dict(zip(uniq.tolist(), parsed.tolist()))
        out[is_text] = pd.to_datetime(text.map(lookup)).astype("datetime64[us]").to_numpy()
    out = out.dt.normalize()
    unparsed = (is_date | is_text) & out.isna().to_numpy()
    number, time_like = (kinds == "number").to_numpy(), (kinds == "time").to_numpy()
    boolean = (kinds == "bool").to_numpy()
    # A date cell past 2100, or a date serial too large for one, is an open-ended date.
    open_ended = (out > LATEST_DATE).to_numpy() | (number & (pd.to_numeric(
        raw.where(number), errors="coerce") > _LATEST_SERIAL).to_numpy())
    number = number & ~open_ended

    how = "Enter a real date: an Excel date cell, 2023-04-03, or 03/04/2023 for 3 April 2023."
    problems.cells(sheet, column, raw, unparsed,
                   lambda v: f"'{_show(v)}' is not a date that can be read. {how}")
    problems.cells(sheet, column, raw, open_ended, lambda v: (
        f"'{_show(v)}' is an open-ended date (after {LATEST_DATE.year}), which case systems use for "
        "'no end date'. Leave the cell blank if the order or event is still open; otherwise enter the "
        "real date."))

    def number_text(v):
        try:
            hint = f" (as a date it would be {_fmt_date(_EXCEL_EPOCH + dt.timedelta(days=float(v)))})"
        except (OverflowError, ValueError):
            hint = ""
        return (f"'{_show(v)}' is a number, not a date{hint}. Format the cell as a date in "
                f"Excel or type the date. {how}")

    problems.cells(sheet, column, raw, number, number_text)
    problems.cells(sheet, column, raw, time_like,
                   lambda v: f"'{_show(v)}' is a time or duration, not a date. {how}")
    problems.cells(sheet, column, raw, boolean,
                   lambda v: f"'{_show(v)}' is TRUE/FALSE, not a date. {how}")
    future = (out > today).to_numpy() & ~open_ended
    problems.cells(sheet, column, raw, future, lambda v: (
        f"'{_show(v)}' is in the future (after {_fmt_date(today)}). Check the date, "
        "including the year and that it is written day first (03/04/2023 is 3 April)."))
    early = (out < EARLIEST_DATE).to_numpy()
    problems.cells(sheet, column, raw, early, lambda v: (
        f"'{_show(v)}' is before 1990, which cannot be right here. Check the year."))
    bad = unparsed | number | time_like | boolean | future | early | open_ended
    out[bad] = pd.NaT
    return out.astype("datetime64[ns]"), bad


def _parse_number(raw, sheet, spec: c.ColumnSpec, problems: _Problems):
    def num(v):
        if _is_blank_value(v):
            return np.nan
        if isinstance(v, bool) or not isinstance(v, (int, float, str)):
            return "bad"
        try:
            return float(str(v).strip().replace(",", "")) if isinstance(v, str) else float(v)
        except ValueError:
            return "bad"

    vals = _map_unique(raw, num)
    notnum = np.array([isinstance(v, str) for v in vals], dtype=bool)
    x = pd.Series([np.nan if isinstance(v, str) else v for v in vals], index=raw.index,
                  dtype="float64")
    col = spec.name
    problems.cells(sheet, col, raw, notnum,
                   lambda v: f"'{_show(v)}' is not a number. Enter a number or leave it blank.")
    bad = notnum.copy()
    if spec.kind == "int":
        frac = (x.notna() & (x != x.round())).to_numpy()
        problems.cells(sheet, col, raw, frac,
                       lambda v: f"'{_show(v)}' is not a whole number. Enter a whole number.")
        bad |= frac
    lo, hi = spec.minimum, spec.maximum
    if lo is not None and hi is not None:
        rng = f"between {lo:g} and {hi:g}"
    else:
        rng = f"at least {lo:g}" if lo is not None else f"at most {hi:g}" if hi is not None else ""
    out_of_range = np.zeros(len(x), dtype=bool)
    if lo is not None:
        out_of_range |= (x < lo).to_numpy()
    if hi is not None:
        out_of_range |= (x > hi).to_numpy()
    out_of_range &= ~bad
    problems.cells(sheet, col, raw, out_of_range,
                   lambda v: f"{_show(v)} is out of range: {_human(col)} must be {rng}.")
    bad |= out_of_range
    x[bad] = np.nan
    return x, bad


def _vocab_lookup(vocab: tuple[str, ...]) -> dict[str, str]:
    return {c.norm_text(v): v for v in vocab}


def _vocab_parser(sheet: str, spec: c.ColumnSpec):
    """``(parse, choices)`` for a vocabulary column: ``parse(text)`` gives the stored value or ``None``."""
    col = spec.name
    if sheet == "Children" and col == "gender" or sheet == "Population" and col == "gender":
        parse = c.parse_gender
        choices = list(c.GENDERS) + ["M", "F", "Boy", "Girl"]
    elif sheet == "Children" and col == "ethnicity":
        def parse(v):
            p = c.parse_ethnicity(v)
            return None if p is None else p[0]
        choices = list(c.ETHNICITIES) + list(c.DFE_ETHNICITY_CODES)
    elif sheet == "Population" and col == "ethnicity":
        def parse(v):
            p = c.parse_ethnicity(v)
            return None if p is None or p[0] != p[1] else p[1]
        choices = list(c.ETHNIC_GROUPS)
    else:
        lookup = _vocab_lookup(spec.vocab)

        def parse(v):
            return lookup.get(c.norm_text(v))
        choices = list(spec.vocab)
    return parse, choices


def vocab_value(sheet: str, column: str, value: object) -> str | None:
    """The value the validator stores for ``value`` in a vocabulary column, or ``None`` if not recognised.

    Blank is ``None`` (blank gender and ethnicity are stored as Not known)."""
    if _is_blank_value(value):
        return None
    parse, _ = _vocab_parser(sheet, c.SHEETS_BY_NAME[sheet].column(column))
    return parse(_text_of(value) if not isinstance(value, str) else value)


def _parse_vocab(raw, sheet, spec: c.ColumnSpec, problems: _Problems):
    col = spec.name
    parse, choices = _vocab_parser(sheet, spec)

    def one(v):
        if _is_blank_value(v) and not (sheet == "Children" and col in ("gender", "ethnicity")):
            return (None, False)
        try:
            got = parse(_text_of(v) if not isinstance(v, str) else v)
        except Exception:  # a parser should never fail, but bad input must not crash us
            got = None
        return (got, got is None)

    vals = _map_unique(raw, one)
    parsed = pd.Series([v[0] for v in vals], index=raw.index, dtype="object")
    bad = np.array([v[1] for v in vals], dtype=bool)

    def text(v):
        shown = _show(v)
        what = f"an allowed {_human(col)}"
        if sheet == "Population" and col == "ethnicity":
            what = "a broad ethnic group (the Population sheet uses broad groups only)"
        suggestion = _suggest(shown, choices)
        if suggestion:
            return f"'{shown}' is not {what}. Did you mean '{suggestion}'?"
        if sheet == "Children" and col == "ethnicity":
            return (f"'{shown}' is not a recognised ethnicity. Use an ONS 2021 or 2011 category "
                    "(e.g. 'Mixed - White and Black Caribbean'), a DfE code (e.g. WBRI) or a "
                    "broad group (White, Mixed, Asian, Black, Other, Not known).")
        allowed = list(c.ETHNIC_GROUPS) if (sheet, col) == ("Population", "ethnicity") \
            else list(spec.vocab)
        return f"'{shown}' is not {what}. Use one of: {', '.join(allowed)}."

    problems.cells(sheet, col, raw, bad, text)
    return parsed, bad


# --------------------------------------------------------------------------- sheets

@dataclass
class _SheetData:
    spec: c.SheetSpec
    present: bool = False
    file_name: str | None = None                             # the sheet's name in the file
    raw: pd.DataFrame = field(default_factory=pd.DataFrame)  # canonical columns, raw cells
    parsed: pd.DataFrame = field(default_factory=pd.DataFrame)
    bad: dict = field(default_factory=dict)                  # column -> bad mask


def _map_columns(raw_sheet: RawSheet, spec: c.SheetSpec, problems: _Problems) -> dict[str, int]:
    """Canonical column -> index in the file; reports unknown, personal, duplicate, missing."""
    sheet = spec.name
    wanted = {c.norm_name(col): col for col in spec.column_names}
    found: dict[str, int] = {}
    unknown: list[tuple[int, str]] = []
    n_cols = max([len(raw_sheet.header)] + [len(r) for r in raw_sheet.rows])
    for idx in range(n_cols):
        head = raw_sheet.header[idx] if idx < len(raw_sheet.header) else None
        letter = _letter(idx)
        if _is_blank_value(head):
            if any(idx < len(r) and not _is_blank_value(r[idx]) for r in raw_sheet.rows):
                problems.add(sheet, 1, None, None,
                             f"{sheet}, column {letter}: has data but no heading in row 1, so "
                             "it was ignored. Give it a heading from the template or delete it.",
                             "warning")
            continue
        head_text = _show(head)
        norm = c.norm_name(head_text)
        if norm in wanted:
            name = wanted[norm]
            if name in found:
                problems.add(sheet, 1, name, head_text,
                             f"{sheet}, column {letter}: the column '{name}' appears twice "
                             f"(columns {_letter(found[name])} and {letter}). Delete one of them.")
                continue
            found[name] = idx
        elif c.is_personal_column(head_text):
            problems.add(sheet, 1, head_text, None,
                         f"{sheet}, column {letter} ('{head_text}') looks like a personal name, "
                         "address or contact detail. It has been dropped and will not be stored. "
                         "Remove it from the export: children are identified by pseudonymous "
                         "child_id only.", "warning")
        else:
            unknown.append((idx, head_text))
    missing = [col for col in spec.column_names if col not in found]
    for idx, head_text in unknown:
        hint = _suggest(head_text, missing)
        extra = f" Did you mean '{hint}'?" if hint else ""
        problems.add(sheet, 1, head_text, None,
                     f"{sheet}, column {_letter(idx)} ('{head_text}') is not part of the workbook "
                     f"contract and was ignored.{extra}", "warning")
    for col in missing:
        spec_col = spec.column(col)
        if not spec_col.required:
            continue
        close = [h for _, h in unknown if _suggest(h, [col])]
        hint = f" Is column '{close[0]}' meant to be '{col}'? Rename it." if close else ""
        problems.add(sheet, None, col, None,
                     f"{sheet}: the required column '{col}' is missing. Add a column headed "
                     f"'{col}' in row 1 (see the blank template).{hint}")
    if sheet == "Population" and "age" not in found and "age_band" not in found:
        problems.add(sheet, None, "age_band", None,
                     "Population: there is neither an 'age' nor an 'age_band' column. Add one "
                     "of them (age 10-17, or age_band 10-14 / 15-17).")
    return found


def _read_sheet(raw_sheet: RawSheet, spec: c.SheetSpec, problems: _Problems,
                today: pd.Timestamp) -> _SheetData:
    sheet = spec.name
    found = _map_columns(raw_sheet, spec, problems)
    index = pd.Index(raw_sheet.row_numbers, dtype="int64", name="row")
    if raw_sheet.rows:
        width = max(len(r) for r in raw_sheet.rows)
        grid = pd.DataFrame([tuple(r) + (None,) * (width - len(r)) for r in raw_sheet.rows],
                            index=index, dtype="object")
    else:
        grid = pd.DataFrame(index=index)
    raw = pd.DataFrame({col: grid[idx] if idx in grid.columns else
                        pd.Series([None] * len(index), index=index, dtype="object")
                        for col, idx in found.items()}, index=index)
    data = _SheetData(spec, True, raw_sheet.name, raw)
    if spec.required and not raw_sheet.rows:
        problems.add(sheet, None, None, None,
                     f"{sheet}: the sheet has no data rows. Fill in one row per record below "
                     "the headings in row 1.")
    parsed = {}
    for col, series in raw.items():
        cs = spec.column(col)
        if cs.kind in ("id", "text"):
            p, bad = _parse_text(series)
        elif cs.kind == "yn":
            p, bad = _parse_yn(series, sheet, col, problems)
        elif cs.kind == "date":
            p, bad = _parse_dates(series, sheet, col, problems, today)
        elif cs.kind in ("int", "number"):
            p, bad = _parse_number(series, sheet, cs, problems)
        else:
            p, bad = _parse_vocab(series, sheet, cs, problems)
        if cs.required:
            blank = series.map(_is_blank_value).to_numpy(dtype=bool)
            problems.cells(sheet, col, series, blank, lambda v, col=col: (
                f"the required {_human(col)} is blank. Fill it in."))
            bad = bad | blank
        parsed[col] = p
        data.bad[col] = bad
    data.parsed = pd.DataFrame(parsed, index=index)
    return data


# --------------------------------------------------------------------------- cross checks

def _col(data: _SheetData, col: str) -> pd.Series | None:
    return data.parsed[col] if col in data.parsed.columns else None


def _check_unique(data: _SheetData, problems: _Problems) -> None:
    key = data.spec.key
    ids = _col(data, key) if key else None
    if ids is None:
        return
    present = ids.notna()
    dup = ids.duplicated(keep="first") & present
    if not dup.any():
        return
    first_row = ids[present & ~ids.duplicated(keep="first")]
    first_of = dict(zip(first_row.tolist(), first_row.index.tolist()))
    sheet = data.spec.name
    problems.cells(sheet, key, data.raw[key], dup.to_numpy(), lambda v: (
        f"'{_show(v)}' is used more than once (first on row {first_of.get(_text_of(v))}). "
        f"Each {key} must be unique: remove the duplicate row or correct the id."))


def _check_refs(data: _SheetData, col: str, target: _SheetData, problems: _Problems) -> None:
    ids = _col(data, col)
    known = _col(target, col)
    if ids is None or known is None or not target.present:
        return
    missing = ids.notna() & ~ids.isin(set(known.dropna().tolist()))
    problems.cells(data.spec.name, col, data.raw[col], missing.to_numpy(), lambda v: (
        f"'{_show(v)}' is not {'an' if col[0] in 'aeiou' else 'a'} {col} on the "
        f"{target.spec.name} sheet. Add it to "
        f"{target.spec.name} or correct the id."))


def _check_order(data: _SheetData, first: str, later: str, problems: _Problems,
                 what: str) -> None:
    """Report ``later`` dates before ``first`` dates on the same row (at the ``later`` cell)."""
    a, b = _col(data, first), _col(data, later)
    if a is None or b is None:
        return
    wrong = (a.notna() & b.notna() & (b < a)).to_numpy()
    raw = data.raw[later]
    for row in raw.index[wrong]:
        problems.cell(data.spec.name, row, later, raw.loc[row], (
            f"the {_human(later)} {_fmt_date(b.loc[row])} is before the {_human(first)} "
            f"{_fmt_date(a.loc[row])}. {what} Check both dates."))


def _check_ages(children: _SheetData, outcomes: _SheetData, problems: _Problems) -> None:
    """10-17 at the outcome; an outcome after the 18th birthday is accepted when the child was
    under 18 at the offence or the first hearing (the YJB's age rule: QS2-fte_redshift.sql,
    kpi9_sv_case_level_v8)."""
    dob, kid = _col(children, "date_of_birth"), _col(children, "child_id")
    o_kid, o_date = _col(outcomes, "child_id"), _col(outcomes, "outcome_date")
    if any(s is None for s in (dob, kid, o_kid, o_date)):
        return
    births = pd.DataFrame({"child_id": kid, "dob": dob, "child_row": kid.index})
    births = births.dropna().drop_duplicates("child_id")
    rows = pd.DataFrame({"child_id": o_kid, "outcome_date": o_date, "row": o_kid.index})
    for extra in ("offence_date", "first_hearing_date"):
        col = _col(outcomes, extra)
        rows[extra] = col if col is not None else pd.NaT
    m = rows.merge(births, on="child_id", how="inner").dropna(subset=["outcome_date", "dob"])
    if m.empty:
        return
    m["age"] = age_on(m["dob"], m["outcome_date"])
    earliest = m[["offence_date", "first_hearing_date", "outcome_date"]].min(axis=1)
    m["age_earliest"] = age_on(m["dob"], earliest)
    bad = m[(m["age"] < 10) | (m["age_earliest"] > 17)]
    raw = outcomes.raw["outcome_date"]
    for r in bad.itertuples(index=False):
        problems.cell("Outcomes", r.row, "outcome_date", raw.loc[r.row], (
            f"child '{r.child_id}' was {int(r.age)} on the outcome date {_fmt_date(r.outcome_date)} "
            f"(born {_fmt_date(r.dob)}, Children row {int(r.child_row)}). Youth justice outcomes "
            "are for ages 10-17 (an outcome after the 18th birthday is accepted when the offence "
            "or first hearing was before it): check the outcome_date, offence_date, "
            "first_hearing_date and the child's date_of_birth."))


def _check_outcome_child(interventions: _SheetData, outcomes: _SheetData,
                         children: _SheetData, problems: _Problems) -> None:
    """An intervention's outcome must belong to the same child.

    Outcomes whose own child_id is unknown are already reported there, so skipped here."""
    i_kid, i_out = _col(interventions, "child_id"), _col(interventions, "outcome_id")
    o_kid, o_id = _col(outcomes, "child_id"), _col(outcomes, "outcome_id")
    if any(s is None for s in (i_kid, i_out, o_kid, o_id)):
        return
    known = _col(children, "child_id") if children.present else None
    if known is not None:
        keep = o_kid.isin(set(known.dropna().tolist()))
        o_kid, o_id = o_kid[keep], o_id[keep]
    owner = dict(zip(o_id.tolist(), o_kid.tolist()))
    expected = i_out.map(owner)
    wrong = (i_out.notna() & i_kid.notna() & expected.notna() & (expected != i_kid)).to_numpy()
    raw = interventions.raw["outcome_id"]
    for row in raw.index[wrong]:
        problems.cell("Interventions", row, "outcome_id", raw.loc[row], (
            f"outcome '{i_out.loc[row]}' belongs to child '{expected.loc[row]}' on the Outcomes "
            f"sheet, not to child '{i_kid.loc[row]}'. Correct the child_id or the outcome_id."))


def _check_population(pop: _SheetData, problems: _Problems) -> None:
    age, band = _col(pop, "age"), _col(pop, "age_band")
    n = len(pop.parsed)
    age = age if age is not None else pd.Series(np.nan, index=pop.parsed.index)
    band = band if band is not None else pd.Series([None] * n, index=pop.parsed.index,
                                                    dtype="object")
    age_bad = pop.bad.get("age", np.zeros(n, dtype=bool))
    band_bad = pop.bad.get("age_band", np.zeros(n, dtype=bool))
    neither = (age.isna() & band.isna()).to_numpy() & ~age_bad & ~band_bad
    col = "age_band" if "age_band" in pop.raw.columns else "age"
    if col in pop.raw.columns:
        problems.cells("Population", col, pop.raw[col], neither, lambda v: (
            "both age and age_band are blank. Give the single year of age (10-17) or the "
            "age band (10-14 or 15-17)."))
    keys = [k for k in ("locality", "gender", "ethnicity", "age", "age_band", "year")
            if k in pop.parsed.columns]
    if keys and "population" in pop.raw.columns:
        frame = pop.parsed[keys].astype("object").where(pop.parsed[keys].notna(), None)
        dup = frame.duplicated(keep="first").to_numpy()
        first = frame.reset_index().drop_duplicates(keys, keep="first")
        first_of = {tuple(r[k] for k in keys): r["row"] for r in first.to_dict("records")}
        for row in pop.raw.index[dup]:
            key = tuple(frame.loc[row, k] for k in keys)
            problems.cell("Population", row, "population", pop.raw.loc[row, "population"], (
                f"this row repeats row {first_of.get(key)} (same {', '.join(keys)}), so the "
                "population would be counted twice. Delete one of the rows."))
    derived = pd.Series(None, index=age.index, dtype="object")
    derived[age.between(10, 14)] = "10-14"
    derived[age.between(15, 17)] = "15-17"
    clash = (band.notna() & derived.notna() & (band != derived)).to_numpy()
    if "age_band" in pop.raw.columns:
        problems.cells("Population", "age_band", pop.raw["age_band"], clash, lambda v: (
            f"age band '{_show(v)}' does not match the age on the same row. Correct one of them."))


# --------------------------------------------------------------------------- entry points

def _find_sheets(raw: RawWorkbook, problems: _Problems, required: bool = True) -> dict[str, RawSheet]:
    by_norm: dict[str, list[str]] = {}
    for name in raw.sheets:
        by_norm.setdefault(c.norm_name(name), []).append(name)
    chosen: dict[str, RawSheet] = {}
    matched: set[str] = set()
    for spec in c.SHEETS:
        names = by_norm.get(c.norm_name(spec.name), [])
        if not names:
            continue
        matched.update(names)
        visible = [n for n in names if not raw.sheets[n].hidden]
        hidden = [n for n in names if raw.sheets[n].hidden]
        if len(visible) > 1 or (not visible and len(hidden) > 1):
            problems.add(spec.name, None, None, None,
                         f"{spec.name}: the workbook has more than one sheet with this name "
                         f"({', '.join(repr(n) for n in names)}). Keep one and delete the "
                         "others.")
        read = (visible or hidden)[0]
        chosen[spec.name] = raw.sheets[read]
        if visible and hidden:
            problems.add(spec.name, None, None, None,
                         f"Sheet '{read}' was read as the {spec.name} sheet; the hidden sheet"
                         f"{'s' if len(hidden) > 1 else ''} {', '.join(repr(n) for n in hidden)} with the same "
                         "name was ignored. Delete the hidden sheet if it is an old copy.", "warning")
        elif not visible:
            problems.add(spec.name, None, None, None,
                         f"Sheet '{read}' is hidden in the workbook; it was read as the {spec.name} sheet. "
                         "Unhide it (right-click a sheet tab > Unhide) and check it holds the data you meant "
                         "to upload.", "warning")
    others = [n for n in raw.sheets if n not in matched]
    for spec in c.SHEETS:
        if spec.name in chosen or not spec.required or not required:
            continue
        hint = _suggest(spec.name, others) if others else None
        extra = f" Is the sheet '{hint}' meant to be '{spec.name}'? Rename it." if hint else ""
        problems.add(spec.name, None, None, None,
                     f"The required sheet '{spec.name}' is missing. Add a sheet named "
                     f"'{spec.name}' (see the blank template).{extra}")
    for name in others:
        sheet = raw.sheets[name]
        if c.norm_name(name) in IGNORED_SHEETS or not sheet.rows:
            continue
        problems.add(name, None, None, None,
                     f"{'Hidden sheet' if sheet.hidden else 'Sheet'} '{name}' is not part of the workbook "
                     "contract and was ignored.", "warning")
    for spec_name, sheet in chosen.items():
        for cells in sheet.merged_header:
            problems.add(spec_name, 1, None, cells,
                         f"{spec_name} row 1: the header cells {cells} are merged, so only the first of them "
                         "has a column name and the others are read as columns with no name. Unmerge them "
                         "(Home > Merge & Center > Unmerge Cells) and give each column its own name in row 1, "
                         "as in the blank template.", "warning")
    for note in raw.notes:
        problems.add(None, None, None, None, note, "warning")
    return chosen


def validate(raw: RawWorkbook, today: dt.date | None = None, along: Dataset | None = None,
             partial: bool = False) -> ValidationReport:
    """Check every sheet, column and cell; return all problems and, if none, the Dataset.

    ``today`` (default: the current date) decides which dates are "in the future". ``along``: the stored
    data these sheets are uploaded to go with (sheets on their own, such as Population): the required sheets
    may then be missing, and the child and outcome ids of Victims and Remands are checked against it.
    ``partial``: the required sheets may be missing (sheets on their own, checked without the stored data).
    """
    problems = _Problems()
    today_ts = pd.Timestamp(today or dt.date.today()).normalize()
    try:
        chosen = _find_sheets(raw, problems, required=along is None and not partial)
        data: dict[str, _SheetData] = {}
        for spec in c.SHEETS:
            if spec.name in chosen:
                data[spec.name] = _read_sheet(chosen[spec.name], spec, problems, today_ts)
            else:
                data[spec.name] = _SheetData(spec, False)
        for d in data.values():
            if d.present:
                _check_unique(d, problems)
        ch, out, inter = data["Children"], data["Outcomes"], data["Interventions"]
        vic, rem = data["Victims"], data["Remands"]
        for d in (out, inter, vic, rem):
            if d.present and ch.present:
                _check_refs(d, "child_id", ch, problems)
        for d in (inter, vic):
            if d.present and out.present:
                _check_refs(d, "outcome_id", out, problems)
        if inter.present and out.present:
            _check_outcome_child(inter, out, ch, problems)
        if out.present:
            _check_order(out, "offence_date", "outcome_date", problems,
                         "An outcome cannot come before the offence.")
            _check_order(out, "first_hearing_date", "outcome_date", problems,
                         "An outcome cannot come before the first hearing.")
        if out.present and ch.present:
            _check_ages(ch, out, problems)
        for d in (inter, rem):
            if d.present:
                _check_order(d, "start_date", "end_date", problems,
                             "An end date cannot be before the start date.")
        if inter.present:
            _check_order(inter, "start_date", "release_date", problems,
                         "A child cannot be released from custody before the order starts.")
        if data["Benchmarks"].present:
            _check_order(data["Benchmarks"], "period_start", "period_end", problems,
                         "A period cannot end before it starts.")
        if data["Population"].present:
            _check_population(data["Population"], problems)
        if along is not None:
            _check_stored_refs(data, along, problems)
    except Exception as exc:  # never a traceback for the user: report it as one problem
        problems.add(None, None, None, None,
                     "The workbook could not be checked because of an unexpected problem "
                     f"({type(exc).__name__}: {exc}). Check it matches the blank template; if "
                     "it does, report this to the dashboard's maintainers.")
        data = {}
    errors = tuple(sorted((p for p in problems.items if p.severity == "error"), key=_sort_key))
    warnings = tuple(sorted((p for p in problems.items if p.severity != "error"), key=_sort_key))
    dataset = None
    if not errors:
        dataset = _build_dataset(data, raw.file_name)
    return ValidationReport(errors, warnings, None, dataset, raw.file_name)


def _check_stored_refs(data: dict[str, _SheetData], along: Dataset, problems: _Problems) -> None:
    """Ids of sheets uploaded on their own, checked against the stored Children and Outcomes."""
    for sheet, frame, key in (("Children", "children", "child_id"), ("Outcomes", "outcomes", "outcome_id")):
        if data[sheet].present:
            continue
        stored = _SheetData(c.SHEETS_BY_NAME[sheet], True, sheet, parsed=getattr(along, frame)[[key]])
        for d in (data["Victims"], data["Remands"]):
            if d.present and key in d.spec.column_names:
                _check_refs(d, key, stored, problems)


def _build_dataset(data: dict[str, _SheetData], file_name: str | None) -> Dataset:
    frames = {}
    for sheet, frame in FRAME_OF_SHEET.items():
        d = data.get(sheet)
        if d is None or not d.present:
            continue
        df = d.parsed.reset_index(drop=True)
        if sheet == "Children":
            eth = df["ethnicity"] if "ethnicity" in df.columns else pd.Series(
                [None] * len(df), dtype="object")
            parsed = eth.map(c.parse_ethnicity)
            df["ethnicity"] = parsed.map(lambda p: p[0] if p else "Not known")
            df["ethnicity_group"] = parsed.map(lambda p: p[1] if p else "Not known")
            if "gender" not in df.columns:
                df["gender"] = "Not known"
        frames[frame] = df
    return Dataset.from_frames(**frames, file_name=file_name)


def validate_bytes(data: bytes, file_name: str, today: dt.date | None = None,
                   limits: ReadLimits | None = None) -> ValidationReport:
    """Read (bounded, see :mod:`yj_metrics.reading`) and validate an uploaded file. An unreadable
    file gives ``unreadable`` (the message, also reported as the one error); this never raises
    on bad input."""
    try:
        raw = read_workbook(data, file_name, limits=limits)
    except WorkbookReadError as exc:
        return unreadable_report(exc.message, file_name)
    except Exception as exc:  # defensive: a reader failure must still be a clear message
        return unreadable_report("The file could not be read as an Excel workbook "
                           f"({type(exc).__name__}). Save it again as .xlsx and upload it.",
                           file_name)
    return validate(raw, today=today)


def unreadable_report(message: str, file_name: str) -> ValidationReport:
    """The report on a file that could not be read: ``message`` is its one error."""
    problem = Problem(None, None, None, None, message, "error")
    return ValidationReport(errors=(problem,), unreadable=message, file_name=file_name)
