"""Validation gate benchmark: 1M-row procurement CSV, our gate beside its baselines.

    .venv/bin/python bench/validate/bench_validate.py [--rows 1000000] [--skip-frictionless]

Steps, each in its own process (so each peak RSS is its own), in the same run:

- ``pyarrow``: ``pyarrow.csv.read_csv`` of the file (the baseline);
- ``ours``: schema (DuckDB fast path) + suite (GX on DuckDB) + privacy, via the gate;
- ``frictionless``: ``frictionless`` validation of the same file with the same schema.

The file is the generator's canonical procurement CSV (``bench/generate.py``) with planted
defects every 10,000 rows (bad date, negative budget, duplicate id, unknown agency, a citizen
ID in a name), so both engines have errors to find; "same errors" compares the first 1000
(frictionless's cap) as (type, row, field), in order. Results are printed and written into
the "Validation (issue 4)" section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for results.py
from results import write_section

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / "out"
SECTION = "## Validation (issue 4)"
EVERY = 10_000
CITIZEN_ID = "1-2345-67890-12-1"  # valid check digit; a made-up number


def generate(rows: int) -> Path:
    source = OUT / f"procurement_{rows}_canonical.csv"
    if not source.exists():
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "generate.py"),
                "procurement",
                "--rows",
                str(rows),
                "--out",
                str(source),
                "--style",
                "canonical",
            ],
            check=True,
        )
    planted = OUT / f"procurement_{rows}_planted.csv"
    if not planted.exists():
        plant_defects(source, planted)
    return planted


def plant_defects(source: Path, target: Path) -> None:
    """Copy the file, spoiling one row in every EVERY (cycling through five kinds)."""
    import csv

    with (
        source.open(encoding="utf-8", newline="") as reader,
        target.open("w", encoding="utf-8", newline="") as writer,
    ):
        rows = csv.reader(reader)
        out = csv.writer(writer, lineterminator="\n")
        header = next(rows)
        out.writerow(header)
        index = {name: i for i, name in enumerate(header)}
        previous_id = ""
        for number, row in enumerate(rows):
            if number and number % EVERY == 0:
                kind = (number // EVERY) % 5
                if kind == 0:
                    row[index["announce_date"]] = "2024-02-30"
                elif kind == 1:
                    row[index["budget"]] = "-5"
                elif kind == 2:
                    row[index["project_id"]] = previous_id
                elif kind == 3:
                    row[index["agency_code"]] = "no-such-agency"
                else:
                    row[index["project_name"]] = f"ติดต่อ {CITIZEN_ID}"
            previous_id = row[index["project_id"]]
            out.writerow(row)


def step_pyarrow(path: Path) -> dict[str, Any]:
    import pyarrow.csv as pacsv

    started = time.perf_counter()
    table = pacsv.read_csv(path)
    return {"seconds": time.perf_counter() - started, "rows": table.num_rows}


def step_ours(path: Path) -> dict[str, Any]:
    import tempfile

    from pipelines.contracts import load_spec
    from pipelines.validation.gate import validate_partition

    spec = load_spec("procurement")
    import great_expectations  # noqa: F401  (import cost is not validation time)

    started = time.perf_counter()
    result = validate_partition(
        "procurement", "bench", path, spec, out_dir=Path(tempfile.mkdtemp(prefix="bench-"))
    )
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rows": result.row_count,
        "engine": result.schema.engine,
        "status": result.status,
        "errors": [list(error.key) for error in result.schema.errors[:1000]],
        "errors_by_type": result.schema.counts_by_type(),
        "suite_failed": [o.label for o in result.suite.outcomes if not o.success]
        if result.suite
        else [],
        "privacy": result.privacy.counts_by_kind(),
    }


def step_frictionless(path: Path) -> dict[str, Any]:
    from pipelines.contracts import load_spec
    from pipelines.validation.frictionless_ref import validate_with_frictionless
    from pipelines.validation.gate import default_references

    spec = load_spec("procurement")
    started = time.perf_counter()
    report = validate_with_frictionless(
        path, spec.schema, references=default_references(), limit_errors=1000
    )
    return {
        "seconds": time.perf_counter() - started,
        "errors": [list(error.key) for error in report.errors],
    }


STEPS = {"pyarrow": step_pyarrow, "ours": step_ours, "frictionless": step_frictionless}


def run_step(name: str, path: Path) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, __file__, "--step", name, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def child(name: str, path: Path) -> None:
    result = STEPS[name](path)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-frictionless", action="store_true")
    parser.add_argument("--step", nargs=2, metavar=("NAME", "PATH"))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if args.step:
        child(args.step[0], Path(args.step[1]))
        return
    path = generate(args.rows)
    size_mb = path.stat().st_size / 1e6
    load_before = os.getloadavg()
    base = run_step("pyarrow", path)
    ours = run_step("ours", path)
    ref = None if args.skip_frictionless else run_step("frictionless", path)
    same = ref is not None and ours["errors"] == ref["errors"]
    load = ", ".join(
        f"{when} {one:.2f}/{five:.2f}"
        for when, (one, five, _) in (("before", load_before), ("after", os.getloadavg()))
    )
    lines = [
        SECTION,
        "",
        f"`.venv/bin/python bench/validate/bench_validate.py` — {time.strftime('%Y-%m-%d')}, "
        f"{ours['rows']:,}-row procurement CSV ({size_mb:,.0f} MB, canonical, one planted "
        f"defect every {EVERY:,} rows), {os.cpu_count()} cores, each step in its own process; "
        f"load average (1 min/5 min) {load}.",
        "",
        "| step | time | ratio | peak RSS |",
        "|---|---|---|---|",
        f"| pyarrow.csv.read_csv (baseline) | {base['seconds']:.2f} s | 1.0× | "
        f"{base['peak_rss_mb']:,.0f} MB |",
        f"| ours: schema + suite + privacy (gate, report written) | {ours['seconds']:.2f} s | "
        f"{ours['seconds'] / base['seconds']:.1f}× pyarrow | {ours['peak_rss_mb']:,.0f} MB "
        f"({ours['peak_rss_mb'] / size_mb:.2f}× file) |",
    ]
    if ref is not None:
        lines.append(
            f"| frictionless validate (limit 1000 errors) | {ref['seconds']:.2f} s | "
            f"{ref['seconds'] / ours['seconds']:.1f}× ours | {ref['peak_rss_mb']:,.0f} MB |"
        )
    lines += [
        "",
        f"Schema engine: {ours['engine']}; errors by type: {ours['errors_by_type']}; "
        f"suite rules failed: {len(ours['suite_failed'])}; personal data: {ours['privacy']}; "
        f"status: {ours['status']}.",
        f"Same first 1000 errors as frictionless (type, row, field, in order): "
        f"{'yes' if same else 'no' if ref else 'not run'}.",
        "Targets: ≤ 5× pyarrow, ≥ 10× faster than frictionless, peak memory ≤ 2× file size.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section(SECTION, text)


if __name__ == "__main__":
    main()
