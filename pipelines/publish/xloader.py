"""Loading a DataStore table through ckanext-xloader, when the portal offers it.

ckanext-xloader loads a resource's file into the DataStore inside the portal, by PostgreSQL
COPY, as a background job; CKAN's ``datastore_upsert`` inserts one row at a time. When the
portal's ``status_show`` lists the ``xloader`` extension (asked once per client), the publisher
loads every DataStore table this way:

1. the CSV is already uploaded as the resource's file (the executor does that first);
2. the resource is marked ``datastore_load: loading`` (public, read by the readiness report: a
   table being loaded, or whose load failed, is not counted as available through the API);
3. the table is declared (dropped, then ``datastore_create`` with the fields, their PostgreSQL
   types from :mod:`pipelines.schema_types` and the bilingual dictionary, ``type_override``
   included, and the primary key, no records): xloader finds it, keeps those types (it reads
   ``type_override``) and COPYs the file into it;
4. ``xloader_submit`` (``ignore_hash``: a failed load of the same bytes must load again), then
   ``xloader_status`` is polled until the job is complete or has failed, within a deadline;
   a failure raises :class:`XloaderLoadError` with xloader's own log lines;
5. the columns' types and the row count are checked against the declared ones and the file's
   (a COPY that fails makes xloader retry with its own type guessing, which may complete);
   then the cells the CSV cannot carry exactly are set to
   their exact values (by ``_id``, the row's position in the file): text that the CSV
   neutralises for spreadsheets (a leading ``=``, ``+``, ``-``, ``@``, tab or CR gets an
   apostrophe) and text holding a CR (xloader reads the file with universal newlines). Empty
   text stays null, as COPY reads it: the CSV cannot tell the two apart either.

The executor then writes ``datastore_hash`` and ``datastore_load: loaded`` in one patch, so an
interrupted or failed load is loaded again by the next run (the plan compares the hash). The
portal runs xloader with no automatic submission (see portal/ckan.ini.tmpl), so no second job
races this one.

xloader 2.6.0 runs its last step (full-text trigger back on, indexes) on a connection it never
commits under SQLAlchemy 2: the table keeps its filled ``_full_text`` column (``q`` searches
work) but no full-text index and a disabled trigger. Adding the trigger back through
``datastore_create`` rebuilds the indexes inside CKAN's fixed 60 s statement limit, which a
million-row table can exceed on a loaded 2-core machine; so it is done only when rows must be
set back (an update with the trigger off empties the row's search text), and the publisher
never writes into such a table in place: on a portal with xloader every reload builds a new
table (:func:`pipelines.publish.datastore.load_datastore`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import weakref
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from ckanapi import CKANAPIError, NotFound

from pipelines.publish.client import CKANClient, PortalDeadlineError
from pipelines.publish.csvfile import FORMULA_TRIGGERS
from pipelines.publish.metadata import datastore_fields
from pipelines.publish.model import DatastoreTable

log = logging.getLogger(__name__)

XLOADER_EXTENSION = "xloader"
LOADER_ENV = "OGP_DATASTORE_LOADER"  # auto (xloader when the portal offers it) or upsert
LOAD_STATE_KEY = "datastore_load"  # a resource field, public
LOADING, FAILED, LOADED = "loading", "failed", "loaded"
NOT_LOADED = frozenset({LOADING, FAILED})  # not available through the API (readiness)
DEFAULT_WAIT_S = 3600.0  # the portal's ckanext.xloader.job_timeout
# A running job logs each step and every 100,000 rows indexed (a 1 GiB COPY chunk, the longest
# silent step, takes well under a minute here): this long without a new line,
# its worker is gone (the job of a worker stopped by a portal restart stays "running").
STALL_S = 600.0
FIX_BATCH_ROWS = 5_000
MIN_ROWS_ENV = "OGP_XLOADER_MIN_ROWS"
# Where the two paths take about the same time on the 2-core machine of bench/RESULTS.md: an
# xloader job's ~2 s of overhead against datastore_upsert's ~5,000 rows/s.
MIN_ROWS = 10_000
LOG_LINES = 30  # xloader log lines carried by an error

_offers: weakref.WeakKeyDictionary[CKANClient, bool] = weakref.WeakKeyDictionary()
_offers_lock = threading.Lock()


class XloaderLoadError(CKANAPIError):
    """An xloader job failed or did not finish in time; the message carries its log."""


class XloaderJobError(XloaderLoadError):
    """The job ended, but without the declared table: it failed (a cell over xloader's CSV
    field limit, for one), or loaded other types or another number of rows (it skips a wholly
    blank row). The publisher then loads the table by ``datastore_upsert`` instead."""


def offers_xloader(client: CKANClient) -> bool:
    """Whether the portal runs ckanext-xloader (its ``status_show`` extensions); asked once per
    client, so once per publish run. ``OGP_DATASTORE_LOADER=upsert`` keeps the batched
    ``datastore_upsert`` path on any portal (``auto``, the default, takes xloader if offered)."""
    with _offers_lock:
        known = _offers.get(client)
        if known is None:
            choice = os.environ.get(LOADER_ENV, "auto").strip().lower() or "auto"
            if choice not in ("auto", "upsert"):
                raise ValueError(f"{LOADER_ENV}={choice!r}: use auto or upsert")
            status = {} if choice == "upsert" else client.call("status_show")
            known = XLOADER_EXTENSION in (status.get("extensions") or [])
            _offers[client] = known
            log.info("portal %s: DataStore loads %s", client.url, _path_name(known))
        return known


def loads_by_xloader(client: CKANClient, rows: int) -> bool:
    """Whether a table of ``rows`` rows is loaded by an xloader job: when the portal offers it
    and the table has at least ``OGP_XLOADER_MIN_ROWS`` rows (default :data:`MIN_ROWS`).

    A job costs about two seconds whatever its size (queued, the file downloaded back, the
    table declared, indexed and analysed) and the portal's worker runs one at a time, so a
    small table is quicker in one ``datastore_upsert`` and does not wait behind a large load.
    """
    if not offers_xloader(client):
        return False
    raw = os.environ.get(MIN_ROWS_ENV, "").strip()
    try:
        least = int(raw) if raw else MIN_ROWS
    except ValueError:
        raise ValueError(f"{MIN_ROWS_ENV}={raw!r}: give a number of rows") from None
    return rows >= least


def _path_name(xloader: bool) -> str:
    return "through ckanext-xloader" if xloader else "through datastore_upsert"


def loaded_marks(client: CKANClient) -> dict[str, str]:
    """What the executor's last patch of a loaded resource adds (nothing without xloader)."""
    return {LOAD_STATE_KEY: LOADED} if offers_xloader(client) else {}


def xloader_fields(table: DatastoreTable) -> list[dict[str, Any]]:
    """``datastore_create`` fields for xloader: the DataStore fields (types, dictionary with
    ``type_override``) and xloader's ``strip_extra_white`` off, so cells keep their spaces."""
    return [{**field, "strip_extra_white": False} for field in datastore_fields(table)]


def load_via_xloader(
    client: CKANClient,
    resource_id: str,
    table: DatastoreTable,
    wait_s: float = DEFAULT_WAIT_S,
    poll_s: float = 0.25,
) -> int:
    """Load the resource's uploaded CSV into its DataStore table by an xloader job; returns the
    number of rows the table holds (the file's, checked)."""
    client.call("resource_patch", {"id": resource_id, LOAD_STATE_KEY: LOADING})
    _declare(client, resource_id, table)
    job = _submit(client, resource_id, wait_s, poll_s)
    status = _wait(client, resource_id, job, wait_s, poll_s)
    if status["status"] != "complete":
        client.call("resource_patch", {"id": resource_id, LOAD_STATE_KEY: FAILED})
        raise XloaderJobError(_failure(resource_id, status))
    # checked first: the exact values are set by row position, which holds only when every
    # row of the file is in the table (xloader skips a wholly blank row, for one)
    count, types = table_state(client, resource_id)
    wanted = [(field["id"], field["type"]) for field in datastore_fields(table)]
    problem = None
    if types != wanted:
        # when COPY fails xloader retries with its own type guessing, which can complete
        problem = f"xloader loaded the table with other columns or types: {types}, not {wanted}"
    elif count != table.num_rows:
        problem = f"xloader loaded {count} rows, the file has {table.num_rows}"
    if problem is not None:
        client.call("resource_patch", {"id": resource_id, LOAD_STATE_KEY: FAILED})
        raise XloaderJobError(f"DataStore table of {resource_id}: {problem}" + _log_tail(status))
    _fix_exact_values(client, resource_id, table.table, status)
    return table.num_rows  # = count, checked above


def _declare(client: CKANClient, resource_id: str, table: DatastoreTable) -> None:
    """A new, empty table with the declared types and dictionary (xloader then COPYs into it)."""
    with contextlib.suppress(NotFound):  # no table yet
        client.call("datastore_delete", {"resource_id": resource_id, "force": True})
    create: dict[str, Any] = {
        "resource_id": resource_id,
        "force": True,
        "fields": xloader_fields(table),
        "records": [],
    }
    if table.primary_key:
        create["primary_key"] = list(table.primary_key)
    client.call("datastore_create", create)


def _restore_full_text_trigger(
    client: CKANClient, resource_id: str, status: dict[str, Any]
) -> None:
    """Put the full-text trigger back before rows are updated: with it off, an updated row's
    search text is emptied and the row drops out of every ``q`` search. The DataStore API
    cannot enable a trigger, but it can add one running the same function; that rebuilds the
    table's indexes inside CKAN's 60 s statement limit. Past it, the load goes by upsert."""
    try:
        client.call(
            "datastore_create",
            {
                "resource_id": resource_id,
                "force": True,
                "triggers": [{"function": "populate_full_text_trigger"}],
            },
        )
    except PortalDeadlineError:
        raise
    except Exception as error:
        raise XloaderJobError(
            f"DataStore table of {resource_id}: its search trigger could not be restored "
            f"before the exact values were set ({error})" + _log_tail(status)
        ) from None


def _status(client: CKANClient, resource_id: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = client.call("xloader_status", {"resource_id": resource_id})
    except NotFound:
        return None
    return found


def _submit(client: CKANClient, resource_id: str, wait_s: float, poll_s: float) -> str | None:
    """Submit the job; returns its id. A job of the resource still queued or running (a run
    that stopped while waiting) is waited for first: xloader refuses a second one meanwhile."""
    data = {"resource_id": resource_id, "ignore_hash": True}
    for _ in range(2):
        if client.call("xloader_submit", data):
            status = _status(client, resource_id) or {}
            return status.get("job_id")
        previous = _status(client, resource_id) or {}
        log.info("%s: an xloader job is already pending; waiting for it", resource_id)
        _wait(client, resource_id, previous.get("job_id"), wait_s, poll_s)
    raise XloaderLoadError(f"xloader_submit for {resource_id} was refused twice")


def _wait(
    client: CKANClient, resource_id: str, job: str | None, wait_s: float, poll_s: float
) -> dict[str, Any]:
    """Poll xloader_status until the job is complete or failed; the deadline is ``wait_s`` or
    what remains of the client's overall deadline, whichever comes first."""
    remaining = client.remaining_s()
    limit = wait_s if remaining is None else max(0.0, min(wait_s, remaining))
    deadline = time.monotonic() + limit
    delay = poll_s
    status: dict[str, Any] = {}
    seen: tuple[Any, ...] = ()
    moved = time.monotonic()
    while True:
        status = _status(client, resource_id) or {}
        state = status.get("status")
        if state in ("complete", "error"):  # a submit sets "pending" before it returns
            return status
        now = time.monotonic()
        progress = (state, len((status.get("task_info") or {}).get("logs") or []))
        if progress != seen:
            seen, moved = progress, now
        elif state == "running" and now - moved > STALL_S:
            # a worker stopped mid-job (a portal restart) leaves its job "running" for ever
            raise XloaderLoadError(
                f"xloader job {job} for {resource_id} logged nothing for {STALL_S:.0f} s "
                "while running; the next run loads the table again" + _log_tail(status)
            )
        if now + delay > deadline:
            raise XloaderLoadError(
                f"xloader job {job} for {resource_id} not finished after {limit:.0f} s "
                f"(status {state}); the next run loads the table again" + _log_tail(status)
            )
        time.sleep(delay)
        delay = min(delay * 1.5, 1.0)  # xloader_status is a cheap read


def _log_tail(status: dict[str, Any]) -> str:
    logs = (status.get("task_info") or {}).get("logs") or []
    lines = [f"{entry.get('level', '')} {entry.get('message', '')}".strip() for entry in logs]
    return ("\nxloader log:\n  " + "\n  ".join(lines[-LOG_LINES:])) if lines else ""


def _failure(resource_id: str, status: dict[str, Any]) -> str:
    error = status.get("error")
    if isinstance(error, dict):
        error = error.get("message") or error
    return f"xloader job {status.get('job_id')} for {resource_id} failed: {error}" + _log_tail(
        status
    )


def table_state(client: CKANClient, resource_id: str) -> tuple[int | None, list[tuple[str, str]]]:
    """The table's row count and its columns' (name, type), None and [] when there is none."""
    try:
        found = client.call("datastore_search", {"resource_id": resource_id, "limit": 0})
    except NotFound:
        return None, []
    fields = [(f["id"], f["type"]) for f in found["fields"] if f["id"] != "_id"]
    return int(found["total"]), fields


def _inexact(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Text cells the CSV does not carry exactly: neutralised for spreadsheets, or holding a
    CR. (Empty text stays null, as COPY reads it: the CSV cannot tell the two apart either.)"""
    # xloader re-reads the file with universal newlines: a CR anywhere in a cell becomes LF
    mask = pc.match_substring(column, "\r")
    for trigger in FORMULA_TRIGGERS:
        mask = pc.or_(mask, pc.starts_with(column, trigger))
    return pc.fill_null(mask, False)


def _fix_exact_values(
    client: CKANClient, resource_id: str, table: pa.Table, status: dict[str, Any]
) -> int:
    """Set the cells the CSV altered to their exact values, by ``_id`` (COPY numbers the rows
    of a new table from 1 in file order); returns the number of rows updated."""
    masks = {
        name: _inexact(table[name])
        for name in table.column_names
        if pa.types.is_string(table[name].type) or pa.types.is_large_string(table[name].type)
    }
    rows: dict[int, dict[str, Any]] = {}
    for name, mask in masks.items():
        positions = pc.indices_nonzero(mask).to_pylist()
        if not positions:
            continue
        values = table[name].take(positions).to_pylist()
        for position, value in zip(positions, values, strict=True):
            rows.setdefault(position, {"_id": position + 1})[name] = value
    records = [rows[position] for position in sorted(rows)]
    if not records:
        return 0
    _restore_full_text_trigger(client, resource_id, status)
    for start in range(0, len(records), FIX_BATCH_ROWS):
        client.call(
            "datastore_upsert",
            {
                "resource_id": resource_id,
                "force": True,
                "method": "update",
                "records": records[start : start + FIX_BATCH_ROWS],
                "calculate_record_count": False,
            },
        )
    log.info("%s: %d rows set to their exact text after the COPY", resource_id, len(records))
    return len(records)
