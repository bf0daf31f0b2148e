"""One schedule per family, from its contract: an explicit cron wins, else the update frequency;
the demo families keep the crons they had; freshness reads the same frequency words."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dagster._core.definitions.freshness import TimeWindowFreshnessPolicy

from pipelines.contracts import DatasetSpec, load_specs
from pipelines.contracts.models import Schedule
from pipelines.defs.freshness import freshness_policy
from pipelines.defs.schedules import family_cron, family_schedules


def _with(spec: DatasetSpec, **update: object) -> DatasetSpec:
    changed = spec.model_copy(update=update)
    changed._table_schema = spec.schema  # pydantic copies skip private attributes
    return changed


def _frequency(spec: DatasetSpec, frequency: str) -> DatasetSpec:
    return _with(spec, ckan=spec.ckan.model_copy(update={"update_frequency": frequency}))


def test_demo_families_keep_their_crons() -> None:
    crons = {s.name: s.cron_schedule for s in family_schedules(load_specs())}
    assert crons["budget_job_schedule"] == "0 3 1 11 *"
    assert crons["decisions_job_schedule"] == "0 6 * * *"
    assert crons["procurement_job_schedule"] == "0 2 10 * *"


def test_every_partitioned_family_has_exactly_one_schedule() -> None:
    specs = load_specs()
    names = [s.name for s in family_schedules(specs)]
    assert len(names) == len(set(names))
    assert "agencies_job_schedule" not in names  # the registry: no agency partitions
    wanted = {f"{n}_job_schedule" for n, s in specs.items() if s.partitioned and family_cron(s)}
    assert set(names) == wanted


def test_explicit_cron_wins_over_the_frequency() -> None:
    budget = load_specs()["budget"]
    explicit = _with(budget, schedule=Schedule(cron="15 1 * * 3"))
    assert family_cron(explicit) == "15 1 * * 3"
    [schedule] = family_schedules({"budget": explicit})
    assert schedule.cron_schedule == "15 1 * * 3"


@pytest.mark.parametrize(
    ("frequency", "cron"),
    [("weekly", "0 4 * * 1"), ("quarterly", "0 2 10 1,4,7,10 *"), ("yearly", "0 3 1 11 *")],
)
def test_cron_from_the_update_frequency(frequency: str, cron: str) -> None:
    assert family_cron(_frequency(load_specs()["budget"], frequency)) == cron


def test_as_needed_family_has_no_schedule_and_no_freshness() -> None:
    as_needed = _frequency(load_specs()["budget"], "as_needed")
    assert family_cron(as_needed) is None
    assert family_schedules({"budget": as_needed}) == []
    assert freshness_policy(as_needed) is None


def _fail_window(spec: DatasetSpec) -> timedelta:
    policy = freshness_policy(spec)
    assert isinstance(policy, TimeWindowFreshnessPolicy)
    return policy.fail_window.to_timedelta()


def test_freshness_follows_the_frequency() -> None:
    budget = load_specs()["budget"]
    assert _fail_window(_frequency(budget, "yearly")) == timedelta(days=400)
    assert _fail_window(_frequency(budget, "annually")) == timedelta(days=400)
    assert _fail_window(_frequency(budget, "weekly")) == timedelta(days=10)
