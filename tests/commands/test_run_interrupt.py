"""Ctrl-C / SIGTERM stop `ogp run` after the current run: no further agency, no readiness
report, the summary of what ran (the rest "not run: interrupted"), exit 128 + the signal, no
traceback (issue 12).

The unit tests interrupt a real Dagster run in this process; the last test sends SIGINT to a
whole `ogp run` process group (as a terminal's Ctrl-C does) while the first of two sandbox
agencies runs against the real local portal."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import ckanapi
import dagster as dg
import pytest

from pipelines.defs.alerts import INTERRUPTED
from pipelines.outcomes import INTERRUPTED_DETAIL, Status, resolve
from pipelines.runlog import facts_from_events
from pipelines.runner import Interruption
from tests.conftest import Portal
from tests.deploy.sandbox import (
    Sandbox,
    has_started_a_step,
    instance,
    make_sandbox,
    ogp_run,
    purge,
    runs_of,
    stop,
    wait_for,
)

RUN_TIMEOUT_S = 900  # hang guards, not timing assertions


def interrupted_job(signum: int) -> dg.JobDefinition:
    @dg.asset
    def first() -> None:
        os.kill(os.getpid(), signum)
        time.sleep(30)  # Dagster stops the step long before

    @dg.asset(deps=[first])
    def second() -> None:
        pass

    assets = [first, second]
    return dg.define_asset_job("small", selection=dg.AssetSelection.assets(*assets)).resolve(
        asset_graph=dg.Definitions(assets=assets).resolve_asset_graph()
    )


@pytest.fixture
def handlers() -> Iterator[None]:
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    after = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for signum, handler in before.items():
        signal.signal(signum, handler)
    assert after == before  # Interruption put back what it found


@pytest.mark.timeout(120)
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_a_dagster_run_stops_it_and_is_known(
    signum: signal.Signals, handlers: None
) -> None:
    job = interrupted_job(signum)
    with Interruption() as interruption:
        result = job.execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
        )
        assert interruption.signal() == signum  # though Dagster's handler took it
    facts = facts_from_events(result.all_events)
    assert facts.interrupted
    assert facts.failed["first"].cause == INTERRUPTED
    assert "Dagster" not in facts.failed["first"].cause
    upstream = {"second": ["first"]}
    assert resolve("first", facts, upstream).status is Status.INTERRUPTED
    state = resolve("second", facts, upstream)
    assert (state.status, state.detail) == (Status.INTERRUPTED, INTERRUPTED_DETAIL)


@pytest.mark.timeout(60)
def test_between_runs_a_signal_is_noted_and_raises_only_while_a_run_starts(
    handlers: None,
) -> None:
    with Interruption() as interruption:
        os.kill(os.getpid(), signal.SIGTERM)  # outside: noted, the summary can still be made
        assert interruption.signal() == signal.SIGTERM
    interruption = Interruption()
    with interruption, pytest.raises(KeyboardInterrupt), interruption.raises():  # noqa: PT012
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)  # the handler raises before this ends
    assert interruption.signal() == signal.SIGINT


def agency_run_mid_way(sandbox: Sandbox, agency: str) -> bool:
    """The agency's run has started a step and is still running."""
    with instance(sandbox) as dagster:
        return any(
            record.dagster_run.status == dg.DagsterRunStatus.STARTED
            and has_started_a_step(dagster, record.dagster_run.run_id)
            for record in runs_of(dagster, "agency_job", agency)
        )


@pytest.mark.portal
@pytest.mark.slow
@pytest.mark.timeout(1900)
def test_ctrl_c_stops_ogp_run_after_the_current_agency(
    tmp_path: Path,
    run_id: str,
    ckan_portal: Portal,
    ckan: ckanapi.RemoteCKAN,
    ocds_schema_dir: Path,
) -> None:
    sandbox = make_sandbox(tmp_path / "sandbox", f"{run_id}i", 2, ocds_schema_dir)
    sandbox.env["OGP_PORTAL_DIR"] = str(ckan_portal.token_file.parent)
    first, second = sandbox.agencies
    logs = Path(sandbox.env["OGP_BUILD_DIR"]) / "logs"
    console = tmp_path / "run.console"
    process = ogp_run(sandbox, console)
    try:
        # inside the first agency's run: it has started a step and not ended (the log line
        # alone can come late enough that the run has already finished)
        wait_for(
            "the first agency's run to start a step",
            lambda: agency_run_mid_way(sandbox, first) or process.poll() is not None,
            600,
            poll=0.2,
        )
        assert process.poll() is None, console.read_text(encoding="utf-8", errors="replace")
        os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        code = process.wait(RUN_TIMEOUT_S)
        text = console.read_text(encoding="utf-8", errors="replace")
        (log,) = logs.glob("ogp-run-*.log")
        summary = json.loads(log.with_suffix(".json").read_text(encoding="utf-8"))
        with instance(sandbox) as dagster:
            report_runs = runs_of(dagster, "readiness_job")
            second_runs = runs_of(dagster, "agency_job", second)
        published = {
            name for name in sandbox.datasets() if name.startswith(second) and exists(ckan, name)
        }
    finally:
        stop(process)
        purge(ckan, sandbox)

    assert code == 130, text
    assert "Traceback" not in text
    assert "KeyboardInterrupt" not in text
    assert "Interrupted by SIGINT" in text
    assert summary["exit_code"] == 130
    assert summary["interrupted"] == "SIGINT"
    rows = {(o["scope"], o["step"]): o for o in summary["outcomes"]}
    assert rows[(second, "all steps")]["status"] == "interrupted"
    assert rows[(second, "all steps")]["detail"] == INTERRUPTED_DETAIL
    assert rows[("catalog", "readiness report")]["status"] == "interrupted"
    assert any(o["status"] == "interrupted" for o in summary["outcomes"] if o["scope"] == first)
    assert "DagsterExecutionInterruptedError" not in json.dumps(summary)
    assert not report_runs  # the report was not run, so not re-published
    assert not second_runs
    assert not published
    assert "ogp run interrupted by SIGINT" in log.read_text(encoding="utf-8")


def exists(ckan: ckanapi.RemoteCKAN, name: str) -> bool:
    try:
        ckan.action.package_show(id=name)
    except ckanapi.NotFound:
        return False
    return True
