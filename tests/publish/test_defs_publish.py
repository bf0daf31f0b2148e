"""The Dagster assets of pipelines/defs/publish.py, materialized against the real portal."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq
import pytest

from pipelines.defs.publish import RESOURCE_KEY, build_publish_assets, ckan_organizations
from pipelines.publish.ckan import CKANPublisher

from .publish_samples import procurement_table, sample_agency

pytestmark = pytest.mark.portal


def materialize(assets, agency: str | None, portal) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        assets,
        partition_key=agency,
        resources={RESOURCE_KEY: CKANPublisher(url=portal.url)},
        raise_on_error=False,
    )


def test_published_asset_publishes_and_a_closed_gate_keeps_the_old_version(
    ckan_portal, workspace: Path, unique_agency: str
) -> None:
    partitions = dg.StaticPartitionsDefinition([unique_agency])
    [asset] = build_publish_assets(["procurement"], partitions)
    assert asset.key == dg.AssetKey("published_procurement")

    result = materialize([asset], unique_agency, ckan_portal)
    assert result.success
    [event] = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["dataset_url"].value.endswith(f"/dataset/{unique_agency}-procurement")
    assert metadata["action"].value == "create"
    assert Path(metadata["receipt"].value).is_file()
    api = ckan_portal.api()
    before = api.action.package_show(id=f"{unique_agency}-procurement")

    # New data arrives but fails its checks: the asset fails and the portal keeps the old one.
    clean = workspace / "clean" / "procurement" / unique_agency / "procurement.parquet"
    pq.write_table(procurement_table({2024: 9}), clean)
    report = workspace / "validation" / "procurement" / unique_agency / "report.json"
    report.write_text(json.dumps({"publishable": False, "reason": "schema: 3 errors"}))
    failed = materialize([asset], unique_agency, ckan_portal)
    assert not failed.success
    [failure] = [e for e in failed.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "schema: 3 errors" in str(failure.event_specific_data)
    assert api.action.package_show(id=f"{unique_agency}-procurement") == before


def test_organizations_asset_creates_the_registry_agencies(
    ckan_portal, workspace: Path, unique_agency: str
) -> None:
    result = materialize([ckan_organizations], None, ckan_portal)
    assert result.success
    org = ckan_portal.api().action.organization_show(id=unique_agency, include_extras=True)
    assert org["title"] == sample_agency(unique_agency).name_th
    again = materialize([ckan_organizations], None, ckan_portal)
    [event] = again.get_asset_materialization_events()
    assert event.materialization.metadata["actions"].value == {"unchanged": 1}
