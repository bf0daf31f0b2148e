"""The cycle collector's thresholds (pipelines/collector.py): set by importing the package, in a
fresh interpreter as every `ogp` command and Dagster process starts, and never lowered."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator

import pytest

from pipelines.collector import OLDER_EVERY, YOUNG_OBJECTS, relax_thresholds


@pytest.fixture
def thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_a_fresh_process_importing_the_package_has_the_relaxed_thresholds() -> None:
    code = (
        "import gc; a = gc.get_threshold(); import pipelines; print(*a); print(*gc.get_threshold())"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    default, relaxed = (tuple(map(int, line.split())) for line in done.stdout.splitlines())
    assert default[0] < YOUNG_OBJECTS  # CPython's own, so the import is what raised them
    assert relaxed == (YOUNG_OBJECTS, OLDER_EVERY, OLDER_EVERY)


def test_thresholds_are_raised_to_the_floor_and_never_lowered(thresholds: None) -> None:
    gc.set_threshold(700, 10, 10)
    relax_thresholds()
    assert gc.get_threshold() == (YOUNG_OBJECTS, OLDER_EVERY, OLDER_EVERY)
    gc.set_threshold(YOUNG_OBJECTS * 3, 5, OLDER_EVERY * 2)
    relax_thresholds()
    assert gc.get_threshold() == (YOUNG_OBJECTS * 3, OLDER_EVERY, OLDER_EVERY * 2)


def test_the_collector_still_runs_so_cyclic_garbage_goes(thresholds: None) -> None:
    relax_thresholds()
    assert gc.isenabled()
    collections_before = gc.get_stats()[0]["collections"]
    for _ in range(YOUNG_OBJECTS * 2):
        cycle: list[object] = []
        cycle.append(cycle)
    assert gc.get_stats()[0]["collections"] > collections_before
