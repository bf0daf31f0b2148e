"""``datapackage.json``: a Frictionless Data Package descriptor of a dataset's published files.

The request builds it with relative paths (the resource names, as in a downloaded folder), before
the portal's resource ids are known. What is uploaded references each resource by its portal URL
(:func:`with_portal_paths`), the download URL CKAN gives the resource: the descriptor is fetched
from ``.../resource/<id>/download/datapackage.json``, where a relative path resolves to nothing.
Resources are replaced in place (same id), so those URLs, and with them the descriptor's bytes and
hash, stay the same from run to run while nothing changed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from pipelines.publish.model import DatasetMetadata, PublishRequest, ResourceFile

DATAPACKAGE_NAME = "datapackage.json"
PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"


def _descriptor_name(resource: ResourceFile) -> str:
    return resource.name.rsplit(".", 1)[0].lower()


def published_schema(table_schema: dict[str, Any], resource_names: set[str]) -> dict[str, Any]:
    """The Table Schema without foreign keys to resources that are not in this package (the
    agency registry is published on its own), so the descriptor validates as it stands."""
    keys = [
        key
        for key in table_schema.get("foreignKeys", [])
        if key.get("reference", {}).get("resource", "") in resource_names | {""}
    ]
    schema = {name: value for name, value in table_schema.items() if name != "foreignKeys"}
    return {**schema, "foreignKeys": keys} if keys else schema


def _resource_descriptor(resource: ResourceFile, schema: dict[str, Any] | None) -> dict[str, Any]:
    descriptor: dict[str, Any] = {
        "name": _descriptor_name(resource),
        "path": resource.name,
        "format": resource.format.lower(),
        "mediatype": resource.mimetype,
        "encoding": "utf-8",
        "bytes": resource.size,
        "hash": f"sha256:{resource.content_hash}",
    }
    if resource.description:
        descriptor["description"] = resource.description
    if resource.datastore is not None and schema is not None:
        descriptor["type"] = "table"
        descriptor["schema"] = schema
    return descriptor


def datapackage_descriptor(
    dataset: DatasetMetadata,
    resources: Sequence[ResourceFile],
    table_schema: dict[str, Any] | None,
    license_path: str | None = None,
) -> dict[str, Any]:
    """The descriptor (a dict) for ``resources`` of ``dataset``."""
    license_entry: dict[str, str] = {"name": dataset.license_id}
    if license_path:
        license_entry["path"] = license_path
    names = {_descriptor_name(resource) for resource in resources}
    schema = published_schema(table_schema, names) if table_schema is not None else None
    return {
        "$schema": PROFILE,
        "name": dataset.name,
        "title": f"{dataset.title_th} / {dataset.title_en}",
        "description": f"{dataset.notes_th}\n\n{dataset.notes_en}",
        "keywords": list(dataset.tags),
        "licenses": [license_entry],
        "resources": [_resource_descriptor(resource, schema) for resource in resources],
    }


def _encode(descriptor: dict[str, Any]) -> bytes:
    return json.dumps(descriptor, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


def is_descriptor(resource: ResourceFile) -> bool:
    return resource.name == DATAPACKAGE_NAME


def described_names(descriptor: ResourceFile) -> list[str]:
    """The file names the descriptor (as built, relative paths) describes, in its order."""
    return [str(entry["path"]) for entry in json.loads(descriptor.content)["resources"]]


class MissingPortalURLError(KeyError):
    """A described resource has no portal URL yet (it is created later in the run)."""


def with_portal_paths(descriptor: ResourceFile, urls: Mapping[str, str]) -> ResourceFile:
    """The descriptor (as built, relative paths) with each path replaced by the portal URL of the
    resource of that name; everything else, key order and encoding included, stays as built."""
    document = json.loads(descriptor.content)
    for entry in document["resources"]:
        url = urls.get(entry["path"])
        if not url:
            raise MissingPortalURLError(entry["path"])
        entry["path"] = url
    return replace(descriptor, content=_encode(document))


def datapackage_resource(
    dataset: DatasetMetadata,
    resources: Sequence[ResourceFile],
    table_schema: dict[str, Any] | None,
) -> ResourceFile:
    """The descriptor as a JSON file (UTF-8, Thai unescaped, stable key order) with relative
    paths; the publisher uploads it :func:`with_portal_paths`."""
    descriptor = datapackage_descriptor(dataset, resources, table_schema)
    return ResourceFile(
        name=DATAPACKAGE_NAME,
        content=_encode(descriptor),
        format="JSON",
        mimetype="application/json",
        description="คำอธิบายชุดข้อมูลตามมาตรฐาน Frictionless Data Package / "
        "Frictionless Data Package descriptor of the files in this dataset",
    )


def as_published(request: PublishRequest, urls: Mapping[str, str]) -> PublishRequest:
    """``request`` as the portal holds it once published: the descriptor's paths are ``urls``
    (the portal URL of each resource, by name, e.g. from :func:`resource_urls`)."""
    resources = tuple(
        with_portal_paths(resource, urls) if is_descriptor(resource) else resource
        for resource in request.resources
    )
    return replace(request, resources=resources)


def resource_urls(package: Mapping[str, Any]) -> dict[str, str]:
    """A CKAN dataset's resource URLs by name (the first resource of a name, as the plan keeps)."""
    urls: dict[str, str] = {}
    for resource in package.get("resources") or []:
        if resource.get("url"):
            urls.setdefault(resource["name"], resource["url"])
    return urls
