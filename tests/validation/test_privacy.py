from __future__ import annotations

import json

import pyarrow as pa
import pytest
from stdnum.th import pin

from pipelines.validation.privacy import PrivacyPolicy, detect, mask_text, scan

VALID_ID = "1234567890121"  # check digit computed by stdnum below (asserted)
WRONG_ID = "1234567890122"
JURISTIC_ID = "0105536012345"


def test_fixture_ids_are_what_they_claim() -> None:
    assert pin.is_valid(VALID_ID)
    assert not pin.is_valid(WRONG_ID)
    assert not pin.is_valid(JURISTIC_ID)


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        (f"บัตร {VALID_ID}", ["citizen_id"]),
        ("id 1-2345-67890-12-1.", ["citizen_id"]),
        (f"wrong {WRONG_ID}", []),
        (f"บริษัท {JURISTIC_ID}", []),
        ("โทร 081-234-5678", ["phone"]),
        ("call +66 81 234 5678", ["phone"]),
        ("สำนักงาน 02-123-4567", ["phone"]),
        ("เลขที่โครงการ 66019012345", []),  # 11-digit e-GP numbers are not phones
        ("mail som.chai@example.co.th", ["email"]),
        ("งบประมาณ 1,500,000 บาท", []),
    ],
)
def test_detect(text: str, kinds: list[str]) -> None:
    assert [found.kind for found in detect(text)] == kinds


def test_mask_keeps_first_and_last_digit_only() -> None:
    assert mask_text("id 1-2345-67890-12-1") == "id 1-xxxx-xxxxx-xx-1"
    # a mailbox provider's domain stays; any other domain may name the person: masked
    assert mask_text("a.b@gmail.com") == "a***@gmail.com"
    assert mask_text("a.b@somchai-family.org") == "a***@***.org"
    assert mask_text("a.b@mail.somchai.co.th") == "a***@***.co.th"
    assert "234" not in mask_text("081-234-5678")


def policy(**data: object) -> PrivacyPolicy:
    return PrivacyPolicy.from_spec(data)


def test_scan_reports_column_row_kind_never_the_value() -> None:
    table = pa.table({"remarks": ["ok", f"ผู้ร้อง {VALID_ID}", WRONG_ID, None]})
    result = scan(table, policy(default_action="block"))
    assert [(f.column, f.row_number, f.kind) for f in result.findings] == [
        ("remarks", 3, "citizen_id")
    ]
    assert result.blocked
    assert VALID_ID not in json.dumps([f.to_dict() for f in result.findings])


def test_mask_action_masks_the_publishable_table() -> None:
    table = pa.table({"remarks": ["โทร 0812345678", "nothing"]})
    result = scan(table, policy(personal_data=[{"column": "remarks", "action": "mask"}]))
    assert not result.blocked
    assert result.table is not None
    assert result.table.column("remarks").to_pylist() == ["โทร xxxxxxxx78", "nothing"]


def test_drop_action_drops_the_column() -> None:
    table = pa.table({"note": ["a@b.co"], "keep": ["x"]})
    result = scan(table, policy(default_action="drop"))
    assert result.table is not None
    assert result.table.column_names == ["keep"]
    assert result.dropped_columns == ["note"]


def test_when_rule_declares_rows_personal() -> None:
    table = pa.table(
        {"applicant_name": ["สมชาย ใจดี", "บริษัท ก จำกัด"], "applicant_type": ["person", "juristic"]}
    )
    rules = [{"column": "applicant_name", "action": "mask", "when": {"applicant_type": "person"}}]
    result = scan(table, policy(personal_data=rules))
    assert [(f.row_number, f.kind) for f in result.findings] == [(2, "personal_data")]
    assert result.table is not None
    assert result.table.column("applicant_name").to_pylist() == ["ส***", "บริษัท ก จำกัด"]


def test_only_given_columns_are_scanned() -> None:
    table = pa.table({"winner_tax_id": [VALID_ID], "name": ["x"]})
    assert scan(table, policy(), columns=["name"]).findings == []
    assert len(scan(table, policy()).findings) == 1


def test_public_columns_skip_only_cells_matching_their_pattern() -> None:
    table = pa.table(
        {"budget_line_id": ["0725670001", "0812345678"], "note": ["โทร 0812345678", "-"]}
    )
    policy = PrivacyPolicy(public_columns={"budget_line_id": "(?:0[0-57]|[1-9][0-9])25[0-9]{6}"})
    result = scan(table, policy)
    assert sorted((f.column, f.row_number, f.kind) for f in result.findings) == [
        ("budget_line_id", 3, "phone"),
        ("note", 2, "phone"),
    ]


def test_public_columns_must_declare_a_pattern() -> None:
    with pytest.raises(ValueError, match="pattern per column"):
        PrivacyPolicy.from_spec({"public_columns": ["project_id"]})


def test_contract_public_columns_need_an_re2_pattern_each() -> None:
    from pydantic import ValidationError

    from pipelines.contracts.models import Privacy

    assert Privacy(public_columns={"project_id": "^[0-9]{11}$"}).public_columns
    with pytest.raises(ValidationError):
        Privacy.model_validate({"public_columns": ["project_id"]})
    with pytest.raises(ValidationError, match=r"public_columns\.project_id"):
        Privacy(public_columns={"project_id": "^(?!08)[0-9]{10}$"})  # RE2: no look-ahead
    with pytest.raises(ValidationError):
        Privacy.model_validate({"juristic_id_columns": ["winner_tax_id"]})  # removed: a pattern


def test_every_contract_declares_patterns_its_demo_codes_match() -> None:
    import re

    from pipelines.contracts import load_specs

    samples = {
        "project_id": "67000000001",
        "winner_tax_id": "0105536012345",
        "bidder_tax_id": "0105536012345",
        "agency_code": "cgd",
        "budget_line_id": "0625670001",  # pcd's: 06 is the agency, not a mobile prefix
        "decision_id": "CGD-2567/0001",
        "declaration_id": "NACC-2567-00311",
        "meeting_id": "CGD-MSF-2567-01",
    }
    for spec in load_specs().values():
        for column, pattern in spec.privacy.public_columns.items():
            assert re.fullmatch(pattern, samples[column]), (spec.name, column)
            assert not re.fullmatch(pattern, "0812345678"), (spec.name, column)
