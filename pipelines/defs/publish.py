"""Dagster assets that publish to CKAN: ``published_<family>`` per agency partition, and
``ckan_organizations`` from the agency registry.

A partition is published only when its validation gate is open (``report.json``
``"publishable": true``); otherwise the asset fails with the reason and the version already on
the portal stays as it was.
"""

# No `from __future__ import annotations`: Dagster reads the context annotation at run time.
from collections.abc import Iterable, Sequence

import dagster as dg

from pipelines.contracts import load_agencies, load_spec
from pipelines.defs.locking import step_lock
from pipelines.layout import CKAN_ORGANIZATIONS, clean_key, published_key
from pipelines.publish.catalog import Blocked, request_for_partition
from pipelines.publish.ckan import CKANPublisher, default_receipts_dir
from pipelines.publish.partitions import Partition
from pipelines.publish.plan import CatalogScope
from pipelines.publish.receipt import PublishReceipt
from pipelines.publish.request import organization_spec
from pipelines.settings import get_settings

RESOURCE_KEY = "ckan_publisher"
GROUP = "publish"


def receipt_metadata(receipt: PublishReceipt) -> dict[str, dg.MetadataValue]:
    """A receipt as Dagster metadata (one dataset: its URL and resources; always the totals)."""
    metadata: dict[str, dg.MetadataValue] = {
        "requests": dg.MetadataValue.int(receipt.requests),
        "bytes_uploaded": dg.MetadataValue.int(receipt.bytes_uploaded),
        "receipt": dg.MetadataValue.path(str(default_receipts_dir() / f"{receipt.run_id}.json")),
        "receipt_json": dg.MetadataValue.json(receipt.model_dump(mode="json")),
    }
    if len(receipt.datasets) == 1:
        dataset = receipt.datasets[0]
        metadata["action"] = dg.MetadataValue.text(dataset.action)
        if dataset.url:
            metadata["dataset_url"] = dg.MetadataValue.url(dataset.url)
        rows = "\n".join(
            f"| {r.name} | {r.action} | {', '.join(r.steps)} | {r.bytes_uploaded:,} |"
            for r in dataset.resources
        )
        metadata["resources"] = dg.MetadataValue.md(
            "| resource | action | steps | bytes |\n|---|---|---|---|\n" + rows
        )
    if receipt.orphans:
        metadata["orphans"] = dg.MetadataValue.json(receipt.orphans)
    return metadata


def publish_partition(family: str, agency_code: str, publisher: CKANPublisher) -> PublishReceipt:
    """Publish one family x agency partition, or raise ``dg.Failure`` when its gate is closed."""
    registry = {agency.agency_code: agency for agency in load_agencies()}
    if agency_code not in registry:
        raise dg.Failure(description=f"agency {agency_code!r} is not in the agency registry")
    partition = Partition.at(get_settings().data_dir, family, agency_code)
    if not partition.clean_path.is_file():
        raise dg.Failure(description=f"no clean table at {partition.clean_path}")
    outcome = request_for_partition(partition, load_spec(family), registry[agency_code])
    if isinstance(outcome, Blocked):
        raise dg.Failure(
            description=(
                f"{partition.dataset_name} not published: {outcome.reason}. "
                "The version already on the portal stays as it was."
            ),
            metadata={"report": dg.MetadataValue.path(str(partition.report_json))},
        )
    scope = CatalogScope(frozenset({agency_code}), frozenset({family}))
    return publisher.publish([outcome], scope=scope)


def _published_asset(family: str, partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        name=published_key(family),
        partitions_def=partitions_def,
        deps=[
            dg.AssetKey(clean_key(family)),
            *(dg.AssetKey(d.asset) for d in load_spec(family).derived_resources),
        ],
        group_name=GROUP,
        required_resource_keys={RESOURCE_KEY},
        kinds={"ckan"},
        description=f"The {family} dataset of each agency on the CKAN portal "
        "(resources per fiscal year, DataStore table, datapackage.json, validation report).",
    )
    def _asset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        publisher: CKANPublisher = getattr(context.resources, RESOURCE_KEY)
        # reads the gate's outputs and writes the agency's dataset under the family's lock
        with step_lock(context, family):
            receipt = publish_partition(family, context.partition_key, publisher)
        return dg.MaterializeResult(metadata=receipt_metadata(receipt))

    return _asset


def build_publish_assets(
    families: Iterable[str], partitions_def: dg.PartitionsDefinition
) -> list[dg.AssetsDefinition]:
    """``published_<family>`` for each family, partitioned like its clean asset."""
    return [_published_asset(family, partitions_def) for family in families]


@dg.asset(
    name=CKAN_ORGANIZATIONS,
    group_name=GROUP,
    required_resource_keys={RESOURCE_KEY},
    kinds={"ckan"},
    description="One CKAN organization per agency of the registry (Thai title, English in extras).",
)
def ckan_organizations(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    publisher: CKANPublisher = getattr(context.resources, RESOURCE_KEY)
    organizations = [organization_spec(agency) for agency in load_agencies()]
    with step_lock(context, "organizations"):
        receipt = publisher.publish([], organizations=organizations)
    actions: dict[str, int] = {}
    for org in receipt.organizations:
        actions[org.action] = actions.get(org.action, 0) + 1
    return dg.MaterializeResult(
        metadata={
            **receipt_metadata(receipt),
            "organizations": dg.MetadataValue.int(len(receipt.organizations)),
            "actions": dg.MetadataValue.json(actions),
        }
    )


def publish_resources() -> dict[str, CKANPublisher]:
    """The resource the assets need, configured from the environment (``OGP_CKAN_*``)."""
    return {RESOURCE_KEY: CKANPublisher()}


__all__: Sequence[str] = [
    "build_publish_assets",
    "ckan_organizations",
    "publish_partition",
    "publish_resources",
    "receipt_metadata",
]
