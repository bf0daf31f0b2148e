"""What the publisher is asked to put on the portal: the intended catalog, as plain data.

The publisher knows nothing about dataset contracts or files on disk; :mod:`.request` builds
these objects from them. Everything here is immutable, and every resource carries the exact
bytes that will be uploaded, so the content hash is the hash of what the public downloads.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import pyarrow as pa


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class OrganizationSpec:
    """A publishing agency: one CKAN organization named by its agency code."""

    name: str
    title_th: str
    title_en: str
    description: str = ""
    extras: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DictionaryField:
    """One column of a DataStore table, described for the data dictionary."""

    name: str
    type: str  # Frictionless Table Schema type: string, integer, number, date, boolean, ...
    title_en: str
    title_th: str
    description: str = ""


@dataclass(frozen=True)
class DatastoreTable:
    """The exact values behind a tabular resource (the CSV's cells may be neutralised)."""

    fields: tuple[DictionaryField, ...]
    table: pa.Table
    primary_key: tuple[str, ...] = ()

    @property
    def num_rows(self) -> int:
        return self.table.num_rows


@dataclass(frozen=True)
class ResourceFile:
    """One file of a dataset; ``name`` is unique within the dataset and never changes."""

    name: str
    content: bytes
    format: str
    mimetype: str
    description: str = ""
    period: str | None = None  # e.g. "fy2024" for a per-fiscal-year resource
    datastore: DatastoreTable | None = None
    # Created under stable_resource_id(dataset, name): the file can cite its own portal URL
    # before it is published (the OCDS package's uri).
    stable_id: bool = False

    @cached_property
    def content_hash(self) -> str:
        return sha256_hex(self.content)

    @property
    def size(self) -> int:
        return len(self.content)


def stable_resource_id(dataset: str, resource: str) -> str:
    """The id a ``stable_id`` resource is created under: the same for a dataset and name."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ogp-pipeline:{dataset}/{resource}"))


@dataclass(frozen=True)
class DatasetMetadata:
    """A dataset's descriptive metadata: CKAN core fields plus the DGA catalog fields."""

    name: str
    owner_org: str
    family: str
    title_th: str
    title_en: str
    notes_th: str
    notes_en: str
    license_id: str
    tags: tuple[str, ...] = ()
    # DGA government data catalog fields (ckanext-thai_gdc names), e.g. data_type, objective.
    catalog_fields: Mapping[str, str] = field(default_factory=dict)
    # Free extras shown on the dataset page and read by ckanext-dcat (temporal_start, ...).
    extras: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PublishRequest:
    """One dataset (family x agency) as it should be on the portal after this run."""

    organization: OrganizationSpec
    dataset: DatasetMetadata
    resources: tuple[ResourceFile, ...]
    # Resource names withheld this run (e.g. the OCDS package without its schema): an earlier
    # copy on the portal no longer describes the data and is removed.
    withdrawn: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        names = [resource.name for resource in self.resources]
        duplicated = sorted({name for name in names if names.count(name) > 1})
        if duplicated:
            raise ValueError(f"dataset {self.dataset.name}: duplicate resource names {duplicated}")
        if self.dataset.owner_org != self.organization.name:
            raise ValueError(
                f"dataset {self.dataset.name}: owner_org {self.dataset.owner_org!r} is not "
                f"organization {self.organization.name!r}"
            )
