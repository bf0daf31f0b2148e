"""Resolve names to registry codes: ``normalize.resolve: {agency_code: agencies}``.

A registry is a family folder under ``datasets/`` holding ``<name>.csv`` (e.g.
``datasets/agencies/agencies.csv``); its key is the primary key of its ``schema.json`` (the
first column without one). A cell resolves to a code when, after :func:`name_keys`, it equals
the code, a ``name`` / ``name_*`` column or one of the ``aliases`` (separated by ``|``) of one
row: case, spacing, punctuation, invisible characters, full-width forms, a parenthesised part
("กรมชลประทาน (กระทรวงเกษตรและสหกรณ์)") and a leading กรม / สำนักงาน / สนง. / "the" do not
count. A key that two rows share resolves to neither (ambiguous). A cell that resolves to no
code is a cast error on its row and field whose note lists the closest registered names
(:mod:`difflib`); it never quotes the cell.

Work is done once per distinct value of the column (pyarrow), so a million rows naming a
handful of agencies cost a handful of look-ups.
"""

from __future__ import annotations

import csv
import difflib
import functools
import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.normalize.cast import MAX_ERRORS_PER_FIELD, squeeze_key

ALIASES_COLUMN = "aliases"
ALIAS_SEPARATOR = "|"
# Leading words that name the kind of body, not the body ("กรมชลประทาน" = "ชลประทาน").
# (NFKC, as the names are when they meet it: "ำ" is decomposed there.)
PREFIXES = unicodedata.normalize("NFKC", r"^\s*(?:สำนักงาน|สนง\.?|กรม|the\s+)")
_PARENTHESISED = r"\([^()]*\)"
_INNER = r"\((?P<inner>[^()]*)\)"
CLOSEST = 3
EXPLAINED = 20  # distinct unknown names given the closest registered ones, per column and batch


class RegistryError(ValueError):
    """A registry that cannot be used for resolution (the message says why)."""


def name_keys(values: pa.Array) -> list[pa.Array]:
    """The keys a name is looked up by, most exact first: the whole name; without any
    parenthesised part; and that without a leading กรม / สำนักงาน / สนง. / the."""
    text = pc.utf8_lower(pc.utf8_normalize(values.cast(pa.string()), "NFKC"))
    whole = squeeze_key(text)
    unglossed = pc.replace_substring_regex(text, _PARENTHESISED, "")
    base = squeeze_key(unglossed)
    bare = squeeze_key(pc.replace_substring_regex(unglossed, PREFIXES, ""))
    return [whole, base, bare]


@dataclass(frozen=True)
class Registry:
    """The look-up table of one registry: key -> code, the ambiguous keys, names to suggest."""

    name: str
    key_field: str
    lookup: dict[str, str]
    ambiguous: dict[str, list[str]]
    labels: dict[str, str]  # key of a registered name -> "name (code)"

    def resolve(self, values: pa.Array) -> pa.Array:
        """Codes for the values (null where none resolves)."""
        if not self.lookup:
            return pa.nulls(len(values), pa.string())
        keys = pa.array(list(self.lookup), pa.string())
        codes = pa.array(list(self.lookup.values()), pa.string())
        found = [pc.take(codes, pc.index_in(key, value_set=keys)) for key in name_keys(values)]
        resolved = pc.coalesce(*found)
        # "fda (กรมบัญชีกลาง)": a parenthesised part naming another entry makes the cell name
        # two of them, so it resolves to neither (a ministry in parentheses names no entry)
        inner = pc.struct_field(pc.extract_regex(values.cast(pa.string()), _INNER), [0])
        inner_code = pc.coalesce(
            *(pc.take(codes, pc.index_in(key, value_set=keys)) for key in name_keys(inner))
        )
        other = pc.fill_null(pc.not_equal(inner_code, resolved), False)
        return pc.if_else(other, pa.scalar(None, pa.string()), resolved)

    def explain(self, value: str) -> str:
        """Why a value resolves to no code: ambiguous, or unknown with the closest names."""
        keys = [k.as_py() for k in (key[0] for key in name_keys(pa.array([value], pa.string())))]
        for key in keys:
            if key in self.ambiguous:
                codes = ", ".join(self.ambiguous[key])
                return f"matches several entries of the {self.name} registry ({codes})"
        inner = pc.struct_field(pc.extract_regex(pa.array([value]), _INNER), [0])
        inner_codes = {self.lookup.get(str(k[0].as_py())) for k in name_keys(inner)} - {None}
        outer = {self.lookup.get(str(key)) for key in keys} - {None}
        if inner_codes and outer and inner_codes != outer:
            codes = ", ".join(sorted(str(code) for code in outer | inner_codes))
            return f"names two entries of the {self.name} registry ({codes})"
        probe = keys[1] or keys[0] or ""
        closest = difflib.get_close_matches(probe, list(self.labels), n=CLOSEST, cutoff=0.0)
        names = "; ".join(dict.fromkeys(self.labels[key] for key in closest))
        return f"not in the {self.name} registry; closest registered: {names or 'none'}"


def _registry_key(folder: Path, header: list[str]) -> str:
    schema_path = folder / "schema.json"
    if schema_path.is_file():
        key = json.loads(schema_path.read_text(encoding="utf-8")).get("primaryKey")
        key = [key] if isinstance(key, str) else list(key or [])
        if len(key) == 1:
            return str(key[0])
        if key:
            raise RegistryError(f"{schema_path}: a registry resolves through a one-field key")
    if not header:
        raise RegistryError(f"{folder.name}: the registry table is empty")
    return header[0]


@functools.lru_cache(maxsize=16)
def _load(path: Path, mtime_ns: int, name: str) -> Registry:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        header = list(reader.fieldnames or [])
    key_field = _registry_key(path.parent, header)
    if key_field not in header:
        raise RegistryError(f"{path}: no column {key_field!r} (the registry's key)")
    name_columns = [c for c in header if c == "name" or c.startswith("name_")]
    entries: list[tuple[str, str]] = []  # (text, code)
    labels: dict[str, str] = {}
    for row in rows:
        code = (row.get(key_field) or "").strip()
        if not code:
            continue
        names = [row[c].strip() for c in name_columns if (row.get(c) or "").strip()]
        aliases = (row.get(ALIASES_COLUMN) or "").split(ALIAS_SEPARATOR)
        texts = [code, *names, *(a.strip() for a in aliases if a.strip())]
        entries += [(text, code) for text in texts]
        label = f"{names[0]} ({code})" if names else code
        labels.update((text, label) for text in texts)
    owners: dict[str, set[str]] = {}
    texts = pa.array([text for text, _ in entries], pa.string())
    for keys in name_keys(texts):
        for key, (_, code) in zip(keys.to_pylist(), entries, strict=True):
            if key is not None:
                owners.setdefault(key, set()).add(code)
    # An entry's own code is its own, whatever another entry lists as an alias ("DOH" of the
    # Department of Health never takes the code doh from the Department of Highways).
    code_keys = name_keys(pa.array(sorted({code for _, code in entries}), pa.string()))[0]
    for key, code in zip(code_keys.to_pylist(), sorted({c for _, c in entries}), strict=True):
        if key is not None:
            owners[key] = {code}
    ambiguous = {key: sorted(codes) for key, codes in owners.items() if len(codes) > 1}
    lookup = {key: next(iter(codes)) for key, codes in owners.items() if len(codes) == 1}
    base_keys = name_keys(pa.array(list(labels), pa.string()))[1].to_pylist()
    suggest = {
        key: labels[text] for key, text in zip(base_keys, labels, strict=True) if key is not None
    }
    return Registry(name, key_field, lookup, ambiguous, suggest)


def load_registry(datasets_dir: Path, name: str) -> Registry:
    """The registry ``datasets/<name>/<name>.csv`` (cached while the file is unchanged)."""
    path = Path(datasets_dir) / name / f"{name}.csv"
    if not path.is_file():
        raise RegistryError(f"no registry {name!r} (expected {name}/{name}.csv under datasets/)")
    return _load(path, path.stat().st_mtime_ns, name)


def resolve_column(
    text: pa.Array, registry: Registry, field: str, row_offset: int
) -> tuple[pa.Array, list[dict[str, Any]], int]:
    """(codes, cast errors, cells given by a name or variant rather than the code itself)."""
    encoded = pc.dictionary_encode(text)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    distinct = encoded.dictionary
    codes = registry.resolve(distinct)
    resolved = pc.take(codes, encoded.indices)
    renamed = pc.sum(pc.fill_null(pc.not_equal(resolved, text), False)).as_py() or 0
    failed = pc.and_(pc.is_valid(text), pc.is_null(resolved))
    positions = pc.indices_nonzero(pc.fill_null(failed, False))
    notes: dict[str, str] = {}
    errors: list[dict[str, Any]] = []
    shown = positions[:MAX_ERRORS_PER_FIELD]
    for index, cell in zip(shown.to_pylist(), pc.take(text, shown).to_pylist(), strict=True):
        if cell not in notes:  # the closest names cost a scan of the registry: a few cells only
            notes[cell] = (
                registry.explain(cell)
                if len(notes) < EXPLAINED
                else f"not in the {registry.name} registry"
            )
        errors.append(
            {
                "row_number": row_offset + index + 2,
                "field": field,
                "cell": cell,
                "type": "type-error",
                "note": notes[cell],
            }
        )
    return resolved, errors, renamed
