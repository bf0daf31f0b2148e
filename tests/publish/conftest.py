"""Fixtures for the publisher's tests: small procurement-like catalogs with unique names, and
the real local portal (its fixtures are in tests/conftest.py)."""

from __future__ import annotations

import csv
import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from pipelines.contracts import load_spec
from pipelines.publish.model import PublishRequest
from pipelines.publish.request import ReportPaths, build_request
from pipelines.settings import REPO_ROOT as PROJECT_ROOT
from pipelines.settings import get_settings

from .fault_proxy import FaultProxy, running
from .publish_samples import procurement_table, sample_agency

RequestFactory = Callable[..., PublishRequest]


@pytest.fixture
def report_files(tmp_path: Path) -> ReportPaths:
    json_path = tmp_path / "report.json"
    json_path.write_text('{"publishable": true, "errors": []}', encoding="utf-8")
    html_path = tmp_path / "report.html"
    html_path.write_text("<html><body><h1>รายงาน / Report</h1></body></html>", encoding="utf-8")
    return ReportPaths(json_path, html_path)


@pytest.fixture
def make_request(report_files: ReportPaths) -> RequestFactory:
    """build_request for the real procurement contract, a test agency and generated rows."""
    spec = load_spec("procurement")

    def factory(
        agency_code: str, years: dict[int, int] | None = None, seed: int = 0
    ) -> PublishRequest:
        table = procurement_table(years or {2024: 5, 2025: 3}, seed)
        return build_request(spec, sample_agency(agency_code), table, report_files)

    return factory


@pytest.fixture
def unique_agency(created: list[tuple[str, str]]) -> str:
    """An organization name no other test run uses; its procurement dataset and the
    organization are purged at the end of the session (never a demo name)."""
    name = f"t{uuid.uuid4().hex[:10]}"
    created.extend([("dataset", f"{name}-procurement"), ("organization", name)])
    return name


@pytest.fixture
def workspace(
    tmp_path: Path, unique_agency: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Contracts with a one-agency registry, and a validated procurement partition on disk."""
    datasets = tmp_path / "datasets"
    shutil.copytree(PROJECT_ROOT / "datasets" / "procurement", datasets / "procurement")
    (datasets / "agencies").mkdir(parents=True)
    for contract in ("dataset.yaml", "schema.json"):  # the registry the foreign key names
        shutil.copy(PROJECT_ROOT / "datasets" / "agencies" / contract, datasets / "agencies")
    agency = sample_agency(unique_agency).model_dump()
    with (datasets / "agencies" / "agencies.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(agency))
        writer.writeheader()
        writer.writerow(agency)
    data = tmp_path / "data"
    clean = data / "clean" / "procurement" / unique_agency / "procurement.parquet"
    clean.parent.mkdir(parents=True)
    pq.write_table(procurement_table({2024: 4}), clean)
    report = data / "validation" / "procurement" / unique_agency
    report.mkdir(parents=True)
    pq.write_table(procurement_table({2024: 4}), report / "publishable.parquet")
    (report / "report.json").write_text(json.dumps({"publishable": True}), encoding="utf-8")
    (report / "report.html").write_text("<p>ผ่าน / passed</p>", encoding="utf-8")
    monkeypatch.setenv("OGP_DATASETS_DIR", str(datasets))
    monkeypatch.setenv("OGP_DATA_DIR", str(data))
    get_settings.cache_clear()
    yield data
    get_settings.cache_clear()


@pytest.fixture
def agency(unique_agency: str) -> str:
    """A fresh organization whose procurement dataset is purged after the session."""
    return unique_agency


@pytest.fixture
def proxy(ckan_portal: Any) -> Iterator[FaultProxy]:
    """The fault-injection proxy in front of the real portal."""
    yield from running(FaultProxy(ckan_portal.url))
