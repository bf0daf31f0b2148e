"""Timeliness from content: the newest record's date against the contract's update frequency
plus a grace period (``datasets/ogp/timeliness.yaml``). Publication timestamps are not evidence:
a file of old records published today is late. One rule for the scorecards and for the
commitments that depend on timeliness (they read the same ``timeliness`` figure).

A family dated by a period (a fiscal or calendar year) is timely only when its newest period is
at least the period now due: :func:`due_period`. A budget is due at its year's start (the
budget act is in force before the fiscal year begins), a report of a year's actuals at its end;
either way plus the frequency's grace. Dating a period by its last day and allowing a year plus
grace would call the FY2026 budget timely until November 2027, a year after FY2027's was due."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipelines.thai import FISCAL_YEAR_FIRST_MONTH, fiscal_year
from pipelines.yaml_text import load_yaml

RULES_FILE = "timeliness.yaml"

ContentKind = Literal["date", "fiscal_year", "calendar_year"]
# When a period's data is due: at its start (a budget, published before its year begins) or at
# its end (a report of what happened in it).
DueAt = Literal["start", "end"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ContentDate(_Model):
    field: str
    kind: ContentKind
    due: DueAt | None = None  # required for a period (fiscal_year, calendar_year), else None

    @model_validator(mode="after")
    def _a_period_says_when_it_is_due(self) -> ContentDate:
        if (self.kind == "date") != (self.due is None):
            raise ValueError(f"{self.field}: 'due' is required for a period and only for one")
        return self


class TimelinessRules(_Model):
    frequency_days: dict[str, int] = Field(min_length=1)
    grace_days: dict[str, int]
    content: dict[str, ContentDate]

    @model_validator(mode="after")
    def _every_frequency_has_a_grace(self) -> TimelinessRules:
        missing = sorted(set(self.frequency_days) ^ set(self.grace_days))
        if missing:
            raise ValueError(f"frequency_days and grace_days differ on {missing}")
        if any(days <= 0 for days in self.frequency_days.values()):
            raise ValueError("frequency_days must be positive")
        if any(days < 0 for days in self.grace_days.values()):
            raise ValueError("grace_days may not be negative")
        return self

    def allowed_days(self, frequency: str) -> int | None:
        """The largest age (days) of the newest record that is still timely; None when the
        frequency is not assessed (``as_needed``)."""
        if frequency not in self.frequency_days:
            return None
        return self.frequency_days[frequency] + self.grace_days[frequency]

    def grace(self, frequency: str) -> int | None:
        """The grace (days) after a period's due date; None when not assessed."""
        return self.grace_days.get(frequency)


def load_rules(ogp_dir: Path) -> TimelinessRules:
    path = ogp_dir / RULES_FILE
    return TimelinessRules.model_validate(load_yaml(path.read_text(encoding="utf-8")))


def record_date(value: object, kind: ContentKind) -> dt.date:
    """The date a record stands for: a date itself, or the last day of its period."""
    if kind == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        raise TypeError(f"a date field holds {value!r}")
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"a {kind} field holds {value!r}, not a year")
    if kind == "calendar_year":
        return dt.date(value, 12, 31)
    # The Thai fiscal year (CE) ends the day before its successor begins (1 October).
    return dt.date(value, FISCAL_YEAR_FIRST_MONTH, 1) - dt.timedelta(days=1)


def is_future(value: object, kind: ContentKind, as_of: dt.date) -> bool:
    """Whether a record stands for a time after the report date: a date after it, or a period
    that begins after it. Such a record (a typo, a plan) is no evidence of timeliness."""
    end = record_date(value, kind)
    if kind == "date":
        return end > as_of
    start = dt.date(end.year - 1, end.month, end.day) + dt.timedelta(days=1)
    return start > as_of


def is_timely(newest: dt.date, as_of: dt.date, allowed_days: int) -> bool:
    """Whether a newest record dated ``newest`` is recent enough on ``as_of``."""
    return (as_of - newest).days <= allowed_days


def due_period(kind: ContentKind, due: DueAt, as_of: dt.date, grace_days: int) -> int:
    """The newest period (year, CE) whose data is due on ``as_of``: the period the day
    ``as_of - grace`` falls in when data is due at a period's start, the period before it when
    due at its end. E.g. a fiscal-year budget (due at the start, grace 45 days): on 2026-11-14
    FY2026 is due, from 2026-11-15 (1 October 2026 + 45 days) FY2027."""
    if kind == "date":
        raise ValueError("a date-dated family has no period")
    day = as_of - dt.timedelta(days=grace_days)
    current = fiscal_year(day) if kind == "fiscal_year" else day.year
    return current if due == "start" else current - 1


def period_is_timely(
    period: int, kind: ContentKind, due: DueAt, as_of: dt.date, grace_days: int
) -> bool:
    """Whether a newest period ``period`` is the one now due (or a later one)."""
    return period >= due_period(kind, due, as_of, grace_days)
