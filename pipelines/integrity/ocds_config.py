"""The OCDS mapping as data: ``datasets/procurement/ocds.yaml`` loaded into a typed model."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from pipelines.settings import get_settings
from pipelines.yaml_text import load_yaml

OcdsMethod = Literal["open", "selective", "limited", "direct"]
TenderStatus = Literal[
    "planning", "planned", "active", "cancelled", "unsuccessful", "complete", "withdrawn"
]
ReleaseTag = Literal[
    "planning",
    "planningUpdate",
    "tender",
    "tenderAmendment",
    "tenderUpdate",
    "tenderCancellation",
    "award",
    "awardUpdate",
    "awardCancellation",
    "contract",
    "contractUpdate",
    "contractAmendment",
    "implementation",
    "implementationUpdate",
    "contractTermination",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MethodMapping(_Frozen):
    procurement_method: OcdsMethod
    details: str


class StatusMapping(_Frozen):
    tender_status: TenderStatus
    tags: tuple[ReleaseTag, ...]


class YearRange(_Frozen):
    min: int
    max: int


class BidsTable(_Frozen):
    """The bids table the export reads beside the procurement table (the same agency's)."""

    family: str  # its dataset family (the gate's publishable table of that family)
    key: str  # its column holding the procurement row's project_id
    bidder: str  # its column holding the bidder's tax id (the winner's: winner_tax_id)


class ExtensionRef(_Frozen):
    """An OCDS extension the packages declare: its extension.json URL (what the package lists)
    and the vendored copy validation merges in (a folder relative to ocds.yaml's)."""

    url: str
    path: str


class OcdsConfig(_Frozen):
    version: Literal["1.1"]
    ocid_prefix: str
    currency: str
    language: str
    utc_offset: str
    plausible_years: YearRange
    # Package metadata, each a template of {ckan_url}, {agency_code}, {dataset} (its CKAN name),
    # {resource} (package_resource) and {resource_id} (the stable id it is created under).
    package_resource: str
    package_uri: str
    publisher_uri: str
    license: str
    publication_policy: str
    supplier_scheme: str
    extensions: tuple[ExtensionRef, ...] = ()
    methods: dict[str, MethodMapping]
    statuses: dict[str, StatusMapping]
    bids: BidsTable | None = None  # None: no bids table declared, no bids section

    @model_validator(mode="after")
    def _details_are_unique(self) -> OcdsConfig:
        # An importer maps procurementMethodDetails back to the Thai method.
        details = [m.details for m in self.methods.values()]
        if len(set(details)) != len(details):
            raise ValueError("ocds.yaml: methods[*].details must be unique")
        return self

    def method_for_details(self, details: str) -> str | None:
        """The canonical Thai method whose ``details`` text this is, if any."""
        return next((k for k, m in self.methods.items() if m.details == details), None)


def default_config_path() -> Path:
    return get_settings().datasets_dir / "procurement" / "ocds.yaml"


def load_ocds_config(path: Path | None = None) -> OcdsConfig:
    """Read the mapping; a bad file raises naming the file and the field."""
    path = path or default_config_path()
    with path.open(encoding="utf-8") as handle:
        raw = load_yaml(handle)
    try:
        return OcdsConfig.model_validate(raw)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from error


def ocid_prefix(config: OcdsConfig) -> str:
    """The setting ``OGP_OCID_PREFIX`` when set, else the prefix in ocds.yaml."""
    settings = get_settings()
    if "ocid_prefix" in settings.model_fields_set:
        return settings.ocid_prefix
    return config.ocid_prefix


def ocid_for(project_id: str, prefix: str | None = None) -> str:
    """The contracting process's ocid: ``<prefix>-<project_id>``.

    ``project_id`` is the e-GP project number, unique nationally (the cross-agency check in
    :mod:`pipelines.integrity.process_ids` refuses one under two agencies). ``prefix`` defaults
    to :func:`ocid_prefix` of ocds.yaml (the setting ``OGP_OCID_PREFIX`` when set).
    """
    if not project_id:
        raise ValueError("an ocid needs a project_id")
    return f"{prefix or ocid_prefix(load_ocds_config())}-{project_id}"
