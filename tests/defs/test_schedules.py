"""Schedules fan out one run per agency; the drop sensor fires on new or changed files only."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import dagster as dg

from pipelines.contracts import load_specs
from pipelines.definitions import defs
from pipelines.defs.pull import agency_partitions
from pipelines.defs.schedules import build_drop_sensor, family_jobs, family_schedules


def test_monthly_procurement_schedule_requests_every_agency() -> None:
    schedule = next(
        s for s in family_schedules(load_specs()) if s.name == "procurement_job_schedule"
    )
    when = dt.datetime(2026, 11, 10, 2, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    context = dg.build_schedule_context(
        scheduled_execution_time=when, repository_def=defs.get_repository_def()
    )
    requests = list(schedule.evaluate_tick(context).run_requests or [])
    assert sorted(r.partition_key for r in requests) == sorted(
        agency_partitions.get_partition_keys()
    )
    assert len({r.run_key for r in requests}) == len(requests)
    assert schedule.cron_schedule == "0 2 10 * *"


def test_drop_sensor_fires_once_per_change(tmp_path: Path) -> None:
    specs = load_specs()
    agency = agency_partitions.get_partition_keys()[0]
    spec = specs["budget"]
    drop = tmp_path / agency
    drop.mkdir()
    moved = spec.model_copy(
        update={
            "sources": spec.sources.model_copy(
                update={
                    "default": spec.sources.default.model_copy(  # type: ignore[union-attr]
                        update={"path": str(tmp_path / "{agency}" / "budget_*.csv")}
                    ),
                    "agencies": {},
                }
            )
        }
    )
    moved._table_schema = spec.schema  # pydantic copies skip private attrs
    jobs = family_jobs({"budget": moved})
    sensor = build_drop_sensor({"budget": moved}, jobs)
    repository = dg.Definitions(
        assets=[a for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition)],
        jobs=jobs,
        sensors=[sensor],
        resources=defs.resources,
    ).get_repository_def()

    def tick(cursor: str | None) -> dg.SensorResult:
        context = dg.build_sensor_context(cursor=cursor, repository_def=repository)
        return sensor.evaluate_tick(context)

    first = tick(None)
    assert first.run_requests == []  # empty folders: nothing to do

    (drop / "budget_2568.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    second = tick(first.cursor)
    assert [(r.job_name, r.partition_key) for r in second.run_requests] == [("budget_job", agency)]
    assert tick(second.cursor).run_requests == []  # unchanged: no second run

    (drop / "budget_2568.csv").write_text("a,b\n1,2\n3,4\n", encoding="utf-8")
    third = tick(second.cursor)
    assert len(third.run_requests) == 1
    assert json.loads(third.cursor or "{}") != json.loads(second.cursor or "{}")
