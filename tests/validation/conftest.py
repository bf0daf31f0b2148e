from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.validation.frictionless_ref import ReferenceTable

from .corpus import AGENCIES, AGENCIES_SCHEMA, write_csv


@pytest.fixture
def agencies(tmp_path: Path) -> dict[str, ReferenceTable]:
    path = write_csv(tmp_path / "agencies.csv", AGENCIES)
    return {"agencies": ReferenceTable(path=path, schema=AGENCIES_SCHEMA)}
