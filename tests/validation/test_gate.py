"""The gate on real procurement contracts: block, quarantine, reports without personal data."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from pipelines.contracts import load_spec
from pipelines.validation.gate import validate_partition

SPEC = load_spec("procurement")
HEADER = SPEC.field_names
CITIZEN_ID = "1-2345-67890-12-1"


def row(number: int, **changes: str) -> list[str]:
    values = {
        "project_id": f"660190{number:05d}",
        "agency_code": "cgd",
        "fiscal_year": "2024",
        "project_name": f"โครงการ {number}",
        "method": "specific",
        "budget": "1000",
        "reference_price": "1000",
        "announce_date": "2023-11-01",
        "bid_close_date": "",
        "award_date": "",
        "contract_date": "2023-12-01",
        "number_of_bidders": "1",
        "winner_tax_id": "0105536012345",
        "winner_name": "บริษัท ก จำกัด",
        "contract_value": "900",
        "status": "contracted",
    }
    values.update(changes)
    return [values[name] for name in HEADER]


def write(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "procurement.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    return path


def policy(mode: str, rate: float = 0.5) -> Any:
    return SPEC.model_copy(
        update={"policy": SPEC.policy.model_copy(update={"mode": mode, "max_error_rate": rate})}
    )


def run(tmp_path: Path, rows: list[list[str]], spec: Any = SPEC, **options: Any) -> Any:
    return validate_partition(
        "procurement", "cgd", write(tmp_path, rows), spec, out_dir=tmp_path / "report", **options
    )


def test_good_partition_passes(tmp_path: Path) -> None:
    result = run(tmp_path, [row(1), row(2)])
    assert result.status == "passed", result.reasons
    assert result.publishable is not None
    assert result.publishable.num_rows == 2
    assert all(result.check_passed(name) for name in ("schema", "suite", "privacy"))


def test_quarantine_excludes_invalid_rows(tmp_path: Path) -> None:
    result = run(tmp_path, [row(1), row(2, budget="lots"), row(3)], policy("quarantine"))
    assert result.status == "quarantined"
    assert result.quarantined_rows == [3]
    assert result.publishable.column("project_id").to_pylist() == ["66019000001", "66019000003"]
    assert json.loads((tmp_path / "report" / "report.json").read_text())["quarantined_rows"] == [3]


def test_too_many_invalid_rows_block_even_in_quarantine(tmp_path: Path) -> None:
    result = run(tmp_path, [row(1, budget="x"), row(2, budget="y"), row(3)], policy("quarantine"))
    assert result.status == "blocked"
    assert result.publishable is None


def test_block_policy_blocks_on_one_bad_row(tmp_path: Path) -> None:
    result = run(tmp_path, [row(1), row(2, agency_code="nowhere")], policy("block"))
    assert result.status == "blocked"
    assert not result.check_passed("schema")
    assert result.report["counts"]["errors_by_type"] == {"foreign-key": 1}


def test_failed_business_rule_blocks(tmp_path: Path) -> None:
    result = run(tmp_path, [row(1, number_of_bidders="0")])
    assert result.status == "blocked"
    assert not result.check_passed("suite")


# An error rule (contract value within the budget is a warning since issue 16: published, flagged)
NO_BIDDER = "At least one bidder on awarded projects / โครงการที่มีผู้ชนะต้องมีผู้เสนอราคาอย่างน้อยหนึ่งราย"


def test_business_rule_row_is_quarantined(tmp_path: Path) -> None:
    rows = [row(1), row(2, number_of_bidders="0"), row(3), row(4)]
    result = run(tmp_path, rows, policy("quarantine", 0.25))
    assert result.status == "quarantined", result.reasons
    assert result.quarantined_rows == [3]
    assert result.check_passed("suite")
    published = result.publishable.column("project_id").to_pylist()
    assert published == ["66019000001", "66019000003", "66019000004"]
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["quarantined_rows"] == [3]
    assert report["counts"]["invalid_rows"] == 1
    assert report["suite"]["failedRows"] == [
        {
            "rowNumber": 3,
            "rule": NO_BIDDER,
            "type": "unexpected_rows_expectation",
            "columns": [],
            "severity": "error",
        }
    ]
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "<tr><td>3</td><td>At least one bidder on awarded projects" in html
    assert "0105536012345" not in json.dumps(report["suite"]["failedRows"]) + html


def test_column_pair_rule_rows_name_their_columns(tmp_path: Path) -> None:
    early = row(2, contract_date="2023-10-01", number_of_bidders="0")  # breaks two rules
    result = run(tmp_path, [row(1), early, row(3), row(4)], policy("quarantine", 0.25))
    assert result.status == "quarantined", result.reasons
    assert result.quarantined_rows == [3]
    failed = {(r.row_number, r.type, r.columns) for r in result.rule_rows}
    assert failed == {
        (3, "expect_column_pair_values_a_to_be_greater_than_b", ("contract_date", "announce_date")),
        (3, "unexpected_rows_expectation", ()),
    }


def test_business_rule_rows_count_with_schema_errors_against_the_rate(tmp_path: Path) -> None:
    rows = [row(1), row(2, budget="x"), row(3), row(4, number_of_bidders="0"), row(5)]
    quarantined = run(tmp_path, rows, policy("quarantine", 0.4))
    assert quarantined.status == "quarantined", quarantined.reasons
    assert quarantined.quarantined_rows == [3, 5]
    blocked = run(tmp_path, rows, policy("quarantine", 0.3))
    assert blocked.status == "blocked"
    assert blocked.publishable is None


def test_too_many_business_rule_rows_block(tmp_path: Path) -> None:
    rows = [row(1, number_of_bidders="0"), row(2, number_of_bidders="0"), row(3), row(4)]
    result = run(tmp_path, rows, policy("quarantine", 0.25))
    assert result.status == "blocked"
    assert not result.check_passed("suite")
    assert any(NO_BIDDER in reason for reason in result.reasons)


def test_business_rule_row_blocks_in_block_mode(tmp_path: Path) -> None:
    result = run(tmp_path, [row(1), row(2, number_of_bidders="0"), row(3)], policy("block"))
    assert result.status == "blocked"
    assert result.quarantined_rows == []
    assert result.rule_rows == []


def test_table_level_rule_still_blocks(tmp_path: Path) -> None:
    rows = [row(1), row(2, number_of_bidders="0"), row(3)]
    result = run(tmp_path, rows, policy("quarantine", 0.5), suite_parameters={"max_rows": 2})
    assert result.status == "blocked"
    assert any("absurdly many" in reason for reason in result.reasons)


def test_warning_rule_neither_quarantines_nor_blocks(tmp_path: Path) -> None:
    result = run(tmp_path, [row(1), row(2, fiscal_year="2025")], policy("quarantine"))
    assert result.status == "passed", result.reasons
    assert [o.label for o in result.suite.failed_warnings] == [
        "Fiscal year matches the announcement date (Oct–Sep) / ปีงบประมาณตรงกับวันที่ประกาศ"
    ]
    # named in the report as a warning, published all the same
    assert [(r.row_number, r.severity) for r in result.rule_rows] == [(3, "warning")]
    assert result.quarantined_rows == []
    assert result.published_rows == 2


def test_a_contract_over_budget_is_published_and_named_as_a_warning(tmp_path: Path) -> None:
    rows = [row(1), row(2, contract_value="1600"), row(3)]
    result = run(tmp_path, rows, policy("quarantine", 0.1))
    assert result.status == "passed", result.reasons
    assert result.published_rows == 3
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["suite"]["failedRows"] == []
    assert report["counts"]["warning_rule_rows"] == 1
    assert report["counts"]["invalid_rows"] == 0
    assert [(w["rowNumber"], w["severity"]) for w in report["suite"]["warningRows"]] == [
        (3, "warning")
    ]
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "<tr><td>3</td><td>Contract value within the budget" in html


def test_cast_errors_from_normalization_count_as_invalid_rows(tmp_path: Path) -> None:
    cast = [{"row_number": 2, "field": "budget", "cell": "ประมาณ 5 ล้าน", "type": "number"}]
    result = run(tmp_path, [row(1), row(2), row(3)], policy("quarantine"), cast_errors=cast)
    assert result.status == "quarantined"
    assert result.quarantined_rows == [2]


def test_personal_data_blocks_and_never_reaches_the_reports(tmp_path: Path) -> None:
    bad = row(2, project_name=f"ติดต่อ {CITIZEN_ID}", project_id="1234")
    result = run(tmp_path, [row(1), bad], policy("quarantine"))
    assert result.status == "blocked"
    assert not result.check_passed("privacy")
    assert [(f.column, f.row_number, f.kind) for f in result.privacy.findings] == [
        ("project_name", 3, "citizen_id")
    ]
    for name in ("report.json", "report.html"):
        text = (tmp_path / "report" / name).read_text(encoding="utf-8")
        assert CITIZEN_ID not in text
        assert "1234567890121" not in text
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "ข้อมูลส่วนบุคคล" in html
    assert "Personal data" in html


def test_report_html_escapes_cells(tmp_path: Path) -> None:
    # a text cell is never echoed; a cell without letters in a date column is, escaped
    run(tmp_path, [row(1, method="<script>alert(x)</script>", announce_date="<>&'")])
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html
    assert "&lt;script&gt;" not in html
    assert "&lt;&gt;&amp;" in html


def test_publishable_file_is_the_masked_quarantined_table(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    masking = SPEC.model_copy(
        update={
            "policy": SPEC.policy.model_copy(update={"mode": "quarantine", "max_error_rate": 0.5}),
            "privacy": SPEC.privacy.model_copy(update={"default_action": "mask"}),
        }
    )
    masking._table_schema = SPEC.schema
    rows = [row(1, project_name=f"ติดต่อ {CITIZEN_ID}"), row(2, budget="x"), row(3)]
    result = run(tmp_path, rows, masking)
    assert result.status == "quarantined", result.reasons
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["publishable"] is True
    published = pq.read_table(tmp_path / "report" / report["publishable_table"])
    assert published.column("project_id").to_pylist() == ["66019000001", "66019000003"]
    assert CITIZEN_ID not in str(published.column("project_name").to_pylist())

    blocked = run(tmp_path, [row(1, budget="x"), row(2, budget="y")], masking)
    assert blocked.status == "blocked"
    assert json.loads((tmp_path / "report" / "report.json").read_text())["publishable"] is False
    assert not (tmp_path / "report" / "publishable.parquet").exists()


def test_streamed_partition_numbers_rows_across_batches(tmp_path: Path, monkeypatch: Any) -> None:
    from pipelines.validation import tables, typed_csv

    monkeypatch.setattr(tables, "BATCH_ROWS", 2)
    monkeypatch.setattr(typed_csv, "TYPED_ROW_GROUP", 2)
    rows = [row(n) for n in range(1, 8)]
    rows[4] = row(5, budget="lots")  # CSV row 6, in the third batch
    result = run(tmp_path, rows, policy("quarantine"))
    assert result.status == "quarantined", result.reasons
    assert result.quarantined_rows == [6]
    published = result.publishable.column("project_id").to_pylist()
    assert published == [f"660190{n:05d}" for n in (1, 2, 3, 4, 6, 7)]


def test_drop_action_leaves_the_column_out_of_the_publishable_table(tmp_path: Path) -> None:
    dropping = SPEC.model_copy(
        update={"privacy": SPEC.privacy.model_copy(update={"default_action": "drop"})}
    )
    dropping._table_schema = SPEC.schema
    result = run(tmp_path, [row(1, project_name=f"ติดต่อ {CITIZEN_ID}"), row(2)], dropping)
    assert result.status == "passed", result.reasons
    assert result.privacy.dropped_columns == ["project_name"]
    assert "project_name" not in result.publishable.column_names
    assert result.publishable.num_rows == 2


def test_header_only_file_is_read_as_an_empty_table(tmp_path: Path) -> None:
    result = run(tmp_path, [])
    assert result.row_count == 0
    assert not result.check_passed("suite")  # the suite wants at least one row
