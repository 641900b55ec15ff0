"""Upload (managers only): validate the monthly workbook and store it as the live snapshot."""
import hashlib
from dataclasses import dataclass, replace

import pandas as pd
import streamlit as st

from ui import data
from ui.audit import audit, csv_download, download_button
from ui.auth import MANAGERS, viewer
from ui.fmt import md_escape, plain_table
from ui.mapping_step import AS_TEMPLATE, new_mapping, new_values, saved_mappings_section
from ui.page import guarded, start
from ui.problems import problem_list
from yj_metrics.errors import StoreReadOnlyError
from yj_metrics.mapping import find_mapping, in_our_layout, unmapped_values
from yj_metrics.reading import WorkbookReadError, bundle_bytes, files_label, prepare_worker, read_files
from yj_metrics.store import OWN_SHEETS, sheets_on_their_own
from yj_metrics.validation import unreadable_report

role, _, _ = start("Upload the monthly workbook", MANAGERS, filters=False)


@st.cache_data(show_spinner=False)
def _template() -> bytes:
    from yj_metrics.writing import template_xlsx

    return template_xlsx()


def _audit_upload(name, raw, report, result, mapping=None) -> None:
    if result is None:
        outcome = "rejected"
    else:
        outcome = "accepted" if result.created else "already loaded"
    audit("upload", snapshot=result.snapshot.id if result else False, file_name=name,
          sha256=hashlib.sha256(raw).hexdigest(), bytes=len(raw), outcome=outcome,
          errors=len(report.errors), warnings=len(report.warnings), unreadable=bool(report.unreadable),
          **({"mapping": mapping.name, "mapping_version": mapping.version} if mapping else {}))


@dataclass(frozen=True)
class _Upload:
    """The files chosen together, as one upload: ``file_id`` names them (one file: its own id), ``name`` lists
    them, ``data`` identifies them (:func:`~yj_metrics.reading.bundle_bytes`)."""

    file_id: str
    name: str
    data: bytes
    files: tuple[tuple[str, bytes], ...]
    ids: tuple[str, ...] = ()

    def getvalue(self) -> bytes:
        return self.data


def _upload(chosen) -> _Upload | None:
    """The files of this upload. The uploader keeps every file chosen in this session, so files of an upload
    already stored (or found already loaded) are left out when others have been added since: next month's
    export chosen after this month's is an upload of its own. After a refused upload every file chosen counts,
    so a set of CSV files can be mended one file at a time."""
    chosen = [u for u in (chosen or []) if u is not None]
    if not chosen:
        return None
    done = st.session_state.get("_yj_done", frozenset())
    fresh = [u for u in chosen if _same(u) not in done]
    if not fresh:  # every file is of uploads already stored: nothing new to check
        return None
    if len(fresh) < len(chosen):
        old = ", ".join(u.name for u in chosen if _same(u) in done)
        st.caption(md_escape(f"Already stored, so not part of this upload: {old}. Remove them from the list (×) "
                             "when you like."))
        chosen = fresh
    files = tuple((u.name, u.getvalue()) for u in chosen)  # cache on bytes, never on the UploadedFile
    ids = sorted(u.file_id for u in chosen)
    key = ids[0] if len(ids) == 1 else hashlib.sha1("|".join(ids).encode()).hexdigest()[:16]
    return _Upload(key, files_label([u.name for u in chosen]), bundle_bytes(list(files)), files,
                   tuple(_same(u) for u in chosen))


def _same(uploaded) -> str:
    """A file chosen again (the same name and bytes) is the same file."""
    return f"{uploaded.name}|{hashlib.sha256(uploaded.getvalue()).hexdigest()}"


OWN_SHEET_NAMES = ", ".join(name.replace("_", " ") for name in OWN_SHEETS[:-1]) + " and " + OWN_SHEETS[-1]


@guarded
def body():
    st.write("Upload the case-level export from the case management system: an Excel workbook (`.xlsx`, `.xls`, "
             "or `.xlsm` read for values only) or its CSV files, chosen together (one file per sheet, or one event "
             "list). Every problem is listed with its sheet, row and column; nothing is stored unless the upload "
             "has no errors.")
    st.caption(f"{OWN_SHEET_NAMES} can also be uploaded on their own, in the template's layout (a workbook with "
               "those sheets, or CSV files named after them, e.g. Population.csv): they are stored with the live "
               "data and kept when a monthly export lacks them.")
    download_button("Download the blank template", _template(), "yj_workbook_template.xlsx", kind="template",
                    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="template")
    store = data.get_store()
    if store.read_only:
        st.error(StoreReadOnlyError(store.where, "no workbook can be stored").message, icon=":material/lock:")
        return
    prepare_worker()  # a reading worker boots while the manager chooses the file
    chosen = st.file_uploader("Workbook or CSV files (up to 50 MB)", type=["xlsx", "xlsm", "xls", "csv", "txt", "tsv"],
                              key="workbook", accept_multiple_files=True,
                              help="The template's layout (Children, Outcomes, Interventions and the optional "
                                   "sheets; as CSV, one file per sheet named after it, e.g. Children.csv), or your "
                                   "case management system's own export, read with a mapping you make once. CSV "
                                   "files may be UTF-8 or Windows-1252, separated by commas, semicolons or tabs. "
                                   "Uploads over 50 MB are refused: save the workbook without other sheets or "
                                   "images and try again.")
    up = _upload(chosen)
    service = data.settings().service_name
    if up is None and chosen:  # only files already stored: what the last check found
        checked = st.session_state.get("_yj_upload")
        if checked is not None:
            _show(*checked[1:])
    if up is not None:
        checked = st.session_state.get("_yj_upload")
        if checked is not None and checked[0] == up.file_id:  # this page running again after the check
            _show(*checked[1:])
        else:
            _check(up, store, service)
    saved_mappings_section(store, service, viewer().who or "manager", writable=True)


def _recognise(up, raw: bytes, store, service: str) -> tuple:
    """Read the files once (bounded) and say what they are: ``("ours", raw)`` (the template's layout, or files
    already stored), ``("sheets", raw)`` (some of our optional sheets on their own), ``("unreadable",
    message)``, ``("recognised", raw, saved mapping, new values)`` or ``("new", raw)`` (an export no saved
    mapping recognises). Kept for these files while the step runs."""
    kept = st.session_state.get("_yj_read")
    if kept is not None and kept[0] == up.file_id:
        return kept[1]
    if store.find_sha(hashlib.sha256(raw).hexdigest()) is not None:
        route = ("ours", None)  # Store.load says which snapshot has it
    else:
        try:
            book = read_files(list(up.files))
        except WorkbookReadError as exc:
            route = ("unreadable", exc.message)
        else:
            if sheets_on_their_own(book):
                route = ("sheets", book)
            elif in_our_layout(book):
                route = ("ours", book)
            else:
                saved = store.saved_mappings(service)
                hit = find_mapping(book, [s.mapping for s in saved])
                known = next((s for s in saved if s.mapping is hit), None)
                route = (("recognised", book, known, unmapped_values(book, known.mapping)) if known
                         else ("new", book))
    st.session_state["_yj_read"] = (up.file_id, route)
    return route


def _check(up, store, service: str) -> None:
    """Validate and store the uploaded file (through a mapping when it is a case system's export), audited."""
    raw = up.getvalue()  # cache on bytes, never on the UploadedFile
    route = _recognise(up, raw, store, service)
    who = viewer().who or "manager"
    mapping, note = None, None
    if route[0] == "unreadable":
        _finish(up, raw, unreadable_report(route[1], up.name), None)
        return
    if route[0] == "recognised":
        _, book, saved, values = route
        if values:
            chosen = new_values(book, saved, values, up.file_id)
            if chosen is None:
                return
            mapping = _save_mapping(store, chosen, who, service)
        else:
            mapping = saved
    if route[0] in ("recognised", "new"):
        _other_sheets(store, route[1], None if route[0] == "new" else route[2].mapping)
    if route[0] == "new":
        chosen = new_mapping(route[1], up.name, up.file_id)
        if chosen is None:
            return
        if chosen != AS_TEMPLATE:
            mapping = _save_mapping(store, chosen, who, service)
    if mapping is not None:
        note = (f"Read with the mapping “{mapping.name}”, version {mapping.version}: problems name the "
                "export's own sheets, rows and headings.")
    elif route[0] == "sheets":
        note = (f"Uploaded on their own: {', '.join(sheets_on_their_own(route[1]))}. They are checked against the live "
                "case data and stored with it as a new snapshot; every other sheet is kept as it is.")
    name = md_escape(up.name)  # the browser's file name, shown literally in labels and messages
    with st.status(f"Checking {name}...", expanded=False) as status:
        status.write("Reading and validating every sheet...")
        if route[0] == "sheets":
            report, result = store.load_sheets(raw, up.name, loaded_by=who, raw=route[1])
        elif mapping is None:
            report, result = store.load(raw, up.name, loaded_by=who, raw=route[1])
        else:
            report, result = store.load_export(raw, up.name, mapping.mapping, loaded_by=who, raw=route[1])
        status.update(label=f"{name}: not loaded" if result is None else f"{name}: checked",
                      state="error" if result is None else "complete")
    _finish(up, raw, report, result, note, mapping)


def _other_sheets(store, book, mapping=None) -> None:
    """On the mapping step: our optional sheets come only as sheets of an upload; say which this export lacks,
    and what happens to the stored ones."""
    from yj_metrics.store import provided_sheets

    have = provided_sheets(book, mapping) if mapping is not None else {}
    lacking = [name for name in OWN_SHEETS if name not in have]
    if not lacking:
        return
    live = store.latest()
    stored = [] if live is None or live.is_demo else [n for n in lacking if live.row_counts.get(n)]
    names = ", ".join(n.replace("_", " ") for n in lacking)
    text = (f"{names}: these are read only from sheets of an upload. If your case system does not export them, "
            "upload each on its own in the template's layout (a sheet, or a CSV file named after it such as "
            "Population.csv) after this export.")
    if stored:
        text += (f" Unless this export holds them, the ones stored now ({', '.join(stored)}, in snapshot {live.id}) "
                 "are kept with it.")
    st.info(md_escape(text), icon=":material/library_add:")


def _save_mapping(store, mapping, who: str, service: str):
    saved = store.save_mapping(mapping, by=who, service=service)
    audit("mapping_saved", snapshot=False, mapping=saved.name, version=saved.version, source="upload")
    return saved


def _finish(up, raw: bytes, report, result, note: str | None = None, mapping=None) -> None:
    _audit_upload(up.name, raw, report, result, mapping)
    st.session_state["_yj_upload"] = (up.file_id, up.name, replace(report, dataset=None), result, note)
    st.session_state.pop("_yj_read", None)
    if result is not None:  # stored, or found already loaded: these files are done
        st.session_state["_yj_done"] = frozenset(st.session_state.get("_yj_done", frozenset())) | set(up.ids)
    if result is not None and result.created:
        data.clear_caches()
        st.rerun()  # from the top: the banners are drawn again from the new live data
    _show(up.name, replace(report, dataset=None), result, note)


def _show(file_name, report, result, note=None) -> None:
    """What the check found and what was stored."""
    if note:
        st.info(md_escape(note), icon=":material/alt_route:")
    if report.unreadable:
        st.error(md_escape(report.unreadable), icon=":material/error:")
        return
    if report.problems:
        df = report.to_frame()
        n_err, n_warn = len(report.errors), len(report.warnings)
        (st.error if n_err else st.warning)(
            f"{n_err} error(s) and {n_warn} warning(s)." + (" Nothing was stored: fix the errors and upload again."
                                                            if n_err else " The workbook was loaded."))
        problem_list(df)
        csv_download("Download the problem list (CSV)", df, f"{file_name}_problems.csv", key="problems_csv")
    if result is not None:
        if result.created:
            st.success(md_escape(result.message), icon=":material/check_circle:")
        else:
            st.info(md_escape(result.message))
        s = result.snapshot
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Children", f"{s.row_counts.get('Children', 0):,}")
        c2.metric("Outcomes", f"{s.row_counts.get('Outcomes', 0):,}")
        c3.metric("Interventions", f"{s.row_counts.get('Interventions', 0):,}")
        c4.metric("Covers", f"{s.covers_start:%d %b %Y} to {s.covers_end:%d %b %Y}" if s.covers_start else "–")
        sources = data.get_store().sheet_sources(s.id)
        if sources:
            with st.expander(f"Where each sheet of snapshot {s.id} came from"):
                st.dataframe(plain_table(pd.DataFrame(
                    [{"Sheet": x.sheet.replace("_", " "), "Rows": x.rows, "File": x.file_name,
                      "Uploaded": f"{x.loaded_at.day} {x.loaded_at:%b %Y %H:%M} UTC",
                      "Snapshot": x.first_snapshot, "Kept from before": "Yes" if x.kept else "No"}
                     for x in sources])), hide_index=True, key="sheet_sources")

body()
