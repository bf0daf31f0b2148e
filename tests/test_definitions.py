"""The whole code location loads, and its structure keeps the promises the README makes."""

from __future__ import annotations

import dagster as dg
import pytest

from pipelines.definitions import PUBLISHED_FAMILIES, defs

REQUIRED_CHECKS = {"schema", "suite", "privacy"}


@pytest.fixture(scope="module")
def graph() -> dg.AssetGraph:
    return defs.resolve_asset_graph()


def test_definitions_validate() -> None:
    dg.Definitions.validate_loadable(defs)


def test_every_family_is_pulled_cleaned_and_published(graph: dg.AssetGraph) -> None:
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert PUBLISHED_FAMILIES, "no partitioned dataset family found in datasets/"
    for family in PUBLISHED_FAMILIES:
        assert {f"raw_{family}", f"clean_{family}", f"published_{family}"} <= keys
    assert {"ckan_organizations", "procurement_ocds", "procurement_red_flags"} <= keys
    assert "ogp_readiness_report" in keys


def _blocking_checks_upstream(graph: dg.AssetGraph, key: dg.AssetKey) -> set[str]:
    names: set[str] = set()
    for upstream in graph.get_ancestor_asset_keys(key):
        for check_key in graph.get(upstream).check_keys:
            spec = graph.get_check_spec(check_key)
            if spec.blocking:
                names.add(spec.name)
    return names


@pytest.mark.parametrize("family", ["decisions", "procurement", "budget"])
def test_every_published_asset_has_blocking_checks_upstream(
    graph: dg.AssetGraph, family: str
) -> None:
    key = dg.AssetKey(f"published_{family}")
    assert _blocking_checks_upstream(graph, key) >= REQUIRED_CHECKS


def test_publishing_and_integrity_are_gated_too(graph: dg.AssetGraph) -> None:
    for name in ("procurement_ocds", "procurement_red_flags"):
        assert _blocking_checks_upstream(graph, dg.AssetKey(name)) >= REQUIRED_CHECKS


def test_every_job_schedule_and_sensor_resolves() -> None:
    repository = defs.get_repository_def()
    schedules = repository.schedule_defs
    sensors = repository.sensor_defs
    assert {s.name for s in schedules} >= {
        "decisions_job_schedule",
        "procurement_job_schedule",
        "budget_job_schedule",
        "readiness_job_schedule",
    }
    for schedule in schedules:
        assert schedule.execution_timezone == "Asia/Bangkok"
        job = repository.get_job(schedule.job_name)
        assert job.asset_layer.executable_asset_keys, schedule.name
    assert {s.name for s in sensors} >= {"agency_drop_sensor", "ogp_run_failure_alert"}
    for sensor in sensors:
        for target in sensor.targets:
            assert repository.get_job(target.job_name)


def test_family_jobs_select_only_their_family() -> None:
    job = defs.resolve_job_def("decisions_job")
    names = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
    assert names == {"raw_decisions", "clean_decisions", "published_decisions"}


@pytest.mark.parametrize(
    ("family", "fail_days"), [("decisions", 2), ("procurement", 40), ("budget", 400)]
)
def test_published_assets_go_stale_by_their_update_frequency(
    graph: dg.AssetGraph, family: str, fail_days: int
) -> None:
    policy = graph.get(dg.AssetKey(f"published_{family}")).freshness_policy
    assert policy is not None
    assert policy.fail_window.to_timedelta().days == fail_days  # type: ignore[attr-defined]
    assert graph.get(dg.AssetKey(f"clean_{family}")).freshness_policy is None


def test_an_agency_run_takes_in_and_gates_every_family_before_any_derived_step() -> None:
    """The OCDS export and the red flags read the bids gated in the same run: every raw_ and
    clean_ step outranks them among the steps ready to run (Dagster's step priority), so the
    in-process executor never reaches them first (a clean-clone CI run once did)."""
    job = defs.resolve_job_def("agency_job")
    priority: dict[str, int] = {}
    for node in job.graph.node_dict.values():
        priority[node.name] = int(node.tags.get("dagster/priority", 0))
    families = [name for name in priority if name.startswith(("raw_", "clean_"))]
    derived = [name for name in priority if name in {"procurement_ocds", "procurement_red_flags"}]
    assert families, sorted(priority)
    assert len(derived) == 2, sorted(priority)
    assert min(priority[name] for name in families) > max(priority[name] for name in derived)


def test_every_job_writing_to_the_portal_is_capped_as_publishing() -> None:
    """The production queue caps runs tagged ogp/stage=publish (pipelines/deploy/dagster.yaml);
    every job of the code location writes to the portal (organizations, datasets, the report)."""
    from pipelines.defs.locking import PUBLISHING, STAGE_TAG

    jobs = {job.name: job.tags.get(STAGE_TAG) for job in defs.resolve_all_job_defs()}
    jobs.pop("__ASSET_JOB")  # Dagster's implicit job of every asset, not launched by the queue
    assert {"agency_job", "reference_job", "readiness_job", "budget_job"} <= set(jobs)
    assert set(jobs.values()) == {PUBLISHING[STAGE_TAG]}, jobs
