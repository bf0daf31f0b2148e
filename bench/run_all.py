"""Run every benchmark in turn (``make bench``); each rewrites its own section of RESULTS.md.

The benchmarks measure ratios against a baseline taken in the same run, because these
machines are shared and noisy; run them on a quiet machine before quoting figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SUITES = [
    "normalize/bench_normalize.py",
    "normalize/bench_xlsx.py",
    "validate/bench_validate.py",
    "normalize/bench_ten_million.py",
    "integrity/bench_integrity.py",
    "ocds_validate.py",
    "publish/bench_publish.py",
    "publish/bench_xloader.py",
    "search/bench_search.py",
    "demo/bench_demo.py",
    "national/bench_national.py",
]


def main() -> int:
    failed = []
    for suite in sys.argv[1:] or SUITES:
        print(f"== {suite}", flush=True)
        if subprocess.call([sys.executable, str(BENCH / suite)]) != 0:
            failed.append(suite)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
