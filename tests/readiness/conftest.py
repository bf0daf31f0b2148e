"""Fixtures for the readiness tests: the real methodology files and small portal snapshots."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.readiness.indicators import (
    LocalOutputs,
    PortalDataset,
    PortalOrganization,
    PortalResource,
    PortalSnapshot,
    ValidationSummary,
)
from pipelines.readiness.methodology import OgpConfig, load_config

REPO_ROOT = Path(__file__).resolve().parents[2]
OGP_DIR = REPO_ROOT / "datasets" / "ogp"
PORTAL = "http://portal.test"
AS_OF = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)

# The real-portal fixtures live in tests/portal/conftest.py; load them by path so that these
# tests share the one portal session (pytest only applies a conftest to its own folder).
_spec = importlib.util.spec_from_file_location(
    "portal_fixtures", REPO_ROOT / "tests" / "portal" / "conftest.py"
)
if _spec is not None and _spec.loader is not None and Path(str(_spec.origin)).is_file():
    _portal_fixtures = importlib.util.module_from_spec(_spec)
    sys.modules[_spec.name] = _portal_fixtures  # dataclasses look their module up
    _spec.loader.exec_module(_portal_fixtures)
    ckan_portal = _portal_fixtures.ckan_portal
    run_id = _portal_fixtures.run_id
    ckan = _portal_fixtures.ckan


@pytest.fixture(scope="session")
def config() -> OgpConfig:
    return load_config(OGP_DIR)


def resource(dataset: str, name: str, fmt: str, *, datastore: bool = False) -> PortalResource:
    rid = f"{dataset}-{name}".replace(".", "-")
    return PortalResource(
        id=rid,
        name=name,
        format=fmt,
        url=f"{PORTAL}/dataset/{dataset}/resource/{rid}/download/{name}",
        page_url=f"{PORTAL}/dataset/{dataset}/resource/{rid}",
        datastore_active=datastore,
    )


def dataset(
    agency: str,
    family: str,
    resources: list[tuple[str, str, bool]],
    *,
    modified: datetime = AS_OF,
    licence_open: bool = True,
    unit: str | None = None,
) -> PortalDataset:
    name = f"{agency}-{family}"
    return PortalDataset(
        name=name,
        title=name,
        organization=agency,
        url=f"{PORTAL}/dataset/{name}",
        licence_open=licence_open,
        metadata_modified=modified,
        update_frequency_unit=unit,
        resources=[resource(name, n, f, datastore=d) for n, f, d in resources],
    )


def organization(name: str, title: str | None = None) -> PortalOrganization:
    return PortalOrganization(name=name, title=title or name, url=f"{PORTAL}/organization/{name}")


def snapshot(
    organizations: list[PortalOrganization],
    datasets: list[PortalDataset],
    validation: dict[str, ValidationSummary] | None = None,
) -> PortalSnapshot:
    return PortalSnapshot(
        url=PORTAL, organizations=organizations, datasets=datasets, validation=validation or {}
    )


def no_local() -> LocalOutputs:
    return LocalOutputs(validation={}, red_flags={})
