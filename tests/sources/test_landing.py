"""The landing area keeps every received file, by content, with provenance; never overwrites."""

import hashlib
import json

import pytest

from pipelines.contracts import FileSource
from pipelines.sources import file, pull_source
from pipelines.sources.errors import SourceError
from pipelines.sources.landing import LandingArea


def test_same_bytes_are_stored_once_and_never_rewritten(tmp_path):
    landing = LandingArea(tmp_path, "budget", "rid")
    first = landing.store(b"a,b\n1,2\n", source="one.csv", ext=".CSV")
    stamp = first.path.stat().st_mtime_ns
    second = landing.store([b"a,b\n", b"1,2\n"], source="two.csv", ext="csv")
    assert first.new
    assert not second.new
    assert second.path == first.path
    assert first.path.stat().st_mtime_ns == stamp
    assert first.path.name == hashlib.sha256(b"a,b\n1,2\n").hexdigest() + ".csv"
    meta = json.loads(first.path.with_name(first.path.name + ".json").read_text())
    assert meta["source"] == "one.csv"
    assert meta["size"] == 8
    assert not [p for p in landing.root.iterdir() if p.name.startswith(".incoming")]


def test_file_source_glob_and_latest_index(tmp_path):
    drops = tmp_path / "drops" / "rid"
    drops.mkdir(parents=True)
    (drops / "budget_2567.csv").write_text("x\n1\n")
    (drops / "budget_2568.csv").write_text("x\n2\n")
    (drops / "notes.txt").write_text("not data")
    landing = LandingArea(tmp_path / "data", "budget", "rid")
    landed = pull_source(FileSource(path="drops/rid/budget_*"), landing, base_dir=tmp_path)
    assert [f.provenance.source for f in landed] == [
        "drops/rid/budget_2567.csv",
        "drops/rid/budget_2568.csv",
    ]
    assert [f.path for f in landing.latest()] == [f.path for f in landed]
    (drops / "budget_2568.csv").write_text("x\n3\n")
    pull_source(FileSource(path="drops/rid/budget_*"), landing, base_dir=tmp_path)
    assert len(landing.received()) == 3  # the old 2568 file is still there
    assert len(landing.latest()) == 2


def test_missing_files_are_an_error(tmp_path):
    landing = LandingArea(tmp_path, "budget", "rid")
    with pytest.raises(SourceError, match=r"nowhere/\*\.csv: no file matches"):
        file.pull(FileSource(path="nowhere/*.csv"), landing, base_dir=tmp_path)
