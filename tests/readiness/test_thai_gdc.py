"""The data.go.th (ckanext-thai_gdc) required-field check, pure: packages generated here as
CKAN's package_show returns them, expectations by hand."""

from __future__ import annotations

from typing import Any

import pytest

from pipelines.readiness.mqa_rules import ThaiGdcRules, load_mqa_rules
from pipelines.readiness.thai_gdc import check_package, check_packages, thai_gdc_figures

from .conftest import OGP_DIR, PORTAL

REQUIRED = [
    "data_type",
    "title",
    "maintainer",
    "maintainer_email",
    "tag_string",
    "notes",
    "objective",
    "data_format",
    "update_frequency_unit",
    "geo_coverage",
    "data_source",
    "data_category",
    "license_id",
]


@pytest.fixture(scope="module")
def rules() -> ThaiGdcRules:
    return load_mqa_rules(OGP_DIR).thai_gdc


def complete(name: str, org: str) -> dict[str, Any]:
    return {
        "name": name,
        "organization": {"name": org},
        "title": "งบประมาณ",
        "data_type": "ข้อมูลสถิติ",
        "maintainer": "กองคลัง",
        "maintainer_email": "finance@example.go.th",
        "tags": [{"name": "budget"}],
        "notes": "คำอธิบาย",
        "objective": "พันธกิจหน่วยงาน",
        "data_format": "CSV",
        "update_frequency_unit": "ปี",
        "geo_coverage": "ประเทศ",
        "data_source": "GFMIS",
        "data_category": "ข้อมูลสาธารณะ",
        "license_id": "cc-by",
        "resources": [{"name": "budget.csv"}],
    }


def test_the_field_list_is_the_national_catalogs(rules: ThaiGdcRules) -> None:
    assert [f.field for f in rules.dataset_fields] == REQUIRED
    assert [f.field for f in rules.resource_fields] == ["name"]
    assert "ckanext-thai_gdc" in rules.source.url
    assert [f.field for f in rules.dataset_fields if f.choices] == [
        "objective",
        "data_format",
        "data_category",
    ]
    assert rules.source.url.endswith("ckan_dataset.json")


def test_complete_dataset_misses_nothing(rules: ThaiGdcRules) -> None:
    check = check_package(complete("a-budget", "a"), rules, PORTAL)
    assert check.missing == []
    assert check.complete
    assert check.url == f"{PORTAL}/dataset/a-budget"


def test_missing_fields_are_named(rules: ThaiGdcRules) -> None:
    package = complete("a-budget", "a")
    package.update(maintainer="", maintainer_email="  ", tags=[], objective=None)
    del package["license_id"]
    package["resources"].append({"name": ""})
    check = check_package(package, rules, PORTAL)
    assert [m.field for m in check.missing] == [
        "maintainer",
        "maintainer_email",
        "tag_string",
        "objective",
        "license_id",
        "resources[1].name",
    ]
    assert check.missing[-1].label_en == "Resource name (resource 2)"
    assert check.missing[-1].label_th == "ชื่อทรัพยากร (ทรัพยากรลำดับที่ 2)"


def test_tag_string_as_the_form_sends_it_counts(rules: ThaiGdcRules) -> None:
    package = complete("a-budget", "a")
    package.update(tags=[], tag_string="budget,งบประมาณ")
    assert check_package(package, rules, PORTAL).complete


def test_per_agency_counts_and_figures(rules: ThaiGdcRules) -> None:
    bare = {"name": "a-bare", "organization": {"name": "a"}, "title": "a-bare", "resources": []}
    half = complete("a-half", "a") | {"maintainer": "", "maintainer_email": ""}
    result = check_packages(
        [complete("a-ok", "a"), bare, half, complete("b-ok", "b")], rules, PORTAL
    )
    agency = result.agencies["a"]
    assert (agency.datasets, agency.complete) == (3, 1)
    assert agency.missing_by_field["maintainer"] == 2
    assert agency.missing_by_field["data_type"] == 1
    assert len(agency.missing_by_field) == 12  # every required field but the title
    assert (result.portal.datasets, result.portal.complete) == (4, 2)
    figures = thai_gdc_figures(agency, rules)
    ready = figures["thai_gdc_ready"]
    assert (ready.ratio, ready.value, ready.status) == ("1/3", pytest.approx(1 / 3), "ok")
    missing = figures["thai_gdc_missing_fields"]
    assert missing.value == 12 + 2  # the bare dataset's 12, the half one's 2
    assert "Contact person: 2 datasets" in (missing.note_en or "")
    assert "ชื่อผู้ติดต่อ 2 ชุด" in (missing.note_th or "")
    assert ready.evidence[0] == f"{PORTAL}/organization/a"


def test_no_dataset_is_unknown(rules: ThaiGdcRules) -> None:
    result = check_packages([], rules, PORTAL)
    ready = thai_gdc_figures(result.portal, rules)["thai_gdc_ready"]
    assert (ready.value, ready.status, ready.ratio) == (None, "unknown", "0/0")


def test_values_the_form_refuses(rules: ThaiGdcRules) -> None:
    package = complete("a-budget", "a")
    package.update(
        objective="ตอบสนองภารกิจของหน่วยงาน",  # not among the schema's objective choices
        data_format='["CSV", "Parquet"]',  # a stored multiple choice: one refused
        data_category="ข้อมูลสาธารณะ",
        maintainer_email="finance at example.go.th",
    )
    check = check_package(package, rules, PORTAL)
    assert check.missing == []
    assert not check.complete
    assert [(r.field, r.values) for r in check.rejected] == [
        ("maintainer_email", []),  # the address itself is never repeated
        ("objective", ["ตอบสนองภารกิจของหน่วยงาน"]),
        ("data_format", ["Parquet"]),
    ]
    assert check.rejected[1].reason_en == "not one of the choices data.go.th accepts"
    assert check.rejected[1].reason_th == "ไม่อยู่ในตัวเลือกที่ data.go.th รับ"


def test_accepted_choices_and_addresses(rules: ThaiGdcRules) -> None:
    package = complete("a-budget", "a")
    package.update(
        objective=["ยุทธศาสตร์ชาติ", "พันธกิจหน่วยงาน"],
        data_format='["CSV", "JSON"]',
        maintainer_email="data.team+open@example.go.th",
    )
    assert check_package(package, rules, PORTAL).complete
    package["maintainer_email"] = "data..team@example.go.th"  # CKAN refuses doubled dots
    assert [r.field for r in check_package(package, rules, PORTAL).rejected] == ["maintainer_email"]


def test_refused_values_counted_per_agency(rules: ThaiGdcRules) -> None:
    refused = complete("a-x", "a") | {"objective": "ตอบสนองภารกิจของหน่วยงาน"}
    result = check_packages([complete("a-ok", "a"), refused], rules, PORTAL)
    agency = result.agencies["a"]
    assert (agency.complete, agency.rejected_by_field, agency.missing_by_field) == (
        1,
        {"objective": 1},
        {},
    )
    figures = thai_gdc_figures(agency, rules)
    assert figures["thai_gdc_ready"].ratio == "1/2"
    assert figures["thai_gdc_rejected_values"].value == 1
    assert figures["thai_gdc_rejected_values"].note_en == "Objective: 1 dataset"
    assert figures["thai_gdc_missing_fields"].note_th == "ไม่มีฟิลด์ที่ขาด"
