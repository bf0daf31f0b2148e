"""The OCDS export: mapping of each field, stages per status, refusals, and the reference check
by the Data Review Tool's library (libcoveocds, offline with the local schema zip)."""

import contextlib
import datetime as dt
import io
import json
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import requests
import urllib3
from stdnum.th import pin

from pipelines.integrity.ocds_bids import SCHEMA as BIDS_SCHEMA
from pipelines.integrity.ocds_config import default_config_path, load_ocds_config
from pipelines.integrity.ocds_export import OcdsExportError, export_release_package
from pipelines.integrity.ocds_schema import load_schemas
from pipelines.integrity.ocds_validate import package_validator, validate_package
from pipelines.publish.model import stable_resource_id
from pipelines.settings import get_settings

PUBLISHED = dt.datetime(2024, 6, 1, 9, 30)


@pytest.fixture
def export(make_table, buyer):
    def run(rows, **options):
        options.setdefault("published", PUBLISHED)
        return export_release_package(make_table(rows), buyer, **options)

    return run


@pytest.fixture
def every_stage(make_project):
    """One project per status and per method, with the gaps real data has."""
    return [
        make_project(1),
        make_project(2, status="awarded", contract_date=None, method="selection"),
        make_project(
            3,
            status="announced",
            contract_date=None,
            winner_tax_id=None,
            winner_name=None,
            contract_value=None,
            number_of_bidders=None,
            method="e_market",
        ),
        make_project(
            4,
            status="planned",
            announce_date=None,
            bid_close_date=None,
            contract_date=None,
            winner_tax_id=None,
            winner_name=None,
            contract_value=None,
            number_of_bidders=None,
            reference_price=None,
        ),
        make_project(
            5,
            status="cancelled",
            contract_date=None,
            winner_tax_id=None,
            winner_name=None,
            contract_value=None,
        ),
        make_project(
            6,
            method="specific",
            announce_date=None,
            bid_close_date=None,
            number_of_bidders=1,
            contract_value=499_999.5,
        ),
        make_project(7, method="price_agreement"),
    ]


def test_a_contracted_project_carries_every_stage(export, make_project):
    row = make_project(1)
    package = export([row])
    assert package["version"] == "1.1"
    assert package["publishedDate"] == "2024-06-01T09:30:00+07:00"
    portal = get_settings().ckan_url.rstrip("/")
    assert package["publisher"] == {"name": "กรมบัญชีกลาง", "uri": f"{portal}/organization/cgd"}
    assert package["license"] == "http://www.opendefinition.org/licenses/cc-by"
    assert package["publicationPolicy"] == f"{portal}/dataset/cgd-procurement"
    assert package["uri"] == (
        f"{portal}/dataset/cgd-procurement/resource/"
        f"{stable_resource_id('cgd-procurement', 'ocds-release-package.json')}"
        "/download/ocds-release-package.json"
    )
    assert list(package) == [
        "uri",
        "version",
        "extensions",
        "publishedDate",
        "publisher",
        "license",
        "publicationPolicy",
        "releases",
    ]
    (release,) = package["releases"]
    assert release["ocid"] == f"ocds-th0000-{row['project_id']}"
    assert release["tag"] == ["tender", "award", "contract"]
    assert release["date"] == "2024-02-15T00:00:00+07:00"  # the latest stage: signing
    assert release["buyer"] == {"id": "cgd", "name": "กรมบัญชีกลาง"}
    parties = {party["id"]: party for party in release["parties"]}
    assert parties["cgd"]["roles"] == ["buyer", "procuringEntity"]
    supplier = parties[f"TH-TIN-{row['winner_tax_id']}"]
    assert supplier["identifier"] == {
        "scheme": "TH-TIN",
        "id": row["winner_tax_id"],
        "legalName": row["winner_name"],
    }
    assert supplier["roles"] == ["supplier"]
    assert release["planning"]["budget"]["amount"] == {"amount": 1_000_000, "currency": "THB"}
    tender = release["tender"]
    assert tender["procurementMethod"] == "open"
    assert tender["procurementMethodDetails"] == "ประกวดราคาอิเล็กทรอนิกส์ (e-bidding)"
    assert tender["tenderPeriod"] == {
        "startDate": "2024-01-01T00:00:00+07:00",
        "endDate": "2024-01-31T00:00:00+07:00",
    }
    assert tender["numberOfTenderers"] == 3
    assert tender["value"] == {"amount": 1_000_000, "currency": "THB"}
    (award,) = release["awards"]
    assert award["value"] == {"amount": 900_000, "currency": "THB"}
    assert award["suppliers"] == [{"id": supplier["id"], "name": row["winner_name"]}]
    (contract,) = release["contracts"]
    assert contract["awardID"] == award["id"]
    assert contract["value"] == {"amount": 900_000, "currency": "THB"}
    assert contract["dateSigned"] == "2024-02-15T00:00:00+07:00"


@pytest.mark.parametrize(
    ("status", "tags", "tender_status", "sections"),
    [
        ("planned", ["planning"], "planned", set()),
        ("announced", ["tender"], "active", set()),
        ("awarded", ["tender", "award"], "complete", {"awards"}),
        ("contracted", ["tender", "award", "contract"], "complete", {"awards", "contracts"}),
        ("cancelled", ["tenderCancellation"], "cancelled", set()),
    ],
)
def test_stages_follow_the_status(export, make_project, status, tags, tender_status, sections):
    (release,) = export([make_project(1, status=status)])["releases"]
    assert release["tag"] == tags
    assert release["tender"]["status"] == tender_status
    assert {"awards", "contracts"} & release.keys() == sections
    assert release["id"] == f"{release['tender']['id']}-{status}"


@pytest.mark.parametrize(
    "method", ["e_bidding", "e_market", "selection", "specific", "price_agreement"]
)
def test_methods_map_through_ocds_yaml(export, make_project, method):
    mapping = load_ocds_config().methods[method]
    (release,) = export([make_project(1, method=method)])["releases"]
    assert release["tender"]["procurementMethod"] == mapping.procurement_method
    assert release["tender"]["procurementMethodDetails"] == mapping.details


def test_the_ocid_prefix_comes_from_the_setting_when_set(export, make_project, monkeypatch):
    monkeypatch.setenv("OGP_OCID_PREFIX", "ocds-abc123")
    get_settings.cache_clear()
    try:
        (release,) = export([make_project(1)])["releases"]
    finally:
        monkeypatch.delenv("OGP_OCID_PREFIX")
        get_settings.cache_clear()
    assert release["ocid"] == "ocds-abc123-67000000001"
    (explicit,) = export([make_project(1)], prefix="ocds-xyz")["releases"]
    assert explicit["ocid"] == "ocds-xyz-67000000001"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("contract_date", dt.date(2567, 2, 15)),
        ("announce_date", dt.date(2566, 12, 1)),
        ("fiscal_year", 2567),
    ],
)
def test_a_buddhist_era_year_is_refused_naming_project_and_field(
    export, make_project, field, value
):
    rows = [make_project(1), make_project(2, **{field: value})]
    expected = rf"project 67000000002 \(row 2\), field {field}: .*{value}.*outside 1990–2100 CE"
    with pytest.raises(OcdsExportError, match=expected):
        export(rows)


def test_an_unmapped_method_is_refused(export, make_project):
    with pytest.raises(
        OcdsExportError, match=r"project 67000000001 \(row 1\), field method: 'auction'"
    ):
        export([make_project(1, method="auction")])


def test_rows_of_another_agency_are_refused(export, make_project):
    with pytest.raises(OcdsExportError, match="field agency_code: pcd"):
        export([make_project(1), make_project(2, agency_code="pcd")])


def test_a_sole_traders_citizen_id_is_never_published(export, make_project):
    citizen_id = "110170012345"
    citizen_id += pin.calc_check_digit(citizen_id)
    package = export([make_project(1, winner_tax_id=citizen_id)])
    text = json.dumps(package, ensure_ascii=False)
    assert citizen_id not in text
    (release,) = package["releases"]
    assert release["awards"][0]["suppliers"][0]["id"] == "67000000001-supplier"


def test_the_export_is_valid_against_the_schema(export, every_stage, ocds_schema_dir):
    validator = package_validator(load_schemas(ocds_schema_dir))
    assert validate_package(export(every_stage), validator) == []


def test_the_data_review_tool_finds_no_errors_offline(export, every_stage, ocds_schema_dir):
    report = _libcove(export(every_stage), ocds_schema_dir)
    assert report["validation_errors"] == []
    assert report["additional_closed_codelist_values"] == {}
    assert report["unique_ocids_count"] == len(every_stage)


def test_the_data_review_tool_check_can_fail(export, make_project, ocds_schema_dir):
    # The control: libcoveocds exits 0 on invalid data, so the test reads its JSON output.
    package = export([make_project(1)])
    package["releases"][0]["tender"]["procurementMethod"] = "auction"
    del package["releases"][0]["initiationType"]
    report = _libcove(package, ocds_schema_dir)
    assert [e["field"] for e in report["validation_errors"]] == ["releases"]
    assert "initiationType" in report["validation_errors"][0]["description"]
    closed = report["additional_closed_codelist_values"]
    assert closed["releases/tender/procurementMethod"]["values"] == ["auction"]


def test_the_data_review_tool_applies_the_bid_extension_offline(
    export, make_project, ocds_schema_dir
):
    # The package declares the bid extension; libcoveocds reads it from the vendored copy (no
    # network) and checks bids against it: the control has a closed-codelist status and a
    # statistic whose value is not a number.
    package = export([make_project(1)])
    assert package["extensions"] == [BID_EXTENSION]
    report = _libcove(package, ocds_schema_dir)
    assert report["extensions"]["invalid_extension"] == {}
    assert report["extensions"]["is_extended_schema"] is True
    assert report["validation_errors"] == []
    package["releases"][0]["bids"] = {
        "statistics": [{"id": "1", "measure": "bids", "value": "three"}],
        "details": [{"id": "b1", "status": "won"}],
    }
    report = _libcove(package, ocds_schema_dir)
    (error,) = report["validation_errors"]
    assert error["field"] == "releases/bids/statistics/value"
    assert "not a number" in error["description"]
    closed = report["additional_closed_codelist_values"]
    assert closed["releases/bids/details/status"]["values"] == ["won"]


def test_the_data_review_tool_finds_no_errors_with_bids(
    export, every_stage, make_juristic_id, ocds_schema_dir
):
    # The bids table's rows (as the gate publishes them) through the export: the bid extension's
    # statistics and details, checked by libcoveocds against the extended schema and codelists.
    bids = pa.Table.from_pylist(
        [
            {
                "project_id": row["project_id"],
                "agency_code": "cgd",
                "fiscal_year": 2024,
                "bidder_tax_id": make_juristic_id(100 + n),
                "bidder_name": f"บริษัท ผู้เสนอราคา {n} จำกัด",
                "bid_amount": 900_000.0 + n,
                "bid_status": ("valid", "disqualified", "withdrawn")[n % 3],
                "bid_date": dt.date(2024, 1, 20),
            }
            for row in every_stage[:2]
            for n in range(3)
        ],
        schema=BIDS_SCHEMA,
    )
    package = export(every_stage, bids=bids)
    assert [len(r.get("bids", {}).get("details", [])) for r in package["releases"]][:2] == [3, 3]
    assert validate_package(package, package_validator(load_schemas(ocds_schema_dir))) == []
    report = _libcove(package, ocds_schema_dir)
    assert report["validation_errors"] == []
    assert report["additional_closed_codelist_values"] == {}


BID_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/"
    "extension.json"
)


class _VendoredExtension(requests.adapters.BaseAdapter):
    """Serves an extension's vendored copy (datasets/procurement/ocds_extensions/) at its URLs:
    libcoveocds fetches declared extensions over HTTP (a GitHub one as the repository's archive
    of the tag), and tests have no network."""

    def __init__(self, folder: Path, raw_prefix: str) -> None:
        super().__init__()
        self.folder, self.raw_prefix = folder, raw_prefix

    def send(self, request: Any, *args: Any, **kwargs: Any) -> requests.Response:
        url = str(request.url)
        content: bytes | None = None
        if url.endswith(".zip"):
            content = self._archive()
        elif url.startswith(self.raw_prefix):
            path = self.folder / url[len(self.raw_prefix) :]
            content = path.read_bytes() if path.is_file() else None
        status, body = (404, b"") if content is None else (200, content)
        response = requests.models.Response()
        response.raw = urllib3.HTTPResponse(  # requests-cache keeps the raw response
            body=io.BytesIO(body), status=status, preload_content=False, request_url=url
        )
        response.status_code, response.url, response.request = status, url, request
        return response

    def _archive(self) -> bytes:
        # GitHub's archive: one top folder first, then every file under it.
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("extension/", b"")
            for path in sorted(self.folder.rglob("*")):
                if path.is_file():
                    archive.write(path, f"extension/{path.relative_to(self.folder)}")
        return buffer.getvalue()

    def close(self) -> None:
        pass


@contextlib.contextmanager
def _extensions_offline() -> Iterator[None]:
    from ocdsextensionregistry.util import session

    config = load_ocds_config()
    base = default_config_path().parent
    prefixes = []
    for extension in config.extensions:
        # https://raw.githubusercontent.com/<owner>/<repo>/<tag>/extension.json
        owner, repo = extension.url.split("/")[3:5]
        raw_prefix = extension.url.rsplit("/", 1)[0] + "/"
        adapter = _VendoredExtension(base / extension.path, raw_prefix)
        for prefix in (raw_prefix, f"https://github.com/{owner}/{repo}/archive/"):
            session.mount(prefix, adapter)
            prefixes.append(prefix)
    try:
        yield
    finally:
        for prefix in prefixes:
            session.adapters.pop(prefix, None)
        session.cache.clear()


def _libcove(package, schema_dir):
    # libcoveocds is AGPL and test-only: imported here, never by the package.
    from libcoveocds.api import ocds_json_output
    from libcoveocds.config import LibCoveOCDSConfig

    config = LibCoveOCDSConfig(
        {
            # A file:// standard zip makes libcoveocds read schema and codelists offline.
            "standard_zip": (schema_dir / "standard-1__1__5-schema.zip").as_uri(),
            "context": "api",
        }
    )
    with tempfile.TemporaryDirectory() as output_dir, _extensions_offline():
        report = ocds_json_output(output_dir, json_data=package, lib_cove_ocds_config=config)
    # A declared extension libcoveocds could not read is silently dropped: never accept that.
    assert report["extensions"]["invalid_extension"] == {}
    return report
