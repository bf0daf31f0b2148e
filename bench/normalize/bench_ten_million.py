"""Ten million rows (issue 17): a 1M- and a 10M-row procurement file through normalise and
validate, each step in a fresh process; peak RSS against the file size, time against rows.

    .venv/bin/python bench/normalize/bench_ten_million.py [--rows 1000000 10000000] [--no-write]

The files are the generator's canonical procurement CSVs (``bench/generate.py procurement
--style canonical``, streamed to disk; made when missing, about 270 bytes a row). Per file:

- ``normalize``: ``normalize_file(path, spec)`` (the call of ``bench_normalize.py``): read as
  strings, clean, cast, personal-data scan of the text as received; the typed table is the result;
- ``validate``: ``validate_partition("procurement", "bench", path, spec, out_dir=...)`` (the call
  of ``bench_validate.py``): schema, suite and privacy guard, report, publishable Parquet.

Each step runs in its own child process; its peak RSS is the child's ``ru_maxrss`` as the
parent reaps it (``os.wait4``), so no other process counts. Acceptance: peak RSS at most 2x the
file, and the 10M/1M time ratio near 10 (linear). Results go to the "Ten million rows (issue
17)" section of ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for results.py
from results import write_section

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / "out"
SECTION = "## Ten million rows (issue 17)"
STEPS = ("normalize", "validate")
MEMORY_TARGET = 2.0  # peak RSS / file size, for the largest file (issue 17: the 10M-row one)
# The suite's sanity cap per partition (expectations/procurement.json, 30,000,000 since issue
# 17: above e-GP's whole history) is lifted anyway, so the bench measures any size it is given.
LIFTED_MAX_ROWS = 1_000_000_000


def canonical_file(rows: int) -> Path:
    """The generator's canonical procurement CSV of ``rows`` rows (made when missing)."""
    path = OUT / f"procurement_{rows}_canonical.csv"
    if not path.is_file():
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "generate.py"),
                "procurement",
                "--rows",
                str(rows),
                "--out",
                str(path),
                "--style",
                "canonical",
            ],
            check=True,
        )
    return path


# --- the child: one step, in this process -------------------------------------------------------


def step_normalize(path: Path) -> dict[str, Any]:
    from pipelines.contracts import load_spec
    from pipelines.normalize import normalize_file

    spec = load_spec("procurement")
    started = time.perf_counter()
    result = normalize_file(path, spec)
    return {
        "seconds": time.perf_counter() - started,
        "rows": result.rows,
        "cast_errors": int(result.counts.get("cast_errors", 0)),
        "personal_data": len(result.personal_data),
        "table_mb": result.table.nbytes / 1e6,
    }


def step_validate(path: Path) -> dict[str, Any]:
    from pipelines.contracts import load_spec
    from pipelines.validation.gate import validate_partition

    spec = load_spec("procurement")
    import great_expectations  # noqa: F401  (import cost is not validation time)

    with tempfile.TemporaryDirectory(prefix="bench-10m-", dir=OUT) as out_dir:
        started = time.perf_counter()
        result = validate_partition(
            "procurement",
            "bench",
            path,
            spec,
            out_dir=Path(out_dir),
            suite_parameters={"max_rows": LIFTED_MAX_ROWS},
        )
        seconds = time.perf_counter() - started
        published = result.published_rows
    return {
        "seconds": seconds,
        "rows": result.row_count,
        "status": result.status,
        "published_rows": published,
        "schema_errors": len(result.schema.errors),
    }


def step_imports(path: Path) -> dict[str, Any]:
    """What a step's process holds before any row: the interpreter and the libraries."""
    import great_expectations  # noqa: F401

    from pipelines.normalize import normalize_file  # noqa: F401
    from pipelines.validation.gate import validate_partition  # noqa: F401

    return {"seconds": 0.0, "rows": 0}


def child(step: str, path: Path) -> None:
    work = {"imports": step_imports, "normalize": step_normalize, "validate": step_validate}[step]
    print(json.dumps(work(path)))


# --- the parent: each step in a fresh process ---------------------------------------------------


def run_step(step: str, path: Path) -> dict[str, Any]:
    """``step`` over ``path`` in a child process: its result, wall time and peak RSS (bytes)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, __file__, "--step", step, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{step} of {path.name} failed (exit {process.returncode})")
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - started
    result["peak_rss"] = usage.ru_maxrss * 1024  # Linux: kilobytes
    return result


def verdicts(measured: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """Memory and linearity from the measurements: per step the peak RSS / file size of the
    largest file (the target's), and the time ratio of the largest file to the smallest against
    their row ratio."""
    sizes = sorted(measured)
    small, large = sizes[0], sizes[-1]
    memory = {step: measured[large][step]["peak_rss"] / measured[large]["bytes"] for step in STEPS}
    time_ratio = {
        step: measured[large][step]["seconds"] / measured[small][step]["seconds"] for step in STEPS
    }
    return {
        "memory": memory,
        "memory_met": all(value <= MEMORY_TARGET for value in memory.values()),
        "row_ratio": large / small,
        "time_ratio": time_ratio,
    }


def render(measured: dict[int, dict[str, Any]], load: str) -> str:
    found = verdicts(measured)
    imports = measured[min(measured)].get("imports", {"peak_rss": 0.0})
    lines = [
        SECTION,
        "",
        f"`.venv/bin/python bench/normalize/bench_ten_million.py` — {time.strftime('%Y-%m-%d')}, "
        "the generator's canonical procurement CSVs (`bench/generate.py procurement --style "
        "canonical`, written row by row, never held whole), each step in a fresh child process "
        "whose peak RSS is read as the parent reaps it (`os.wait4`); "
        f"{platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} cores "
        f"shared with other work (load average 1/5 min {load}).",
        "",
        "| rows | file | step | seconds | rows/s | peak RSS | RSS / file |",
        "|---:|---:|---|---:|---:|---:|---:|",
    ]
    for rows in sorted(measured):
        size = measured[rows]["bytes"]
        for step in STEPS:
            one = measured[rows][step]
            lines.append(
                f"| {rows:,} | {size / 1e6:,.0f} MB | {step} | {one['seconds']:.1f} | "
                f"{one['rows'] / one['seconds']:,.0f} | {one['peak_rss'] / 1e6:,.0f} MB | "
                f"{one['peak_rss'] / size:.2f}× |"
            )
    largest = measured[max(measured)]
    ratios = ", ".join(f"{step} {found['time_ratio'][step]:.1f}" for step in STEPS)
    lines += [
        "",
        f"Time ratio {max(measured):,} / {min(measured):,} rows: {ratios} "
        f"(linear would be {found['row_ratio']:.0f}). Peak RSS of the {max(measured):,}-row "
        f"file at most {max(found['memory'].values()):.2f}× the file (target ≤ "
        f"{MEMORY_TARGET:.0f}×: {'met' if found['memory_met'] else 'NOT met'}). A process that "
        f"only imports the libraries peaks at {imports['peak_rss'] / 1e6:,.0f} MB: most of "
        "a small file's ratio.",
        f"Largest file: normalize typed table {largest['normalize']['table_mb']:,.0f} MB in "
        f"memory, cast errors {largest['normalize']['cast_errors']}, personal data "
        f"{largest['normalize']['personal_data']}; validate status "
        f"{largest['validate']['status']}, {largest['validate']['published_rows']:,} rows "
        f"publishable, {largest['validate']['schema_errors']} schema errors.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--step", nargs=2, metavar=("STEP", "PATH"))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.step:
        child(args.step[0], Path(args.step[1]))
        return
    if len(set(args.rows)) < 2:
        parser.error("--rows: two sizes or more (time is compared across them)")
    load_before = os.getloadavg()
    measured: dict[int, dict[str, Any]] = {}
    for rows in sorted(set(args.rows)):
        path = canonical_file(rows)
        measured[rows] = {"bytes": path.stat().st_size}
        if rows == min(args.rows):
            measured[rows]["imports"] = run_step("imports", path)
        for step in STEPS:
            measured[rows][step] = run_step(step, path)
            print(rows, step, measured[rows][step], flush=True)
    load = ", ".join(
        f"{when} {one:.2f}/{five:.2f}"
        for when, (one, five, _) in (("before", load_before), ("after", os.getloadavg()))
    )
    text = render(measured, load)
    print(text)
    if not args.no_write:
        write_section(SECTION, text)


if __name__ == "__main__":
    main()
