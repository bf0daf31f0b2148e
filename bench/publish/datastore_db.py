"""The local portal's DataStore database, for the COPY baseline of ``bench_xloader.py``: its
connection (from the portal's ckan.ini), a DataStore-shaped table loaded by COPY with its
full-text column and index, and what a loaded table holds (column types, rows, indexes)."""

from __future__ import annotations

import configparser
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
Timings = dict[str, float]


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


def index_sql(table: str, method: str = "gin") -> str:
    """The full-text index: GIN (the baseline of issue 17) or GiST (what CKAN's DataStore
    builds by default, ``ckan.datastore.default_fts_index_method``)."""
    name = quoted(f"{table}_{method}")
    return f"CREATE INDEX {name} ON {quoted(table)} USING {method} (_full_text)"


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
    """COPY the CSV into a DataStore-shaped table, fill ``_full_text``, index it (GIN), ANALYZE;
    the seconds of each phase and their ``total``. Then, apart from the total, the seconds of a
    GiST index on the same column (``gist_index``, the DataStore's kind). The table is dropped
    afterwards."""
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
            started = time.perf_counter()
            cursor.execute(index_sql(table, "gist"))
            timings["gist_index"] = time.perf_counter() - started
            cursor.execute(f"SELECT count(*) FROM {quoted(table)}")
            timings["rows"] = float(cursor.fetchone()[0])
        finally:
            cursor.execute(f"DROP TABLE IF EXISTS {quoted(table)}")
    timings["total"] = sum(timings[name] for name, _ in phases)
    return timings


def _copy(cursor: Any, table: str, fields: Sequence[dict[str, Any]], csv_path: Path) -> None:
    with csv_path.open("rb") as handle:
        cursor.copy_expert(copy_sql(table, fields), handle)


# --- a loaded table ------------------------------------------------------------------------------


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
