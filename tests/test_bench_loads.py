"""The pure parts of the issue-17 benchmarks (bench/normalize/bench_ten_million.py,
bench/publish/bench_xloader.py) on tiny inputs: the verdicts they print must be the right ones.
The benchmarks themselves are run by hand (``make bench``), never by the test suite."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]


def bench_module(relative: str) -> ModuleType:
    path = REPO / "bench" / relative
    spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ten_million() -> ModuleType:
    return bench_module("normalize/bench_ten_million.py")


@pytest.fixture(scope="module")
def xloader() -> ModuleType:
    return bench_module("publish/bench_xloader.py")


@pytest.fixture(scope="module")
def datastore_db() -> ModuleType:
    return bench_module("publish/datastore_db.py")


DETAILS: dict[str, dict[str, Any]] = {
    "normalize": {"table_mb": 1.0, "cast_errors": 0, "personal_data": 0},
    "validate": {"status": "passed", "published_rows": 10_000, "schema_errors": 0},
}


def measured(seconds: tuple[float, float], rss: tuple[float, float]) -> dict[int, dict[str, Any]]:
    """Two sizes (1,000 and 10,000 rows of 100 and 1,000 bytes), both steps alike."""
    return {
        rows: {
            "bytes": size,
            **{
                step: {"seconds": took, "rows": rows, "peak_rss": peak, **DETAILS[step]}
                for step in ("normalize", "validate")
            },
        }
        for rows, size, took, peak in zip((1_000, 10_000), (100, 1_000), seconds, rss, strict=True)
    }


def test_ten_million_verdicts_compare_the_largest_file_with_the_smallest(
    ten_million: ModuleType,
) -> None:
    found = ten_million.verdicts(measured(seconds=(2.0, 25.0), rss=(150.0, 1_900.0)))
    assert found["row_ratio"] == 10
    assert found["time_ratio"] == {"normalize": 12.5, "validate": 12.5}
    assert found["memory"] == {"normalize": 1.9, "validate": 1.9}
    assert found["memory_met"] is True


def test_ten_million_memory_is_judged_on_the_largest_file(ten_million: ModuleType) -> None:
    small_over = ten_million.verdicts(measured(seconds=(2.0, 20.0), rss=(250.0, 1_000.0)))
    assert small_over["memory"]["normalize"] == 1.0  # the 10x file at 1x: the target's file
    assert small_over["memory_met"] is True
    large_over = measured(seconds=(2.0, 20.0), rss=(150.0, 2_100.0))
    assert ten_million.verdicts(large_over)["memory_met"] is False
    assert "NOT met" in ten_million.render(large_over, "1/1")


FIELDS = [
    {"id": "project_id", "type": "text", "info": {"label": "เลขที่โครงการ / Project", "notes": "n"}},
    {"id": "budget", "type": "numeric", "info": {"label": "งบประมาณ / Budget", "notes": ""}},
]


def test_baseline_sql_fills_the_full_text_like_xloader(datastore_db: ModuleType) -> None:
    create = datastore_db.create_sql('t"x', FIELDS)
    assert create == (
        'CREATE TABLE "t""x" (_id serial PRIMARY KEY, _full_text tsvector, '
        '"project_id" text, "budget" numeric)'
    )
    assert datastore_db.fulltext_sql("t", FIELDS) == (
        "UPDATE \"t\" SET _full_text = to_tsvector(coalesce(\"project_id\", '') || ' ' || "
        "coalesce(\"budget\"::text, ''))"
    )
    assert datastore_db.copy_sql("t", FIELDS) == (
        'COPY "t" ("project_id", "budget") FROM STDIN WITH (FORMAT csv, HEADER true)'
    )


def test_check_table_passes_a_right_table_and_names_each_wrong_thing(
    datastore_db: ModuleType,
) -> None:
    api = [{"id": "_id", "type": "int"}, *FIELDS]
    types = {"project_id": "text", "budget": "numeric"}
    assert datastore_db.check_table(FIELDS, 5, api, 5, types, 5) == []

    wrong_api = [
        {"id": "project_id", "type": "text", "info": {"label": "Project", "notes": "n"}},
        {"id": "budget", "type": "text", "info": FIELDS[1]["info"]},
        {"id": "extra", "type": "text"},
    ]
    problems = datastore_db.check_table(FIELDS, 5, wrong_api, 4, {**types, "budget": "text"}, 6)
    assert problems == [
        "project_id: dictionary label 'Project' != 'เลขที่โครงการ / Project'",
        "budget: API type 'text', expected 'numeric'",
        "budget: PostgreSQL type 'text', expected 'numeric'",
        "columns not in the contract: ['extra']",
        "API total 4 != 5 rows",
        "count(*) 6 != 5 rows",
    ]


def test_job_phases_are_read_from_the_timestamps_of_xloaders_log(xloader: ModuleType) -> None:
    logs = [
        ("10:00:00", "Express Load starting: /dataset/x"),
        ("10:00:03", "Copying to database..."),
        ("10:00:10", "...copying done"),
        ("10:00:10.5", "Creating search index..."),
        ("10:00:40.5", "...search index created"),
        ("10:01:00", "Express Load completed"),
    ]
    phases = xloader.job_phases(
        [{"timestamp": f"2026-11-30T{when}", "message": text} for when, text in logs]
    )
    assert phases == {"download, re-encode": 3.0, "COPY": 7.0, "_full_text": 30.0, "job": 60.0}
