"""`ogp validate`, run as the real console script: the documented exit code, and a console
with no traceback and no "leaked" report at interpreter exit (duckdb's nanobind bindings print
one when any DuckDB object outlives the interpreter; `pipelines/validation/duckdb_exit.py`
releases what kept them alive). The process ends through Python's normal teardown.

Inputs are generated here; nothing is published.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipelines.contracts import load_spec

OGP = Path(sys.executable).with_name("ogp")
REPO_ROOT = Path(__file__).resolve().parents[2]
HEADER = load_spec("procurement").field_names
LEAK_MARKERS = ("leaked", "nanobind")

pytestmark = pytest.mark.timeout(300)


def _row(number: int, **changes: str) -> list[str]:
    values = {
        "project_id": f"660190{number:05d}",
        "agency_code": "cgd",
        "fiscal_year": "2024",
        "project_name": f"โครงการ {number}",
        "method": "specific",
        "budget": "1000",
        "reference_price": "1000",
        "announce_date": "2023-11-01",
        "bid_close_date": "",
        "award_date": "2023-11-20",
        "contract_date": "2023-12-01",
        "number_of_bidders": "1",
        "winner_tax_id": "0105536012345",
        "winner_name": "บริษัท ก จำกัด",
        "contract_value": "900",
        "status": "contracted",
    }
    values.update(changes)
    return [values[name] for name in HEADER]


def _csv(folder: Path, rows: list[list[str]]) -> Path:
    path = folder / "procurement.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    return path


def _ogp(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(OGP), *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=240,
        check=False,
    )


def _assert_quiet(result: subprocess.CompletedProcess[str]) -> None:
    console = result.stdout + result.stderr
    assert "Traceback" not in console, console
    for marker in LEAK_MARKERS:
        assert marker not in console, console[-3000:]


def test_valid_file_exits_0_with_a_quiet_console(tmp_path: Path) -> None:
    path = _csv(tmp_path, [_row(n) for n in range(1, 4)])
    result = _ogp("validate", str(path), "--dataset", "procurement")
    _assert_quiet(result)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed" in result.stdout
    assert result.stderr == ""


def test_schema_error_exits_1_naming_row_and_field(tmp_path: Path) -> None:
    path = _csv(tmp_path, [_row(1), _row(2, project_id="12")])
    result = _ogp("validate", str(path), "--dataset", "procurement")
    _assert_quiet(result)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "blocked" in result.stdout
    assert "row 3" in result.stdout
    assert "project_id" in result.stdout


def test_business_rule_failure_exits_1_after_both_suite_passes(tmp_path: Path) -> None:
    """One row of twenty awarded with no bidder (an error rule; over budget is a warning since
    issue 16): GX runs twice (the suite, then the failing rows' keys), the row is quarantined,
    the file is not valid."""
    rows = [_row(n) for n in range(1, 21)]
    rows[6] = _row(7, number_of_bidders="0")
    path = _csv(tmp_path, rows)
    result = _ogp("validate", str(path), "--dataset", "procurement", "--json")
    _assert_quiet(result)
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)  # stdout is the JSON report and nothing else
    assert report["status"] == "quarantined"
    assert report["counts"]["invalid_rows"] == 1
    failed = [o for o in report["suite"]["outcomes"] if not o["success"]]
    assert [o["type"] for o in failed] == ["unexpected_rows_expectation"]


def test_unreadable_workbook_exits_2_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not a workbook")
    result = _ogp("validate", str(path), "--dataset", "procurement")
    _assert_quiet(result)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert len(lines) == 1, lines
    assert "broken.xlsx" in lines[0]


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = _ogp("validate", str(tmp_path / "absent.csv"), "--dataset", "procurement")
    _assert_quiet(result)
    assert result.returncode == 2
    assert "absent.csv" in result.stdout + result.stderr


# --- the release itself, in fresh interpreters (it changes SQLAlchemy's global state) ---------

_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    import pyarrow as pa
    from sqlalchemy import TryCast
    from sqlalchemy.dialects.postgresql.base import PGDialect
    from great_expectations.data_context.data_context.context_factory import project_manager

    from pipelines.validation import duckdb_exit
    from pipelines.validation.suite import ExpectationSpec, Suite, run_suite

    rule = ExpectationSpec("expect_column_values_to_not_be_null", {"column": "a"}, {})
    suite = Suite("exit", Path("exit.json"), [rule], {})
    assert run_suite(suite, pa.table({"a": [1, 2]}), engine=sys.argv[1]).passed
    if sys.argv[1] == "duckdb":
        assert "duckdb" in TryCast._compiler_dispatcher.specs
        assert PGDialect._columns_query.cache_info().currsize > 0
    if sys.argv[2] == "release":
        cut = duckdb_exit.release()
        print("cut", cut)
        hooks = getattr(TryCast, "_compiler_dispatcher", None)
        print("hook", hooks is not None and "duckdb" in hooks.specs)
        print("cache", PGDialect._columns_query.cache_info().currsize)
        print("context", project_manager._ProjectManager__project)
        print("again", duckdb_exit.release())
    elif sys.argv[2] == "keep":
        import atexit

        atexit.unregister(duckdb_exit._release_at_exit)  # nothing is released at exit
    """
)


def _python(engine: str, mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _SCRIPT, engine, mode],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=240,
        check=False,
    )


def test_release_cuts_the_links_and_the_interpreter_exits_quietly() -> None:
    result = _python("duckdb", "release")
    assert result.returncode == 0, result.stderr
    said = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert int(said["cut"]) >= 3, said  # the TryCast hook and two reflection caches at least
    assert said["hook"] == "False"
    assert said["cache"] == "0"
    assert said["context"] == "None"
    assert said["again"] == "0"
    _assert_quiet(result)


def test_the_suite_registers_the_release_itself() -> None:
    """No explicit call: the suite's DuckDB route registered it, and the exit is quiet."""
    result = _python("duckdb", "exit")
    assert result.returncode == 0, result.stderr
    _assert_quiet(result)


def test_the_pandas_route_exits_quietly_and_has_nothing_to_release() -> None:
    result = _python("pandas", "release")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "cut 0"  # duckdb-engine was never imported
    _assert_quiet(result)


def test_without_the_release_duckdb_reports_leaks() -> None:
    """The control: the detector above sees the leak when nothing is released. If this fails,
    duckdb/SQLAlchemy/GX no longer keep DuckDB alive at exit and duckdb_exit can go."""
    result = _python("duckdb", "keep")
    assert result.returncode == 0, result.stderr
    assert "nanobind: leaked" in result.stderr
