# ruff: noqa: S608 - SQL text here is assembled from our own table/column names and
# compiler output; every value from a request travels as a bind parameter.
"""The PostgreSQL table that stands in for the Solr core.

One row per dataset, written by CKAN's own indexing code (see `backend.PgDocumentSink`), in the
CKAN database itself. Writes and reads use their own connections from CKAN's engine, so that
indexing behaves like Solr did: outside the request's ORM transaction.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from .sqlgen import normalize_text, parse_solr_date

log = logging.getLogger(__name__)

TABLE = "pgsearch_package"

# Fields copied into the free-text column: what CKAN's Solr schema copies into "text"
# (plus resource names and descriptions, which CKAN indexes as res_name/res_description).
TEXT_SOURCE_FIELDS = (
    "name",
    "title",
    "notes",
    "tags",
    "groups",
    "organization",
    "res_name",
    "res_description",
    "author",
    "maintainer",
    "text",
    "url",
    "version",
    "license_id",
)
TEXT_SOURCE_PREFIXES = ("extras_", "vocab_", "res_extras_")
# Fields copied into the small "facets" column as well: the usual facets (and the score's tags
# and groups). Reading them there avoids decompressing the whole "fields" document per hit.
FACET_FIELDS = frozenset(
    {
        "organization",
        "owner_org",
        "groups",
        "tags",
        "res_format",
        "license_id",
        "dataset_type",
        "type",
    }
)
FACET_PREFIXES = ("vocab_",)
# Large or private values that are stored in their own columns or not at all.
NOT_IN_FIELDS = frozenset({"data_dict", "validated_data_dict"})

_DDL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        id text PRIMARY KEY,
        site_id text NOT NULL,
        name text NOT NULL,
        title_sort text NOT NULL DEFAULT '',
        metadata_created timestamptz,
        metadata_modified timestamptz,
        fields jsonb NOT NULL,
        search_text text NOT NULL,
        data_dict text,
        validated_data_dict text,
        indexed_at timestamptz NOT NULL DEFAULT now()
    )""",
    # jsonb_path_ops: small and fast for the containment (@>) tests every filter compiles to
    f"CREATE INDEX IF NOT EXISTS {TABLE}_fields_idx ON {TABLE} USING gin (fields jsonb_path_ops)",
    # trigram index: serves LIKE '%...%' on Thai and other unsegmented text
    f"CREATE INDEX IF NOT EXISTS {TABLE}_text_idx ON {TABLE} USING gin (search_text gin_trgm_ops)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_title_idx ON {TABLE} USING gin (title_sort gin_trgm_ops)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_name_idx ON {TABLE} (name)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_modified_idx ON {TABLE} (metadata_modified)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_created_idx ON {TABLE} (metadata_created)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_title_sort_idx ON {TABLE} (title_sort)",
    # Every query filters on state, capacity and permission labels. As plain columns they are
    # cheap row filters; inside the jsonb they would cost a detoast per row.
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS state text",
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS capacity text",
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS permission_labels text[]",
    f"""UPDATE {TABLE} SET state = fields->'state'->>0, capacity = fields->'capacity'->>0,
        permission_labels = ARRAY(SELECT jsonb_array_elements_text(fields->'permission_labels'))
        WHERE state IS NULL""",
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS facets jsonb",
    f"""UPDATE {TABLE} SET facets = COALESCE((SELECT jsonb_object_agg(e.key, e.value)
            FROM jsonb_each(fields) e
            WHERE e.key IN ({", ".join(f"'{f}'" for f in sorted(FACET_FIELDS))})
               OR e.key LIKE 'vocab\\_%'), '{{}}'::jsonb)
        WHERE facets IS NULL""",
]

_ready_lock = threading.Lock()
_ready_engines: set[int] = set()


def engine() -> Engine:
    from ckan import model

    bind = model.meta.engine
    if bind is None:  # pragma: no cover - CKAN always initialises the model before requests
        raise RuntimeError("CKAN's database engine is not initialised")
    return bind


def connect() -> Connection:
    """A connection on which the table is known to exist (created on first use)."""
    eng = engine()
    if id(eng) not in _ready_engines:
        with _ready_lock:
            if id(eng) not in _ready_engines:
                with eng.begin() as conn:
                    # the advisory lock keeps concurrent CKAN processes (web + CLI) from racing
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(727274)"))
                    for stmt in _DDL:
                        conn.execute(sa.text(stmt))
                _ready_engines.add(id(eng))
    return eng.connect()


def _as_strings(value: Any) -> list[str] | None:
    if value is None or value == "" or value == []:
        return None
    items = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in items:
        if item is None:
            continue
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, (dict, list)):
            out.append(json.dumps(item, ensure_ascii=False, sort_keys=True))
        else:
            out.append(str(item))
    return out or None


def row_from_doc(doc: dict[str, Any]) -> dict[str, Any]:
    """Turn the Solr document CKAN built for a dataset into a table row."""
    fields: dict[str, list[str]] = {}
    for key, value in doc.items():
        if key in NOT_IN_FIELDS:
            continue
        strings = _as_strings(value)
        if strings is not None:
            fields[key] = strings
    text_parts: list[str] = []
    for key, values in fields.items():
        if key in TEXT_SOURCE_FIELDS or key.startswith(TEXT_SOURCE_PREFIXES):
            text_parts.extend(values)
    title = str(doc.get("title") or "")
    return {
        "id": doc["id"],
        "site_id": str(doc.get("site_id") or ""),
        "name": str(doc.get("name") or ""),
        "title_sort": normalize_text(title.strip()),
        "state": str(doc.get("state") or ""),
        "capacity": str(doc.get("capacity") or ""),
        "permission_labels": fields.get("permission_labels", []),
        "metadata_created": _date(doc.get("metadata_created")),
        "metadata_modified": _date(doc.get("metadata_modified")),
        "fields": json.dumps(fields, ensure_ascii=False),
        "facets": json.dumps(
            {k: v for k, v in fields.items() if k in FACET_FIELDS or k.startswith(FACET_PREFIXES)},
            ensure_ascii=False,
        ),
        "search_text": normalize_text("\n".join(text_parts)),
        "data_dict": doc.get("data_dict"),
        "validated_data_dict": doc.get("validated_data_dict"),
    }


def _date(value: Any) -> datetime | None:
    return parse_solr_date(str(value)) if value else None


_UPSERT = sa.text(f"""
    INSERT INTO {TABLE} (id, site_id, name, title_sort, state, capacity, permission_labels,
                         metadata_created, metadata_modified, fields, facets, search_text,
                         data_dict, validated_data_dict, indexed_at)
    VALUES (:id, :site_id, :name, :title_sort, :state, :capacity, :permission_labels,
            :metadata_created, :metadata_modified, CAST(:fields AS jsonb),
            CAST(:facets AS jsonb), :search_text,
            :data_dict, :validated_data_dict, now())
    ON CONFLICT (id) DO UPDATE SET
        site_id = EXCLUDED.site_id, name = EXCLUDED.name, title_sort = EXCLUDED.title_sort,
        state = EXCLUDED.state, capacity = EXCLUDED.capacity,
        permission_labels = EXCLUDED.permission_labels,
        metadata_created = EXCLUDED.metadata_created,
        metadata_modified = EXCLUDED.metadata_modified, fields = EXCLUDED.fields,
        facets = EXCLUDED.facets,
        search_text = EXCLUDED.search_text, data_dict = EXCLUDED.data_dict,
        validated_data_dict = EXCLUDED.validated_data_dict, indexed_at = now()
""")


def upsert(docs: Iterable[dict[str, Any]]) -> None:
    rows = [row_from_doc(d) for d in docs]
    if not rows:
        return
    with connect() as conn, conn.begin():
        conn.execute(_UPSERT, rows)


def delete(id_or_name: str, site_id: str) -> None:
    with connect() as conn, conn.begin():
        conn.execute(
            sa.text(f"DELETE FROM {TABLE} WHERE (id = :ref OR name = :ref) AND site_id = :site"),
            {"ref": id_or_name, "site": site_id},
        )


def clear(site_id: str) -> None:
    with connect() as conn, conn.begin():
        conn.execute(sa.text(f"DELETE FROM {TABLE} WHERE site_id = :site"), {"site": site_id})
