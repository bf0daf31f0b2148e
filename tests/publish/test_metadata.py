"""CKAN dictionaries and fingerprints built from the intended catalog."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pipelines.publish.metadata import (
    KEYWORDS_KEY,
    dataset_dict,
    datastore_fields,
    extras_dict,
    fingerprint,
    organization_dict,
    split_tags,
)
from pipelines.publish.model import DatastoreTable, DictionaryField


def test_dataset_dict_maps_core_dga_bilingual_fields_and_marker(make_request) -> None:
    data = dataset_dict(make_request("ag").dataset)
    assert data["name"] == "ag-procurement"
    assert data["owner_org"] == "ag"
    assert data["title"].startswith("ข้อมูล")
    assert data["title_en"].startswith("Public")
    assert data["update_frequency_unit"] == "เดือน"
    assert data["geo_coverage"] == "ประเทศ"
    extras = extras_dict(data)
    assert extras["ogp_publisher"] == "ogp-pipeline"
    assert extras["ogp_family"] == "procurement"
    assert len(extras["ogp_metadata_hash"]) == 64
    assert "resources" not in data  # package_patch must leave resources alone


def test_thai_tags_a_stock_ckan_refuses_go_to_keywords(make_request) -> None:
    assert split_tags(("procurement", "จัดซื้อจัดจ้าง", "e-GP")) == (
        ["procurement", "e-GP"],
        ["จัดซื้อจัดจ้าง"],
    )
    data = dataset_dict(make_request("ag").dataset)
    assert {t["name"] for t in data["tags"]} == {"procurement", "e-GP", "open-contracting"}
    assert extras_dict(data)[KEYWORDS_KEY] == "จัดซื้อจัดจ้าง"


def test_metadata_hash_changes_with_any_field_and_only_then(make_request) -> None:
    dataset = make_request("ag").dataset
    same = extras_dict(dataset_dict(dataset))["ogp_metadata_hash"]
    assert extras_dict(dataset_dict(make_request("ag").dataset))["ogp_metadata_hash"] == same
    changed = replace(dataset, catalog_fields={**dataset.catalog_fields, "objective": "อื่น ๆ"})
    assert extras_dict(dataset_dict(changed))["ogp_metadata_hash"] != same


def test_organization_dict_keeps_english_title_in_extras(make_request) -> None:
    org = make_request("ag").organization
    extras = extras_dict(organization_dict(org))
    assert extras["title_en"] == org.title_en
    assert extras["ministry_en"] == "Ministry of Testing"


def test_datastore_fields_are_typed_and_labelled_bilingually(make_request) -> None:
    table = make_request("ag").resources[0].datastore
    assert table is not None
    fields = {field["id"]: field for field in datastore_fields(table)}
    assert fields["budget"]["type"] == "numeric"
    assert fields["fiscal_year"]["type"] == "int8"
    assert fields["announce_date"]["type"] == "date"
    assert fields["project_id"]["info"] == {
        "label": "เลขที่โครงการ / Project number",
        "notes": "e-GP project number (11 digits, leading zeros kept).",
        "type_override": "text",
    }


def test_unknown_table_schema_type_is_refused_with_the_column_name(make_request) -> None:
    table = make_request("ag").resources[0].datastore
    assert table is not None
    odd = DatastoreTable((DictionaryField("geo", "geopoint", "Geo", "พิกัด"),), table.table)
    with pytest.raises(ValueError, match="'geo'"):
        datastore_fields(odd)


def test_fingerprint_is_key_order_independent_and_unicode_exact() -> None:
    assert fingerprint({"a": 1, "b": "ไทย"}) == fingerprint({"b": "ไทย", "a": 1})
    assert fingerprint({"a": "ไทย"}) != fingerprint({"a": "ไทย "})


def test_a_withheld_resource_shows_in_the_notes_and_extras_and_changes_the_hash(
    report_files,
) -> None:
    from pipelines.contracts import load_spec
    from pipelines.publish.request import WITHHELD_KEY, WithheldResource, build_request

    from .publish_samples import procurement_table, sample_agency

    spec, table = load_spec("procurement"), procurement_table({2024: 2})
    item = WithheldResource("ocds-release-package.json", "OCDS", "OCDS", "offline", "ออฟไลน์")
    plain = dataset_dict(build_request(spec, sample_agency("ag"), table, report_files).dataset)
    withheld = dataset_dict(
        build_request(spec, sample_agency("ag"), table, report_files, withheld=[item]).dataset
    )
    assert WITHHELD_KEY not in extras_dict(plain)
    assert extras_dict(withheld)[WITHHELD_KEY] == "ocds-release-package.json"
    assert "ocds-release-package.json is withheld" in withheld["notes_en"]
    assert "ยังไม่เผยแพร่ ocds-release-package.json" in withheld["notes"]
    assert plain["notes_en"] == spec.description.en
    hashes = {extras_dict(d)["ogp_metadata_hash"] for d in (plain, withheld)}
    assert len(hashes) == 2, "the page is updated when the package is withheld and back"
