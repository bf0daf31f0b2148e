#!/usr/bin/env python3
"""Benchmark package_search on the local portal at 10,000 datasets.

    python3 bench/search/bench_search.py [--datasets 10000] [--queries 200] [--keep-up]

Runs against its own portal (portalctl with OGP_PORTAL_DIR=.portal/bench-search, sharing the
main portal's CKAN virtualenv, ports OGP_BENCH_CKAN_PORT/PG_PORT/REDIS_PORT, default
5010/5443/6390), so the 10,000 generated datasets never show up in the demo portal; that
portal is stopped at the end (its data stays, so the next run skips the creation step).
``--portal running`` uses the portal described by .portal/env.json instead, and
``--purge`` removes the benchmark's datasets and organizations from the chosen portal.

Creates N real CKAN datasets through the action API with Thai titles across several
organizations, then times package_search over HTTP for a one-word Thai query with facets,
against status_show as the in-run baseline. Prints the results and rewrites its own section
of bench/RESULTS.md. Standard library only; talks to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for results.py
from results import write_section

REPO_ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Portal search (issue 2)"
TAG = "bench-search"
ORGS = [
    (f"bench-org-{i:02d}", title)
    for i, title in enumerate(
        [
            "กรมบัญชีกลาง",
            "กรมควบคุมโรค",
            "กรมการปกครอง",
            "สำนักงบประมาณ",
            "กรมสรรพากร",
            "กรมทางหลวง",
            "กรมอุตุนิยมวิทยา",
            "สำนักงานสถิติแห่งชาติ",
            "กรมการจัดหางาน",
            "กรมศุลกากร",
        ]
    )
]
SUBJECTS = [
    "งบประมาณรายจ่าย",
    "การจัดซื้อจัดจ้าง",
    "สถิติประชากร",
    "ผลการเบิกจ่าย",
    "รายงานการตรวจสอบ",
    "ข้อมูลโรงเรียน",
    "ปริมาณน้ำฝน",
    "ผู้ป่วยไข้เลือดออก",
]
PROVINCES = ["กรุงเทพมหานคร", "เชียงใหม่", "ขอนแก่น", "ภูเก็ต", "สงขลา", "นครราชสีมา", "อุบลราชธานี", "ชลบุรี"]
FORMATS = ["CSV", "XLSX", "JSON", "PDF"]
LICENSES = ["cc-by", "odc-odbl", "cc-zero", "other-open"]
QUERY = "งบประมาณ"
FACETS = ["organization", "tags", "res_format", "license_id"]


class Client:
    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url.rstrip("/"), token

    def call(self, action: str, data: dict[str, Any] | None = None, auth: bool = False) -> Any:
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = self.token
        body = json.dumps(data or {}).encode() if data is not None else None
        req = urllib.request.Request(
            f"{self.url}/api/3/action/{action}", data=body, headers=headers
        )
        for attempt in range(6):
            try:
                with urllib.request.urlopen(req, timeout=60) as resp:
                    return json.load(resp)["result"]
            except urllib.error.HTTPError as exc:
                detail = exc.read()[:300]
                if exc.code == 409 and b"already in use" in detail and attempt > 0:
                    return None  # an earlier attempt created it before the connection broke
                raise RuntimeError(f"{action}: HTTP {exc.code}: {detail!r}") from exc
            except (urllib.error.URLError, ConnectionError, http.client.HTTPException):
                # the shared portal may be restarted by someone else meanwhile: wait, retry
                time.sleep(2**attempt)
        raise RuntimeError(f"{action}: portal unreachable at {self.url}")

    def get(self, path: str) -> None:
        with urllib.request.urlopen(f"{self.url}{path}", timeout=60) as resp:
            resp.read()


def dataset(i: int) -> dict[str, Any]:
    org, _ = ORGS[i % len(ORGS)]
    subject = SUBJECTS[i % len(SUBJECTS)]
    province = PROVINCES[(i // len(SUBJECTS)) % len(PROVINCES)]
    year = 2560 + i % 9
    return {
        "name": f"bench-{i:05d}",
        "title": f"{subject} จังหวัด{province} ปี {year}",
        "notes": f"ชุดข้อมูลทดสอบลำดับที่ {i} ของ{ORGS[i % len(ORGS)][1]}",
        "owner_org": org,
        "license_id": LICENSES[i % len(LICENSES)],
        "tags": [{"name": TAG}, {"name": f"year-{year}"}, {"name": f"topic-{i % 20}"}],
        "resources": [
            {
                "name": f"{subject} {year}",
                "url": f"http://example.org/{i}.dat",
                "format": FORMATS[i % len(FORMATS)],
            }
        ],
    }


def populate(client: Client, total: int, workers: int) -> tuple[int, float]:
    """Create the missing bench datasets; returns (created, seconds)."""
    for name, title in ORGS:
        try:
            client.call("organization_show", {"id": name})
        except RuntimeError:
            client.call("organization_create", {"name": name, "title": title}, auth=True)
    existing = client.call("package_search", {"fq": f"tags:{TAG}", "rows": 0})["count"]
    if existing >= total:
        return 0, 0.0
    have: set[str] = set()
    start = 0
    while True:  # names already there (a previous run may have stopped half-way)
        page = client.call(
            "package_search", {"fq": f"tags:{TAG}", "rows": 1000, "start": start, "fl": "name"}
        )
        have.update(p["name"] for p in page["results"])
        start += 1000
        if start >= page["count"]:
            break
    todo = [i for i in range(total) if f"bench-{i:05d}" not in have]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for done, _ in enumerate(
            pool.map(lambda i: client.call("package_create", dataset(i), auth=True), todo), 1
        ):
            if done % 1000 == 0:
                print(f"  created {done}/{len(todo)}", flush=True)
    return len(todo), time.perf_counter() - t0


def timed(fn: Any, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def search_params(q: str) -> str:
    params = [("q", q), ("rows", "20"), ("facet.field", json.dumps(FACETS))]
    return "/api/3/action/package_search?" + urllib.parse.urlencode(params)


def bench_portal_env() -> dict[str, str]:
    main_home = Path(os.environ.get("OGP_PORTAL_DIR") or REPO_ROOT / ".portal")
    return {
        **os.environ,
        "OGP_PORTAL_DIR": str(main_home / "bench-search"),
        "OGP_PORTAL_VENV": os.environ.get("OGP_PORTAL_VENV") or str(main_home / "venv"),
        "OGP_CKAN_PORT": os.environ.get("OGP_BENCH_CKAN_PORT", "5010"),
        "OGP_PG_PORT": os.environ.get("OGP_BENCH_PG_PORT", "5443"),
        "OGP_REDIS_PORT": os.environ.get("OGP_BENCH_REDIS_PORT", "6390"),
    }


def portalctl(command: str, env: dict[str, str]) -> None:
    script = REPO_ROOT / "portal" / "portalctl.py"
    proc = subprocess.run([sys.executable, str(script), command], env=env, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"portalctl {command} failed (exit {proc.returncode})")


def purge(client: Client, workers: int) -> int:
    """Remove the benchmark's datasets (all states) and organizations from a portal."""
    names: set[str] = set()
    while True:
        page = client.call(
            "package_search",
            {
                "fq": f"tags:{TAG}",
                "rows": 1000,
                "fl": "name",
                "include_private": True,
                "include_drafts": True,
            },
            auth=True,
        )
        batch = [p["name"] for p in page["results"] if p["name"] not in names]
        if not batch:
            break
        names.update(batch)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(lambda n: client.call("dataset_purge", {"id": n}, auth=True), batch))
    for org, _ in ORGS:
        with contextlib.suppress(RuntimeError):  # RuntimeError: not there
            client.call("organization_purge", {"id": org}, auth=True)
    return len(names)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--workers", type=int, default=6)
    parser.add_argument("--portal", choices=["dedicated", "running"], default="dedicated")
    parser.add_argument("--keep-up", action="store_true", help="leave the bench portal running")
    parser.add_argument("--purge", action="store_true", help="remove the bench data and exit")
    args = parser.parse_args()

    if args.portal == "dedicated":
        env = bench_portal_env()
        portalctl("up", env)
        try:
            return run(args, Path(env["OGP_PORTAL_DIR"]))
        finally:
            if not args.keep_up:
                portalctl("down", env)
    return run(args, Path(os.environ.get("OGP_PORTAL_DIR") or REPO_ROOT / ".portal"))


def run(args: argparse.Namespace, home: Path) -> int:
    env = json.loads((home / "env.json").read_text())
    client = Client(env["url"], Path(env["api_token_file"]).read_text().strip())
    if args.purge:
        print(f"purged {purge(client, args.workers)} benchmark datasets from {env['url']}")
        return 0

    created, seconds = populate(client, args.datasets, args.workers)
    if created:
        print(f"created {created} datasets in {seconds:.0f}s ({created / seconds:.0f}/s)")
    total = client.call("package_search", {"rows": 0})["count"]
    matching = client.call("package_search", {"q": QUERY, "rows": 0})["count"]

    for _ in range(10):  # warm caches and connection pools
        client.get(search_params(QUERY))
    base = timed(lambda: client.get("/api/3/action/status_show"), args.queries)
    thai = timed(lambda: client.get(search_params(QUERY)), args.queries)
    everything = timed(lambda: client.get(search_params("")), max(20, args.queries // 4))

    rows = [
        ("status_show (baseline)", base),
        (f"package_search q={QUERY} + 4 facets ({matching} hits)", thai),
        (f"package_search all {total} datasets + 4 facets", everything),
    ]
    b50 = statistics.median(base)
    lines = [
        SECTION,
        "",
        f"Local portal (CKAN 2.12, ckanext-pgsearch), {total} datasets in the index, "
        f"{args.queries} sequential HTTP queries each, rows=20, facets "
        f"{', '.join(FACETS)}; measured {time.strftime('%Y-%m-%d')} on 2 cores.",
        "",
        "| request | p50 ms | p95 ms | p50 / baseline p50 |",
        "| --- | ---: | ---: | ---: |",
    ]
    for label, samples in rows:
        lines.append(
            f"| {label} | {pct(samples, 50):.1f} | {pct(samples, 95):.1f} | "
            f"{pct(samples, 50) / b50:.1f}x |"
        )
    if created:
        lines += [
            "",
            f"Populating: {created} package_create calls in {seconds:.0f} s "
            f"({created / seconds:.0f}/s, {args.workers} client threads).",
        ]
    target = pct(thai, 95) < 300
    lines += ["", f"Target p95 < 300 ms for the Thai query: {'met' if target else 'NOT met'}."]
    text = "\n".join(lines) + "\n"
    print(text)
    write_section(SECTION, text)
    return 0 if target else 1


if __name__ == "__main__":
    sys.exit(main())
