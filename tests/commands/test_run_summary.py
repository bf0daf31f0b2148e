"""The summary of `ogp run` from a run's facts: one status per step, the cause of a step that
did not run taken from the step upstream that failed, was blocked or awaits data; the order
(failures first) and the exit code. The facts are built by hand, read from real Dagster events
of small in-process jobs, and finally from two `ogp run`s of a sandbox catalog against the real
portal (tests/commands/conftest.py: a failing OCDS export, a failing report, a missing drop, a
blocked partition).
"""

# No `from __future__ import annotations`: Dagster reads the context annotation at run time.
from collections.abc import Iterator
from pathlib import Path

import ckanapi
import dagster as dg
import pytest

from pipelines.defs.alerts import root_cause
from pipelines.defs.pull import AWAITING_DATA
from pipelines.runlog import CheckResult, StepFailure, facts_from_events
from pipelines.runner import (
    CATALOG,
    EXIT_BUSY,
    Outcome,
    RunFacts,
    RunSummary,
    Status,
    agency_outcomes,
    catalog_outcomes,
    report_outcome,
    resolve,
)
from tests.commands.conftest import Scenario, citizen_id
from tests.deploy.sandbox import RunResult

FAMILIES = ["budget", "decisions", "procurement"]
DERIVED = {"procurement": ["procurement_ocds", "procurement_red_flags"]}
UPSTREAM = {
    **{f"clean_{f}": [f"raw_{f}"] for f in FAMILIES},
    "published_budget": ["clean_budget"],
    "published_decisions": ["clean_decisions"],
    "procurement_ocds": ["clean_procurement"],
    "procurement_red_flags": ["clean_procurement"],
    "published_procurement": ["clean_procurement", "procurement_red_flags", "procurement_ocds"],
}
PORTAL = "http://portal.test"


def published(*families: str) -> dict[str, dict[str, object]]:
    """Materializations of raw, clean and published for these families."""
    facts: dict[str, dict[str, object]] = {}
    for family in families:
        facts[f"raw_{family}"] = {"files": 1}
        facts[f"clean_{family}"] = {"rows": 10}
        facts[f"published_{family}"] = {"dataset_url": f"{PORTAL}/dataset/a-{family}"}
    return facts


def by_step(outcomes: list[Outcome]) -> dict[str, Outcome]:
    return {outcome.step: outcome for outcome in outcomes}


def test_a_publish_step_skipped_for_a_failed_ocds_export_is_failed_with_its_cause() -> None:
    materialized = published("budget", "decisions")
    materialized |= {"raw_procurement": {}, "clean_procurement": {}, "procurement_red_flags": {}}
    facts = RunFacts(
        materialized=materialized,
        failed={"procurement_ocds": StepFailure("release-schema.json is not valid JSON")},
    )
    rows = by_step(agency_outcomes("a", facts, FAMILIES, DERIVED, UPSTREAM))

    assert list(rows) == [*FAMILIES, "OCDS package", "red flags"]
    assert rows["procurement"].status is Status.FAILED
    assert rows["procurement"].detail == (
        "not published because procurement_ocds failed: release-schema.json is not valid JSON"
    )
    assert rows["procurement"].url is None
    assert rows["OCDS package"].status is Status.FAILED
    assert rows["OCDS package"].detail.startswith("procurement_ocds failed: release-schema")
    # the red flags were computed, but not published either
    assert rows["red flags"].status is Status.FAILED
    assert "not published because procurement_ocds failed" in rows["red flags"].detail
    assert rows["budget"].status is Status.PUBLISHED
    assert rows["budget"].url == f"{PORTAL}/dataset/a-budget"


def test_awaiting_data_reaches_the_family_and_what_derives_from_it() -> None:
    facts = RunFacts(
        materialized=published("budget", "decisions"),
        observed={"raw_procurement": {"status": AWAITING_DATA, "reason": "no file received yet"}},
    )
    rows = by_step(agency_outcomes("a", facts, FAMILIES, DERIVED, UPSTREAM))
    for step in ("procurement", "OCDS package", "red flags"):
        assert rows[step].status is Status.AWAITING, step
        assert rows[step].detail == "no file received yet"
    assert rows["decisions"].status is Status.PUBLISHED


def test_a_blocking_check_blocks_with_its_sentence_and_report() -> None:
    facts = RunFacts(
        materialized={**published("budget", "procurement"), "raw_decisions": {}},
        checks=[
            CheckResult("clean_decisions", "schema", True, {"status": "passed"}),
            CheckResult(
                "clean_decisions",
                "privacy",
                False,
                {"findings_by_kind": {"phone": 2, "citizen_id": 1}, "report": "/v/report.html"},
            ),
        ],
        failed={"clean_decisions": StepFailure("1 blocking asset check failed")},
    )
    facts.materialized["clean_decisions"] = {}
    rows = by_step(agency_outcomes("a", facts, FAMILIES, DERIVED, UPSTREAM))
    assert rows["decisions"].status is Status.BLOCKED
    assert rows["decisions"].detail == "privacy check: personal data found (citizen_id 1, phone 2)"
    assert rows["decisions"].report == "/v/report.html"
    assert rows["procurement"].status is Status.PUBLISHED


def test_an_unreadable_file_blocks_and_a_failure_of_ours_fails() -> None:
    facts = RunFacts(
        materialized={"raw_budget": {}, "raw_decisions": {}},
        failed={
            "clean_budget": StepFailure(
                "budget_2568.csv, row 18: file ends inside a quoted cell", True
            ),
            "clean_decisions": StepFailure("disk full"),
        },
    )
    budget = resolve("published_budget", facts, UPSTREAM)
    assert budget.status is Status.BLOCKED
    assert budget.detail == (
        "the file could not be taken in: budget_2568.csv, row 18: file ends inside a quoted cell"
    )
    decisions = resolve("published_decisions", facts, UPSTREAM)
    assert decisions.status is Status.FAILED
    assert decisions.detail == "not published because clean_decisions failed: disk full"


def test_quarantine_withheld_and_the_report() -> None:
    facts = RunFacts(
        materialized={
            **published("procurement"),
            "procurement_ocds": {"status": "withheld", "reason": "the OCDS schema is offline"},
            "procurement_red_flags": {"flags": 3},
        },
        checks=[
            CheckResult(
                "clean_procurement",
                "schema",
                True,
                {"status": "quarantined", "invalid_rows": 2, "report": "/v/p.html"},
            )
        ],
    )
    rows = by_step(agency_outcomes("a", facts, ["procurement"], DERIVED, UPSTREAM))
    assert rows["procurement"].status is Status.QUARANTINE
    assert rows["procurement"].detail.startswith("2 invalid row(s) left out")
    assert rows["procurement"].report == "/v/p.html"
    assert rows["OCDS package"].status is Status.WITHHELD
    assert rows["OCDS package"].detail == "the OCDS schema is offline"
    assert rows["red flags"].status is Status.PUBLISHED
    assert rows["red flags"].url == f"{PORTAL}/dataset/a-procurement"

    report = report_outcome(
        RunFacts(failed={"ogp_readiness_report": StepFailure("methodology.yaml: not a mapping")}),
        {"ogp_readiness_report": []},
    )
    assert (report.scope, report.step, report.status) == (CATALOG, "readiness report", "failed")
    assert report.detail == "ogp_readiness_report failed: methodology.yaml: not a mapping"


def test_a_run_that_never_reached_its_steps_fails_every_one() -> None:
    facts = RunFacts(run_error="resource ckan_publisher: the token holds a control character")
    rows = catalog_outcomes(facts, {"clean_agencies": ["raw_agencies"]}, PORTAL)
    assert [(r.step, r.status) for r in rows] == [
        ("agency registry", Status.FAILED),
        ("organizations", Status.FAILED),
    ]
    assert all("token holds a control character" in r.detail for r in rows)
    assert all(r.url is None for r in rows)  # nothing to look at on the portal


def test_failures_come_first_and_the_exit_code_follows_the_worst() -> None:
    def row(status: Status) -> Outcome:
        return Outcome("a", str(status), status)

    stops = (Status.FAILED, Status.INTERRUPTED)
    summary = RunSummary(outcomes=[row(s) for s in reversed(Status) if s not in stops])
    assert [o.status for o in summary.ordered()][:3] == [Status.BUSY, Status.BLOCKED, "withheld"]
    assert summary.ordered()[-1].status is Status.PUBLISHED
    summary.busy = []
    summary.outcomes = [o for o in summary.outcomes if o.status is not Status.BUSY]
    assert summary.exit_code == 0  # blocked, withheld, awaiting data: normal outcomes
    summary.busy = ["agency_job[a]: busy"]
    assert summary.exit_code == EXIT_BUSY
    summary.outcomes.append(row(Status.FAILED))
    assert summary.ordered()[0].status is Status.FAILED
    assert summary.exit_code == 1


# --- facts read from real Dagster events ----------------------------------------------------


class OcdsSchemaError(Exception):
    pass


def test_facts_from_real_events_name_the_step_and_the_cause_without_class_path() -> None:
    @dg.asset(output_required=False)
    def raw_budget(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
        context.log_event(
            dg.AssetObservation(asset_key="raw_budget", metadata={"status": AWAITING_DATA})
        )
        yield from ()

    @dg.asset(deps=[raw_budget])
    def clean_budget() -> None:
        pass

    @dg.asset
    def procurement_ocds() -> None:
        try:
            raise ValueError("Expecting value: line 1 column 1 (char 0)")
        except ValueError as error:
            raise OcdsSchemaError(f"release-schema.json is not valid JSON: {error}") from error

    @dg.asset(deps=[procurement_ocds])
    def published_procurement() -> None:
        pass

    result = dg.materialize(
        [raw_budget, clean_budget, procurement_ocds, published_procurement],
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    facts = facts_from_events(result.all_events)
    assert facts.observed["raw_budget"]["status"] == AWAITING_DATA
    assert "raw_budget" not in facts.materialized
    assert facts.failed["procurement_ocds"] == StepFailure(
        "release-schema.json is not valid JSON: Expecting value: line 1 column 1 (char 0)"
    )
    upstream = {"clean_budget": ["raw_budget"], "published_procurement": ["procurement_ocds"]}
    assert resolve("clean_budget", facts, upstream).status is Status.AWAITING
    skipped = resolve("published_procurement", facts, upstream)
    assert skipped.detail.startswith("not published because procurement_ocds failed: release")
    assert "OcdsSchemaError" not in skipped.detail
    assert "Traceback" not in skipped.detail


def test_a_failed_blocking_check_from_real_events_blocks() -> None:
    @dg.asset(check_specs=[dg.AssetCheckSpec("privacy", asset="clean_decisions", blocking=True)])
    def clean_decisions() -> dg.MaterializeResult:
        return dg.MaterializeResult(
            check_results=[
                dg.AssetCheckResult(
                    check_name="privacy",
                    passed=False,
                    metadata={"findings_by_kind": {"email": 1}, "report": "/v/d.html"},
                )
            ]
        )

    @dg.asset(deps=[clean_decisions])
    def published_decisions() -> None:
        pass

    result = dg.materialize(
        [clean_decisions, published_decisions],
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    facts = facts_from_events(result.all_events)
    state = resolve("published_decisions", facts, {"published_decisions": ["clean_decisions"]})
    assert state.status is Status.BLOCKED
    assert state.detail == "privacy check: personal data found (email 1)"
    assert state.report == "/v/d.html"


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (KeyError("agency"), "'agency'"),
        (RuntimeError("portal kept answering 429 for 60 s"), "portal kept answering 429 for 60 s"),
    ],
)
def test_root_cause_is_one_line_without_class_path(raised: Exception, expected: str) -> None:
    @dg.asset
    def step() -> None:
        raise raised

    result = dg.materialize([step], instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    (failure,) = result.get_step_failure_events()
    assert failure.step_failure_data.error is not None
    assert root_cause(failure.step_failure_data.error) == expected


# --- the real pipeline: `ogp run` on a sandbox catalog, the real portal ---------------------

FAMILY_STEPS = ["budget", "decisions", "procurement", "OCDS package", "red flags"]


def expected_rows(scenario: Scenario) -> set[tuple[str, str]]:
    """Every partition of every family the sandbox's contracts hold (the data-only families
    too: awaiting data for these agencies), and the catalog's own steps."""
    agencies = scenario.sandbox.agencies
    catalog = {(CATALOG, s) for s in ("agency registry", "organizations", "readiness report")}
    data_only = [f for f in scenario.sandbox.families if f not in FAMILIES]
    steps = [*FAMILY_STEPS, *data_only]
    return catalog | {(agency, step) for agency in agencies for step in steps}


def assert_failures_first(run: RunResult) -> None:
    ranks = [list(Status).index(Status(o["status"])) for o in run.summary["outcomes"]]
    assert ranks == sorted(ranks), [o["status"] for o in run.summary["outcomes"]]


@pytest.mark.portal
@pytest.mark.slow
@pytest.mark.timeout(1900)
def test_failed_ocds_and_report_awaiting_and_blocked_each_have_their_status(
    scenario: Scenario,
) -> None:
    run = scenario.broken
    assert run.code == 1, run.console[-3000:]
    assert run.summary["exit_code"] == 1
    rows = {(o["scope"], o["step"]) for o in run.summary["outcomes"]}
    assert rows == expected_rows(scenario)  # every partition, published or not
    assert_failures_first(run)

    for agency in scenario.sandbox.agencies:
        ocds = run.row(agency, "OCDS package")
        assert ocds["status"] == "failed"
        assert ocds["detail"].startswith("procurement_ocds failed: ")
        assert "the OCDS schema is unusable" in ocds["detail"]
        # the integrity step materializes the failed export: procurement is published without it
        procurement = run.row(agency, "procurement")
        assert procurement["status"] in {"published", "published with quarantine"}
        assert run.row(agency, "budget")["status"] in {"published", "published with quarantine"}
    for detail in (o["detail"] for o in run.summary["outcomes"]):
        assert "Traceback" not in detail
        assert "Error:" not in detail  # no class path (pkg.module.SomeError: ...)

    awaiting = run.row(scenario.awaiting, "decisions")
    assert awaiting["status"] == "awaiting data"
    assert awaiting["detail"].startswith("no file received yet")
    blocked = run.row(scenario.blocked, "decisions")
    assert blocked["status"] == "blocked"
    assert blocked["detail"].startswith("privacy check: personal data found (")
    assert "citizen_id" in blocked["detail"]
    assert citizen_id() not in run.console  # the finding, never the value
    assert Path(blocked["report"]).is_file()

    report = run.row(CATALOG, "readiness report")
    assert report["status"] == "failed"
    assert report["detail"].startswith("ogp_readiness_report failed: ")
    assert report["url"] is None
    assert run.row(CATALOG, "organizations")["status"] == "published"


@pytest.mark.portal
@pytest.mark.slow
@pytest.mark.timeout(1900)
def test_blocked_and_awaiting_data_are_normal_outcomes_exit_code_0(
    scenario: Scenario, ckan: ckanapi.RemoteCKAN
) -> None:
    run = scenario.repaired
    assert run.code == 0, run.console[-3000:]
    assert run.summary["exit_code"] == 0
    assert {(o["scope"], o["step"]) for o in run.summary["outcomes"]} == expected_rows(scenario)
    assert_failures_first(run)
    statuses = {(o["scope"], o["step"]): o["status"] for o in run.summary["outcomes"]}
    assert "failed" not in statuses.values()
    assert statuses[(scenario.awaiting, "decisions")] == "awaiting data"
    assert statuses[(scenario.blocked, "decisions")] == "blocked"
    for agency in scenario.sandbox.agencies:
        assert statuses[(agency, "OCDS package")] == "published"
        procurement = run.row(agency, "procurement")
        assert procurement["status"] in {"published", "published with quarantine"}
        assert procurement["url"].endswith(f"/dataset/{agency}-procurement")
        # the rows say published because the portal has it
        assert ckan.action.package_show(id=f"{agency}-procurement")["resources"]
    assert statuses[(CATALOG, "readiness report")] == "published"
    # the agency awaiting decisions has no decisions dataset, and its other families went on
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id=f"{scenario.awaiting}-decisions")
    assert statuses[(scenario.awaiting, "budget")] in {"published", "published with quarantine"}
    for agency in scenario.sandbox.agencies:  # no drop of a data-only family: a normal state
        assert statuses[(agency, "asset_declarations")] == "awaiting data"
