# ruff: noqa: S608 - SQL text here is assembled from our own table/column names and
# compiler output; every value from a request travels as a bind parameter.
"""Swap CKAN's Solr search backend for the PostgreSQL one.

Hook points (CKAN 2.12, ckan/lib/search/__init__.py):

* ``_INDICES['package']``: the index class used by ``index_for`` (package create/update/delete,
  ``ckan search-index rebuild``);
* ``_QUERIES['package']`` and the module attribute ``PackageSearchQuery``: ``query_for`` is used
  by package_search/package_autocomplete, while model_dictize instantiates
  ``search.PackageSearchQuery`` directly for organization/group counts and tag_show;
* ``check_solr_schema_version``: called in load_environment after the plugins' update_config,
  it would otherwise try to reach Solr.

Indexing keeps CKAN's own ``PackageSearchIndex.index_package``, which builds the Solr document
(extras, tags, vocabularies, resources, before_dataset_index hooks, permission labels); only the
connection it sends the document to is replaced, so the stored document is exactly what Solr
would have received.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import ckan.lib.search as search
import ckan.lib.search.index as search_index
import sqlalchemy as sa
from ckan.common import config
from ckan.lib.search.common import SearchError, SearchQueryError
from ckan.lib.search.index import PackageSearchIndex
from ckan.lib.search.query import VALID_SOLR_PARAMETERS, PackageSearchQuery

from . import store
from .lucene import All, And, Node, QuerySyntaxError, Term, parse
from .sqlgen import Compiler, QueryCompileError, order_by

log = logging.getLogger(__name__)

# Solr multi-valued fields (returned as lists by `fl`); everything else is single-valued.
MULTI_VALUED = frozenset(
    {
        "tags",
        "groups",
        "res_name",
        "res_description",
        "res_format",
        "res_url",
        "res_type",
        "permission_labels",
        "urls",
    }
)
MULTI_VALUED_PREFIXES = ("vocab_", "res_extras_")
_STORED_COLUMNS = ("data_dict", "validated_data_dict")
_WORDS = re.compile(r'[^\s()"\[\]{}:+!^~\\]+')


def _site_id() -> str:
    return str(config.get("ckan.site_id"))


class PgDocumentSink:
    """Stands in for the pysolr connection that ``index_package`` sends documents to."""

    url = "postgresql://pgsearch"

    def add(self, docs: list[dict[str, Any]], commit: bool = True, **_: Any) -> None:
        store.upsert(docs)

    def delete(self, q: str | None = None, **_: Any) -> None:
        # only reached through ckan.lib.search.index.clear_index(), which deletes the whole site
        store.clear(_site_id())

    def commit(self, **_: Any) -> None:
        """Writes are committed immediately; nothing to do."""


def _make_sink(*_: Any, **__: Any) -> PgDocumentSink:
    return PgDocumentSink()


class PgPackageSearchIndex(PackageSearchIndex):
    def delete_package(self, pkg_dict: dict[str, Any]) -> None:
        store.delete(str(pkg_dict.get("id")), _site_id())

    def commit(self) -> None:
        """Nothing is buffered."""

    def clear(self) -> None:
        store.clear(_site_id())


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    if isinstance(value, str) and value.startswith("["):
        try:
            decoded = json.loads(value)
        except ValueError:
            return [value]
        return [str(v) for v in decoded] if isinstance(decoded, list) else [value]
    return [str(value)]


def _parse(text: str, what: str) -> Node:
    text = text.strip()
    if text.startswith("{!"):
        raise SearchError(f"Local parameters are not supported in param '{what}'.")
    try:
        return parse(text)
    except QuerySyntaxError as exc:
        if what == "q":
            # Like Solr's dismax for what people type into the search box: a stray quote or
            # bracket should not turn a search into an error, so search the words instead.
            words = _WORDS.findall(text)
            return And(tuple(Term(None, w) for w in words)) if words else All()
        raise SearchQueryError(f"Invalid {what}: {exc}") from exc


class PgPackageSearchQuery(PackageSearchQuery):
    """``package_search`` over the ``pgsearch_package`` table (same interface as Solr's)."""

    def get_all_entity_ids(self, max_results: int = 1000) -> list[str]:
        with store.connect() as conn:
            rows = conn.execute(
                sa.text(
                    f"SELECT id FROM {store.TABLE} WHERE site_id = :site"
                    " AND state = 'active' LIMIT :n"
                ),
                {"site": _site_id(), "n": max_results},
            )
            return [r[0] for r in rows]

    def get_index(self, reference: str) -> dict[str, Any]:
        with store.connect() as conn:
            row = conn.execute(
                sa.text(
                    f"SELECT fields, data_dict, validated_data_dict FROM {store.TABLE}"
                    " WHERE (id = :ref OR name = :ref) AND site_id = :site"
                ),
                {"ref": reference, "site": _site_id()},
            ).first()
        if row is None:
            raise SearchError(f"Dataset not found in the search index: {reference}")
        doc = self._output(row[0], ["*"])
        doc["data_dict"], doc["validated_data_dict"] = row[1], row[2]
        return doc

    def run(
        self, query: dict[str, Any], permission_labels: list[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        if not set(query.keys()) <= VALID_SOLR_PARAMETERS:
            invalid = sorted(set(query.keys()) - VALID_SOLR_PARAMETERS)
            raise SearchQueryError(f"Invalid search parameters: {invalid}")

        rows = int(query.get("rows", 10))
        start = int(query.get("start", 0) or 0)
        if rows < 0 or start < 0:
            raise SearchQueryError("rows and start must not be negative")

        filters = [f for f in [query.get("fq", ""), *(query.get("fq_list") or [])] if f]
        filters.append(f'+site_id:"{_site_id()}"')
        if not any("+state:" in f for f in filters):
            filters.append("+state:active")
        if permission_labels is not None:
            quoted = " OR ".join('"' + p.replace('"', "") + '"' for p in permission_labels)
            filters.append(f"+permission_labels:({quoted})")

        compiler = Compiler()
        q_text = str(query.get("q") or "")
        if q_text.strip() in ("", '""', "''"):
            q_text = "*:*"
        try:
            q_sql = compiler.compile(_parse(q_text, "q"), scoring=True)
            fq_sql = compiler.compile(And(tuple(_parse(f, "fq") for f in filters)))
            sort_sql = order_by(
                str(query.get("sort") or "score desc, metadata_modified desc"), compiler
            )
        except QueryCompileError as exc:
            raise SearchQueryError(str(exc)) from exc
        where = f"{q_sql} AND {fq_sql}"

        fl = self._fields(query.get("fl"))
        results, self.count = self._page(where, sort_sql, compiler, fl, rows, start)
        self.results: list[Any] = results  # rows, or the bare ids/names when fl asks for one
        self.facets = self._facets(where, compiler, query)
        if query.get("fl") in ("id", "name"):
            self.results = [r.get(query["fl"]) for r in self.results]
        return {"results": self.results, "count": self.count}

    @staticmethod
    def _fields(fl: Any) -> list[str]:
        if not fl:
            return ["name"]
        if isinstance(fl, (list, tuple)):
            fl = " ".join(fl)
        return [f for f in str(fl).replace(",", " ").split() if f]

    def _page(
        self, where: str, sort_sql: str, compiler: Compiler, fl: list[str], rows: int, start: int
    ) -> tuple[list[dict[str, Any]], int]:
        # Two steps: rank and count over narrow columns only, then read the wide stored
        # documents for the requested page (reading them for every hit dominated the time).
        page_sql = (
            f"SELECT p.id, count(*) OVER () FROM {store.TABLE} p WHERE {where}"
            f" ORDER BY {sort_sql} LIMIT :limit OFFSET :offset"
        )
        columns = [c for c in _STORED_COLUMNS if c in fl or "*" in fl]
        select = ", ".join(["id", "fields", *columns])
        with store.connect() as conn:
            params = dict(compiler.params, limit=max(rows, 1), offset=start)
            hits = conn.execute(sa.text(page_sql), params).all()
            if hits:
                total = int(hits[0][1])
            else:  # an empty page says nothing about the total: count separately
                count_sql = f"SELECT count(*) FROM {store.TABLE} p WHERE {where}"
                total = int(conn.execute(sa.text(count_sql), compiler.params).scalar_one())
            ids = [h[0] for h in hits[:rows]]
            stored = {}
            if ids:
                by_id = sa.text(f"SELECT {select} FROM {store.TABLE} WHERE id = ANY(:ids)")
                stored = {r[0]: r for r in conn.execute(by_id, {"ids": ids})}
        docs = []
        for id_ in ids:
            row = stored.get(id_)
            if row is None:  # deleted between the two statements
                continue
            doc = self._output(row[1], fl)
            for i, column in enumerate(columns):
                doc[column] = row[2 + i]
            docs.append(doc)
        return docs, total

    @staticmethod
    def _output(fields: dict[str, list[str]], fl: list[str]) -> dict[str, Any]:
        wanted = fields.keys() if "*" in fl else [f for f in fl if f in fields]
        doc: dict[str, Any] = {}
        for key in wanted:
            values = fields[key]
            multi = key in MULTI_VALUED or key.startswith(MULTI_VALUED_PREFIXES)
            doc[key] = values if multi else values[0]
        return doc

    def _facets(
        self, where: str, compiler: Compiler, query: dict[str, Any]
    ) -> dict[str, dict[str, int]]:
        names = _as_list(query.get("facet.field"))
        if not names or str(query.get("facet", "true")).lower() == "false":
            return {}
        limit = int(query.get("facet.limit", config.get("search.facets.limit")) or 50)
        mincount = int(query.get("facet.mincount", 1) or 1)
        params = dict(
            compiler.params,
            facet_min=mincount,
            facet_limit=limit if limit >= 0 else None,
        )
        # One pass over the matching rows for all facet fields, reading the usual ones from the
        # small "facets" column; ties are ordered by value as in Solr.
        narrow = [n for n in names if n in store.FACET_FIELDS or n.startswith(store.FACET_PREFIXES)]
        wide = [n for n in names if n not in narrow]
        params.update(narrow_fields=narrow, wide_fields=wide)
        sql = f"""
            WITH m AS MATERIALIZED (
                SELECT p.facets{", p.fields" if wide else ""}
                FROM {store.TABLE} p WHERE {where}
            ),
            vals AS (
                SELECT e.key, v.val
                FROM m CROSS JOIN LATERAL jsonb_each(m.facets) AS e
                CROSS JOIN LATERAL jsonb_array_elements_text(e.value) AS v(val)
                WHERE e.key = ANY(CAST(:narrow_fields AS text[]))
                {
            ""
            if not wide
            else '''UNION ALL
                SELECT f.key, v.val
                FROM m CROSS JOIN unnest(CAST(:wide_fields AS text[])) AS f(key)
                CROSS JOIN LATERAL jsonb_array_elements_text(
                    COALESCE(m.fields -> f.key, '[]'::jsonb)) AS v(val)'''
        }
            ),
            counts AS (
                SELECT key, val, count(*) AS n FROM vals
                GROUP BY key, val HAVING count(*) >= :facet_min
            ),
            ranked AS (
                SELECT key, val, n,
                       row_number() OVER (PARTITION BY key ORDER BY n DESC, val) AS rank
                FROM counts
            )
            SELECT key, val, n FROM ranked
            WHERE CAST(:facet_limit AS integer) IS NULL OR rank <= :facet_limit
            ORDER BY key, rank
        """
        facets: dict[str, dict[str, int]] = {name: {} for name in names}
        with store.connect() as conn:
            for key, val, n in conn.execute(sa.text(sql), params):
                facets[key][val] = int(n)
        return facets


def _check_schema_version(schema_file: str | None = None) -> bool:
    """Replaces the Solr schema check: there is no Solr to ask."""
    log.debug("pgsearch: Solr schema check skipped (search is served from PostgreSQL)")
    return True


def install() -> None:
    """Point CKAN's search layer at PostgreSQL. Idempotent; called from update_config."""
    search._INDICES["package"] = PgPackageSearchIndex
    search._QUERIES["package"] = PgPackageSearchQuery
    search.PackageSearchQuery = PgPackageSearchQuery  # type: ignore[misc]
    search.PackageSearchIndex = PgPackageSearchIndex  # type: ignore[misc]
    search.check_solr_schema_version = _check_schema_version
    # index_package() and clear_index() fetch their Solr connection from this module global
    search_index.make_connection = _make_sink  # type: ignore[assignment]
