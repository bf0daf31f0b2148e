"""Timeliness from content (issue 15, item 3): the newest record's date against the contract's
update frequency plus grace (datasets/ogp/timeliness.yaml). A file of old records published
today is late; commitments that depend on timeliness follow the same figure.

The acceptance case runs against the real local portal: a procurement table published today
whose newest record is 15 months old, beside one whose newest record is 10 days old."""

from __future__ import annotations

import datetime as dt
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import ckanapi
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.contracts import load_specs
from pipelines.publish.client import CKANClient
from pipelines.readiness.facts import AgencyFamily, timely
from pipelines.readiness.indicators import compute_indicators
from pipelines.readiness.local_reader import read_local_outputs
from pipelines.readiness.methodology import Milestone, OgpConfig
from pipelines.readiness.portal_reader import read_portal
from pipelines.readiness.scoring import assess_milestone
from pipelines.readiness.timeliness import (
    due_period,
    is_future,
    is_timely,
    load_rules,
    period_is_timely,
    record_date,
)

from .conftest import AS_OF, OGP_DIR, REPO_ROOT, dataset, organization, snapshot
from .partition_fixtures import gate_output, publish, records

DATASETS = REPO_ROOT / "datasets"
SCHEMA_TYPE = {"date": "date", "fiscal_year": "integer", "calendar_year": "integer"}


def test_the_rules_name_real_fields_and_every_frequency() -> None:
    rules = load_rules(OGP_DIR)
    specs = load_specs(DATASETS)
    for family, content in rules.content.items():
        schema = json.loads((DATASETS / family / "schema.json").read_text(encoding="utf-8"))
        types = {f["name"]: f["type"] for f in schema["fields"]}
        assert types.get(content.field) == SCHEMA_TYPE[content.kind], family
        frequency = specs[family].ckan.update_frequency
        assert rules.allowed_days(frequency) is not None, family
    # reference data no schedule pulls is not assessed
    assert rules.allowed_days("as_needed") is None
    assert (rules.allowed_days("monthly"), rules.allowed_days("daily")) == (31 + 15, 1 + 7)
    assert rules.allowed_days("annually") == rules.allowed_days("yearly") == 366 + 45


def test_the_date_a_record_stands_for() -> None:
    assert record_date(date(2025, 3, 4), "date") == date(2025, 3, 4)
    assert record_date(datetime(2025, 3, 4, 23, 0), "date") == date(2025, 3, 4)
    # the Thai fiscal year 2025 (CE; B.E. 2568) runs October 2024 to 30 September 2025
    assert record_date(2025, "fiscal_year") == date(2025, 9, 30)
    assert record_date(2025, "calendar_year") == date(2025, 12, 31)
    with pytest.raises(TypeError):
        record_date("2025-03-04", "date")
    with pytest.raises(TypeError):
        record_date(True, "fiscal_year")


def test_the_boundary_of_timely() -> None:
    today = date(2026, 1, 15)
    assert is_timely(today - timedelta(days=46), today, 46)
    assert not is_timely(today - timedelta(days=47), today, 46)
    assert is_timely(today + timedelta(days=30), today, 46)  # a period not yet over


def test_the_local_reader_reads_the_newest_period_of_what_was_let_through(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    folder = data / "validation" / "budget" / "cgd"
    folder.mkdir(parents=True)
    report = {
        "status": "passed",
        "valid": True,
        "publishable": True,
        "publishable_table": "publishable.parquet",
        "counts": {"rows": 3, "published_rows": 3},
        "privacy": {"findings": []},
    }
    (folder / "report.json").write_text(json.dumps(report), encoding="utf-8")
    years = pa.array([2023, 2025, 2024], pa.int64())
    pq.write_table(pa.table({"fiscal_year": years}), folder / "publishable.parquet")
    procurement = records("procurement", date(2025, 7, 16), n=4)
    gate_output(data, "procurement", "cgd", procurement)

    local = read_local_outputs(data, datasets_dir=DATASETS)
    budget = local.freshness["budget/cgd"]
    assert (budget.newest, budget.field, budget.frequency) == (
        date(2025, 9, 30),
        "fiscal_year",
        "annually",
    )
    assert (budget.kind, budget.period, budget.due, budget.grace_days) == (
        "fiscal_year",
        2025,
        "start",
        45,
    )
    assert local.freshness["procurement/cgd"].newest == date(2025, 7, 16)
    assert local.freshness["procurement/cgd"].allowed_days == 46


def test_the_budget_due_on_a_report_date() -> None:
    """A budget is due at its fiscal year's start plus 45 days' grace: FY2027 begins on
    1 October 2026, so from 2026-11-15 (1 Oct + 45 days) the FY2027 budget is due."""
    rules = load_rules(OGP_DIR)
    assert (rules.content["budget"].due, rules.grace("annually")) == ("start", 45)
    assert due_period("fiscal_year", "start", date(2026, 11, 14), 45) == 2026
    assert due_period("fiscal_year", "start", date(2026, 11, 15), 45) == 2027
    assert due_period("fiscal_year", "start", date(2026, 12, 15), 45) == 2027
    # a year's actuals are due after it ends: FY2026 ends 30 Sep 2026, due from 2026-11-15
    assert due_period("fiscal_year", "end", date(2026, 11, 14), 45) == 2025
    assert due_period("fiscal_year", "end", date(2026, 11, 15), 45) == 2026
    # calendar years: due at the start, 2027 from 14 February 2027 (1 Jan + 44 days = 14 Feb)
    assert due_period("calendar_year", "start", date(2027, 2, 13), 44) == 2026
    assert due_period("calendar_year", "start", date(2027, 2, 14), 44) == 2027
    assert not period_is_timely(2026, "fiscal_year", "start", date(2026, 12, 15), 45)
    assert period_is_timely(2027, "fiscal_year", "start", date(2026, 12, 15), 45)
    with pytest.raises(ValueError, match="no period"):
        due_period("date", "start", date(2026, 12, 15), 45)


@pytest.mark.parametrize(
    ("newest_year", "report_date", "expected"),
    [
        (2026, date(2026, 11, 14), True),  # the last day FY2026 is the budget due
        (2026, date(2026, 11, 15), False),  # FY2027's is due from here
        (2026, date(2026, 12, 15), False),  # in FY2027, the FY2026 budget is late
        (2027, date(2026, 12, 15), True),
        (2025, date(2026, 11, 14), False),  # FY2026 is due: FY2025 is a year late
    ],
)
def test_a_budget_is_timely_only_when_its_fiscal_year_is_the_one_due(
    tmp_path: Path, newest_year: int, report_date: date, expected: bool
) -> None:
    """R3 s2: a fiscal year dated by its last day (30 September) plus 366 + 45 days called the
    FY2026 budget timely until 2027-11-14. Read through the local reader and the facts' rule."""
    data = tmp_path / "data"
    folder = data / "validation" / "budget" / "cgd"
    folder.mkdir(parents=True)
    report = {
        "status": "passed",
        "valid": True,
        "publishable": True,
        "publishable_table": "publishable.parquet",
        "counts": {"rows": 2, "published_rows": 2},
        "privacy": {"findings": []},
    }
    (folder / "report.json").write_text(json.dumps(report), encoding="utf-8")
    years = pa.array([newest_year - 1, newest_year], pa.int64())
    pq.write_table(pa.table({"fiscal_year": years}), folder / "publishable.parquet")
    local = read_local_outputs(data, datasets_dir=DATASETS, as_of=report_date)
    fresh = local.freshness["budget/cgd"]
    assert fresh.period == newest_year
    part = AgencyFamily(
        family="budget", dataset=None, verdict=None, freshness=fresh, evidence="https://x.test"
    )
    as_of = datetime(report_date.year, report_date.month, report_date.day, tzinfo=UTC)
    assert timely(part, as_of) is expected


def test_a_record_after_the_report_date_is_future() -> None:
    today = date(2026, 1, 15)
    assert is_future(date(2026, 1, 16), "date", today)
    assert not is_future(date(2026, 1, 15), "date", today)
    # FY2026 (CE) began on 1 October 2025: under way, not future; FY2027 begins 1 October 2026
    assert not is_future(2026, "fiscal_year", today)
    assert is_future(2027, "fiscal_year", today)
    assert not is_future(2026, "calendar_year", today)
    assert is_future(2027, "calendar_year", today)


def test_a_record_dated_after_the_report_date_does_not_make_a_partition_timely(
    tmp_path: Path, config: OgpConfig
) -> None:
    """R3 A5a: the real records are 15 months old; two rows typed a year ahead are ignored for
    the newest record (and said in a note), so the monthly partition is late, not timely."""
    today = AS_OF.date()  # 2026-01-15
    data = tmp_path / "data"
    old = records("procurement", date(2024, 10, 15), n=3)
    typo = records("procurement", date(2027, 1, 10), n=2)  # 2027-01-10 and 2027-01-09
    for i, row in enumerate(typo):
        row["project_id"] = f"t{i}"
    gate_output(data, "procurement", "a", old + typo)

    fresh = read_local_outputs(data, datasets_dir=DATASETS, as_of=today).freshness["procurement/a"]
    assert (fresh.newest, fresh.future) == (date(2024, 10, 15), 2)
    snap = snapshot(
        [organization("a")], [dataset("a", "procurement", [("procurement-2026.csv", "CSV", True)])]
    )
    local = read_local_outputs(data, datasets_dir=DATASETS, as_of=today)
    result = compute_indicators(snap, local, config.methodology, 2026, AS_OF)
    figure = result.agencies[0].figures["timeliness"]
    # 2024-10-15 is 457 days before 2026-01-15 > 46 allowed (monthly): late
    assert (figure.numerator, figure.denominator, figure.value) == (0, 1, 0.0)
    assert figure.note_en == "2 records dated after the report date ignored"
    assert figure.note_th == "ไม่นับระเบียนที่ลงวันที่หลังวันที่รายงาน 2 รายการ"
    assert result.overall["timeliness_procurement"].note_en == figure.note_en

    # read without a report date: today's (after 2027-01-10 is still the future then)
    assert read_local_outputs(data, datasets_dir=DATASETS).freshness["procurement/a"].future == (
        2 if datetime.now(UTC).date() < date(2027, 1, 9) else 0
    )


# --- acceptance: published today, newest record 15 months old (real portal) ---------------


def fifteen_months_before(day: date) -> date:
    month = day.month - 15
    year = day.year + (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, min(day.day, 28))


@pytest.fixture(scope="module")
def published_today(
    ckan: ckanapi.RemoteCKAN,
    run_id: str,
    created: list[tuple[str, str]],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[str, str, Path, date]:
    stale, fresh = f"tl-{run_id}-stale", f"tl-{run_id}-fresh"
    today = datetime.now(UTC).date()
    data = tmp_path_factory.mktemp("timeliness") / "data"
    old = records("procurement", fifteen_months_before(today))
    new = records("procurement", today - timedelta(days=10))
    publish(ckan, created, stale, "procurement", old, 2025)
    publish(ckan, created, fresh, "procurement", new, 2025)
    gate_output(data, "procurement", stale, old)
    gate_output(data, "procurement", fresh, new)
    return stale, fresh, data, today


def test_old_records_published_today_are_not_timely(
    config: OgpConfig,
    ckan: ckanapi.RemoteCKAN,
    published_today: tuple[str, str, Path, date],
) -> None:
    stale, fresh, data, today = published_today
    public = CKANClient(ckan.address, None, timeout_s=60)
    snap = read_portal(public, config.methodology.portal, agencies=[stale, fresh])
    as_of = datetime.now(UTC)
    # both were published today: the publication timestamp says nothing about the content
    modified = {d.name: d.metadata_modified for d in snap.datasets}
    assert as_of - modified[f"{stale}-procurement"] < dt.timedelta(hours=6)
    local = read_local_outputs(data, datasets_dir=DATASETS)
    assert (today - local.freshness[f"procurement/{stale}"].newest).days > 365  # type: ignore[operator]
    result = compute_indicators(snap, local, config.methodology, 2025, as_of)
    cards = {card.agency: card.figures for card in result.agencies}
    late, timely = cards[stale]["timeliness"], cards[fresh]["timeliness"]
    assert (late.numerator, late.denominator, late.status, late.value) == (0, 1, "ok", 0.0)
    assert (timely.numerator, timely.denominator, timely.status, timely.value) == (1, 1, "ok", 1.0)
    assert late.evidence == [f"{ckan.address}/dataset/{stale}-procurement"]

    # a commitment milestone on timeliness reads the same figure: not done for the late agency
    milestone = Milestone.model_validate(
        {
            "id": "T1",
            "title_th": "ข้อมูลทันเวลา",
            "title_en": "Timely data",
            "due": today + timedelta(days=30),
            "target": "timeliness >= 80%",
            "evidence": [{"indicator": "timeliness", "op": ">=", "value": 0.8}],
        }
    )
    not_done = assess_milestone(milestone, cards[stale], today, "https://register.test")
    done = assess_milestone(milestone, cards[fresh], today, "https://register.test")
    assert (not_done.status, not_done.conditions[0].met) == ("pending", False)
    assert (done.status, done.conditions[0].met) == ("done", True)
    assert (not_done.conditions[0].numerator, not_done.conditions[0].denominator) == (0, 1)
