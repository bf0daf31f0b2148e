"""Indicators (pure computation) from portal snapshots and local facts, against hand-counted
values: denominators are the partitions received (awaiting data counted apart), shares carry
n/N, timeliness comes from the newest record, evidence is the portal's."""

from __future__ import annotations

import inspect
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from pipelines.layout import integrity_files, report_json_path
from pipelines.readiness import indicators
from pipelines.readiness.facts import Freshness, LocalOutputs, RedFlagSummary, ValidationSummary
from pipelines.readiness.figures import Figure
from pipelines.readiness.indicators import compute_indicators
from pipelines.readiness.local_reader import read_local_outputs
from pipelines.readiness.methodology import OgpConfig
from pipelines.readiness.red_flag_rate import red_flag_figures

from .conftest import AS_OF, PORTAL, REPO_ROOT, dataset, no_local, organization, snapshot

BUDGET_ITEMS, PROCUREMENT_ITEMS = 2, 4  # OIT items per family in the methodology


def values(figures: dict) -> dict:
    return {key: f.value for key, f in figures.items()}


def counts(figure: Figure) -> tuple[int | None, int | None, str]:
    return figure.numerator, figure.denominator, figure.status


def fresh(newest: date | None, frequency: str = "monthly", allowed: int | None = 46) -> Freshness:
    return Freshness(
        newest=newest, field="announce_date", frequency=frequency, allowed_days=allowed
    )


def test_oit_items_per_family(config: OgpConfig) -> None:
    families = [item.family for item in config.methodology.oit.items]
    assert (families.count("budget"), families.count("procurement")) == (
        BUDGET_ITEMS,
        PROCUREMENT_ITEMS,
    )


def test_agency_figures_from_the_portal_only(config: OgpConfig) -> None:
    snap = snapshot(
        [organization("dga"), organization("cgd")],
        [
            dataset(
                "dga",
                "procurement",
                [
                    ("procurement-2025.csv", "CSV", True),
                    ("procurement-2024.pdf", "PDF", False),
                    ("validation-report.json", "JSON", False),  # describes data: not counted
                ],
            ),
            dataset("dga", "budget", [("งบประมาณ 2568.xlsx", "XLSX", False)]),  # B.E. = FY2025
            dataset(
                "cgd", "procurement", [("procurement-2024.csv", "CSV", True)], licence_open=False
            ),
        ],
        {
            "dga-procurement": ValidationSummary(
                valid=True, privacy_findings=3, evidence=f"{PORTAL}/v1", status="passed"
            ),
            "cgd-procurement": ValidationSummary(
                valid=False, privacy_findings=1, evidence=f"{PORTAL}/v2", status="quarantined"
            ),
        },
    )
    result = compute_indicators(snap, no_local(), config.methodology, 2025, AS_OF)
    dga, cgd = (card.figures for card in result.agencies)
    # received: procurement and budget; decisions awaits data and is in no denominator
    assert (dga["partitions_received"].value, dga["partitions_awaiting"].value) == (2, 1)
    assert counts(dga["oit_coverage"]) == (6, 6, "provisional")  # the OIT mapping is unconfirmed
    # budget has no validation report anywhere: unknown, counted as not passed, provisional
    assert counts(dga["validation_pass_rate"]) == (1, 2, "provisional")
    assert dga["validation_pass_rate"].value == 0.5
    # no gate output: the newest record of neither is known; publication dates prove nothing
    assert counts(dga["timeliness"]) == (0, 2, "unknown")
    assert dga["timeliness"].value is None
    # procurement's only table is in the DataStore, budget's XLSX is not
    assert counts(dga["datastore_share"]) == (1, 2, "ok")
    assert dga["openness_stars_mean"].value == pytest.approx((3 + 1 + 2) / 3)
    # nothing was blocked; no mask counted in these reports
    assert counts(dga["partitions_blocked_personal_data"]) == (0, 2, "ok")
    assert dga["values_masked_before_publication"].value == 0
    assert dga["red_flag_rate"].value is None
    # in the score, the awaiting decisions partition counts 0 (validation 1/3, API 1/3)
    assert dga["score"].value == pytest.approx(
        0.3 * 1 + 0.2 * 0 + 0.2 * 1 / 3 + 0.15 * 2 / 5 + 0.15 * 1 / 3,
        abs=1e-4,  # 2 of 5 stars
    )
    assert dga["score"].status == "provisional"
    assert "Timeliness" in (dga["score"].note_en or "")
    # cgd's procurement is FY2024 only: no OIT item for FY2025
    assert counts(cgd["oit_coverage"]) == (0, 6, "provisional")
    assert cgd["openness_stars_mean"].value == 0.0
    # quarantined rows held back, the rest published: partial, counted as let through, named
    assert counts(cgd["validation_pass_rate"]) == (1, 1, "ok")
    assert cgd["validation_pass_rate"].note_en == "1 published with quarantined rows (partial)"
    overall = result.overall
    assert overall["agencies_total"].value == 2
    assert counts(overall["oit_coverage"]) == (6, 12, "provisional")
    assert counts(overall["validation_pass_rate"]) == (2, 3, "provisional")
    assert counts(overall["datastore_share"]) == (2, 3, "ok")
    assert overall["agencies_publishing_procurement"].value == 1
    assert overall["agencies_publishing_budget"].value == 1


def test_local_verdict_newest_record_and_masks(config: OgpConfig) -> None:
    # the portal still shows an earlier, valid report; the gate has since refused a new file
    local = LocalOutputs(
        validation={
            "procurement/dga": ValidationSummary(
                valid=False,
                privacy_findings=2,
                evidence="data/validation/procurement/dga/report.json",
                status="blocked",
                privacy_blocked=True,
                masked_values=1,
            ),
            "budget/dga": ValidationSummary(
                valid=True, privacy_findings=4, evidence="data/b.json", masked_values=4
            ),
        },
        red_flags={},
        freshness={
            "procurement/dga": fresh(None),
            "budget/dga": fresh(date(2025, 9, 30), "annually", 411),
        },
    )
    snap = snapshot(
        [organization("dga")],
        [
            dataset("dga", "procurement", [("p-2025.csv", "CSV", True)]),
            dataset("dga", "budget", [("b-2025.csv", "CSV", True)]),
        ],
        {
            "dga-procurement": ValidationSummary(
                valid=True, privacy_findings=0, evidence=f"{PORTAL}/r"
            )
        },
    )
    result = compute_indicators(snap, local, config.methodology, 2025, AS_OF)
    figures = result.agencies[0].figures
    # per family, for the commitments about one family: blocked procurement, timely budget
    overall = result.overall
    assert counts(overall["timeliness_procurement"]) == (0, 1, "ok")
    assert counts(overall["timeliness_budget"]) == (1, 1, "ok")
    assert counts(overall["timeliness_decisions"]) == (0, 0, "unknown")  # awaiting data
    assert overall["timeliness_budget"].label_en == (
        "Timeliness of updates: Budget allocations and disbursements"
    )
    # the latest verdict decides; its evidence stays the portal's page, never a local path
    assert counts(figures["validation_pass_rate"]) == (1, 2, "ok")
    assert f"{PORTAL}/r" in figures["validation_pass_rate"].evidence
    assert not [e for e in figures["validation_pass_rate"].evidence if e.startswith("data/")]
    # blocked procurement: not timely, not served by the API, its OIT items not met
    # budget: FY2025 ends 2025-09-30, 107 days before AS_OF (2026-01-15) <= 366 + 45
    assert counts(figures["timeliness"]) == (1, 2, "ok")
    assert counts(figures["datastore_share"]) == (1, 2, "ok")
    assert counts(figures["oit_coverage"]) == (BUDGET_ITEMS, 6, "provisional")
    # personal data: one partition blocked for it; masks count only where data was published
    assert counts(figures["partitions_blocked_personal_data"]) == (1, 2, "ok")
    assert figures["values_masked_before_publication"].value == 4


def test_timeliness_is_the_newest_record_against_the_frequency(config: OgpConfig) -> None:
    def timeliness(
        newest: date, frequency: str, allowed: int
    ) -> tuple[int | None, int | None, str]:
        local = LocalOutputs(
            validation={
                "procurement/a": ValidationSummary(
                    valid=True, privacy_findings=0, evidence="x", status="passed"
                )
            },
            red_flags={},
            freshness={"procurement/a": fresh(newest, frequency, allowed)},
        )
        # published today: metadata_modified is AS_OF itself
        snap = snapshot(
            [organization("a")], [dataset("a", "procurement", [("p-2025.csv", "CSV", True)])]
        )
        card = compute_indicators(snap, local, config.methodology, 2025, AS_OF).agencies[0]
        return counts(card.figures["timeliness"])

    today = AS_OF.date()
    assert timeliness(today - timedelta(days=46), "monthly", 46) == (1, 1, "ok")
    assert timeliness(today - timedelta(days=47), "monthly", 46) == (0, 1, "ok")
    assert timeliness(today - timedelta(days=450), "monthly", 46) == (0, 1, "ok")
    assert timeliness(today - timedelta(days=300), "annually", 411) == (1, 1, "ok")


def test_red_flags_with_counts_and_portal_evidence(config: OgpConfig) -> None:
    def summary(projects: int, flagged: int) -> RedFlagSummary:
        return RedFlagSummary(
            projects=projects, flagged_projects=flagged, evidence="x", published_rows=projects
        )

    local = LocalOutputs(
        validation={},
        red_flags={"dga": summary(5, 2), "cgd": summary(10, 1), "mof": summary(4, 1)},
    )
    snap = snapshot(
        [organization("dga"), organization("cgd"), organization("doh")],
        [dataset("dga", "procurement", [("red-flags.csv", "CSV", False)])],
    )
    result = compute_indicators(snap, local, config.methodology, 2025, AS_OF)
    cards = {card.agency: card.figures for card in result.agencies}
    assert counts(cards["dga"]["red_flag_rate"]) == (2, 5, "ok")
    page = f"{PORTAL}/dataset/dga-procurement/resource/dga-procurement-red-flags-csv"
    assert cards["dga"]["red_flag_rate"].evidence == [page]
    # no red-flags.csv on the portal: the agency's page, and provisional (red_flag_rate's rule)
    assert cards["cgd"]["red_flag_rate"].evidence == [f"{PORTAL}/organization/cgd"]
    assert counts(cards["cgd"]["red_flag_rate"]) == (1, 10, "provisional")
    # no red-flag summary: unknown, never zero
    assert cards["doh"]["red_flag_rate"].value is None
    assert cards["doh"]["red_flag_rate"].status == "unknown"
    # only agencies on the portal count (mof has no organization there)
    assert counts(result.overall["red_flag_rate"]) == (3, 15, "provisional")
    assert result.overall["agencies_with_red_flags"].value == 2


def test_the_red_flag_rate_has_one_owner(config: OgpConfig, tmp_path: Path) -> None:
    """R3: indicators.py and red_flag_rate.py both computed the rate; the report showed the
    latter's. Now the scorecards carry red_flag_rate's own figures, equal to what it computes
    from the data folder: hand-counted, a quarantined flagged project in the numerator."""
    for agency, flagged, screened, hidden in (("aaa", 2, 10, ["67000000007"]), ("bbb", 1, 5, [])):
        path = integrity_files(tmp_path, agency).flags_json
        path.parent.mkdir(parents=True)
        rate = {
            "flagged_projects": flagged,
            "screened_rows": screened,
            "published_rows": screened - len(hidden),
            "flagged_not_published": hidden,
        }
        path.write_text(json.dumps({"flags": [], "rate": rate}), encoding="utf-8")
    report = report_json_path(tmp_path, "procurement", "ccc")  # received, blocked
    report.parent.mkdir(parents=True)
    report.write_text('{"status": "blocked", "valid": false, "publishable": false}', "utf-8")
    snap = snapshot(
        [organization(a) for a in ("aaa", "bbb", "ccc")],
        [dataset("aaa", "procurement", [("red-flags.csv", "CSV", False)])],
    )
    local = read_local_outputs(tmp_path, datasets_dir=REPO_ROOT / "datasets", as_of=AS_OF.date())
    result = compute_indicators(snap, local, config.methodology, 2025, AS_OF)
    owner = red_flag_figures(snap, tmp_path)
    assert result.overall["red_flag_rate"] == owner["red_flag_rate"]
    assert result.overall["agencies_with_red_flags"] == owner["agencies_with_red_flags"]
    for card in result.agencies:
        assert card.figures["red_flag_rate"] == owner[f"red_flag_rate_{card.agency}"]
    assert counts(result.overall["red_flag_rate"]) == (3, 15, "provisional")
    aaa = next(c for c in result.agencies if c.agency == "aaa").figures["red_flag_rate"]
    assert "67000000007" in (aaa.note_en or "")
    assert "received but not computed: ccc" in (result.overall["red_flag_rate"].note_en or "")
    # the counts of the rate are read in red_flag_rate alone
    assert "flagged_projects" not in inspect.getsource(indicators)


def test_an_agency_with_nothing_received(config: OgpConfig) -> None:
    snap = snapshot([organization("empty")], [])
    figures = (
        compute_indicators(snap, no_local(), config.methodology, 2025, AS_OF).agencies[0].figures
    )
    # awaiting data everywhere: no pass, no fail, no value; the agency's page is the evidence
    assert figures["partitions_awaiting"].value == 3
    for key in ("timeliness", "validation_pass_rate", "datastore_share"):
        assert counts(figures[key]) == (0, 0, "unknown")
        assert figures[key].value is None
        assert figures[key].evidence == [f"{PORTAL}/organization/empty"]
    assert figures["score"].value == 0


FY, GOOD, BAD = 2026, "passed", "blocked"
NEWEST = {
    "budget": date(2026, 9, 30),
    "procurement": date(2026, 1, 10),
    "decisions": date(2026, 1, 14),
}
FIELDS = {"budget": ("yearly", 411), "procurement": ("monthly", 46), "decisions": ("daily", 8)}


def _three_agencies(config: OgpConfig, red_flags: dict | None = None):
    """full: three families passed; blocked: its procurement refused (the older version still
    online); silent: procurement never sent. Same files otherwise."""
    plan = {"full": dict.fromkeys(FIELDS, GOOD), "blocked": {**dict.fromkeys(FIELDS, GOOD)}}
    plan["blocked"]["procurement"] = BAD
    plan["silent"] = {"budget": GOOD, "decisions": GOOD}
    validation, freshness, datasets = {}, {}, []
    for agency, families in plan.items():
        for family, status in families.items():
            validation[f"{family}/{agency}"] = ValidationSummary(
                valid=status == GOOD, privacy_findings=0, evidence=f"{PORTAL}/x", status=status
            )
            frequency, allowed = FIELDS[family]
            freshness[f"{family}/{agency}"] = Freshness(
                newest=NEWEST[family], field="d", frequency=frequency, allowed_days=allowed
            )
            datasets.append(dataset(agency, family, [(f"{family}-{FY}.csv", "CSV", True)]))
    local = LocalOutputs(validation=validation, red_flags=red_flags or {}, freshness=freshness)
    snap = snapshot([organization(a) for a in plan], datasets)
    return compute_indicators(snap, local, config.methodology, FY, AS_OF)


def test_sending_nothing_scores_no_better_than_being_blocked(config: OgpConfig) -> None:
    result = _three_agencies(config)
    cards = {card.agency: card.figures for card in result.agencies}
    # the figures keep awaiting apart: silent is 2/2 on the partition shares
    assert counts(cards["silent"]["validation_pass_rate"]) == (2, 2, "ok")
    assert cards["silent"]["partitions_awaiting"].value == 1
    # the score counts the awaiting partition 0: 0.30 x 2/6 + 0.20 x 2/3 + 0.20 x 2/3
    # + 0.15 x 3/5 (CSV is 3 of the 5 stars) + 0.15 x 2/3
    # = 0.1 + 0.1333 + 0.1333 + 0.09 + 0.1 = 0.5567 (was 0.8)
    assert cards["silent"]["score"].value == pytest.approx(0.5567)
    assert cards["blocked"]["score"].value == pytest.approx(0.5567)
    assert cards["silent"]["score"].value <= cards["blocked"]["score"].value
    assert cards["full"]["score"].value == pytest.approx(0.94)  # 1 - 0.15 x 2/5 (CSV: 3/5)
    assert "awaiting" in (cards["silent"]["score"].note_en or "")


def test_an_agency_whose_latest_file_was_blocked_is_not_publishing(config: OgpConfig) -> None:
    overall = _three_agencies(config).overall
    # blocked's procurement is still online (older version) but its latest file was refused
    assert overall["agencies_publishing_procurement"].value == 1
    assert overall["agencies_publishing_procurement"].evidence == [
        f"{PORTAL}/dataset/full-procurement"
    ]
    assert overall["agencies_blocked_procurement"].value == 1
    assert overall["agencies_publishing_budget"].value == 3


def test_red_flags_of_a_blocked_procurement_are_not_counted(config: OgpConfig) -> None:
    flags = {
        a: RedFlagSummary(projects=10, flagged_projects=3, evidence="x", published_rows=10)
        for a in ("full", "blocked")
    }
    result = _three_agencies(config, flags)
    overall = result.overall
    # blocked's red_flags.json is an earlier run's: the red-flag rate's rule leaves it out
    assert overall["agencies_with_red_flags"].value == 1
    assert overall["agencies_with_red_flags"].evidence == [f"{PORTAL}/dataset/full-procurement"]
    # red_flag_rate's rule: blocked was received but has no rate now, and full's red-flags.csv
    # is not on the portal: provisional, both named
    assert counts(overall["red_flag_rate"]) == (3, 10, "provisional")
    assert overall["red_flag_rate"].note_en == (
        "received but not computed: blocked; red-flag file not on the portal: full"
    )
    cards = {card.agency: card.figures for card in result.agencies}
    assert cards["blocked"]["red_flag_rate"].status == "unknown"


# --- one family's pass rate, and the commitment that reads it (R4 f10) ----------------------


def test_c1_1_reads_procurements_pass_rate_not_every_familys(config: OgpConfig) -> None:
    """8 agencies; procurement blocked for 2 (6 publishing, 6/8 let through), budget and
    decisions 8 of 8: every family 22/24 (91.7%) would call C1.1 (>= 6 publishing, pass rate
    >= 90%) done; procurement's 6/8 (75%) does not meet it."""
    from pipelines.readiness.scoring import assess_commitment

    ok = ValidationSummary(valid=True, privacy_findings=0, evidence="x", status="passed")
    blocked = ValidationSummary(valid=False, privacy_findings=0, evidence="x", status="blocked")
    agencies = [f"a{i}" for i in range(8)]
    families = ("budget", "procurement", "decisions")
    datasets = [dataset(a, f, [(f"{f}-2025.csv", "CSV", True)]) for a in agencies for f in families]
    validation = {f"{f}/{a}": ok for a in agencies for f in ("budget", "decisions")}
    validation |= {f"procurement/{a}": (blocked if a in ("a0", "a1") else ok) for a in agencies}
    result = compute_indicators(
        snapshot([organization(a) for a in agencies], datasets),
        LocalOutputs(validation=validation, red_flags={}),
        config.methodology,
        2025,
        AS_OF,
    )
    overall = result.overall
    assert counts(overall["validation_pass_rate"]) == (22, 24, "ok")
    assert counts(overall["validation_pass_rate_procurement"]) == (6, 8, "ok")
    assert overall["agencies_publishing_procurement"].value == 6
    assert counts(overall["validation_pass_rate_budget"]) == (8, 8, "ok")
    assert overall["validation_pass_rate_procurement"].label_en.startswith("Validation pass rate")
    c1 = next(c for c in config.commitments.commitments if c.id == "C1")
    assessed = assess_commitment(
        c1, overall, date(2026, 11, 30), config.methodology.irm, "http://x"
    )
    # due 2026-09-30, not met on 2026-11-30: overdue, never done
    assert {m.id: m.status for m in assessed.milestones}["C1.1"] == "overdue"


# --- the API share counts the agency's data tables, not the files derived from them (R4 f12) ---


@pytest.mark.parametrize(
    ("in_datastore", "expected"), [(True, (1, 1, "ok")), (False, (0, 1, "ok"))]
)
def test_the_api_share_ignores_derived_files(
    config: OgpConfig, in_datastore: bool, expected: tuple[int, int, str]
) -> None:
    ok = ValidationSummary(valid=True, privacy_findings=0, evidence="x", status="passed")
    resources = [
        ("procurement-fy2025.csv", "CSV", in_datastore),
        ("red-flags.csv", "CSV", False),  # derived by the integrity stage, never in the DataStore
        ("ocds-release-package.json", "JSON", False),  # derived too
        ("datapackage.json", "JSON", False),
    ]
    result = compute_indicators(
        snapshot([organization("aaa")], [dataset("aaa", "procurement", resources)]),
        LocalOutputs(validation={"procurement/aaa": ok}, red_flags={}),
        config.methodology,
        2025,
        AS_OF,
    )
    assert counts(result.overall["datastore_share"]) == expected


def test_the_derived_patterns_are_the_contracts_derived_resources(config: OgpConfig) -> None:
    from pipelines.contracts import load_specs

    derived = {r.name for spec in load_specs().values() for r in spec.derived_resources}
    assert derived  # the procurement contract derives red flags and OCDS
    assert set(config.methodology.portal.derived_resource_patterns) == derived
