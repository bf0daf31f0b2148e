"""A family added as data only, run end to end by `ogp run` against the real local portal.

In a sandbox catalog (tests/deploy/sandbox.py) this test writes a throwaway family
``site_visits`` (contract, Table Schema, suite in a temporary expectations folder) whose period
is the calendar year, whose source is JSON lines, and whose ``province_code`` is a foreign key
to a second registry ``provinces`` (``partitioned: false``); only the first test agency sends
a file. One run proves: the family is published for that agency with one resource per
calendar year (its rows span two calendar years but one fiscal year), labelled as such; the
other agency is *awaiting data* for it while its other families are published; the run exits 0.
Every input is generated here; what the run published is purged at the end.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ckanapi
import pytest
import yaml

from pipelines.settings import REPO_ROOT
from tests.conftest import Portal
from tests.deploy.sandbox import RunResult, Sandbox, make_sandbox, on_portal, run

FAMILY = "site_visits"
REGISTRY = "provinces"
PROVINCES = [("10", "กรุงเทพมหานคร", "Bangkok"), ("50", "เชียงใหม่", "Chiang Mai")]
# 2024-11-05 and 2025-03-02 are both in fiscal year 2025, but in two calendar years
VISITS = [
    ("V-001", dt.date(2024, 11, 5), "10", 12),
    ("V-002", dt.date(2025, 1, 20), "50", 30),
    ("V-003", dt.date(2025, 3, 2), "10", 7),
]
pytestmark = pytest.mark.timeout(1800)


def _ckan_block() -> dict[str, Any]:
    budget = yaml.safe_load((REPO_ROOT / "datasets/budget/dataset.yaml").read_text("utf-8"))
    return {**budget["ckan"], "update_frequency": "monthly", "tags": ["site-visits"]}


def _family(datasets: Path, expectations: Path, drops: Path) -> None:
    folder = datasets / FAMILY
    folder.mkdir()
    fields = [
        {"name": "visit_id", "type": "string", "constraints": {"required": True}},
        {"name": "agency_code", "type": "string"},
        {"name": "visit_date", "type": "date", "constraints": {"required": True}},
        {"name": "province_code", "type": "string"},
        {"name": "visitors", "type": "integer"},
    ]
    schema = {
        "fields": fields,
        "primaryKey": ["visit_id"],
        "foreignKeys": [
            {
                "fields": "agency_code",
                "reference": {"resource": "agencies", "fields": "agency_code"},
            },
            {
                "fields": "province_code",
                "reference": {"resource": REGISTRY, "fields": "province_code"},
            },
        ],
        "missingValues": [""],
    }
    (folder / "schema.json").write_text(json.dumps(schema, ensure_ascii=False), "utf-8")
    contract = {
        "name": FAMILY,
        "title": {"th": "การตรวจเยี่ยมพื้นที่", "en": "Site visits"},
        "description": {"th": "การตรวจเยี่ยมพื้นที่ของหน่วยงาน", "en": "The agency's site visits."},
        "schema": "schema.json",
        "period": "calendar_year",
        "period_field": "visit_date",
        "expectations": FAMILY,
        "privacy": {"public_columns": {"visit_id": "^V-[0-9]{3}$", "province_code": "^[0-9]{2}$"}},
        "normalize": {"partition_field": "agency_code"},
        "ckan": _ckan_block(),
        "sources": {
            "default": {"kind": "file", "path": f"{drops}/{{agency}}/visits_*", "format": "jsonl"}
        },
    }
    (folder / "dataset.yaml").write_text(yaml.safe_dump(contract, allow_unicode=True), "utf-8")
    suite = {
        "name": FAMILY,
        "expectations": [
            {
                "type": "expect_table_row_count_to_be_between",
                "kwargs": {"min_value": 1},
                "meta": {"severity": "error", "description": "The file has rows"},
            },
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "visitors", "min_value": 0, "max_value": 10000},
                "meta": {"severity": "error", "description": "Visitors are counted"},
            },
        ],
    }
    (expectations / f"{FAMILY}.json").write_text(json.dumps(suite), "utf-8")


def _registry(datasets: Path, expectations: Path) -> None:
    folder = datasets / REGISTRY
    folder.mkdir()
    fields = [
        {"name": "province_code", "type": "string", "constraints": {"required": True}},
        {"name": "name_th", "type": "string"},
        {"name": "name_en", "type": "string"},
    ]
    schema = {"fields": fields, "primaryKey": ["province_code"], "missingValues": [""]}
    (folder / "schema.json").write_text(json.dumps(schema), "utf-8")
    lines = ["province_code,name_th,name_en", *(",".join(row) for row in PROVINCES)]
    (folder / f"{REGISTRY}.csv").write_text("\n".join(lines) + "\n", "utf-8")
    contract = {
        "name": REGISTRY,
        "title": {"th": "จังหวัด", "en": "Provinces"},
        "description": {"th": "ทะเบียนจังหวัด", "en": "Province registry."},
        "schema": "schema.json",
        "partitioned": False,
        "expectations": REGISTRY,
        "privacy": {"public_columns": {"province_code": "^[0-9]{2}$"}},
        "ckan": {**_ckan_block(), "update_frequency": "as_needed"},
        "sources": {"default": {"kind": "file", "path": str(folder / f"{REGISTRY}.csv")}},
    }
    (folder / "dataset.yaml").write_text(yaml.safe_dump(contract, allow_unicode=True), "utf-8")
    suite = {"name": REGISTRY, "expectations": []}
    (expectations / f"{REGISTRY}.json").write_text(json.dumps(suite), "utf-8")


def _drop(drops: Path, agency: str) -> None:
    lines = [
        json.dumps(
            {
                "visit_id": visit_id,
                "visit_date": day.isoformat(),
                "province_code": province,
                "visitors": visitors,
            }
        )
        for visit_id, day, province, visitors in VISITS
    ]
    (drops / agency / "visits_2568.jsonl").write_text("\n".join(lines) + "\n", "utf-8")


@pytest.fixture(scope="module")
def family_run(
    tmp_path_factory: pytest.TempPathFactory,
    run_id: str,
    ckan_portal: Portal,
    ckan: ckanapi.RemoteCKAN,
    ocds_schema_dir: Path,
) -> Iterator[tuple[Sandbox, RunResult]]:
    root = tmp_path_factory.mktemp("family-as-data")
    sandbox = make_sandbox(root / "sandbox", f"{run_id}v", 2, ocds_schema_dir)
    datasets = Path(sandbox.env["OGP_DATASETS_DIR"])
    expectations = root / "expectations"
    shutil.copytree(REPO_ROOT / "expectations", expectations)
    sandbox.env["OGP_EXPECTATIONS_DIR"] = str(expectations)
    drops = sandbox.root / "drops"
    _registry(datasets, expectations)
    _family(datasets, expectations, drops)
    _drop(drops, sandbox.agencies[0])
    with on_portal(ckan, ckan_portal.token_file.parent, sandbox):
        yield sandbox, run(sandbox, "family-as-data")


def test_family_as_data_runs_end_to_end(
    family_run: tuple[Sandbox, RunResult], ckan: ckanapi.RemoteCKAN
) -> None:
    sandbox, result = family_run
    sender, waiting = sandbox.agencies
    assert result.code == 0, result.console[-4000:]

    # published for the agency that sent it: one resource per calendar year
    dataset = ckan.action.package_show(id=f"{sender}-{FAMILY}")
    resources = {r["name"]: r for r in dataset["resources"]}
    csvs = sorted(name for name in resources if name.endswith(".csv"))
    assert csvs == [f"{FAMILY}-2024.csv", f"{FAMILY}-2025.csv"]
    assert "ปี พ.ศ. 2567 / Year 2024 (1 rows)" in resources[f"{FAMILY}-2024.csv"]["description"]
    assert "ปี พ.ศ. 2568 / Year 2025 (2 rows)" in resources[f"{FAMILY}-2025.csv"]["description"]
    extras = {e["key"]: e["value"] for e in dataset.get("extras", [])}
    assert (extras["temporal_start"], extras["temporal_end"]) == ("2024-01-01", "2025-12-31")
    assert (dataset["first_year_of_data"], dataset["last_year_of_data"]) == ("2567", "2568")
    rows = ckan.action.datastore_search(id=resources[f"{FAMILY}-2025.csv"]["id"])["records"]
    assert sorted(r["visit_id"] for r in rows) == ["V-002", "V-003"]

    # the other agency has sent nothing for this family: awaiting data, not failed
    outcomes = {(o["scope"], o["step"]): o for o in result.summary["outcomes"]}
    assert outcomes[(waiting, FAMILY)]["status"] == "awaiting data"
    assert outcomes[(sender, FAMILY)]["status"] == "published"
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id=f"{waiting}-{FAMILY}")
    # ... and its other families went ahead
    assert outcomes[(waiting, "budget")]["status"] == "published"
    assert not [o for o in result.summary["outcomes"] if o["status"] == "failed"]
