"""Partitions on disk and their publication gate."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.publish.partitions import GateError, Partition, find_partitions, read_gate


def write_partition(data_dir: Path, family: str, agency: str, report: object) -> Partition:
    clean = data_dir / "clean" / family / agency / f"{family}.parquet"
    clean.parent.mkdir(parents=True)
    pq.write_table(pa.table({"id": ["a", "b", "c", "d"]}), clean)
    validation = data_dir / "validation" / family / agency
    validation.mkdir(parents=True)
    if report is not None:
        (validation / "report.json").write_text(json.dumps(report), encoding="utf-8")
    return Partition(family, agency, clean, validation)


def test_finds_partitions_with_filters(tmp_path: Path) -> None:
    write_partition(tmp_path, "budget", "cgd", {"publishable": True})
    write_partition(tmp_path, "procurement", "cgd", {"publishable": True})
    write_partition(tmp_path, "procurement", "rid", None)
    found = find_partitions(tmp_path)
    assert [(p.family, p.agency) for p in found] == [
        ("budget", "cgd"),
        ("procurement", "cgd"),
        ("procurement", "rid"),
    ]
    only = find_partitions(tmp_path, families={"procurement"}, agencies={"rid"})
    assert [p.dataset_name for p in only] == ["rid-procurement"]


def test_gate_closed_without_report_or_when_checks_failed(tmp_path: Path) -> None:
    missing = write_partition(tmp_path, "budget", "cgd", None)
    assert not missing.gate().publishable
    assert "no validation report" in missing.gate().reason
    failed = write_partition(tmp_path, "budget", "rid", {"publishable": False, "reason": "schema"})
    assert failed.gate() == read_gate(failed.report_json)
    assert (failed.gate().publishable, failed.gate().reason) == (False, "schema")


def test_publishes_the_gates_table_never_the_clean_one(tmp_path: Path) -> None:
    partition = write_partition(tmp_path, "budget", "cgd", {"publishable": True})
    pq.write_table(pa.table({"id": ["a", "c"]}), partition.validation_dir / "publishable.parquet")
    table = partition.publishable_table(partition.gate())
    assert table.column("id").to_pylist() == ["a", "c"]


def test_missing_publishable_table_is_an_error(tmp_path: Path) -> None:
    partition = write_partition(tmp_path, "budget", "cgd", {"publishable": True})
    with pytest.raises(GateError, match="publishable table"):
        partition.publishable_table(partition.gate())


@pytest.mark.parametrize(
    ("report", "message"),
    [
        ({"publishable": "yes"}, '"publishable" must be true or false'),
        ({"publishable": True, "publishable_table": "../clean.parquet"}, "must be a file name"),
    ],
)
def test_malformed_gate_names_the_file(tmp_path: Path, report: object, message: str) -> None:
    partition = write_partition(tmp_path, "budget", "cgd", report)
    with pytest.raises(GateError, match=message) as error:
        partition.gate()
    assert str(partition.report_json) in str(error.value)
