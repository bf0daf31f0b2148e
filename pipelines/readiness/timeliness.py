"""Timeliness from content: the newest record's date against the contract's update frequency
plus a grace period (``datasets/ogp/timeliness.yaml``). Publication timestamps are not evidence:
a file of old records published today is late. One rule for the scorecards and for the
commitments that depend on timeliness (they read the same ``timeliness`` figure)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipelines.thai import FISCAL_YEAR_FIRST_MONTH

RULES_FILE = "timeliness.yaml"

ContentKind = Literal["date", "fiscal_year", "calendar_year"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ContentDate(_Model):
    field: str
    kind: ContentKind


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


def load_rules(ogp_dir: Path) -> TimelinessRules:
    path = ogp_dir / RULES_FILE
    return TimelinessRules.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


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
