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

import configparser
import datetime as dt
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for results.py

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))
SECTION = "## DataStore loads by COPY (issue 17)"
OUT = REPO_ROOT / "bench" / "out"
GOAL = 0.5  # xloader's rate / the baseline's

Timings = dict[str, float]


# --- the portal's DataStore database ------------------------------------------------------------


def portal_env(home: Path | None = None) -> dict[str, Any]:
    """The running portal's description (``portalctl up`` writes it)."""
    folder = home or Path(os.environ.get("OGP_PORTAL_DIR") or REPO_ROOT / ".portal")
    return dict(json.loads((folder / "env.json").read_text(encoding="utf-8")))


def datastore_write_url(ckan_ini: Path) -> str:
    """The DataStore's write connection (a libpq URL) from the portal's ckan.ini."""
    parser = configparser.RawConfigParser(strict=False)
    parser.read(ckan_ini, encoding="utf-8")
    return parser.get("app:main", "ckan.datastore.write_url")


def quoted(name: str) -> str:
    """A PostgreSQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def create_sql(table: str, fields: Sequence[dict[str, Any]]) -> str:
    """A table shaped like a DataStore table: ``_id``, ``_full_text`` and the typed columns."""
    columns = ", ".join(f"{quoted(f['id'])} {f['type']}" for f in fields)
    return f"CREATE TABLE {quoted(table)} (_id serial PRIMARY KEY, _full_text tsvector, {columns})"


def copy_sql(table: str, fields: Sequence[dict[str, Any]]) -> str:
    names = ", ".join(quoted(f["id"]) for f in fields)
    return f"COPY {quoted(table)} ({names}) FROM STDIN WITH (FORMAT csv, HEADER true)"


def fulltext_sql(table: str, fields: Sequence[dict[str, Any]]) -> str:
    """The full-text column as xloader fills it: every column as text, blanks as '', joined by
    spaces, ``to_tsvector`` with the database's default configuration."""
    parts = " || ' ' || ".join(
        f"coalesce({quoted(f['id'])}{'' if f['type'] == 'text' else '::text'}, '')" for f in fields
    )
    return f"UPDATE {quoted(table)} SET _full_text = to_tsvector({parts})"


def index_sql(table: str) -> str:
    return f"CREATE INDEX ON {quoted(table)} USING gin (_full_text)"


@contextmanager
def database(url: str) -> Iterator[Any]:
    import psycopg2

    connection = psycopg2.connect(url)
    connection.autocommit = True
    try:
        yield connection
    finally:
        connection.close()


def copy_baseline(url: str, csv_path: Path, fields: Sequence[dict[str, Any]]) -> Timings:
    """COPY the CSV into a DataStore-shaped table, fill ``_full_text``, index it, ANALYZE; the
    seconds of each phase. The table is dropped afterwards."""
    table = f"bench_copy_{uuid.uuid4().hex[:8]}"
    timings: Timings = {}
    with database(url) as connection, connection.cursor() as cursor:
        try:
            phases: list[tuple[str, Callable[[], None]]] = [
                ("create", lambda: cursor.execute(create_sql(table, fields))),
                ("copy", lambda: _copy(cursor, table, fields, csv_path)),
                ("full_text", lambda: cursor.execute(fulltext_sql(table, fields))),
                ("gin_index", lambda: cursor.execute(index_sql(table))),
                ("analyze", lambda: cursor.execute(f"ANALYZE {quoted(table)}")),
            ]
            for name, run in phases:
                started = time.perf_counter()
                run()
                timings[name] = time.perf_counter() - started
            cursor.execute(f"SELECT count(*) FROM {quoted(table)}")
            timings["rows"] = float(cursor.fetchone()[0])
        finally:
            cursor.execute(f"DROP TABLE IF EXISTS {quoted(table)}")
    timings["total"] = sum(timings[name] for name, _ in phases)
    return timings


def _copy(cursor: Any, table: str, fields: Sequence[dict[str, Any]], csv_path: Path) -> None:
    with csv_path.open("rb") as handle:
        cursor.copy_expert(copy_sql(table, fields), handle)


# --- checks of the loaded DataStore table ---------------------------------------------------------


def column_types(url: str, table: str) -> dict[str, str]:
    """The PostgreSQL type of each column of a DataStore table (udt names: int8, numeric...)."""
    with database(url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, udt_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = %s",
            (table,),
        )
        return dict(cursor.fetchall())


def exact_count(url: str, table: str) -> int:
    with database(url) as connection, connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {quoted(table)}")
        return int(cursor.fetchone()[0])


def indexes(url: str, table: str) -> list[str]:
    with database(url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", (table,))
        return sorted(row[0].split(" USING ")[-1] for row in cursor.fetchall())


def check_table(
    expected: Sequence[dict[str, Any]],
    rows: int,
    api_fields: Sequence[dict[str, Any]],
    api_total: int,
    db_types: dict[str, str],
    db_count: int,
) -> list[str]:
    """What is wrong with a loaded table (empty: nothing): every expected column with its
    DataStore type in the API and in PostgreSQL, its dictionary label and notes, and the rows."""
    problems = []
    shown = {field["id"]: field for field in api_fields}
    for field in expected:
        name, kind, info = field["id"], field["type"], field.get("info", {})
        got = shown.get(name)
        if got is None:
            problems.append(f"{name}: not in the DataStore table")
            continue
        if got.get("type") != kind:
            problems.append(f"{name}: API type {got.get('type')!r}, expected {kind!r}")
        if db_types.get(name) != kind:
            problems.append(f"{name}: PostgreSQL type {db_types.get(name)!r}, expected {kind!r}")
        got_info = got.get("info") or {}
        for key in ("label", "notes"):
            if (got_info.get(key) or "") != (info.get(key) or ""):
                problems.append(
                    f"{name}: dictionary {key} {got_info.get(key)!r} != {info.get(key)!r}"
                )
    extra = sorted(set(shown) - {f["id"] for f in expected} - {"_id"})
    if extra:
        problems.append(f"columns not in the contract: {extra}")
    if api_total != rows:
        problems.append(f"API total {api_total:,} != {rows:,} rows")
    if db_count != rows:
        problems.append(f"count(*) {db_count:,} != {rows:,} rows")
    return problems


# --- report -------------------------------------------------------------------------------------


def rate(rows: float, seconds: float) -> str:
    return f"{rows / seconds:,.0f} rows/s" if seconds > 0 else "—"


def render(result: dict[str, Any], load: str) -> str:
    base: Timings = result["baseline"]
    xl: Timings = result["xloader"]
    rows = result["rows"]
    ratio = (rows / xl["load"]) / (rows / base["total"])
    met = ratio >= GOAL
    lines = [
        SECTION,
        "",
        f"`.venv/bin/python bench/publish/bench_xloader.py` — {dt.date.today().isoformat()}, "
        f"local CKAN 2.12 portal with ckanext-xloader {result['xloader_version']} (CKAN dev "
        "server, job worker and PostgreSQL on this 2-core machine, shared with other work; "
        f"load average 1/5 min {load}). The {rows:,}-row procurement table "
        "(`bench/generate.py procurement --style canonical`, 16 columns) as the publisher's "
        f"CSV ({result['csv_bytes'] / 1e6:,.0f} MB), loaded once each way in the same run.",
        "",
        "| load | seconds | rate | vs baseline |",
        "|---|---:|---:|---:|",
        f"| COPY baseline: create, COPY, `_full_text`, GIN index, ANALYZE | {base['total']:.1f} "
        f"| {rate(rows, base['total'])} | 1.00 |",
        f"| publisher → xloader: submit to job complete | {xl['load']:.1f} | "
        f"{rate(rows, xl['load'])} | {ratio:.2f} |",
        f"| publisher → xloader: upload + declare + submit + job | {xl['total']:.1f} | "
        f"{rate(rows, xl['total'])} | {(base['total'] / xl['total']):.2f} |",
        f"| before (issue 5): batched `datastore_upsert` | {rows / 4852:.0f} | 4,852 rows/s "
        f"| {(base['total'] / (rows / 4852)):.2f} |",
        "",
        "Baseline phases: "
        + ", ".join(
            f"{name} {base[name]:.1f} s" for name in ("copy", "full_text", "gin_index", "analyze")
        )
        + ".",
        f"Goal: xloader at least {GOAL:.0%} of the baseline's rate: "
        f"**{'met' if met else 'NOT met'}** ({ratio:.0%}).",
        "",
        "Checks after the load (asserted): column types in the API and in PostgreSQL "
        f"({result['types']}), the data dictionary's Thai / English labels and notes of all "
        f"{result['columns']} columns, the row count ({result['api_total']:,} from the API, "
        f"{result['db_count']:,} by `count(*)`). Indexes on the xloader table: "
        f"{'; '.join(result['indexes'])}.",
        "",
    ]
    return "\n".join(lines)


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
