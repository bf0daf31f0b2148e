"""The clean procurement table of one agency as an OCDS 1.1 release package.

Release design: one release per project, tagged with every stage the record has reached
(``["tender", "award", "contract"]`` for a signed contract). The clean table is a snapshot of
each project's current state, not a log of what was disclosed when; one release per stage would
invent a publication history with dates we do not have. OCDS allows several tags on a release
that covers several stages, and reserves ``compiled`` for records. The release id is
``<project_id>-<status>``, so a project that moves on between runs gains a new release under
the same ocid and consumers (ocdskit compile) can merge the history.

Fields the table does not carry are left out rather than guessed. ``award_date`` (the winner's
announcement) is ``awards[].date``, ``contract_date`` the signing date (``contracts[].dateSigned``);
the bids table of the same agency adds ``bids`` and the tenderers (:mod:`ocds_bids`).
A supplier is identified with the ``TH-TIN`` scheme only when its tax id is a juristic-person
number (``stdnum.th.moa``): sole traders bid under their citizen id, which is personal data.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from stdnum.th import moa

from pipelines import thai
from pipelines.files import replace_atomically
from pipelines.integrity.ocds_bids import BidsIndex, add_bids, index_bids
from pipelines.integrity.ocds_config import OcdsConfig, load_ocds_config, ocid_for, ocid_prefix
from pipelines.integrity.procurement_table import DATE_COLUMNS, typed
from pipelines.layout import PROCUREMENT
from pipelines.publish.model import stable_resource_id
from pipelines.publish.partitions import dataset_name
from pipelines.settings import get_settings

# The latest stage event a record carries dates its release (deterministic across runs).
RELEASE_DATE_ORDER = ("contract_date", "award_date", "bid_close_date", "announce_date")

Json = dict[str, Any]


class OcdsExportError(ValueError):
    """A record cannot be published as OCDS; the message names the project and the field."""


@dataclass(frozen=True)
class Buyer:
    """The procuring agency, from the agency registry."""

    agency_code: str
    name_th: str
    name_en: str

    def reference(self) -> Json:
        return {"id": self.agency_code, "name": self.name_th}


def export_release_package(
    table: pa.Table,
    buyer: Buyer,
    *,
    config: OcdsConfig | None = None,
    prefix: str | None = None,
    published: dt.datetime | None = None,
    uri: str | None = None,
    bids: pa.Table | None = None,
) -> Json:
    """Build the release package for ``buyer``'s rows of the clean procurement ``table``.

    ``prefix`` defaults to the setting ``OGP_OCID_PREFIX`` or ocds.yaml; ``published`` to the
    newest release date (from the data: an unchanged input gives the same package, byte for byte).
    Raises :class:`OcdsExportError` for a year outside the plausible Common Era range, an
    unmapped method or status, or a row of another agency.
    """
    config = config or load_ocds_config()
    context = _Context(
        config=config,
        buyer=buyer,
        prefix=prefix or ocid_prefix(config),
        bids=index_bids(bids, buyer.agency_code),  # the bids table, if any (ocds_bids)
    )
    rows = _checked_rows(table, context)
    # A stable order (ocid, then release id): the same rows in any order give the same bytes.
    releases = sorted((_release(row, context) for row in rows), key=_release_order)
    links = package_links(config, buyer.agency_code)
    package: Json = {"uri": uri or links["uri"], "version": config.version}
    if config.extensions:  # validated against their vendored copies (ocds_validate)
        package["extensions"] = [extension.url for extension in config.extensions]
    package["publishedDate"] = _published(published, releases, config)
    package["publisher"] = {"name": buyer.name_th, "uri": links["publisher"]}
    package["license"] = links["license"]
    package["publicationPolicy"] = links["publicationPolicy"]
    package["releases"] = releases
    return package


def package_links(config: OcdsConfig, agency_code: str) -> dict[str, str]:
    """The package's ``uri`` (the resource's portal URL: the id the publisher creates it under
    is derived from the dataset and resource names), the publisher's ``uri``, the ``license``
    and the ``publicationPolicy``, from ocds.yaml's templates."""
    dataset = dataset_name(PROCUREMENT, agency_code)
    values = {
        "ckan_url": get_settings().ckan_url.rstrip("/"),
        "agency_code": agency_code,
        "dataset": dataset,
        "resource": config.package_resource,
        "resource_id": stable_resource_id(dataset, config.package_resource),
    }
    return {
        "uri": config.package_uri.format(**values),
        "publisher": config.publisher_uri.format(**values),
        "license": config.license.format(**values),
        "publicationPolicy": config.publication_policy.format(**values),
    }


def write_release_package(package: Mapping[str, Any], path: Path) -> Path:
    """Write the package as UTF-8 JSON (Thai kept readable), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # allow_nan=False: NaN or Infinity would make the file invalid JSON; refuse, never write.
    text = json.dumps(package, ensure_ascii=False, indent=1, allow_nan=False) + "\n"
    return replace_atomically(path, lambda partial: partial.write_text(text, encoding="utf-8"))


@dataclass(frozen=True)
class _Context:
    config: OcdsConfig
    buyer: Buyer
    prefix: str
    bids: BidsIndex


def _published(published: dt.datetime | None, releases: list[Json], config: OcdsConfig) -> str:
    """``published`` when given, else the newest release date: never the run's clock."""
    if published is None:
        if not releases:
            raise OcdsExportError("a release package needs at least one release")
        # Release dates share one offset and format, so the greatest string is the newest.
        return max(str(release["date"]) for release in releases)
    if published.tzinfo is None:
        published = published.replace(tzinfo=dt.datetime.strptime(config.utc_offset, "%z").tzinfo)
    return published.replace(microsecond=0).isoformat()


# --- input checks (vectorised, before any release is built) -------------------------------


def _checked_rows(table: pa.Table, context: _Context) -> Iterator[Json]:
    table = typed(table)
    _refuse_implausible_years(table, context.config)
    _refuse_unmapped(table, "method", context.config.methods)
    _refuse_unmapped(table, "status", context.config.statuses)
    _refuse_other_agencies(table, context.buyer)
    return iter(table.to_pylist())


def _refuse_implausible_years(table: pa.Table, config: OcdsConfig) -> None:
    # A Buddhist Era year (CE + thai.BE_OFFSET) is a valid ISO date to the schema: check it here.
    low, high = config.plausible_years.min, config.plausible_years.max
    for name in ("fiscal_year", *DATE_COLUMNS):
        years = table[name] if name == "fiscal_year" else pc.year(table[name])
        bad = pc.or_(pc.less(years, low), pc.greater(years, high))
        if pc.any(bad).as_py():
            row = pc.index(bad, True).as_py()
            raise OcdsExportError(
                f"project {table['project_id'][row]} (row {row + 1}), field {name}: "
                f"{table[name][row].as_py()} has a year outside {low}–{high} CE "
                f"(a Buddhist Era year? convert B.E. to C.E. by subtracting {thai.BE_OFFSET})"
            )


def _refuse_unmapped(table: pa.Table, name: str, mapping: Mapping[str, object]) -> None:
    known = pa.array(sorted(mapping), pa.string())
    bad = pc.invert(pc.is_in(table[name], value_set=known))
    if pc.any(bad).as_py():
        row = pc.index(bad, True).as_py()
        raise OcdsExportError(
            f"project {table['project_id'][row]} (row {row + 1}), field {name}: "
            f"{table[name][row].as_py()!r} is not mapped in ocds.yaml "
            f"({', '.join(sorted(mapping))})"
        )


def _refuse_other_agencies(table: pa.Table, buyer: Buyer) -> None:
    bad = pc.not_equal(table["agency_code"], buyer.agency_code)
    if pc.any(bad).as_py():
        row = pc.index(bad, True).as_py()
        raise OcdsExportError(
            f"project {table['project_id'][row]} (row {row + 1}), field agency_code: "
            f"{table['agency_code'][row].as_py()} is not the package's buyer {buyer.agency_code}"
        )


# --- one release -----------------------------------------------------------------------------


def _release(row: Json, context: _Context) -> Json:
    config = context.config
    project_id = row["project_id"]
    status = config.statuses[row["status"]]
    release: Json = {
        "ocid": ocid_for(project_id, context.prefix),
        "id": f"{project_id}-{row['status']}",
        "date": _release_date(row, context),
        "tag": list(status.tags),
        "initiationType": "tender",
        "language": config.language,
        "parties": _parties(row, context),
        "buyer": context.buyer.reference(),
        "planning": {"budget": _budget(row, config)},
        "tender": _tender(row, context),
    }
    if "award" in status.tags:
        release["awards"] = [_award(row, config)]
    if "contract" in status.tags:
        release["contracts"] = [_contract(row, config)]
    add_bids(release, row, context.bids.get(project_id), config)  # award date, bids, tenderers
    return release


def _release_order(release: Json) -> tuple[str, str]:
    return (release["ocid"], release["id"])


def _release_date(row: Json, context: _Context) -> str:
    """The latest stage event the record carries; a project with none yet (planned) is dated
    with the first day of its fiscal year: from the data, the same on every run."""
    latest = next((row[name] for name in RELEASE_DATE_ORDER if row[name] is not None), None)
    if latest is None:
        latest = dt.date.fromisoformat(thai.fiscal_year_span([row["fiscal_year"]])[0])
    return _datetime(latest, context.config)


def _parties(row: Json, context: _Context) -> list[Json]:
    buyer = {**context.buyer.reference(), "roles": ["buyer", "procuringEntity"]}
    supplier = _supplier(row, context.config)
    return [buyer, {**supplier, "roles": ["supplier"]}] if supplier else [buyer]


def _supplier(row: Json, config: OcdsConfig) -> Json | None:
    tax_id, name = row["winner_tax_id"], row["winner_name"]
    if tax_id is None and name is None:
        return None
    if tax_id is not None and moa.is_valid(tax_id):
        party: Json = {
            "id": f"{config.supplier_scheme}-{tax_id}",
            "identifier": {"scheme": config.supplier_scheme, "id": tax_id},
        }
        if name is not None:
            party["identifier"]["legalName"] = name
    else:
        # Not a juristic-person number (a sole trader's citizen id is personal data).
        party = {"id": f"{row['project_id']}-supplier"}
    if name is not None:
        party["name"] = name
    return party


def _budget(row: Json, config: OcdsConfig) -> Json:
    year = row["fiscal_year"]
    budget: Json = {
        "id": f"FY{year}",
        "description": f"ปีงบประมาณ พ.ศ. {thai.ce_to_be(year)} (fiscal year {year})",
    }
    if row["budget"] is not None:
        budget["amount"] = _value(row["budget"], config)
    return budget


def _tender(row: Json, context: _Context) -> Json:
    config = context.config
    method = config.methods[row["method"]]
    tender: Json = {
        "id": row["project_id"],
        "title": row["project_name"],
        "status": config.statuses[row["status"]].tender_status,
        "procuringEntity": context.buyer.reference(),
        "procurementMethod": method.procurement_method,
        "procurementMethodDetails": method.details,
    }
    if row["reference_price"] is not None:
        tender["value"] = _value(row["reference_price"], config)
    period = _period(row["announce_date"], row["bid_close_date"], config)
    if period:
        tender["tenderPeriod"] = period
    if row["number_of_bidders"] is not None:
        tender["numberOfTenderers"] = row["number_of_bidders"]
    return tender


def _award(row: Json, config: OcdsConfig) -> Json:
    award: Json = {"id": f"{row['project_id']}-award", "status": "active"}
    if row["contract_value"] is not None:
        award["value"] = _value(row["contract_value"], config)
    supplier = _supplier(row, config)
    if supplier:
        award["suppliers"] = [{k: supplier[k] for k in ("id", "name") if k in supplier}]
    return award


def _contract(row: Json, config: OcdsConfig) -> Json:
    contract: Json = {
        "id": f"{row['project_id']}-contract",
        "awardID": f"{row['project_id']}-award",
        "status": "active",
    }
    if row["contract_value"] is not None:
        contract["value"] = _value(row["contract_value"], config)
    if row["contract_date"] is not None:
        contract["dateSigned"] = _datetime(row["contract_date"], config)
    return contract


def _period(start: dt.date | None, end: dt.date | None, config: OcdsConfig) -> Json:
    period: Json = {}
    if start is not None:
        period["startDate"] = _datetime(start, config)
    if end is not None:
        period["endDate"] = _datetime(end, config)
    return period


def _value(amount: float, config: OcdsConfig) -> Json:
    # Whole baht print as integers: 500000, not 500000.0.
    number: float | int = int(amount) if float(amount).is_integer() else amount
    return {"amount": number, "currency": config.currency}


def _datetime(day: dt.date, config: OcdsConfig) -> str:
    # Midnight Thai time: the table holds calendar days in Thailand.
    return f"{day.isoformat()}T00:00:00{config.utc_offset}"
