"""``CKANPublisher``: the Dagster resource that puts the intended catalog on a CKAN portal.

    publisher = CKANPublisher()            # OGP_CKAN_URL / OGP_CKAN_TOKEN, else the local portal
    plan = publisher.plan(requests)        # the diff, no writes
    receipt = publisher.publish(requests)  # apply it; the receipt says what changed

Reading the portal's state costs one ``organization_list`` per 25 organizations and one
``package_search`` per 1,000 datasets, so re-publishing an unchanged catalog costs a handful of
requests in total and uploads nothing.

One publish has an overall deadline (``deadline_s``, default ``OGP_CKAN_DEADLINE_S``): a portal
that keeps answering 429 or 5xx, or hangs, ends it with :class:`PortalDeadlineError` and one line
saying so; the receipt is still written, also when the organizations or the planning reads fail.
Using the resource installs the log redaction of :mod:`pipelines.redaction` and registers its
token there; every error leaving ``plan`` and ``publish`` is rebuilt from redacted text without
its cause or context, so Dagster's failure event (message, stack, cause chain) holds no secret.

The token is never configuration: it is read from ``OGP_CKAN_TOKEN`` or the local portal's token
file (:meth:`pipelines.settings.Settings.ckan_api_token`), so no run config, launchpad, stored
run or ``model_dump`` of the resource can hold it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dagster import ConfigurableResource, InitResourceContext
from pydantic import Field

from pipelines.layout import receipts_dir
from pipelines.publish.client import CKANClient, PortalDeadlineError
from pipelines.publish.datastore import DEFAULT_BATCH_ROWS, DEFAULT_PARALLEL
from pipelines.publish.executor import apply_plan, dataset_url, organization_url
from pipelines.publish.model import OrganizationSpec, PublishRequest
from pipelines.publish.plan import CatalogPlan, CatalogScope, plan_catalog
from pipelines.publish.receipt import (
    DatasetReceipt,
    OrganizationReceipt,
    PublishError,
    PublishReceipt,
    ResourceReceipt,
)
from pipelines.redaction import clean_exception, install_log_redaction, register_secret
from pipelines.settings import Settings, get_settings

ORGANIZATIONS_PER_PAGE = 25  # CKAN's cap for organization_list with all_fields
DATASETS_PER_PAGE = 1000  # CKAN's default cap for package_search rows
ORGANIZATIONS_PER_QUERY = 100  # keeps the package_search filter a reasonable size


def default_receipts_dir(settings: Settings | None = None) -> Path:
    return receipts_dir((settings or get_settings()).data_dir)


def _chunks(items: Sequence[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def fetch_organizations(client: CKANClient, names: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The portal's organizations among ``names`` (with extras), by name."""
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(sorted(set(names)), ORGANIZATIONS_PER_PAGE):
        rows = client.call(
            "organization_list",
            {
                "all_fields": True,
                "include_extras": True,
                "organizations": chunk,
                "limit": len(chunk),
            },
        )
        found.update({row["name"]: row for row in rows})
    return found


def fetch_datasets(client: CKANClient, organizations: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Every dataset (with resources and extras) owned by ``organizations``, by name."""
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(sorted(set(organizations)), ORGANIZATIONS_PER_QUERY):
        query = {
            "fq": "organization:(" + " OR ".join(chunk) + ")",
            "rows": DATASETS_PER_PAGE,
            "include_private": True,
            "sort": "name asc",
        }
        start = 0
        while True:
            page = client.call("package_search", {**query, "start": start})
            found.update({package["name"]: package for package in page["results"]})
            start += len(page["results"])
            if not page["results"] or start >= page["count"]:
                break
    return found


class PublishDeadlineError(PublishError, PortalDeadlineError):
    """The overall deadline stopped a publish: its one-line message, and the receipt of what was
    done before (callers that handle :class:`PublishError` show both)."""

    def __init__(self, message: str, receipt: PublishReceipt) -> None:
        self.receipt = receipt
        RuntimeError.__init__(self, message)


class CKANPublisher(ConfigurableResource):
    """Publishes to a CKAN portal through its action API (ckanapi).

    ``url`` defaults to the settings (``OGP_CKAN_URL``). There is deliberately no token field:
    Dagster stores resource config with the run, so the token comes only from the environment
    (``OGP_CKAN_TOKEN``) or the local portal's token file, and is never shown (not in repr,
    logs, errors, receipts or stored runs).
    """

    url: str | None = Field(default=None, description="CKAN site URL (default: OGP_CKAN_URL)")
    timeout_s: float | None = Field(default=None, description="per-request timeout")
    max_workers: int | None = Field(default=None, description="datasets published at once")
    max_attempts: int = Field(default=5, description="tries per request (connection, 5xx, 429)")
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    datastore_batch_rows: int = DEFAULT_BATCH_ROWS
    datastore_parallel: int = Field(default=DEFAULT_PARALLEL, description="batches in flight")
    deadline_s: float | None = Field(
        default=None, description="bound on one publish, retries included (OGP_CKAN_DEADLINE_S)"
    )

    def __init__(self, **config: Any) -> None:
        if "token" in config:  # refused loudly (never echoed): a literal token would be stored
            raise TypeError(
                "CKANPublisher takes no token: set OGP_CKAN_TOKEN or the portal's token file"
            )
        super().__init__(**config)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """At the start of a Dagster run: redact the token from every log record from now on."""
        install_log_redaction()
        register_secret(get_settings().ckan_api_token())

    def site_url(self) -> str:
        return (self.url or get_settings().ckan_url).rstrip("/")

    def client(self, on_request: Callable[[str], None] | None = None) -> CKANClient:
        """A new API client; ``on_request(action)`` is called before every attempt (tests)."""
        settings = get_settings()
        install_log_redaction()
        token = settings.ckan_api_token()
        return CKANClient(
            self.site_url(),
            token,
            timeout_s=self.timeout_s or settings.ckan_timeout_s,
            max_attempts=self.max_attempts,
            backoff_initial_s=self.backoff_initial_s,
            backoff_max_s=self.backoff_max_s,
            on_request=on_request,
            deadline_s=self.deadline_s or settings.ckan_deadline_s,
            max_reply_bytes=settings.ckan_max_reply_bytes,
        )

    # --- planning ---------------------------------------------------------------------------

    def plan_with(
        self,
        client: CKANClient,
        requests: Sequence[PublishRequest],
        scope: CatalogScope | None = None,
        organizations: Iterable[OrganizationSpec] = (),
    ) -> CatalogPlan:
        extra_orgs = list(organizations)
        org_names = {r.organization.name for r in requests} | {o.name for o in extra_orgs}
        dataset_orgs = {r.organization.name for r in requests}
        if scope is not None:
            dataset_orgs |= set(scope.organizations)
        portal_orgs = fetch_organizations(client, org_names)
        packages = fetch_datasets(client, dataset_orgs) if dataset_orgs else {}
        return plan_catalog(requests, portal_orgs, packages, scope, extra_orgs)

    def plan(
        self,
        requests: Sequence[PublishRequest],
        scope: CatalogScope | None = None,
        organizations: Iterable[OrganizationSpec] = (),
    ) -> CatalogPlan:
        """The diff between ``requests`` and the portal (reads only)."""
        failure: BaseException
        try:
            client = self.client()
            try:
                return self.plan_with(client, requests, scope, organizations)
            finally:
                client.close()
        except Exception as error:
            failure = clean_exception(error)
        raise failure  # outside the handler: no context carries the original

    # --- publishing -------------------------------------------------------------------------

    def publish(
        self,
        requests: Sequence[PublishRequest],
        scope: CatalogScope | None = None,
        organizations: Iterable[OrganizationSpec] = (),
        dry_run: bool = False,
        receipts_dir: Path | None = None,
        on_request: Callable[[str], None] | None = None,
        raise_on_error: bool = True,
    ) -> PublishReceipt:
        """Make the portal hold exactly ``requests`` (and ``organizations``); returns the receipt.

        The receipt is written to ``receipts_dir`` (default ``data/publish/receipts``) even when
        some datasets failed; then :class:`PublishError` is raised (unless ``raise_on_error`` is
        False) carrying the server's messages.
        """
        failure: BaseException | None = None
        try:
            client = self.client(on_request)
        except Exception as error:
            failure = clean_exception(error)
        if failure is not None:
            raise failure  # e.g. an unusable token: nothing was sent, nothing to record
        receipt = PublishReceipt(run_id=_run_id(), portal=client.url, dry_run=dry_run)
        deadline: PortalDeadlineError | None = None
        try:
            plan = self.plan_with(client, requests, scope, organizations)
            receipt.orphans = list(plan.orphans)
            if dry_run:
                receipt.organizations, receipt.datasets = receipt_of_plan(plan, client.url)
            else:
                receipt.organizations, receipt.datasets = apply_plan(
                    client,
                    plan,
                    self.max_workers or get_settings().ckan_max_workers,
                    self.datastore_batch_rows,
                    self.datastore_parallel,
                )
        except PortalDeadlineError as error:
            deadline = error
        except Exception as error:  # an organization or a planning read failed: still recorded
            failure = clean_exception(error)
        finally:
            receipt.requests = client.traffic.total.requests
            receipt.bytes_uploaded = sum(d.bytes_uploaded for d in receipt.datasets)
            receipt.finished_at = datetime.now(UTC)
            client.close()
        deadline = deadline or client.deadline_error  # a dataset's thread may have met it
        if deadline is not None:
            receipt.error = str(deadline)
        elif failure is not None:
            receipt.error = f"{type(failure).__name__}: {failure}"
        if not dry_run:
            receipt.write(receipts_dir or default_receipts_dir())
        if deadline is not None:
            raise PublishDeadlineError(str(deadline), receipt) from None
        if failure is not None:
            raise failure
        if raise_on_error and receipt.failures:
            raise PublishError(receipt)
        return receipt


def receipt_of_plan(
    plan: CatalogPlan, portal: str
) -> tuple[list[OrganizationReceipt], list[DatasetReceipt]]:
    """What a dry run reports: the planned actions, nothing done."""
    organizations = [
        OrganizationReceipt(
            name=org.spec.name, action=org.action.value, url=organization_url(portal, org.spec.name)
        )
        for org in plan.organizations
    ]
    datasets = [
        DatasetReceipt(
            name=dataset.name,
            organization=dataset.request.organization.name,
            action=dataset.action.value,
            url=dataset_url(portal, dataset.name),
            metadata_updated=dataset.update_metadata,
            stray_resources=list(dataset.stray_resources),
            resources=[
                ResourceReceipt(
                    name=r.resource.name, action=r.action.value, steps=r.reasons, id=r.existing_id
                )
                for r in dataset.resources
            ],
        )
        for dataset in plan.datasets
    ]
    return organizations, datasets


def _run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]
