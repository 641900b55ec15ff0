"""The Upload page's mapping step: a case management system's own export, read with a mapping.

The first time, the manager matches the export's sheets, headings and codes to ours (every choice
starts from a suggestion) and saves the mapping; from then on the same export is recognised by its
headings and loaded in one step, and only a code never seen before is asked about. Every save is a
new version in the store (:meth:`yj_metrics.store.Store.save_mapping`).
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import replace

import pandas as pd
import streamlit as st

from ui.audit import audit, download_button
from ui.fmt import md_escape, plain_table
from yj_metrics import contract as c
from yj_metrics.example_exports import LAYOUTS, example_mapping
from yj_metrics.mapping import (DATE_FORMATS, Mapping, ValueSuggestion, apply, signature_of, suggestions,
                                unmapped_values)
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


# --------------------------------------------------------------------------- asking about values

def _ask_values(values: tuple[ValueSuggestion, ...], mapping: Mapping, key: str) -> Mapping:
    """One choice per value of theirs that we do not understand yet, with its row count; returns the
    mapping with every answered value added."""
    for i, v in enumerate(values):
        options = [None, *c.SHEETS_BY_NAME[v.sheet].column(v.column).vocab]
        index = options.index(v.suggested) if v.suggested in options else 0
        ours = st.selectbox(
            md_escape(f"{v.heading} on sheet {v.source}: \u201c{v.value}\u201d ({v.rows:,} "
                      f"row{'' if v.rows == 1 else 's'}) means"),
            options, index=index, key=f"{key}_v{i}_{_token(v.sheet, v.column, v.value)}",
            format_func=lambda o: "Choose a value..." if o is None else o,
            help=f"Our {v.column.replace('_', ' ')} on the {v.sheet} sheet. "
                 + ("Suggested from the wording." if v.suggested else "No suggestion: choose the nearest."))
        if ours is not None:
            try:
                mapping = mapping.with_value(v.sheet, v.column, v.value, ours)
            except (ValueError, KeyError) as exc:
                st.warning(md_escape(str(exc)))
    return mapping


def _values_table(mapping: Mapping) -> pd.DataFrame:
    rows = [{"Our sheet": sm.sheet, "Our column": col, "Their value": theirs, "Our value": ours}
            for sm in mapping.sheets for col, pairs in sm.values.items() for theirs, ours in pairs.items()]
    return pd.DataFrame(rows, columns=["Our sheet", "Our column", "Their value", "Our value"])


# --------------------------------------------------------------------------- the first time

def _base(raw: RawWorkbook, file_name: str, file_key: str) -> tuple[Mapping, str] | None:
    """Where the new mapping starts: suggestions from the file, a shipped example, or a shared file."""
    start = st.radio("Start from", [FROM_FILE, *_EXAMPLES, FROM_JSON], key=f"map_start_{file_key}",
                     horizontal=False,
                     help="Suggestions come from the headings (and common names case systems give them), the "
                          "values in each column and our lists of codes. A mapping shared by a service on the "
                          "same case management system can be imported instead.")
    if start == FROM_FILE:
        stem = file_name.rsplit(".", 1)[0]
        return suggestions(raw, f"{stem} export").mapping, _token(file_key, "file")
    if start in _EXAMPLES:
        return example_mapping(_EXAMPLES[start]), _token(file_key, start)
    shared = st.file_uploader("Mapping file (.json)", type=["json"], key=f"map_json_{file_key}")
    if shared is None:
        return None
    try:
        mapping = Mapping.from_json(shared.getvalue().decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        st.error(md_escape(f"{shared.name} is not a mapping this dashboard can read: {exc}"),
                 icon=":material/error:")
        return None
    return mapping, _token(file_key, hashlib.sha256(shared.getvalue()).hexdigest())


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
    found = _base(raw, file_name, file_key)
    if found is None:
        return None
    base, token = found
    key = f"map_{token}"
    st.subheader("1. Sheets and columns")
    mapping = _choose_sheets_and_columns(raw, base, key)
    st.subheader("2. Codes")
    values = unmapped_values(raw, mapping)
    if values:
        st.write(f"{len(values)} value(s) in the export are not in our lists. Say what each means; each shows how "
                 "many rows hold it.")
        mapping = _ask_values(values, mapping, key)
    else:
        st.write("Every value in the coded columns is understood.")
    known = _values_table(mapping)
    if len(known):
        with st.expander(f"Codes already understood ({len(known)})"):
            st.dataframe(known, hide_index=True, key=f"{key}_known")
    st.subheader("3. Dates and name")
    formats = [None, *DATE_FORMATS]
    fmt = st.selectbox("How the export writes dates written as text", formats,
                       index=formats.index(base.date_format) if base.date_format in formats else 0,
                       key=f"{key}_dates", format_func=lambda f: NO_FORMAT if f is None else _example_date(f),
                       help="Detected from the file; day first is assumed for UK files.")
    name = st.text_input("Name of the mapping", value=base.name, key=f"{key}_name", max_chars=120,
                         help="E.g. the case management system and the report it reads.")
    used = list(dict.fromkeys(sm.source for sm in mapping.sheets))
    mapping = replace(mapping, name=name.strip(), date_format=fmt, signature=signature_of(raw, used))
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
    """The export is recognised but holds values the saved mapping does not cover: ask about those only."""
    st.info(md_escape(
        f"This export was recognised: it is read with your saved mapping \u201c{saved.name}\u201d (version "
        f"{saved.version}, saved {saved.saved_at:%d %b %Y}). It has {len(values)} value(s) the mapping does not "
        f"cover yet. Say what each means; the mapping is then saved as version {saved.version + 1}."),
        icon=":material/alt_route:")
    key = f"map_{_token(file_key, saved.id)}"
    mapping = _ask_values(values, saved.mapping, key)
    if st.button("Save the mapping and load the data", type="primary", key=f"{key}_save"):
        missing = [v for v in values if mapping.sheet(v.sheet) is None
                   or mapping.sheet(v.sheet).value_of(v.column, v.value) is None]
        if missing:
            st.error(f"Choose a value for each of the {len(missing)} value(s) above first.", icon=":material/error:")
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
