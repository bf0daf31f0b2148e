"""One red-flag check per module, each a DuckDB query with named ``$parameters``.

Every query reads two relations registered by :mod:`pipelines.integrity.red_flags`:
``procurement`` (the clean table) and ``awards`` (its rows with status awarded or contracted),
and returns ``agency_code, project_id, detail``. The parameters come from
``datasets/procurement/red_flags.yaml``; DuckDB refuses a missing or an extra one, so the YAML
and the SQL cannot drift apart silently. ``detail`` never holds names or tax ids.
"""

from __future__ import annotations

from collections.abc import Mapping

from pipelines.integrity.flags import (
    above_budget,
    heavily_discounted,
    price_close_to_reference,
    short_bid_period,
    single_bid,
    split_purchases,
    supplier_share,
)

CHECKS: Mapping[str, str] = {
    "short_bid_period": short_bid_period.QUERY,
    "single_bid": single_bid.QUERY,
    "price_close_to_reference": price_close_to_reference.QUERY,
    "heavily_discounted": heavily_discounted.QUERY,
    "split_purchases": split_purchases.QUERY,
    "above_budget": above_budget.QUERY,
    "supplier_share": supplier_share.QUERY,
}
