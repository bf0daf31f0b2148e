"""Freshness policies from each contract's update frequency, so late data shows in the UI.

An agency that misses its publication duty turns its ``published_<family>`` asset amber
(warn) and then red (fail) in the Dagster UI, without anyone reading a calendar.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import dagster as dg

from pipelines.contracts import DatasetSpec
from pipelines.layout import PUBLISHED_PREFIX, family_of, stage_of

# (warn, fail) after the last successful publication, per the contract's update frequency (the
# words the contract grammar allows; ``as_needed`` reference data has no policy). Partitions
# awaiting data are not publications and never late: Dagster reads the asset's latest
# materialization, and an awaiting partition has none (an asset no agency has sent data for
# yet is UNKNOWN, not failed).
WINDOWS: dict[str, tuple[timedelta, timedelta]] = {
    "daily": (timedelta(days=1, hours=6), timedelta(days=2)),
    "weekly": (timedelta(days=8), timedelta(days=10)),
    "monthly": (timedelta(days=35), timedelta(days=40)),
    "quarterly": (timedelta(days=95), timedelta(days=100)),
    "yearly": (timedelta(days=370), timedelta(days=400)),
    "annually": (timedelta(days=370), timedelta(days=400)),
}


def freshness_policy(spec: DatasetSpec) -> dg.FreshnessPolicy | None:
    window = WINDOWS.get(spec.ckan.update_frequency)
    if window is None:
        return None
    warn, fail = window
    return dg.FreshnessPolicy.time_window(fail_window=fail, warn_window=warn)


def apply_freshness(
    assets: Sequence[dg.AssetsDefinition], specs: dict[str, DatasetSpec]
) -> list[dg.AssetsDefinition]:
    """``assets`` with a freshness policy on every ``published_<family>`` asset."""

    def attach(asset_spec: dg.AssetSpec) -> dg.AssetSpec:
        name = asset_spec.key.to_user_string()
        family = family_of(name) if stage_of(name) == PUBLISHED_PREFIX else None
        policy = freshness_policy(specs[family]) if family is not None and family in specs else None
        if policy is None:
            return asset_spec
        return dg.apply_freshness_policy(asset_spec, policy)

    return list(dg.map_asset_specs(attach, assets))
