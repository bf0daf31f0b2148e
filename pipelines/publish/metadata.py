"""The CKAN dictionaries the publisher sends, and the fingerprints that detect change.

Our datasets carry two free extras: ``ogp_publisher`` (the marker that says this pipeline owns
the dataset, so a disappeared source can be flagged) and ``ogp_metadata_hash``. Resources carry
``content_hash`` (sha256 of the uploaded bytes), ``metadata_hash`` (name, format, description)
and ``datastore_hash`` (set only after the DataStore table is completely loaded, so a crash
during loading is repaired by the next run).
"""

from __future__ import annotations

import json
import re
from typing import Any

from pipelines.publish.model import (
    DatasetMetadata,
    DatastoreTable,
    DictionaryField,
    OrganizationSpec,
    ResourceFile,
    sha256_hex,
)
from pipelines.schema_types import UnsupportedTypeError, datastore_type

PUBLISHER_MARKER_KEY = "ogp_publisher"
PUBLISHER_MARKER = "ogp-pipeline"
FAMILY_KEY = "ogp_family"
METADATA_HASH_KEY = "ogp_metadata_hash"
CONTENT_HASH_KEY = "content_hash"
RESOURCE_METADATA_HASH_KEY = "metadata_hash"
DATASTORE_HASH_KEY = "datastore_hash"


# CKAN core's tag rule (ckan.logic.validators.tag_name_validator): word characters, space, - _ .
# Thai vowel and tone marks are not word characters to Python, so most Thai tags are refused
# by a stock CKAN; those are published in the ``keywords`` extra instead of being lost.
_CORE_TAG = re.compile(r"^[\w \-.]{2,100}$")
KEYWORDS_KEY = "keywords"


def split_tags(tags: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(tags a stock CKAN accepts, the others)."""
    accepted = [tag for tag in tags if _CORE_TAG.match(tag)]
    return accepted, [tag for tag in tags if not _CORE_TAG.match(tag)]


def fingerprint(value: Any) -> str:
    """sha256 of a JSON value in canonical form (sorted keys, no spaces, exact Unicode)."""
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return sha256_hex(canonical.encode("utf-8"))


def _extras(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in sorted(values.items())]


def extras_dict(entity: dict[str, Any]) -> dict[str, str]:
    """A CKAN entity's free extras as a mapping."""
    return {extra["key"]: extra["value"] for extra in entity.get("extras") or []}


# --- organizations ------------------------------------------------------------------------------


def organization_fields(org: OrganizationSpec) -> dict[str, Any]:
    extras = {"title_en": org.title_en, **org.extras}
    return {
        "name": org.name,
        "title": org.title_th,
        "description": org.description,
        "extras": _extras({**extras, PUBLISHER_MARKER_KEY: PUBLISHER_MARKER}),
    }


def organization_dict(org: OrganizationSpec) -> dict[str, Any]:
    """``organization_create`` / ``organization_patch`` data, fingerprint included."""
    fields = organization_fields(org)
    fields["extras"].append({"key": METADATA_HASH_KEY, "value": fingerprint(fields)})
    return fields


# --- datasets -----------------------------------------------------------------------------------


def dataset_fields(dataset: DatasetMetadata) -> dict[str, Any]:
    """The dataset's metadata as CKAN fields (scheming fields at top level, extras as a list)."""
    extras = {**dataset.extras, PUBLISHER_MARKER_KEY: PUBLISHER_MARKER, FAMILY_KEY: dataset.family}
    tags, keywords = split_tags(dataset.tags)
    if keywords:
        extras[KEYWORDS_KEY] = ", ".join(keywords)
    return {
        "name": dataset.name,
        "owner_org": dataset.owner_org,
        "title": dataset.title_th,
        "title_en": dataset.title_en,
        "notes": dataset.notes_th,
        "notes_en": dataset.notes_en,
        "license_id": dataset.license_id,
        "tags": [{"name": tag} for tag in tags],
        "private": False,
        **dict(sorted(dataset.catalog_fields.items())),
        "extras": _extras(extras),
    }


def dataset_dict(dataset: DatasetMetadata) -> dict[str, Any]:
    """``package_create`` / ``package_patch`` data (no resources), fingerprint included."""
    fields = dataset_fields(dataset)
    fields["extras"].append({"key": METADATA_HASH_KEY, "value": fingerprint(fields)})
    return fields


# --- resources ----------------------------------------------------------------------------------


def resource_fields(resource: ResourceFile) -> dict[str, str]:
    fields = {
        "name": resource.name,
        "format": resource.format,
        "mimetype": resource.mimetype,
        "description": resource.description,
    }
    if resource.period is not None:
        fields["period"] = resource.period
    return fields


def resource_metadata_hash(resource: ResourceFile) -> str:
    return fingerprint(resource_fields(resource))


def dictionary_label(field: DictionaryField) -> str:
    """The bilingual column label shown by the data dictionary and the preview."""
    if field.title_th and field.title_en and field.title_th != field.title_en:
        return f"{field.title_th} / {field.title_en}"
    return field.title_th or field.title_en or field.name


def datastore_fields(table: DatastoreTable) -> list[dict[str, Any]]:
    """``datastore_create`` fields: PostgreSQL types from the Table Schema plus the dictionary."""
    fields = []
    for column in table.fields:
        try:
            pg_type = datastore_type(column.type)
        except UnsupportedTypeError as error:
            raise ValueError(f"column {column.name!r}: no DataStore type: {error}") from error
        info = {
            "label": dictionary_label(column),
            "notes": column.description,
            "type_override": pg_type,
        }
        fields.append({"id": column.name, "type": pg_type, "info": info})
    return fields


def datastore_hash(resource: ResourceFile) -> str:
    """What the DataStore table is made of: the published data and its dictionary."""
    if resource.datastore is None:
        return ""
    return fingerprint(
        {
            "content": resource.content_hash,
            "fields": datastore_fields(resource.datastore),
            "primary_key": list(resource.datastore.primary_key),
        }
    )


def resource_dict(resource: ResourceFile) -> dict[str, str]:
    """``resource_create`` / ``resource_patch`` data for a resource whose bytes were uploaded."""
    return {
        **resource_fields(resource),
        CONTENT_HASH_KEY: resource.content_hash,
        RESOURCE_METADATA_HASH_KEY: resource_metadata_hash(resource),
    }
