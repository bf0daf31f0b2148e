"""The diff between the intended catalog and what the portal holds: what to create, update, leave.

Planning is pure: it reads dictionaries the portal returned (``organization_list``,
``package_search``) and never calls it. Resources are matched by name inside their dataset, so a
re-run after a crash sees what was already done; a resource name found twice (a create that was
retried after a lost response) keeps its oldest copy and the others are removed.

A new dataset is created private with the extra ``ogp_state=creating`` (:data:`STATE_KEY`),
which the last step removes while making it public. Only a private dataset of ours carrying that
marker was interrupted while being created: it is finished, then made public. Any other private
dataset of ours was made private by someone on the portal (a steward withdrawing it, e.g. during
a privacy incident): it is left exactly as it is and reported as ``withheld``. A dataset carrying
our marker but no longer in the intended catalog is flagged, never deleted.

``datapackage.json`` is planned as it will be uploaded: its paths are the portal URLs of the
resources it describes (:func:`.datapackage.with_portal_paths`), read from the portal's resources.
When one of them does not exist yet, its URL is known only once it is created in this run; the
descriptor is then uploaded after it (``urls_pending``), with the URLs the run has by then.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from pipelines.publish.datapackage import (
    MissingPortalURLError,
    is_descriptor,
    with_portal_paths,
)
from pipelines.publish.metadata import (
    CONTENT_HASH_KEY,
    DATASTORE_HASH_KEY,
    FAMILY_KEY,
    METADATA_HASH_KEY,
    PUBLISHER_MARKER,
    PUBLISHER_MARKER_KEY,
    RESOURCE_METADATA_HASH_KEY,
    dataset_dict,
    datastore_hash,
    extras_dict,
    organization_dict,
    resource_metadata_hash,
)
from pipelines.publish.model import (
    OrganizationSpec,
    PublishRequest,
    ResourceFile,
    stable_resource_id,
)


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"  # a dataset of that name exists but this pipeline does not own it
    WITHHELD = "withheld"  # ours, made private on the portal by someone: not touched


STATE_KEY = "ogp_state"  # extra set while a new dataset is being created (private)
STATE_CREATING = "creating"


@dataclass(frozen=True)
class OrganizationPlan:
    spec: OrganizationSpec
    action: Action
    existing_id: str | None = None


@dataclass(frozen=True)
class ResourcePlan:
    """What to do with one resource; the steps are independent so a half-done one resumes."""

    resource: ResourceFile
    existing_id: str | None
    upload: bool  # new or changed bytes
    patch_metadata: bool  # name/format/description changed, bytes did not
    load_datastore: bool  # DataStore table missing, incomplete or stale
    # datapackage.json: the descriptor as built (relative paths); ``resource`` is what is uploaded.
    template: ResourceFile | None = None
    urls_pending: bool = False  # a described resource is created in this run: URLs known then

    @property
    def action(self) -> Action:
        if self.existing_id is None:
            return Action.CREATE
        if self.upload or self.patch_metadata or self.load_datastore:
            return Action.UPDATE
        return Action.UNCHANGED

    @property
    def reasons(self) -> list[str]:
        steps = {
            "upload": self.upload,
            "metadata": self.patch_metadata,
            "datastore": self.load_datastore,
        }
        return [name for name, needed in steps.items() if needed]


@dataclass(frozen=True)
class DatasetPlan:
    request: PublishRequest
    action: Action
    existing: dict[str, Any] | None
    update_metadata: bool
    resources: tuple[ResourcePlan, ...]
    duplicate_resource_ids: tuple[str, ...] = ()  # extra copies of a resource name: removed
    withdrawn_resource_ids: tuple[str, ...] = ()  # resources the request withholds: removed
    stray_resources: tuple[str, ...] = ()  # resource names we no longer publish: flagged only
    reorder: bool = False
    # Created private and made public last (new, or left private by an interrupted creation).
    publish_at_end: bool = False

    @property
    def name(self) -> str:
        return self.request.dataset.name


@dataclass(frozen=True)
class CatalogScope:
    """The part of the portal this run speaks for, so that only it is checked for orphans.

    ``known_datasets`` are datasets that still have a source but are not published this run
    (e.g. blocked by their checks): they are not orphans.
    """

    organizations: frozenset[str]
    families: frozenset[str]
    known_datasets: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CatalogPlan:
    organizations: tuple[OrganizationPlan, ...]
    datasets: tuple[DatasetPlan, ...]
    orphans: tuple[str, ...] = ()

    def counts(self) -> dict[str, int]:
        """How many datasets and resources each action touches (for summaries)."""
        totals: dict[str, int] = {}
        for dataset in self.datasets:
            key = f"datasets_{dataset.action}"
            totals[key] = totals.get(key, 0) + 1
            for resource in dataset.resources:
                key = f"resources_{resource.action}"
                totals[key] = totals.get(key, 0) + 1
        return totals


# --- organizations ------------------------------------------------------------------------------


def plan_organization(
    spec: OrganizationSpec, existing: Mapping[str, Any] | None
) -> OrganizationPlan:
    if existing is None:
        return OrganizationPlan(spec, Action.CREATE)
    wanted = extras_dict(organization_dict(spec))[METADATA_HASH_KEY]
    current = extras_dict(dict(existing)).get(METADATA_HASH_KEY)
    action = Action.UNCHANGED if current == wanted else Action.UPDATE
    return OrganizationPlan(spec, action, existing_id=existing["id"])


# --- resources ----------------------------------------------------------------------------------


def _resources_by_name(existing: Mapping[str, Any]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The first resource of each name (CKAN keeps creation order), and the extra copies' ids."""
    first: dict[str, dict[str, Any]] = {}
    duplicates: list[str] = []
    for resource in existing.get("resources") or []:
        if resource["name"] in first:
            duplicates.append(resource["id"])
        else:
            first[resource["name"]] = resource
    return first, duplicates


def plan_resource(resource: ResourceFile, existing: Mapping[str, Any] | None) -> ResourcePlan:
    if existing is None:
        return ResourcePlan(
            resource,
            None,
            upload=True,
            patch_metadata=False,
            load_datastore=resource.datastore is not None,
        )
    upload = existing.get(CONTENT_HASH_KEY) != resource.content_hash
    wanted_store = datastore_hash(resource)
    load = resource.datastore is not None and (
        upload
        or existing.get(DATASTORE_HASH_KEY) != wanted_store
        or not existing.get("datastore_active")
    )
    patch = not upload and existing.get(RESOURCE_METADATA_HASH_KEY) != resource_metadata_hash(
        resource
    )
    return ResourcePlan(resource, existing["id"], upload, patch, load)


def portal_urls(resources: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """The portal URL of each resource (by name) that has one."""
    return {name: str(found["url"]) for name, found in resources.items() if found.get("url")}


def plan_descriptor(
    descriptor: ResourceFile, existing: Mapping[str, Any] | None, urls: Mapping[str, str]
) -> ResourcePlan:
    """``datapackage.json`` with the portal URLs of the resources it describes, when they all
    exist; else uploaded once the missing ones are created (the bytes will change anyway)."""
    try:
        resolved = with_portal_paths(descriptor, urls)
    except MissingPortalURLError:
        pending = plan_resource(descriptor, existing)
        return replace(
            pending, upload=True, patch_metadata=False, template=descriptor, urls_pending=True
        )
    return replace(plan_resource(resolved, existing), template=descriptor)


# --- datasets -----------------------------------------------------------------------------------


def is_ours(package: Mapping[str, Any]) -> bool:
    return extras_dict(dict(package)).get(PUBLISHER_MARKER_KEY) == PUBLISHER_MARKER


def is_being_created(package: Mapping[str, Any]) -> bool:
    """Private and marked ``ogp_state=creating``: a creation this pipeline did not finish."""
    return bool(package.get("private")) and (
        extras_dict(dict(package)).get(STATE_KEY) == STATE_CREATING
    )


def plan_dataset(request: PublishRequest, existing: Mapping[str, Any] | None) -> DatasetPlan:
    if existing is not None and not is_ours(existing):
        return DatasetPlan(request, Action.CONFLICT, dict(existing), False, ())
    if existing is not None and existing.get("private") and not is_being_created(existing):
        return DatasetPlan(request, Action.WITHHELD, dict(existing), False, ())
    current_by_name, duplicates = _resources_by_name(existing or {})
    for resource in request.resources:  # a stable-id resource under another id is replaced
        found = current_by_name.get(resource.name)
        stable = stable_resource_id(request.dataset.name, resource.name)
        if resource.stable_id and found is not None and found["id"] != stable:
            duplicates.append(current_by_name.pop(resource.name)["id"])
    urls = portal_urls(current_by_name)
    resources = tuple(
        plan_descriptor(resource, current_by_name.get(resource.name), urls)
        if is_descriptor(resource)
        else plan_resource(resource, current_by_name.get(resource.name))
        for resource in request.resources
    )
    wanted_names = [resource.name for resource in request.resources]
    withdrawn = tuple(current_by_name[n]["id"] for n in request.withdrawn if n in current_by_name)
    stray = tuple(n for n in current_by_name if n not in {*wanted_names, *request.withdrawn})
    if existing is None:
        return DatasetPlan(request, Action.CREATE, None, True, resources, publish_at_end=True)
    wanted_hash = extras_dict(dataset_dict(request.dataset))[METADATA_HASH_KEY]
    update_metadata = extras_dict(dict(existing)).get(METADATA_HASH_KEY) != wanted_hash
    # New resources are appended by CKAN; the order after this run must be the intended one.
    kept_order = [name for name in current_by_name if name in set(wanted_names)]
    created = [plan.resource.name for plan in resources if plan.existing_id is None]
    reorder = kept_order + created != wanted_names
    unfinished = is_being_created(existing)
    changed = (
        update_metadata
        or unfinished
        or bool(duplicates)
        or bool(withdrawn)
        or reorder
        or any(plan.action is not Action.UNCHANGED for plan in resources)
    )
    return DatasetPlan(
        request,
        Action.UPDATE if changed else Action.UNCHANGED,
        dict(existing),
        update_metadata,
        resources,
        duplicate_resource_ids=tuple(duplicates),
        stray_resources=stray,
        withdrawn_resource_ids=withdrawn,
        reorder=reorder,
        publish_at_end=unfinished,
    )


def find_orphans(
    packages: Iterable[Mapping[str, Any]], intended: Iterable[str], scope: CatalogScope
) -> tuple[str, ...]:
    """Our datasets in scope that this run neither publishes nor knows: their source is gone."""
    keep = set(intended) | set(scope.known_datasets)
    orphans = []
    for package in packages:
        organization = (package.get("organization") or {}).get("name")
        family = extras_dict(dict(package)).get(FAMILY_KEY)
        if (
            is_ours(package)
            and organization in scope.organizations
            and family in scope.families
            and package["name"] not in keep
        ):
            orphans.append(package["name"])
    return tuple(sorted(orphans))


def plan_catalog(
    requests: Iterable[PublishRequest],
    organizations: Mapping[str, Mapping[str, Any]],
    packages: Mapping[str, Mapping[str, Any]],
    scope: CatalogScope | None = None,
    extra_organizations: Iterable[OrganizationSpec] = (),
) -> CatalogPlan:
    """The whole diff. ``organizations`` and ``packages`` are the portal's, keyed by name."""
    requests = list(requests)
    org_specs = {spec.name: spec for spec in extra_organizations}
    org_specs.update({request.organization.name: request.organization for request in requests})
    org_plans = tuple(
        plan_organization(spec, organizations.get(name)) for name, spec in sorted(org_specs.items())
    )
    dataset_plans = tuple(
        plan_dataset(request, packages.get(request.dataset.name)) for request in requests
    )
    orphans = (
        find_orphans(packages.values(), (r.dataset.name for r in requests), scope)
        if scope is not None
        else ()
    )
    return CatalogPlan(org_plans, dataset_plans, orphans)
