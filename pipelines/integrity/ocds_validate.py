"""Validating OCDS release packages: the official schema with the declared extensions merged in,
compiled by jsonschema-rs (Draft 4, formats checked), the package's ``releases`` uniqueItems in
linear time.

Extensions: each one ocds.yaml lists (``extensions``: the extension.json URL the package declares
and a vendored copy under ``datasets/procurement/``) has its ``release-schema.json`` merged into
the release schema as a JSON Merge Patch (RFC 7386), with the ``json_merge_patch`` package, as
OCDS tools (ocdsextensionregistry, hence libcoveocds) build an extended schema. Nothing is fetched:
a missing or broken copy is an :class:`~pipelines.integrity.ocds_schema.OcdsSchemaError` naming
the file.

Speed: the pure-Python ``jsonschema`` checked about 700 releases/s; the compiled validator is a
few hundred times faster (bench/ocds_validate.py, bench/RESULTS.md). ``jsonschema`` stays as the
reference: :func:`reference_validator` builds it on the same schema, and a differential test
(tests/integrity/test_ocds_schema_differential.py) checks that both report the same errors (path
and keyword) on valid and deliberately invalid packages. One difference is known and outside
what the export writes: a leap second (``23:59:60``) is a valid RFC 3339 date-time to jsonschema-rs
and not to rfc3339-validator.

``releases`` is ``uniqueItems`` in the package schema; validators compare every pair of releases,
O(n²). The keyword is taken out of the compiled schema and checked here by hashing each release's
canonical JSON: the same verdict in linear time.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import json_merge_patch
import jsonschema_rs
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from pipelines.integrity.ocds_config import (
    ExtensionRef,
    OcdsConfig,
    default_config_path,
    load_ocds_config,
)
from pipelines.integrity.ocds_schema import (
    MESSAGE_LIMIT,
    OcdsSchemaError,
    OcdsSchemas,
    ValidationIssue,
    load_schemas,
)

EXTENSION_FILE = "extension.json"
EXTENSION_PATCH = "release-schema.json"
# A date the compiled validator must refuse: proves formats are checked before any package is.
_NOT_A_DATE_TIME = "2024-02-30T00:00:00+07:00"


def extension_patches(
    extensions: Iterable[ExtensionRef], base: Path | None = None
) -> list[dict[str, Any]]:
    """The release-schema patch of each extension, read from its vendored copy (``path``
    relative to ``base``, default the folder of ocds.yaml)."""
    base = base or default_config_path().parent
    patches = []
    for extension in extensions:
        folder = base / extension.path
        try:
            json.loads((folder / EXTENSION_FILE).read_text(encoding="utf-8"))
            patch = json.loads((folder / EXTENSION_PATCH).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise OcdsSchemaError(
                f"the OCDS extension {extension.url} has no usable copy in {folder} "
                f"({EXTENSION_FILE} and {EXTENSION_PATCH}): {error}"
            ) from error
        if not isinstance(patch, dict):
            raise OcdsSchemaError(f"{folder / EXTENSION_PATCH} is not a JSON object")
        patches.append(patch)
    return patches


def extended_release_schema(
    release: Mapping[str, Any], patches: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """The release schema with each patch merged in (RFC 7386), its ``id`` kept."""
    schema = copy.deepcopy(dict(release))
    for patch in patches:
        schema = json_merge_patch.merge(schema, copy.deepcopy(dict(patch)))
    schema["id"] = release["id"]
    return schema


def _schemas_and_release(
    schemas: OcdsSchemas | None, config: OcdsConfig | None, base: Path | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(package schema without the pairwise uniqueItems, extended release schema)."""
    schemas = schemas or load_schemas()
    config = config or load_ocds_config()
    release = extended_release_schema(schemas.release, extension_patches(config.extensions, base))
    package = copy.deepcopy(schemas.package)
    package["properties"]["releases"].pop("uniqueItems", None)
    return package, release


def package_validator(
    schemas: OcdsSchemas | None = None,
    *,
    config: OcdsConfig | None = None,
    base: Path | None = None,
) -> jsonschema_rs.Validator:
    """The compiled Draft 4 validator for release packages: the release schema (extended with
    ocds.yaml's extensions) registered under its id, formats checked, no network."""
    package, release = _schemas_and_release(schemas, config, base)
    registry = jsonschema_rs.Registry([(release["id"], release)], draft=jsonschema_rs.Draft4)
    validator = jsonschema_rs.Draft4Validator(
        package, validate_formats=True, registry=registry, offline=True
    )
    _require_date_time_checks(validator, release["id"])
    return validator


def reference_validator(
    schemas: OcdsSchemas | None = None,
    *,
    config: OcdsConfig | None = None,
    base: Path | None = None,
) -> Draft4Validator:
    """The same schema under the pure-Python ``jsonschema`` (the differential test's and the
    bench's reference); refused when it cannot check date-time formats."""
    package, release = _schemas_and_release(schemas, config, base)
    checker = Draft4Validator.FORMAT_CHECKER
    if "date-time" not in checker.checkers:
        # jsonschema checks date-time only when rfc3339-validator is importable; otherwise every
        # string passes in silence, and OCDS dates are exactly what this validation is for.
        raise OcdsSchemaError(
            "jsonschema cannot check date-time formats: install rfc3339-validator"
        )
    resource = Resource.from_contents(release, default_specification=DRAFT4)
    registry: Registry[Any] = Registry().with_resource(release["id"], resource)
    return Draft4Validator(package, registry=registry, format_checker=checker)


def _require_date_time_checks(validator: jsonschema_rs.Validator, release_id: str) -> None:
    probe = {"publishedDate": _NOT_A_DATE_TIME}
    errors = validator.iter_errors(probe)
    if not any(e.kind.name == "format" and e.instance_path == ["publishedDate"] for e in errors):
        raise OcdsSchemaError(
            f"the compiled validator does not check date-time formats (schema {release_id})"
        )


def validate_package(
    package: Mapping[str, Any], validator: jsonschema_rs.Validator | None = None
) -> list[ValidationIssue]:
    """Every schema violation in ``package``, sorted by path and keyword; empty when valid."""
    validator = validator or package_validator()
    issues = [
        ValidationIssue(
            path=_path(error.instance_path),
            message=error.message[:MESSAGE_LIMIT],
            validator=error.kind.name,
        )
        for error in validator.iter_errors(package)
    ]
    return _sorted([*issues, *duplicate_releases(package)])


def reference_issues(
    package: Mapping[str, Any], validator: Draft4Validator
) -> list[ValidationIssue]:
    """:func:`validate_package`'s answer from the pure-Python reference validator."""
    issues = [
        ValidationIssue(
            path=_path(error.absolute_path),
            message=error.message[:MESSAGE_LIMIT],
            validator=str(error.validator),
        )
        for error in validator.iter_errors(package)
    ]
    return _sorted([*issues, *duplicate_releases(package)])


def _path(parts: Iterable[str | int]) -> str:
    return "/".join(str(part) for part in parts)


def _sorted(issues: list[ValidationIssue]) -> list[ValidationIssue]:
    return sorted(issues, key=lambda issue: (issue.path, issue.validator, issue.message))


def _numbers(value: Any) -> Any:
    """``value`` with each whole float as an int: JSON Schema compares numbers by value
    (900000 equals 900000.0 for uniqueItems); a boolean stays a boolean (never 1)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_numbers(item) for item in value]
    return value


def duplicate_releases(package: Mapping[str, Any]) -> list[ValidationIssue]:
    """The package schema's ``releases`` uniqueItems, in linear time: releases are grouped by
    (ocid, id), which equal releases share, and only a group of several is compared by its
    members' canonical JSON (serialising every release cost more than the compiled schema)."""
    releases = package.get("releases")
    if not isinstance(releases, list):
        return []
    groups: dict[str, list[int]] = {}
    for index, release in enumerate(releases):
        groups.setdefault(_identity(release), []).append(index)
    issues = []
    for members in groups.values():
        if len(members) < 2:
            continue
        first_seen: dict[str, int] = {}
        for index in members:
            canonical = json.dumps(_numbers(releases[index]), sort_keys=True, ensure_ascii=False)
            if canonical in first_seen:
                issues.append(
                    ValidationIssue(
                        path=f"releases/{index}",
                        message=f"duplicate of releases/{first_seen[canonical]} "
                        "(items must be unique)",
                        validator="uniqueItems",
                    )
                )
            else:
                first_seen[canonical] = index
    return issues


def _identity(release: Any) -> str:
    """A key equal releases share: (ocid, id) of a release object, else the whole item."""
    if isinstance(release, dict):
        return repr((_plain(release.get("ocid")), _plain(release.get("id"))))
    return json.dumps(release, sort_keys=True, ensure_ascii=False)


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)
