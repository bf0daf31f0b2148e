"""Two `ogp run` started at the same moment, same Dagster instance, same data directory, against
the real portal: the catalog afterwards is what one run alone publishes -- no resource twice, no
row missing -- because the runs of one agency take turns (pipelines/locks.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import ckanapi
import dagster as dg
import pytest

from pipelines.commands.run import EXIT_BUSY
from pipelines.locks import hold, lock_path

from .conftest import SandboxFactory
from .sandbox import Sandbox, catalog, instance, ogp_run, runs_of, stop

Catalog = dict[str, dict[str, int | None]]


def finish(process: subprocess.Popen[bytes], log: Path, timeout: float) -> int:
    try:
        return process.wait(timeout)
    finally:
        stop(process)
        print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}")


def generic(published: Catalog, sandbox: Sandbox) -> Catalog:
    """The catalog with each agency code replaced by its position, to compare two sandboxes."""

    def plain(text: str) -> str:
        for position, agency in enumerate(sandbox.agencies):
            text = text.replace(agency, f"<agency {position}>")
        return text

    return {
        plain(name): {plain(resource): rows for resource, rows in resources.items()}
        for name, resources in published.items()
    }


def intervals(
    dagster: dg.DagsterInstance, job: str, agency: str | None = None
) -> list[tuple[float, float]]:
    records = runs_of(dagster, job, agency)
    # finished (an agency_job whose checks blocked a family ends as a failure: that is fine)
    assert all(r.dagster_run.is_finished for r in records), job
    return [(r.start_time or 0.0, r.end_time or 0.0) for r in records]


@pytest.mark.portal
@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_two_runs_at_once_publish_what_one_run_publishes(
    sandboxes: SandboxFactory, ckan: ckanapi.RemoteCKAN, tmp_path: Path
) -> None:
    alone = sandboxes("a", 2)
    assert finish(ogp_run(alone, tmp_path / "alone.log"), tmp_path / "alone.log", 900) == 0
    expected = generic(catalog(ckan, alone.datasets()), alone)
    # what one run publishes (what the checks let through): datasets of every agency, with
    # DataStore tables full of rows
    for position in range(len(alone.agencies)):
        assert any(name.startswith(f"<agency {position}>-") for name in expected), expected
    assert all(
        any(rows for rows in resources.values() if rows is not None)
        for resources in expected.values()
    ), expected

    both = sandboxes("b", 2)
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    processes = [ogp_run(both, log) for log in logs]  # the same moment, as far as the OS goes
    codes = [finish(process, log, 1200) for process, log in zip(processes, logs, strict=True)]
    assert codes == [0, 0]

    published = generic(catalog(ckan, both.datasets()), both)
    assert published == expected
    report = catalog(ckan, [both.report_dataset])[both.report_dataset]
    assert sorted(report) == sorted(catalog(ckan, [alone.report_dataset])[alone.report_dataset])

    # both runs really ran every job, and the runs of one scope took turns
    with instance(both) as dagster:
        scopes: list[tuple[str, str | None]] = [("reference_job", None), ("readiness_job", None)]
        scopes += [("agency_job", agency) for agency in both.agencies]
        for job, agency in scopes:
            first, second = sorted(intervals(dagster, job, agency))
            assert first[1] <= second[0], f"{job}[{agency}] runs overlapped: {first}, {second}"


@pytest.mark.portal
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_busy_agency_is_skipped_and_nothing_of_it_is_published(
    sandboxes: SandboxFactory, ckan: ckanapi.RemoteCKAN, tmp_path: Path
) -> None:
    sandbox = sandboxes("busy", 1)
    agency = sandbox.agencies[0]
    log = tmp_path / "busy.log"
    # another run of the agency (here: this test) holds its lock for the whole `ogp run`
    with hold(lock_path(agency, "run", Path(sandbox.env["OGP_DATA_DIR"])), owner={"run": "test"}):
        code = finish(ogp_run(sandbox, log, agency, wait=2), log, 600)
    output = " ".join(log.read_text(errors="replace").split())  # the table wraps lines
    assert code == EXIT_BUSY
    assert f"waiting for {agency}.run.lock, held by test" in output
    assert "Skipped, busy: agency_job" in output
    assert "skipped" in output
    assert catalog(ckan, sandbox.datasets()) == {}
    with instance(sandbox) as dagster:
        assert runs_of(dagster, "agency_job", agency) == []
        assert len(runs_of(dagster, "reference_job")) == 1  # the rest of the run went on
