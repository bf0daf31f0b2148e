"""A real e-GP-style procurement export (bench/generate.py egp) passes and is published.

* the generator, run as a command, writes what e-GP exports look like (both encodings), the
  same bytes every time;
* ``ogp validate <export> --dataset procurement`` (its command line, in this process) passes
  it with 0 invalid rows, in cp874 and in UTF-8 with a BOM; an agency name the registry does
  not know is one error naming the row, the field and the closest registered names;
* ``ogp run`` publishes it for its agency against the real local portal: a sandbox
  (tests/deploy/sandbox.py) whose registry has the agency under a test code but its real Thai
  name; the published DataStore rows carry the derived fiscal year and status, the method
  codes and the agency code. Everything published is purged afterwards.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import ckanapi
import dagster as dg
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.settings import REPO_ROOT
from pipelines.thai import parse_date, to_ascii_digits
from tests.conftest import Portal
from tests.deploy.sandbox import BIN, Sandbox, child_env, instance, make_sandbox, on_portal

GENERATOR = REPO_ROOT / "bench" / "generate.py"
DLA = "กรมส่งเสริมการปกครองท้องถิ่น"
HEADER_ROW = 4  # 0-based: three title rows and a blank row above it
METHOD_CODES = {
    "วิธีเฉพาะเจาะจง": "specific",
    "วิธีตลาดอิเล็กทรอนิกส์ (e-market)": "e_market",
    "วิธีประกาศเชิญชวนทั่วไป": "e_bidding",
}
FIELDS = ("fiscal_year", "status", "method", "number_of_bidders")
RUN_TIMEOUT_S = 1200  # a hang guard for `ogp run`, not a timing assertion

pytestmark = pytest.mark.timeout(1800)


def generate(out: Path, rows: int, encoding: str, agency: str = "dla", **env: str) -> bytes:
    done = subprocess.run(
        [
            sys.executable,
            str(GENERATOR),
            "egp",
            "--agency",
            agency,
            "--rows",
            str(rows),
            "--out",
            str(out),
            "--encoding",
            encoding,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **env},
    )
    assert done.returncode == 0, done.stderr
    return out.read_bytes()


def records(data: bytes, encoding: str) -> tuple[list[list[str]], list[dict[str, str]]]:
    """(the rows above the header, the data rows by heading)."""
    lines = list(csv.reader(io.StringIO(data.decode(encoding))))
    header = lines[HEADER_ROW]
    return lines[:HEADER_ROW], [dict(zip(header, row, strict=True)) for row in lines[5:]]


@pytest.mark.parametrize("encoding", ["cp874", "utf-8-sig"])
def test_the_generator_writes_an_egp_export_the_same_every_time(
    tmp_path: Path, encoding: str
) -> None:
    data = generate(tmp_path / "a.csv", 200, encoding)
    assert generate(tmp_path / "b.csv", 200, encoding) == data
    assert data.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    titles, rows = records(data, encoding)
    assert titles[1] == [f"หน่วยงาน : {DLA}"]
    assert titles[3] == []
    assert len(rows) == 200
    assert not {"ปีงบประมาณ", "สถานะ", "สถานะโครงการ"} & set(rows[0])  # derived, not sent
    assert {row["หน่วยงาน"] for row in rows} == {DLA}
    assert all(re.fullmatch(r"6[78]\d{9}", row["เลขที่โครงการ"]) for row in rows)
    assert {row["วิธีการจัดหา"] for row in rows} == set(METHOD_CODES)
    bidders = [row["จำนวนผู้เสนอราคา"] for row in rows if row["จำนวนผู้เสนอราคา"]]
    assert bidders
    assert all(re.fullmatch("[๐-๙]+", count) for count in bidders)
    days = [row["วันที่ประกาศ"] for row in rows]
    assert any(re.fullmatch(r"\d\d/\d\d/25\d\d", day) for day in days)
    assert any(re.fullmatch(r"\d{1,2} \S+\.\S+\. 25\d\d", day) for day in days)


def expected(rows: list[dict[str, str]]) -> dict[str, dict[str, object]]:
    """What the contract must make of each row (fiscal year by the Oct-Sep rule, written here)."""
    result: dict[str, dict[str, object]] = {}
    for row in rows:
        day = parse_date(row["วันที่ประกาศ"])
        assert isinstance(day, dt.date)
        status = "announced"
        if row["วันที่ลงนามสัญญา"]:
            status = "contracted"
        elif row["ผู้ได้รับการคัดเลือก"]:
            status = "awarded"
        bidders = row["จำนวนผู้เสนอราคา"]
        result[row["เลขที่โครงการ"]] = {
            "fiscal_year": day.year + 1 if day.month >= 10 else day.year,
            "status": status,
            "method": METHOD_CODES[row["วิธีการจัดหา"]],
            "number_of_bidders": int(to_ascii_digits(bidders)) if bidders else None,
        }
    return result


@pytest.mark.parametrize("encoding", ["cp874", "utf-8-sig"])
def test_ogp_validate_passes_the_export_with_no_invalid_row(tmp_path: Path, encoding: str) -> None:
    export = tmp_path / f"egp_{encoding}.csv"
    generate(export, 300, encoding)
    done = CliRunner().invoke(app, ["validate", str(export), "--dataset", "procurement", "--json"])
    assert done.exit_code == 0, done.output[-3000:]
    report = json.loads(done.stdout)
    assert report["status"] == "passed"
    assert report["counts"]["rows"] == 300
    assert report["counts"]["invalid_rows"] == 0
    assert report["counts"]["published_rows"] == 300
    assert report["schema"]["errors"] == []


def test_ogp_validate_names_the_row_of_an_unknown_agency_and_the_closest_names(
    tmp_path: Path,
) -> None:
    export = tmp_path / "egp.csv"
    lines = generate(export, 50, "utf-8-sig").decode("utf-8-sig").splitlines(keepends=True)
    first = HEADER_ROW + 1  # the first data row (row 2 of the table)
    # row 3: the ministry in parentheses, an NBSP and a zero-width space: still DLA
    lines[first + 1] = lines[first + 1].replace(
        DLA, "กรม\u00a0ส่งเสริม\u200bการปกครองท้องถิ่น (กระทรวงมหาดไทย)", 1
    )
    lines[first + 2] = lines[first + 2].replace(DLA, f"{DLA}จังหวัดพิษณุโลก", 1)  # row 4: unknown
    export.write_text("".join(lines), encoding="utf-8-sig")
    done = CliRunner().invoke(app, ["validate", str(export), "--dataset", "procurement"])
    output = done.output
    assert done.exit_code == 1, output
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
    assert "Traceback" not in output
    assert "50 rows / แถว, 1 invalid" in output
    (line,) = [line for line in output.splitlines() if "type-error" in line]
    assert line.strip().startswith(
        f"{export}, row 4, field 'agency_code': type-error — not in the agencies registry;"
        f" closest registered: {DLA} (dla); "
    )


@pytest.fixture
def sandbox(
    tmp_path: Path,
    run_id: str,
    ckan_portal: Portal,
    ckan: ckanapi.RemoteCKAN,
    ocds_schema_dir: Path,
) -> Iterator[Sandbox]:
    """One test agency: registered under a test code with DLA's real Thai name, sending an
    e-GP export as its procurement (its other families: the template agency's drops)."""
    made = make_sandbox(tmp_path / "egp", f"{run_id}egp", 1, ocds_schema_dir)
    (agency,) = made.agencies
    registry = Path(made.env["OGP_DATASETS_DIR"]) / "agencies" / "agencies.csv"
    with registry.open(encoding="utf-8", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    row.update(name_th=DLA, name_en=f"Department of Local Administration (test {agency})")
    row.update(aliases="")
    with registry.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    drops = made.root / "drops" / agency
    for drop in drops.glob("procurement_*"):
        drop.unlink()
    with on_portal(ckan, ckan_portal.token_file.parent, made) as on:
        yield on


def test_ogp_run_publishes_the_export_for_its_agency(
    sandbox: Sandbox, ckan: ckanapi.RemoteCKAN
) -> None:
    (agency,) = sandbox.agencies
    # named like the drops (procurement_<year>*): the contract's pattern leaves bids files out
    export = sandbox.root / "drops" / agency / "procurement_2568_egp.csv"
    # the generator reads the sandbox's registry: the test code, DLA's Thai name
    data = generate(export, 120, "cp874", agency, OGP_DATASETS_DIR=sandbox.env["OGP_DATASETS_DIR"])
    want = expected(records(data, "cp874")[1])
    log = sandbox.root / "run.console"
    with log.open("wb") as out:
        done = subprocess.run(
            [str(BIN / "ogp"), "run", "--agency", agency],
            cwd=REPO_ROOT,
            env=child_env(sandbox),
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=RUN_TIMEOUT_S,
            check=False,
        )
    console = log.read_text(encoding="utf-8", errors="replace")
    assert done.returncode == 0, console[-4000:]

    package = ckan.action.package_show(id=f"{agency}-procurement")
    tables = {r["name"]: r for r in package["resources"] if r.get("datastore_active")}
    years = sorted({str(row["fiscal_year"]) for row in want.values()})
    assert sorted(tables) == [f"procurement-fy{year}.csv" for year in years]
    published: dict[str, dict[str, object]] = {}
    for name, resource in tables.items():
        found = ckan.action.datastore_search(resource_id=resource["id"], limit=1000)
        assert found["total"] == len(found["records"])
        for record in found["records"]:
            assert record["agency_code"] == agency
            assert name == f"procurement-fy{record['fiscal_year']}.csv"
            published[record["project_id"]] = {key: record[key] for key in FIELDS}
    assert published == want
    # what normalisation did, in the clean step's Dagster metadata
    with instance(sandbox) as dagster:
        (record,) = dagster.fetch_materializations(
            dg.AssetRecordsFilter(
                asset_key=dg.AssetKey("clean_procurement"), asset_partitions=[agency]
            ),
            limit=1,
        ).records
    materialization = record.asset_materialization
    assert materialization is not None
    counts = materialization.metadata["normalizations"].value
    assert isinstance(counts, dict)
    assert counts["derived_fiscal_year"] == counts["derived_status"] == len(want)
    assert counts["resolved_agency_code"] == len(want)  # every row named DLA, none its code
    assert counts["title_rows_skipped"] == HEADER_ROW
