"""The Dagster asset builds and publishes the report, reporting score and URLs as metadata.

It publishes under this test's own dataset and organization names (a copy of the contracts
with another ``publication``), so the demo's ``ogp-readiness-report`` is never touched, and
both are purged at the end of the session."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import pytest
import yaml

from pipelines.defs.readiness import build_readiness_asset
from pipelines.settings import REPO_ROOT, get_settings

pytestmark = pytest.mark.portal


def test_asset_materializes_with_metadata(
    ckan_portal: object,
    run_id: str,
    created: list[tuple[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    datasets = tmp_path / "datasets"
    shutil.copytree(REPO_ROOT / "datasets", datasets, ignore=shutil.ignore_patterns("drops"))
    inputs = datasets / "ogp" / "inputs.yaml"
    config = yaml.safe_load(inputs.read_text(encoding="utf-8"))
    dataset_name, organization = f"ogp-readiness-asset-{run_id}", f"ogp-coord-asset-{run_id}"
    config["publication"].update(dataset_name=dataset_name, organization=organization)
    inputs.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    created.extend([("dataset", dataset_name), ("organization", organization)])

    monkeypatch.setenv("OGP_DATASETS_DIR", str(datasets))
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
    path = Path(str(metadata["path"].value))
    assert path.parent == tmp_path / "build" / "report"
    # the metadata says what the written report says
    written = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    eligibility = written["eligibility"]
    assert metadata["eligibility_outcome"].value == eligibility["outcome"]
    # the one right outcome for the shipped inputs: three criteria at full points but none
    # verified against a document, and citizen engagement (an index that covers Thailand) not
    # entered - provisional, 12 of 16, never pass
    assert (eligibility["outcome"], eligibility["total"], eligibility["available"]) == (
        "provisional",
        12,
        16,
    )
    assert metadata["eligibility_points"].value == eligibility["total"]
    assert metadata["eligibility_available"].value == 16
    assert metadata["methodology_version"].value == written["methodology_version"]
    assert metadata["agencies"].value == len(written["agencies"])
    assert str(metadata["dataset_url"].value).endswith(f"/dataset/{dataset_name}")
    assert str(metadata["html_url"].value).endswith("/ogp-readiness-report.html")
