"""``ckan`` connector: the resources of one dataset on another CKAN portal.

``package_show`` (ckanapi) lists the resources; those in the wanted formats are downloaded
through the :mod:`http <pipelines.sources.http>` connector (conditional, retried, size-limited).
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

import ckanapi

from pipelines.contracts import CkanSource
from pipelines.sources.errors import SourceError
from pipelines.sources.http import HttpOptions, fetch, url_extension
from pipelines.sources.landing import LandedFile, LandingArea

USER_AGENT = "ogp-pipeline (ckan connector)"


def _token(source: CkanSource) -> str | None:
    return os.environ.get(source.token_env) if source.token_env else None


def dataset_resources(source: CkanSource) -> list[dict[str, Any]]:
    portal = ckanapi.RemoteCKAN(source.url, apikey=_token(source), user_agent=USER_AGENT)
    try:
        package = portal.action.package_show(id=source.dataset)
    except ckanapi.NotFound:
        raise SourceError(source.url, f"dataset {source.dataset!r} not found") from None
    except ckanapi.NotAuthorized:
        raise SourceError(source.url, f"dataset {source.dataset!r}: not authorized") from None
    except ckanapi.CKANAPIError as error:
        raise SourceError(source.url, f"package_show failed ({type(error).__name__})") from None
    wanted = {fmt.upper() for fmt in source.formats}
    return [
        resource
        for resource in package.get("resources", [])
        if str(resource.get("format", "")).upper() in wanted and resource.get("url")
    ]


def pull(source: CkanSource, landing: LandingArea) -> list[LandedFile]:
    resources = dataset_resources(source)
    if not resources:
        raise SourceError(
            source.url, f"dataset {source.dataset!r} has no {source.formats} resource"
        )
    token = _token(source)
    options = HttpOptions(
        allowed_hosts=source.allowed_hosts or [urlsplit(source.url).hostname or ""],
        timeout_s=source.timeout_s,
        max_bytes=source.max_bytes,
        # Private resources need the token; it is sent, never logged.
        headers={"Authorization": token} if token else {},
    )
    return [
        fetch(
            resource["url"],
            landing,
            options,
            ext=str(resource.get("format") or url_extension(resource["url"])).lower(),
            source=f"{source.url}/dataset/{source.dataset}/resource/{resource['id']}",
        )
        for resource in resources
    ]
