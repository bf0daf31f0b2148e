"""Fixtures for the readiness tests: the real methodology files and small portal snapshots."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.readiness.facts import (
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
