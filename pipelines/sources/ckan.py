"""``ckan`` connector: the resources of one dataset on another CKAN portal.

``package_show`` lists the resources; those in the wanted formats are downloaded. Both go
through the project's one CKAN client (:mod:`pipelines.publish.client`: one session, timeouts,
retries with backoff on connection errors, 5xx and 429, the overall deadline), with the source's
own timeout and size limit. Downloads are conditional (the ETag / Last-Modified of the last file
landed from the same resource are sent back; a ``304 Not Modified`` stores nothing new) and stay
on the allowed hosts, redirects included.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

import ckanapi
import requests

from pipelines.contracts import CkanSource
from pipelines.publish.client import (
    CKANClient,
    RetryableHTTPError,
    client_from_settings,
)
from pipelines.sources.errors import SourceError
from pipelines.sources.http import _conditional_headers, url_extension
from pipelines.sources.landing import LandedFile, LandingArea

USER_AGENT = "ogp-pipeline (ckan connector)"


def _token(source: CkanSource) -> str | None:
    return os.environ.get(source.token_env) if source.token_env else None


def source_client(source: CkanSource) -> CKANClient:
    """The client for one source: the settings' rules, the source's timeout and size limit."""
    return client_from_settings(
        url=source.url,
        token=_token(source),
        timeout_s=source.timeout_s,
        max_reply_bytes=source.max_bytes,
        user_agent=USER_AGENT,
    )


def dataset_resources(source: CkanSource, client: CKANClient | None = None) -> list[dict[str, Any]]:
    portal = client or source_client(source)
    try:
        package = portal.call("package_show", {"id": source.dataset})
    except ckanapi.NotFound:
        raise SourceError(source.url, f"dataset {source.dataset!r} not found") from None
    except ckanapi.NotAuthorized:
        raise SourceError(source.url, f"dataset {source.dataset!r}: not authorized") from None
    except ckanapi.CKANAPIError as error:
        raise SourceError(source.url, f"package_show failed ({type(error).__name__})") from None
    except (RetryableHTTPError, requests.RequestException) as error:
        raise SourceError(source.url, f"package_show failed: {error}") from None
    wanted = {fmt.upper() for fmt in source.formats}
    return [
        resource
        for resource in package.get("resources", [])
        if str(resource.get("format", "")).upper() in wanted and resource.get("url")
    ]


def _land(
    client: CKANClient,
    url: str,
    landing: LandingArea,
    allowed_hosts: list[str],
    *,
    ext: str,
    source: str,
) -> LandedFile:
    previous = landing.last_from(source)
    try:
        response = client.download(
            url, headers=_conditional_headers(previous), allowed_hosts=allowed_hosts
        )
    except (RetryableHTTPError, requests.RequestException) as error:
        reason = str(error)
        if isinstance(error, RetryableHTTPError):
            reason = f"HTTP {error.status} after {client.max_attempts} attempts"
        raise SourceError(url, reason) from None
    if response.status_code == requests.codes.not_modified and previous is not None:
        return previous
    return landing.store(
        response.content,
        source=source,
        ext=ext,
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
    )


def pull(source: CkanSource, landing: LandingArea) -> list[LandedFile]:
    client = source_client(source)
    try:
        resources = dataset_resources(source, client)
        if not resources:
            raise SourceError(
                source.url, f"dataset {source.dataset!r} has no {source.formats} resource"
            )
        allowed = source.allowed_hosts or [urlsplit(source.url).hostname or ""]
        return [
            _land(
                client,
                resource["url"],
                landing,
                allowed,
                ext=str(resource.get("format") or url_extension(resource["url"])).lower(),
                source=f"{source.url}/dataset/{source.dataset}/resource/{resource['id']}",
            )
            for resource in resources
        ]
    finally:
        client.close()
