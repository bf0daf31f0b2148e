"""Reading the pipeline's local outputs: the validation gate's and the integrity stage's, and
nothing else.

    data/validation/<family>/<agency>/report.json       the gate's verdict, counts and findings
    data/validation/<family>/<agency>/publishable.parquet   what the gate let through
    data/integrity/procurement/<agency>/red_flags.json   the red-flag rate (integrity stage)

The newest record of each publishable partition (its dated field from
``datasets/ogp/timeliness.yaml``) is read from ``publishable.parquet``, with the contract's
``ckan.update_frequency``: timeliness is judged by content, never by when it was published.

Never the clean table: it may still hold unmasked personal data. A figure whose gate output
is missing is unknown (the partition counts as not published), never counted from elsewhere.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.contracts import load_specs
from pipelines.layout import (
    integrity_agency_dirs,
    report_json_path,
    validation_reports,
)
from pipelines.publish.partitions import read_gate
from pipelines.readiness.facts import (
    Freshness,
    LocalOutputs,
    summarize_validation_report,
)
from pipelines.readiness.red_flag_rate import red_flag_summary
from pipelines.readiness.timeliness import (
    ContentKind,
    TimelinessRules,
    is_future,
    load_rules,
    record_date,
)

Shown = Callable[[Path], str]


def gate_report_path(data_dir: Path, family: str, agency: str) -> Path:
    """The gate's ``report.json`` of one partition."""
    return report_json_path(data_dir, family, agency)


def read_local_outputs(
    data_dir: Path,
    repo_root: Path | None = None,
    *,
    datasets_dir: Path | None = None,
    as_of: dt.date | None = None,
) -> LocalOutputs:
    """Validation reports (``validation/<family>/<agency>/report.json``), the newest record of
    each publishable partition and red-flag summaries (``integrity/procurement/<agency>/``)
    under ``data_dir``; missing folders are fine. Evidence paths are shown relative to
    ``repo_root`` (default: the data folder's parent). ``datasets_dir`` holds the contracts and
    ``ogp/timeliness.yaml`` (default: the settings' datasets folder). ``as_of``: the report
    date (default today); records dated after it are ignored for the newest record (and
    counted)."""
    as_of = as_of or dt.datetime.now(dt.UTC).date()
    root = repo_root or data_dir.parent
    if datasets_dir is None:
        from pipelines.settings import get_settings

        datasets_dir = get_settings().datasets_dir
    rules = load_rules(datasets_dir / "ogp")
    frequencies = {
        family: spec.ckan.update_frequency for family, spec in load_specs(datasets_dir).items()
    }

    def shown(path: Path) -> str:
        return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)

    validation = {}
    freshness = {}
    for family, agency, path in validation_reports(data_dir):
        document = json.loads(path.read_text(encoding="utf-8"))
        validation[f"{family}/{agency}"] = summarize_validation_report(document, shown(path))
        if family in rules.content and family in frequencies:
            freshness[f"{family}/{agency}"] = partition_freshness(
                path, family, frequencies[family], rules, as_of
            )
    red_flags = {}
    for folder in integrity_agency_dirs(data_dir):
        summary = red_flag_summary(data_dir, folder.name, shown)
        if summary is not None:
            red_flags[folder.name] = summary
    return LocalOutputs(validation=validation, red_flags=red_flags, freshness=freshness)


def partition_freshness(
    report_json: Path,
    family: str,
    frequency: str,
    rules: TimelinessRules,
    as_of: dt.date | None = None,
) -> Freshness:
    """The newest record the gate let through (None when the partition is blocked or its
    publishable table has no dated record), with the frequency it is judged against. Records
    dated after ``as_of`` (the report date) are not the newest: they are counted in ``future``."""
    content = rules.content[family]
    newest, future = _newest(report_json, content.field, content.kind, as_of)
    return Freshness(
        newest=record_date(newest, content.kind) if newest is not None else None,
        field=content.field,
        frequency=frequency,
        allowed_days=rules.allowed_days(frequency),
        future=future,
        kind=content.kind,
        period=newest if content.kind != "date" and isinstance(newest, int) else None,
        due=content.due,
        grace_days=rules.grace(frequency),
    )


def _newest(
    report_json: Path, field: str, kind: ContentKind, as_of: dt.date | None
) -> tuple[object, int]:
    """The newest value (a date, or a period's year) not after ``as_of``, and how many are."""
    gate = read_gate(report_json)
    table_path = report_json.parent / gate.table_file
    if not gate.publishable or not table_path.is_file():
        return None, 0
    if field not in pq.read_schema(table_path).names:
        return None, 0
    counts = pc.value_counts(pq.read_table(table_path, columns=[field])[field].drop_null())
    dated = [(v.as_py(), n.as_py()) for v, n in zip(counts.field(0), counts.field(1), strict=True)]
    future = sum(n for v, n in dated if as_of is not None and is_future(v, kind, as_of))
    past = [v for v, _ in dated if as_of is None or not is_future(v, kind, as_of)]
    return (max(past) if past else None), future
