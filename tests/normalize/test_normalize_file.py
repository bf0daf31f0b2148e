"""Normalization of received files: encodings, dialects, spreadsheets, aliases, casts, errors."""

import datetime as dt
import io
import json

import pytest
from openpyxl import Workbook

from pipelines.contracts import load_spec
from pipelines.normalize import NormalizeError, normalize_file, normalize_files, write_clean

PROCUREMENT = load_spec("procurement")
DECISIONS = load_spec("decisions")

THAI_CSV = (
    "เลขที่โครงการ,ปีงบประมาณ,ชื่อโครงการ,วิธีการจัดหา,วงเงินงบประมาณ (บาท),วันที่ประกาศ,สถานะ\n"
    '06700000001,๒๕๖๗,จ้างขุดลอกคลอง,วิธีเฉพาะเจาะจง,"1,234,567.50 บาท",20 พ.ย. 66,ประกาศผู้ชนะ\n'
    "06700000002,2567,ซื้อวัสดุ,e-bidding,5000,31/12/2566,ยกเลิก\n"
)
EXPECTED_FIRST = {
    "project_id": "06700000001",
    "agency_code": "rid",
    "fiscal_year": 2024,
    "project_name": "จ้างขุดลอกคลอง",
    "method": "specific",
    "budget": 1234567.5,
    "announce_date": dt.date(2023, 11, 20),
    "status": "awarded",
}


def first_row(result):
    row = result.table.to_pylist()[0]
    return {key: row[key] for key in EXPECTED_FIRST}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp874"])
def test_every_encoding_gives_the_same_table(tmp_path, encoding):
    path = tmp_path / "procurement.csv"
    path.write_bytes(THAI_CSV.encode(encoding))
    result = normalize_file(path, PROCUREMENT, agency="rid")
    assert first_row(result) == EXPECTED_FIRST
    assert result.counts[f"encoding_{encoding}"] == 1
    assert result.table.column("announce_date").to_pylist()[1] == dt.date(2023, 12, 31)


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_dialect_is_sniffed(tmp_path, delimiter):
    path = tmp_path / "procurement.csv"
    text = THAI_CSV.replace('"1,234,567.50 บาท"', "1234567.50").replace(",", delimiter)
    path.write_text(text, encoding="utf-8")
    assert first_row(normalize_file(path, PROCUREMENT, agency="rid")) == EXPECTED_FIRST


def test_title_rows_above_the_header_are_skipped_in_csv(tmp_path):
    path = tmp_path / "procurement.csv"
    path.write_text("รายงานผลการจัดซื้อจัดจ้าง กรมชลประทาน\n,,\n" + THAI_CSV, encoding="utf-8")
    result = normalize_file(path, PROCUREMENT, agency="rid")
    assert first_row(result) == EXPECTED_FIRST
    assert result.counts["title_rows_skipped"] == 2


def workbook_bytes(rows, sheet="Sheet1", other_sheet=False):
    workbook = Workbook()
    if other_sheet:
        workbook.active.title = "สรุป"
        workbook.active.append(["ไม่ใช่ข้อมูล"])
        worksheet = workbook.create_sheet(sheet)
    else:
        worksheet = workbook.active
        worksheet.title = sheet
    for row in rows:
        worksheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_named_sheet_title_row_and_real_dates(tmp_path):
    path = tmp_path / "procurement.xlsx"
    rows = [
        ["ข้อมูลการจัดซื้อจัดจ้าง ปีงบประมาณ พ.ศ. 2567"],
        ["เลขที่โครงการ", "ปีงบประมาณ", "ชื่อโครงการ", "วิธีการจัดหา", "งบประมาณ", "วันที่ประกาศ", "สถานะ"],
        [
            "06700000001",
            2567,
            "จ้างขุดลอกคลอง",
            "วิธีเฉพาะเจาะจง",
            1234567.5,
            dt.datetime(2023, 11, 20),
            "ประกาศผู้ชนะ",
        ],
        [None, None, None, None, None, None, None],
    ]
    path.write_bytes(workbook_bytes(rows, sheet="จัดซื้อจัดจ้าง", other_sheet=True))
    result = normalize_file(path, PROCUREMENT, agency="rid", sheet="จัดซื้อจัดจ้าง")
    assert result.rows == 1
    assert first_row(result) == EXPECTED_FIRST
    with pytest.raises(NormalizeError, match="no sheet 'budget'"):
        normalize_file(path, PROCUREMENT, agency="rid", sheet="budget")


def test_cast_errors_are_kept_with_frictionless_row_numbers(tmp_path):
    path = tmp_path / "procurement.csv"
    bad = THAI_CSV + "06700000003,2567,ซื้อรถ,วิธีพิเศษ,ประมาณห้าล้าน,31/02/2567,ยกเลิก\n"
    path.write_text(bad, encoding="utf-8")
    result = normalize_file(path, PROCUREMENT, agency="rid")
    assert result.cast_errors == [
        {
            "row_number": 4,
            "field": "budget",
            "cell": "ประมาณห้าล้าน",
            "type": "type-error",
            "note": "not a number",
        },
        {
            "row_number": 4,
            "field": "announce_date",
            "cell": "31/02/2567",
            "type": "type-error",
            "note": "not a date in a form the pipeline reads",
        },
    ]
    row = result.table.to_pylist()[2]
    assert (row["budget"], row["announce_date"], row["method"]) == (None, None, "วิธีพิเศษ")
    assert result.counts["cast_errors"] == 2


def test_row_numbers_continue_across_files_of_a_partition(tmp_path):
    first, second = tmp_path / "p_2567.csv", tmp_path / "p_2568.csv"
    first.write_text(THAI_CSV, encoding="utf-8")
    second.write_text(THAI_CSV.replace("5000", "five thousand"), encoding="utf-8")
    result = normalize_files([first, second], PROCUREMENT, agency="rid")
    assert result.rows == 4
    assert [(e["row_number"], e["field"]) for e in result.cast_errors] == [(5, "budget")]


def test_missing_and_unknown_columns_are_reported_not_dropped_silently(tmp_path):
    path = tmp_path / "procurement.csv"
    path.write_text("project_id,extra column,status\n06700000001,x,planned\n", encoding="utf-8")
    result = normalize_file(path, PROCUREMENT, agency="rid")
    assert result.unknown_columns == ["extra column"]
    assert "budget" in result.missing_columns
    assert "agency_code" not in result.missing_columns  # filled from the partition
    assert result.table.column_names == PROCUREMENT.field_names
    assert result.table.column("agency_code").to_pylist() == ["rid"]


def test_identifiers_keep_leading_zeros_and_lose_separators(tmp_path):
    path = tmp_path / "procurement.csv"
    path.write_text("project_id,winner_tax_id\n00000000001,0-1055-61234-56-7\n", encoding="utf-8")
    table = normalize_file(path, PROCUREMENT, agency="rid").table
    assert table.column("project_id").to_pylist() == ["00000000001"]
    assert table.column("winner_tax_id").to_pylist() == ["0105561234567"]


def test_booleans_use_the_fields_true_and_false_values(tmp_path):
    path = tmp_path / "decisions.csv"
    path.write_text("decision_id,public_consultation\nA-1,มี\nA-2,ไม่มี\nA-3,บางที\n", encoding="utf-8")
    result = normalize_file(path, DECISIONS, agency="fda")
    assert result.table.column("public_consultation").to_pylist() == [True, False, None]
    assert [e["cell"] for e in result.cast_errors] == ["บางที"]


def test_many_rows_take_the_distinct_value_path_with_exact_counts(tmp_path):
    path = tmp_path / "procurement.csv"
    lines = ["project_id,fiscal_year,method,announce_date"]
    lines += [f"{n:011d},2567,วิธีเฉพาะเจาะจง,20 พ.ย. 66" for n in range(3000)]
    lines += ["99999999999,2567,วิธีเฉพาะเจาะจง,not a date"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = normalize_file(path, PROCUREMENT, agency="rid")
    assert result.counts["buddhist_era_years"] == 3001
    assert result.counts["dates_reformatted"] == 3000
    assert result.counts["value_aliases"] == 3001
    assert result.cast_errors == [
        {
            "row_number": 3002,
            "field": "announce_date",
            "cell": "not a date",
            "type": "type-error",
            "note": "not a date in a form the pipeline reads",
        }
    ]


# --- broken files -----------------------------------------------------------------------------


def test_truncated_mid_row_names_the_file_and_row(tmp_path):
    path = tmp_path / "procurement.csv"
    path.write_text(THAI_CSV + "06700000003,2567,ซื้อ", encoding="utf-8")
    with pytest.raises(NormalizeError) as caught:
        normalize_file(path, PROCUREMENT, agency="rid")
    assert caught.value.row == 4
    assert str(path) in str(caught.value)
    assert "ซื้อ" not in str(caught.value)  # never quotes the cells


def test_truncated_inside_a_quoted_cell(tmp_path):
    path = tmp_path / "procurement.csv"
    path.write_text(THAI_CSV + '06700000003,2567,"ซื้อ', encoding="utf-8")
    with pytest.raises(NormalizeError, match="truncated") as caught:
        normalize_file(path, PROCUREMENT, agency="rid")
    assert caught.value.row == 4


def test_undecodable_file(tmp_path):
    path = tmp_path / "procurement.csv"
    path.write_bytes(b"project_id,status\n\xdb\xdc\xfc\xff,planned\n")
    with pytest.raises(NormalizeError, match="undecodable"):
        normalize_file(path, PROCUREMENT, agency="rid")


def test_binary_file(tmp_path):
    path = tmp_path / "procurement.csv"
    path.write_bytes(b"\x00\x01\x02PK")
    with pytest.raises(NormalizeError, match="binary"):
        normalize_file(path, PROCUREMENT, agency="rid")


def test_xlsx_that_is_not_a_zip(tmp_path):
    path = tmp_path / "procurement.xlsx"
    path.write_text("this is really a CSV", encoding="utf-8")
    with pytest.raises(NormalizeError, match=r"procurement.xlsx: not a valid XLSX"):
        normalize_file(path, PROCUREMENT, agency="rid")


def test_empty_file(tmp_path):
    path = tmp_path / "procurement.csv"
    path.write_bytes(b"")
    with pytest.raises(NormalizeError, match="empty"):
        normalize_file(path, PROCUREMENT, agency="rid")


# --- output ----------------------------------------------------------------------------------


def test_write_clean_parquet_csv_and_cast_errors(tmp_path):
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    path = tmp_path / "procurement.csv"
    path.write_text(THAI_CSV.replace("5000", "ห้าพัน"), encoding="utf-8")
    result = normalize_file(path, PROCUREMENT, agency="rid")
    files = write_clean(result, tmp_path / "data", "procurement", "rid")
    assert files.parquet == tmp_path / "data/clean/procurement/rid/procurement.parquet"
    assert pq.read_table(files.parquet).equals(result.table)
    text = files.csv.read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(f'"{name}"' for name in PROCUREMENT.field_names)
    assert "2023-11-20" in text
    assert "06700000001" in text
    back = pacsv.read_csv(files.csv)
    assert back.num_rows == 2
    assert json.loads(files.cast_errors.read_text()) == result.cast_errors
    assert json.loads(files.normalization.read_text())["rows"] == 2
