"""JSON and JSON-lines sources read by a records path; hostile JSON is one line naming the file
and the record, never a traceback or a hang. Every input is generated here."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from pipelines.contracts import FileSource
from pipelines.normalize.errors import NormalizeError
from pipelines.normalize.headers import HeaderMap
from pipelines.normalize.readers import RawTable, read_raw

HEADERS = HeaderMap({"amount": "amount", "name": "name"})
pytestmark = pytest.mark.timeout(60)


def _read(path: Path, format: str | None, records: str | None = None) -> RawTable:
    source = FileSource(path=str(path), format=format, records=records)
    return read_raw(path, HEADERS, source=source)


def _rows(raw: RawTable) -> list[dict[str, str | None]]:
    return pa.Table.from_batches(list(raw.batches)).to_pylist()


def _error(path: Path, format: str, records: str | None = None) -> NormalizeError:
    with pytest.raises(NormalizeError) as caught:
        _read(path, format, records)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    return caught.value


def test_json_lines_records_are_text_columns(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    lines = [{"amount": 1.50, "name": "ก"}, {"amount": 10**40, "extra": True}, {"name": None}]
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n\n")
    raw = _read(path, "jsonl")
    assert raw.columns == ["amount", "name"]
    assert raw.unknown_columns == ["extra"]
    rows = _rows(raw)
    assert [r["amount"] for r in rows] == ["1.5", str(10**40), None]  # as written, not rounded
    assert [r["name"] for r in rows] == ["ก", None, None]
    assert rows[1]["_unknown_2"] == "true"


def test_json_records_at_a_dotted_path(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    document = {"meta": {"n": 2}, "data": {"items": [{"amount": "3"}, {"amount": 4}]}}
    path.write_text(json.dumps(document))
    assert [r["amount"] for r in _rows(_read(path, "json", "data.items"))] == ["3", "4"]


def test_a_top_level_list_needs_no_path(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text(json.dumps([{"name": "a"}]))
    assert _rows(_read(path, "json")) == [{"name": "a"}]


def test_json_is_read_as_ocds_only_when_the_contract_says_so(tmp_path: Path) -> None:
    path = tmp_path / "plain.json"
    path.write_text(json.dumps([{"name": "a"}]))
    with pytest.raises(NormalizeError, match="does not say how to read JSON"):
        read_raw(path, HEADERS)  # no source: no format
    with pytest.raises(NormalizeError, match="does not say how to read JSON"):
        _read(path, None)
    with pytest.raises(NormalizeError, match="not OCDS releases"):
        _read(path, "ocds")  # read as OCDS, which these records are not


@pytest.mark.parametrize(
    ("name", "content", "format", "records", "expected"),
    [
        ("obj.json", {"data": {"items": {"a": 1}}}, "json", "data.items", "an object, not a list"),
        ("nokey.json", {"data": {}}, "json", "data.items", "no key 'items' at data"),
        ("scalar.json", {"data": 5}, "json", "data.items", "no key 'items' at data"),
        ("str.json", "text", "json", None, "a string, not a list"),
        ("cells.json", [{"name": "a"}, {"name": {"first": "x"}}], "json", None, "record 2"),
        ("list_cell.json", [{"name": [1, 2]}], "json", None, "a list in a cell"),
        ("record.json", [{"name": "a"}, 3], "json", None, "record 2: a number, not an object"),
    ],
)
def test_hostile_json_documents(
    tmp_path: Path, name: str, content: object, format: str, records: str | None, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(json.dumps(content))
    assert expected in str(_error(path, format, records))


@pytest.mark.parametrize(
    ("content", "expected", "row"),
    [
        (b'{"name": "a"}\n{"name": {"x": 1}}\n', "JSON record 2: an object in a cell", 2),
        (b'{"name": "a"}\n[1]\n', "JSON record 2: a list, not an object", 2),
        (b'{"amount": NaN}\n', "NaN is not a JSON number", 1),
        (b'{"amount": Infinity}\n', "Infinity is not a JSON number", 1),
        (b'{"name": "a"}\n{"name": \n', "JSON record 2: not valid JSON", 2),
        ('{"name": "โครงการ"}\n'.encode("cp874"), "undecodable", 1),
        (b"[" * 200_000 + b"]" * 200_000 + b"\n", "nested too deeply", 1),
    ],
)
def test_hostile_json_lines(tmp_path: Path, content: bytes, expected: str, row: int) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_bytes(content)
    error = _error(path, "jsonl")
    assert expected in error.problem
    assert error.row == row


def test_a_nested_cell_names_its_field_not_its_value(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text(json.dumps({"name": {"citizen": "1101700203451"}}) + "\n")
    error = _error(path, "jsonl")
    assert error.field == "name"
    assert "1101700203451" not in str(error)


def test_a_huge_number_is_text_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text('{"amount": ' + "9" * 100_000 + "}\n")  # past int()'s 4,300-digit limit
    assert _rows(_read(path, "jsonl"))[0]["amount"] == "9" * 100_000


def test_a_1gb_single_line_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as handle:  # sparse: 1 GiB on disk costs nothing
        handle.write(b'{"name": "')
        handle.truncate(1 << 30)
    error = _error(path, "jsonl")
    assert error.row == 1
    assert "longer than" in error.problem


def test_a_1gb_document_is_refused_by_its_size(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.write(b"[")
        handle.truncate(1 << 30)
    assert "send JSON lines" in _error(path, "json").problem


# --- through the clean step: the contract's source decides how JSON is read ---------------------

BUDGET_RECORDS = [
    {"budget_line_id": "0125680001", "fiscal_year": 2568, "plan": "แผนงานพื้นฐาน",
     "economic_category": "งบดำเนินงาน", "allocated": 1000, "revised": 900, "disbursed": 850.5},
    {"budget_line_id": "0125680002", "fiscal_year": "๒๕๖๘", "plan": "แผนงานยุทธศาสตร์",
     "economic_category": "personnel", "allocated": "2,000", "revised": 2000, "disbursed": 0},
]  # fmt: skip


def _clean_with(source: object, content: bytes, ext: str, tmp_path: Path) -> list[dict]:
    from pipelines.contracts import load_spec
    from pipelines.contracts.models import Sources
    from pipelines.normalize.partition import clean
    from pipelines.sources.landing import LandingArea

    spec = load_spec("budget")
    moved = spec.model_copy(update={"sources": Sources(default=source)})
    moved._table_schema = spec.schema
    landing = LandingArea(tmp_path / "data", "budget", "ag")
    landing.record_latest([landing.store(content, source="feed", ext=ext)])
    return clean(moved, "ag", tmp_path / "data").result.table.to_pylist()


@pytest.mark.parametrize("kind", ["file", "http"])
def test_the_clean_step_reads_a_json_feed_by_its_records_path(tmp_path: Path, kind: str) -> None:
    from pipelines.contracts import HttpSource

    document = json.dumps({"meta": {}, "data": {"items": BUDGET_RECORDS}}, ensure_ascii=False)
    source = (
        FileSource(path="x/{agency}/*.json", format="json", records="data.items")
        if kind == "file"
        else HttpSource(url="https://feed.example/{agency}", format="json", records="data.items")
    )
    rows = _clean_with(source, document.encode(), ".json", tmp_path)
    assert [r["budget_line_id"] for r in rows] == ["0125680001", "0125680002"]
    assert [r["fiscal_year"] for r in rows] == [2025, 2025]  # B.E., Thai digits: as from a CSV
    assert [r["economic_category"] for r in rows] == ["operating", "personnel"]
    assert [r["agency_code"] for r in rows] == ["ag", "ag"]


def test_the_clean_step_reads_json_lines(tmp_path: Path) -> None:
    lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in BUDGET_RECORDS) + "\n"
    source = FileSource(path="x/{agency}/*.jsonl", format="jsonl")
    rows = _clean_with(source, lines.encode(), ".jsonl", tmp_path)
    assert [float(r["allocated"]) for r in rows] == [1000.0, 2000.0]


def test_a_json_file_source_without_a_format_is_refused_naming_the_setting(tmp_path: Path) -> None:
    document = json.dumps(BUDGET_RECORDS, ensure_ascii=False).encode()
    with pytest.raises(NormalizeError, match="format: json with a records path, jsonl, or ocds"):
        _clean_with(FileSource(path="x/{agency}/*.json"), document, ".json", tmp_path)


# --- found by review: a key twice, a record over 100 KB, integral floats ------------------------


def test_an_object_naming_a_key_twice_is_refused_without_quoting_the_key(tmp_path: Path) -> None:
    path = tmp_path / "twice.jsonl"
    path.write_text('{"name": "นายผู้ยื่น", "amount": 1, "name": "นางคู่สมรส"}\n', encoding="utf-8")
    error = _error(path, "jsonl")
    assert "the same key twice" in str(error)
    assert "นาง" not in str(error)


def test_a_record_over_100_kb_is_refused_naming_row_and_field(tmp_path: Path) -> None:
    path = tmp_path / "wide.jsonl"
    lines = [{"amount": 1, "name": "ก"}, {"amount": 2, "name": "x" * 200_000}]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    error = _error(path, "jsonl")
    assert "row 2, field 'name'" in str(error)
    assert "at most 100 KB" in str(error)


def test_an_integral_number_written_as_a_float_reads_as_the_integer(tmp_path: Path) -> None:
    path = tmp_path / "counts.json"
    path.write_text('[{"amount": 3.0}, {"amount": 2.50}, {"amount": 1e3}, {"amount": 7}]')
    assert [r["amount"] for r in _rows(_read(path, "json"))] == ["3", "2.50", "1e3", "7"]
