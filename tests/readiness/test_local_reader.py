"""The local reader reads the gate's and the integrity stage's outputs only: never a clean
table, and a missing gate output makes a figure unknown instead of counting something else."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.readiness.facts import RedFlagSummary, ValidationSummary
from pipelines.readiness.local_reader import read_local_outputs

READINESS = Path(__file__).resolve().parents[2] / "pipelines" / "readiness"


def gate_output(
    data: Path, family: str, agency: str, *, rows: int, published: int | None, findings: int = 0
) -> Path:
    """A gate's report.json (its keys as pipelines.validation writes them) and, when the
    partition is publishable (``published`` rows), its publishable.parquet."""
    folder = data / "validation" / family / agency
    folder.mkdir(parents=True)
    document = {
        "family": family,
        "agency": agency,
        "status": "passed" if published == rows else "quarantined" if published else "blocked",
        "valid": published == rows,
        "publishable": published is not None,
        "publishable_table": "publishable.parquet" if published is not None else None,
        "reasons": [] if published is not None else ["personal data"],
        "counts": {"rows": rows, "published_rows": published or 0},
        "privacy": {"findings": [{"row": n, "kind": "phone"} for n in range(findings)]},
    }
    (folder / "report.json").write_text(json.dumps(document), encoding="utf-8")
    if published is not None:
        ids = [f"{n:011d}" for n in range(published)]
        pq.write_table(pa.table({"project_id": ids}), folder / "publishable.parquet")
    return folder / "report.json"


def red_flags(data: Path, agency: str, flagged: list[str], *, screened: int | None = None) -> None:
    """The integrity stage's red-flag files; with ``screened``, red_flags.json's rate block
    (flagged projects over the rows that passed the schema)."""
    folder = data / "integrity" / "procurement" / agency
    folder.mkdir(parents=True)
    lines = ["agency_code,project_id,flag_id", *(f"{agency},{p},R018" for p in flagged)]
    (folder / "red_flags.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if screened is not None:
        rate = {
            "flagged_projects": len(set(flagged)),
            "screened_rows": screened,
            "published_rows": screened - 1,
        }
        document = {"flags": [], "summary": {}, "rate": rate}
        (folder / "red_flags.json").write_text(json.dumps(document), encoding="utf-8")


def clean_table(data: Path, agency: str, rows: int) -> None:
    """A clean table the reader must never count (it may hold unmasked personal data)."""
    folder = data / "clean" / "procurement" / agency
    folder.mkdir(parents=True)
    (folder / "procurement.csv").write_text(
        "project_id\n" + "".join(f"{n}\n" for n in range(rows)), encoding="utf-8"
    )
    pq.write_table(
        pa.table({"project_id": [str(n) for n in range(rows)]}), folder / "procurement.parquet"
    )


def test_validation_reports_and_red_flags_from_the_gate(tmp_path: Path) -> None:
    data = tmp_path / "data"
    # one row quarantined by a business rule: the flags screen all 6 rows that passed the schema
    gate_output(data, "procurement", "dga", rows=6, published=5)
    gate_output(data, "decisions", "dga", rows=3, published=3, findings=2)
    red_flags(data, "dga", ["1", "1", "2"], screened=6)  # project 1 twice: counted once
    clean_table(data, "dga", 40)

    local = read_local_outputs(data)
    assert local.validation == {
        "procurement/dga": ValidationSummary(
            valid=False,
            privacy_findings=0,
            evidence="data/validation/procurement/dga/report.json",
            status="quarantined",
        ),
        "decisions/dga": ValidationSummary(
            valid=True,
            privacy_findings=2,
            evidence="data/validation/decisions/dga/report.json",
            status="passed",
        ),
    }
    assert local.red_flags == {
        "dga": RedFlagSummary(
            projects=6,
            flagged_projects=2,
            evidence="data/integrity/procurement/dga/red_flags.json",
            published_rows=5,
        )
    }


def test_missing_gate_output_means_unknown_never_the_clean_table(tmp_path: Path) -> None:
    data = tmp_path / "data"
    # no gate report at all
    red_flags(data, "cgd", ["1"])
    clean_table(data, "cgd", 10)
    # a blocked partition: the gate wrote no publishable table
    gate_output(data, "procurement", "doh", rows=8, published=None, findings=1)
    red_flags(data, "doh", ["3"])
    clean_table(data, "doh", 8)
    # the report says publishable, but its publishable table is gone
    report = gate_output(data, "procurement", "fda", rows=4, published=4)
    (report.parent / "publishable.parquet").unlink()
    red_flags(data, "fda", ["1"])
    # a published partition without red flags
    gate_output(data, "procurement", "rid", rows=4, published=4)

    local = read_local_outputs(data)
    assert local.red_flags == {}
    assert local.validation["procurement/doh"].valid is False
    assert local.validation["procurement/doh"].privacy_findings == 1
    assert local.validation["procurement/doh"].blocked
    # nothing publishable: no newest record (timeliness is not read from elsewhere)
    assert local.freshness["procurement/doh"].newest is None
    assert local.freshness["procurement/fda"].newest is None
    assert "procurement/cgd" not in local.validation


def test_a_rate_block_without_counts_is_an_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    gate_output(data, "procurement", "dga", rows=2, published=2)
    red_flags(data, "dga", ["1"], screened=2)
    flags_json = data / "integrity" / "procurement" / "dga" / "red_flags.json"
    document = json.loads(flags_json.read_text(encoding="utf-8"))
    document["rate"]["screened_rows"] = "2"
    flags_json.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ValueError, match=r"red_flags\.json: rate\.screened_rows is not a count"):
        read_local_outputs(data)


# --- source: readiness never builds a path into data/clean ---------------------------------

CLEAN_SEGMENT = re.compile(r"(^|[/\\])clean([/\\*]|$)")
# names through which other packages reach the clean table
CLEAN_NAMES = {"clean_path", "find_partitions", "Partition", "CleanFiles", "write_clean"}


def clean_table_references(source: str) -> list[str]:
    """What in ``source`` builds or reaches a clean-table path (docstrings aside)."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings and CLEAN_SEGMENT.search(node.value):
                found.append(f"line {node.lineno}: {node.value!r}")
        elif isinstance(node, ast.Name | ast.Attribute | ast.alias):
            name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)
            name = name or getattr(node, "name", None)
            if name in CLEAN_NAMES or (isinstance(name, str) and name.startswith("clean_")):
                found.append(f"line {getattr(node, 'lineno', '?')}: {name}")
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "pipelines.normalize"
        ):
            found.append(f"line {node.lineno}: import from {node.module}")
    return found


def test_the_scan_finds_a_clean_table_path() -> None:
    # the reader as it was: a silent fallback to counting the clean table's rows
    old = 'def f(data_dir, family, agency):\n    return data_dir / "clean" / family / agency\n'
    assert clean_table_references(old) == ["line 2: 'clean'"]
    assert clean_table_references("from pipelines.publish.partitions import find_partitions")
    assert clean_table_references("p = partition.clean_path")
    assert clean_table_references("for p in d.glob('clean/*/*/*.parquet'): pass")
    assert clean_table_references('"""Never the clean table."""\nx = "cleaned"') == []


def test_readiness_never_builds_a_clean_table_path() -> None:
    modules = sorted(READINESS.rglob("*.py"))
    assert len(modules) >= 10
    found = {
        path.name: refs
        for path in modules
        if (refs := clean_table_references(path.read_text(encoding="utf-8")))
    }
    assert found == {}
