"""``ocds`` connector: OCDS release packages and JSON lines, and their mapping to rows.

Landing keeps the JSON as received; :func:`releases_to_rows` turns releases into rows of the
canonical procurement table (``docs/DATA_MODEL.md``), one row per ``ocid``, so OCDS in ->
clean table -> OCDS out (``pipelines/integrity``) round-trips the fields we carry:

==================  ======================================================================
project_id          ``tender.id``, else the ``ocid`` after its prefix
agency_code         ``buyer.id``
fiscal_year         ``planning.budget.id`` of the form ``FY2024``, else the Thai fiscal year
                    of the tender period start, else of the release date
project_name        ``tender.title``
method              ``tender.procurementMethodDetails`` (Thai name; the contract's value
                    aliases map it), else ``tender.procurementMethod`` via the codelist
budget              ``planning.budget.amount.amount``
reference_price     ``tender.value.amount``
announce_date       ``tender.tenderPeriod.startDate`` (date part, local time)
bid_close_date      ``tender.tenderPeriod.endDate``
award_date          ``awards[0].date``
contract_date       ``contracts[0].dateSigned``
number_of_bidders   ``tender.numberOfTenderers``
winner_tax_id       first supplier of the first award: its ``TH-TIN`` identifier (scheme +
                    id, or a ``TH-TIN-`` party id); none for any other id
winner_name         its name
contract_value      ``contracts[0].value.amount``, else ``awards[0].value.amount``
status              ``tender.status`` planned/cancelled, else contracted / awarded / announced
                    by the stages present
==================  ======================================================================
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pipelines.contracts import FileSource, OcdsSource
from pipelines.settings import REPO_ROOT
from pipelines.sources import file as file_source
from pipelines.sources.errors import SourceError
from pipelines.sources.http import HttpOptions, fetch
from pipelines.sources.landing import LandedFile, LandingArea
from pipelines.thai import fiscal_year

TIN_SCHEME = "TH-TIN"
TIN_PREFIX = f"{TIN_SCHEME}-"
# Closed codelist -> our method, when no Thai name is given.
METHODS = {
    "open": "e_bidding",
    "selective": "selection",
    "limited": "specific",
    "direct": "specific",
}


def pull(
    source: OcdsSource, landing: LandingArea, *, base_dir: Path = REPO_ROOT
) -> list[LandedFile]:
    if source.url:
        options = HttpOptions(
            allowed_hosts=source.allowed_hosts,
            timeout_s=source.timeout_s,
            max_bytes=source.max_bytes,
        )
        return [
            fetch(
                source.url, landing, options, ext="json" if source.url.endswith("json") else "jsonl"
            )
        ]
    if source.path:
        return file_source.pull(FileSource(path=source.path), landing, base_dir=base_dir)
    raise SourceError("ocds", "an ocds source needs a path or a url")


# --- reading ---------------------------------------------------------------------------------


def _releases_in(document: Any) -> Iterator[dict[str, Any]]:
    """Releases of a release package, a record package (compiled releases), or one release."""
    if not isinstance(document, dict):
        raise ValueError("expected a JSON object")
    if "releases" in document:
        yield from document["releases"]
    elif "records" in document:
        for record in document["records"]:
            if "compiledRelease" in record:
                yield record["compiledRelease"]
            else:
                yield from record.get("releases", [])
    elif "ocid" in document:
        yield document
    else:
        raise ValueError("neither a release, a release package nor a record package")


def read_releases(path: Path) -> list[dict[str, Any]]:
    """Every release in a JSON file or a JSON-lines file (one release or package a line)."""
    text = Path(path).read_text(encoding="utf-8-sig")
    try:
        return list(_releases_in(json.loads(text)))
    except json.JSONDecodeError:
        pass
    releases: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                releases.extend(_releases_in(json.loads(line)))
            except json.JSONDecodeError as error:
                raise ValueError(f"line {number}: invalid JSON ({error.msg})") from None
    return releases


# --- mapping ---------------------------------------------------------------------------------


def _get(data: Any, *path: str | int) -> Any:
    for key in path:
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and len(data) > key:
            data = data[key]
        else:
            return None
    return data


def _merge(releases: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Latest view per ocid: later releases (by date) replace the sections they carry."""
    merged: dict[str, dict[str, Any]] = {}
    for release in sorted(releases, key=lambda r: str(r.get("date", ""))):
        merged.setdefault(release["ocid"], {}).update(
            {key: value for key, value in release.items() if value not in (None, [], {})}
        )
    return merged


def _day(value: Any) -> str | None:
    return str(value)[:10] if value else None


def _project_id(release: dict[str, Any]) -> str:
    tender_id = _get(release, "tender", "id")
    return str(tender_id) if tender_id else str(release["ocid"]).rsplit("-", 1)[-1]


def _fiscal_year(release: dict[str, Any]) -> int | None:
    declared = re.fullmatch(r"FY(\d{4})", str(_get(release, "planning", "budget", "id") or ""))
    if declared:
        return int(declared.group(1))
    day = _day(_get(release, "tender", "tenderPeriod", "startDate") or release.get("date"))
    return fiscal_year(dt.date.fromisoformat(day)) if day else None


def _supplier_tax_id(supplier: Any) -> str | None:
    """The supplier's TH-TIN tax id; any other party id (e.g. ``<project>-supplier``) is none."""
    if _get(supplier, "identifier", "scheme") == TIN_SCHEME and _get(supplier, "identifier", "id"):
        return str(_get(supplier, "identifier", "id"))
    supplier_id = str(_get(supplier, "id") or "")
    return supplier_id.removeprefix(TIN_PREFIX) if supplier_id.startswith(TIN_PREFIX) else None


def _status(release: dict[str, Any]) -> str:
    tender_status = _get(release, "tender", "status")
    if tender_status in ("planned", "planning"):
        return "planned"
    if tender_status == "cancelled":
        return "cancelled"
    if release.get("contracts"):
        return "contracted"
    if release.get("awards"):
        return "awarded"
    if release.get("tender"):
        return "announced"
    return "planned"


def release_to_row(release: dict[str, Any]) -> dict[str, Any]:
    supplier = _get(release, "awards", 0, "suppliers", 0)
    codelist_method = METHODS.get(str(_get(release, "tender", "procurementMethod")))
    method = _get(release, "tender", "procurementMethodDetails") or codelist_method
    return {
        "project_id": _project_id(release),
        "agency_code": _get(release, "buyer", "id"),
        "fiscal_year": _fiscal_year(release),
        "project_name": _get(release, "tender", "title"),
        "method": method,
        "budget": _get(release, "planning", "budget", "amount", "amount"),
        "reference_price": _get(release, "tender", "value", "amount"),
        "announce_date": _day(_get(release, "tender", "tenderPeriod", "startDate")),
        "bid_close_date": _day(_get(release, "tender", "tenderPeriod", "endDate")),
        "award_date": _day(_get(release, "awards", 0, "date")),
        "contract_date": _day(_get(release, "contracts", 0, "dateSigned")),
        "number_of_bidders": _get(release, "tender", "numberOfTenderers"),
        "winner_tax_id": _supplier_tax_id(supplier) if supplier else None,
        "winner_name": _get(supplier, "name"),
        "contract_value": _get(release, "contracts", 0, "value", "amount")
        or _get(release, "awards", 0, "value", "amount"),
        "status": _status(release),
    }


def releases_to_rows(releases: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """OCDS releases -> canonical procurement rows (one per ocid, latest state)."""
    return [release_to_row(release) for release in _merge(releases).values()]
