"""The diff between intended catalog and portal state, on portal dictionaries shaped like
package_search's (the integration tests check the same against the real portal)."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

from pipelines.publish.datapackage import DATAPACKAGE_NAME, described_names, with_portal_paths
from pipelines.publish.metadata import (
    DATASTORE_HASH_KEY,
    dataset_dict,
    datastore_hash,
    organization_dict,
    resource_dict,
)
from pipelines.publish.model import PublishRequest, ResourceFile
from pipelines.publish.plan import Action, CatalogScope, plan_catalog, plan_dataset

PORTAL = "http://portal.test"


def download_url(package_id: str, number: int, name: str) -> str:
    return f"{PORTAL}/dataset/{package_id}/resource/r{number}/download/{name}"


def portal_package(request: PublishRequest, *, loaded: bool = True) -> dict[str, Any]:
    """What the portal would hold after publishing ``request`` completely: each resource with its
    download URL, and the descriptor as uploaded (paths are those URLs)."""
    package = dataset_dict(request.dataset)
    package["id"] = f"id-{request.dataset.name}"
    package["organization"] = {"name": request.organization.name}
    package["resources"] = []
    urls = {
        resource.name: download_url(package["id"], number, resource.name)
        for number, resource in enumerate(request.resources)
    }
    for number, resource in enumerate(request.resources):
        if resource.name == DATAPACKAGE_NAME:
            resource = with_portal_paths(resource, urls)
        entry: dict[str, Any] = {
            "id": f"r{number}",
            "url": urls[resource.name],
            **resource_dict(resource),
        }
        if resource.datastore is not None and loaded:
            entry[DATASTORE_HASH_KEY] = datastore_hash(resource)
            entry["datastore_active"] = True
        package["resources"].append(entry)
    return package


def portal_org(request: PublishRequest) -> dict[str, Any]:
    return {"id": "org-id", **organization_dict(request.organization)}


def test_everything_new_is_created_in_order(make_request) -> None:
    request = make_request("ag")
    plan = plan_catalog([request], {}, {})
    assert [org.action for org in plan.organizations] == [Action.CREATE]
    [dataset] = plan.datasets
    assert dataset.action is Action.CREATE
    assert not dataset.reorder
    assert [r.action for r in dataset.resources] == [Action.CREATE] * 5
    assert [r.load_datastore for r in dataset.resources] == [True, True, False, False, False]


def test_published_catalog_plans_nothing(make_request) -> None:
    request = make_request("ag")
    plan = plan_catalog(
        [request], {"ag": portal_org(request)}, {request.dataset.name: portal_package(request)}
    )
    assert [org.action for org in plan.organizations] == [Action.UNCHANGED]
    assert plan.datasets[0].action is Action.UNCHANGED
    assert plan.counts() == {"datasets_unchanged": 1, "resources_unchanged": 5}


def test_changed_bytes_upload_in_place_and_reload_the_datastore(make_request) -> None:
    old = make_request("ag", {2024: 5, 2025: 3})
    new = make_request("ag", {2024: 5, 2025: 4})
    plan = plan_dataset(new, portal_package(old))
    actions = {r.resource.name: (r.action, r.reasons, r.existing_id) for r in plan.resources}
    assert actions["procurement-fy2024.csv"] == (Action.UNCHANGED, [], "r0")
    assert actions["procurement-fy2025.csv"] == (Action.UPDATE, ["upload", "datastore"], "r1")
    assert actions["datapackage.json"] == (Action.UPDATE, ["upload"], "r2")
    assert not plan.update_metadata  # metadata untouched: years covered did not change


def test_metadata_only_change_patches_without_upload(make_request) -> None:
    request = make_request("ag")
    renamed = replace(request, dataset=replace(request.dataset, notes_en="Better words."))
    plan = plan_dataset(renamed, portal_package(request))
    assert plan.action is Action.UPDATE
    assert plan.update_metadata
    assert all(r.action is Action.UNCHANGED for r in plan.resources)


def test_interrupted_datastore_load_is_resumed_without_upload(make_request) -> None:
    request = make_request("ag")
    plan = plan_dataset(request, portal_package(request, loaded=False))
    first = plan.resources[0]
    assert (first.upload, first.load_datastore) == (False, True)


def test_half_created_dataset_gets_the_missing_resources_only(make_request) -> None:
    request = make_request("ag")
    package = portal_package(request)
    package["resources"] = package["resources"][:2]
    plan = plan_dataset(request, package)
    assert [r.action for r in plan.resources] == [Action.UNCHANGED] * 2 + [Action.CREATE] * 3
    assert not plan.reorder


def test_duplicate_names_keep_the_oldest_copy_and_order_is_repaired(make_request) -> None:
    request = make_request("ag")
    package = portal_package(request)
    duplicate = copy.deepcopy(package["resources"][0]) | {"id": "dup"}
    package["resources"] = [
        package["resources"][1],
        package["resources"][0],
        duplicate,
        *package["resources"][2:],
    ]
    plan = plan_dataset(request, package)
    assert plan.duplicate_resource_ids == ("dup",)
    assert plan.resources[0].existing_id == "r0"
    assert plan.reorder
    assert plan.action is Action.UPDATE


def test_foreign_dataset_of_the_same_name_is_a_conflict(make_request) -> None:
    request = make_request("ag")
    package = portal_package(request)
    package["extras"] = []
    assert plan_dataset(request, package).action is Action.CONFLICT


def test_disappeared_sources_are_flagged_only_within_scope(make_request) -> None:
    kept, gone, blocked = make_request("ag"), make_request("gone"), make_request("blocked")
    other_family = make_request("ag")
    other_package = portal_package(other_family) | {"name": "ag-budget"}
    other_package["extras"] = [
        e if e["key"] != "ogp_family" else {"key": "ogp_family", "value": "budget"}
        for e in other_package["extras"]
    ]
    packages = {
        p["name"]: p
        for p in (
            portal_package(kept),
            portal_package(gone),
            portal_package(blocked),
            other_package,
        )
    }
    scope = CatalogScope(
        frozenset({"ag", "gone", "blocked"}),
        frozenset({"procurement"}),
        known_datasets=frozenset({blocked.dataset.name}),
    )
    plan = plan_catalog([kept], {}, packages, scope)
    assert plan.orphans == (gone.dataset.name,)


def test_stray_resources_are_reported_not_deleted(make_request) -> None:
    request = make_request("ag", {2023: 2, 2024: 5, 2025: 3})
    smaller = make_request("ag", {2024: 5, 2025: 3})
    plan = plan_dataset(smaller, portal_package(request))
    assert plan.stray_resources == ("procurement-fy2023.csv",)
    assert plan.duplicate_resource_ids == ()


def test_resource_description_change_is_a_metadata_patch(make_request) -> None:
    request = make_request("ag")
    changed: list[ResourceFile] = list(request.resources)
    changed[-1] = replace(changed[-1], description="ใหม่ / new")
    plan = plan_dataset(replace(request, resources=tuple(changed)), portal_package(request))
    last = plan.resources[-1]
    assert (last.upload, last.patch_metadata) == (False, True)


# --- datapackage.json: planned as uploaded, paths are the portal URLs ---------------------------


def _descriptor_plan(plan: Any) -> Any:
    return next(r for r in plan.resources if r.resource.name == DATAPACKAGE_NAME)


def test_descriptor_is_planned_with_the_portal_urls_of_its_resources(make_request) -> None:
    request = make_request("ag")
    package = portal_package(request)
    step = _descriptor_plan(plan_dataset(request, package))
    assert step.action is Action.UNCHANGED
    assert not step.urls_pending
    paths = [entry["path"] for entry in json.loads(step.resource.content)["resources"]]
    by_name = {r["name"]: r["url"] for r in package["resources"]}
    assert paths == [by_name[name] for name in described_names(step.template)]
    assert all(path.startswith(f"{PORTAL}/dataset/") for path in paths)


def test_descriptor_with_relative_paths_on_the_portal_is_uploaded_alone(make_request) -> None:
    """A portal still holding the old descriptor (file names as paths) gets the URL one, and
    nothing else is touched."""
    request = make_request("ag")
    package = portal_package(request)
    [old] = [r for r in package["resources"] if r["name"] == DATAPACKAGE_NAME]
    built = next(r for r in request.resources if r.name == DATAPACKAGE_NAME)
    old.update(resource_dict(built))
    plan = plan_dataset(request, package)
    assert {r.resource.name: r.reasons for r in plan.resources if r.reasons} == {
        DATAPACKAGE_NAME: ["upload"]
    }


def test_descriptor_waits_for_the_urls_of_resources_created_in_the_run(make_request) -> None:
    request = make_request("ag", {2024: 5, 2025: 3})
    grown = make_request("ag", {2024: 5, 2025: 3, 2026: 2})
    plan = plan_dataset(grown, portal_package(request))
    step = _descriptor_plan(plan)
    assert step.urls_pending
    assert step.upload
    assert step.existing_id is not None
    assert step.resource == step.template  # resolved by the executor, after fy2026 exists
    created = [r.resource.name for r in plan.resources if r.action is Action.CREATE]
    assert created == ["procurement-fy2026.csv"]
    names = [r.resource.name for r in plan.resources]
    assert names.index("procurement-fy2026.csv") < names.index(DATAPACKAGE_NAME)
