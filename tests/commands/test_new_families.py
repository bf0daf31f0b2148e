"""The two families added as data only (issue 14 item 5): ``asset_declarations`` and
``forum_meetings``.

* each demo drop passes ``ogp validate`` (the program's command line) with no invalid row;
* a declaration of a position whose declarations NACC does not disclose is refused (the row is
  never published) and an address column is never published, whatever it holds;
* the demo catalog's ``ogp run`` (the ``demo_catalog`` fixture: test agencies sending the
  drops of the 7 demo agencies) against the real local portal publishes both families for the
  agencies that sent them, one CSV per calendar year with every row; no relative's name or
  address is in any published file; the agencies that sent nothing are awaiting data, their
  other families are published, and the run exits 0. Everything it published is purged after.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ckanapi
import pytest
import requests

from pipelines import thai
from pipelines.contracts import load_specs
from pipelines.settings import REPO_ROOT
from tests.conftest import DEMO_CATALOG_GROUP
from tests.deploy.sandbox import FAMILIES, DemoCatalog, RunResult

pytestmark = [
    pytest.mark.portal,
    pytest.mark.timeout(2400),
    pytest.mark.xdist_group(DEMO_CATALOG_GROUP),
]

NEW = ("asset_declarations", "forum_meetings")
DROPS = REPO_ROOT / "datasets" / "drops"


@dataclass(frozen=True)
class Drop:
    agency: str  # the demo agency that sent it
    family: str
    path: Path
    date_field: str  # the header (or key) of the period's date
    private: tuple[str, ...] = ()  # headers (or keys) of relatives' names and addresses

    def records(self) -> list[dict[str, Any]]:
        text = self.path.read_text(encoding="utf-8-sig")
        if self.path.suffix == ".csv":
            return list(csv.DictReader(io.StringIO(text)))
        if self.path.suffix == ".jsonl":
            return [json.loads(line) for line in text.splitlines() if line.strip()]
        return list(json.loads(text)["data"]["items"])  # the contract's records path

    def rows_per_year(self) -> Counter[int]:
        days = [thai.parse_date(str(record[self.date_field])) for record in self.records()]
        assert None not in days, self.path
        return Counter(day.year for day in days if day is not None)

    def private_values(self) -> set[str]:
        return {str(r[key]) for r in self.records() for key in self.private if r.get(key)}


SENT = (
    Drop(
        "cgd",
        "asset_declarations",
        DROPS / "cgd" / "asset_declarations_2568.csv",
        "วันที่ยื่นบัญชี",
        ("ชื่อคู่สมรส", "ที่อยู่ตามทะเบียนบ้าน"),
    ),
    Drop(
        "rid",
        "asset_declarations",
        DROPS / "rid" / "asset_declarations_2568.jsonl",
        "date_filed",
        ("spouse_name",),
    ),
    Drop("cgd", "forum_meetings", DROPS / "cgd" / "forum_meetings_2568.csv", "วันที่ประชุม"),
    Drop("obec", "forum_meetings", DROPS / "obec" / "forum_meetings_2568.json", "date"),
)
DEMO = ("cgd", "pcd", "dla", "rid", "fda", "doh", "obec")  # pcd, dla, fda, doh sent neither


def ogp_validate(path: Path, family: str, agency: str) -> tuple[int, dict[str, Any]]:
    """``ogp validate --json`` on the checkout's contracts, through the program's own command
    line in this process (the console script's exit codes are tested in test_validate_exit)."""
    from typer.testing import CliRunner

    from pipelines.cli import app

    argv = ["validate", str(path), "--dataset", family, "--agency", agency, "--json"]
    result = CliRunner().invoke(app, argv)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"ogp validate raised {result.exception!r}") from result.exception
    assert result.stdout.strip(), result.output
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("drop", SENT, ids=lambda d: f"{d.agency}-{d.family}")
def test_each_demo_drop_passes_ogp_validate(drop: Drop) -> None:
    code, report = ogp_validate(drop.path, drop.family, drop.agency)
    assert (code, report["status"]) == (0, "passed"), report["reasons"]
    assert report["counts"]["rows"] == len(drop.records())
    assert report["counts"]["invalid_rows"] == 0
    assert report["privacy"]["findings"] == []


def test_an_undisclosed_declaration_is_refused_and_an_address_never_published(
    tmp_path: Path,
) -> None:
    """Twelve declarations of political office holders and one of a Director-General (not
    disclosed by NACC): that row is left out, its name is masked, and its name and totals are in
    no report; the address column (holding a phone number) is not published and the guard says
    so."""
    header = ["เลขที่บัญชี", "ตำแหน่ง", "ประเภทตำแหน่ง", "ชื่อผู้ยื่นบัญชี", "กรณีที่ยื่น"]
    header += ["วันที่ยื่นบัญชี", "รวมทรัพย์สิน (บาท)", "รวมหนี้สิน (บาท)", "ที่อยู่", "ลิงก์ ป.ป.ช."]
    rows = [
        [
            f"NACC-2568-{n:05d}",
            "ที่ปรึกษารัฐมนตรีว่าการกระทรวงการคลัง",
            "ผู้ดำรงตำแหน่งทางการเมือง",
            f"นายทดสอบ ลำดับ{n}",
            "กรณีเข้ารับตำแหน่ง",
            f"{n:02d}/03/{thai.ce_to_be(2025)}",
            f"{n},000,000.00",
            "0.00",
            f"{n} ถนนทดสอบ กรุงเทพมหานคร",
            f"https://www.nacc.go.th/declarations/2568/{n:05d}",
        ]
        for n in range(1, 13)
    ]
    hidden_name, hidden_total, phone = "นายไม่เปิดเผย ตัวอย่าง", "55,555,555.55", "081-234-5678"
    rows.insert(
        4,
        [
            "NACC-2568-00099",
            "อธิบดีกรมบัญชีกลาง",
            "ผู้บริหารระดับสูง",  # a senior official: declared to NACC, not disclosed
            hidden_name,
            "กรณีเข้ารับตำแหน่ง",
            f"01/04/{thai.ce_to_be(2025)}",
            hidden_total,
            "0.00",
            f"9 ถนนทดสอบ โทร {phone}",
            "https://www.nacc.go.th/declarations/2568/00099",
        ],
    )
    path = tmp_path / "asset_declarations_test.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])

    code, report = ogp_validate(path, "asset_declarations", "cgd")
    assert (code, report["status"]) == (1, "quarantined")  # 1 of 13 rows: within the 10%
    assert report["counts"]["invalid_rows"] == 1
    assert report["counts"]["published_rows"] == 12
    refused = [e for e in report["schema"]["errors"] if e.get("rowNumber") == 6]
    assert {e["fieldName"] for e in refused} == {"position_category"}
    # that row's name is not public: masked by the contract's rule (the row is left out anyway)
    findings = report["privacy"]["findings"]
    assert sorted((f["rowNumber"], f["column"], f["kind"], f["action"]) for f in findings) == [
        (6, "declarant_name", "personal_data", "mask"),
        (6, "ที่อยู่", "phone", "not_published"),
    ]
    text = json.dumps(report, ensure_ascii=False)
    for secret in (hidden_name, hidden_total, hidden_total.replace(",", ""), phone, "ถนนทดสอบ"):
        assert secret not in text


# --- one `ogp run` of a sandbox ------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    """The demo catalog's run, as these tests read it."""

    catalog: DemoCatalog

    @property
    def result(self) -> RunResult:
        return self.catalog.result

    def test_agency(self, demo: str) -> str:
        return self.catalog.test_agency(demo)

    def status(self, demo: str, step: str) -> str:
        return str(self.result.row(self.test_agency(demo), step)["status"])


@pytest.fixture
def published(demo_catalog: DemoCatalog) -> Published:
    return Published(demo_catalog)


def test_the_run_publishes_where_sent_and_the_rest_awaits_data(
    published: Published, anon: ckanapi.RemoteCKAN
) -> None:
    result = published.result
    assert result.code == 0, result.console[-4000:]
    sent = {(drop.agency, drop.family) for drop in SENT}
    for demo in DEMO:
        agency = published.test_agency(demo)
        for family in NEW:
            status = published.status(demo, family)
            if (demo, family) in sent:
                assert status == "published", (demo, family, result.row(agency, family))
                assert anon.action.package_show(id=f"{agency}-{family}")["num_resources"] > 0
            else:
                assert status == "awaiting data", (demo, family, result.row(agency, family))
                with pytest.raises(ckanapi.NotFound):
                    anon.action.package_show(id=f"{agency}-{family}")
    # the agency that sent neither family: its other families went on
    for family in FAMILIES:
        assert published.status("pcd", family).startswith("published"), family


def test_one_csv_per_calendar_year_with_every_row(
    published: Published, ckan: ckanapi.RemoteCKAN
) -> None:
    for drop in SENT:
        name = f"{published.test_agency(drop.agency)}-{drop.family}"
        package = ckan.action.package_show(id=name)
        rows = {
            resource["name"]: int(
                ckan.action.datastore_search(resource_id=resource["id"], limit=0)["total"]
            )
            for resource in package["resources"]
            if resource["name"].endswith(".csv")
        }
        expected = {f"{drop.family}-{year}.csv": n for year, n in drop.rows_per_year().items()}
        assert rows == expected, name
        assert len(expected) == 2  # 2024 and 2025 (B.E. 2567, 2568)


def test_no_relative_or_address_in_any_published_file(
    published: Published, anon: ckanapi.RemoteCKAN
) -> None:
    spec = load_specs()["asset_declarations"]
    for drop in (d for d in SENT if d.family == "asset_declarations"):
        private = drop.private_values()
        assert private  # the drop does carry relatives' names (and, for cgd, addresses)
        package = anon.action.package_show(id=f"{published.test_agency(drop.agency)}-{drop.family}")
        names: list[str] = []
        for resource in package["resources"]:
            body = requests.get(resource["url"], timeout=60)
            body.raise_for_status()
            text = body.content.decode("utf-8-sig")
            assert not {value for value in private if value in text}, resource["name"]
            if resource["name"].endswith(".csv"):
                table = list(csv.DictReader(io.StringIO(text)))
                assert list(table[0]) == spec.field_names, resource["name"]
                names += [row["declarant_name"] for row in table]
            if resource.get("datastore_active"):
                records = anon.action.datastore_search(resource_id=resource["id"], limit=1000)
                stored = json.dumps(records["records"], ensure_ascii=False)
                assert not {value for value in private if value in stored}, resource["name"]
        assert not {value for value in private if value in json.dumps(package, ensure_ascii=False)}
        # the declarants' names are published as NACC discloses them (political office)
        sent_names = [str(r.get("ชื่อผู้ยื่นบัญชี") or r.get("declarant")) for r in drop.records()]
        assert sorted(names) == sorted(sent_names)
