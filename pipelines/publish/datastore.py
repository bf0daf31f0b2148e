"""Loading a table into CKAN's DataStore, in large batches, with its data dictionary.

A table with a primary key that already exists is updated in place: its data dictionary is
updated, every row is upserted, then the keys no longer in the file are deleted. The table is
never dropped, so a reader (the public, for a published dataset) sees at every moment every old
row (some already at their new values) and never a half-filled table; an interruption leaves it
so until the re-run. A table without a key cannot be updated in place (CKAN has no atomic swap
and rows have no identity): it is rebuilt (delete, create with the first batch, insert the rest),
so an interruption leaves it partial until the re-run, which the publish receipt says. Only
CKAN's DataStore API is used (no direct database access), so this is as safe as CKAN allows.
A table whose fields changed incompatibly (or that had no key) is rebuilt too.

Values are sent exactly as they are in the clean table (no spreadsheet neutralisation): dates as
ISO text, decimals as text so no precision is lost on the way to PostgreSQL ``numeric``.

Retries cannot double rows: a ``datastore_create`` whose reply was lost is found (the table
exists: create and first batch are one transaction) instead of being sent again; a retried
batch of a table with a primary key is sent as an upsert; and the loaded table's row count is
checked against the file's at the end, rebuilding the table once when they differ (a retried
batch of a table without a key).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from ckanapi import CKANAPIError, NotFound, ValidationError

from pipelines.publish.client import CKANClient
from pipelines.publish.metadata import datastore_fields
from pipelines.publish.model import DatastoreTable, ResourceFile
from pipelines.publish.xloader import (
    XloaderJobError,
    load_via_xloader,
    loads_by_xloader,
    offers_xloader,
    table_state,
)

log = logging.getLogger(__name__)

# Measured on the local portal (bench/publish): CKAN inserts row by row, so batches beyond ~10k
# rows gain nothing, while three batches in flight load ~1.5x faster than one.
DEFAULT_BATCH_ROWS = 10_000
DEFAULT_PARALLEL = 3
KEYS_PAGE = 32_000  # CKAN's default ckan.datastore.search.rows_max
DELETE_CHUNK = 1_000  # key values per datastore_delete


def _json_ready(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A column whose Python values json.dumps accepts, without changing what they say."""
    kind = column.type
    if pa.types.is_floating(kind):
        return pc.if_else(pc.is_nan(column), pa.scalar(None, kind), column)
    if (
        pa.types.is_date(kind)
        or pa.types.is_timestamp(kind)
        or pa.types.is_time(kind)
        or pa.types.is_decimal(kind)
    ):
        return pc.cast(column, pa.string())
    return column


def record_batches(table: pa.Table, batch_rows: int) -> Iterator[list[dict[str, Any]]]:
    """The table as lists of JSON-ready records, ``batch_rows`` at a time."""
    ready = pa.Table.from_arrays(
        [_json_ready(column) for column in table.columns], names=table.column_names
    )
    for offset in range(0, max(ready.num_rows, 1), batch_rows):
        yield ready.slice(offset, batch_rows).to_pylist()


class DatastoreCountError(CKANAPIError):
    """The DataStore table does not hold the file's rows even after a rebuild."""


class DuplicateKeyError(CKANAPIError):
    """A keyed table whose primary key repeats: the DataStore would refuse it midway."""


def check_unique_keys(resources: Iterable[ResourceFile]) -> None:
    """Refuse, before anything is written, a DataStore table whose primary key repeats: the
    DataStore would accept the dataset's first tables and refuse this one, leaving a public
    dataset half-updated (a keyed table being rebuilt is dropped first). Names the resource,
    the key and how many key values repeat, never the values."""
    for resource in resources:
        table = resource.datastore
        if table is None or not table.primary_key or table.num_rows < 2:
            continue
        key = list(table.primary_key)
        counts = table.table.select(key).group_by(key).aggregate([([], "count_all")])
        repeated = pc.sum(pc.greater(counts["count_all"], 1)).as_py() or 0
        if repeated:
            raise DuplicateKeyError(
                f"{resource.name}: the primary key ({', '.join(key)}) repeats for {repeated} "
                "value(s): nothing of the dataset was written"
            )


def _row_count(client: CKANClient, resource_id: str) -> int | None:
    """Rows in the resource's DataStore table, None when there is no table."""
    return table_state(client, resource_id)[0]


def _drop_table(client: CKANClient, resource_id: str) -> None:
    with contextlib.suppress(NotFound):  # no table yet
        client.call("datastore_delete", {"resource_id": resource_id, "force": True})


def load_datastore(
    client: CKANClient,
    resource_id: str,
    table: DatastoreTable,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    replace: bool = True,
    parallel: int = DEFAULT_PARALLEL,
) -> int:
    """(Re)build the resource's DataStore table; returns the number of rows it holds.

    On a portal running ckanext-xloader the table is declared and loaded from the resource's
    uploaded CSV by an xloader job (:mod:`pipelines.publish.xloader`). Otherwise, after the
    first batch (which creates the table), ``parallel`` batches are in flight at once:
    CKAN inserts a batch row by row, so the portal's database, not the network, sets the pace,
    and a second connection keeps it busy while the first request is being parsed.
    """
    if loads_by_xloader(client, table.num_rows):
        try:
            return load_via_xloader(client, resource_id, table)
        except XloaderJobError as failed:
            # the job's table is empty or wrong: load it here rather than leave it so each run
            log.warning("%s; loading it by datastore_upsert instead", failed)
            replace = True
    # never in place on an xloader portal: a table xloader loaded has its trigger off
    in_place = replace and not offers_xloader(client)
    loaded = _load(client, resource_id, table, batch_rows, replace, parallel, in_place)
    count = _row_count(client, resource_id)
    if count != table.num_rows:
        # Only a retried batch of a table without a primary key can do this: start again.
        log.warning(
            "DataStore table of %s holds %s rows instead of %d: rebuilding it",
            resource_id,
            count,
            table.num_rows,
        )
        loaded = _load(client, resource_id, table, batch_rows, True, parallel)
        count = _row_count(client, resource_id)
        if count != table.num_rows:
            raise DatastoreCountError(
                f"DataStore table of {resource_id} holds {count} rows, the file {table.num_rows}"
            )
    return loaded


def _existing_keys(client: CKANClient, resource_id: str, key: list[str]) -> list[dict[str, Any]]:
    """The key values of every row of the resource's table, as the DataStore returns them."""
    rows: list[dict[str, Any]] = []
    while True:
        page = client.call(
            "datastore_search",
            {
                "resource_id": resource_id,
                "fields": key,
                "sort": "_id",
                "limit": KEYS_PAGE,
                "offset": len(rows),
                "include_total": False,
            },
        )
        records = page["records"]
        rows.extend({name: record[name] for name in key} for record in records)
        if len(records) < KEYS_PAGE:
            return rows


def _key_of(row: dict[str, Any], key: list[str]) -> tuple[str, ...]:
    return tuple("" if row[name] is None else str(row[name]) for name in key)


def _delete_rows(client: CKANClient, resource_id: str, stale: list[dict[str, Any]]) -> None:
    if not stale:
        return
    names = list(stale[0])
    if len(names) == 1:
        (name,) = names
        for start in range(0, len(stale), DELETE_CHUNK):
            values = [row[name] for row in stale[start : start + DELETE_CHUNK]]
            filters: dict[str, Any] = {name: values}
            client.call(
                "datastore_delete", {"resource_id": resource_id, "force": True, "filters": filters}
            )
        return
    for row in stale:  # a composite key: one row at a time (rare, and few rows go)
        client.call("datastore_delete", {"resource_id": resource_id, "force": True, "filters": row})


def _update_in_place(
    client: CKANClient, resource_id: str, table: DatastoreTable, batch_rows: int, parallel: int
) -> int:
    """Upsert every row into the existing keyed table, then delete the keys that went."""
    key = list(table.primary_key)
    client.call(
        "datastore_create",
        {
            "resource_id": resource_id,
            "force": True,
            "fields": datastore_fields(table),
            "primary_key": key,
            "records": [],
        },
    )
    loaded = _insert_batches(
        client,
        resource_id,
        record_batches(table.table, batch_rows),
        max(1, parallel),
        keyed=True,
        method="upsert",
    )
    wanted = {
        _key_of(row, key)
        for row in table.table.select(key)
        .cast(pa.schema([(name, pa.string()) for name in key]))
        .to_pylist()
    }
    stale = [
        row for row in _existing_keys(client, resource_id, key) if _key_of(row, key) not in wanted
    ]
    _delete_rows(client, resource_id, stale)
    _count_records(client, resource_id)
    return loaded


def _count_records(client: CKANClient, resource_id: str) -> None:
    """One cheap call so datastore_search reports the exact total straight away."""
    client.call(
        "datastore_upsert",
        {
            "resource_id": resource_id,
            "force": True,
            "method": "insert",
            "records": [],
            "calculate_record_count": True,
        },
    )


def _load(
    client: CKANClient,
    resource_id: str,
    table: DatastoreTable,
    batch_rows: int,
    replace: bool,
    parallel: int,
    in_place: bool = True,
) -> int:
    if in_place and replace and table.primary_key and _row_count(client, resource_id) is not None:
        try:
            return _update_in_place(client, resource_id, table, batch_rows, parallel)
        except ValidationError as error:  # fields changed incompatibly, or the old table had no key
            log.warning(
                "DataStore table of %s cannot be updated in place (%s): rebuilding it",
                resource_id,
                error,
            )
    if replace:
        _drop_table(client, resource_id)
    batches = record_batches(table.table, batch_rows)
    first = next(batches)
    create: dict[str, Any] = {
        "resource_id": resource_id,
        "force": True,  # uploaded resources are read-only to the DataStore API otherwise
        "fields": datastore_fields(table),
        "records": first,
        "calculate_record_count": table.num_rows <= batch_rows,
    }
    if table.primary_key:
        create["primary_key"] = list(table.primary_key)

    def table_exists() -> dict[str, Any] | None:
        # The table was dropped above (or never existed): if it exists now, our create (table
        # and first batch, one transaction) went through and only its reply was lost.
        return {"resource_id": resource_id} if _row_count(client, resource_id) is not None else None

    client.call("datastore_create", create, already_done=table_exists)
    loaded = len(first) + _insert_batches(
        client, resource_id, batches, max(1, parallel), keyed=bool(table.primary_key)
    )
    if table.num_rows > batch_rows:
        _count_records(client, resource_id)
    return loaded


def _insert_batches(
    client: CKANClient,
    resource_id: str,
    batches: Iterator[list[dict[str, Any]]],
    parallel: int,
    keyed: bool,
    method: str = "insert",
) -> int:
    """Insert (or upsert) the batches with at most ``parallel`` in flight (and in memory) at once.

    A batch retried after a failed or lost reply is upserted when the table has a primary key,
    so a batch that had in fact been inserted is not refused as a duplicate key.
    """
    tally = client.traffic.current_tally()  # the dataset's, so its receipt counts these too

    def insert(records: list[dict[str, Any]]) -> int:
        client.traffic.adopt_tally(tally)
        data = {
            "resource_id": resource_id,
            "force": True,
            "method": method,
            "records": records,
            "calculate_record_count": False,
        }
        retry = {**data, "method": "upsert"} if keyed else None
        client.call("datastore_upsert", data, retry_data=retry)
        return len(records)

    loaded = 0
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        pending: set[Future[int]] = set()
        for records in batches:
            if len(pending) >= parallel:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                loaded += sum(future.result() for future in done)
            pending.add(pool.submit(insert, records))
        loaded += sum(future.result() for future in pending)
    return loaded
