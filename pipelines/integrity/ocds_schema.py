"""The official OCDS 1.1.5 schemas: found, downloaded, cached and checked.

No Python package ships the schema. A local copy named by the setting ``ocds_schema_dir``
(``OGP_OCDS_SCHEMA_DIR``) wins; otherwise the schemas are downloaded once from
``ocds_schema_url`` into ``<data_dir>/cache/ocds/<version>-<url hash>/``. The package schema
refers to the release schema by its absolute URL (the validator registers it under that id).
Validation (the compiled validator, the extensions merged in) is in
:mod:`pipelines.integrity.ocds_validate`.

Offline is a normal condition: when the schema is not configured and cannot be downloaded (no
DNS, connection refused, timeout, an HTTP error, a reply that is not JSON or not the schema, a
download slower than :data:`DOWNLOAD_DEADLINE_S` in all or larger than :data:`MAX_SCHEMA_BYTES`)
the download raises :class:`OcdsSchemaUnavailableError`; the caller withholds the OCDS package
instead of failing. Its ``what`` / ``what_th`` are the public sentence (no URL, no cause, so the
dataset page does not change with the kind of outage); ``reason`` names the cause and the URL
for the steward, the URL without credentials or query (:func:`public_url`). A download is
checked like :func:`load_schemas` checks a folder before anything is cached, and the cache
folder is named after the version and a hash of the URL: a corrected URL is a new download.
A failure is remembered for the process (:data:`UNREACHABLE_TTL_S`): the partitions of one run
do not each wait for the network. A configured folder that is missing files or holds a corrupt
schema is still an :class:`OcdsSchemaError`.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from pipelines.files import replace_atomically
from pipelines.layout import cache_dir
from pipelines.redaction import redact
from pipelines.settings import Settings, get_settings

RELEASE_SCHEMA = "release-schema.json"
PACKAGE_SCHEMA = "release-package-schema.json"
SCHEMA_FILES = (RELEASE_SCHEMA, PACKAGE_SCHEMA)
SCHEMA_VERSION = "1.1.5"
# Error messages embed the failing value; keep them short in logs and Dagster metadata.
MESSAGE_LIMIT = 300


CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 60.0
# The whole download (both files), whatever the server's pace: a read timeout alone never ends
# a server that sends one byte every few seconds.
DOWNLOAD_DEADLINE_S = 120.0
# Each schema file is about 100 KB.
MAX_SCHEMA_BYTES = 5_000_000
# How long a failed download is remembered by this process before the network is tried again.
UNREACHABLE_TTL_S = 300.0


class OcdsSchemaError(RuntimeError):
    """The schema could not be found, downloaded or read."""


class OcdsSchemaUnavailableError(OcdsSchemaError):
    """The schema is not configured and could not be downloaded: a normal offline condition.

    ``what`` / ``what_th`` say what is missing, for the public (English / Thai): the same words
    whatever the cause, without the URL. ``reason`` / ``reason_th`` add, for the steward, the
    URL (credentials and query removed), the cause and the setting that fixes it; ``cause`` is
    the short cause alone.
    """

    def __init__(self, url: str, cause: str, cause_th: str | None = None) -> None:
        self.url, self.cause = public_url(url), redact(cause)
        version = schema_version(url)
        self.what = (
            f"the official OCDS {version} schema could not be obtained when this dataset "
            "was published"
        )
        self.what_th = f"ไม่สามารถรับสคีมา OCDS {version} ฉบับทางการได้ขณะเผยแพร่ชุดข้อมูลนี้"
        self.reason = (
            f"the OCDS {version} schema could not be downloaded from {self.url} "
            f"({self.cause}); set OGP_OCDS_SCHEMA_DIR to a local copy"
        )
        self.reason_th = (
            f"ดาวน์โหลดสคีมา OCDS {version} จาก {self.url} ไม่ได้ ({redact(cause_th or cause)}) "
            "ตั้งค่า OGP_OCDS_SCHEMA_DIR ให้ชี้ไปยังสำเนาสคีมาในเครื่อง"
        )
        super().__init__(self.reason)


class _DownloadCutError(Exception):
    """The download was stopped here: too slow in all, or too large."""

    def __init__(self, cause: str, cause_th: str) -> None:
        super().__init__(cause)
        self.cause, self.cause_th = cause, cause_th


def public_url(url: str) -> str:
    """``url`` fit for a log or a page: no user:password, no query string, no fragment."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]  # host[:port], user:password@ dropped
    return redact(urlunsplit((parts.scheme, netloc, parts.path, "", "")))


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
    cache = cache_dir(settings.data_dir, "ocds") / cache_folder(settings.ocds_schema_url)
    if not _usable(cache):
        download_schemas(settings.ocds_schema_url, cache)
    return cache


def cache_folder(url: str) -> str:
    """``<version folder>-<12 hex of sha256(url)>``: another URL is another download."""
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:12]
    return f"{_version_folder(url)}-{digest}"


def _usable(cache: Path) -> bool:
    """Both files present and the schema (a cache filled by hand or by an old version may
    hold anything: such a cache is downloaded again)."""
    try:
        release, package = (
            json.loads((cache / name).read_text(encoding="utf-8")) for name in SCHEMA_FILES
        )
    except (OSError, ValueError):
        return False
    return schema_problem(release, package) is None


def download_schemas(
    base_url: str,
    directory: Path,
    timeout_s: float = READ_TIMEOUT_S,
    *,
    deadline_s: float = DOWNLOAD_DEADLINE_S,
    max_bytes: int = MAX_SCHEMA_BYTES,
) -> Path:
    """Fetch both schema files from ``base_url``, check they are the schema, then write them
    into ``directory`` (each atomically).

    ``timeout_s`` bounds each connection and read, ``deadline_s`` the whole download (a read
    in progress at the deadline is bounded by what was left of it when its request started,
    so it ends by twice the deadline at worst), ``max_bytes`` each file. Raises
    :class:`OcdsSchemaUnavailableError` when they cannot be fetched or are not the schema, at
    once when this process already failed for ``base_url`` in the last
    :data:`UNREACHABLE_TTL_S` seconds.
    """
    remembered = _unreachable.get(base_url)
    if remembered is not None and time.monotonic() - remembered[0] < UNREACHABLE_TTL_S:
        raise remembered[1]
    try:
        fetched = _fetch(base_url, timeout_s, deadline_s, max_bytes)
    except OcdsSchemaUnavailableError as error:
        _unreachable[base_url] = (time.monotonic(), error)
        raise
    _unreachable.pop(base_url, None)
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in fetched.items():
        replace_atomically(directory / name, partial(Path.write_bytes, data=content))
    return directory


def _fetch(base_url: str, timeout_s: float, deadline_s: float, max_bytes: int) -> dict[str, bytes]:
    """Both schema files' bytes, checked to be the schema; nothing is written on failure."""
    deadline = time.monotonic() + deadline_s
    fetched: dict[str, bytes] = {}
    parsed: dict[str, Any] = {}
    with httpx.Client(follow_redirects=True) as client:
        for name in SCHEMA_FILES:
            url = _file_url(base_url, name)
            try:
                fetched[name] = _download(client, url, timeout_s, deadline, max_bytes)
                parsed[name] = json.loads(fetched[name])
            except _DownloadCutError as cut:
                raise OcdsSchemaUnavailableError(base_url, cut.cause, cut.cause_th) from None
            except (httpx.HTTPError, ValueError) as error:
                late = isinstance(error, httpx.TimeoutException) and time.monotonic() >= deadline
                cause = _late(deadline_s) if late else _cause(error, url)
                raise OcdsSchemaUnavailableError(base_url, *cause) from None
    problem = schema_problem(parsed[RELEASE_SCHEMA], parsed[PACKAGE_SCHEMA])
    if problem is not None:
        name, what = problem
        raise OcdsSchemaUnavailableError(
            base_url, f"{name} is {what}", f"{name} ที่ได้รับไม่ใช่สคีมา OCDS ({what})"
        )
    return fetched


def _file_url(base_url: str, name: str) -> str:
    """``name`` inside ``base_url``'s folder; a query (e.g. an access token) is kept."""
    parts = urlsplit(base_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/" + name))


def _download(
    client: httpx.Client, url: str, timeout_s: float, deadline: float, max_bytes: int
) -> bytes:
    """One file, streamed: stopped at the deadline or past ``max_bytes``."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise httpx.ReadTimeout("the deadline passed")
    timeout = httpx.Timeout(min(timeout_s, remaining), connect=min(CONNECT_TIMEOUT_S, remaining))
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    too_large = _DownloadCutError(
        f"{name} is larger than {max_bytes:,} bytes", f"{name} ใหญ่เกิน {max_bytes:,} ไบต์"
    )
    with client.stream("GET", url, timeout=timeout) as response:
        response.raise_for_status()
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise too_large
            if time.monotonic() >= deadline:
                raise httpx.ReadTimeout("the deadline passed")
            chunks.append(chunk)
    return b"".join(chunks)


def _late(s: float) -> tuple[str, str]:
    return f"the download took longer than {s:g} s in all", f"ดาวน์โหลดนานเกิน {s:g} วินาที"


def _cause(error: Exception, url: str) -> tuple[str, str]:
    """The network cause in a few words, English and Thai (no class paths, no credentials)."""
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    if isinstance(error, httpx.TimeoutException):
        return "no network: the connection timed out", "ไม่มีเครือข่าย: หมดเวลาการเชื่อมต่อ"
    if isinstance(error, httpx.ConnectError):
        return "no network: the host could not be reached", "ไม่มีเครือข่าย: ติดต่อเครื่องปลายทางไม่ได้"
    if isinstance(error, httpx.HTTPStatusError):
        status, where = error.response.status_code, public_url(url)
        return f"HTTP {status} from {where}", f"HTTP {status} จาก {where}"
    if isinstance(error, httpx.HTTPError):
        kind = type(error).__name__
        return f"network error: {kind}", f"ข้อผิดพลาดของเครือข่าย: {kind}"
    return f"{name} was not JSON", f"{name} ไม่ใช่ JSON"


def schema_problem(release: Any, package: Any) -> tuple[str, str] | None:
    """(file, what is wrong) when these are not the OCDS release and release package
    schemas (the release schema's ``id``, the package's ``releases`` referring to it)."""
    if not isinstance(release, dict) or not isinstance(release.get("id"), str):
        return RELEASE_SCHEMA, "not the OCDS release schema (no id)"
    releases = package.get("properties", {}).get("releases") if isinstance(package, dict) else None
    if not isinstance(releases, dict):
        return PACKAGE_SCHEMA, "not the OCDS release package schema (no releases)"
    items = releases.get("items")
    if not isinstance(items, dict) or items.get("$ref") != release["id"]:
        return (
            PACKAGE_SCHEMA,
            f"not the OCDS release package schema (releases do not refer to {release['id']})",
        )
    return None


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
    problem = schema_problem(release, package)
    if problem is not None:
        raise OcdsSchemaError(f"{directory / problem[0]} is {problem[1]}")
    return OcdsSchemas(release=release, package=package, directory=directory)


def _version_folder(url: str) -> str:
    # ".../schema/1__1__5/?token=..." -> "1__1__5"
    folder = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    return folder if folder.replace("_", "").replace(".", "").isalnum() else "ocds"


def schema_version(url: str) -> str:
    """The OCDS version a schema URL names (".../1__1__5/" -> "1.1.5"), else the one we use."""
    folder = _version_folder(url)
    return folder.replace("__", ".") if folder.replace("__", "").isdigit() else SCHEMA_VERSION
