"""The console of `ogp run` is quiet and informative: the progress and the summary, not
Dagster's event stream (that is in the log file, and on the terminal with ``--verbose``), no
traceback, even when steps fail. The runs are those of tests/commands/conftest.py (a sandbox
catalog of two agencies, real pipeline, real portal); the line count includes everything the
process wrote to stdout and stderr."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
from pathlib import Path

import dagster as dg
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.runlog import RUN_CONFIG, RunLog, StepEvent
from tests.commands.conftest import Scenario
from tests.conftest import REPO_ROOT
from tests.deploy.sandbox import BIN, RunResult

MAX_LINES = 120
# what Dagster's default console logger prints: "<time> - dagster - DEBUG - <job> - <run> - ..."
DAGSTER_LINE = re.compile(r" - dagster - (DEBUG|INFO|WARNING|ERROR) - ")


def assert_quiet(run: RunResult) -> None:
    lines = run.console.splitlines()
    assert len(lines) < MAX_LINES, run.console
    assert "Traceback" not in run.console
    assert "Stack Trace" not in run.console
    assert "DEBUG" not in run.console
    assert not DAGSTER_LINE.search(run.console)
    assert "PreviewWarning" not in run.console
    assert "retrying in" not in run.console  # the publisher's Python logging: the log file


def assert_logged(run: RunResult) -> None:
    log = run.log.read_text(encoding="utf-8")
    assert DAGSTER_LINE.search(log)
    for event in ("RUN_START", "STEP_START", "ASSET_MATERIALIZATION", "RUN_SUCCESS"):
        assert f" - {event} - " in log, event
    assert run.log.name in run.console  # the console says where it is


@pytest.mark.portal
@pytest.mark.slow
@pytest.mark.timeout(1900)
def test_a_run_with_failures_is_quiet_and_its_events_are_in_the_log(scenario: Scenario) -> None:
    run = scenario.broken
    assert_quiet(run)
    assert_logged(run)
    log = run.log.read_text(encoding="utf-8")
    assert "ogp_readiness_report - STEP_FAILURE" in log  # the whole story is in the log file
    assert "the OCDS schema is unusable" in log
    assert "Stack Trace" in log
    text = " ".join(run.console.split())
    for status in ("failed", "blocked", "awaiting data", "published"):
        assert status in text, status
    assert "procurement_ocds failed:" in text
    assert "Some steps failed (see above): exit code 1." in text
    # the live display: one line per run, with what came of it
    for label in (*scenario.sandbox.agencies, "reference data", "readiness report"):
        assert re.search(rf"^{re.escape(label)}\s+\S+\s+\d+/\d+ ", run.console, re.M), label


@pytest.mark.portal
@pytest.mark.slow
@pytest.mark.timeout(1900)
def test_a_run_where_every_step_ran_is_quiet_too(scenario: Scenario) -> None:
    run = scenario.repaired
    assert_quiet(run)
    assert_logged(run)
    assert "Every step ran" in run.console


def test_help_documents_the_exit_codes() -> None:
    result = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "Exit codes: 0 every step ran" in text
    assert "1 a step failed, or the run could not start" in text
    assert "2 usage error (an unknown agency code); 75 an agency was busy" in text
    assert "130 interrupted by Ctrl-C, 143 by SIGTERM" in text
    assert "--verbose" in text


def test_a_usage_error_exits_2() -> None:
    result = CliRunner().invoke(app, ["run", "--wait", "-1"])
    assert result.exit_code == 2


def run_small_job(log: RunLog) -> dg.ExecuteInProcessResult:
    @dg.asset
    def first() -> None:
        logging.getLogger("pipelines.publish.ckan").warning("portal busy; retrying in 1 s")

    @dg.asset(deps=[first])
    def second() -> None:
        raise ValueError("second could not finish")

    job = dg.define_asset_job("small", selection=dg.AssetSelection.assets(first, second)).resolve(
        asset_graph=dg.Definitions(assets=[first, second]).resolve_asset_graph()
    )
    return job.with_logger_defs({"ogp_run": log.logger_def()}).execute_in_process(
        run_config=RUN_CONFIG, instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
    )


@pytest.mark.parametrize("verbose", [False, True])
def test_the_event_stream_goes_to_the_log_file_and_the_terminal_only_when_verbose(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], verbose: bool
) -> None:
    steps: list[StepEvent] = []
    log = RunLog(tmp_path / "logs" / "run.log", on_step=steps.append, verbose=verbose)
    try:
        result = run_small_job(log)
    finally:
        log.close()
    assert not result.success
    written = log.path.read_text(encoding="utf-8")
    assert re.search(r" - dagster - DEBUG - small - .* - first - STEP_START - ", written)
    assert "second - STEP_FAILURE" in written
    assert "Traceback" in written or "Stack Trace" in written  # the whole story, in the file
    assert "portal busy; retrying in 1 s" in written  # Python logging of a step, too
    assert [(e.step, e.kind) for e in steps] == [
        ("first", "STEP_START"),
        ("first", "STEP_SUCCESS"),
        ("second", "STEP_START"),
        ("second", "STEP_FAILURE"),
    ]
    terminal = capfd.readouterr()
    if verbose:
        assert " - STEP_START - " in terminal.err
        assert "portal busy" in terminal.err
    else:
        assert terminal.out == ""
        assert terminal.err == ""
    # closed: nothing of it is left on the root logger
    assert not set(logging.getLogger().handlers) & set(log.handlers)


def test_a_long_cause_shared_by_several_rows_is_written_once() -> None:
    from rich.console import Console

    from pipelines.commands.progress import summary_table
    from pipelines.runner import Outcome, RunSummary, Status

    cause = "the OCDS schema is unusable: cannot read release-schema.json: " + "x" * 60
    summary = RunSummary(
        outcomes=[
            Outcome(
                "a",
                "procurement",
                Status.FAILED,
                f"not published because p failed: {cause}",
                cause=cause,
            ),
            Outcome("a", "OCDS package", Status.FAILED, f"p failed: {cause}", cause=cause),
            Outcome("b", "OCDS package", Status.FAILED, f"p failed: {cause}", cause=cause),
            Outcome(
                "b",
                "budget",
                Status.FAILED,
                "published_budget failed: disk full",
                cause="disk full",
            ),
        ]
    )
    table, notes = summary_table(summary)
    assert notes == [f"1. {cause}"]
    console = Console(width=200, record=True)
    console.print(table)
    text = console.export_text()
    assert text.count("see note 1") == 3
    assert "not published because p failed: see note 1" in text
    assert "published_budget failed: disk full" in text  # short: in its row
    assert cause not in text


def test_a_broken_contract_is_one_line_and_exit_code_1(tmp_path: Path) -> None:
    datasets = tmp_path / "datasets"
    shutil.copytree(REPO_ROOT / "datasets", datasets, ignore=shutil.ignore_patterns("drops"))
    (datasets / "decisions" / "dataset.yaml").write_text("name: decisions\ntitle: [oops\n")
    env = {
        **os.environ,
        "OGP_DATASETS_DIR": str(datasets),
        "OGP_DATA_DIR": str(tmp_path / "data"),
        "OGP_BUILD_DIR": str(tmp_path / "build"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }
    done = subprocess.run(
        [str(BIN / "ogp"), "run"], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stdout.startswith("ogp run could not start: ")
    assert "decisions/dataset.yaml: line 3: not valid YAML" in " ".join(done.stdout.split())
    assert not (tmp_path / "data").exists()  # nothing ran
