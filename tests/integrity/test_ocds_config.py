"""The OCDS mapping in datasets/procurement/ocds.yaml."""

import pytest
import yaml

from pipelines.integrity.ocds_config import default_config_path, load_ocds_config

CANONICAL_METHODS = {"e_bidding", "e_market", "selection", "specific", "price_agreement"}
CANONICAL_STATUSES = {"planned", "announced", "awarded", "contracted", "cancelled"}


def test_every_canonical_method_and_status_is_mapped():
    config = load_ocds_config()
    assert set(config.methods) == CANONICAL_METHODS
    assert set(config.statuses) == CANONICAL_STATUSES


def test_method_details_map_back_to_the_thai_method():
    config = load_ocds_config()
    for method, mapping in config.methods.items():
        assert config.method_for_details(mapping.details) == method
    assert config.method_for_details("unknown") is None


def test_a_code_outside_the_closed_codelist_is_refused_naming_the_file(tmp_path):
    raw = yaml.safe_load(default_config_path().read_text("utf-8"))
    raw["methods"]["e_bidding"]["procurement_method"] = "auction"
    path = tmp_path / "ocds.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match=r"(?s)ocds\.yaml.*procurement_method"):
        load_ocds_config(path)


def test_duplicate_method_details_are_refused(tmp_path):
    raw = yaml.safe_load(default_config_path().read_text("utf-8"))
    raw["methods"]["e_market"]["details"] = raw["methods"]["e_bidding"]["details"]
    path = tmp_path / "ocds.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match="details must be unique"):
        load_ocds_config(path)


def test_ocid_for_is_the_prefix_and_the_project_number(monkeypatch):
    from pipelines.integrity.ocds_config import ocid_for
    from pipelines.settings import get_settings

    assert ocid_for("67000000001", "ocds-abc123") == "ocds-abc123-67000000001"
    assert ocid_for("67000000001") == f"{load_ocds_config().ocid_prefix}-67000000001"
    monkeypatch.setenv("OGP_OCID_PREFIX", "ocds-zz9999")
    get_settings.cache_clear()
    try:
        assert ocid_for("67000000001") == "ocds-zz9999-67000000001"
    finally:
        monkeypatch.delenv("OGP_OCID_PREFIX")
        get_settings.cache_clear()
    with pytest.raises(ValueError, match="project_id"):
        ocid_for("")
