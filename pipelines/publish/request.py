"""From a dataset contract, an agency and its publishable table to a :class:`PublishRequest`.

Resources, in this order: one UTF-8 CSV per period (``<family>-fy2024.csv`` per fiscal year,
``-2024.csv`` per calendar year, ``-2024-03.csv`` per month, see :mod:`pipelines.publish.periods`;
``<family>.csv`` for a family without a period), ``datapackage.json``, and the validation
report as JSON and HTML. Temporal coverage (first/last year of data, ``temporal_start`` /
``temporal_end``) is read from the data, not from the contract.

A derived file whose asset left a *withheld note* beside it (the OCDS package while its schema
is offline; any derived file its asset failed to produce) is not published, even when an older
copy of the file is on disk: the request lists it in ``withdrawn`` (an earlier copy on the portal
is removed) and the dataset's description says, in Thai and English, that it is withheld and why
(:data:`WITHHELD_KEY` names it for machines). The note goes with the first run that writes the
file, and so does the paragraph.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.contracts import Agency, DatasetSpec
from pipelines.publish.csvfile import to_safe_csv
from pipelines.publish.datapackage import datapackage_resource
from pipelines.publish.model import (
    DatasetMetadata,
    DatastoreTable,
    DictionaryField,
    OrganizationSpec,
    PublishRequest,
    ResourceFile,
)
from pipelines.publish.partitions import dataset_name
from pipelines.publish.periods import (
    period_keys,
    period_label,
    period_slug,
    period_span,
    period_years,
)
from pipelines.thai import ce_to_be

WITHHELD_KEY = "ogp_withheld"  # dataset extra: the derived resources withheld, comma-separated


@dataclass(frozen=True)
class ReportPaths:
    json: Path
    html: Path | None = None


@dataclass(frozen=True)
class WithheldResource:
    """A derived resource not published this run, and why (one sentence each, EN and TH)."""

    name: str
    description_th: str
    description_en: str
    reason: str
    reason_th: str


def organization_spec(agency: Agency) -> OrganizationSpec:
    extras = {
        "ministry_th": agency.ministry_th,
        "ministry_en": agency.ministry_en,
        "kind": agency.kind,
    }
    if agency.website:
        extras["website"] = agency.website
    return OrganizationSpec(
        name=agency.agency_code,
        title_th=agency.name_th,
        title_en=agency.name_en,
        description=(
            f"{agency.name_th} {agency.ministry_th}\n\n{agency.name_en}, {agency.ministry_en}"
        ),
        extras=extras,
    )


def dictionary_fields(spec: DatasetSpec) -> tuple[DictionaryField, ...]:
    return tuple(
        DictionaryField(
            name=field["name"],
            type=field.get("type", "string"),
            title_en=field.get("title", ""),
            title_th=field.get("title_th", ""),
            description=field.get("description", ""),
        )
        for field in spec.fields
    )


# --- periods ------------------------------------------------------------------------------------


def fiscal_years(table: pa.Table, period_field: str) -> pa.Array:
    """The fiscal year (CE) of each row, from an integer year or a date column."""
    return period_keys(table, period_field, "fiscal_year")


# --- resources ----------------------------------------------------------------------------------


def _csv_resource(
    spec: DatasetSpec, table: pa.Table, fields: tuple[DictionaryField, ...], key: int | None
) -> ResourceFile:
    if key is None:
        name, period, when = f"{spec.name}.csv", None, ""
    else:
        period = period_slug(spec.period, key)
        name, when = f"{spec.name}-{period}.csv", f" {period_label(spec.period, key)}"
    description = f"{spec.title.th} — {spec.title.en}{when} ({table.num_rows:,} rows)"
    return ResourceFile(
        name=name,
        content=to_safe_csv(table),
        format="CSV",
        mimetype="text/csv",
        description=description,
        period=period,
        datastore=DatastoreTable(fields, table, published_key(spec)),
    )


def csv_resources(spec: DatasetSpec, table: pa.Table) -> tuple[tuple[ResourceFile, ...], list[int]]:
    """The CSV resources (one per period when the family has one) and the period keys covered
    (CE years; ``year * 100 + month`` for months)."""
    fields = dictionary_fields(spec)
    if spec.period_field is None or spec.period == "none":
        return (_csv_resource(spec, table, fields, None),), []
    keys_of_rows = period_keys(table, spec.period_field, spec.period)
    keys = sorted(key for key in pc.unique(keys_of_rows).to_pylist() if key is not None)
    resources = tuple(
        _csv_resource(spec, table.filter(pc.equal(keys_of_rows, key)), fields, key) for key in keys
    )
    return resources, keys


def report_resources(report: ReportPaths | None) -> tuple[ResourceFile, ...]:
    if report is None:
        return ()
    files = [
        ResourceFile(
            name="validation-report.json",
            content=report.json.read_bytes(),
            format="JSON",
            mimetype="application/json",
            description="รายงานผลการตรวจสอบคุณภาพข้อมูล (JSON) / Validation report (JSON)",
        )
    ]
    if report.html is not None and report.html.is_file():
        files.append(
            ResourceFile(
                name="validation-report.html",
                content=report.html.read_bytes(),
                format="HTML",
                mimetype="text/html",
                description="รายงานผลการตรวจสอบคุณภาพข้อมูล / Validation report",
            )
        )
    return tuple(files)


def derived_resources(
    spec: DatasetSpec, agency_code: str, data_dir: Path
) -> tuple[ResourceFile, ...]:
    """The contract's derived files (OCDS, red flags) that exist for this agency and are not
    withheld (a withheld note wins over a file left from an earlier run)."""
    files = []
    for derived in spec.derived_resources:
        path = data_dir / derived.path_for(agency_code)
        if (data_dir / derived.withheld_path_for(agency_code)).is_file():
            continue
        if path.is_file():
            files.append(
                ResourceFile(
                    name=derived.name,
                    content=path.read_bytes(),
                    format=derived.format,
                    mimetype=derived.mimetype,
                    description=f"{derived.description.th} / {derived.description.en}",
                    stable_id=True,  # the OCDS package cites its own URL
                )
            )
    return tuple(files)


def withheld_resources(
    spec: DatasetSpec, agency_code: str, data_dir: Path
) -> tuple[WithheldResource, ...]:
    """The contract's derived files withheld for this agency, with the reasons from the notes."""
    withheld = []
    for derived in spec.derived_resources:
        note_path = data_dir / derived.withheld_path_for(agency_code)
        if not note_path.is_file():
            continue
        try:
            note = json.loads(note_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            note = {}
        note = note if isinstance(note, dict) else {}
        withheld.append(
            WithheldResource(
                name=derived.name,
                description_th=derived.description.th,
                description_en=derived.description.en,
                reason=str(note.get("reason") or "the file could not be produced"),
                reason_th=str(note.get("reason_th") or "สร้างไฟล์ไม่ได้"),
            )
        )
    return tuple(withheld)


def withheld_notes(withheld: Sequence[WithheldResource]) -> tuple[str, str]:
    """(Thai, English) paragraphs for the dataset's description, one sentence per file."""
    thai = " ".join(
        f"**ยังไม่เผยแพร่ {item.name}** ({item.description_th}) ในรุ่นนี้ เนื่องจาก"
        f"{item.reason_th} จะเผยแพร่ในการประมวลผลครั้งแรกที่ทำได้ "
        "ข้อมูลและไฟล์อื่นของชุดข้อมูลนี้เป็นฉบับปัจจุบัน"
        for item in withheld
    )
    english = " ".join(
        f"**{item.name} is withheld from this version** ({item.description_en}): "
        f"{item.reason}. It is published on the first run where it can be; the data and the "
        "other files of this dataset are current."
        for item in withheld
    )
    return thai, english


# --- the request --------------------------------------------------------------------------------


def dataset_metadata(
    spec: DatasetSpec,
    agency: Agency,
    periods: list[int],
    withheld: Sequence[WithheldResource] = (),
) -> DatasetMetadata:
    catalog: dict[str, Any] = spec.ckan.thai_gdc.model_dump()
    extras: dict[str, str] = {"frequency": spec.ckan.update_frequency}
    if periods:
        years = period_years(spec.period, periods)
        catalog["first_year_of_data"] = str(ce_to_be(min(years)))
        catalog["last_year_of_data"] = str(ce_to_be(max(years)))
        extras["temporal_start"], extras["temporal_end"] = period_span(spec.period, periods)
    notes_th, notes_en = spec.description.th, spec.description.en
    if withheld:
        # Thai first in the main description (what the page shows), English beside it too.
        thai, english = withheld_notes(withheld)
        notes_th = f"{notes_th}\n\n{thai}\n\n{english}"
        notes_en = f"{notes_en}\n\n{english}"
        extras[WITHHELD_KEY] = ", ".join(item.name for item in withheld)
    return DatasetMetadata(
        name=dataset_name(spec.name, agency.agency_code),
        owner_org=agency.agency_code,
        family=spec.name,
        title_th=f"{spec.title.th} — {agency.name_th}",
        title_en=f"{spec.title.en} — {agency.name_en}",
        notes_th=notes_th,
        notes_en=notes_en,
        license_id=spec.ckan.license_id,
        tags=tuple(spec.ckan.tags),
        catalog_fields={key: str(value) for key, value in catalog.items()},
        extras=extras,
    )


def _masked(spec: DatasetSpec) -> set[str]:
    return {rule.column for rule in spec.privacy.personal_data if rule.action == "mask"}


def published_key(spec: DatasetSpec) -> tuple[str, ...]:
    """The primary key the published table keeps: the contract's, unless the privacy policy
    masks one of its columns. Two persons' ids can mask to the same cell (``3-xxxx-xxxxx-xx-3``
    for two sole traders bidding on one project), so a masked key is no key once published: the
    gate checked it on the unmasked rows; the DataStore table and datapackage.json declare none
    (a keyed DataStore table would refuse the second row and leave the dataset half-loaded)."""
    key = tuple(spec.primary_key)
    return () if set(key) & _masked(spec) else key


def _as_published(spec: DatasetSpec) -> dict[str, Any]:
    """The contract's Table Schema as the published cells follow it: a column the privacy policy
    masks may hold masked cells (``3-xxxx-xxxxx-xx-9``), so its input pattern is left out, and
    so is a primary key holding such a column (:func:`published_key`)."""
    masked = _masked(spec)
    fields = [
        {**f, "constraints": {k: v for k, v in f["constraints"].items() if k != "pattern"}}
        if f["name"] in masked and "pattern" in f.get("constraints", {})
        else f
        for f in spec.schema.get("fields", [])
    ]
    schema = {**spec.schema, "fields": fields}
    if not published_key(spec):
        schema.pop("primaryKey", None)
    return schema


def build_request(
    spec: DatasetSpec,
    agency: Agency,
    clean_table: pa.Table,
    report: ReportPaths | None,
    extra_resources: Sequence[ResourceFile] = (),
    withheld: Sequence[WithheldResource] = (),
) -> PublishRequest:
    """The dataset (family x agency) as it should be published from ``clean_table``.

    ``extra_resources`` (e.g. the OCDS release package of a procurement partition) are
    published after the data and described in ``datapackage.json`` too. ``withheld`` derived
    resources are not published; the description says why and an earlier copy is removed.
    """
    data, years = csv_resources(spec, clean_table)
    metadata = dataset_metadata(spec, agency, years, withheld)
    descriptor = datapackage_resource(metadata, (*data, *extra_resources), _as_published(spec))
    return PublishRequest(
        organization=organization_spec(agency),
        dataset=metadata,
        resources=(*data, *extra_resources, descriptor, *report_resources(report)),
        withdrawn=tuple(item.name for item in withheld),
    )
