"""``http`` connector: one file over HTTP(S), resilient and polite.

- timeouts on every request; retries with exponential backoff and jitter (tenacity) on
  connection errors, 5xx and 429;
- conditional requests: the ETag / Last-Modified of the last file received from the same URL
  are sent back, and a ``304 Not Modified`` stores nothing new;
- a size limit (Content-Length checked up front, the stream counted as it arrives);
- an allowed-hosts list, checked for every request including redirects.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import httpx
from tenacity import (
    retry,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from pipelines.contracts import HttpSource
from pipelines.sources.errors import SourceError
from pipelines.sources.landing import LandedFile, LandingArea

RETRY_STATUS = {429, 500, 502, 503, 504}


class RetryableStatusError(Exception):
    def __init__(self, status: int) -> None:
        self.status = status
        super().__init__(f"HTTP {status}")


@dataclass(frozen=True)
class HttpOptions:
    allowed_hosts: list[str] = field(default_factory=list)
    timeout_s: float = 30.0
    max_bytes: int = 200 * 1024 * 1024
    retries: int = 5
    backoff_s: float = 0.5  # first wait; doubles, with jitter, up to backoff_max_s
    backoff_max_s: float = 20.0
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, source: HttpSource, **overrides: object) -> HttpOptions:
        base = cls(
            allowed_hosts=source.allowed_hosts,
            timeout_s=source.timeout_s,
            max_bytes=source.max_bytes,
            retries=source.retries,
        )
        return base if not overrides else cls(**{**base.__dict__, **overrides})


def url_extension(url: str, default: str = "bin") -> str:
    suffix = PurePosixPath(urlsplit(url).path).suffix.lstrip(".").lower()
    return suffix or default


def _check_host(url: str, allowed: list[str]) -> None:
    host = urlsplit(url).hostname or ""
    if host not in allowed:
        raise SourceError(url, f"host {host!r} is not in the allowed hosts {allowed}")


def _conditional_headers(previous: LandedFile | None) -> dict[str, str]:
    if previous is None:
        return {}
    headers: dict[str, str] = {}
    if previous.provenance.etag:
        headers["If-None-Match"] = previous.provenance.etag
    if previous.provenance.last_modified:
        headers["If-Modified-Since"] = previous.provenance.last_modified
    return headers


def _is_retryable(error: BaseException) -> bool:
    return isinstance(error, RetryableStatusError | httpx.TransportError)


def _limited(response: httpx.Response, url: str, max_bytes: int) -> Iterator[bytes]:
    received = 0
    for chunk in response.iter_bytes():
        received += len(chunk)
        if received > max_bytes:
            raise SourceError(url, f"larger than the size limit of {max_bytes} bytes")
        yield chunk


def fetch(
    url: str,
    landing: LandingArea,
    options: HttpOptions,
    *,
    ext: str | None = None,
    source: str | None = None,
) -> LandedFile:
    """Download ``url`` into the landing area (or return the previous file on 304)."""
    allowed = options.allowed_hosts or [urlsplit(url).hostname or ""]
    _check_host(url, allowed)
    source = source or url
    previous = landing.last_from(source)

    def check_request(request: httpx.Request) -> None:
        _check_host(str(request.url), allowed)

    @retry(
        retry=retry_if_exception(_is_retryable),
        wait=wait_exponential_jitter(initial=options.backoff_s, max=options.backoff_max_s),
        stop=stop_after_attempt(max(1, options.retries)),
        reraise=True,
    )
    def attempt(client: httpx.Client) -> LandedFile:
        headers = {**options.headers, **_conditional_headers(previous)}
        with client.stream("GET", url, headers=headers) as response:
            if response.status_code == httpx.codes.NOT_MODIFIED and previous is not None:
                return previous
            if response.status_code in RETRY_STATUS:
                raise RetryableStatusError(response.status_code)
            if response.status_code >= 400:
                raise SourceError(url, f"HTTP {response.status_code}")
            length = int(response.headers.get("Content-Length") or 0)
            if length > options.max_bytes:
                raise SourceError(url, f"Content-Length {length} exceeds {options.max_bytes}")
            return landing.store(
                _limited(response, url, options.max_bytes),
                source=source,
                ext=ext or url_extension(str(response.url)),
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
            )

    with httpx.Client(
        timeout=options.timeout_s,
        follow_redirects=True,
        event_hooks={"request": [check_request]},
    ) as client:
        try:
            return attempt(client)
        except RetryableStatusError as error:
            raise SourceError(url, f"{error} after {options.retries} attempts") from None
        except httpx.TransportError as error:
            raise SourceError(
                url, f"{type(error).__name__} after {options.retries} attempts"
            ) from None


def pull(source: HttpSource, landing: LandingArea) -> list[LandedFile]:
    return [fetch(source.url, landing, HttpOptions.of(source))]
