"""Carrying out a catalog plan against the portal, one dataset per worker thread.

Order matters for convergence: organization, then the dataset without resources, then each
resource (bytes, then DataStore table, then the ``datastore_hash`` that says the table is
complete). Whatever point a crash interrupts, the next plan sees the half-done state by name and
finishes it; nothing is created twice and nothing already right is touched again.

Within a run the same holds for a single write: every create (and every upload) passes the
client a look-up that, after a failed or lost reply, finds the write on the portal by name and
sha256 before sending it again, so a committed create whose reply was lost is not repeated and
its "already exists" is taken as success when the content matches.

A new dataset is created private and marked ``ogp_state=creating``; the last step removes the
marker and makes it public, so the public never sees it half-published and a dataset someone
made private on the portal is never mistaken for an unfinished one (the plan leaves it alone).
A run stopped by the overall deadline leaves each resource at its old or new bytes (uploads are
single requests); a keyed DataStore table being reloaded is updated in place (every old row stays
until the new ones are in), a keyless one is rebuilt and the receipt says it may be partial; the
next run finishes what is left.

``datapackage.json`` comes after the resources it describes: by then the run knows each one's
portal URL (from the portal, or from its create), and the descriptor uploaded is the one with
those URLs, so its bytes equal what was planned whenever the resources already existed.
"""

from __future__ import annotations

import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from ckanapi import CKANAPIError, NotFound

from pipelines.publish.client import CKANClient, PortalDeadlineError, RetryableHTTPError
from pipelines.publish.datapackage import with_portal_paths
from pipelines.publish.datastore import (
    DEFAULT_BATCH_ROWS,
    DEFAULT_PARALLEL,
    check_unique_keys,
    load_datastore,
)
from pipelines.publish.metadata import (
    CONTENT_HASH_KEY,
    DATASTORE_HASH_KEY,
    METADATA_HASH_KEY,
    RESOURCE_METADATA_HASH_KEY,
    dataset_dict,
    datastore_hash,
    extras_dict,
    organization_dict,
    resource_dict,
)
from pipelines.publish.model import ResourceFile, stable_resource_id
from pipelines.publish.plan import (
    STATE_CREATING,
    STATE_KEY,
    Action,
    CatalogPlan,
    DatasetPlan,
    OrganizationPlan,
    ResourcePlan,
    is_ours,
)
from pipelines.publish.receipt import (
    DatasetReceipt,
    OrganizationReceipt,
    ResourceReceipt,
)
from pipelines.publish.xloader import loaded_marks, offers_xloader

log = logging.getLogger(__name__)

PREVIEW_VIEW_TYPE = "datatables_view"
PREVIEW_VIEW_TITLE = "ตาราง / Table"
# What stops one dataset (the server's refusal, an outage outlasting the retries), not the run.
PUBLISH_ERRORS = (CKANAPIError, RetryableHTTPError, OSError)


def dataset_url(portal: str, name: str) -> str:
    return f"{portal.rstrip('/')}/dataset/{name}"


def organization_url(portal: str, name: str) -> str:
    return f"{portal.rstrip('/')}/organization/{name}"


# --- look-ups: did a write whose reply was lost go through? ------------------------------------


def _show(client: CKANClient, action: str, data: dict[str, Any]) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = client.call(action, data)
    except NotFound:
        return None
    return found


def find_organization(client: CKANClient, data: dict[str, Any]) -> dict[str, Any] | None:
    """The organization as ``data`` would make it (same metadata hash), else None."""
    found = _show(client, "organization_show", {"id": data["name"], "include_extras": True})
    wanted = extras_dict(data)[METADATA_HASH_KEY]
    return found if found and extras_dict(found).get(METADATA_HASH_KEY) == wanted else None


def find_package(client: CKANClient, data: dict[str, Any]) -> dict[str, Any] | None:
    """Our dataset as ``data`` would make it (same metadata hash), else None."""
    found = _show(client, "package_show", {"id": data["name"]})
    wanted = extras_dict(data)[METADATA_HASH_KEY]
    if found and is_ours(found) and extras_dict(found).get(METADATA_HASH_KEY) == wanted:
        return found
    return None


def _is_at(found: dict[str, Any], resource: ResourceFile) -> bool:
    wanted = resource_dict(resource)
    return all(
        found.get(key) == wanted[key] for key in (CONTENT_HASH_KEY, RESOURCE_METADATA_HASH_KEY)
    )


def find_resource(
    client: CKANClient, package_id: str, resource: ResourceFile
) -> dict[str, Any] | None:
    """The dataset's resource of that name already holding these bytes (sha256), else None."""
    package = _show(client, "package_show", {"id": package_id}) or {}
    for found in reversed(package.get("resources") or []):
        if found.get("name") == resource.name and _is_at(found, resource):
            return dict(found)
    return None


def find_resource_at(
    client: CKANClient, resource_id: str, resource: ResourceFile
) -> dict[str, Any] | None:
    """The resource if it already holds these bytes and metadata, else None."""
    found = _show(client, "resource_show", {"id": resource_id})
    return found if found and _is_at(found, resource) else None


# --- writes -------------------------------------------------------------------------------------


def apply_organization(client: CKANClient, plan: OrganizationPlan) -> OrganizationReceipt:
    data = organization_dict(plan.spec)
    if plan.action is Action.CREATE:
        client.call(
            "organization_create", data, already_done=lambda: find_organization(client, data)
        )
    elif plan.action is Action.UPDATE:
        client.call("organization_patch", {"id": plan.existing_id, **data})
    return OrganizationReceipt(
        name=plan.spec.name,
        action=plan.action.value,
        url=organization_url(client.url, plan.spec.name),
    )


def _preview(client: CKANClient, resource_id: str) -> dict[str, Any] | None:
    views = client.call("resource_view_list", {"id": resource_id})
    return next((view for view in views if view.get("view_type") == PREVIEW_VIEW_TYPE), None)


def _ensure_preview(client: CKANClient, resource_id: str) -> None:
    if _preview(client, resource_id) is None:
        client.call(
            "resource_view_create",
            {
                "resource_id": resource_id,
                "view_type": PREVIEW_VIEW_TYPE,
                "title": PREVIEW_VIEW_TITLE,
            },
            already_done=lambda: _preview(client, resource_id),
        )


class DatasetPublisher:
    """Applies one dataset's plan; a new instance per dataset, used by one thread."""

    def __init__(
        self, client: CKANClient, plan: DatasetPlan, batch_rows: int, parallel: int
    ) -> None:
        self.client = client
        self.plan = plan
        self.batch_rows = batch_rows
        self.parallel = parallel
        self.loading: tuple[str, bool] | None = None  # (resource, keyed) whose table is loading
        # The portal URL of each resource kept (by name), then of each one this run creates.
        self.urls: dict[str, str] = {
            step.resource.name: url for step in plan.resources if (url := self._existing_url(step))
        }

    def run(self) -> DatasetReceipt:
        tally = self.client.start_thread_tally()
        request = self.plan.request
        receipt = DatasetReceipt(
            name=self.plan.name,
            organization=request.organization.name,
            action=self.plan.action.value,
            url=dataset_url(self.client.url, self.plan.name),
            metadata_updated=self.plan.update_metadata and self.plan.action is Action.UPDATE,
            stray_resources=list(self.plan.stray_resources),
        )
        try:
            if self.plan.action is Action.CONFLICT:
                receipt.error = "a dataset of this name exists and is not published by ogp-pipeline"
            elif self.plan.action is Action.WITHHELD:
                log.warning(
                    "%s is private on the portal (withheld by a steward): left as it is",
                    self.plan.name,
                )
            elif self.plan.action is Action.UNCHANGED:
                receipt.resources = [self._unchanged(plan) for plan in self.plan.resources]
            else:
                self._apply(receipt)
        except PortalDeadlineError as error:  # the run stops; the caller raises it once
            receipt.error = str(error) + self._in_flight()
            receipt.action = "failed"
        except PUBLISH_ERRORS as error:
            receipt.error = f"{type(error).__name__}: {error}{self._in_flight()}"
            receipt.action = "failed"
            log.error("publishing %s failed: %s", self.plan.name, receipt.error)
        receipt.requests = tally.requests
        receipt.bytes_uploaded = sum(resource.bytes_uploaded for resource in receipt.resources)
        return receipt

    def _in_flight(self) -> str:
        """What an interruption left half-done that the public can see, said plainly."""
        if self.loading is None:
            return ""
        name, keyed = self.loading
        if keyed:
            return (
                f" (the DataStore table of {name} was being updated in place: it holds every "
                "old row, some already at their new values, until the re-run)"
            )
        return (
            f" (the DataStore table of {name} was being rebuilt: it may be partial until the "
            "re-run, which reloads it)"
        )

    def _unchanged(self, plan: ResourcePlan) -> ResourceReceipt:
        return ResourceReceipt(
            name=plan.resource.name,
            action=plan.action.value,
            id=plan.existing_id,
            url=self._existing_url(plan),
        )

    def _existing_url(self, plan: ResourcePlan) -> str | None:
        """The portal URL of the resource the plan keeps (by id: a duplicate of its name, which
        is removed, has its own)."""
        for found in (self.plan.existing or {}).get("resources") or []:
            if plan.existing_id is not None and found["id"] == plan.existing_id:
                return found.get("url") or None
        return None

    def _apply(self, receipt: DatasetReceipt) -> None:
        check_unique_keys(plan.resource for plan in self.plan.resources)  # before any write
        data = dataset_dict(self.plan.request.dataset)
        final_extras = list(data["extras"])
        if self.plan.publish_at_end:
            # Hidden and marked as being created until its last resource is in; the metadata
            # hash (taken with "private": False and no state, what it will be) stays the same.
            data["private"] = True
            data["extras"] = [*final_extras, {"key": STATE_KEY, "value": STATE_CREATING}]
        if self.plan.action is Action.CREATE:
            package = self.client.call(
                "package_create", data, already_done=lambda: find_package(self.client, data)
            )
        else:
            package = self.plan.existing or {}
            if self.plan.update_metadata:
                # package_patch without "resources" leaves the resources as they are.
                package = self.client.call("package_patch", {"id": package["id"], **data})
        for duplicate in self.plan.duplicate_resource_ids:
            self._delete_resource(duplicate)
            receipt.resources.append(
                ResourceReceipt(name="", action="removed-duplicate", id=duplicate)
            )
        for withdrawn in self.plan.withdrawn_resource_ids:
            self._delete_resource(withdrawn)
            receipt.resources.append(
                ResourceReceipt(name="", action="removed-withheld", id=withdrawn)
            )
        ids = []
        for plan in self.plan.resources:
            resource_receipt = self._apply_resource(package["id"], plan)
            receipt.resources.append(resource_receipt)
            ids.append(resource_receipt.id)
        if self.plan.reorder:
            self.client.call("package_resource_reorder", {"id": package["id"], "order": ids})
        if self.plan.publish_at_end:  # complete now: the public may see it
            self.client.call(
                "package_patch", {"id": package["id"], "private": False, "extras": final_extras}
            )

    def _delete_resource(self, resource_id: str) -> None:
        with contextlib.suppress(NotFound):  # already gone (a previous attempt got through)
            self.client.call("resource_delete", {"id": resource_id})

    def _descriptor_plan(self, plan: ResourcePlan) -> ResourcePlan:
        """The descriptor with the URLs the run has now (planned without the new ones)."""
        if plan.template is None:
            return plan
        resolved = with_portal_paths(plan.template, self.urls)
        if resolved.content_hash == plan.resource.content_hash:
            return plan
        return replace(plan, resource=resolved, upload=True, patch_metadata=False)

    def _apply_resource(self, package_id: str, plan: ResourcePlan) -> ResourceReceipt:
        receipt = self._write_resource(package_id, self._descriptor_plan(plan))
        if receipt.url:
            self.urls[receipt.name] = receipt.url
        return receipt

    def _write_resource(self, package_id: str, plan: ResourcePlan) -> ResourceReceipt:
        resource = plan.resource
        receipt = ResourceReceipt(
            name=resource.name,
            action=plan.action.value,
            steps=plan.reasons,
            id=plan.existing_id,
            url=self._existing_url(plan),
        )
        upload = (resource.name, resource.content, resource.mimetype)
        if plan.existing_id is None:
            # A stable-id resource (the OCDS package, which cites its own URL) gets that id.
            fixed = {"id": stable_resource_id(self.plan.name, resource.name)}
            created = self.client.call(
                "resource_create",
                {"package_id": package_id, **(fixed if resource.stable_id else {})}
                | resource_dict(resource),
                upload,
                already_done=lambda: find_resource(self.client, package_id, resource),
            )
            receipt.id, receipt.url = created["id"], created.get("url")
            receipt.bytes_uploaded = resource.size
        elif plan.upload:
            existing_id = plan.existing_id
            patched = self.client.call(
                "resource_patch",
                {"id": existing_id, **resource_dict(resource)},
                upload,
                already_done=lambda: find_resource_at(self.client, existing_id, resource),
            )
            receipt.url = patched.get("url")
            receipt.bytes_uploaded = resource.size
        elif plan.patch_metadata:
            self.client.call("resource_patch", {"id": plan.existing_id, **resource_dict(resource)})
        if plan.load_datastore and resource.datastore is not None and receipt.id is not None:
            # xloader empties the table and COPYs into it: never an update in place
            keyed = bool(resource.datastore.primary_key) and not offers_xloader(self.client)
            self.loading = (resource.name, keyed)
            receipt.datastore_rows = load_datastore(
                self.client,
                receipt.id,
                resource.datastore,
                self.batch_rows,
                replace=plan.existing_id is not None,
                parallel=self.parallel,
            )
            _ensure_preview(self.client, receipt.id)
            # Last: this marks the table complete, so an interrupted load is redone next run.
            self.client.call(
                "resource_patch",
                {
                    "id": receipt.id,
                    DATASTORE_HASH_KEY: datastore_hash(resource),
                    **loaded_marks(self.client),
                },
            )
            self.loading = None
        return receipt


def apply_plan(
    client: CKANClient,
    plan: CatalogPlan,
    max_workers: int,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    parallel: int = DEFAULT_PARALLEL,
) -> tuple[list[OrganizationReceipt], list[DatasetReceipt]]:
    """Organizations first (datasets need them), then datasets concurrently."""
    organizations = [apply_organization(client, org) for org in plan.organizations]
    with ThreadPoolExecutor(max_workers=max(1, max_workers)) as pool:
        datasets = list(
            pool.map(
                lambda p: DatasetPublisher(client, p, batch_rows, parallel).run(), plan.datasets
            )
        )
    return organizations, datasets
