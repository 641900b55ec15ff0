"""The manager's commentary and actions on each indicator, per quarter: shown in the app and the board pack.

Stored by :class:`yj_metrics.store.Store`; read for a quarter as one :class:`BoardNotes`, which
also carries the previous quarter's actions with their status (the board asks what happened).
Commentary and actions are about the service, never about a child: they hold no child ids.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

__all__ = ["ACTION_STATUSES", "Action", "BoardNotes", "Commentary"]

ACTION_STATUSES = ("Open", "Done", "Dropped")


@dataclass(frozen=True)
class Commentary:
    """What the manager says about one indicator in one quarter (``quarter`` is a label: ``2023-24 Q4``)."""

    indicator: str
    quarter: str
    text: str
    updated_by: str = ""
    updated_at: dt.datetime | None = None


@dataclass(frozen=True)
class Action:
    """One action agreed on an indicator in a quarter, with an owner, a due date and a status."""

    indicator: str
    quarter: str
    text: str
    owner: str = ""
    due: dt.date | None = None
    status: str = "Open"
    id: int | None = None
    updated_by: str = ""
    updated_at: dt.datetime | None = None

    def overdue(self, today: dt.date) -> bool:
        return self.status == "Open" and self.due is not None and self.due < today


@dataclass(frozen=True)
class BoardNotes:
    """Everything the board reads beside the figures for one quarter."""

    quarter: str
    commentary: dict[str, Commentary] = field(default_factory=dict)  # by indicator id
    actions: tuple[Action, ...] = ()            # agreed this quarter
    previous_actions: tuple[Action, ...] = ()   # agreed last quarter, with their status now

    def for_indicator(self, indicator: str) -> tuple[Commentary | None, tuple[Action, ...]]:
        return self.commentary.get(indicator), tuple(a for a in self.actions if a.indicator == indicator)
