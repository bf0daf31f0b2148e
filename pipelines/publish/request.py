"""From a dataset contract, an agency and its publishable table to a :class:`PublishRequest`.

Resources, in this order: one UTF-8 CSV per fiscal year (``<family>-fy2024.csv``, or
``<family>.csv`` for a family without a period field), ``datapackage.json``, and the validation
report as JSON and HTML. Temporal coverage (first/last year of data, ``temporal_start`` /
``temporal_end``) is read from the data, not from the contract.
"""

from __future__ import annotations

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

BUDDHIST_ERA_OFFSET = 543
FISCAL_YEAR_FIRST_MONTH = 10  # the Thai fiscal year starts on 1 October of the previous year


@dataclass(frozen=True)
class ReportPaths:
    json: Path
    html: Path | None = None


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
    column = table.column(period_field).combine_chunks()
    if pa.types.is_integer(column.type):
        return column
    if pa.types.is_date(column.type) or pa.types.is_timestamp(column.type):
        years = pc.year(column)
        later = pc.greater_equal(pc.month(column), FISCAL_YEAR_FIRST_MONTH)
        return pc.add(years, pc.cast(later, pa.int64()))
    raise TypeError(f"period field {period_field!r} is {column.type}, not a year or a date")


def fiscal_year_span(years: Sequence[int]) -> tuple[str, str]:
    """(first day, last day) of the fiscal years covered, ISO dates."""
    return f"{min(years) - 1}-10-01", f"{max(years)}-09-30"


# --- resources ----------------------------------------------------------------------------------


def _csv_resource(
    spec: DatasetSpec, table: pa.Table, fields: tuple[DictionaryField, ...], year: int | None
) -> ResourceFile:
    if year is None:
        name, period, when = f"{spec.name}.csv", None, ""
    else:
        name, period = f"{spec.name}-fy{year}.csv", f"fy{year}"
        when = f" ปีงบประมาณ พ.ศ. {year + BUDDHIST_ERA_OFFSET} / fiscal year {year}"
    description = f"{spec.title.th} — {spec.title.en}{when} ({table.num_rows:,} rows)"
    return ResourceFile(
        name=name,
        content=to_safe_csv(table),
        format="CSV",
        mimetype="text/csv",
        description=description,
        period=period,
        datastore=DatastoreTable(fields, table, tuple(spec.primary_key)),
    )


def csv_resources(spec: DatasetSpec, table: pa.Table) -> tuple[tuple[ResourceFile, ...], list[int]]:
    """The CSV resources (per fiscal year when the family has a period) and the years covered."""
    fields = dictionary_fields(spec)
    if spec.period_field is None:
        return (_csv_resource(spec, table, fields, None),), []
    years_of_rows = fiscal_years(table, spec.period_field)
    years = sorted(year for year in pc.unique(years_of_rows).to_pylist() if year is not None)
    resources = tuple(
        _csv_resource(spec, table.filter(pc.equal(years_of_rows, year)), fields, year)
        for year in years
    )
    return resources, years


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
    """The contract's derived files (OCDS, red flags) that exist for this agency."""
    files = []
    for derived in spec.derived_resources:
        path = data_dir / derived.path_for(agency_code)
        if path.is_file():
            files.append(
                ResourceFile(
                    name=derived.name,
                    content=path.read_bytes(),
                    format=derived.format,
                    mimetype=derived.mimetype,
                    description=f"{derived.description.th} / {derived.description.en}",
                )
            )
    return tuple(files)


# --- the request --------------------------------------------------------------------------------


def dataset_metadata(spec: DatasetSpec, agency: Agency, years: list[int]) -> DatasetMetadata:
    catalog: dict[str, Any] = spec.ckan.thai_gdc.model_dump()
    extras = {"frequency": spec.ckan.update_frequency}
    if years:
        catalog["first_year_of_data"] = str(min(years) + BUDDHIST_ERA_OFFSET)
        catalog["last_year_of_data"] = str(max(years) + BUDDHIST_ERA_OFFSET)
        extras["temporal_start"], extras["temporal_end"] = fiscal_year_span(years)
    return DatasetMetadata(
        name=dataset_name(spec.name, agency.agency_code),
        owner_org=agency.agency_code,
        family=spec.name,
        title_th=f"{spec.title.th} — {agency.name_th}",
        title_en=f"{spec.title.en} — {agency.name_en}",
        notes_th=spec.description.th,
        notes_en=spec.description.en,
        license_id=spec.ckan.license_id,
        tags=tuple(spec.ckan.tags),
        catalog_fields={key: str(value) for key, value in catalog.items()},
        extras=extras,
    )


def build_request(
    spec: DatasetSpec,
    agency: Agency,
    clean_table: pa.Table,
    report: ReportPaths | None,
    extra_resources: Sequence[ResourceFile] = (),
) -> PublishRequest:
    """The dataset (family x agency) as it should be published from ``clean_table``.

    ``extra_resources`` (e.g. the OCDS release package of a procurement partition) are
    published after the data and described in ``datapackage.json`` too.
    """
    data, years = csv_resources(spec, clean_table)
    metadata = dataset_metadata(spec, agency, years)
    descriptor = datapackage_resource(metadata, (*data, *extra_resources), spec.schema)
    return PublishRequest(
        organization=organization_spec(agency),
        dataset=metadata,
        resources=(*data, *extra_resources, descriptor, *report_resources(report)),
    )
