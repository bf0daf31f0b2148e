"""Reading each dataset's DCAT from the portal (ckanext-dcat's ``/dataset/<name>.jsonld``, as a
harvester reads it) and the CKAN package it comes from, through the project's one CKAN client,
anonymously; and checking whether the distributions' URLs answer — from this machine, against the
portal's own host only (a URL on another host is not requested: its reachability is unknown).

The JSON-LD ckanext-dcat serves is rdflib's compacted form: one ``@context`` of prefixes and a
flat ``@graph`` of nodes. It is expanded with that context, so the properties are read by their
full IRIs whatever prefixes the portal chooses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import requests
from pydantic import BaseModel, ConfigDict

from pipelines.publish.client import CKANClient
from pipelines.readiness.mqa_rules import DcatRecord, Distribution, Term

PAGE_SIZE = 1000
URL_PROPERTIES = ("dcat:accessURL", "dcat:downloadURL")
NAMESPACES = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
}
DATASET = NAMESPACES["dcat"] + "Dataset"
DISTRIBUTION = NAMESPACES["dcat"] + "Distribution"
DISTRIBUTION_LINK = NAMESPACES["dcat"] + "distribution"


class PortalMetadata(BaseModel):
    """What the metadata checks read: the DCAT of every dataset and its CKAN package."""

    model_config = ConfigDict(frozen=True)

    url: str
    records: list[DcatRecord]
    packages: list[dict[str, Any]]


class DcatError(ValueError):
    """The portal's DCAT for a dataset is not the JSON-LD this reader understands."""


def read_portal_metadata(
    ckan: CKANClient,
    *,
    organizations: Iterable[str] | None = None,
    exclude_organizations: Iterable[str] = (),
    check_urls: bool = True,
    max_workers: int = 4,
) -> PortalMetadata:
    """Every public dataset (of ``organizations`` when given, less ``exclude_organizations``):
    its CKAN package and its DCAT; with ``check_urls`` each distribution's access and download
    URL on the portal's host is requested (HEAD), otherwise reachability stays unknown."""
    wanted = None if organizations is None else set(organizations)
    skip = set(exclude_organizations)
    packages = [
        p
        for p in _all_packages(ckan)
        if p.get("organization")
        and p["organization"]["name"] not in skip
        and (wanted is None or p["organization"]["name"] in wanted)
    ]
    host = urlsplit(ckan.url).netloc
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        found = list(pool.map(lambda p: _record(ckan, p, host, check_urls), packages))
    # A dataset deleted between the listing and its DCAT is no longer on the portal: left out
    # of both lists alike.
    kept = [(p, r) for p, r in zip(packages, found, strict=True) if r is not None]
    packages = [p for p, _ in kept]
    records = [r for _, r in kept]
    return PortalMetadata(url=ckan.url, records=records, packages=packages)


def _all_packages(ckan: CKANClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while page := ckan.call(
        "package_search",
        {"q": "*:*", "rows": PAGE_SIZE, "start": len(found), "sort": "name asc"},
    )["results"]:
        found += page
    return found


def _record(
    ckan: CKANClient, package: Mapping[str, Any], host: str, check_urls: bool
) -> DcatRecord | None:
    name = package["name"]
    dcat_url = f"{ckan.url}/dataset/{name}.jsonld"
    response = ckan.download(dcat_url, allow_status={requests.codes.not_found})
    if response.status_code == requests.codes.not_found:
        return None
    document = response.json()
    record = parse_dcat_jsonld(
        document,
        name=name,
        organization=package["organization"]["name"],
        url=f"{ckan.url}/dataset/{name}",
        dcat_url=dcat_url,
    )
    check: Callable[[str], bool | None] = lambda url: (  # noqa: E731
        ckan.reachable(url) if check_urls and urlsplit(url).netloc == host else None
    )
    return record.model_copy(
        update={
            "distributions": [
                dist.model_copy(
                    update={
                        "reachable": {
                            prop: check(dist.properties[prop][0].value)
                            for prop in URL_PROPERTIES
                            if dist.properties.get(prop)
                        }
                    }
                )
                for dist in record.distributions
            ]
        }
    )


# --- JSON-LD (compacted, flat graph) -> DcatRecord ----------------------------------------


def _expander(context: Any) -> Callable[[str], str]:
    if not isinstance(context, Mapping) or not all(isinstance(v, str) for v in context.values()):
        raise DcatError("expected an @context of prefixes only")

    def expand(term: str) -> str:
        prefix, sep, local = term.partition(":")
        if sep and prefix in context and not local.startswith("//"):
            return str(context[prefix]) + local
        return term

    return expand


def _compact(iri: str) -> str:
    for prefix, namespace in NAMESPACES.items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri.removeprefix(namespace)}"
    return iri


def _terms(raw: Any, expand: Callable[[str], str]) -> list[Term]:
    values = raw if isinstance(raw, list) else [raw]
    terms = []
    for value in values:
        if isinstance(value, Mapping) and "@id" in value:
            terms.append(Term(value=expand(str(value["@id"])), iri=True))
        elif isinstance(value, Mapping) and "@value" in value:
            terms.append(Term(value=str(value["@value"])))
        elif isinstance(value, Mapping) and "@list" in value:
            terms += _terms(value["@list"], expand)
        elif isinstance(value, str | int | float | bool):
            terms.append(Term(value=str(value)))
    return terms


def _properties(node: Mapping[str, Any], expand: Callable[[str], str]) -> dict[str, list[Term]]:
    return {
        _compact(expand(key)): _terms(value, expand)
        for key, value in node.items()
        if not key.startswith("@")
    }


def _types(node: Mapping[str, Any], expand: Callable[[str], str]) -> set[str]:
    raw = node.get("@type", [])
    return {expand(t) for t in (raw if isinstance(raw, list) else [raw])}


def parse_dcat_jsonld(
    document: Mapping[str, Any], *, name: str, organization: str, url: str, dcat_url: str
) -> DcatRecord:
    """The one dcat:Dataset of a dataset's JSON-LD with its distributions."""
    expand = _expander(document.get("@context", {}))
    graph = document.get("@graph", [document])
    nodes = {expand(str(n["@id"])): n for n in graph if isinstance(n, Mapping) and "@id" in n}
    datasets = [n for n in nodes.values() if DATASET in _types(n, expand)]
    if len(datasets) != 1:
        raise DcatError(f"{dcat_url}: expected one dcat:Dataset, found {len(datasets)}")
    (dataset,) = datasets
    properties = _properties(dataset, expand)
    links = properties.pop(_compact(DISTRIBUTION_LINK), [])
    distributions = [
        Distribution(id=link.value, properties=_properties(nodes.get(link.value, {}), expand))
        for link in links
    ]
    return DcatRecord(
        name=name,
        organization=organization,
        url=url,
        dcat_url=dcat_url,
        properties=properties,
        distributions=sorted(distributions, key=lambda d: d.id),
    )
