# ruff: noqa: S608 - SQL text here is assembled from our own table/column names and
# compiler output; every value from a request travels as a bind parameter.
"""Compile parsed Lucene queries (see `lucene`) into SQL over the ``pgsearch_package`` table.

Field semantics follow CKAN's Solr schema (ckan/config/solr/schema.xml):

* most fields are Solr ``string`` fields: exact, case-sensitive match on any of the values.
  They live in the ``fields`` jsonb column as arrays of strings, so a match is a jsonb
  containment test (``fields @> '{"tags": ["x"]}'``) served by the GIN index;
* tokenized ``text`` fields (title, notes, res_name, extras_* ...) match case-insensitively on a
  substring, which is also how the default field (``text``) is searched: Thai is written without
  spaces between words, so word tokenization would miss most queries, while a substring test
  over a trigram GIN index finds them and stays fast;
* ``metadata_created``/``metadata_modified`` are timestamp columns, for ranges and sorting.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .lucene import All, And, Exists, Node, Not, Or, Range, Term

# Solr "text" fields: case-insensitive substring match instead of exact match.
TEXT_FIELDS = frozenset(
    {
        "title",
        "notes",
        "res_name",
        "res_description",
        "author",
        "maintainer",
        "urls",
        "res_url",
        "url",
        "version",
        "ckan_url",
        "download_url",
    }
)
TEXT_FIELD_PREFIXES = ("extras_", "res_extras_")
# ``*_ngram`` fields are used by package_autocomplete for prefix/substring matches.
NGRAM_SUFFIX = "_ngram"
DATE_COLUMNS = frozenset({"metadata_created", "metadata_modified"})
# single-valued string fields with their own column (every query filters on them)
STRING_COLUMNS = {
    "id": "p.id",
    "name": "p.name",
    "state": "p.state",
    "capacity": "p.capacity",
    "site_id": "p.site_id",
}
DEFAULT_FIELDS = frozenset({"text", "_text_"})

# relative weights of the default dismax query fields (CKAN: "name^4 title^4 tags^2 groups^2 text")
_SCORE_SQL = (
    "(CASE WHEN p.name LIKE {p} THEN 4 ELSE 0 END"
    " + CASE WHEN p.title_sort LIKE {p} THEN 4 ELSE 0 END"
    " + CASE WHEN lower(p.facets->>'tags') LIKE {p} THEN 2 ELSE 0 END"
    " + CASE WHEN lower(p.facets->>'groups') LIKE {p} THEN 2 ELSE 0 END + 1)"
)

_FIELD_NAME = re.compile(r"^[A-Za-z0-9_\-.]+$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_DATE_MATH = re.compile(r"^NOW(?P<ops>([+-]\d+[A-Z]+|/[A-Z]+)*)$")
_UNITS = {
    "SECOND": 1,
    "MINUTE": 60,
    "HOUR": 3600,
    "DAY": 86400,
    "WEEK": 7 * 86400,
    "MONTH": 30 * 86400,
    "YEAR": 365 * 86400,
}


class QueryCompileError(ValueError):
    """The query uses something that cannot be expressed (bad field name, bad date...)."""


def normalize_text(value: str) -> str:
    """Fold text the same way on both sides of a substring match (NFC, lower case)."""
    return unicodedata.normalize("NFC", value).lower()


def like_pattern(value: str, *, wildcards: bool) -> str:
    """A LIKE pattern matching ``value`` anywhere; Lucene wildcards become LIKE ones."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if wildcards:
        escaped = escaped.replace("*", "%").replace("?", "_")
    return f"%{escaped}%"


@dataclass
class Compiler:
    """Accumulates bind parameters while compiling; one instance per SQL statement."""

    params: dict[str, Any] = field(default_factory=dict)
    score_terms: list[str] = field(default_factory=list)  # bind names of positive text terms

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    # -- boolean structure ------------------------------------------------------------------
    def compile(self, node: Node, *, scoring: bool = False, negated: bool = False) -> str:
        if isinstance(node, All):
            return "TRUE"
        if isinstance(node, And):
            parts = [self.compile(c, scoring=scoring, negated=negated) for c in node.children]
            return "(" + " AND ".join(parts) + ")"
        if isinstance(node, Or):
            parts = [self.compile(c, scoring=scoring, negated=negated) for c in node.children]
            return "(" + " OR ".join(parts) + ")"
        if isinstance(node, Not):
            return "(NOT " + self.compile(node.child, scoring=scoring, negated=not negated) + ")"
        if isinstance(node, Exists):
            return self._exists(node.field)
        if isinstance(node, Range):
            return self._range(node)
        return self._term(node, scoring=scoring and not negated)

    # -- leaves -------------------------------------------------------------------------------
    def _term(self, term: Term, *, scoring: bool) -> str:
        name = term.field
        if name is None or name in DEFAULT_FIELDS:
            pattern = self.bind(
                like_pattern(normalize_text(term.value), wildcards=term.has_wildcard)
            )
            if scoring:
                self.score_terms.append(pattern)
            return f"p.search_text LIKE {pattern}"
        _check_field(name)
        if name.endswith(NGRAM_SUFFIX):
            return self._substring(name[: -len(NGRAM_SUFFIX)], term)
        if name in TEXT_FIELDS or name.startswith(TEXT_FIELD_PREFIXES):
            return self._substring(name, term)
        if term.has_wildcard:
            pattern = self.bind(like_pattern(term.value, wildcards=True)[1:-1])
            return (
                f"EXISTS (SELECT 1 FROM jsonb_array_elements_text("
                f"p.fields->{self.bind(name)}) v WHERE v LIKE {pattern})"
            )
        if name in STRING_COLUMNS:
            return f"{STRING_COLUMNS[name]} = {self.bind(term.value)}"
        if name == "permission_labels":
            return f"{self.bind(term.value)} = ANY(p.permission_labels)"
        if name in DATE_COLUMNS:
            return f"p.{name} = {self.bind(parse_solr_date(term.value))}"
        doc = self.bind(json.dumps({name: [term.value]}, ensure_ascii=False))
        return f"p.fields @> CAST({doc} AS jsonb)"

    def _substring(self, name: str, term: Term) -> str:
        pattern = self.bind(like_pattern(normalize_text(term.value), wildcards=term.has_wildcard))
        if name == "title":  # title has a pre-folded column
            return f"p.title_sort LIKE {pattern}"
        return (
            f"EXISTS (SELECT 1 FROM jsonb_array_elements_text(p.fields->{self.bind(name)}) v"
            f" WHERE lower(v) LIKE {pattern})"
        )

    def _exists(self, name: str) -> str:
        _check_field(name)
        if name in DATE_COLUMNS:
            return f"p.{name} IS NOT NULL"
        return f"jsonb_exists(p.fields, {self.bind(name)})"

    def _range(self, rng: Range) -> str:
        _check_field(rng.field)
        low_op = ">=" if rng.include_low else ">"
        high_op = "<=" if rng.include_high else "<"
        if rng.field in DATE_COLUMNS:
            conds = []
            if rng.low is not None:
                conds.append(f"p.{rng.field} {low_op} {self.bind(parse_solr_date(rng.low))}")
            if rng.high is not None:
                conds.append(f"p.{rng.field} {high_op} {self.bind(parse_solr_date(rng.high))}")
            return "(" + " AND ".join(conds) + ")" if conds else f"p.{rng.field} IS NOT NULL"
        numeric = all(b is None or _NUMBER.match(b) for b in (rng.low, rng.high))
        value = "v::numeric" if numeric else "v"
        guard = ["v ~ '^-?[0-9]+(\\.[0-9]+)?$'"] if numeric else []
        conds = list(guard)
        if rng.low is not None:
            conds.append(f"{value} {low_op} {self.bind(_range_bound(rng.low, numeric))}")
        if rng.high is not None:
            conds.append(f"{value} {high_op} {self.bind(_range_bound(rng.high, numeric))}")
        where = " AND ".join(conds) or "TRUE"
        # guard in a CASE so that the numeric cast never sees a non-numeric value
        if numeric:
            where = f"CASE WHEN {guard[0]} THEN {' AND '.join(conds[1:]) or 'TRUE'} ELSE FALSE END"
        return (
            f"EXISTS (SELECT 1 FROM jsonb_array_elements_text(p.fields->{self.bind(rng.field)})"
            f" v WHERE {where})"
        )

    def score_sql(self) -> str:
        if not self.score_terms:
            return "0"
        return " + ".join(_SCORE_SQL.format(p=p) for p in self.score_terms)


def _range_bound(value: str, numeric: bool) -> Any:
    if numeric:
        return float(value)
    if value.startswith("NOW") or re.match(r"^\d{4}-\d{2}-\d{2}T", value):
        return parse_solr_date(value).isoformat().replace("+00:00", "Z")
    return value


def _check_field(name: str) -> None:
    if not _FIELD_NAME.match(name):
        raise QueryCompileError(f"invalid field name {name!r}")


def parse_solr_date(value: str) -> datetime:
    """Parse a Solr date: ISO 8601 (``2024-01-01T00:00:00Z``) or date math (``NOW-7DAYS``)."""
    text = value.strip().upper()
    match = _DATE_MATH.match(text)
    if match:
        moment = datetime.now(UTC)
        for op in re.findall(r"[+-]\d+[A-Z]+|/[A-Z]+", match.group("ops") or ""):
            if op.startswith("/"):  # rounding: /DAY, /HOUR ...
                unit = op[1:].rstrip("S")
                if unit == "DAY":
                    moment = moment.replace(hour=0, minute=0, second=0, microsecond=0)
                elif unit == "HOUR":
                    moment = moment.replace(minute=0, second=0, microsecond=0)
                continue
            num = re.match(r"([+-]\d+)([A-Z]+)", op)
            assert num is not None
            unit = num.group(2).rstrip("S")
            if unit not in _UNITS:
                raise QueryCompileError(f"unsupported date math unit in {value!r}")
            moment += timedelta(seconds=int(num.group(1)) * _UNITS[unit])
        return moment
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise QueryCompileError(f"invalid date {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


SORT_COLUMNS = {
    "score": None,  # filled in from the compiled query
    "name": "p.name",
    "title_string": "p.title_sort",
    "title": "p.title_sort",
    "metadata_modified": "p.metadata_modified",
    "metadata_created": "p.metadata_created",
    "id": "p.id",
}


def order_by(sort: str, compiler: Compiler) -> str:
    """Translate a Solr sort string (``score desc, metadata_modified desc``) to ORDER BY."""
    clauses = []
    for part in (s.strip() for s in sort.split(",")):
        if not part:
            continue
        bits = part.split()
        if len(bits) != 2 or bits[1].lower() not in ("asc", "desc"):
            raise QueryCompileError(f'invalid "sort" parameter: {part!r}')
        name, direction = bits[0], bits[1].upper()
        if name == "score":
            if not compiler.score_terms:
                continue  # no free-text terms: every row scores the same
            expr = compiler.score_sql()
        elif name in SORT_COLUMNS:
            expr = str(SORT_COLUMNS[name])
        else:
            _check_field(name)
            expr = f"(p.fields->{compiler.bind(name)}->>0)"
        nulls = "NULLS LAST" if direction == "DESC" else "NULLS FIRST"
        clauses.append(f"{expr} {direction} {nulls}")
    clauses.append("p.id ASC")  # a total order makes paging stable
    return ", ".join(clauses)
