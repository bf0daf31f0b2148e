#!/usr/bin/env python3
"""DataStore loads by COPY (issue 17): the publisher's xloader path beside a COPY baseline.

    .venv/bin/python bench/publish/bench_xloader.py [--rows 1000000] [--no-write]

In one run, against the real local portal (``.portal/env.json``):

1. **xloader**: the 1M-row procurement table (``bench/generate.py --style canonical``, typed as
   the contract says) is published as one CSV resource of a dataset and organization of this
   run's own (``bx<run>-...``) through the publisher's xloader path: upload, the DataStore table
   declared with its types and Thai/English dictionary, ``xloader_submit``, wait for the job.
   Rows/s of the load, and of upload + load.
2. **COPY baseline**: the same CSV bytes into the same PostgreSQL (the portal's DataStore
   database, ``ckan.datastore.write_url`` of the portal's ckan.ini): a typed table like the
   DataStore's (``_id``, ``_full_text``, the columns with the DataStore types of
   :func:`pipelines.publish.metadata.datastore_fields`), ``COPY ... FROM STDIN (FORMAT csv)``,
   the full-text column filled as xloader fills it, its GIN index, ``ANALYZE``. Each phase timed.
3. **Checks** of the xloader table (asserted, printed): the column types, the data dictionary
   (Thai / English labels and descriptions) and the row count (the API's and ``count(*)``).

The ratio xloader / baseline is the figure (goal: at least 50%). The baseline table, the
dataset and the organization are removed afterwards. Writes the "DataStore loads by COPY
(issue 17)" section of ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for results.py
from results import write_section

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/publish/, for datastore_db.py
from datastore_db import (
    REPO_ROOT,
    Timings,
    check_table,
    column_types,
    copy_baseline,
    datastore_write_url,
    exact_count,
    indexes,
    portal_env,
)

sys.path.insert(0, str(REPO_ROOT))
SECTION = "## DataStore loads by COPY (issue 17)"
OUT = REPO_ROOT / "bench" / "out"
GOAL = 0.5  # xloader's rate / the baseline's


# --- data -----------------------------------------------------------------------------------------


def canonical_table(rows: int) -> Any:
    """The generator's canonical procurement CSV of ``rows`` rows, typed by the contract."""
    import subprocess

    import pyarrow.csv as pa_csv

    from pipelines.contracts import load_spec
    from pipelines.normalize import arrow_schema

    path = OUT / f"procurement_{rows}_canonical.csv"
    if not path.is_file():
        command = [sys.executable, str(REPO_ROOT / "bench" / "generate.py"), "procurement"]
        options = ["--rows", str(rows), "--out", str(path), "--style", "canonical"]
        subprocess.run([*command, *options], check=True)
    schema = arrow_schema(load_spec("procurement"))
    types = {field.name: field.type for field in schema}
    options = pa_csv.ConvertOptions(column_types=types, strings_can_be_null=True)
    return pa_csv.read_csv(path, convert_options=options).select(schema.names)


def one_resource(table: Any) -> Any:
    """The whole table as one CSV resource with its DataStore table, as the publisher builds it
    (the contract's per-year split turned off, so the load is one resource of every row)."""
    from pipelines.contracts import load_spec
    from pipelines.publish.request import csv_resources

    spec = load_spec("procurement")
    whole = spec.model_copy(update={"period": "none", "period_field": None})
    (resource,), _ = csv_resources(whole, table)
    return resource


# --- the xloader load, through the publisher ----------------------------------------------------

# xloader's log lines opening and closing each phase of its job (its jobs.py and loader.py)
PHASES = (
    ("download, re-encode", "Express Load starting", "Copying to database"),
    ("COPY", "Copying to database", "...copying done"),
    ("_full_text", "Creating search index", "...search index created"),
    ("ANALYZE", "Calculating record count", "Setting resource.datastore_active"),
    ("indexes", "Creating column indexes", "...column indexes created"),
    ("job", "Express Load starting", "Express Load completed"),
)


def job_phases(logs: Sequence[dict[str, Any]]) -> Timings:
    """Seconds of each phase of an xloader job, from the timestamps of its log lines (a phase
    whose lines are missing is left out)."""
    found: dict[str, dt.datetime] = {}
    for line in logs:
        message = str(line.get("message", ""))
        for _, *markers in PHASES:
            for marker in markers:
                if message.startswith(marker) and marker not in found:
                    found[marker] = dt.datetime.fromisoformat(str(line["timestamp"]))
    return {
        name: (found[end] - found[start]).total_seconds()
        for name, start, end in PHASES
        if start in found and end in found
    }


def publish_one(run: str, resource: Any, report_json: Path) -> dict[str, Any]:
    """Publish ``resource`` (one CSV and its DataStore table) to a dataset and organization of
    this run through the publisher, which loads it through xloader when the portal has it;
    the wall time of the publication and where it is."""
    from pipelines.contracts import Agency, load_agencies, load_spec
    from pipelines.publish.ckan import CKANPublisher
    from pipelines.publish.model import PublishRequest
    from pipelines.publish.request import ReportPaths, build_request

    registered = load_agencies()[0]
    code = f"bx{run}-{registered.agency_code}"
    agency = Agency(**{**registered.model_dump(), "agency_code": code})
    empty = resource.datastore.table.slice(0, 0)
    shell = build_request(load_spec("procurement"), agency, empty, ReportPaths(report_json))
    request = PublishRequest(shell.organization, shell.dataset, (resource,))
    publisher = CKANPublisher()
    calls: list[tuple[float, str]] = []  # (when, action) of every request the publisher makes
    started = time.perf_counter()
    try:
        receipt = publisher.publish(
            [request],
            receipts_dir=OUT / "receipts",
            on_request=lambda action: calls.append((time.perf_counter(), action)),
        )
    except BaseException:
        cleanup(publisher, request.dataset.name, request.organization.name)
        raise
    seconds = time.perf_counter() - started
    published = receipt.datasets[0]
    if published.error or not published.resources or published.resources[0].id is None:
        cleanup(publisher, request.dataset.name, request.organization.name)
        raise SystemExit(f"the publisher did not load the resource: {published.error}")
    return {
        "publisher": publisher,
        "dataset": request.dataset.name,
        "organization": request.organization.name,
        "resource_id": published.resources[0].id,
        "steps": published.resources[0].steps,
        "seconds": seconds,
        "split": publication_split(started, calls, started + seconds),
    }


def publication_split(started: float, calls: Sequence[tuple[float, str]], ended: float) -> Timings:
    """The publication's seconds before ``xloader_submit`` (plan, upload, declare), from it to
    the last ``xloader_status`` (the job, queue included), and after (checks, marks)."""
    submits = [when for when, action in calls if action == "xloader_submit"]
    polls = [when for when, action in calls if action == "xloader_status"]
    if not submits or not polls:
        return {}
    return {
        "before_submit": submits[0] - started,
        "submit_to_done": polls[-1] - submits[0],
        "after_job": ended - polls[-1],
    }


def cleanup(publisher: Any, dataset: str, organization: str) -> None:
    """Purge the run's dataset, then its organization."""
    from ckanapi import NotFound

    client = publisher.client()
    try:
        for action, name in (("dataset_purge", dataset), ("organization_purge", organization)):
            with contextlib.suppress(NotFound):
                client.call(action, {"id": name})
    finally:
        client.close()


def inspect(publisher: Any, url: str, resource_id: str) -> dict[str, Any]:
    """The xloader job's status and phases, and the loaded table as the API and PostgreSQL show
    it."""
    client = publisher.client()
    try:
        status = client.call("xloader_status", {"resource_id": resource_id})
        shown = client.call(
            "datastore_search", {"resource_id": resource_id, "limit": 0, "include_total": True}
        )
    finally:
        client.close()
    return {
        "status": status.get("status"),
        "phases": job_phases((status.get("task_info") or {}).get("logs") or []),
        "api_fields": shown["fields"],
        "api_total": int(shown["total"]),
        "db_types": column_types(url, resource_id),
        "db_count": exact_count(url, resource_id),
        "indexes": indexes(url, resource_id),
    }


def xloader_version(env: dict[str, Any]) -> str:
    """The ckanext-xloader installed in the portal's virtualenv."""
    venv = Path(str(env.get("ckan_venv") or REPO_ROOT / ".portal" / "venv"))
    found = sorted(venv.glob("lib/python*/site-packages/ckanext_xloader-*.dist-info"))
    return (
        found[-1].name.removeprefix("ckanext_xloader-").removesuffix(".dist-info") if found else "?"
    )


# --- report -------------------------------------------------------------------------------------


def rate(rows: float, seconds: float) -> str:
    return f"{rows / seconds:,.0f} rows/s" if seconds > 0 else "—"


def render(result: dict[str, Any], load: str) -> str:
    """The RESULTS.md section. ``result``: rows, csv_bytes, baselines (phases of each COPY
    baseline run), phases (the xloader job's), publish_s, checks, version."""
    rows = result["rows"]
    baselines: list[Timings] = result["baselines"]
    base = min(run["total"] for run in baselines)  # the faster baseline: the harder goal
    # the same with the DataStore's kind of full-text index (GiST) instead of the GIN
    gist = min(run["total"] - run["gin_index"] + run["gist_index"] for run in baselines)
    job = result["phases"]["job"]
    publish = result["publish_s"]
    ratio = base / job
    met = ratio >= GOAL
    stages = ", ".join(
        f"{name} {result['phases'][name]:.1f} s"
        for name, *_ in PHASES[:-1]
        if name in result["phases"]
    )
    runs = "; ".join(
        f"{when}: {run['total']:.1f} s (COPY {run['copy']:.1f}, `_full_text` "
        f"{run['full_text']:.1f}, GIN {run['gin_index']:.1f}, ANALYZE {run['analyze']:.1f}; "
        f"GiST apart {run['gist_index']:.1f})"
        for when, run in zip(("before", "after"), baselines, strict=False)
    )
    upsert = rows / 4_852
    split = ", ".join(
        f"{name.replace('_', ' ')} {seconds:.1f} s" for name, seconds in result["split"].items()
    )
    lines = [
        SECTION,
        "",
        f"`.venv/bin/python bench/publish/bench_xloader.py` — {dt.date.today().isoformat()}, "
        f"local CKAN 2.12 portal with ckanext-xloader {result['version']} (CKAN dev server, "
        "the job worker and PostgreSQL 15 on this 2-core machine, shared with other work; load "
        f"average 1/5 min {load}). The {rows:,}-row procurement table (`bench/generate.py "
        "procurement --style canonical`, 16 columns) as one CSV resource "
        f"({result['csv_bytes'] / 1e6:,.0f} MB), published once through the publisher's "
        "xloader path, and COPYed by the baseline before and after it, in the same run.",
        "",
        "| load | seconds | rate | rate / baseline |",
        "|---|---:|---:|---:|",
        f"| COPY baseline (faster of 2): typed table, COPY, `_full_text`, GIN, ANALYZE | "
        f"{base:.1f} | {rate(rows, base)} | 1.00 |",
        f"| the same with a GiST index (the DataStore's default) instead of GIN | {gist:.1f} | "
        f"{rate(rows, gist)} | {base / gist:.2f} |",
        f"| xloader job (its log, first to last line) | {job:.1f} | {rate(rows, job)} | "
        f"**{ratio:.2f}** |",
        "| publisher, whole publication (upload, declare, submit, wait for the job, check) | "
        f"{publish:.1f} | {rate(rows, publish)} | {base / publish:.2f} |",
        "| before: batched `datastore_upsert` (Publishing, issue 5; another day, quieter) | "
        f"{upsert:.0f} | 4,852 rows/s | — (not this run) |",
        "",
        f"Goal: xloader's load at least {GOAL:.0%} of the baseline's rate: "
        f"**{'met' if met else 'NOT met'}** ({ratio:.0%}; the whole publication "
        f"{base / publish:.0%}; against the GiST baseline {gist / job:.0%} and "
        f"{gist / publish:.0%}).",
        f"xloader's job by phase: {stages}. The publication: {split}. Baseline runs: {runs}.",
        "",
        "Checks after the load (asserted): the DataStore types of all "
        f"{len(result['fields'])} columns in the API and in PostgreSQL ({result['types']}), "
        "the data dictionary's Thai / English label and notes of each, and the rows "
        f"({result['api_total']:,} from `datastore_search`, {result['db_count']:,} by "
        f"`count(*)`). Indexes of the loaded table: {'; '.join(result['indexes'])}.",
        "",
    ]
    return "\n".join(lines)


# --- run ------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    from pipelines.publish.metadata import datastore_fields

    run = uuid.uuid4().hex[:6]
    env = portal_env()
    url = datastore_write_url(Path(env["ckan_ini"]))
    OUT.mkdir(parents=True, exist_ok=True)
    resource = one_resource(canonical_table(args.rows))
    fields = datastore_fields(resource.datastore)
    rows = resource.datastore.num_rows
    csv_path = OUT / f"bench_xloader_{run}.csv"
    csv_path.write_bytes(resource.content)  # the bytes the publisher uploads
    report_json = OUT / "bench-report.json"
    report_json.write_text('{"publishable": true, "errors": []}', encoding="utf-8")
    load_before = os.getloadavg()
    try:
        baselines = [copy_baseline(url, csv_path, fields)]
        print("COPY baseline:", baselines[0], flush=True)
        published = publish_one(run, resource, report_json)
        publisher = published["publisher"]
        try:
            seen = inspect(publisher, url, published["resource_id"])
        finally:
            cleanup(publisher, published["dataset"], published["organization"])
        print("xloader:", seen["status"], seen["phases"], published["steps"], flush=True)
        baselines.append(copy_baseline(url, csv_path, fields))
        print("COPY baseline:", baselines[1], flush=True)
    finally:
        csv_path.unlink(missing_ok=True)
    problems = check_table(
        fields, rows, seen["api_fields"], seen["api_total"], seen["db_types"], seen["db_count"]
    )
    print("types:", seen["db_types"])
    print(
        "dictionary:", [(f["id"], (f.get("info") or {}).get("label")) for f in seen["api_fields"]]
    )
    print(f"rows: {seen['api_total']:,} (API), {seen['db_count']:,} (count(*))")
    if seen["status"] != "complete" or "job" not in seen["phases"] or problems:
        raise SystemExit(f"xloader job {seen['status']}; problems: {problems}")
    load = ", ".join(
        f"{when} {one:.2f}/{five:.2f}"
        for when, (one, five, _) in (("before", load_before), ("after", os.getloadavg()))
    )
    kinds = sorted({f["type"] for f in fields})
    text = render(
        {
            "rows": rows,
            "csv_bytes": resource.size,
            "baselines": baselines,
            "phases": seen["phases"],
            "publish_s": published["seconds"],
            "split": published["split"],
            "fields": fields,
            "types": ", ".join(kinds),
            "api_total": seen["api_total"],
            "db_count": seen["db_count"],
            "indexes": seen["indexes"],
            "version": xloader_version(env),
        },
        load,
    )
    print(text)
    if not args.no_write:
        write_section(SECTION, text)


if __name__ == "__main__":
    main()
