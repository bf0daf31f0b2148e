"""The committed demo drops: the generator is deterministic, and each planted defect shows up
where datasets/drops/README.md says it does (and nowhere else)."""

import hashlib
import importlib.util
import sys
from pathlib import Path

import pytest

from pipelines.contracts import FileSource, load_agencies, load_specs
from pipelines.normalize import NormalizeError, normalize_files
from pipelines.sources.file import matching_files

REPO = Path(__file__).resolve().parents[2]
DROPS = REPO / "datasets" / "drops"


def generator():
    spec = importlib.util.spec_from_file_location("bench_generate", REPO / "bench" / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def digests(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != "README.md"
    }


GENERATED = ("decisions_", "procurement_", "budget_")  # the families bench/generate.py writes
# (procurement_ covers procurement_bids_)


def test_generator_is_deterministic_and_matches_the_committed_drops(tmp_path):
    gen = generator()
    written = gen.generate_drops(tmp_path / "drops")
    agencies = load_agencies()
    assert gen.FAMILIES == ("decisions", "procurement", "procurement_bids", "budget")
    assert len(written) == len(agencies) * 4 * 2
    committed = digests(DROPS)
    generated = {name: d for name, d in committed.items() if Path(name).name.startswith(GENERATED)}
    assert digests(tmp_path / "drops") == generated
    # every other drop is a data-only family's, read by its contract's source for its agency
    specs = load_specs()
    for name in sorted(set(committed) - set(generated)):
        agency = Path(name).parts[0]
        sources = {f: spec.source_for(agency) for f, spec in specs.items() if spec.partitioned}
        readers = [
            family
            for family, source in sources.items()
            if isinstance(source, FileSource) and DROPS / name in matching_files(source.path, REPO)
        ]
        assert len(readers) == 1, (name, readers)


def test_large_file_mode_is_deterministic(tmp_path):
    gen = generator()
    first = gen.generate_large("procurement", 500, tmp_path / "a.csv")
    second = gen.generate_large("procurement", 500, tmp_path / "b.csv")
    assert first.read_bytes() == second.read_bytes()
    result = normalize_files([first], load_specs()["procurement"])
    assert result.rows == 500
    assert result.cast_errors == []  # messy but valid
    assert result.counts["buddhist_era_years"] == 500


def normalized(family, agency):
    spec = load_specs()[family]
    source = spec.source_for(agency)
    assert isinstance(source, FileSource)  # the demo agencies drop files
    return normalize_files(
        matching_files(source.path, REPO), spec, agency=agency, sheet=getattr(source, "sheet", None)
    )


PARTITIONS = [
    (family, agency.agency_code)
    for family in ("decisions", "procurement", "procurement_bids", "budget")
    for agency in load_agencies()
]


@pytest.mark.parametrize(("family", "agency"), PARTITIONS)
def test_every_drop_normalizes_except_the_truncated_one(family, agency):
    if (family, agency) == ("budget", "doh"):
        with pytest.raises(NormalizeError, match=r"budget_2568\.csv") as caught:
            normalized(family, agency)
        assert caught.value.row is not None
        return
    result = normalized(family, agency)
    expected_cast_errors = 1 if (family, agency) == ("procurement", "pcd") else 0
    assert len(result.cast_errors) == expected_cast_errors
    assert result.missing_columns == []
    assert result.rows >= 30  # two fiscal years, at least 15 lines each


def test_the_planted_rows_are_there():
    procurement = normalized("procurement", "cgd").table.to_pylist()
    assert any((r["contract_value"] or 0) > r["budget"] for r in procurement)
    rid = normalized("procurement", "rid").table.column("method").to_pylist()
    assert rid.count("วิธีพิเศษ") == 1
    decisions = normalized("decisions", "fda").table.to_pylist()
    assert (
        sum(r["processing_days"] is not None and r["processing_days"] < 0 for r in decisions) == 1
    )
    budget = normalized("budget", "obec").table.column("plan").to_pylist()
    assert budget.count(None) == 1


def test_personal_data_sits_only_in_dla_decisions_remarks():
    from stdnum.th import pin

    def citizen_ids(texts):
        return [w for t in texts if t for w in t.split() if len(w) == 13 and pin.is_valid(w)]

    for agency in load_agencies():
        remarks = normalized("decisions", agency.agency_code).table.column("remarks").to_pylist()
        found = citizen_ids(remarks)
        assert len(found) == (1 if agency.agency_code == "dla" else 0), agency.agency_code


def test_bids_agree_with_the_procurement_rows():
    """Every agency's bids: number_of_bidders bids per awarded project, the winner's at the
    contract value and the lowest valid bid; project numbers unique nationally."""
    owners: dict[str, str] = {}
    for agency in load_agencies():
        code = agency.agency_code
        projects = normalized("procurement", code).table.to_pylist()
        for row in projects:
            assert owners.setdefault(row["project_id"], code) == code, row["project_id"]
        bids = normalized("procurement_bids", code).table.to_pylist()
        by_project: dict[str, list[dict]] = {}
        for bid in bids:
            by_project.setdefault(bid["project_id"], []).append(bid)
        awarded = [r for r in projects if r["status"] in ("awarded", "contracted")]
        assert sorted(by_project) == sorted(r["project_id"] for r in awarded), code
        for row in awarded:
            received = by_project[row["project_id"]]
            assert len(received) == row["number_of_bidders"], row["project_id"]
            (winner,) = [b for b in received if b["bidder_tax_id"] == row["winner_tax_id"]]
            assert winner["bid_status"] == "valid"
            if row["contract_value"] is not None:
                assert winner["bid_amount"] == row["contract_value"]
            valid = [b["bid_amount"] for b in received if b["bid_status"] == "valid"]
            assert min(valid) == winner["bid_amount"]
            assert row["award_date"] is not None
            assert row["award_date"] >= row["bid_close_date"]


def test_the_planted_bids_are_there():
    """cgd's over-budget project: 7 days to bid, a single valid bid, a lower one disqualified;
    every file has a near-tie and a heavily discounted winning bid; dla's one sole trader."""
    projects = {r["project_id"]: r for r in normalized("procurement", "cgd").table.to_pylist()}
    (over,) = [r for r in projects.values() if (r["contract_value"] or 0) > r["budget"]]
    assert (over["bid_close_date"] - over["announce_date"]).days == 7
    bids = list(normalized("procurement_bids", "cgd").table.to_pylist())
    received = sorted(
        (b["bid_status"], b["bid_amount"]) for b in bids if b["project_id"] == over["project_id"]
    )
    assert [status for status, _ in received] == ["disqualified", "valid"]
    assert received[0][1] < received[1][1] == over["contract_value"]
    for agency in load_agencies():
        gaps = []
        table = normalized("procurement_bids", agency.agency_code).table.to_pylist()
        for project in {b["project_id"] for b in table}:
            valid = sorted(
                b["bid_amount"]
                for b in table
                if b["project_id"] == project and b["bid_status"] == "valid"
            )
            if len(valid) >= 2:
                gaps.append(valid[1] / valid[0] - 1)
        assert sum(gap < 0.003 for gap in gaps) >= 2, agency.agency_code  # one a year, at least
        assert sum(gap >= 0.6 for gap in gaps) >= 2, agency.agency_code
    from stdnum.th import pin

    for agency in load_agencies():
        ids = normalized("procurement_bids", agency.agency_code).table.column("bidder_tax_id")
        persons = [i for i in ids.to_pylist() if pin.is_valid(i) and not i.startswith("0")]
        assert len(persons) == (1 if agency.agency_code == "dla" else 0), agency.agency_code
