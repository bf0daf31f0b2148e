"""Issue 15 acceptance, against the real portal: a contract over its budget that the suite
quarantines (awarded with no bidder, an error rule; over budget alone is a warning since issue
16, published and flagged) is in the red flags and in the rate's numerator; the rate's evidence
is the portal's red-flags.csv page. The new figures (licensing, co-creation, asset disclosure) read
the same portal and link its dataset pages.

Hand-computed: 20 procurement rows received, 1 with a schema error (budget not a number) → 19
screened (N); the gate publishes 18 (the over-budget row quarantined); flagged projects n = 1.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import ckanapi
import pytest
from stdnum.th import moa

from pipelines.contracts import load_spec
from pipelines.integrity.partition import flag_partition
from pipelines.integrity.red_flags import load_flag_specs
from pipelines.layout import integrity_dir, validation_dir
from pipelines.publish.client import CKANClient
from pipelines.readiness.cocreation import cocreation_figures
from pipelines.readiness.disclosure import disclosure_figures
from pipelines.readiness.licensing import licensing_figures
from pipelines.readiness.methodology import load_config
from pipelines.readiness.portal_reader import read_portal
from pipelines.readiness.red_flag_rate import red_flag_figures
from pipelines.validation.gate import validate_partition

from .conftest import OGP_DIR
from .published_data import decision, meeting, write_published

SPEC = load_spec("procurement")
OVER_BUDGET, SCHEMA_ERROR, ROWS = 7, 20, 20


def tax_id(serial: int) -> str:
    body = f"0105{serial:08d}"
    return body + moa.calc_check_digit(body)


def project_id(number: int) -> str:
    return f"{67000000000 + number:011d}"


def row(number: int) -> dict[str, str]:
    values = {
        "project_id": project_id(number),
        "agency_code": "cgd",
        "fiscal_year": "2024",
        "project_name": f"จ้างก่อสร้างอาคาร {number}",
        "method": "e_bidding",
        "budget": "1000000",
        "reference_price": "1000000",
        "announce_date": "2024-01-01",
        "bid_close_date": "2024-01-31",
        "contract_date": "2024-02-15",
        "number_of_bidders": "3",
        "winner_tax_id": tax_id(number),
        "winner_name": f"บริษัท ผู้รับเหมาเลขที่{number} จำกัด",
        "contract_value": "900000",
        "status": "contracted",
    }
    if number == OVER_BUDGET:  # 60% over its budget, bids closed after 7 days
        values.update(contract_value="1600000", bid_close_date="2024-01-08", number_of_bidders="0")
    if number == SCHEMA_ERROR:
        values.update(budget="lots", contract_value="1600000")
    return values


def gate_and_flag(data_dir: Path, agency: str) -> None:
    """The real gate and red flags on a generated file (agency cgd in the rows, as the registry
    requires), their outputs then filed under the test's organization."""
    source = data_dir.parent / "procurement.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=SPEC.field_names)
        writer.writeheader()
        writer.writerows(row(n) for n in range(1, ROWS + 1))
    result = validate_partition(
        "procurement", "cgd", source, SPEC, out_dir=validation_dir(data_dir, "procurement", "cgd")
    )
    assert result.status == "quarantined", result.reasons
    flag_partition("cgd", data_dir, load_flag_specs())
    shutil.move(
        validation_dir(data_dir, "procurement", "cgd"),
        validation_dir(data_dir, "procurement", agency),
    )
    shutil.move(integrity_dir(data_dir, "cgd"), integrity_dir(data_dir, agency))


@pytest.fixture
def published(
    tmp_path: Path, ckan: ckanapi.RemoteCKAN, created: list[tuple[str, str]], run_id: str
) -> tuple[str, Path]:
    agency = f"e3-{run_id}"
    data_dir = tmp_path / "data"
    gate_and_flag(data_dir, agency)
    created.append(("organization", agency))
    ckan.action.organization_create(name=agency, title=f"หน่วยงานทดสอบ {agency}")
    for family in ("procurement", "decisions", "forum_meetings", "asset_declarations"):
        created.append(("dataset", f"{agency}-{family}"))
        ckan.action.package_create(
            name=f"{agency}-{family}",
            title=f"{family} {agency}",
            owner_org=agency,
            license_id="cc-by",
        )
    flags_csv = integrity_dir(data_dir, agency) / "red_flags.csv"
    with flags_csv.open("rb") as upload:
        ckan.action.resource_create(
            package_id=f"{agency}-procurement", name="red-flags.csv", format="CSV", upload=upload
        )
    write_published(
        data_dir,
        "decisions",
        agency,
        [
            decision(1, "licence", dt.date(2025, 1, 1), dt.date(2025, 1, 20), 30),
            decision(2, "permit", dt.date(2025, 1, 1), dt.date(2025, 3, 1), 30),
        ],
    )
    write_published(data_dir, "forum_meetings", agency, [meeting(1, dt.date(2025, 12, 1))])
    write_published(
        data_dir,
        "asset_declarations",
        agency,
        [
            {
                "declaration_id": "NACC-2568-00001",
                "declaration_date": dt.date(2025, 4, 2),
                "nacc_url": "https://www.nacc.go.th/d/1",
            }
        ],
    )
    return agency, data_dir


def test_the_quarantined_contract_counts_and_every_figure_links_the_portal(
    published: tuple[str, Path], ckan_portal
) -> None:
    agency, data_dir = published
    config = load_config(OGP_DIR)
    client = CKANClient(ckan_portal.url, None, timeout_s=30)
    try:
        snapshot = read_portal(client, config.methodology.portal, agencies=[agency])
    finally:
        client.close()
    base = f"{ckan_portal.url}/dataset/{agency}"

    rates = red_flag_figures(snapshot, data_dir)
    rate = rates[f"red_flag_rate_{agency}"]
    # no bids sent: the flags that read bids were not computed, so the rate is a floor
    # (provisional, the flags named), never a final figure (review 4 f9)
    assert (rate.numerator, rate.denominator, rate.status) == (1, 19, "provisional")
    assert ": no bids table that passed the gate)" in (rate.note_en or "")  # red_flags.json's
    assert project_id(OVER_BUDGET) in (rate.note_en or "")
    (page,) = rate.evidence
    assert page.startswith(f"{base}-procurement/resource/")
    with (integrity_dir(data_dir, agency) / "red_flags.csv").open(encoding="utf-8") as handle:
        assert {r["project_id"] for r in csv.DictReader(handle)} == {project_id(OVER_BUDGET)}

    licensing = licensing_figures(snapshot, data_dir)[f"licensing_on_time_{agency}"]
    assert (licensing.ratio, licensing.status) == ("1/2", "ok")
    assert licensing.evidence[0] == f"{base}-decisions"

    figures, _ = cocreation_figures(snapshot, data_dir, OGP_DIR, dt.date(2026, 1, 15))
    assert figures[f"cocreation_requirements_met_{agency}"].evidence[0] == f"{base}-forum_meetings"

    disclosure = disclosure_figures(snapshot, data_dir)
    assert disclosure[f"asset_declarations_published_{agency}"].value == 1
    assert disclosure[f"asset_declarations_latest_{agency}"].value == "2025-04-02"

    for figure in [*rates.values(), licensing, *figures.values(), *disclosure.values()]:
        for url in figure.evidence:
            assert url.startswith(("http://", "https://")), (figure.key, url)
            assert str(data_dir) not in url
