"""End-to-end time of ``make demo`` on a fresh clone: set-up and pipeline measured apart.

Clones the committed HEAD into a temporary folder, gives its portal its own ports (so it runs
beside a developer's portal), then times ``make setup portal`` (virtualenv + CKAN portal; the
pip cache of this machine is warm after the first install) and ``ogp run`` (pull, validate,
publish, report through Dagster), then a second ``ogp run`` which must publish nothing new.
Writes the "## End-to-end demo (issue 8)" section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for results.py
from results import write_section

REPO = Path(__file__).resolve().parents[2]
SECTION = "## End-to-end demo (issue 8)"
PORTS = {"OGP_CKAN_PORT": "5020", "OGP_PG_PORT": "5453", "OGP_REDIS_PORT": "6400"}


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode})")
    return elapsed, proc.stdout


def uploaded_bytes(receipts: Path, since: float) -> tuple[int, int]:
    """Bytes uploaded and datasets created/updated by receipts written after ``since``."""
    total = changed = 0
    for path in receipts.glob("*.json"):
        if path.stat().st_mtime < since:
            continue
        receipt = json.loads(path.read_text(encoding="utf-8"))
        total += int(receipt.get("bytes_uploaded", 0))
        changed += sum(1 for d in receipt.get("datasets", []) if d.get("action") != "unchanged")
    return total, changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the clone and its portal")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="ogp-demo-bench-"))
    clone = workdir / "ogp-pipeline"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    env = {**os.environ, **PORTS}
    env.pop("VIRTUAL_ENV", None)
    env["OGP_CKAN_URL"] = f"http://127.0.0.1:{PORTS['OGP_CKAN_PORT']}"
    try:
        setup_s, _ = timed(["make", "setup", "portal"], clone, env)
        start = time.time()
        run_s, summary = timed([str(clone / ".venv/bin/ogp"), "run"], clone, env)
        rerun_start = time.time()
        rerun_s, _ = timed([str(clone / ".venv/bin/ogp"), "run"], clone, env)
        receipts = clone / "data" / "publish" / "receipts"
        first_bytes, _ = uploaded_bytes(receipts, start)
        second_bytes, second_changed = uploaded_bytes(receipts, rerun_start)
    finally:
        if not args.keep:
            subprocess.run(["make", "portal-down"], cwd=clone, env=env, capture_output=True)
            shutil.rmtree(workdir, ignore_errors=True)
    print(summary)
    load = os.getloadavg()[0]
    text = f"""{SECTION}

`python bench/demo/bench_demo.py` — {dt.date.today()}, a fresh clone of HEAD, 2 cores, load
average {load:.1f} at the end. Set-up = `make setup portal` (Debian packages already present,
pip cache warm: the first ever install also downloads ~400 MB of wheels). Pipeline = `ogp run`
(the reference job, one Dagster run per agency, the readiness report).

| step | time |
|---|---:|
| set-up (`.venv` + local CKAN portal from nothing) | {setup_s:.0f} s |
| pipeline, first run (publishes the demo catalog) | {run_s:.0f} s |
| pipeline, second run (unchanged input) | {rerun_s:.0f} s |

Bytes uploaded: {first_bytes:,} on the first run, {second_bytes:,} on the second
({second_changed} datasets changed on the second run).
"""
    write_section(SECTION, text)
    print(text)
    return 0 if second_bytes == 0 and second_changed == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
