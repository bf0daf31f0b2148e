"""The gate's use of normalisation's raw findings (columns that cannot be masked, unmapped
columns) and reports that carry no personal data, on the real procurement contract."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelines.validation.gate import validate_partition
from pipelines.validation.privacy import PersonalDataRule, PrivacyPolicy, PrivacyResult
from pipelines.validation.privacy import with_raw_findings as merged

from .test_gate import SPEC, row, write

PHONE = "081-234-5678"


def raw(column: str, row_number: int = 2, kind: str = "phone", mapped: bool = True) -> dict:
    return {
        "file": "sent.csv",
        "row_number": row_number,
        "column": column,
        "kind": kind,
        "mapped": mapped,
    }


def gate(tmp_path: Path, rows: list[list[str]], spec: Any = SPEC, **options: Any) -> Any:
    return validate_partition(
        "procurement", "cgd", write(tmp_path, rows), spec, out_dir=tmp_path / "report", **options
    )


def with_rules(*rules: dict[str, Any]) -> Any:
    privacy = SPEC.privacy.model_copy(update={"personal_data": list(rules)})
    return SPEC.model_copy(update={"privacy": privacy})


def test_personal_data_in_a_number_column_blocks(tmp_path: Path) -> None:
    result = gate(tmp_path, [row(1), row(2)], personal_data=[raw("budget", 3)])
    assert result.status == "blocked"
    assert not result.check_passed("privacy")
    assert result.publishable_path is None
    [finding] = result.report["privacy"]["findings"]
    assert finding == {
        "file": "sent.csv",
        "column": "budget",
        "rowNumber": 3,
        "kind": "phone",
        "action": "block",
    }


def test_a_number_column_whose_action_is_drop_is_dropped(tmp_path: Path) -> None:
    rule = PersonalDataRule("reference_price", "drop")
    spec = with_rules({"column": rule.column, "action": rule.action})
    result = gate(tmp_path, [row(1), row(2)], spec, personal_data=[raw("reference_price")])
    assert result.status == "passed", result.reasons
    assert result.privacy.dropped_columns == ["reference_price"]
    assert "reference_price" not in result.publishable.column_names


def test_a_number_column_whose_action_is_mask_still_blocks(tmp_path: Path) -> None:
    spec = with_rules({"column": "budget", "action": "mask"})
    result = gate(tmp_path, [row(1)], spec, personal_data=[raw("budget")])
    assert result.status == "blocked"


def test_an_unmapped_column_is_reported_not_published(tmp_path: Path) -> None:
    found = [raw("เบอร์โทรผู้ติดต่อ", mapped=False)]
    result = gate(tmp_path, [row(1)], personal_data=found)
    assert result.status == "passed", result.reasons
    assert result.report["privacy"]["findings"][0]["action"] == "not_published"
    assert result.report["privacy"]["findings"][0]["column"] == "เบอร์โทรผู้ติดต่อ"
    assert "เบอร์โทรผู้ติดต่อ" not in result.publishable.column_names


def test_raw_and_typed_findings_of_one_cell_are_one_finding_with_its_file() -> None:
    policy = PrivacyPolicy(default_action="mask")
    from pipelines.validation.privacy import Finding

    typed = PrivacyResult([Finding("winner_name", 2, "phone", "mask")], None, [])
    result = merged(typed, [raw("winner_name")], policy, ["winner_name"])
    assert [f.to_dict() for f in result.findings] == [
        {
            "file": "sent.csv",
            "column": "winner_name",
            "rowNumber": 2,
            "kind": "phone",
            "action": "mask",
        }
    ]


def test_report_cells_with_personal_data_are_left_out(tmp_path: Path) -> None:
    cast_errors = [
        {"row_number": 2, "field": "budget", "cell": f"โทร {PHONE}", "type": "type-error"},
        {"row_number": 3, "field": "budget", "cell": "ประมาณ 5 ล้าน", "type": "type-error"},
        {"row_number": 2, "field": "announce_date", "cell": "31/02/2568", "type": "type-error"},
    ]
    rows = [row(1), row(2), row(3, agency_code="๐๘๙ ๙๙๙ ๘๘๘๘")]  # a foreign-key error too
    result = gate(tmp_path, rows, cast_errors=cast_errors)
    errors = {(e["rowNumber"], e.get("fieldName")): e for e in result.report["schema"]["errors"]}
    assert errors[(2, "budget")]["cellRedacted"] is True
    assert "cell" not in errors[(2, "budget")]
    assert errors[(3, "budget")]["cellRedacted"] is True  # words may be a name: never echoed
    assert errors[(2, "announce_date")]["cell"] == "31/02/2568"  # no letter: shown
    # the foreign-key note quotes the value: masked by the same detector
    assert "xxxxxxxx88" in errors[(4, None)]["note"]
    for name in ("report.json", "report.html"):
        text = (tmp_path / "report" / name).read_text(encoding="utf-8")
        for secret in ("234-5678", "0812345678", "๙๙๙ ๘๘๘๘", "0899998888"):
            assert secret not in text, (name, secret)
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "ประมาณ 5 ล้าน" not in html
    assert "31/02/2568" in html
