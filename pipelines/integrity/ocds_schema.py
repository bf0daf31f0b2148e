"""The official OCDS 1.1.5 schemas and a Draft 4 validator for release packages.

No Python package ships the schema. A local copy named by the setting ``ocds_schema_dir``
(``OGP_OCDS_SCHEMA_DIR``) wins; otherwise the schemas are downloaded once from
``ocds_schema_url`` into ``<data_dir>/cache/ocds/<version>/``. The package schema refers to
the release schema by its absolute URL, so both are registered with :mod:`referencing`.
A format checker is on: without it jsonschema silently accepts any string as a date-time.

One keyword is checked outside jsonschema: the package's ``releases`` are ``uniqueItems``, which
jsonschema tests by comparing every pair of releases, O(n²) — days for a 100,000-project
agency. :func:`validate_package` makes the same check in linear time by hashing each release's
canonical JSON.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from pipelines.files import replace_atomically
from pipelines.settings import Settings, get_settings

RELEASE_SCHEMA = "release-schema.json"
PACKAGE_SCHEMA = "release-package-schema.json"
SCHEMA_FILES = (RELEASE_SCHEMA, PACKAGE_SCHEMA)
# Error messages embed the failing value; keep them short in logs and Dagster metadata.
MESSAGE_LIMIT = 300


class OcdsSchemaError(RuntimeError):
    """The schema could not be found, downloaded or read."""


@dataclass(frozen=True)
class OcdsSchemas:
    release: dict[str, Any]
    package: dict[str, Any]
    directory: Path


@dataclass(frozen=True)
class ValidationIssue:
    """One schema violation: where (a JSON pointer-like path), what, and which keyword."""

    path: str
    message: str
    validator: str


def schema_directory(settings: Settings | None = None) -> Path:
    """The local copy when configured, else the download cache (filled on first use)."""
    settings = settings or get_settings()
    if settings.ocds_schema_dir is not None:
        return settings.ocds_schema_dir
    cache = settings.data_dir / "cache" / "ocds" / _version_folder(settings.ocds_schema_url)
    if not all((cache / name).is_file() for name in SCHEMA_FILES):
        download_schemas(settings.ocds_schema_url, cache)
    return cache


def download_schemas(base_url: str, directory: Path, timeout_s: float = 60.0) -> Path:
    """Fetch both schema files from ``base_url`` into ``directory`` (each written atomically)."""
    directory.mkdir(parents=True, exist_ok=True)
    with httpx.Client(timeout=timeout_s, follow_redirects=True) as client:
        for name in SCHEMA_FILES:
            url = base_url.rstrip("/") + "/" + name
            try:
                response = client.get(url)
                response.raise_for_status()
                json.loads(response.content)
            except (httpx.HTTPError, ValueError) as error:
                raise OcdsSchemaError(f"cannot download the OCDS schema {url}: {error}") from error
            replace_atomically(directory / name, partial(Path.write_bytes, data=response.content))
    return directory


def load_schemas(directory: Path | None = None) -> OcdsSchemas:
    """Read the release and release-package schemas from ``directory`` (default: configured)."""
    directory = directory or schema_directory()
    loaded: dict[str, dict[str, Any]] = {}
    for name in SCHEMA_FILES:
        path = directory / name
        try:
            loaded[name] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise OcdsSchemaError(
                f"cannot read the OCDS schema {path} (set OGP_OCDS_SCHEMA_DIR to a folder "
                f"holding {' and '.join(SCHEMA_FILES)}): {error}"
            ) from error
    return OcdsSchemas(
        release=loaded[RELEASE_SCHEMA], package=loaded[PACKAGE_SCHEMA], directory=directory
    )


def package_validator(schemas: OcdsSchemas | None = None) -> Draft4Validator:
    """A Draft 4 validator for release packages, release schema registered, formats checked."""
    schemas = schemas or load_schemas()
    _require_date_time_checks(Draft4Validator.FORMAT_CHECKER)
    release = Resource.from_contents(schemas.release, default_specification=DRAFT4)
    registry: Registry[Any] = Registry().with_resource(schemas.release["id"], release)
    return Draft4Validator(
        _without_pairwise_uniqueness(schemas.package),
        registry=registry,
        format_checker=Draft4Validator.FORMAT_CHECKER,
    )


def validate_package(
    package: Mapping[str, Any], validator: Draft4Validator | None = None
) -> list[ValidationIssue]:
    """Every schema violation in ``package``, sorted by path; empty when valid."""
    validator = validator or package_validator()
    issues = [
        ValidationIssue(
            path="/".join(str(part) for part in error.absolute_path),
            message=error.message[:MESSAGE_LIMIT],
            validator=str(error.validator),
        )
        for error in validator.iter_errors(package)
    ]
    return sorted([*issues, *_duplicate_releases(package)], key=lambda issue: issue.path)


def _require_date_time_checks(checker: FormatChecker) -> None:
    # jsonschema checks "date-time" only when rfc3339-validator is importable; otherwise every
    # string passes in silence, and OCDS dates are exactly what this validation is for.
    if "date-time" not in checker.checkers:
        raise OcdsSchemaError(
            "jsonschema cannot check date-time formats: install rfc3339-validator"
        )


def _without_pairwise_uniqueness(package_schema: dict[str, Any]) -> dict[str, Any]:
    schema = copy.deepcopy(package_schema)
    schema["properties"]["releases"].pop("uniqueItems", None)
    return schema


def _duplicate_releases(package: Mapping[str, Any]) -> list[ValidationIssue]:
    """The package schema's ``releases`` uniqueItems, in linear time."""
    releases = package.get("releases")
    if not isinstance(releases, list):
        return []
    first_seen: dict[str, int] = {}
    issues = []
    for index, release in enumerate(releases):
        canonical = json.dumps(release, sort_keys=True, ensure_ascii=False)
        if canonical in first_seen:
            issues.append(
                ValidationIssue(
                    path=f"releases/{index}",
                    message=f"duplicate of releases/{first_seen[canonical]} (items must be unique)",
                    validator="uniqueItems",
                )
            )
        else:
            first_seen[canonical] = index
    return issues


def _version_folder(url: str) -> str:
    # ".../schema/1__1__5/" -> "1__1__5"
    return url.rstrip("/").rsplit("/", 1)[-1] or "ocds"
