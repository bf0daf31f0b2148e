"""The cycle collector's thresholds (pipelines/collector.py): set by importing the package, in a
fresh interpreter as every `ogp` command and Dagster process starts; never lowered, and never
turning automatic collection back on; cyclic garbage still freed without an explicit collect."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest

from pipelines.collector import OLDER_EVERY, YOUNG_OBJECTS, relax_thresholds


@pytest.fixture
def thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def fresh_python(code: str) -> list[int]:
    """The integers a fresh interpreter prints running ``code``."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True
    )
    return [int(word) for word in done.stdout.split()]


def test_a_fresh_process_importing_the_package_has_the_relaxed_thresholds() -> None:
    default, *relaxed = fresh_python(
        "import gc; print(gc.get_threshold()[0]); import pipelines; print(*gc.get_threshold())"
    )
    assert default < YOUNG_OBJECTS  # CPython's own, so the import is what raised them
    assert relaxed == [YOUNG_OBJECTS, OLDER_EVERY, OLDER_EVERY]


def test_thresholds_are_raised_to_the_floor_and_never_lowered(thresholds: None) -> None:
    gc.set_threshold(700, 10, 10)
    relax_thresholds()
    assert gc.get_threshold() == (YOUNG_OBJECTS, OLDER_EVERY, OLDER_EVERY)
    gc.set_threshold(YOUNG_OBJECTS * 3, 5, OLDER_EVERY * 2)
    relax_thresholds()
    assert gc.get_threshold() == (YOUNG_OBJECTS * 3, OLDER_EVERY, OLDER_EVERY * 2)


def test_automatic_collection_turned_off_stays_off(thresholds: None) -> None:
    gc.set_threshold(0)  # the documented way to turn it off: the most relaxed setting
    relax_thresholds()
    assert gc.get_threshold()[0] == 0


def test_cycles_are_freed_by_the_automatic_collector_alone() -> None:
    young, alive = fresh_python(
        """
        import weakref, gc
        import pipelines

        class Node:
            pass

        refs = []
        for _ in range(300_000):
            node = Node()
            node.me = node
            refs.append(weakref.ref(node))
        del node
        print(gc.get_threshold()[0], sum(r() is not None for r in refs))
        """
    )
    assert young == YOUNG_OBJECTS
    # no gc.collect(): at most the cycles made since the last young collection are alive
    assert alive <= young, alive
