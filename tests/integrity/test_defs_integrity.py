"""The Dagster assets, materialized for one agency partition against a temporary data dir."""

import pyarrow.parquet as pq
import pytest
from dagster import AssetKey, StaticPartitionsDefinition, materialize

from pipelines.defs import integrity as integrity_defs
from pipelines.integrity.partition import gated_table_path, integrity_dir
from pipelines.settings import get_settings

PARTITIONS = StaticPartitionsDefinition(["cgd", "pcd"])


@pytest.fixture
def data_dir(tmp_path, monkeypatch, ocds_schema_dir, make_project, make_table):
    monkeypatch.setenv("OGP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OGP_OCDS_SCHEMA_DIR", str(ocds_schema_dir))
    get_settings.cache_clear()
    integrity_defs._validator.cache_clear()
    path = gated_table_path(tmp_path, "cgd")
    path.parent.mkdir(parents=True)
    rows = [make_project(1, number_of_bidders=1), make_project(2, contract_value=1_500_000.0)]
    pq.write_table(make_table(rows), path)
    yield tmp_path
    get_settings.cache_clear()
    integrity_defs._validator.cache_clear()


def test_both_assets_depend_on_clean_procurement_and_share_its_partitions():
    assets = integrity_defs.build_integrity_assets(PARTITIONS)
    for asset in assets:
        assert asset.partitions_def == PARTITIONS
        assert AssetKey("clean_procurement") in asset.dependency_keys
    assert {a.key for a in assets} == {
        AssetKey("procurement_ocds"),
        AssetKey("procurement_red_flags"),
    }


def test_materializing_a_partition_writes_the_package_and_the_flags(data_dir):
    result = materialize(integrity_defs.build_integrity_assets(PARTITIONS), partition_key="cgd")
    assert result.success
    events = {
        event.asset_key.path[-1]: event.step_materialization_data.materialization.metadata
        for event in result.get_asset_materialization_events()
    }
    assert events["procurement_ocds"]["releases"].value == 2
    assert events["procurement_ocds"]["validation_errors"].value == 0
    assert events["procurement_red_flags"]["flag_R018"].value == 1
    assert events["procurement_red_flags"]["flag_TH-ABOVE-BUDGET"].value == 1
    assert events["procurement_red_flags"]["flag_R003"].value == 0
    folder = integrity_dir(data_dir, "cgd")
    assert (folder / "ocds_release_package.json").is_file()
    assert (folder / "red_flags.csv").is_file()


def test_a_partition_without_a_clean_table_fails_naming_the_file(data_dir):
    result = materialize(
        integrity_defs.build_integrity_assets(PARTITIONS), partition_key="pcd", raise_on_error=False
    )
    assert not result.success
    failures = [event.step_failure_data.error for event in result.get_step_failure_events()]
    assert len(failures) == 2
    for failure in failures:
        assert "no validated procurement table for pcd" in failure.message
        assert "validation/procurement/pcd/publishable.parquet" in failure.message
