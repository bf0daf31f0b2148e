"""Integrity outputs of one agency partition, read from and written to the on-disk layout.

Input: the gate's ``data/validation/procurement/<agency>/publishable.parquet`` (the OCDS
export: what is published) and ``schema_valid.parquet`` (the red flags: every row that passed
the schema, also those a business rule quarantined — a contract over its budget is the very
thing a red flag is for). Output, beside each other in
``data/integrity/procurement/<agency>/``: ``ocds_release_package.json`` (written only when
valid, so a bad run leaves the previous package in place), ``red_flags.csv`` and
``red_flags.parquet`` (agency_code, project_id, flag_id, detail, ocid, values, parameters,
published, held_back_by: see :mod:`pipelines.integrity.flags.published`; no
name, personal id or free text of the row) and ``red_flags.json`` (each flag's definition,
parameters, whether it was computable and its flagged projects, the summary counts, and the
``rate``: flagged projects over the rows screened, with the flagged projects that were not
published because a business rule quarantined them). The bids flags read the bids table's
``schema_valid.parquet`` (family ``procurement_bids``); without one they are not computable.

When the package is withheld (the schema is offline or unusable, no row passed the checks, or
the package is invalid) :func:`withhold_package` writes ``ocds_release_package.json.withheld.json``
(why, in English and Thai) and removes the previous package, so an old package is never published
beside new data; :func:`clear_withheld` removes the note once a package is written. Red flags
that cannot be computed are withheld the same way (:func:`withhold_flags` writes
``red_flags.csv.withheld.json``; the CSV, Parquet and JSON of an earlier run go), and
:func:`clear_withheld_flags` removes that note.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pipelines.contracts import load_agencies
from pipelines.files import replace_atomically
from pipelines.integrity.flags.published import publication, with_publication
from pipelines.integrity.ocds_bids import STALE, CurrentBids, read_bids
from pipelines.integrity.ocds_config import BidsTable, load_ocds_config
from pipelines.integrity.ocds_export import Buyer, export_release_package, write_release_package
from pipelines.integrity.ocds_schema import ValidationIssue
from pipelines.integrity.ocds_validate import validate_package
from pipelines.integrity.procurement_table import read_procurement
from pipelines.integrity.red_flags import (
    FlagSpec,
    compute_flags_noted,
    describe_flags,
    flag_rate,
    not_computable,
    summarize,
)
from pipelines.layout import (  # the integrity stage's files (FAMILY: procurement)
    FLAGS_CSV,
    FLAGS_JSON,
    FLAGS_PARQUET,
    OCDS_FILE,
    integrity_dir,
    integrity_files,
    publishable_path,
    report_json_path,
    schema_valid_path,
)
from pipelines.layout import PROCUREMENT as FAMILY

BIDS_FAMILY = "procurement_bids"  # the bids table declared by the procurement contract


def gated_table_path(data_dir: Path, agency_code: str) -> Path:
    """The table the validation gate let through (privacy-masked, quarantined rows out):
    what is published is what OCDS and the red flags describe."""
    return publishable_path(data_dir, FAMILY, agency_code)


def screened_table_path(data_dir: Path, agency_code: str) -> Path:
    """Every row that passed the schema (masked like the publishable table), rows quarantined
    by business rules kept: what the red flags are computed over."""
    return schema_valid_path(data_dir, FAMILY, agency_code)


def gated_bids_path(data_dir: Path, agency_code: str, declared: BidsTable | None = None) -> Path:
    """The bids the gate let through (a sole trader's id masked): what the OCDS export reads."""
    return publishable_path(data_dir, declared.family if declared else BIDS_FAMILY, agency_code)


def screened_bids_path(data_dir: Path, agency_code: str) -> Path:
    """Every bid row that passed the schema: what the bid-based red flags read."""
    return schema_valid_path(data_dir, BIDS_FAMILY, agency_code)


def package_path(data_dir: Path, agency_code: str) -> Path:
    return integrity_files(data_dir, agency_code).package


def withheld_note_path(data_dir: Path, agency_code: str) -> Path:
    """The note saying why the package is withheld (the contract's ``withheld_path_for``)."""
    return integrity_files(data_dir, agency_code).package_note


def flags_note_path(data_dir: Path, agency_code: str) -> Path:
    """The note saying why the red flags are withheld (beside ``red_flags.csv``)."""
    return integrity_files(data_dir, agency_code).flags_note


@dataclass(frozen=True)
class Withheld:
    """Why a derived file is not published, one sentence each in English and Thai."""

    reason: str
    reason_th: str


# The public sentence when a derived file failed (an unusable schema, an invalid package, a bad
# red-flag definition): the cause goes to the steward (the asset's metadata, its check and the
# log), never to the page; one note whatever the cause, so a repeated failure re-publishes nothing.
NOT_PRODUCED = Withheld(
    reason="the file could not be produced for this publication",
    reason_th="ไม่สามารถจัดทำไฟล์นี้ได้สำหรับการเผยแพร่ครั้งนี้",
)


def _withhold(note: Path, resource: str, withheld: Withheld, stale: Sequence[Path]) -> Path:
    """Write the withheld note, then remove the earlier files (the note wins if both stay)."""
    note.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(
        {"resource": resource, "reason": withheld.reason, "reason_th": withheld.reason_th},
        ensure_ascii=False,
        indent=1,
    )
    replace_atomically(note, lambda path: path.write_text(text + "\n", encoding="utf-8"))
    for path in stale:
        path.unlink(missing_ok=True)
    return note


def withhold_package(agency_code: str, data_dir: Path, withheld: Withheld) -> Path:
    """Write the package's withheld note, then remove the previous package."""
    note = withheld_note_path(data_dir, agency_code)
    return _withhold(note, OCDS_FILE, withheld, [package_path(data_dir, agency_code)])


def clear_withheld(agency_code: str, data_dir: Path) -> None:
    """The package is written: its withheld note goes."""
    withheld_note_path(data_dir, agency_code).unlink(missing_ok=True)


def withhold_flags(agency_code: str, data_dir: Path, withheld: Withheld) -> Path:
    """Write the red flags' withheld note, then remove the flags of an earlier run."""
    folder = integrity_dir(data_dir, agency_code)
    stale = [folder / name for name in (FLAGS_CSV, FLAGS_PARQUET, FLAGS_JSON)]
    return _withhold(flags_note_path(data_dir, agency_code), FLAGS_CSV, withheld, stale)


def clear_withheld_flags(agency_code: str, data_dir: Path) -> None:
    """The red flags are written: their withheld note goes."""
    flags_note_path(data_dir, agency_code).unlink(missing_ok=True)


def buyer_from_registry(agency_code: str, datasets_dir: Path | None = None) -> Buyer:
    """The agency as an OCDS buyer; an agency missing from the registry is an error."""
    for agency in load_agencies(datasets_dir):
        if agency.agency_code == agency_code:
            return Buyer(agency.agency_code, agency.name_th, agency.name_en)
    raise LookupError(f"agency {agency_code!r} is not in the agency registry")


@dataclass(frozen=True)
class OcdsOutcome:
    releases: int
    issues: list[ValidationIssue]
    path: Path | None  # None when nothing was written (no rows, or an invalid package)


@dataclass(frozen=True)
class FlagsOutcome:
    flags: pa.Table
    summary: dict[str, Any]
    csv: Path
    parquet: Path
    report: Path


def export_partition(
    agency_code: str,
    data_dir: Path,
    validator: jsonschema_rs.Validator,
    *,
    published: dt.datetime | None = None,
    with_bids: bool = True,
) -> OcdsOutcome:
    """Export, validate, and write the agency's release package when it is valid.
    ``with_bids=False``: the gate's bids are not read (``ocds_bids.current_bids`` found none now).

    Everything in the package comes from the data (``publishedDate`` is the newest release
    date unless ``published`` is given), so an unchanged table writes the same bytes again.
    """
    table = read_procurement(gated_table_path(data_dir, agency_code))
    if table.num_rows == 0:  # a package needs at least one release
        return OcdsOutcome(releases=0, issues=[], path=None)
    buyer = buyer_from_registry(agency_code)
    declared = load_ocds_config().bids  # the bids table ocds.yaml declares, if any
    bids_path = gated_bids_path(data_dir, agency_code, declared)
    bids = read_bids(bids_path, declared) if with_bids else None  # None: none sent
    package = export_release_package(table, buyer, published=published, bids=bids)
    issues = validate_package(package, validator)
    if issues:
        return OcdsOutcome(releases=len(package["releases"]), issues=issues, path=None)
    path = package_path(data_dir, agency_code)
    write_release_package(package, path)
    return OcdsOutcome(releases=len(package["releases"]), issues=[], path=path)


def flag_partition(
    agency_code: str,
    data_dir: Path,
    specs: Sequence[FlagSpec],
    *,
    current: CurrentBids | None = None,
) -> FlagsOutcome:
    """Compute the agency's red flags over every row that passed the schema and write the flags
    table and their description (with the rate's numerator and denominator).

    ``current``: the bids usable now (:func:`pipelines.integrity.ocds_bids.current_bids`, the
    rule the OCDS export follows too: a None path means no bids, whatever an earlier run left);
    stale bids raise (the caller withholds the flags first). Without it, the gate's bids files
    in ``data_dir``."""
    if current is None:
        public, every = (
            gated_bids_path(data_dir, agency_code),
            screened_bids_path(data_dir, agency_code),
        )
        current = CurrentBids(
            publishable=public if public.exists() else None,
            schema_valid=every if every.exists() else None,
        )
    if current.stale:
        raise ValueError(f"red flags of {agency_code}: {STALE}")
    screened = read_procurement(screened_table_path(data_dir, agency_code))
    published = pq.read_table(gated_table_path(data_dir, agency_code), columns=["project_id"])
    bids = pq.read_table(current.schema_valid) if current.schema_valid else None
    public_bids = (
        pq.read_table(current.publishable, columns=["project_id"]) if current.publishable else None
    )
    status = publication(
        screened,
        published,
        report_json_path(data_dir, FAMILY, agency_code),
        bids,
        public_bids,
        report_json_path(data_dir, BIDS_FAMILY, agency_code),
    )
    computed, notes = compute_flags_noted(screened, specs, bids)
    flags = with_publication(computed, status)
    folder = integrity_dir(data_dir, agency_code)
    folder.mkdir(parents=True, exist_ok=True)
    summary = summarize(flags)
    skipped = not_computable(specs, bids)
    report = {
        "flags": describe_flags(flags, specs, skipped=skipped, reasons=notes),
        "not_computable": [spec.id for spec in specs if spec.id in skipped or spec.id in notes],
        "summary": summary,
        "rate": flag_rate(flags, screened, published["project_id"].to_pylist()),
    }
    outcome = FlagsOutcome(
        flags, summary, folder / FLAGS_CSV, folder / FLAGS_PARQUET, folder / FLAGS_JSON
    )
    replace_atomically(outcome.csv, lambda path: pacsv.write_csv(flags, path))
    replace_atomically(outcome.parquet, lambda path: pq.write_table(flags, path))
    replace_atomically(
        outcome.report,
        lambda path: path.write_text(
            json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        ),
    )
    return outcome
