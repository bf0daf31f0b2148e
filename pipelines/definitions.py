"""The Dagster code location: every asset from pull to report, the blocking checks, resources,
jobs, schedules and sensors. Loaded by ``workspace.yaml``, ``dg`` and ``ogp run``."""

from __future__ import annotations

import dagster as dg

from pipelines.defs.alerts import run_failure_alert
from pipelines.defs.freshness import apply_freshness
from pipelines.defs.integrity import build_integrity_assets
from pipelines.defs.locking import run_locked_executor
from pipelines.defs.publish import build_publish_assets, ckan_organizations, publish_resources
from pipelines.defs.pull import SPECS, agency_partitions, pull_assets
from pipelines.defs.readiness import build_readiness_asset
from pipelines.defs.schedules import jobs, schedules, sensors

PUBLISHED_FAMILIES = [name for name, spec in SPECS.items() if spec.partitioned]

publish_assets = build_publish_assets(PUBLISHED_FAMILIES, agency_partitions)
integrity_assets = build_integrity_assets(agency_partitions)
readiness_asset = build_readiness_asset(
    deps=[ckan_organizations, *publish_assets, *integrity_assets]
)

defs = dg.Definitions(
    assets=apply_freshness(
        [*pull_assets, ckan_organizations, *publish_assets, *integrity_assets, readiness_asset],
        SPECS,
    ),
    jobs=jobs,
    schedules=schedules,
    sensors=[*sensors, run_failure_alert],
    resources=publish_resources(),
    # every launched run holds its agency's run lock (pipelines/locks.py)
    executor=run_locked_executor,
)
