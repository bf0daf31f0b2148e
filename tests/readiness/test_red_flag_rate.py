"""The red-flag rate from the integrity stage's ``rate`` (n flagged projects / N rows that passed
the schema), its evidence on the portal, and what makes it unknown or provisional."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.integrity.red_flags import NO_BIDS, load_flag_specs
from pipelines.layout import integrity_files, report_json_path, schema_valid_path
from pipelines.readiness.red_flag_rate import red_flag_figures

from .conftest import PORTAL, dataset, organization, snapshot

# how the integrity stage's population notes begin (pipelines/integrity/red_flags.py)
TOO_FEW, NO_SPREAD = "not computable (too few processes)", "not computable (no spread)"


def write_rate(data_dir: Path, agency: str, flagged: int, screened: int, hidden: list[str]) -> None:
    path = integrity_files(data_dir, agency).flags_json
    path.parent.mkdir(parents=True, exist_ok=True)
    rate = {
        "flagged_projects": flagged,
        "screened_rows": screened,
        "published_rows": screened - len(hidden),
        "flagged_not_published": hidden,
    }
    path.write_text(json.dumps({"flags": [], "summary": {}, "rate": rate}), encoding="utf-8")


def received(data_dir: Path, agency: str) -> None:
    path = report_json_path(data_dir, "procurement", agency)
    path.parent.mkdir(parents=True)
    path.write_text('{"status": "blocked", "valid": false, "publishable": false}', "utf-8")


@pytest.fixture
def figures(tmp_path: Path) -> dict:
    write_rate(tmp_path, "aaa", 2, 10, ["67000000007"])  # red-flags.csv on the portal
    write_rate(tmp_path, "bbb", 1, 5, [])  # dataset on the portal, the file is not
    received(tmp_path, "ccc")  # received, blocked now: an earlier run's rate is not read
    write_rate(tmp_path, "ccc", 4, 4, [])
    orgs = [organization(name) for name in ("aaa", "bbb", "ccc", "ddd")]
    datasets = [
        dataset("aaa", "procurement", [("red-flags.csv", "CSV", False)]),
        dataset("bbb", "procurement", [("procurement-2568.csv", "CSV", True)]),
        dataset("ccc", "procurement", []),
    ]
    return red_flag_figures(snapshot(orgs, datasets), tmp_path)


def test_an_agency_rate_is_n_over_the_rows_screened_with_the_portal_file(figures: dict) -> None:
    aaa = figures["red_flag_rate_aaa"]
    assert (aaa.ratio, aaa.value, aaa.status) == ("2/10", 0.2, "ok")
    assert aaa.evidence == [
        f"{PORTAL}/dataset/aaa-procurement/resource/aaa-procurement-red-flags-csv"
    ]
    assert "1 flagged project(s) quarantined by a business rule, not published: 67000000007" in (
        aaa.note_en or ""
    )
    assert "9 published" in (aaa.note_en or "")


def test_a_file_missing_from_the_portal_is_provisional(figures: dict) -> None:
    bbb = figures["red_flag_rate_bbb"]
    assert (bbb.ratio, bbb.status) == ("1/5", "provisional")
    assert bbb.evidence == [f"{PORTAL}/dataset/bbb-procurement"]


def test_received_without_a_rate_is_unknown_and_named_in_the_overall(figures: dict) -> None:
    assert (figures["red_flag_rate_ccc"].value, figures["red_flag_rate_ccc"].status) == (
        None,
        "unknown",
    )
    assert figures["red_flag_rate_ddd"].status == "unknown"
    overall = figures["red_flag_rate"]
    assert (overall.ratio, overall.status) == ("3/15", "provisional")
    assert overall.note_en == (
        "received but not computed: ccc; red-flag file not on the portal: bbb"
    )
    assert overall.note_th is not None


# --- a rate that is not of today's file or flag set, or misses flags (R4 f1, f2, f9) -------------


def write_screened(data_dir: Path, agency: str, rows: int) -> None:
    """The gate's schema_valid table (only its row count is read) and a passed verdict."""
    folder = report_json_path(data_dir, "procurement", agency).parent
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.table({"project_id": [f"p{i}" for i in range(rows)]})
    pq.write_table(table, schema_valid_path(data_dir, "procurement", agency))
    (folder / "report.json").write_text(
        '{"status": "passed", "valid": true, "publishable": true}', "utf-8"
    )


def add_to_flags_json(data_dir: Path, agency: str, **extra: object) -> None:
    path = integrity_files(data_dir, agency).flags_json
    document = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(document | extra), encoding="utf-8")


def current_flags() -> list[dict[str, str]]:
    return [{"id": spec.id} for spec in load_flag_specs()]


@pytest.fixture
def partial(tmp_path: Path) -> dict:
    # full: 2/10, every flag computed, the flag set of today's red_flags.yaml -> ok
    write_screened(tmp_path, "full", 10)
    write_rate(tmp_path, "full", 2, 10, [])
    add_to_flags_json(tmp_path, "full", flags=current_flags(), not_computable=[])
    # nobids: 1/10 but the bid flags were skipped (no bids table passed the gate)
    write_screened(tmp_path, "nobids", 10)
    write_rate(tmp_path, "nobids", 1, 10, [])
    add_to_flags_json(tmp_path, "nobids", not_computable=["R024", "R036"])
    # fewbids: bids passed, but R024 had too few processes and R036 no spread (issue 16)
    write_screened(tmp_path, "fewbids", 10)
    write_rate(tmp_path, "fewbids", 0, 10, [])
    reasons = {"R024": f"{TOO_FEW}: 2 process(es) ...", "R036": f"{NO_SPREAD}: Q1 = Q3 = 5"}
    flags = [f | {"not_computable_reason": reasons.get(f["id"], "")} for f in current_flags()]
    add_to_flags_json(tmp_path, "fewbids", flags=flags, not_computable=["R024", "R036"])
    # nobids2: the integrity stage's own reason for a missing bids table
    write_screened(tmp_path, "nobids2", 10)
    write_rate(tmp_path, "nobids2", 0, 10, [])
    only = [f | {"not_computable_reason": NO_BIDS * (f["id"] == "R024")} for f in current_flags()]
    add_to_flags_json(tmp_path, "nobids2", flags=only, not_computable=["R024"])
    # rows: today's gate passed 10 rows; red_flags.json is of an earlier 100-row file
    write_screened(tmp_path, "rows", 10)
    write_rate(tmp_path, "rows", 2, 100, [])
    # oldset: same rows, but written by an earlier set of flags
    write_screened(tmp_path, "oldset", 10)
    write_rate(tmp_path, "oldset", 1, 10, [])
    add_to_flags_json(tmp_path, "oldset", flags=[{"id": "R003"}, {"id": "OLD-FLAG"}])
    names = ("full", "nobids", "rows", "oldset", "fewbids", "nobids2")
    orgs = [organization(name) for name in names]
    datasets = [dataset(name, "procurement", [("red-flags.csv", "CSV", False)]) for name in names]
    return red_flag_figures(snapshot(orgs, datasets), tmp_path)


def test_a_complete_current_rate_is_ok(partial: dict) -> None:
    full = partial["red_flag_rate_full"]
    assert (full.ratio, full.status) == ("2/10", "ok")
    assert "not computable" not in (full.note_en or "")


def test_flags_not_computable_make_the_rate_provisional_and_named(partial: dict) -> None:
    nobids = partial["red_flag_rate_nobids"]
    assert (nobids.ratio, nobids.status) == ("1/10", "provisional")
    assert "2 red flag(s) not computable" in (nobids.note_en or "")
    assert "R024, R036" in (nobids.note_en or "")
    assert "R024, R036" in (nobids.note_th or "")


def test_a_rate_of_an_earlier_file_is_unknown_not_its_old_ratio(partial: dict) -> None:
    rows = partial["red_flag_rate_rows"]
    assert (rows.value, rows.ratio, rows.status) == (None, None, "unknown")
    assert "earlier file (100 rows; the current file has 10)" in (rows.note_en or "")


def test_a_rate_of_an_earlier_flag_set_is_unknown(partial: dict) -> None:
    oldset = partial["red_flag_rate_oldset"]
    assert (oldset.value, oldset.status) == (None, "unknown")
    assert "earlier set of red flags" in (oldset.note_en or "")


def test_the_overall_rate_counts_only_current_rates_and_is_provisional(partial: dict) -> None:
    overall = partial["red_flag_rate"]
    # full 2/10 + nobids 1/10; rows and oldset are unknown, named as received without a rate
    # + fewbids 0/10 + nobids2 0/10
    assert (overall.ratio, overall.status) == ("3/40", "provisional")
    assert "received but not computed: rows, oldset" in (overall.note_en or "")
    assert (overall.note_en or "").endswith(
        "some red flags not computable (the flags and reasons in each agency's rate), "
        "agency: nobids, fewbids, nobids2"
    )
    assert (overall.note_th or "").endswith("หน่วยงาน: nobids, fewbids, nobids2")
    nobids = partial["red_flag_rate_nobids"]
    assert "(R024, R036: no reason recorded in red_flags.json)" in (nobids.note_en or "")


def test_each_flag_not_computed_is_named_with_red_flags_json_reason(partial: dict) -> None:
    """Since issue 16 a flag is also not computable with too few processes or no spread: the
    note gives the reason red_flags.json records, never "without a bids table" for all."""
    few = partial["red_flag_rate_fewbids"]
    assert (few.ratio, few.status) == ("0/10", "provisional")
    assert few.note_en is not None
    assert few.note_en.endswith(
        "; 2 red flag(s) not computable (R024: too few processes; R036: no spread): "
        "the true rate may be higher"
    )
    assert "bids table" not in few.note_en
    assert "R024: มีกระบวนการจัดซื้อน้อยเกินไป; R036: ราคาเสนอไม่กระจาย (Q1 = Q3)" in (few.note_th or "")
    two = partial["red_flag_rate_nobids2"]
    assert "(R024: no bids table that passed the gate)" in (two.note_en or "")
