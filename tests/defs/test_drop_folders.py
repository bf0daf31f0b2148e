"""The drop sensor lists each folder once per tick (DropFolders) and must see exactly what the
file connector's glob (matching_files) sees, so a cursor written before keeps its fingerprints."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelines.defs.schedules import DropFolders
from pipelines.sources.file import matching_files


def reference(pattern: str, base_dir: Path) -> list[tuple[str, int, int]]:
    return [
        (str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in matching_files(pattern, base_dir)
    ]


@pytest.fixture
def drops(tmp_path: Path) -> Path:
    """An agency folder holding what stewards and mishaps leave: data files of several
    families and years, a hidden file, a link, a FIFO and a folder named like a data file."""
    folder = tmp_path / "drops" / "agency1"
    folder.mkdir(parents=True)
    for number, name in enumerate(
        [
            "procurement_2568.csv",
            "procurement_2567.xlsx",
            "procurement_bids_2568.csv",
            "budget_2568.csv",
            "Budget_2567.csv",  # another case: not the pattern's file on Linux
            "decisions_2568.csv",
            ".procurement_2569.csv",  # hidden: never taken
        ]
    ):
        (folder / name).write_bytes(b"x" * (number + 1))
    (folder / "budget_2569.csv").symlink_to(folder / "budget_2568.csv")
    os.mkfifo(folder / "decisions_2569.csv")
    (folder / "procurement_2570.csv").mkdir()
    return tmp_path


PATTERNS = [
    "drops/agency1/procurement_[0-9]*",
    "drops/agency1/procurement_bids_*",
    "drops/agency1/budget_*",
    "drops/agency1/decisions_*.csv",
    "drops/agency1/*",
    "drops/agency1/budget_2568.csv",  # no wildcard at all
    "drops/agency2/budget_*",  # no such folder
    "drops/*/budget_*",  # a wildcard in the folder part: globbed
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_relative_pattern_lists_what_the_glob_lists(drops: Path, pattern: str) -> None:
    folders = DropFolders(drops)
    expected = reference(pattern, drops)
    assert folders.files(pattern) == expected
    assert folders.files(pattern) == expected  # from the tick's cache, the same


def test_absolute_pattern_and_the_files_it_keeps(drops: Path) -> None:
    pattern = f"{drops}/drops/agency1/budget_*"
    found = DropFolders(Path("/nonexistent")).files(pattern)
    assert found == reference(pattern, Path("/nonexistent"))
    # the regular file only: the link, the other case and the hidden name are left out
    assert [Path(path).name for path, _, _ in found] == ["budget_2568.csv"]
    assert DropFolders(drops).files(f"{drops}/drops/agency1/decisions_*") == [
        (str(drops / "drops/agency1/decisions_2568.csv"), 6, found_mtime(drops, "decisions"))
    ]  # the FIFO is not taken


def found_mtime(drops: Path, family: str) -> int:
    return (drops / "drops" / "agency1" / f"{family}_2568.csv").stat().st_mtime_ns


def test_one_listing_per_folder_per_tick(drops: Path) -> None:
    folders = DropFolders(drops)
    before = folders.files("drops/agency1/budget_*")
    (drops / "drops" / "agency1" / "budget_2570.csv").write_bytes(b"new")
    # the same tick does not see it (one listing per folder), the next tick does
    assert folders.files("drops/agency1/budget_*") == before
    assert len(DropFolders(drops).files("drops/agency1/budget_*")) == len(before) + 1
