"""Normalization speed and memory: our normalize vs ``pyarrow.csv.read_csv`` of the same file.

    python bench/normalize/bench_normalize.py [--file bench/out/procurement_1m.csv] [--repeat 3]

Each measurement runs in a fresh process (peak RSS is per process); the fastest of
``--repeat`` runs counts. The file is generated (``bench/generate.py``) when missing. Results
are printed and written to the "Normalization (issue 3)" section of ``bench/RESULTS.md``.
Targets (issue 3): normalize <= 3x the pyarrow time, peak memory <= 2x the file size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for results.py
from results import write_section

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Normalization (issue 3)"
DEFAULT_FILE = ROOT / "bench" / "out" / "procurement_1m.csv"


def worker(kind: str, path: Path) -> dict[str, float]:
    """Run one measurement in this process and return seconds, rows and peak RSS."""
    import pyarrow.csv as pacsv

    from pipelines.contracts import load_spec
    from pipelines.normalize import normalize_file

    spec = load_spec("procurement")
    start = time.perf_counter()
    if kind == "pyarrow":
        rows = pacsv.read_csv(path).num_rows
        extra: dict[str, float] = {}
    else:
        result = normalize_file(path, spec)
        rows = result.rows
        extra = {"cast_errors": float(result.counts.get("cast_errors", 0))}
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"seconds": seconds, "rows": float(rows), "peak_rss": float(peak), **extra}


def run_worker(kind: str, path: Path, script: str = __file__) -> dict[str, float]:
    """One measurement by ``script --worker kind --file path`` in a fresh process."""
    out = subprocess.run(
        [sys.executable, script, "--worker", kind, "--file", str(path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def best_of(runs: list[dict[str, float]]) -> dict[str, float]:
    best = dict(min(runs, key=lambda run: run["seconds"]))
    best["peak_rss"] = max(run["peak_rss"] for run in runs)
    return best


def measure_pairs(path: Path, repeat: int) -> tuple[dict[str, float], dict[str, float], float]:
    """Baseline and ours back to back, ``repeat`` times: on a shared machine each pair sees
    about the same load, so the median of the per-pair ratios is the fair figure."""
    baselines, ours, ratios = [], [], []
    for _ in range(repeat):
        baselines.append(run_worker("pyarrow", path))
        ours.append(run_worker("normalize", path))
        ratios.append(ours[-1]["seconds"] / baselines[-1]["seconds"])
    return best_of(baselines), best_of(ours), statistics.median(ratios)


def report(path: Path, baseline: dict[str, float], ours: dict[str, float], ratio: float) -> str:
    size = path.stat().st_size
    load = os.getloadavg()[0]
    memory = ours["peak_rss"] / size
    rows = int(ours["rows"])
    lines = [
        SECTION,
        "",
        f"{rows:,}-row procurement CSV ({size / 1e6:.0f} MB, messy-but-valid: BE years and dates, "
        "Thai method/status names, amounts with separators), "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores (1-minute load average {load:.1f} at the end: the machine was "
        "shared), each run in a fresh process; times are the fastest runs, the ratio is the "
        "median of back-to-back pairs.",
        "",
        "| step | seconds | rows/s | peak RSS |",
        "|---|---:|---:|---:|",
        f"| `pyarrow.csv.read_csv` (baseline, inferred types) | {baseline['seconds']:.2f} | "
        f"{baseline['rows'] / baseline['seconds']:,.0f} | {baseline['peak_rss'] / 1e6:.0f} MB |",
        f"| `normalize_file` (read as strings + clean + cast) | {ours['seconds']:.2f} | "
        f"{ours['rows'] / ours['seconds']:,.0f} | {ours['peak_rss'] / 1e6:.0f} MB |",
        "",
        f"Ratio normalize / pyarrow (median of pairs): **{ratio:.2f}x** (target <= 3x) · "
        "peak memory "
        f"**{memory:.2f}x** the file size (target <= 2x) · cast errors: "
        f"{int(ours.get('cast_errors', 0))}.",
        "",
        "Reproduce: `python bench/generate.py procurement --rows 1000000 --out "
        "bench/out/procurement_1m.csv && python bench/normalize/bench_normalize.py`.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--worker", choices=["pyarrow", "normalize"])
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.worker:
        print(json.dumps(worker(args.worker, args.file)))
        return
    if not args.file.exists():
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "generate.py"),
                "procurement",
                "--rows",
                str(args.rows),
                "--out",
                str(args.file),
            ],
            check=True,
        )
    baseline, ours, ratio = measure_pairs(args.file, args.repeat)
    text = report(args.file, baseline, ours, ratio)
    print(text)
    write_section(SECTION, text)


if __name__ == "__main__":
    main()
