"""The Dagster asset builds and publishes the report, reporting score and URLs as metadata."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from pipelines.defs.readiness import build_readiness_asset
from pipelines.settings import get_settings

pytestmark = pytest.mark.portal


def test_asset_materializes_with_metadata(
    ckan_portal: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OGP_BUILD_DIR", str(tmp_path / "build"))
    monkeypatch.setenv("OGP_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        upstream = dg.AssetSpec("published_procurement")
        asset = build_readiness_asset(deps=[upstream])
        assert asset.asset_deps[asset.key] == {upstream.key}
        result = dg.materialize([asset])
    finally:
        get_settings.cache_clear()
    assert result.success
    metadata = result.asset_materializations_for_node("ogp_readiness_report")[0].metadata
    assert metadata["eligibility_outcome"].value in {"pass", "fail", "not_enough_data"}
    assert metadata["methodology_version"].value == "1.0.0"
    assert Path(metadata["path"].value).parent == tmp_path / "build" / "report"
    assert str(metadata["dataset_url"].value).endswith("/dataset/ogp-readiness-report")
