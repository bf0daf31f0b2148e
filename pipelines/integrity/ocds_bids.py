"""What the bids table adds to a release of the OCDS export: bids, tenderers, the award date.

The procurement table says how many bids a project received and who won; the bids table
(family ``procurement_bids``, declared in ocds.yaml as ``bids``) says who offered what and
whether the bid was found valid. For each project with bids, :func:`add_bids` writes the OCDS
bid extension's ``bids.details`` (one per bid: its date, status, tenderer and value) and
``bids.statistics`` (``bids``, ``validBids``, ``disqualifiedBidders``: the measures of the
extension's bidStatistics codelist), and lists each bidder in ``parties`` with the role
``tenderer`` (the winner's supplier party gains the role). A project without bids (an agency
that sent no bids file) gets no ``bids`` section. ``tender.numberOfTenderers`` is always the
procurement row's ``number_of_bidders`` (what Cardinal's R018 and the red flags read); a project
whose bid rows do not number that many, and bids of a project the procurement table does not
hold (kept out of the package), are reported by :func:`bids_quality`. ``award_date`` becomes
``awards[].date`` either way.

A bidder is identified with the ``TH-TIN`` scheme only when its tax id is a juristic-person
number (``stdnum.th.moa``); a sole trader bids under the citizen id, personal data, which never
appears: neither as an identifier nor inside an id (ids are positional: ``<project>-bid-<n>``,
``<project>-tenderer-<n>``, n counting the project's bids in order of amount).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from stdnum.th import moa

from pipelines.contracts import FileSource, load_spec
from pipelines.hashing import file_sha256
from pipelines.integrity.ocds_config import BidsTable, OcdsConfig
from pipelines.integrity.procurement_table import cast_columns
from pipelines.layout import clean_files, publishable_path, report_json_path, schema_valid_path
from pipelines.settings import REPO_ROOT
from pipelines.sources.file import matching_files
from pipelines.sources.landing import LandingArea

Json = dict[str, Any]
BidsIndex = Mapping[str, list[Json]]  # project_id -> its bids, in order of amount

COLUMNS = (
    "project_id",
    "agency_code",
    "fiscal_year",
    "bidder_tax_id",
    "bidder_name",
    "bid_amount",
    "bid_status",
    "bid_date",
)
TYPES: dict[str, pa.DataType] = {
    **dict.fromkeys(COLUMNS, pa.string()),
    "fiscal_year": pa.int64(),
    "bid_amount": pa.float64(),
    "bid_date": pa.date32(),
}
SCHEMA = pa.schema([(name, TYPES[name]) for name in COLUMNS])
# OCDS bidStatus codes the table may hold, and the statistics counted from them.
STATUSES = ("valid", "disqualified", "withdrawn")
# The extension's bidStatistics.csv codes: it has no "disqualifiedBids"; one bid per bidder row.
MEASURES = (("bids", None), ("validBids", "valid"), ("disqualifiedBidders", "disqualified"))


class BidsTableError(ValueError):
    """The bids table cannot be read or belongs to another agency; the message says where."""


@dataclass(frozen=True)
class CurrentBids:
    """The gate's bids of an agency as they may be used now (:func:`current_bids`).

    ``publishable`` / ``schema_valid``: the gate's tables to read, None when no bids are used
    (no bids file now, or none passed the gate). ``stale``: the gate's tables were made from
    other files than the bids received now; the OCDS package and the red flags are withheld
    with :data:`STALE` / :data:`STALE_TH` (one line each) rather than use them."""

    publishable: Path | None = None
    schema_valid: Path | None = None
    stale: bool = False


STALE = "the bids file received has not been checked yet: the bids are withheld until it is"
STALE_TH = "ยังไม่ได้ตรวจสอบไฟล์ข้อมูลผู้เสนอราคาที่ได้รับล่าสุด จึงงดเผยแพร่จนกว่าจะตรวจสอบแล้ว"


def current_bids(
    data_dir: Path, agency_code: str, family: str = "procurement_bids", base_dir: Path = REPO_ROOT
) -> CurrentBids:
    """Whether the gate's bids of ``agency_code`` describe the raw bids now present.

    The chain checked, by content: the agency's bids files now (its file drop, hashed; the
    latest landing for another source) are the files the clean table was made from (the landed
    names are their sha256), and the gate's report judged that clean table (``input_sha256``).
    No bids file now: no bids used (whatever an earlier run left); none gated in ``data_dir``
    yet: none used either (nothing stale to publish; the next run adds them). A broken link
    (a new, changed or removed file not yet through the gate): stale."""
    spec = load_spec(family)
    source = spec.source_for(agency_code)
    if isinstance(source, FileSource):
        raw = {file_sha256(path) for path in matching_files(source.path, base_dir)}
    else:
        raw = {landed.sha256 for landed in LandingArea(data_dir, family, agency_code).latest()}
    report = report_json_path(data_dir, family, agency_code)
    if not raw or not report.is_file():  # no bids file now, or never gated here: none used
        return CurrentBids()
    stale = CurrentBids(stale=True)
    files = clean_files(data_dir, family, agency_code)
    if not (files.normalization.is_file() and files.parquet.is_file()):
        return stale
    sources = json.loads(files.normalization.read_text(encoding="utf-8")).get("sources", [])
    gated = json.loads(report.read_text(encoding="utf-8")).get("input_sha256")
    if {Path(name).name.split(".")[0] for name in sources} != raw:
        return stale
    # The gate digests the clean table it read (the CSV beside a Parquet file, else the file).
    judged = {file_sha256(path) for path in (files.csv, files.parquet) if path.is_file()}
    if gated not in judged:
        return stale
    publishable = publishable_path(data_dir, family, agency_code)
    screened = schema_valid_path(data_dir, family, agency_code)
    return CurrentBids(
        publishable if publishable.is_file() else None, screened if screened.is_file() else None
    )


def typed_bids(table: pa.Table, source: str = "bids table") -> pa.Table:
    """The canonical columns of ``table``, in order, cast to :data:`SCHEMA`."""
    return cast_columns(table, SCHEMA, source, BidsTableError)


def read_bids(path: Path, declared: BidsTable | None = None) -> pa.Table | None:
    """The gate's bids table of an agency, typed; None when the agency sent none (or it was
    blocked) or ocds.yaml declares no bids table: the export then has no bids section.
    ``declared`` names the table's project and bidder columns (ocds.yaml ``bids``)."""
    if declared is None or not path.is_file():
        return None
    table = pq.read_table(path)
    names = {declared.key: "project_id", declared.bidder: "bidder_tax_id"}
    table = table.rename_columns([names.get(name, name) for name in table.column_names])
    return typed_bids(table, source=str(path))


def index_bids(table: pa.Table | None, agency_code: str) -> dict[str, list[Json]]:
    """The bids of ``agency_code`` by project, each project's in a fixed order (amount, then
    the other columns), so the same table gives the same package whatever its row order.
    Refuses a row of another agency or a status outside :data:`STATUSES`."""
    if table is None:
        return {}
    table = typed_bids(table)
    for name, known in (("agency_code", [agency_code]), ("bid_status", list(STATUSES))):
        bad = pc.invert(pc.is_in(table[name], value_set=pa.array(known, pa.string())))
        bad = pc.fill_null(bad, True)
        if pc.any(bad).as_py():
            row = pc.index(bad, True).as_py()
            raise BidsTableError(
                f"bids of project {table['project_id'][row]} (row {row + 1}), field {name}: "
                f"{table[name][row].as_py()!r} is not {' or '.join(known)}"
            )
    grouped: dict[str, list[Json]] = {}
    for bid in table.to_pylist():
        grouped.setdefault(bid["project_id"], []).append(bid)
    return {project: sorted(bids, key=_order) for project, bids in sorted(grouped.items())}


def _order(bid: Json) -> tuple[Any, ...]:
    amount = bid["bid_amount"] if bid["bid_amount"] is not None else float("inf")
    return (amount, *("" if bid[name] is None else str(bid[name]) for name in COLUMNS[3:]))


def add_bids(release: Json, row: Json, bids: list[Json] | None, config: OcdsConfig) -> None:
    """Complete ``release`` (built from the procurement ``row``) with the award date and, when
    the project has ``bids``, the bids section, the tenderers and the number of tenderers."""
    if row.get("award_date") is not None and release.get("awards"):
        release["awards"][0]["date"] = _datetime(row["award_date"], config)
    if not bids:
        return
    project_id = row["project_id"]
    details = []
    for number, bid in enumerate(bids, start=1):
        tenderer = _tenderer(bid, f"{project_id}-tenderer-{number}", config)
        _add_party(release["parties"], tenderer)
        detail: Json = {"id": f"{project_id}-bid-{number}"}
        if bid["bid_date"] is not None:
            detail["date"] = _datetime(bid["bid_date"], config)
        detail["status"] = bid["bid_status"]
        detail["tenderers"] = [{k: tenderer[k] for k in ("id", "name") if tenderer[k]}]
        if bid["bid_amount"] is not None:
            detail["value"] = _value(bid["bid_amount"], config)
        details.append(detail)
    statistics = [
        {
            "id": f"{project_id}-{measure}",
            "measure": measure,
            "value": sum(status is None or bid["bid_status"] == status for bid in bids),
        }
        for measure, status in MEASURES
    ]
    release["bids"] = {"statistics": statistics, "details": details}
    # tender.numberOfTenderers stays the procurement row's number_of_bidders (the export sets
    # it): a partial bids file does not rewrite it; a mismatch is reported (bids_quality).


@dataclass(frozen=True)
class BidsQuality:
    """Data-quality warnings on an agency's bids, by project id (sorted): ``orphans``, projects
    with bids but no row in the procurement table (``orphan_rows`` bid rows, none in the
    package); ``count_mismatches``, projects whose bid rows do not number ``number_of_bidders``."""

    orphans: list[str]
    orphan_rows: int
    count_mismatches: list[str]


def bids_quality(procurement: pa.Table, bids: pa.Table | None) -> BidsQuality:
    """The warnings of :class:`BidsQuality` for ``bids`` read with the ``procurement`` table."""
    if bids is None or bids.num_rows == 0:
        return BidsQuality([], 0, [])
    counts = bids.group_by("project_id").aggregate([("project_id", "count")]).to_pylist()
    sent = {row["project_id"]: row["project_id_count"] for row in counts}
    declared = dict(
        zip(
            procurement["project_id"].to_pylist(),
            procurement["number_of_bidders"].to_pylist(),
            strict=True,
        )
    )
    orphans = sorted(project for project in sent if project not in declared)
    mismatches = sorted(
        project
        for project, count in sent.items()
        if project in declared and declared[project] is not None and declared[project] != count
    )
    return BidsQuality(orphans, sum(sent[project] for project in orphans), mismatches)


def bids_warning(metadata: Mapping[str, Any]) -> str:
    """The one-line data-quality warning of a procurement_ocds step (its metadata, as
    :func:`bids_quality` counts feed it) for the run summary; empty when there is none."""
    parts = []
    orphans, projects = metadata.get("orphan_bids") or 0, metadata.get("orphan_bid_projects") or []
    if orphans:
        shown = ", ".join(map(str, projects[:3])) + (", …" if len(projects) > 3 else "")
        parts.append(
            f"{orphans} bid(s) of projects not in the procurement table left out ({shown})"
        )
    if mismatches := metadata.get("bid_count_mismatches") or 0:
        parts.append(f"{mismatches} project(s) with bid rows other than number_of_bidders")
    return "warning: " + "; ".join(parts) if parts else ""


def _tenderer(bid: Json, fallback_id: str, config: OcdsConfig) -> Json:
    tax_id, name = bid["bidder_tax_id"], bid["bidder_name"]
    if tax_id is not None and moa.is_valid(tax_id):
        scheme = config.supplier_scheme
        identifier: Json = {"scheme": scheme, "id": tax_id}
        if name is not None:
            identifier["legalName"] = name
        return {"id": f"{scheme}-{tax_id}", "name": name, "identifier": identifier}
    # Not a juristic-person number (a sole trader's citizen id, or its mask): no identifier.
    return {"id": fallback_id, "name": name}


def _add_party(parties: list[Json], tenderer: Json) -> None:
    """The bidder as a party with the role tenderer; the winner's supplier party gains it."""
    for party in parties:
        if party["id"] == tenderer["id"]:
            if "tenderer" not in party["roles"]:
                party["roles"] = [*party["roles"], "tenderer"]
            return
    party = {key: value for key, value in tenderer.items() if value is not None}
    parties.append({**party, "roles": ["tenderer"]})


def _value(amount: float, config: OcdsConfig) -> Json:
    # Whole baht print as integers, as in the rest of the export.
    number: float | int = int(amount) if float(amount).is_integer() else amount
    return {"amount": number, "currency": config.currency}


def _datetime(day: dt.date, config: OcdsConfig) -> str:
    # Midnight Thai time: the tables hold calendar days in Thailand.
    return f"{day.isoformat()}T00:00:00{config.utc_offset}"
