"""The end of `ogp run` fits a terminal: a row for every step not published (failures first),
then one row per agency for what it published; dynamic text is printed as it is (no rich
markup) and personal data in a reason (a drop file named like a phone number) is masked on the
console, in the JSON summary and in the log file (issue 12)."""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import pytest
from rich.console import Console

from pipelines.commands.progress import print_summary
from pipelines.outcomes import (
    CATALOG,
    Outcome,
    RunSummary,
    Status,
    agency_outcomes,
    family_outcome,
    masked,
)
from pipelines.runlog import CheckResult, RunFacts, RunLog
from tests.commands.test_run_summary import DERIVED, UPSTREAM, by_step, published

PORTAL = "http://127.0.0.1:5000"
PHONE = "0812345678"
DEMO_AGENCIES = 7  # the demo catalog's size


def healthy(agency: str, quarantined: int = 0) -> list[Outcome]:
    url = f"{PORTAL}/dataset/{agency}-"
    rows = [
        Outcome(agency, "decisions", Status.PUBLISHED, url=url + "decisions"),
        Outcome(agency, "procurement", Status.PUBLISHED, url=url + "procurement"),
        Outcome(agency, "OCDS package", Status.PUBLISHED, url=url + "procurement"),
        Outcome(agency, "red flags", Status.PUBLISHED, url=url + "procurement"),
    ]
    if quarantined:
        detail = f"{quarantined} invalid row(s) left out, listed in the validation report"
        report = f"/srv/build/reports/{agency}-budget.html"
        budget = Outcome(
            agency, "budget", Status.QUARANTINE, detail, url + "budget", report, "", quarantined
        )
    else:
        budget = Outcome(agency, "budget", Status.PUBLISHED, url=url + "budget")
    return [rows[0], budget, *rows[1:]]


def demo_summary(agencies: int) -> RunSummary:
    """A demo-like run: reference data, ``agencies`` agencies (one awaiting its decisions, one
    whose OCDS export failed, one with a quarantined budget row), the report."""
    outcomes = [
        Outcome(CATALOG, "agency registry", Status.PUBLISHED),
        Outcome(CATALOG, "organizations", Status.PUBLISHED, url=f"{PORTAL}/organization"),
    ]
    for n in range(agencies):
        agency = f"agency{n:02d}"
        rows = healthy(agency, quarantined=1 if n == 2 else 0)
        if n == 0:
            rows[0] = Outcome(agency, "decisions", Status.AWAITING, "no decisions file received")
        if n == 1:
            cause = "the OCDS schema is unusable: cannot read release-schema.json"
            rows[3] = Outcome(
                agency,
                "OCDS package",
                Status.FAILED,
                f"procurement_ocds failed: {cause}",
                cause=cause,
            )
        outcomes += rows
    report = f"{PORTAL}/dataset/ogp-readiness"
    outcomes.append(Outcome(CATALOG, "readiness report", Status.PUBLISHED, url=report))
    return RunSummary(outcomes=outcomes, run_ids=["r"] * (agencies + 2))


def render(summary: RunSummary, width: int) -> str:
    out = io.StringIO()
    print_summary(Console(file=out, width=width, color_system=None), summary, PORTAL)
    return out.getvalue()


@pytest.mark.parametrize("width", [80, 120])
def test_the_demo_summary_fits_and_grows_by_a_few_lines_per_healthy_agency(width: int) -> None:
    text = render(demo_summary(DEMO_AGENCIES), width)
    assert len(text.splitlines()) < 120, text
    assert len(text.splitlines()) < 70, text  # far under: 7 agencies are not a long table
    grown = len(text.splitlines()) - len(
        render(demo_summary(DEMO_AGENCIES - 1), width).splitlines()
    )
    assert 1 <= grown <= 3, grown
    # failures first, then the other outcomes not published, then one row per agency
    assert text.index("procurement_ocds failed") < text.index("no decisions file received")
    assert text.index("no decisions file received") < text.index("/organization/agency00")
    flat = " ".join(text.split())
    assert "decisions, budget (1 quarantined row), procurement, OCDS package, red flags" in flat
    for n in range(DEMO_AGENCIES):
        assert text.count(f"{PORTAL}/organization/agency{n:02d}") == 1, n
    assert "/dataset/agency03-" not in text  # published rows: the agency's page once
    assert "agency registry, organizations, readiness report" in flat
    assert f"{PORTAL}/dataset/ogp-readiness" in text
    assert "agency02-budget.html" in text  # where the quarantined row is listed


def test_brackets_in_names_and_reasons_are_printed_as_they_are() -> None:
    summary = RunSummary(
        outcomes=[
            Outcome("a", "decisions", Status.BLOCKED, "decisions_[final].xlsx is not a workbook"),
            Outcome("[b]", "budget", Status.PUBLISHED),
        ],
        busy=["agency_job[agency1]: another run holds the lock [pid 7]"],
        recovered_runs=["agency_job[agency] 1234-abcd"],
    )
    flat = " ".join(render(summary, 120).split())
    assert "decisions_[final].xlsx is not a workbook" in flat
    assert "Skipped, busy: agency_job[agency1]: another run holds the lock [pid 7]" in flat
    assert "Marked failed: agency_job[agency] 1234-abcd" in flat
    assert "[b]" in flat


def test_a_file_named_like_a_phone_number_is_masked_everywhere(tmp_path: Path) -> None:
    reason = f"the file decisions_{PHONE}.xlsx could not be taken in: not a workbook"
    outcomes = masked([Outcome("a", "decisions", Status.BLOCKED, reason, cause=reason)])
    assert PHONE not in outcomes[0].detail
    assert PHONE not in outcomes[0].cause
    assert outcomes[0].detail.endswith(".xlsx could not be taken in: not a workbook")
    summary = RunSummary(outcomes=outcomes)
    summary.write_json(tmp_path / "run.json")
    assert PHONE not in (tmp_path / "run.json").read_text(encoding="utf-8")
    assert json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))["outcomes"]
    assert PHONE not in render(summary, 80)

    log = RunLog(tmp_path / "logs" / "run.log")
    try:
        log.note(f"raw_decisions: {reason}")
    finally:
        log.close()
    written = log.path.read_text(encoding="utf-8")
    assert "could not be taken in" in written
    assert PHONE not in written
    # the message is masked, not the time the line starts with
    stamp = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - dagster - INFO - raw_decisions: "
    assert re.search(stamp, written, re.M), written


def test_an_interrupted_summary_says_so_and_exits_128_plus_the_signal() -> None:
    summary = demo_summary(2)
    summary.outcomes.append(Outcome("agency09", "all steps", Status.INTERRUPTED, "not run: ..."))
    summary.interrupted = 15
    assert summary.exit_code == 143
    text = " ".join(render(summary, 80).split())
    assert "Interrupted by SIGTERM" in text
    assert "exit code 143" in text
    assert text.index("interrupted") < text.index("/organization/agency01")
    summary.interrupted = 2
    assert summary.exit_code == 130


def test_a_resource_left_on_the_portal_is_shown_on_the_published_row() -> None:
    receipt = {"datasets": [{"name": "a-budget", "stray_resources": ["budget-fy2024.csv"]}]}
    facts = RunFacts(
        materialized={
            "clean_budget": {},
            "published_budget": {
                "dataset_url": f"{PORTAL}/dataset/a-budget",
                "receipt_json": receipt,
            },
        }
    )
    upstream = {"published_budget": ["clean_budget"], "clean_budget": []}
    outcome = family_outcome("a", "budget", facts, upstream)
    assert outcome.status is Status.PUBLISHED
    assert outcome.kept == ["budget-fy2024.csv"]
    text = " ".join(render(RunSummary(outcomes=[outcome]), 80).split())
    assert "kept on the portal, not in this run: budget-fy2024.csv" in text
    plain = family_outcome("a", "budget", RunFacts(materialized={"published_budget": {}}), upstream)
    assert plain.kept == []
    assert "kept on the portal" not in render(RunSummary(outcomes=[plain]), 80)


def test_other_libraries_log_records_are_labelled_with_their_logger(tmp_path: Path) -> None:
    log = RunLog(tmp_path / "logs" / "run.log")
    try:
        logging.getLogger("great_expectations.core").warning("Loading 'datasources'")
        log.note("ogp run: agency_job[a] run 1")
    finally:
        log.close()
    written = log.path.read_text(encoding="utf-8")
    assert " - great_expectations.core - WARNING - Loading 'datasources'" in written
    assert " - dagster - INFO - ogp run: agency_job[a] run 1" in written


def test_a_derived_file_that_failed_is_failed_and_its_family_still_published() -> None:
    """The integrity assets now materialize a failed OCDS export (status failed, its reason)
    with a failing non-blocking check; the family is published without the file."""
    reason = "the OCDS schema is unusable: release-schema.json is not JSON"
    facts = RunFacts(
        materialized={
            **published("procurement"),
            "procurement_ocds": {"status": "failed", "reason": reason},
            "procurement_red_flags": {"flags": 3},
        },
        checks=[CheckResult("procurement_ocds", "ocds_package_valid", False, {"reason": reason})],
    )
    rows = by_step(agency_outcomes("a", facts, ["procurement"], DERIVED, UPSTREAM))
    assert rows["OCDS package"].status is Status.FAILED
    assert rows["OCDS package"].detail == f"procurement_ocds failed: {reason}"
    assert rows["OCDS package"].cause == reason
    assert rows["procurement"].status is Status.PUBLISHED
    assert rows["red flags"].status is Status.PUBLISHED
