"""One red-flag check per module, each a DuckDB query with named ``$parameters``.

The queries read the relations of :mod:`pipelines.integrity.flags.inputs`: ``procurement``,
``processes`` (not cancelled), ``awards`` (an active award: status awarded or contracted) and
``bids``; Cardinal's quartiles are the macros of :mod:`.quartiles`. Each returns
``agency_code, project_id, detail, values`` (``values``: JSON text of what triggered the flag).
The parameters come from ``datasets/procurement/red_flags.yaml``; DuckDB refuses a missing or an
extra one, so the YAML and the SQL cannot drift apart silently. ``detail`` and ``values`` never
hold names or personal ids (a tenderer is named by its juristic-person id only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pipelines.integrity.flags import (
    above_budget,
    disqualified,
    disqualified_ratio,
    price_close_to_reference,
    second_lowest_bid,
    short_bid_period,
    single_bid,
    split_purchases,
    supplier_share,
)


@dataclass(frozen=True)
class Check:
    query: str
    needs_bids: bool = False  # not computable for an agency without a bids table
    # a query giving (processes, q1, q3) of the peers a computed fence is drawn from; its flag
    # is not computable below ``minimum_processes`` peers or without spread (Q1 = Q3)
    population: str | None = None


CHECKS: Mapping[str, Check] = {
    "short_bid_period": Check(short_bid_period.QUERY),
    "single_bid": Check(single_bid.QUERY),
    "second_bid_close": Check(
        second_lowest_bid.CLOSE_QUERY, needs_bids=True, population=second_lowest_bid.POPULATION
    ),
    "second_bid_discounted": Check(
        second_lowest_bid.DISCOUNTED_QUERY, needs_bids=True, population=second_lowest_bid.POPULATION
    ),
    "all_but_winner_disqualified": Check(disqualified.ALL_BUT_WINNER, needs_bids=True),
    "lowest_bid_disqualified": Check(disqualified.LOWEST_DISQUALIFIED, needs_bids=True),
    "disqualified_ratio": Check(disqualified_ratio.QUERY, needs_bids=True),
    "price_close_to_reference": Check(price_close_to_reference.QUERY),
    "split_purchases": Check(split_purchases.QUERY),
    "above_budget": Check(above_budget.QUERY),
    "supplier_share": Check(supplier_share.QUERY),
}
