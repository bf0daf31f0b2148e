"""Reading the portal as the public sees it: organizations, public datasets and resources,
licences, and the validation reports published beside the data (CKAN API, anonymous), all
through the project's one CKAN client (:mod:`pipelines.publish.client`): the same session,
timeouts, retries, deadline and reply cap for the API calls and the report downloads."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import requests

from pipelines.publish.client import CKANClient
from pipelines.publish.xloader import LOAD_STATE_KEY, NOT_LOADED
from pipelines.readiness.facts import (
    PortalDataset,
    PortalOrganization,
    PortalResource,
    PortalSnapshot,
    ValidationSummary,
    name_matches,
    summarize_validation_report,
)
from pipelines.readiness.methodology import PortalRules

PAGE_SIZE = 1000  # CKAN's default ckan.search.rows_max


def read_portal(
    ckan: CKANClient,
    rules: PortalRules,
    exclude_organizations: Iterable[str] = (),
    max_workers: int = 4,
    agencies: Collection[str] | Mapping[str, tuple[str, str]] | None = None,
) -> PortalSnapshot:
    """Read organizations, public datasets and published validation reports through the API.

    ``exclude_organizations``: organizations that are not agencies (e.g. the one publishing
    this report); their datasets are left out too. ``agencies``: the agency registry's codes;
    when given, an organization outside it is ignored with its datasets (named in
    ``outside_registry``), and an agency of the registry without an organization on the portal
    is kept (``on_portal`` False) so that every figure counts it as awaiting data. A mapping
    gives each code its registry names (Thai, English), the titles of such agencies."""
    base = ckan.url
    open_ids = {lic["id"] for lic in ckan.call("license_list") if _licence_is_open(lic)}
    # Names only: CKAN caps all_fields listings at 25 a page; titles come with the datasets.
    names = list(
        _pages(
            lambda offset: ckan.call(
                "organization_list", {"limit": PAGE_SIZE, "offset": offset, "sort": "name"}
            )
        )
    )
    skip = set(exclude_organizations)
    outside = [] if agencies is None else sorted(set(names) - skip - set(agencies))
    skip |= set(outside)
    packages = [
        package
        for package in _pages(
            lambda offset: ckan.call(
                "package_search",
                {"q": "*:*", "rows": PAGE_SIZE, "start": offset, "sort": "name asc"},
            )["results"]
        )
        if package.get("organization") and package["organization"]["name"] not in skip
    ]
    titles = {p["organization"]["name"]: p["organization"].get("title") for p in packages}
    registry = {} if agencies is None else _registry_names(agencies)
    organizations = [
        PortalOrganization(
            name=name,
            title=titles.get(name) or name,
            url=f"{base}/organization/{name}",
            title_en=registry[name][1] if name in registry else None,
        )
        for name in names
        if name not in skip
    ]
    excluded = set(exclude_organizations)
    organizations += [
        PortalOrganization(
            name=code, title=th, title_en=en, url=f"{base}/organization", on_portal=False
        )
        for code, (th, en) in registry.items()
        if code not in names and code not in excluded
    ]
    organizations.sort(key=lambda o: o.name)
    datasets = [_dataset(base, package, open_ids) for package in packages]
    reports = [(d.name, r) for d in datasets if (r := _report_resource(d, rules)) is not None]
    # One GET per published report: fetched concurrently, they dominate the run time at scale.
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        summaries = pool.map(lambda item: _fetch_summary(ckan, item[1]), reports)
        validation = {
            name: summary
            for (name, _), summary in zip(reports, summaries, strict=True)
            if summary is not None
        }
    return PortalSnapshot(
        url=base,
        organizations=organizations,
        datasets=datasets,
        validation=validation,
        outside_registry=outside,
    )


def _registry_names(
    agencies: Collection[str] | Mapping[str, tuple[str, str]],
) -> dict[str, tuple[str, str]]:
    """Registry code -> (Thai, English) name; the code itself when no names are given."""
    if isinstance(agencies, Mapping):
        return {code: (th, en) for code, (th, en) in agencies.items()}
    return {code: (code, code) for code in agencies}


def _licence_is_open(licence: Mapping[str, Any]) -> bool:
    # CKAN's own License.isopen(): conformant with the Open Definition or the OSD.
    return "approved" in (licence.get("od_conformance"), licence.get("osd_conformance"))


def _pages(fetch: Callable[[int], list[Any]]) -> Iterator[Any]:
    # Until an empty page: servers cap page sizes silently, so a short page proves nothing.
    offset = 0
    while page := fetch(offset):
        yield from page
        offset += len(page)


def _dataset(base: str, package: Mapping[str, Any], open_ids: set[str]) -> PortalDataset:
    url = f"{base}/dataset/{package['name']}"
    return PortalDataset(
        name=package["name"],
        title=package.get("title") or package["name"],
        organization=package["organization"]["name"],
        url=url,
        licence_open=package.get("license_id") in open_ids,
        metadata_modified=_utc(package["metadata_modified"]),
        update_frequency_unit=package.get("update_frequency_unit") or None,
        update_frequency_interval=package.get("update_frequency_interval") or None,
        resources=[
            PortalResource(
                id=res["id"],
                name=res.get("name") or "",
                format=(res.get("format") or "").upper(),
                url=res.get("url") or "",
                page_url=f"{url}/resource/{res['id']}",
                # a table whose xloader load is pending or failed is not served yet
                datastore_active=bool(res.get("datastore_active"))
                and res.get(LOAD_STATE_KEY) not in NOT_LOADED,
                description=res.get("description") or "",
            )
            for res in package.get("resources", [])
        ],
    )


def _utc(timestamp: str) -> datetime:
    # CKAN stores naive UTC timestamps.
    parsed = datetime.fromisoformat(timestamp)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _report_resource(dataset: PortalDataset, rules: PortalRules) -> PortalResource | None:
    return next(
        (r for r in dataset.resources if name_matches(r.name, rules.validation_report_patterns)),
        None,
    )


def _fetch_summary(ckan: CKANClient, report: PortalResource) -> ValidationSummary | None:
    """The published validation report's summary; None when the file is gone (404: its dataset
    was deleted after the listing, or the file is missing), which counts as no report. Other
    errors (after the client's retries) fail the read."""
    response = ckan.download(report.url, allow_status={requests.codes.not_found})
    if response.status_code == requests.codes.not_found:
        return None
    return summarize_validation_report(response.json(), report.page_url)
