"""The Upload page's mapping step: a case management system's own export, read with a mapping.

The first time, the manager matches the export's sheets, headings and codes to ours (every choice
starts from a suggestion) and saves the mapping; from then on the same export is recognised by its
headings and loaded in one step, and only a code never seen before is asked about. Every save is a
new version in the store (:meth:`yj_metrics.store.Store.save_mapping`).

The row each sheet's headings are on is detected under a title block and can be changed. Codes are
asked once per vocabulary (the same code in start and end accommodation is one question); a guess is
offered first in the list but never applied, and every code the mapping reads can be changed.
Question labels are plain text: Streamlit puts a label into the control's aria-label as written, so
a backslash escape would be read out; a label with characters markdown would act on is shown as
escaped markdown above a control whose own (hidden) label is the plain text.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import replace

import pandas as pd
import streamlit as st

from ui.audit import audit, download_button
from ui.fmt import md_escape, plain_table
from yj_metrics import contract as c
from yj_metrics.example_exports import LAYOUTS, example_mapping
from yj_metrics.mapping import (DATE_FORMATS, CodeQuestion, Mapping, ValueSuggestion, apply, code_questions,
                                could_be_headings, detect_heading_row, heading_row_candidates, read_headings,
                                signature_of, suggestions)
from yj_metrics.reading import RawWorkbook
from yj_metrics.store import SavedMapping, Store

NOT_READ = "(not in this export)"
NO_FORMAT = "Real dates, or dates like 2024-03-31 or 31/03/2024"
FROM_FILE = "Suggestions from this file"
FROM_JSON = "A mapping file someone shared (JSON)"
_EXAMPLES = {example_mapping(layout).name: layout for layout in LAYOUTS}
_STATE = "_yj_mapping_base"


def _token(*parts) -> str:
    """A short key part, so widgets start again from a new base mapping."""
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:10]


# --------------------------------------------------------------------------- plain labels

#: what Streamlit's label markdown would act on: emphasis, code, links, images, HTML, directives,
#: emoji codes, formulas, tables, headings, web and e-mail addresses
_MARKDOWN = re.compile(r"[*_`\[\]~$\\<>|#!]|:[A-Za-z0-9_+/-]+:|@|www\.|https?:")


def plain_select(container, label: str, options, **kwargs):
    """``container.selectbox`` whose label reads exactly as written, on screen and to a screen reader.

    Streamlit renders a widget label as markdown but puts the text as given into the control's
    aria-label, so escaping it (``Legal Outcomes\\: \u201cTriage\u201d``) makes screen readers read
    the backslashes. A label markdown would not change is passed as it is; one it would change is
    shown as escaped markdown and given to the control, hidden, as plain text."""
    if _MARKDOWN.search(label):
        container.markdown(md_escape(label))
        return container.selectbox(label, options, label_visibility="collapsed", **kwargs)
    return container.selectbox(label, options, **kwargs)


# --------------------------------------------------------------------------- asking about codes

def _rows(n: int) -> str:
    return f"{n:,} row{'' if n == 1 else 's'}"


def _where(q: CodeQuestion) -> str:
    """Their headings and sheets a code is in: "Accommodation at Start and Accommodation at End on sheet X"."""
    by_sheet: dict[str, list[str]] = {}
    for p in q.places:
        by_sheet.setdefault(p.source, [])
        if p.heading not in by_sheet[p.source]:
            by_sheet[p.source].append(p.heading)
    return "; ".join(f"{' and '.join(headings)} on sheet {sheet}" for sheet, headings in by_sheet.items())


def question_label(q: CodeQuestion) -> str:
    """The plain label of a code question: "“Triage” in Outcome on sheet Events (58 rows) means"."""
    verb = "is read as" if q.applied else "means"
    return f"\u201c{q.value}\u201d in {_where(q)} ({_rows(q.rows)}) {verb}"


def _vocabulary(q: CodeQuestion) -> str:
    """Our columns a code is in, start and end as one: "accommodation type", "ETE suitable, accommodation suitable"."""
    names = dict.fromkeys(re.sub(r"_(start|end)$", "", p.column).replace("_", " ").replace("ete ", "ETE ")
                          for p in q.places)
    return ", ".join(names)


def _ask_codes(questions: tuple[CodeQuestion, ...], mapping: Mapping, key: str) -> Mapping:
    """One choice per code never read before, asked once wherever it is: a guess is offered first in the
    list but not chosen; returns the mapping with every answer applied to each place of its code."""
    for q in questions:
        options = [None, *([q.suggested] if q.suggested else []), *(o for o in q.options if o != q.suggested)]
        ours = plain_select(
            st, question_label(q), options, index=0, key=f"{key}_q_{_token(q.key)}",
            format_func=lambda o: "Choose a value..." if o is None else o,
            help=(f"Our {_vocabulary(q)}. " + (f"Nearest wording: {q.suggested}, offered first; it is a guess, so "
                                               "it is not chosen for you." if q.suggested
                                               else "No suggestion: choose the nearest.")))
        if ours is not None:
            mapping = _answer(mapping, q, ours)
    return mapping


def _answer(mapping: Mapping, q: CodeQuestion, ours: str) -> Mapping:
    """``mapping`` with the answer applied; a value a mapping may not hold (it looks like a date or an id)
    is said next to it and left out, never a traceback."""
    try:
        return mapping.with_answer(q, ours)
    except (ValueError, KeyError) as exc:
        st.warning(md_escape(f"{exc} Correct \u201c{q.value}\u201d in the case system and export again."),
                   icon=":material/warning:")
        return mapping


def _review_codes(questions: tuple[CodeQuestion, ...], mapping: Mapping, key: str) -> Mapping:
    """Every code the mapping reads, grouped by vocabulary, each changeable: a suggestion or an earlier
    answer is never locked."""
    groups: dict[str, list[CodeQuestion]] = {}
    for q in questions:
        groups.setdefault(_vocabulary(q), []).append(q)
    for name, qs in groups.items():
        with st.expander(f"{name[:1].upper()}{name[1:]}: {len(qs)} code{'' if len(qs) == 1 else 's'} read"):
            for q in qs:
                options = list(q.options)
                ours = plain_select(st, question_label(q), options, index=options.index(q.current),
                                    key=f"{key}_r_{_token(q.key, q.current)}",
                                    help=f"Our {_vocabulary(q)}. Change it if the code means something else.")
                if ours != q.current:
                    mapping = _answer(mapping, q, ours)
    return mapping


# --------------------------------------------------------------------------- the first time

def _start(file_key: str) -> tuple[str, Mapping | None, str] | None:
    """Where the new mapping starts: ``("file", None, token)`` for suggestions from the file, or
    ``(kind, mapping, token)`` for a shipped example or a shared file; None while a file is awaited."""
    start = st.radio("Start from", [FROM_FILE, *_EXAMPLES, FROM_JSON], key=f"map_start_{file_key}",
                     horizontal=False,
                     help="Suggestions come from the headings (and common names case systems give them), the "
                          "values in each column and our lists of codes. A mapping shared by a service on the "
                          "same case management system can be imported instead.")
    if start == FROM_FILE:
        return "file", None, _token(file_key, "file")
    if start in _EXAMPLES:
        return "example", example_mapping(_EXAMPLES[start]), _token(file_key, start)
    shared = st.file_uploader("Mapping file (.json)", type=["json"], key=f"map_json_{file_key}")
    if shared is None:
        return None
    try:
        mapping = Mapping.from_json(shared.getvalue().decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        st.error(md_escape(f"{shared.name} is not a mapping this dashboard can read: {exc}"),
                 icon=":material/error:")
        return None
    return "json", mapping, _token(file_key, hashlib.sha256(shared.getvalue()).hexdigest())


def _row_text(n: int, cells: tuple[str, ...]) -> str:
    shown = " | ".join(t for t in cells if t)
    return f"Row {n}: {shown[:100]}{'...' if len(shown) > 100 else ''}" if shown else f"Row {n}"


def _heading_rows(raw: RawWorkbook, given: Mapping | None, token: str) -> dict[str, int]:
    """The row each sheet's headings are on: detected under any title block (or as ``given`` says for a
    sheet it reads), and changeable by the manager among the first rows that could be headings (a row of a
    child's details is not offered: its cells would be kept in the mapping)."""
    sheets = {n: s for n, s in raw.sheets.items() if not s.hidden and (s.rows or s.header)}
    known = {name for name, _ in given.signature} if given else set()
    defaults = {n: given.heading_row(n) if n in known else detect_heading_row(s) for n, s in sheets.items()}
    below = sum(r > 1 for r in defaults.values())
    rows = {}
    title = ("1. Where the headings are: " + (f"under a title block on {below} sheet{'' if below == 1 else 's'}"
                                              if below else "row 1 of every sheet"))
    with st.expander(title, expanded=bool(below)):
        st.caption("A report export often has a title, a run date or its criteria above the headings. Rows above "
                   "the headings are not read; problems are still given with the export's own row numbers.")
        for name, sheet in sheets.items():
            every = dict(heading_row_candidates(sheet, 15))
            found = {n: cells for n, cells in every.items() if could_be_headings(cells) or n == defaults[name]}
            if defaults[name] not in found:
                found[defaults[name]] = ()
            options = sorted(found)
            rows[name] = plain_select(
                st, f"Sheet {name}: the headings are on", options, index=options.index(defaults[name]),
                key=f"map_hr_{_token(token, name)}", format_func=lambda n, f=found: _row_text(n, f[n]))
    return rows


def _suggested(raw: RawWorkbook, file_name: str, file_key: str, rows: dict[str, int]) -> Mapping:
    """Suggestions from the file with these heading rows, kept for this file while the step runs."""
    cache = st.session_state.setdefault("_yj_mapping_suggestions", {})
    key = (file_key, tuple(sorted(rows.items())))
    if key not in cache:
        cache.clear()  # one file's suggestions at a time
        stem = file_name.rsplit(".", 1)[0]
        cache[key] = suggestions(raw, f"{stem} export", heading_rows=rows).mapping
    return cache[key]


def _choose_sheets_and_columns(raw: RawWorkbook, base: Mapping, key: str) -> Mapping:
    """Our sheets, each with the sheet of theirs that feeds it and the heading of each column."""
    headings_of = dict(signature_of(raw))  # their sheets the suggestions read, with their headings
    theirs = list(headings_of)
    mapping = base
    for spec in c.SHEETS:
        sm = base.sheet(spec.name)
        source_options = [None, *theirs]
        index = source_options.index(sm.source) if sm and sm.source in source_options else 0
        need = "needed" if spec.required else "optional"
        with st.expander(f"Our {spec.name} sheet ({need})", expanded=spec.required):
            source = st.selectbox(
                f"Which sheet of the export holds {spec.name.replace('_', ' ').lower()}?", source_options,
                index=index, key=f"{key}_src_{spec.name}",
                format_func=lambda o: NOT_READ if o is None else o)
            mapping = mapping.with_source(spec.name, source)
            if source is None:
                continue
            headings = list(headings_of[source])
            options = [None, *headings]
            cols = st.columns(2)
            for i, col in enumerate(spec.columns):
                current = sm.columns.get(col.name) if sm and sm.source == source else None
                match = next((h for h in headings if current and c.norm_name(h) == c.norm_name(current)), None)
                picked = cols[i % 2].selectbox(
                    col.name.replace("_", " ") + (" (needed)" if col.required else ""), options,
                    index=options.index(match) if match else 0, key=f"{key}_col_{spec.name}_{col.name}",
                    format_func=lambda o: NOT_READ if o is None else o,
                    help=md_escape(col.description) or None)
                mapping = mapping.with_column(spec.name, col.name, picked)
    return mapping


def _preview(raw: RawWorkbook, mapping: Mapping) -> None:
    """The first rows of each of our sheets as the mapping reads them (the manager's own data)."""
    with st.expander("Preview: the first rows as they will be read"):
        try:
            mapped = apply(raw, mapping)
        except (ValueError, KeyError) as exc:
            st.warning(md_escape(f"The preview is not available yet: {exc}"))
            return
        for name, sheet in mapped.raw.sheets.items():
            if not sheet.rows:
                continue
            frame = pd.DataFrame([list(r) for r in sheet.rows[:5]], columns=list(sheet.header))
            st.markdown(f"**{md_escape(name)}** ({len(sheet.rows):,} rows, from sheet "
                        f"{md_escape(mapped.sources.get(name, name))})")
            st.dataframe(plain_table(frame.dropna(axis=1, how="all")), hide_index=True,
                         key=f"preview_{_token(name)}")


AS_TEMPLATE = "template"


def new_mapping(raw: RawWorkbook, file_name: str, file_key: str) -> Mapping | str | None:
    """The mapping step for an export no saved mapping recognises; returns the mapping once the manager
    asks to save it, :data:`AS_TEMPLATE` when they say the file is meant to follow the template, else None."""
    st.info("This workbook is not laid out like the template: it looks like your case management system's own "
            "export. Match its sheets, headings and codes to ours once. The mapping is saved, and next month the "
            "same export is recognised and loaded in one step.", icon=":material/alt_route:")
    if st.button("It is meant to follow the template: list its problems instead", key=f"as_template_{file_key}"):
        return AS_TEMPLATE
    started = _start(file_key)
    if started is None:
        return None
    kind, given, start_token = started
    rows = _heading_rows(raw, given, start_token)
    if kind == "file":
        base = _suggested(raw, file_name, file_key, rows)
    else:
        base = replace(given, heading_rows=rows)
    key = f"map_{_token(start_token, sorted(rows.items()))}"
    read = read_headings(raw, rows)
    st.subheader("2. Sheets and columns")
    mapping = _choose_sheets_and_columns(read, base, key)
    mapping = replace(mapping, heading_rows={s.source: rows.get(s.source, 1) for s in mapping.sheets})
    st.subheader("3. Codes")
    questions = code_questions(raw, mapping)
    unread = tuple(q for q in questions if not q.applied)
    if unread:
        st.write(f"{len(unread)} code{'' if len(unread) == 1 else 's'} in the export {'is' if len(unread) == 1 else 'are'}"
                 " not read yet. Say what each means: a code found in several columns with the same list (start and "
                 "end accommodation, outcomes and interventions) is asked once. A guess is offered first in the "
                 "list, not chosen for you.")
        mapping = _ask_codes(unread, mapping, key)
    else:
        st.write("Every code in the coded columns is read.")
    read_codes = tuple(q for q in questions if q.applied)
    if read_codes:
        st.write(f"{len(read_codes)} code{'' if len(read_codes) == 1 else 's'} {'is' if len(read_codes) == 1 else 'are'}"
                 " read from our lists and the codes case systems use. Check them; change any that means "
                 "something else.")
        mapping = _review_codes(read_codes, mapping, key)
    st.subheader("4. Dates and name")
    formats = [None, *DATE_FORMATS]
    fmt = st.selectbox("How the export writes dates written as text", formats,
                       index=formats.index(base.date_format) if base.date_format in formats else 0,
                       key=f"{key}_dates", format_func=lambda f: NO_FORMAT if f is None else _example_date(f),
                       help="Detected from the file; day first is assumed for UK files.")
    name = st.text_input("Name of the mapping", value=base.name, key=f"{key}_name", max_chars=120,
                         help="E.g. the case management system and the report it reads.")
    used = list(dict.fromkeys(sm.source for sm in mapping.sheets))
    mapping = replace(mapping, name=name.strip(), date_format=fmt, signature=signature_of(read, used))
    _preview(raw, mapping)
    c1, c2 = st.columns(2)
    download_button("Download this mapping (JSON)", mapping.to_json().encode("utf-8"),
                    f"{_slug(mapping.name)}.json", key=f"{key}_download", kind="mapping",
                    mime="application/json")
    if c1.button("Save the mapping and load the data", type="primary", key=f"{key}_save"):
        if not mapping.name:
            st.error("Give the mapping a name first.", icon=":material/error:")
            return None
        return mapping
    c2.caption("Nothing is stored unless the mapped data have no errors; the mapping itself is saved either way.")
    return None


def new_values(raw: RawWorkbook, saved: SavedMapping, values: tuple[ValueSuggestion, ...],
               file_key: str) -> Mapping | None:
    """The export is recognised but holds codes the saved mapping does not read (``values``): ask about
    those only, each code once."""
    questions = code_questions(raw, saved.mapping, unread_only=True)
    n = len(questions)
    st.info(md_escape(
        f"This export was recognised: it is read with your saved mapping \u201c{saved.name}\u201d (version "
        f"{saved.version}, saved {saved.saved_at:%d %b %Y}). It has {n} code{'' if n == 1 else 's'} the mapping "
        f"does not read yet. Say what each means; the mapping is then saved as version {saved.version + 1}."),
        icon=":material/alt_route:")
    key = f"map_{_token(file_key, saved.id)}"
    mapping = _ask_codes(questions, saved.mapping, key)
    if st.button("Save the mapping and load the data", type="primary", key=f"{key}_save"):
        missing = code_questions(raw, mapping, unread_only=True)
        if missing:
            st.error(f"Choose a value for each of the {len(missing)} code(s) above first.", icon=":material/error:")
            return None
        return mapping
    return None


def _example_date(fmt: str) -> str:
    return f"{dt.date(2024, 3, 31).strftime(fmt)}  ({fmt})"


def _slug(name: str) -> str:
    slug = "".join(ch if ch.isalnum() else "_" for ch in name.lower()).strip("_")
    return (slug or "mapping")[:60]


# --------------------------------------------------------------------------- saved mappings

def saved_mappings_section(store: Store, service: str, who: str, writable: bool) -> None:
    """The service's saved mappings: each version can be downloaded to share; a shared file can be imported."""
    saved = store.saved_mappings(service)
    with st.expander(f"Saved mappings of case system exports ({len(saved)})"):
        if saved:
            table = pd.DataFrame([{"Name": s.name, "Version": s.version, "Saved by": s.saved_by,
                                   "Saved": s.saved_at.strftime("%d %b %Y %H:%M"),
                                   "Sheets read": ", ".join(dict.fromkeys(sm.source for sm in s.mapping.sheets))}
                                  for s in saved])
            st.dataframe(table, hide_index=True, key="saved_mappings")
            names = [s.name for s in saved]
            pick = st.selectbox("Download a mapping to share with a service on the same case system", names,
                                key="saved_mapping_pick")
            chosen = saved[names.index(pick)]
            download_button(f"Download \u201c{chosen.name}\u201d version {chosen.version} (JSON)",
                            chosen.mapping.to_json().encode("utf-8"), f"{_slug(chosen.name)}.json",
                            key="saved_mapping_download", kind="mapping", mime="application/json",
                            mapping=chosen.name, version=chosen.version)
        else:
            st.write("None yet: the first upload of a case system's own export makes one.")
        if not writable:
            return
        shared = st.file_uploader("Import a mapping file (.json)", type=["json"], key="saved_mapping_import")
        if shared is not None and st.button("Save the imported mapping", key="saved_mapping_import_save"):
            try:
                mapping = Mapping.from_json(shared.getvalue().decode("utf-8-sig"))
                new = store.save_mapping(mapping, by=who, service=service)
            except (ValueError, UnicodeDecodeError) as exc:
                st.error(md_escape(f"{shared.name} was not imported: {exc}"), icon=":material/error:")
                return
            audit("mapping_saved", snapshot=False, mapping=new.name, version=new.version, source="import")
            st.success(md_escape(f"Saved \u201c{new.name}\u201d as version {new.version}."),
                       icon=":material/check_circle:")
