"""User-editable settings: local targets, remand costs, suppression threshold, when data are stale.

Stored in the database by :class:`yj_metrics.store.Store` (``get_settings`` /
``save_settings``) and passed to calculations. Defaults ship here and in
:mod:`yj_metrics.targets`.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields, replace

#: Cost per night in pounds of each remand type (Southampton's plan quotes these rates).
DEFAULT_REMAND_RATES = {
    "Secure children's home": 762.0,
    "Secure training centre": 453.0,
    "Young offender institution": 321.0,
    "Local authority accommodation": 0.0,
}


@dataclass(frozen=True)
class Target:
    """A local target band: green at or better than ``green``, red at or worse than ``red``.

    ``direction`` is ``"lower"`` when lower values are better, else ``"higher"``.
    Values are in the indicator's unit (percentages 0-100 for shares).
    """

    indicator: str
    green: float
    red: float
    direction: str = "lower"

    def rag(self, value: float | None) -> str | None:
        """``"Green"``, ``"Amber"`` or ``"Red"`` for a value; ``None`` when there is no value."""
        if value is None or value != value:
            return None
        if self.direction == "lower":
            if value <= self.green:
                return "Green"
            return "Red" if value >= self.red else "Amber"
        if value >= self.green:
            return "Green"
        return "Red" if value <= self.red else "Amber"


_MB = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """Limits on an uploaded workbook, far above any monthly export, checked before parsing.

    A real export of a few thousand children is about 1 MB, unpacks to under 10 MB at a
    compression ratio near 10, and has under 100,000 rows and 60 columns per sheet. The
    worker that parses the file gets ``worker_memory_mb`` of address space and
    ``worker_cpu_seconds`` of CPU; past them only the worker stops. Each can be changed on a
    deployment with an environment variable ``YJ_READ_<NAME>`` (e.g. ``YJ_READ_MAX_ROWS``).
    """

    max_file_mb: int = 50
    max_unpacked_mb: int = 200
    max_compression_ratio: int = 100
    max_members: int = 1000
    max_rows: int = 1_000_000
    max_columns: int = 200
    worker_memory_mb: int = 1024
    worker_cpu_seconds: int = 60
    worker_wall_seconds: int = 90

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * _MB

    @property
    def max_unpacked_bytes(self) -> int:
        return self.max_unpacked_mb * _MB

    @classmethod
    def from_env(cls, environ: dict | None = None) -> "ReadLimits":
        """The defaults, with any ``YJ_READ_<NAME>`` environment variable (a positive integer) applied."""
        env = os.environ if environ is None else environ
        changes = {}
        for f in fields(cls):
            raw = env.get(f"YJ_READ_{f.name.upper()}", "").strip()
            if raw.isdigit() and int(raw) > 0:
                changes[f.name] = int(raw)
        return cls(**changes)


#: the bands a new service starts with: Portsmouth's published FTE, reoffending and custody bands (see
#: :mod:`yj_metrics.targets`), and starting points for the KPIs that the manager edits on the Settings page
DEFAULT_TARGETS: dict[str, Target] = {t.indicator: t for t in (
    Target("fte_rate", 224, 341, "lower"),
    Target("reoffending_rate", 36, 41, "lower"),
    Target("reoffences_per_reoffender", 3.5, 4.5, "lower"),
    Target("custody_rate", 0.35, 0.45, "lower"),
    Target("kpi1_accommodation", 90, 80, "higher"),
    Target("kpi2_ete", 75, 60, "higher"),
    Target("ete_engagement_hours", 60, 40, "higher"),
    Target("kpi3_send", 70, 50, "higher"),
    Target("kpi4_mental_health", 80, 60, "higher"),
    Target("kpi5_substance_misuse", 80, 60, "higher"),
    Target("kpi6_oocd_completion", 85, 70, "higher"),
    Target("kpi8_board_attendance", 80, 60, "higher"),
    Target("kpi10_victims", 50, 30, "higher"),
    Target("rj_offered", 90, 75, "higher"),
    Target("ro_panel_timeliness", 90, 75, "higher"),
)}


def _default_targets() -> dict[str, Target]:
    return dict(DEFAULT_TARGETS)


@dataclass(frozen=True)
class Settings:
    service_name: str = "Youth Justice Service"
    suppression_threshold: int = 4
    remand_rates: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_REMAND_RATES))
    targets: dict[str, Target] = field(default_factory=_default_targets)
    stale_after_days: int = 45  # every page warns when the live data were loaded longer ago than this
    yot_code: str = ""  # the YJB's code for the service (e.g. "1234"), printed on the YJB return

    def to_json(self) -> str:
        d = asdict(self)
        return json.dumps(d, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Settings":
        d = json.loads(text)
        base = cls()
        # saved targets are the whole set: a target the manager cleared stays cleared (the defaults
        # apply only to settings never saved)
        targets = ({k: Target(**v) for k, v in d["targets"].items()} if isinstance(d.get("targets"), dict)
                   else dict(base.targets))
        rates = dict(base.remand_rates)
        rates.update(d.get("remand_rates", {}))
        return replace(
            base,
            service_name=d.get("service_name", base.service_name),
            suppression_threshold=int(d.get("suppression_threshold", base.suppression_threshold)),
            remand_rates=rates,
            targets=targets,
            stale_after_days=int(d.get("stale_after_days", base.stale_after_days)),
            yot_code=str(d.get("yot_code", base.yot_code) or ""),
        )
