"""Run one red flag, from red_flags.yaml (optionally re-tuned), over crafted rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pytest

from pipelines.integrity.flags.inputs import BIDS_SCHEMA
from pipelines.integrity.red_flags import (
    FlagSpec,
    compute_flags,
    flagged_projects,
    load_flag_specs,
)

Flagged = Callable[..., list[str]]


@pytest.fixture(scope="session")
def specs() -> dict[str, FlagSpec]:
    return {spec.id: spec for spec in load_flag_specs()}


@pytest.fixture
def flagged(specs: dict[str, FlagSpec], make_table: Callable[..., Any]) -> Flagged:
    """``flagged("R003", rows, threshold=20)`` -> the project ids R003 flags; ``bids=[...]``
    (dicts with project_id, agency_code, bidder_tax_id, bid_amount, bid_status) for the bid
    flags."""

    def run(
        flag_id: str,
        rows: list[dict[str, Any]],
        bids: list[dict[str, Any]] | None = None,
        **parameters: Any,
    ) -> list[str]:
        spec = specs[flag_id]
        if parameters:
            spec = spec.model_copy(update={"parameters": {**spec.parameters, **parameters}})
        table = None if bids is None else pa.Table.from_pylist(bids, schema=BIDS_SCHEMA)
        return flagged_projects(compute_flags(make_table(rows), [spec], table), flag_id)

    return run
