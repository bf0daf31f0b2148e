"""Run history: each report's JSON is kept under ``build/report/history/<timestamp>.json`` and the
next run compares its figures with the latest earlier one."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from pipelines.files import replace_atomically
from pipelines.readiness.figures import Figure

TIMESTAMP_FORMAT = "%Y%m%dT%H%M%S%fZ"


class Trend(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    label_th: str
    label_en: str
    unit: str
    previous: float
    value: float
    delta: float
    evidence: list[str]


def history_name(generated_at: datetime) -> str:
    return f"{generated_at.strftime(TIMESTAMP_FORMAT)}.json"


def save(history_dir: Path, generated_at: datetime, report: Mapping[str, Any]) -> Path:
    history_dir.mkdir(parents=True, exist_ok=True)
    path = history_dir / history_name(generated_at)
    text = json.dumps(report, ensure_ascii=False, indent=1)
    # atomically: a half-written entry would break every later report's trend
    return replace_atomically(path, lambda partial: partial.write_text(text, encoding="utf-8"))


def latest_before(history_dir: Path, generated_at: datetime) -> tuple[Path, dict[str, Any]] | None:
    """The newest history entry older than ``generated_at`` (names sort by time)."""
    current = history_name(generated_at)
    earlier = sorted(p for p in history_dir.glob("*.json") if p.name < current)
    if not earlier:
        return None
    return earlier[-1], json.loads(earlier[-1].read_text(encoding="utf-8"))


def compare(
    figures: Mapping[str, Figure], previous: Mapping[str, Any], previous_ref: str
) -> list[Trend]:
    """Numeric portal-wide figures present in both runs, with their change."""
    before = previous.get("overall", {})
    trends = []
    for key, figure in figures.items():
        old = before.get(key, {}).get("value")
        if not _number(figure.value) or not _number(old):
            continue
        value = float(figure.value)  # type: ignore[arg-type]
        trends.append(
            Trend(
                key=key,
                label_th=figure.label_th,
                label_en=figure.label_en,
                unit=figure.unit,
                previous=float(old),
                value=value,
                delta=round(value - float(old), 6),
                evidence=[*figure.evidence, previous_ref],
            )
        )
    return trends


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
