"""The intended catalog of a run: every validated partition on disk that passed its gate.

Partitions whose gate is closed are listed as blocked (and count as known, so their datasets on
the portal are neither touched nor flagged as orphans): the previously published version stays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipelines.contracts import Agency, DatasetSpec, load_agencies, load_specs
from pipelines.publish.model import PublishRequest
from pipelines.publish.partitions import Partition, find_partitions
from pipelines.publish.plan import CatalogScope
from pipelines.publish.request import (
    ReportPaths,
    build_request,
    derived_resources,
    withheld_resources,
)


class PartitionError(LookupError):
    """A partition on disk that the contracts do not describe (names the path)."""


@dataclass(frozen=True)
class Blocked:
    partition: Partition
    reason: str


@dataclass
class Catalog:
    requests: list[PublishRequest] = field(default_factory=list)
    blocked: list[Blocked] = field(default_factory=list)

    def scope(self) -> CatalogScope:
        partitions = [b.partition for b in self.blocked]
        return CatalogScope(
            organizations=frozenset(r.organization.name for r in self.requests)
            | frozenset(p.agency for p in partitions),
            families=frozenset(r.dataset.family for r in self.requests)
            | frozenset(p.family for p in partitions),
            known_datasets=frozenset(p.dataset_name for p in partitions),
        )


def request_for_partition(
    partition: Partition, spec: DatasetSpec, agency: Agency
) -> PublishRequest | Blocked:
    """The partition's publish request, or why it may not be published."""
    gate = partition.gate()
    if not gate.publishable:
        return Blocked(partition, gate.reason)
    table = partition.publishable_table(gate)
    return build_request(
        spec,
        agency,
        table,
        ReportPaths(partition.report_json, partition.report_html),
        extra_resources=derived_resources(spec, agency.agency_code, partition.data_dir),
        withheld=withheld_resources(spec, agency.agency_code, partition.data_dir),
    )


def collect_catalog(
    data_dir: Path,
    families: set[str] | None = None,
    agencies: set[str] | None = None,
    datasets_dir: Path | None = None,
) -> Catalog:
    specs = load_specs(datasets_dir)
    registry = {agency.agency_code: agency for agency in load_agencies(datasets_dir)}
    catalog = Catalog()
    for partition in find_partitions(data_dir, families, agencies):
        spec = specs.get(partition.family)
        agency = registry.get(partition.agency)
        if spec is None or agency is None:
            raise PartitionError(
                f"{partition.clean_path}: no dataset contract {partition.family!r} or no agency "
                f"{partition.agency!r} in the registry"
            )
        outcome = request_for_partition(partition, spec, agency)
        if isinstance(outcome, Blocked):
            catalog.blocked.append(outcome)
        else:
            catalog.requests.append(outcome)
    return catalog
