"""Typed dataset contracts: what ``datasets/<family>/dataset.yaml`` may say.

The YAML is the steward's language; these models are its grammar. Unknown keys are refused
(``extra="forbid"``) so a typo in a contract is an error, not a silently ignored setting.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from pipelines import thai
from pipelines.contracts.derived import DerivedField

Kind = Literal["file", "http", "ckan", "ocds", "sql"]
_S = TypeVar("_S", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(_Strict):
    th: str
    en: str


# --- sources ---------------------------------------------------------------------------------


# A dotted path to the list of records in a JSON document ("data.items"); "" is the top level.
RECORDS_PATH = r"^$|^[^.\s]+(\.[^.\s]+)*$"


class _JsonRecords(_Strict):
    """How a file or a download holding JSON is read: ``format: json`` (plain records: the list
    at the dotted path ``records``, the top level when absent), ``format: jsonl`` (one record
    per line) or ``format: ocds`` (its ``.json`` files are OCDS release packages or releases, as
    ``kind: ocds`` reads them; other files by their name). Without a format the file's name
    decides (``.csv``, ``.xlsx``) and a JSON file is refused: JSON is read as OCDS only when the
    contract says so."""

    format: Literal["json", "jsonl", "ocds"] | None = None
    records: str | None = Field(default=None, pattern=RECORDS_PATH)

    @model_validator(mode="after")
    def _records_only_for_json(self) -> _JsonRecords:
        if self.records is not None and self.format != "json":
            raise ValueError("records: only a `format: json` source has a records path")
        return self


class FileSource(_JsonRecords):
    """Files an agency drops in a folder; ``path`` is a glob relative to the repository root."""

    kind: Literal["file"] = "file"
    path: str
    sheet: str | None = None  # XLSX: the sheet to read (default: the first)


class _Remote(_Strict):
    """What every network source needs to stay safe: where it may go, how long, how much."""

    allowed_hosts: list[str] = Field(default_factory=list)  # empty: the URL's own host only
    timeout_s: float = 30.0
    max_bytes: int = 200 * 1024 * 1024


class HttpSource(_Remote, _JsonRecords):
    """One file served over HTTP(S), fetched conditionally (ETag / Last-Modified); a JSON
    feed of plain records says its ``format`` (and ``records`` path)."""

    kind: Literal["http"] = "http"
    url: str
    retries: int = 5
    sheet: str | None = None


class CkanSource(_Remote):
    """The resources of one dataset on another CKAN portal (``package_show``)."""

    kind: Literal["ckan"] = "ckan"
    url: str
    dataset: str
    formats: list[str] = Field(default_factory=lambda: ["CSV", "XLSX"])
    token_env: str | None = None  # name of an environment variable holding an API token


class OcdsSource(_Remote):
    """OCDS release packages or JSON lines of releases, from files (glob) or one URL."""

    kind: Literal["ocds"] = "ocds"
    path: str | None = None
    url: str | None = None


class SqlSource(_Strict):
    """A query against a database; the URL may come from an environment variable (secrets)."""

    kind: Literal["sql"] = "sql"
    url: str | None = None
    url_env: str | None = None
    query: str


AnySource = FileSource | HttpSource | CkanSource | OcdsSource | SqlSource
Source = Annotated[AnySource, Field(discriminator="kind")]


class Sources(_Strict):
    """A default template (``{agency}`` is replaced by the agency code) and per-agency overrides."""

    default: Source | None = None
    agencies: dict[str, Source] = Field(default_factory=dict)


# --- policy, privacy, normalization, CKAN ------------------------------------------------------


class Policy(_Strict):
    mode: Literal["block", "quarantine"] = "block"
    max_error_rate: float = Field(default=0.0, ge=0.0, le=1.0)


class PersonalDataRule(_Strict):
    column: str
    action: Literal["mask", "drop", "block"]
    # Only rows where every listed column equals the value (e.g. applicant_type: person).
    when: dict[str, str] = Field(default_factory=dict)
    # Every row but those where a listed column holds one of the values (fails safe: a blank
    # or unknown type is personal), e.g. applicant_type: [juristic, government].
    unless: dict[str, list[str]] = Field(default_factory=dict)


class Privacy(_Strict):
    # Codes and identifiers the agency assigns (project numbers, juristic tax ids), each with the
    # pattern its values follow (a regular expression matched against the whole cell, Thai
    # digits read as ASCII). A matching cell may be phone-shaped as a whole, but is still
    # checked for citizen IDs and e-mails; any other cell is scanned like every other column.
    public_columns: dict[str, str] = Field(default_factory=dict)
    personal_data: list[PersonalDataRule] = Field(default_factory=list)
    default_action: Literal["mask", "drop", "block"] = "block"

    @model_validator(mode="after")
    def _patterns_compile(self) -> Privacy:
        import pyarrow as pa
        import pyarrow.compute as pc

        for column, pattern in self.public_columns.items():
            try:  # the guard matches with RE2 (pyarrow): no look-arounds, no back-references
                pc.match_substring_regex(pa.array([""]), pattern)
            except pa.ArrowInvalid as error:
                raise ValueError(f"public_columns.{column}: bad pattern ({error})") from None
        return self


class NormalizeRules(_Strict):
    """How cells are read. Values outside the windows cannot be true: they are cast errors
    (named by row and field), never guessed or published."""

    buddhist_era_year_fields: list[str] = Field(default_factory=list)
    # Filled with the partition's agency code when a file has no such column.
    partition_field: str | None = None
    # field -> registry folder under datasets/ its names resolve through (normalize/resolve.py)
    resolve: dict[str, str] = Field(default_factory=dict)
    # "." (1,234.56 -- commas only as thousands groups) or "," (1.234,56). A cell written in
    # the other convention is a cast error, never re-scaled.
    decimal_separator: Literal[".", ","] = "."
    # Buddhist Era years a year field may hold (inclusive; default CE 1900..2100).
    buddhist_era_window: tuple[int, int] = thai.DEFAULT_BE_WINDOW
    # Dates a date field may hold, CE, inclusive (after Buddhist Era years are converted).
    date_window: tuple[dt.date, dt.date] = (dt.date(1900, 1, 1), dt.date(2100, 12, 31))

    @model_validator(mode="after")
    def _windows_in_order(self) -> NormalizeRules:
        for name in ("buddhist_era_window", "date_window"):
            low, high = getattr(self, name)
            if low > high:
                raise ValueError(f"{name}: {low} is after {high}")
        return self


class ThaiGdc(_Strict):
    """Government data catalog fields of data.go.th (ckanext-thai_gdc)."""

    data_type: str
    objective: str
    update_frequency_unit: str
    update_frequency_interval: str
    geo_coverage: str
    data_source: str
    data_format: str
    data_category: str
    accessible_condition: str
    data_language: str
    first_year_of_data: str
    last_year_of_data: str


# The update frequencies a contract may declare (``annually`` is ``yearly``); ``as_needed`` is
# for reference data, which no schedule pulls.
UpdateFrequency = Literal[
    "daily", "weekly", "monthly", "quarterly", "yearly", "annually", "as_needed"
]


class CkanMetadata(_Strict):
    license_id: str
    tags: list[str]
    update_frequency: UpdateFrequency
    thai_gdc: ThaiGdc


class Schedule(_Strict):
    """An explicit schedule (Asia/Bangkok); without one, ``ckan.update_frequency`` decides."""

    cron: str

    @model_validator(mode="after")
    def _cron_valid(self) -> Schedule:
        from dagster._utils.schedules import is_valid_cron_string  # dagster: only when used

        if not is_valid_cron_string(self.cron):
            raise ValueError(f"cron: {self.cron!r} is not a valid cron expression")
        return self


# What a period_field's value is: resources are split by it and labelled accordingly.
Period = Literal["fiscal_year", "calendar_year", "month", "none"]


class Aliases(_Strict):
    # canonical column -> header variants
    columns: dict[str, list[str]] = Field(default_factory=dict)
    # canonical column -> {code: [variants]}
    values: dict[str, dict[str, list[str]]] = Field(default_factory=dict)


# --- the contract --------------------------------------------------------------------------------

# Beside a derived file: the note saying why it is withheld (its presence wins over the file).
WITHHELD_SUFFIX = ".withheld.json"


class DerivedResource(_Strict):
    """A file another stage derives from the partition (e.g. the OCDS release package),
    published beside the data. ``path`` is relative to the data directory; ``{agency}`` is
    filled in. ``asset`` names the Dagster asset that writes it, so publishing waits for it.

    When the asset cannot produce the file for a normal reason (the OCDS schema is offline) it
    writes a *withheld note* at :meth:`withheld_path_for` instead (JSON: ``reason`` and
    ``reason_th``, see ``pipelines/integrity/partition.py``): the file is then not published,
    an earlier copy is removed from the dataset and its page says why."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,80}$")
    path: str
    asset: str
    format: str
    mimetype: str
    description: Bilingual

    def path_for(self, agency_code: str) -> str:
        return self.path.replace("{agency}", agency_code)

    def withheld_path_for(self, agency_code: str) -> str:
        return self.path_for(agency_code) + WITHHELD_SUFFIX


class DatasetSpec(_Strict):
    """One dataset family's contract, with its Table Schema loaded beside it."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    title: Bilingual
    description: Bilingual
    schema_path: str = Field(alias="schema")
    partitioned: bool = True
    # Default: fiscal_year when period_field is set, none otherwise (see _period_default).
    period: Period = "none"
    period_field: str | None = None
    schedule: Schedule | None = None
    expectations: str
    policy: Policy = Policy()
    privacy: Privacy = Privacy()
    normalize: NormalizeRules = NormalizeRules()
    ckan: CkanMetadata
    aliases: Aliases = Aliases()
    sources: Sources = Sources()
    derived_resources: list[DerivedResource] = Field(default_factory=list)
    derived: dict[str, DerivedField] = Field(default_factory=dict)  # derived fields (engineer A)

    _table_schema: dict[str, Any] = PrivateAttr(default_factory=dict)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _period_default(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("period") is None:
            return {**data, "period": "fiscal_year" if data.get("period_field") else "none"}
        return data

    @model_validator(mode="after")
    def _period_needs_field(self) -> DatasetSpec:
        if self.period != "none" and self.period_field is None:
            raise ValueError(f"period: {self.period!r} needs a period_field to read it from")
        if self.period == "none" and self.period_field is not None:
            raise ValueError(f"period: 'none' but period_field is {self.period_field!r}")
        return self

    @property
    def schema(self) -> dict[str, Any]:  # type: ignore[override]
        """The Frictionless Table Schema descriptor (``schema.json``)."""
        return self._table_schema

    @property
    def fields(self) -> list[dict[str, Any]]:
        return list(self._table_schema.get("fields", []))

    @property
    def field_names(self) -> list[str]:
        return [field["name"] for field in self.fields]

    @property
    def primary_key(self) -> list[str]:
        key = self._table_schema.get("primaryKey", [])
        return [key] if isinstance(key, str) else list(key)

    @property
    def expectations_suite(self) -> str:
        return self.expectations

    def field(self, name: str) -> dict[str, Any]:
        for field in self.fields:
            if field["name"] == name:
                return field
        raise KeyError(f"{self.name}: no field {name!r}")

    def source_for(self, agency_code: str) -> AnySource:
        """The agency's source: its override, else the default template filled in."""
        source = self.sources.agencies.get(agency_code, self.sources.default)
        if source is None:
            raise LookupError(f"{self.name}: no source for agency {agency_code!r} and no default")
        return _fill_template(source, agency_code)


def _fill_template(source: _S, agency_code: str) -> _S:
    values = {
        key: value.replace("{agency}", agency_code) if isinstance(value, str) else value
        for key, value in source.model_dump().items()
    }
    return type(source).model_validate(values)


class Agency(_Strict):
    """One row of the agency registry."""

    agency_code: str = Field(pattern=r"^[a-z][a-z0-9-]{1,30}$")
    name_th: str
    name_en: str
    ministry_th: str
    ministry_en: str
    kind: Literal[
        "department",
        "state_enterprise",
        "local_government",
        "public_organization",
        "independent_organ",
    ]
    website: str | None = None
    aliases: str | None = None  # other names and abbreviations, separated by "|"
