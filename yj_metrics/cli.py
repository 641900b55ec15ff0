"""``python -m yj_metrics``: the command line and automation interface.

Exit codes: 0 success; 1 the workbook has errors; 2 the input could not be read or used;
3 the database could not be used (unreachable, disk full, read-only, locked).
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import logging
import sys
from pathlib import Path


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date; write it as YYYY-MM-DD.") from None


class UserError(Exception):
    """A problem the user can fix; printed as one line, exit code 2."""


def _dataset(args):
    """The data to compute on: a workbook validated in memory, or the live snapshot."""
    if getattr(args, "workbook", None):
        from .validation import validate_bytes

        path = Path(args.workbook)
        if not path.exists():
            raise UserError(f"{path}: no such file.")
        report = validate_bytes(path.read_bytes(), path.name)
        if not report.ok:
            first = report.unreadable or (report.errors[0].message if report.errors else "")
            raise UserError(f"{path.name} has {len(report.errors) or 1} error(s); run `validate` to list them. "
                            f"First: {first}")
        return report.dataset, None
    from .store import Store

    store = Store(args.db)
    if store.latest() is None:
        raise UserError("The database has no snapshot: load a workbook first (`load WORKBOOK`).")
    return store.dataset(), store


def _print_problems(report) -> None:
    if report.unreadable:
        print(report.unreadable, file=sys.stderr)
        return
    for p in list(report.errors) + list(report.warnings):
        where = " ".join(x for x in (p.sheet, f"row {p.row}" if p.row else "", p.column or "") if x)
        print(f"{p.severity.upper():8} {where}: {p.message}")
    print(f"{len(report.errors)} error(s), {len(report.warnings)} warning(s).")


def cmd_template(args) -> int:
    from .writing import template_xlsx

    Path(args.out).write_bytes(template_xlsx())
    print(f"Wrote the blank template to {args.out}")
    return 0


def cmd_demo(args) -> int:
    from .demo import demo_dataset
    from .example_exports import export_xlsx
    from .writing import dataset_to_xlsx

    ds = demo_dataset(seed=args.seed, children=args.children)
    data = dataset_to_xlsx(ds) if args.layout == "canonical" else export_xlsx(ds, args.layout)
    Path(args.out).write_bytes(data)
    shape = "" if args.layout == "canonical" else f" shaped like a case system's export ({args.layout} layout)"
    print(f"Wrote a demo workbook{shape} ({args.children} children, seed {args.seed}) to {args.out}")
    return 0


def _mapping(path_text: str):
    from .mapping import Mapping

    path = Path(path_text)
    if not path.exists():
        raise UserError(f"{path}: no such mapping file.")
    return Mapping.from_json(path.read_text(encoding="utf-8"))


def _files(paths) -> list[tuple[str, bytes]]:
    """The files named on the command line (one workbook, or several CSV files or workbooks read together)."""
    paths = [Path(p) for p in ([paths] if isinstance(paths, (str, Path)) else paths)]
    for path in paths:
        if not path.exists():
            raise UserError(f"{path}: no such file.")
        if path.is_dir():
            raise UserError(f"{path} is a folder: name the workbook or the CSV files in it.")
    return [(path.name, path.read_bytes()) for path in paths]


def _read_raw(files: list[tuple[str, bytes]]):
    """The files' raw sheets (read together, bounded), or the unreadable report."""
    from .reading import WorkbookReadError, files_label, read_files
    from .validation import unreadable_report

    try:
        return read_files(files), None
    except WorkbookReadError as exc:
        return None, unreadable_report(exc.message, files_label([name for name, _ in files]))


def _report(paths, mapping_file: str | None):
    """Validate a workbook (or CSV files); with a mapping, as a case system's export (problems in its terms).
    Sheets uploaded on their own (e.g. Population.csv) are checked alone: their ids are checked against the
    stored case data only when they are loaded."""
    from .validation import validate

    files = _files(paths)
    raw, unreadable = _read_raw(files)
    if unreadable is not None:
        return unreadable
    if mapping_file is None:
        from .store import sheets_on_their_own

        return validate(raw, partial=bool(sheets_on_their_own(raw)))
    from .mapping import matches, validate_mapped

    mapping = _mapping(mapping_file)
    if not matches(raw, mapping):
        print(f"Note: {raw.file_name} does not have every sheet and heading the mapping '{mapping.name}' was made "
              "for.", file=sys.stderr)
    return validate_mapped(raw, mapping)


def cmd_validate(args) -> int:
    report = _report(args.workbook, args.mapping)
    if args.json:
        d = report.to_json_dict()
        if report.unreadable:
            d["errors"] = [{"sheet": None, "row": None, "column": None, "value": None, "message": report.unreadable}]
        print(json.dumps(d, indent=2, default=str))
    else:
        _print_problems(report)
    if report.unreadable:
        return 2
    return 1 if report.errors else 0


def cmd_load(args) -> int:
    from .reading import bundle_bytes, files_label
    from .store import Store, sheets_on_their_own

    files = _files(args.workbook)
    name = files_label([n for n, _ in files])
    store = Store(args.db)
    data = bundle_bytes(files)  # several files: identified together, in any order
    sha256 = hashlib.sha256(data).hexdigest()
    mapping_used = args.mapping and Path(args.mapping).name
    kind = None
    if store.find_sha(sha256) is not None:  # Store.load says which snapshot has it, without reading it
        report, result = store.load(data, name, loaded_by=args.loaded_by)
    else:
        book, unreadable = _read_raw(files)  # read once (bounded), not again to load it
        if unreadable is not None:
            if store.read_only:  # a read-only database says so first, as Store.load does
                from .errors import StoreReadOnlyError

                raise StoreReadOnlyError(store.where)
            report, result = unreadable, None
        elif args.mapping is not None:  # nothing is stored unless the mapped export has no error
            mapping = _mapping(args.mapping)
            report, result = store.load_export(data, name, mapping, loaded_by=args.loaded_by, raw=book)
        elif sheets_on_their_own(book):
            kind = "sheets on their own: " + ", ".join(sheets_on_their_own(book))
            report, result = store.load_sheets(data, name, loaded_by=args.loaded_by, raw=book)
        else:
            found = _saved_mapping_for(store, book, name)
            if isinstance(found, int):
                return found
            if found is None:
                report, result = store.load(data, name, loaded_by=args.loaded_by, raw=book)
            else:  # the service's saved mapping recognises this export, as on the Upload page
                print(f"Read with the saved mapping '{found.name}', version {found.version}.", file=sys.stderr)
                report, result = store.load_export(data, name, found.mapping, loaded_by=args.loaded_by, raw=book)
                mapping_used = f"{found.name} (version {found.version})"

    _audit(store, "upload", snapshot_id=result.snapshot.id if result else None, file_name=name,
           sha256=sha256, bytes=sum(len(d) for _, d in files), source="cli", mapping=mapping_used,
           outcome="rejected" if result is None else ("accepted" if result.created else "already loaded"),
           errors=len(report.errors), warnings=len(report.warnings), **({"upload": kind} if kind else {}))
    if args.json:
        out = report.to_json_dict()
        out["snapshot"] = result.snapshot.to_dict() if result else None
        out["created"] = bool(result and result.created)
        out["message"] = result.message if result else (report.unreadable or "Not loaded: the workbook has errors.")
        print(json.dumps(out, indent=2, default=str))
    else:
        if result is None:
            _print_problems(report)
            print("Nothing was stored.")
        else:
            if report.warnings:
                _print_problems(report)
            print(result.message)
    if report.unreadable:
        return 2
    return 1 if report.errors else 0


def _partner_protection(ds, settings, store):
    """The partner protection of the data: the one kept in the database for a stored snapshot (see ``protect``),
    else computed here (and not kept: a report is read-only)."""
    from .disclosure import PartnerProtection

    return PartnerProtection.for_snapshot(ds, settings, store, keep=False)


def cmd_protect(args) -> int:
    """Compute the partner view's protection of the live snapshot and keep it in the database, where the app
    reads it instead of computing it (run by ``scripts/run_app.sh`` before the server starts when partners can
    come, so the first partner after a restart does not wait). Already kept: nothing to do."""
    import time

    from .disclosure import PartnerProtection
    from .store import Store

    store = Store(args.db)
    if args.demo_if_empty and store.latest() is None:
        store.ensure_demo()
    info = store.latest()
    if info is None:
        raise UserError("The database has no snapshot: load a workbook first (`load WORKBOOK`).")
    prot = PartnerProtection.for_snapshot(store.dataset(info.id), store.get_settings(), store, info.id, keep=False)
    if prot.ready():
        print(f"The partner view of snapshot {info.id} is already prepared.")
        return 0
    print(f"Preparing the partner view of snapshot {info.id} (once per snapshot and settings)...", flush=True)
    t0 = time.perf_counter()
    prot.prepare()
    seconds = time.perf_counter() - t0
    if store.read_only:
        print(f"Prepared in {seconds:.0f} s, but the database is read-only: the app will compute it again.")
        return 0
    store.keep_protection(info.id, prot.identity, prot.dump())
    print(f"Prepared in {seconds:.0f} s and kept in the database: partners' pages read it.")
    return 0


def _saved_mapping_for(store, raw, name: str):
    """The service's saved mapping that recognises this export (the Upload page's rule), or None for a
    workbook in our layout or one no saved mapping recognises; or exit code 1 when it holds codes the mapping
    does not cover yet (said on stderr: they are answered on the Upload page or in the mapping file)."""
    from .mapping import find_mapping, in_our_layout, unmapped_values

    if in_our_layout(raw):
        return None
    saved = store.saved_mappings(store.get_settings().service_name)
    hit = find_mapping(raw, [s.mapping for s in saved])
    if hit is None:
        print(f"Note: {name} is not laid out like the template and no saved mapping recognises it: map it "
              "once on the Upload page, or pass --mapping FILE.json.", file=sys.stderr)
        return None
    known = next(s for s in saved if s.mapping is hit)
    new = unmapped_values(raw, known.mapping)
    if new:
        for v in new:
            rows = f"{v.rows} row{'' if v.rows == 1 else 's'}"
            print(f"NEW VALUE  {v.source} column \"{v.heading}\": \"{v.value}\" ({rows}) is not in the saved "
                  f"mapping '{known.name}' (version {known.version})", file=sys.stderr)
        print("Nothing was stored. Say what the new values mean on the Upload page (the mapping is saved as the "
              "next version), or export the mapping, add them and pass --mapping FILE.json.", file=sys.stderr)
        return 1
    return known


def cmd_mapping_list(args) -> int:
    from .store import Store

    store = Store(args.db)
    saved = store.saved_mappings(store.get_settings().service_name)
    if not saved:
        print("No saved mappings: the first upload of a case system's export on the Upload page makes one.")
    for s in saved:
        sources = ", ".join(dict.fromkeys(sm.source for sm in s.mapping.sheets))
        print(f"{s.name}  version {s.version}  saved {s.saved_at:%d %b %Y %H:%M} by {s.saved_by or '-'}  "
              f"(reads: {sources})")
    return 0


def cmd_mapping_export(args) -> int:
    from .store import Store

    store = Store(args.db)
    history = store.mapping_history(args.name, store.get_settings().service_name)
    chosen = next((s for s in history if args.version in (None, s.version)), None)
    if chosen is None:
        versions = ", ".join(str(s.version) for s in history) or "none"
        raise UserError(f"No saved mapping '{args.name}'" + (f" version {args.version}" if args.version else "")
                        + f" (versions saved: {versions}); `mapping list` shows them.")
    Path(args.out).write_text(chosen.mapping.to_json(), encoding="utf-8")
    print(f"Wrote '{chosen.name}' version {chosen.version} to {args.out}.")
    return 0


def cmd_mapping_import(args) -> int:
    from .mapping import Mapping
    from .store import Store

    path = Path(args.file)
    if not path.exists():
        raise UserError(f"{path}: no such mapping file.")
    try:
        mapping = Mapping.from_json(path.read_text(encoding="utf-8-sig"))
    except ValueError as exc:
        raise UserError(f"{path}: {exc}") from None
    store = Store(args.db)
    saved = store.save_mapping(mapping, by=_who(), service=store.get_settings().service_name)
    _audit(store, "mapping_saved", mapping=saved.name, version=saved.version, source="cli import")
    print(f"Saved '{saved.name}' as version {saved.version}; the next upload of that export is read with it.")
    return 0


def cmd_map(args) -> int:
    from .writing import dataset_to_xlsx

    report = _report(args.workbook, args.mapping)
    if not report.ok:
        _print_problems(report)
        print("Nothing was written.")
        return 2 if report.unreadable else 1
    if report.warnings:
        _print_problems(report)
    Path(args.out).write_bytes(dataset_to_xlsx(report.dataset))
    print(f"Wrote {', '.join(map(str, args.workbook))} as our workbook to {args.out}")
    return 0


def cmd_mapping_suggest(args) -> int:
    from .mapping import suggestions

    raw, unreadable = _read_raw(_files(args.workbook))
    if unreadable is not None:
        print(unreadable.unreadable, file=sys.stderr)
        return 2
    found = suggestions(raw, args.name)
    Path(args.out).write_text(found.mapping.to_json(), encoding="utf-8")
    for sheet, row in found.mapping.heading_rows.items():
        print(f"HEADINGS  {sheet}: row {row}, under a title block (\"heading_rows\" in the file says which row)")
    for s in found.columns:
        if s.heading is None:
            if _required(s.sheet, s.column):
                print(f"NO MATCH  {s.sheet}.{s.column} (required): choose the heading in {s.source}")
        elif s.confidence < 0.8:
            print(f"CHECK     {s.sheet}.{s.column} <- {s.source} \"{s.heading}\" ({s.confidence:.0%}, {s.reason})")
    for v in found.values:
        if v.confidence < 0.8:
            meaning = f"'{v.suggested}'?" if v.suggested else "not recognised"
            print(f"VALUE     {v.sheet}.{v.column} \"{v.value}\" ({v.rows} rows): {meaning}")
    print(f"Wrote a draft mapping for {len(found.mapping.sheets)} of our sheets to {args.out}; check the lines "
          "above, edit the file, then use it with `map`, `validate` or `load` --mapping.")
    return 0


def _required(sheet: str, column: str) -> bool:
    from .contract import SHEETS_BY_NAME

    return SHEETS_BY_NAME[sheet].column(column).required


def _who() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # pragma: no cover - no user name on this system
        return "cli"


def _audit(store, action: str, snapshot_id=None, **detail) -> None:
    """Write the CLI's action to the audit log (subject ``cli:<user>``); a read-only store is said, not failed."""
    if store.read_only:
        print(f"Note: the database {store.where} is read-only, so this was not written to the audit log.",
              file=sys.stderr)
        return
    store.append_audit(action, subject=_who(), snapshot_id=snapshot_id, detail=detail)


def cmd_roles_list(args) -> int:
    from .store import Store

    rules = Store(args.db).role_rules(args.service)
    if args.json:
        print(json.dumps([r.to_dict() for r in rules], indent=2))
        return 0
    if not rules:
        print("No role-mapping rules: with sign-in on, nobody can see any data.")
    for r in rules:
        org = f" ({r.organisation})" if r.organisation else ""
        svc = f" [service {r.service}]" if r.service else ""
        print(f"{r.kind:6} {r.value} -> {r.role}{org}{svc}")
    return 0


def cmd_roles_load(args) -> int:
    from .access import RuleError, rules_from_file
    from .store import Store

    try:
        rules = rules_from_file(args.file)
    except RuleError as exc:
        raise UserError(str(exc)) from None
    if args.service is not None:
        rules = [r if r.service == args.service else type(r)(**{**r.to_dict(), "service": args.service})
                 for r in rules]
    store = Store(args.db)
    before = store.role_rules(args.service)
    store.replace_role_rules(rules, service=args.service)
    _audit(store, "roles_loaded", file_name=Path(args.file).name, service=args.service,
           before=[r.to_dict() for r in before], after=[r.to_dict() for r in rules])
    print(f"Loaded {len(rules)} role-mapping rule(s) from {args.file}; they replace the {len(before)} before.")
    return 0


def cmd_snapshots(args) -> int:
    from .store import Store

    store = Store(args.db)
    snaps = store.snapshots()
    if args.json:
        print(json.dumps([{**s.to_dict(), "sheets": [
            {"sheet": x.sheet, "file_name": x.file_name, "loaded_at": x.loaded_at.isoformat(),
             "first_snapshot": x.first_snapshot, "kept": x.kept, "rows": x.rows}
            for x in store.sheet_sources(s.id)]} for s in snaps], indent=2))
        return 0
    if not snaps:
        print("No snapshots yet.")
    for i, s in enumerate(snaps):
        live = " (live)" if i == 0 else ""
        print(f"#{s.id}{live} {s.file_name} loaded {s.loaded_at:%d %b %Y %H:%M} by {s.loaded_by or '-'}; "
              f"covers {s.covers_start} to {s.covers_end}; rows {s.row_counts}")
        for source in store.sheet_sources(s.id):
            if source.kept or source.file_name != s.file_name:
                print(f"    {source.describe()}")
    return 0


def cmd_kpis(args) -> int:
    from . import indicators
    from .periods import custom

    ds, store = _dataset(args)
    settings = store.get_settings() if store else None
    period = custom(args.start, args.end)
    if args.indicator:
        unknown = [i for i in args.indicator if i not in indicators.INDICATORS]
        if unknown:
            raise UserError(f"Unknown indicator(s) {', '.join(unknown)}; known: {', '.join(indicators.INDICATORS)}.")
    results = indicators.compute(ds, period, args.indicator or None, args.by, settings)
    if args.suppress:  # exactly what a partner sees (a period or view outside the partner grid is hidden)
        results = _partner_protection(ds, settings, store).protect_results(results)
    if args.json:
        print(json.dumps([r.to_dict() for r in results], indent=2, default=str))
        return 0
    for r in results:
        group = f" [{r.by}={r.group}]" if r.by else ""
        if r.value is None and "protected" in (r.note or ""):
            print(f"{r.indicator}{group}: {r.note}")
            continue
        val = "-" if r.value is None else f"{r.value:,.2f}"
        print(f"{r.indicator}{group}: {val} {r.unit} ({r.numerator}/{r.denominator}) {r.rag or ''}")
    return 0


def cmd_disproportionality(args) -> int:
    from . import disproportionality as dp
    from .periods import custom

    ds, store = _dataset(args)
    period = custom(args.start, args.end)
    if args.stage:
        results = dp.disproportionality(ds, period, args.stage, args.base, args.by, args.reference, args.pool_years)
    else:
        results = dp.stage_table(ds, period, args.by, args.reference, pool_years=args.pool_years, base=args.base)
    if args.suppress:  # the partner view: financial years, one dimension, counts protected
        from .disclosure import marker

        settings = store.get_settings() if store else None
        prot = _partner_protection(ds, settings, store)
        results = prot.protect_disproportionality(results)
    if args.json:
        print(json.dumps([r.to_dict() for r in results], indent=2, default=str))
        return 0
    frame = dp.results_frame(results)[["stage", "base_stage", "group", "events", "base", "rate", "rri",
                                       "ci_low", "ci_high", "ci_method", "flag", "note"]]
    if args.suppress:
        hidden = frame["note"].astype(str).str.startswith("protected")
        for col in ("events", "base"):
            frame[col] = frame[col].astype("object").where(frame[col].notna() | ~hidden, marker(prot.threshold))
    print(frame.to_string(index=False))
    return 0


def _filters(pairs: list[str] | None):
    """``--filter locality=North`` (repeatable; a dimension given twice allows either value)."""
    from .filters import DIMENSIONS, Filters

    chosen: dict[str, tuple[str, ...]] = {}
    for pair in pairs or []:
        dim, sep, value = pair.partition("=")
        dim, value = dim.strip(), value.strip()
        if not sep or dim not in DIMENSIONS or not value:
            raise UserError(f"'{pair}' is not a filter; write it as DIMENSION=VALUE with DIMENSION one of "
                            f"{', '.join(DIMENSIONS)}.")
        chosen[dim] = chosen.get(dim, ()) + (value,)
    return Filters(**chosen)


def cmd_report(args) -> int:
    from .periods import parse_quarter
    from .report import build_board_pack

    try:
        quarter = parse_quarter(args.quarter)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    ds, store = _dataset(args)
    settings = store.get_settings() if store else None
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    filters = _filters(args.filter)
    notes = store.board_notes(quarter.label) if store else None  # the manager's commentary and actions
    pack = build_board_pack(ds, quarter, args.role, settings=settings, out_dir=out, edition=args.edition,
                            filters=filters, notes=notes)
    if store is not None:  # built from the stored (live) data: written to its audit log
        _audit(store, "board_pack_built", snapshot_id=ds.snapshot_id, quarter=quarter.label, role=args.role,
               edition=pack.edition, filters=filters.describe(), files=[pack.pptx_name, pack.pdf_name, pack.xlsx_name],
               source="cli")
    print(f"Wrote {out / pack.pptx_name}, {out / pack.pdf_name} and {out / pack.xlsx_name}"
          f" for {filters.describe() if filters else 'the whole service'}")
    return 0


def cmd_yjb_return(args) -> int:
    from .periods import parse_quarter
    import datetime as dt

    from .yjb_return import Preparer, build_return, return_xlsx

    try:
        quarter = parse_quarter(args.quarter)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    ds, store = _dataset(args)
    yot_code = args.yot_code if args.yot_code is not None else (store.get_settings().yot_code if store else "")
    ret = build_return(ds, quarter, yot_code=yot_code,
                       preparer=Preparer(args.prepared_by or "", args.preparer_role or "", dt.date.today()))
    if ret.problems:
        for p in ret.problems:
            print(f"CHECK FAILED {p}", file=sys.stderr)
        print(f"{len(ret.problems)} internal check(s) failed; nothing was written.", file=sys.stderr)
        return 1
    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise UserError(f"{out}: the return is an Excel workbook; give a file name ending .xlsx.")
    out.write_bytes(return_xlsx(ret))
    print(f"Wrote the YJB KPI return for {quarter.label} to {out} (internal checks passed).")
    return 0


def _source(p, period: bool = True):
    """The data source (a database or a workbook) and, for calculations, the period."""
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--db", help="database URL (default: YJ_DATABASE_URL or data/yj_dashboard.db)")
    g.add_argument("--workbook", help="compute straight from a workbook, without a database")
    if period:
        p.add_argument("--start", type=_date, required=True, help="first day, YYYY-MM-DD")
        p.add_argument("--end", type=_date, required=True, help="last day, YYYY-MM-DD")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m yj_metrics", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("template", help="write the blank workbook template")
    p.add_argument("out", help="OUT.xlsx")
    p.set_defaults(fn=cmd_template)

    p = sub.add_parser("demo", help="write a synthetic demo workbook")
    p.add_argument("out", help="OUT.xlsx")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--children", type=int, default=1500)
    p.add_argument("--layout", choices=("canonical", "flat", "system"), default="canonical",
                   help="our workbook (default), or shaped like a case system's export: flat (one row per "
                        "order, codes) or system (a sheet per entity, its own headings, text dates)")
    p.set_defaults(fn=cmd_demo)

    mapping_help = "FILE.json: the workbook is a case system's export read with this mapping"
    files_help = ("the export: a workbook (.xlsx, .xlsm, .xls), or CSV files read together (each is the sheet "
                  "named after it, e.g. Children.csv; or one event list)")
    p = sub.add_parser("validate", help="check a workbook: exit 0 clean, 1 errors, 2 unreadable")
    p.add_argument("workbook", nargs="+", metavar="FILE", help=files_help)
    p.add_argument("--mapping", default=None, help=mapping_help)
    p.add_argument("--json", action="store_true")
    p.set_defaults(fn=cmd_validate)

    p = sub.add_parser("map", help="write a case system's export as our workbook, using a mapping")
    p.add_argument("workbook", nargs="+", metavar="FILE", help=files_help)
    p.add_argument("--mapping", required=True, help="FILE.json")
    p.add_argument("--out", required=True, help="CANONICAL.xlsx (written only when there is no error)")
    p.set_defaults(fn=cmd_map)

    p = sub.add_parser("mapping", help="mappings of case systems' exports")
    msub = p.add_subparsers(dest="mapping_command", required=True)
    m = msub.add_parser("suggest", help="write a first draft mapping for an export")
    m.add_argument("workbook", nargs="+", metavar="FILE", help=files_help)
    m.add_argument("--out", required=True, help="FILE.json")
    m.add_argument("--name", default=None, help="the mapping's name (default: from the file name)")
    m.set_defaults(fn=cmd_mapping_suggest)
    m = msub.add_parser("list", help="the service's saved mappings (newest version of each)")
    m.add_argument("--db", default=None)
    m.set_defaults(fn=cmd_mapping_list)
    m = msub.add_parser("export", help="write a saved mapping to a JSON file, to share it")
    m.add_argument("name")
    m.add_argument("--out", required=True, help="FILE.json")
    m.add_argument("--version", type=int, default=None, help="default: the newest")
    m.add_argument("--db", default=None)
    m.set_defaults(fn=cmd_mapping_export)
    m = msub.add_parser("import", help="save a shared mapping file as the next version of its name")
    m.add_argument("file")
    m.add_argument("--db", default=None)
    m.set_defaults(fn=cmd_mapping_import)

    p = sub.add_parser("load", help="validate a workbook and store it as the live snapshot; Victims, Remands, "
                                    "Board_attendance, Population or Benchmarks on their own go with the live data")
    p.add_argument("workbook", nargs="+", metavar="FILE", help=files_help + "; sheets the export lacks among "
                   "Victims, Remands, Board_attendance, Population and Benchmarks are kept from the live snapshot")
    p.add_argument("--mapping", default=None, help=mapping_help)
    p.add_argument("--db", default=None)
    p.add_argument("--loaded-by", default="cli")
    p.add_argument("--json", action="store_true")
    p.set_defaults(fn=cmd_load)

    p = sub.add_parser("protect", help="compute the partner view's protection of the live snapshot and keep it "
                                       "in the database (the app reads it: partners do not wait after a restart)")
    p.add_argument("--db", default=None)
    p.add_argument("--demo-if-empty", action="store_true",
                   help="load the demo service first when the database is empty (as the app does)")
    p.set_defaults(fn=cmd_protect)

    p = sub.add_parser("snapshots", help="list stored snapshots, newest (live) first")
    p.add_argument("--db", default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(fn=cmd_snapshots)

    p = sub.add_parser("roles", help="who may sign in with which role (the role-mapping rules)")
    rsub = p.add_subparsers(dest="roles_command", required=True)
    r = rsub.add_parser("list", help="list the rules")
    r.add_argument("--db", default=None)
    r.add_argument("--service", default=None, help="only the rules that apply to this service")
    r.add_argument("--json", action="store_true")
    r.set_defaults(fn=cmd_roles_list)
    r = rsub.add_parser("load", help="replace the rules with a CSV file: kind,value,role,organisation,service,note")
    r.add_argument("file")
    r.add_argument("--db", default=None)
    r.add_argument("--service", default=None, help="replace only this service's rules (and set it on each)")
    r.set_defaults(fn=cmd_roles_load)

    p = sub.add_parser("kpis", help="compute the indicators for a period")
    _source(p)
    p.add_argument("--by", default=None)
    p.add_argument("--indicator", action="append", help="indicator id (repeat for several)")
    p.add_argument("--suppress", action="store_true",
                   help="the partner view: protected figures (see docs/DISCLOSURE.md)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(fn=cmd_kpis)

    p = sub.add_parser("disproportionality", help="rates and relative rate index, stage by stage")
    _source(p)
    p.add_argument("--stage", default=None)
    p.add_argument("--base", default="previous", help="population, previous, or a stage name")
    p.add_argument("--by", default="ethnicity")
    p.add_argument("--reference", default=None)
    p.add_argument("--pool-years", type=int, default=1)
    p.add_argument("--suppress", action="store_true", help="apply small-number suppression (partner view)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(fn=cmd_disproportionality)

    p = sub.add_parser("report", help="write the board pack (PowerPoint, PDF and the scorecard in Excel)")
    _source(p, period=False)
    p.add_argument("--quarter", required=True, help="e.g. 2023-24Q4")
    p.add_argument("--role", choices=("manager", "board", "partner"), default="board")
    p.add_argument("--edition", choices=("board", "protected"), default=None,
                   help="board (every figure, OFFICIAL-SENSITIVE) or protected (the partner view, for "
                        "circulation); partners always get the protected edition")
    p.add_argument("--filter", action="append", metavar="DIMENSION=VALUE",
                   help="build the board edition for part of the service, e.g. --filter locality=North "
                        "(repeat for several); without it the pack is for the whole service")
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(fn=cmd_report)

    p = sub.add_parser("yjb-return", help="write the quarterly KPI return in the YJB summary-template layout")
    _source(p, period=False)
    p.add_argument("--quarter", required=True, help="e.g. 2024-25Q1")
    p.add_argument("--out", required=True, help="OUT.xlsx")
    p.add_argument("--yot-code", help="the service's YOT code (default: the one saved on the Settings page)")
    p.add_argument("--prepared-by", help="the name printed as the return's preparer")
    p.add_argument("--preparer-role", help="their role, e.g. 'Service manager'")
    p.set_defaults(fn=cmd_yjb_return)
    return ap


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(args, "start") and hasattr(args, "end") and args.end < args.start:
        print("--end is before --start.", file=sys.stderr)
        return 2
    from .errors import is_storage_error, log_detail, plain_message

    try:
        return args.fn(args)
    except UserError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except Exception as exc:  # never a traceback, SQL, driver message or row value for the user
        if is_storage_error(exc):
            print(f"Error: {plain_message(exc)}", file=sys.stderr)
            logging.getLogger("yj_metrics").debug("storage error: %s", log_detail(exc))
            return 3
        if isinstance(exc, (ValueError, LookupError, OSError)):
            print(f"Error: {exc}", file=sys.stderr)
            return 2
        print(f"Unexpected error ({type(exc).__name__}). {plain_message(exc)}", file=sys.stderr)
        return 2
