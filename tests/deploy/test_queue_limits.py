"""The production queue under the Dagster daemon (issue 18): runs submitted for many agencies --
two for one of them -- go through pipelines/deploy/dagster.yaml's QueuedRunCoordinator; the
instance's run records show at most one run per agency and at most the cap of publishing runs
at once, and the publish receipts and the portal show nothing published twice."""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import ckanapi
import dagster as dg
import pytest
import yaml

from pipelines.dagster_home import LOCAL_INSTANCE_YAML
from pipelines.defs.locking import PUBLISHING, STAGE_TAG
from pipelines.settings import REPO_ROOT

from .celery_workers import PRODUCTION_YAML
from .conftest import SandboxFactory
from .sandbox import BIN, Sandbox, catalog, child_env, instance, start, stop, wait_for

FAMILY = "budget"  # the smallest family: a whole publishing run, quickly
JOB = f"{FAMILY}_job"
CAP = 2  # publishing runs at once here (production: 4), fewer than the agencies queued
AGENCIES = 3  # one more than CAP: the cap must hold one back from the start
WORKSPACE = REPO_ROOT / "workspace.yaml"
IN_PROCESS: dict[str, object] = {"execution": {"config": {"in_process": {}}}}

# Submit runs to the instance's queue as the UI's Launch button does (`dagster job launch`),
# loading the code location once for all of them. Their steps run in the run worker (in_process):
# the queue is under test, not the executor (a fresh interpreter per step costs seconds each).
SUBMIT = """
import json, sys
import dagster as dg
from dagster._cli.job import (
    _create_run, get_code_location_from_workspace, get_remote_job_from_remote_repo,
    get_remote_repository_from_code_location, get_workspace_from_cli_opts,
)
from dagster._cli.workspace.cli_target import WorkspaceOpts

workspace_file, requests, run_config = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
with dg.DagsterInstance.get() as instance, get_workspace_from_cli_opts(
    instance, version=dg.__version__, workspace_opts=WorkspaceOpts(workspace=(workspace_file,))
) as workspace:
    location = get_code_location_from_workspace(workspace, None)
    repository = get_remote_repository_from_code_location(location, None)
    for job, agency in requests:
        run = _create_run(
            instance=instance, code_location=location, remote_repo=repository,
            remote_job=get_remote_job_from_remote_repo(repository, job), run_config=run_config,
            tags={"dagster/partition": agency}, op_selection=None, run_id=None,
        )
        instance.submit_run(run.run_id, workspace)
        print("submitted", run.run_id)
"""


def queue_instance(sandbox: Sandbox) -> None:
    """The sandbox's instance (SQLite, the local launcher and run monitoring) with the
    production run queue, its publishing cap lowered to CAP."""
    production = yaml.safe_load(PRODUCTION_YAML.read_text(encoding="utf-8"))
    coordinator = production["run_coordinator"]
    limits = coordinator["config"]["tag_concurrency_limits"]
    per_agency = {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}}
    assert {**per_agency, "limit": 1} in limits, limits  # the shipped queue: one per agency
    [cap] = [limit for limit in limits if limit["key"] == STAGE_TAG]
    assert cap["value"] == PUBLISHING[STAGE_TAG], cap  # and a cap on what the jobs are tagged
    assert CAP < cap["limit"] < coordinator["config"]["max_concurrent_runs"], coordinator
    cap["limit"] = CAP
    config = yaml.safe_load(LOCAL_INSTANCE_YAML.read_text(encoding="utf-8"))
    config["run_coordinator"] = coordinator
    (sandbox.dagster_home / "dagster.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")


def submit(sandbox: Sandbox, requests: list[tuple[str, str]]) -> list[str]:
    done = subprocess.run(
        [
            str(BIN / "python"),
            "-c",
            SUBMIT,
            str(WORKSPACE),
            json.dumps(requests),
            json.dumps(IN_PROCESS),
        ],
        cwd=REPO_ROOT,
        env=child_env(sandbox),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # the code server it starts logs to the same stdout
    lines = done.stdout.splitlines()
    run_ids = [line.split()[1] for line in lines if line.startswith("submitted ")]
    assert len(run_ids) == len(requests), done.stdout
    return run_ids


def most_at_once(intervals: list[tuple[float, float]]) -> int:
    """The largest number of intervals open at one instant (an end before a start at a tie)."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    running = most = 0
    for _, step in events:
        running += step
        most = max(most, running)
    return most


def receipts_by_dataset(sandbox: Sandbox) -> dict[str, list[dict[str, object]]]:
    """Every publish receipt's entry of each dataset, oldest receipt first."""
    folder = Path(sandbox.env["OGP_DATA_DIR"]) / "publish" / "receipts"
    entries: dict[str, list[dict[str, object]]] = defaultdict(list)
    for path in sorted(folder.glob("*.json")):
        for dataset in json.loads(path.read_text(encoding="utf-8"))["datasets"]:
            entries[dataset["name"]].append(dataset)
    return dict(entries)


FINISHED = dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE


# marked portal and slow from its `sandboxes` fixture (tests/conftest.py)
@pytest.mark.timeout(1800)
def test_queued_runs_of_many_agencies_keep_one_per_agency_and_the_publishing_cap(
    sandboxes: SandboxFactory, ckan: ckanapi.RemoteCKAN, tmp_path: Path
) -> None:
    sandbox = sandboxes("q", AGENCIES)
    queue_instance(sandbox)
    first = sandbox.agencies[0]
    requests = [(JOB, agency) for agency in sandbox.agencies] + [(JOB, first)]
    run_ids = submit(sandbox, requests)  # all queued before the daemon starts
    with instance(sandbox) as dagster:
        assert {dagster.get_run_by_id(r).status for r in run_ids} == {  # type: ignore[union-attr]
            dg.DagsterRunStatus.QUEUED
        }

    def finished() -> Sequence[dg.RunRecord] | None:
        with instance(sandbox) as dagster:
            records = dagster.get_run_records(dg.RunsFilter(run_ids=run_ids))
        return records if all(r.dagster_run.status in FINISHED for r in records) else None

    log = tmp_path / "daemon.log"
    daemon = start([str(BIN / "dagster-daemon"), "run", "-w", str(WORKSPACE)], sandbox, log)
    try:
        records = wait_for("every queued run to finish", finished, 1500, poll=2)
    finally:
        stop(daemon)
        print(f"--- daemon.log\n{log.read_text(errors='replace')[-4000:]}")

    runs = {record.dagster_run.run_id: record for record in records}
    spans = {}
    for run_id, record in runs.items():
        run = record.dagster_run
        assert run.status == dg.DagsterRunStatus.SUCCESS, run_id
        assert run.tags[STAGE_TAG] == PUBLISHING[STAGE_TAG]  # a publishing run, capped
        assert record.start_time is not None
        assert record.end_time is not None
        spans[run_id] = (record.start_time, record.end_time)
    print([(runs[r].dagster_run.tags["dagster/partition"], spans[r]) for r in run_ids])

    # one run per agency at a time: the agency's second run started after its first ended
    twice = sorted(spans[run_id] for run_id in (run_ids[0], run_ids[-1]))
    assert twice[0][1] <= twice[1][0], twice
    # at most CAP publishing runs at once -- and CAP did run at once: the queue held the rest
    assert most_at_once(list(spans.values())) == CAP, spans

    # nothing published twice: one receipt created each dataset, the repeat found it unchanged
    receipts = receipts_by_dataset(sandbox)
    assert sorted(receipts) == sorted(f"{agency}-{FAMILY}" for agency in sandbox.agencies)
    for name, entries in receipts.items():
        actions = [entry["action"] for entry in entries]
        expected = ["create", "unchanged"] if name == f"{first}-{FAMILY}" else ["create"]
        assert actions == expected, (name, actions)
    published = catalog(ckan, sorted(receipts))
    shapes = set()
    for name, resources in published.items():
        assert not any("#" in resource for resource in resources), (name, resources)
        assert any(rows for rows in resources.values() if rows), (name, resources)
        agency = name.removesuffix(f"-{FAMILY}")
        shapes.add(json.dumps({r.replace(agency, "<a>"): n for r, n in resources.items()}))
    assert len(published) == AGENCIES
    assert len(shapes) == 1, shapes  # every agency's dataset alike, the repeated one too
