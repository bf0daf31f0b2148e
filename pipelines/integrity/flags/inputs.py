"""The relations every red-flag query reads, built once per run from the gate's tables.

``procurement``: the typed procurement rows (every row that passed the schema) plus what the
OCDS export shows of each: ``ocid``, ``ocds_method`` (tender.procurementMethod),
``method_details`` (tender.procurementMethodDetails), ``tender_status`` and ``supplier_id``
(awards[].suppliers[].id: ``TH-TIN-<tax id>`` for a juristic-person number, else a
project-scoped id that matches no tenderer, as a sole trader's citizen id is never published).
``processes``: its rows whose tender is not cancelled (Cardinal excludes cancelled processes
from every indicator). ``awards``: processes with an active award (status awarded or contracted).
``bids``: one row per bid (family ``procurement_bids``) with ``tenderer_id``, the id the OCDS
export gives the tenderer: ``TH-TIN-<tax id>`` for a juristic-person number, else an id of its
own (``<project_id>-tenderer-<row>``) that matches no supplier and no other bid.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from stdnum.th import moa

from pipelines.integrity.ocds_bids import BidsTableError
from pipelines.integrity.ocds_config import OcdsConfig, load_ocds_config, ocid_for, ocid_prefix
from pipelines.integrity.procurement_table import cast_columns, typed

AWARD_STATUSES = ("awarded", "contracted")
BID_STATUSES = ("valid", "disqualified", "withdrawn", "pending", "invited")
BIDS_SCHEMA = pa.schema(
    [
        ("project_id", pa.string()),
        ("agency_code", pa.string()),
        ("bidder_tax_id", pa.string()),
        ("bid_amount", pa.float64()),
        ("bid_status", pa.string()),
    ]
)


def organization_ids(tax_ids: pa.ChunkedArray | pa.Array, scheme: str) -> pa.Array:
    """``<scheme>-<tax id>`` for a juristic-person number, NULL otherwise."""
    values = tax_ids.to_pylist()
    valid = {v for v in set(values) if v is not None and moa.is_valid(v)}
    return pa.array([f"{scheme}-{v}" if v in valid else None for v in values], pa.string())


def procurement_relation(table: pa.Table, config: OcdsConfig | None = None) -> pa.Table:
    """The typed procurement ``table`` with the OCDS view of each row (module docstring)."""
    config = config or load_ocds_config()
    table = typed(table)
    prefix = ocid_prefix(config)
    ids = table["project_id"].to_pylist()
    methods = table["method"].to_pylist()
    statuses = table["status"].to_pylist()
    mapped = [config.methods.get(m) if m is not None else None for m in methods]
    tender = [config.statuses.get(s) if s is not None else None for s in statuses]
    suppliers = organization_ids(table["winner_tax_id"], config.supplier_scheme).to_pylist()
    has_supplier = pc.or_(
        pc.is_valid(table["winner_tax_id"]), pc.is_valid(table["winner_name"])
    ).to_pylist()
    supplier_ids = [
        tin if tin is not None else (f"{pid}-supplier" if present else None)
        for tin, present, pid in zip(suppliers, has_supplier, ids, strict=True)
    ]
    extra = {
        "ocid": [ocid_for(pid, prefix) if pid else None for pid in ids],
        "ocds_method": [m.procurement_method if m else None for m in mapped],
        "method_details": [m.details if m else None for m in mapped],
        "tender_status": [t.tender_status if t else None for t in tender],
        "supplier_id": supplier_ids,
    }
    for name, values in extra.items():
        table = table.append_column(name, pa.array(values, pa.string()))
    return table


def bids_relation(bids: pa.Table, config: OcdsConfig | None = None) -> pa.Table:
    """The bids the flags read, typed, with ``tenderer_id`` (module docstring)."""
    config = config or load_ocds_config()
    table = cast_columns(bids, BIDS_SCHEMA, "bids table", BidsTableError)
    # bidder_name only orders equal bids as the export does (R036's ties); optional
    names = bids["bidder_name"] if "bidder_name" in bids.column_names else None
    table = table.append_column(
        "bidder_name",
        pc.cast(names, pa.string()) if names is not None else pa.nulls(table.num_rows, pa.string()),
    )
    juristic = organization_ids(table["bidder_tax_id"], config.supplier_scheme).to_pylist()
    ids = [
        tin if tin is not None else f"{project}-tenderer-{row}"
        for row, (tin, project) in enumerate(
            zip(juristic, table["project_id"].to_pylist(), strict=True)
        )
    ]
    return table.append_column("tenderer_id", pa.array(ids, pa.string()))


def empty_bids() -> pa.Table:
    """A bids relation with no rows (an agency without a bids file)."""
    empty = BIDS_SCHEMA.empty_table().append_column("bidder_name", pa.array([], pa.string()))
    return empty.append_column("tenderer_id", pa.array([], pa.string()))
