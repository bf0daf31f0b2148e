"""Run one red flag, from red_flags.yaml (optionally re-tuned), over crafted rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

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
    """``flagged("R003", rows, min_days=20)`` -> the project ids R003 flags."""

    def run(flag_id: str, rows: list[dict[str, Any]], **parameters: Any) -> list[str]:
        spec = specs[flag_id]
        if parameters:
            spec = spec.model_copy(update={"parameters": {**spec.parameters, **parameters}})
        return flagged_projects(compute_flags(make_table(rows), [spec]), flag_id)

    return run
