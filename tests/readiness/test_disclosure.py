"""Asset disclosure evidence from the published asset declarations, per agency (hand-counted)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipelines.readiness.disclosure import (
    OGP_ELIGIBILITY_URL,
    asset_disclosure_evidence,
    disclosure_figures,
)

from .conftest import PORTAL, dataset, organization, snapshot
from .published_data import write_published

D = dt.date


def declaration(serial: int, date: dt.date) -> dict:
    return {
        "declaration_id": f"NACC-2568-{serial:05d}",
        "declaration_date": date,
        "nacc_url": f"https://www.nacc.go.th/declarations/2568/{serial:05d}",
    }


@pytest.fixture
def world(tmp_path: Path):
    write_published(
        tmp_path,
        "asset_declarations",
        "aaa",
        [
            declaration(1, D(2025, 3, 1)),
            declaration(2, D(2025, 9, 30)),
            declaration(3, D(2024, 6, 3)),
        ],
    )
    orgs = [organization(name) for name in ("aaa", "bbb", "ccc")]
    # ccc's dataset is on the portal, its gate output gone: no evidence read
    datasets = [dataset(name, "asset_declarations", []) for name in ("aaa", "ccc")]
    return snapshot(orgs, datasets), tmp_path


def test_declarations_published_and_the_latest_date_per_agency(world) -> None:
    figures = disclosure_figures(*world)
    aaa = [f"{PORTAL}/dataset/aaa-asset_declarations", OGP_ELIGIBILITY_URL]
    assert figures["asset_declarations_published_aaa"].value == 3
    assert figures["asset_declarations_published_aaa"].evidence == aaa
    assert figures["asset_declarations_latest_aaa"].value == "2025-09-30"
    assert "asset disclosure" in (figures["asset_declarations_latest_aaa"].note_en or "")


def test_no_dataset_or_no_readable_rows_is_unknown_never_zero(world) -> None:
    figures = disclosure_figures(*world)
    for agency in ("bbb", "ccc"):
        for key in (
            f"asset_declarations_published_{agency}",
            f"asset_declarations_latest_{agency}",
        ):
            assert (figures[key].value, figures[key].status) == (None, "unknown")
    assert figures["asset_declarations_published_bbb"].evidence[0] == f"{PORTAL}/organization/bbb"


def test_overall_agencies_publishing_over_all_agencies(world) -> None:
    figures = disclosure_figures(*world)
    agencies = figures["asset_declarations_agencies"]
    assert (agencies.ratio, agencies.value) == ("1/3", pytest.approx(1 / 3))
    assert figures["asset_declarations_published"].value == 3
    assert asset_disclosure_evidence(*world) == [f"{PORTAL}/dataset/aaa-asset_declarations"]


def test_nobody_publishing_is_unknown_in_all(tmp_path: Path) -> None:
    figures = disclosure_figures(snapshot([organization("aaa")], []), tmp_path)
    assert figures["asset_declarations_agencies"].ratio == "0/1"
    assert figures["asset_declarations_agencies"].value == 0
    assert figures["asset_declarations_published"].status == "unknown"
