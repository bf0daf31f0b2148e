"""Honest denominators (issue 15, item 2): a partition received but blocked counts against its
agency; nothing received (awaiting data) is neither a pass nor a failure; every share carries
n/N; personal data blocked and personal data masked are separate figures.

The acceptance case runs against the real local portal: two agencies with identical
publications, one of which had its latest procurement file refused by the gate for personal
data (its earlier version stays online)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import ckanapi
import dagster as dg
import pytest

from pipelines.contracts import load_specs
from pipelines.contracts.models import FileSource, Sources
from pipelines.defs.pull import agency_partitions, build_clean_asset, build_raw_asset
from pipelines.publish.client import CKANClient
from pipelines.readiness.facts import GateStatus, LocalOutputs, ValidationSummary
from pipelines.readiness.figures import Figure, figure, label, register_labels, share
from pipelines.readiness.indicators import compute_indicators
from pipelines.readiness.local_reader import read_local_outputs
from pipelines.readiness.methodology import OgpConfig
from pipelines.readiness.portal_reader import read_portal
from pipelines.settings import get_settings

from .conftest import AS_OF, PORTAL, REPO_ROOT, dataset, organization, snapshot
from .partition_fixtures import gate_output, publish, records

AFFECTED = ("validation_pass_rate", "oit_coverage", "datastore_share", "timeliness", "score")
# As of 15 October 2025: FY2025 has just ended; the records below are days old.
TWIN_AS_OF = datetime(2025, 10, 15, tzinfo=UTC)
PROCUREMENT_NEWEST, DECISIONS_NEWEST = date(2025, 10, 1), date(2025, 10, 12)


def nn(f: Figure) -> tuple[int | None, int | None]:
    return f.numerator, f.denominator


# --- the figure shape ----------------------------------------------------------------------


def test_a_share_is_its_counts() -> None:
    assert share("timeliness", 3, 4, ["u"]).value == 0.75
    assert share("timeliness", 3, 4, ["u"]).ratio == "3/4"
    nothing = share("timeliness", 0, 0, ["u"])
    assert (nothing.value, nothing.status) == (None, "unknown")
    with pytest.raises(ValueError, match="is not 3/4"):
        Figure(
            key="k", label_th="k", label_en="k", value=0.5, unit="share", evidence=["u"],
            numerator=3, denominator=4,
        )  # fmt: skip
    with pytest.raises(ValueError, match="exceeds 1"):
        figure("timeliness", 1.0, "share", ["u"], numerator=5, denominator=4)
    with pytest.raises(ValueError, match="come together"):
        figure("timeliness", 1.0, "share", ["u"], numerator=5)
    with pytest.raises(ValueError, match="has no value"):
        figure("timeliness", 0.5, "share", ["u"], status="unknown")
    with pytest.raises(ValueError, match="needs status unknown"):
        figure("timeliness", None, "share", ["u"], status="ok")


def test_status_and_bilingual_notes() -> None:
    assert figure("agencies_total", 3, "count", ["u"]).status == "ok"
    assert figure("red_flag_rate", None, "share", ["u"]).status == "unknown"
    legacy = figure("cpi_latest", 35, "score", ["u"], note="2024")
    assert (legacy.note_en, legacy.note, legacy.note_th) == ("2024", "2024", None)
    dumped = figure("timeliness", 0.5, "share", ["u"], numerator=1, denominator=2).model_dump()
    assert {"numerator", "denominator", "status", "note_th", "note_en"} <= set(dumped)


def test_modules_register_their_labels() -> None:
    register_labels({"e2_test_figure": ("ตัวเลขทดสอบ", "Test figure")})
    register_labels({"e2_test_figure": ("ตัวเลขทดสอบ", "Test figure")})  # same again: fine
    assert label("e2_test_figure") == ("ตัวเลขทดสอบ", "Test figure")
    with pytest.raises(ValueError, match="already labelled"):
        register_labels({"e2_test_figure": ("อื่น", "Other")})
    with pytest.raises(ValueError, match="Thai and an English"):
        register_labels({"e2_untranslated": ("", "Only English")})
    with pytest.raises(KeyError, match="register it"):
        label("e2_never_registered")


# --- awaiting data is neither pass nor fail ------------------------------------------------


def summary(status: GateStatus, *, privacy_blocked: bool = False) -> ValidationSummary:
    return ValidationSummary(
        valid=status == "passed",
        privacy_findings=int(privacy_blocked),
        evidence="data/validation/x/report.json",
        status=status,
        privacy_blocked=privacy_blocked,
    )


def test_awaiting_data_is_neither_pass_nor_fail(config: OgpConfig) -> None:
    # a: procurement passed, budget and decisions awaiting; b: the same plus a blocked budget
    snap = snapshot(
        [organization("a"), organization("b")],
        [dataset(x, "procurement", [("procurement-2025.csv", "CSV", True)]) for x in "ab"],
    )
    local = LocalOutputs(
        validation={
            "procurement/a": summary("passed"),
            "procurement/b": summary("passed"),
            "budget/b": summary("blocked"),
        },
        red_flags={},
    )
    result = compute_indicators(snap, local, config.methodology, 2025, AS_OF)
    a, b = (card.figures for card in result.agencies)
    assert (a["partitions_received"].value, a["partitions_awaiting"].value) == (1, 2)
    assert (b["partitions_received"].value, b["partitions_awaiting"].value) == (2, 1)
    assert nn(a["validation_pass_rate"]) == (1, 1)
    assert a["validation_pass_rate"].value == 1.0
    assert nn(b["validation_pass_rate"]) == (1, 2)
    assert nn(a["datastore_share"]) == (1, 1)
    assert nn(b["datastore_share"]) == (1, 2)
    # OIT items are publications required whatever the reason: budget's 2 missing for both
    assert nn(a["oit_coverage"]) == nn(b["oit_coverage"]) == (4, 6)
    overall = result.overall
    assert nn(overall["validation_pass_rate"]) == (2, 3)
    assert overall["partitions_awaiting"].value == 3
    assert overall["agencies_blocked_budget"].value == 1
    assert overall["agencies_awaiting_budget"].value == 1
    assert overall["agencies_blocked_budget"].evidence == [f"{PORTAL}/organization/b"]


# --- acceptance: two agencies, identical but for one blocked partition (real portal) -----


@pytest.fixture(scope="module")
def twins(
    ckan: ckanapi.RemoteCKAN,
    run_id: str,
    created: list[tuple[str, str]],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[str, str, Path]:
    """Agencies ``tw-<run>-a`` and ``-b`` publish the same procurement and decisions tables;
    b's latest procurement file was then refused by the gate for a citizen ID."""
    good, blocked = f"tw-{run_id}-a", f"tw-{run_id}-b"
    data = tmp_path_factory.mktemp("twins") / "data"
    procurement = records("procurement", PROCUREMENT_NEWEST)
    decisions = records("decisions", DECISIONS_NEWEST)
    for agency in (good, blocked):
        publish(ckan, created, agency, "procurement", procurement, 2025)
        publish(ckan, created, agency, "decisions", decisions, 2025)
        gate_output(data, "decisions", agency, decisions, masked=2)
    gate_output(data, "procurement", good, procurement, masked=1)
    gate_output(data, "procurement", blocked, procurement, masked=1, blocked_for_personal_data=True)
    return good, blocked, data


def test_the_blocked_agency_scores_lower_on_every_affected_figure(
    config: OgpConfig, ckan: ckanapi.RemoteCKAN, twins: tuple[str, str, Path]
) -> None:
    good, blocked, data = twins
    public = CKANClient(ckan.address, None, timeout_s=60)  # anonymous: what the public sees
    # the twins as the registry: not every validation report of the shared portal
    snap = read_portal(public, config.methodology.portal, agencies=[good, blocked])
    local = read_local_outputs(data, datasets_dir=REPO_ROOT / "datasets")
    result = compute_indicators(snap, local, config.methodology, 2025, TWIN_AS_OF)
    cards = {card.agency: card.figures for card in result.agencies}
    a, b = cards[good], cards[blocked]

    # identical on the portal: same openness
    assert a["openness_stars_mean"].value == b["openness_stars_mean"].value == 3
    # received: procurement and decisions; budget awaits data (in no denominator)
    assert a["partitions_awaiting"].value == b["partitions_awaiting"].value == 1
    expected = {
        "validation_pass_rate": ((2, 2), (1, 2)),
        "timeliness": ((2, 2), (1, 2)),  # procurement 14 days (<= 46), decisions 3 (<= 8)
        "datastore_share": ((2, 2), (1, 2)),
        "oit_coverage": ((4, 6), (0, 6)),  # procurement's 4 items; b's refused file: none
    }
    for key, (for_a, for_b) in expected.items():
        assert (nn(a[key]), nn(b[key])) == (for_a, for_b), key
        # the shipped OIT mapping is unconfirmed: its coverage is provisional
        status = "provisional" if key == "oit_coverage" else "ok"
        assert a[key].status == b[key].status == status, key
    # in the score the awaiting budget partition counts 0 (partition shares over 3 expected);
    # openness: CSV is 3 of the 5 stars
    score_a = 0.3 * 4 / 6 + 0.2 * 2 / 3 + 0.2 * 2 / 3 + 0.15 * 3 / 5 + 0.15 * 2 / 3
    score_b = 0.3 * 0 + 0.2 * 1 / 3 + 0.2 * 1 / 3 + 0.15 * 3 / 5 + 0.15 * 1 / 3
    assert a["score"].value == pytest.approx(score_a, abs=1e-4)
    assert b["score"].value == pytest.approx(score_b, abs=1e-4)
    for key in AFFECTED:
        assert float(b[key].value or 0) < float(a[key].value or 0), key

    # personal data: the blocked partition, and the values masked in what was published
    assert (
        b["partitions_blocked_personal_data"].value,
        nn(b["partitions_blocked_personal_data"]),
    ) == (1, (1, 2))
    assert (
        a["partitions_blocked_personal_data"].value,
        nn(a["partitions_blocked_personal_data"]),
    ) == (0, (0, 2))
    assert a["values_masked_before_publication"].value == 1 + 2
    assert b["values_masked_before_publication"].value == 2  # the blocked file published nothing
    # evidence: portal pages only
    for f in (*a.values(), *b.values()):
        assert all(e.startswith(ckan.address) for e in f.evidence), f.key
    assert b["partitions_blocked_personal_data"].evidence == [
        f"{ckan.address}/dataset/{blocked}-procurement"
    ]


# --- a file received but not taken in counts as failed, not as awaiting data ---------------


@pytest.mark.timeout(600)
def test_a_file_that_cannot_be_read_counts_as_received_and_failed(
    config: OgpConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    agency = agency_partitions.get_partition_keys()[0]  # any registry agency: the folder is ours
    data = tmp_path / "data"
    drop = tmp_path / "drops" / agency / "procurement_2568.xlsx"
    drop.parent.mkdir(parents=True)
    drop.write_bytes(b"PK\x03\x04 not a workbook: cut off in transit")
    # an earlier verdict, from a file that passed
    gate_output(data, "procurement", agency, records("procurement", date(2025, 7, 1)))
    monkeypatch.setenv("OGP_DATA_DIR", str(data))
    get_settings.cache_clear()
    try:
        spec = load_specs()["procurement"].model_copy(
            update={"sources": Sources(default=FileSource(path=str(drop)))}
        )
        result = dg.materialize(
            [build_raw_asset(spec), build_clean_asset(spec)],
            partition_key=agency,
            raise_on_error=False,
        )
    finally:
        get_settings.cache_clear()
    assert not result.success
    report = json.loads(
        (data / "validation" / "procurement" / agency / "report.json").read_text("utf-8")
    )
    assert (report["status"], report["publishable"], len(report["reasons"])) == ("failed", False, 1)

    local = read_local_outputs(data, datasets_dir=REPO_ROOT / "datasets")
    verdict = local.validation[f"procurement/{agency}"]
    assert (verdict.status, verdict.blocked, verdict.privacy_blocked) == ("failed", True, False)
    assert local.freshness[f"procurement/{agency}"].newest is None
    snap = snapshot([organization(agency)], [])
    figures = compute_indicators(snap, local, config.methodology, 2025, AS_OF).agencies[0].figures
    assert (figures["partitions_received"].value, figures["partitions_awaiting"].value) == (1, 2)
    for key in ("validation_pass_rate", "timeliness", "datastore_share"):
        assert (nn(figures[key]), figures[key].value, figures[key].status) == ((0, 1), 0.0, "ok")


# --- personal data blocked in a family outside the scores (R4 f5) ---------------------------


def test_a_partition_blocked_in_an_unscored_family_is_counted_blocked(config: OgpConfig) -> None:
    ok = ValidationSummary(valid=True, privacy_findings=0, evidence="x", status="passed")
    blocked = ValidationSummary(
        valid=False, privacy_findings=1, evidence="x", status="blocked", privacy_blocked=True
    )
    families = ("budget", "procurement", "decisions")
    snap = snapshot(
        [organization("aaa"), organization("bbb")],
        [dataset("aaa", f, [(f"{f}-2025.csv", "CSV", True)]) for f in families]
        + [dataset("aaa", "asset_declarations", [("asset_declarations-2025.csv", "CSV", True)])],
    )
    validation = {f"{f}/aaa": ok for f in families}
    # aaa: its asset declarations and its bids refused for personal data; bbb: one bids file
    validation |= {
        "asset_declarations/aaa": blocked,
        "procurement_bids/aaa": blocked,
        "procurement_bids/bbb": ok,
    }
    local = LocalOutputs(validation=validation, red_flags={})
    result = compute_indicators(snap, local, config.methodology, 2025, AS_OF)
    overall = result.overall["partitions_blocked_personal_data"]
    # 2 blocked of the 6 partitions the gate judged (aaa: 3 scored + 2 others; bbb: 1)
    assert (overall.value, nn(overall)) == (2, (2, 6))
    assert nn(result.overall["privacy_incidents_blocked"]) == (2, 6)
    cards = {card.agency: card.figures for card in result.agencies}
    assert nn(cards["aaa"]["partitions_blocked_personal_data"]) == (2, 5)
    assert nn(cards["bbb"]["partitions_blocked_personal_data"]) == (0, 1)
    # evidence on the portal: the asset declarations dataset, else the organization page
    assert cards["aaa"]["partitions_blocked_personal_data"].evidence == [
        f"{PORTAL}/dataset/aaa-asset_declarations",
        f"{PORTAL}/organization/aaa",
    ]
    # the scored figures keep their own denominators (the three scored families)
    assert nn(cards["aaa"]["validation_pass_rate"]) == (3, 3)
