"""Plain messages for storage failures, and log lines that keep no row values.

SQLAlchemy and driver messages carry SQL statements and, for some errors, the values of the
rows being written (children's ids and case rows). Users see :func:`plain_message`; logs get
:func:`log_detail`: the error class, the driver's first line and where in our code it happened,
never the statement's parameters or the driver's DETAIL lines.
"""
from __future__ import annotations

import errno
import re
import traceback

#: what the user is told, by kind of failure
MESSAGES = {
    "unreachable": ("The database cannot be reached. Nothing was changed. Check that the database server is "
                    "running and that YJ_DATABASE_URL points at it; this page tries again by itself."),
    "disk_full": ("The disk is full, so nothing was stored or written. Free some space (or ask IT to), "
                  "then try again."),
    "read_only": ("The database (or the folder being written to) is read-only, so nothing was stored or written. "
                  "Ask IT to make the database file and its folder writable for the dashboard, then try again."),
    "locked": ("The database is busy: another program is writing to it. Wait a minute and try again; if it "
               "persists, close other copies of the dashboard or the CLI that use the same file."),
    "database": ("The database reported a problem, so the request was not completed. Try again; if it "
                 "persists, tell the service manager (the technical detail is in the server log)."),
    "unexpected": ("Something went wrong. Nothing personal was shown; try again, and if it persists tell the "
                   "service manager (the technical detail is in the server log)."),
}


class StoreError(Exception):
    """A database the dashboard cannot use as asked; ``message`` is what to tell the user."""

    kind = "database"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class StoreReadOnlyError(StoreError):
    """A change refused because the database was opened read-only (or cannot be created)."""

    kind = "read_only"

    def __init__(self, where: str, outcome: str = "the change was not saved", creating: bool = False):
        what = (f"The folder of the database file {where} is read-only, so the database cannot be created."
                if creating else f"The database file {where} is read-only, so {outcome}.")
        super().__init__(f"{what} Ask IT to make the file and its folder writable for the account that runs "
                         "the dashboard, or set YJ_DATABASE_URL to a writable database.")
        self.where = where


class NotADashboardDatabase(StoreError):
    """A read-only database without the dashboard's tables."""

    kind = "not_dashboard"


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__


def _first_line(exc: BaseException) -> str:
    """The driver's first line only: PostgreSQL puts row values on DETAIL lines."""
    src = getattr(exc, "orig", None) if _is_sqlalchemy(exc) else exc
    text = str(src or "")
    line = text.strip().splitlines()[0] if text.strip() else ""
    line = re.sub(r"\[SQL:.*", "", line).strip()
    return line[:300]


def _is_sqlalchemy(exc: BaseException) -> bool:
    return type(exc).__module__.startswith("sqlalchemy")


def kind_of(exc: BaseException) -> str:
    """unreachable, disk_full, read_only, not_dashboard, locked, database or unexpected."""
    is_db = False
    for e in _chain(exc):
        if isinstance(e, StoreError):
            return e.kind
        if isinstance(e, OSError) and e.errno == errno.ENOSPC:
            return "disk_full"
        if isinstance(e, OSError) and e.errno == errno.EROFS:
            return "read_only"
        mod = type(e).__module__
        if mod.startswith(("sqlalchemy", "psycopg", "sqlite3")) or type(e).__name__ in (
                "OperationalError", "DatabaseError", "InterfaceError"):
            is_db = True
            msg = _first_line(e).lower()
            if "disk is full" in msg or "no space left" in msg or "disk full" in msg:
                return "disk_full"
            if "readonly" in msg or "read-only" in msg or "read only" in msg:
                return "read_only"
            if "database is locked" in msg or "database table is locked" in msg:
                return "locked"
            if ("connection" in msg and ("refused" in msg or "failed" in msg or "closed" in msg or "lost" in msg)) \
                    or "could not connect" in msg or "server closed" in msg or "terminating connection" in msg \
                    or "unable to open database" in msg or "the database system is" in msg \
                    or "no such host" in msg or "timeout" in msg or "timed out" in msg:
                return "unreachable"
            if type(e).__name__ in ("InterfaceError",) or "disconnect" in msg:
                return "unreachable"
    return "database" if is_db else "unexpected"


def is_storage_error(exc: BaseException) -> bool:
    return kind_of(exc) != "unexpected"


def plain_message(exc: BaseException) -> str:
    """What to tell the user: no SQL, no driver message, no values."""
    ours = next((e for e in _chain(exc) if isinstance(e, StoreError)), None)
    return ours.message if ours is not None else MESSAGES[kind_of(exc)]


def log_detail(exc: BaseException) -> str:
    """One line for the log: kinds and classes, the driver's first line, and our frames (no values)."""
    parts = [f"kind={kind_of(exc)}"]
    for e in _chain(exc):
        name = f"{type(e).__module__}.{type(e).__name__}"
        if isinstance(e, OSError):
            parts.append(f"{name}(errno={e.errno}, {e.strerror})")
        elif _is_sqlalchemy(e):
            parts.append(name)
        else:
            first = _first_line(e)
            # a driver message can quote a value (e.g. a duplicate key): keep only up to the first quote
            first = re.split(r"[\"'(]", first, maxsplit=1)[0].strip() if ("=" in first or "'" in first) else first
            parts.append(f"{name}: {first}" if first else name)
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    ours = [f for f in frames if "site-packages" not in f.filename and "/lib/python" not in f.filename]
    frames = (ours or frames)[-4:]  # where in our code it happened
    where = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in reversed(frames))
    if where:
        parts.append(f"at {where}")
    return "; ".join(parts)
