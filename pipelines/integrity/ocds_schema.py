"""The official OCDS 1.1.5 schemas and a Draft 4 validator for release packages.

No Python package ships the schema. A local copy named by the setting ``ocds_schema_dir``
(``OGP_OCDS_SCHEMA_DIR``) wins; otherwise the schemas are downloaded once from
``ocds_schema_url`` into ``<data_dir>/cache/ocds/<version>/``. The package schema refers to
the release schema by its absolute URL, so both are registered with :mod:`referencing`.
A format checker is on: without it jsonschema silently accepts any string as a date-time.

Offline is a normal condition: when the schema is not configured and cannot be downloaded (no
DNS, connection refused, timeout, an HTTP error, a reply that is not JSON) the download raises
:class:`OcdsSchemaUnavailableError`, whose ``reason`` (English) and ``reason_th`` say so in one
sentence; the caller withholds the OCDS package instead of failing. The failure is remembered
for the process (:data:`UNREACHABLE_TTL_S`), so the partitions of one run do not each wait for
the network, and the connection attempt is short (:data:`CONNECT_TIMEOUT_S`). A configured
folder that is missing files or holds a corrupt schema is still an :class:`OcdsSchemaError`.

One keyword is checked outside jsonschema: the package's ``releases`` are ``uniqueItems``, which
jsonschema tests by comparing every pair of releases, O(n²) — days for a 100,000-project
agency. :func:`validate_package` makes the same check in linear time by hashing each release's
canonical JSON.
"""

from __future__ import annotations

import copy
import json
import time
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
SCHEMA_VERSION = "1.1.5"
# Error messages embed the failing value; keep them short in logs and Dagster metadata.
MESSAGE_LIMIT = 300


CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 60.0
# How long a failed download is remembered by this process before the network is tried again.
UNREACHABLE_TTL_S = 300.0


class OcdsSchemaError(RuntimeError):
    """The schema could not be found, downloaded or read."""


class OcdsSchemaUnavailableError(OcdsSchemaError):
    """The schema is not configured and could not be downloaded: a normal offline condition.

    ``what`` / ``what_th`` say what failed (English / Thai, for the public); ``reason`` /
    ``reason_th`` add what a steward sets to fix it; ``cause`` is the short network cause.
    """

    def __init__(self, url: str, cause: str, cause_th: str | None = None) -> None:
        self.url, self.cause = url, cause
        version = schema_version(url)
        self.what = f"the OCDS {version} schema could not be downloaded from {url} ({cause})"
        self.what_th = f"ดาวน์โหลดสคีมา OCDS {version} จาก {url} ไม่ได้ ({cause_th or cause})"
        self.reason = f"{self.what}; set OGP_OCDS_SCHEMA_DIR to a local copy"
        self.reason_th = f"{self.what_th} ตั้งค่า OGP_OCDS_SCHEMA_DIR ให้ชี้ไปยังสำเนาสคีมาในเครื่อง"
        super().__init__(self.reason)


# base URL -> (monotonic time of the failure, the failure): one attempt per process and TTL.
_unreachable: dict[str, tuple[float, OcdsSchemaUnavailableError]] = {}


def forget_unreachable() -> None:
    """Forget remembered download failures (the next call tries the network again)."""
    _unreachable.clear()


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


def download_schemas(base_url: str, directory: Path, timeout_s: float = READ_TIMEOUT_S) -> Path:
    """Fetch both schema files from ``base_url`` into ``directory`` (each written atomically).

    Raises :class:`OcdsSchemaUnavailableError` when they cannot be fetched, at once when this
    process already failed for ``base_url`` in the last :data:`UNREACHABLE_TTL_S` seconds.
    """
    remembered = _unreachable.get(base_url)
    if remembered is not None and time.monotonic() - remembered[0] < UNREACHABLE_TTL_S:
        raise remembered[1]
    try:
        fetched = _fetch(base_url, timeout_s)
    except OcdsSchemaUnavailableError as error:
        _unreachable[base_url] = (time.monotonic(), error)
        raise
    _unreachable.pop(base_url, None)
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in fetched.items():
        replace_atomically(directory / name, partial(Path.write_bytes, data=content))
    return directory


def _fetch(base_url: str, timeout_s: float) -> dict[str, bytes]:
    """Both schema files' bytes, each checked to be JSON; nothing is written on failure."""
    timeout = httpx.Timeout(timeout_s, connect=min(CONNECT_TIMEOUT_S, timeout_s))
    fetched: dict[str, bytes] = {}
    with httpx.Client(timeout=timeout, follow_redirects=True) as client:
        for name in SCHEMA_FILES:
            url = base_url.rstrip("/") + "/" + name
            try:
                response = client.get(url)
                response.raise_for_status()
                json.loads(response.content)
            except (httpx.HTTPError, ValueError) as error:
                raise OcdsSchemaUnavailableError(base_url, *_cause(error, name)) from error
            fetched[name] = response.content
    return fetched


def _cause(error: Exception, name: str) -> tuple[str, str]:
    """The network cause in a few words, English and Thai (no class paths)."""
    if isinstance(error, httpx.TimeoutException):
        return "no network: the connection timed out", "ไม่มีเครือข่าย: หมดเวลาการเชื่อมต่อ"
    if isinstance(error, httpx.ConnectError):
        return "no network: the host could not be reached", "ไม่มีเครือข่าย: ติดต่อเครื่องปลายทางไม่ได้"
    if isinstance(error, httpx.HTTPStatusError):
        status = error.response.status_code
        return f"HTTP {status} for {name}", f"HTTP {status} สำหรับ {name}"
    if isinstance(error, httpx.HTTPError):
        kind = type(error).__name__
        return f"network error: {kind}", f"ข้อผิดพลาดของเครือข่าย: {kind}"
    return f"{name} was not JSON", f"{name} ไม่ใช่ JSON"


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
    release, package = loaded[RELEASE_SCHEMA], loaded[PACKAGE_SCHEMA]
    releases = package.get("properties", {}).get("releases") if isinstance(package, dict) else None
    if not isinstance(release, dict) or not isinstance(release.get("id"), str):
        raise OcdsSchemaError(
            f"{directory / RELEASE_SCHEMA} is not the OCDS release schema (no id)"
        )
    if not isinstance(releases, dict):
        raise OcdsSchemaError(
            f"{directory / PACKAGE_SCHEMA} is not the OCDS release package schema (no releases)"
        )
    return OcdsSchemas(release=release, package=package, directory=directory)


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


def schema_version(url: str) -> str:
    """The OCDS version a schema URL names (".../1__1__5/" -> "1.1.5"), else the one we use."""
    folder = _version_folder(url)
    return folder.replace("__", ".") if folder.replace("__", "").isdigit() else SCHEMA_VERSION
