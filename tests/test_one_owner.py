"""One owner per concept: source scans proving a shared rule is not copied outside its owner.

Each section names the owner module and scans the project's Python sources (``pipelines/``,
and for the Thai calendar also ``bench/`` and ``portal/``) for a copy of its rule. Each scanner
is itself tested on generated code holding a copy, so a scan that finds nothing means there is
nothing to find, not that the scanner is blind.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipelines import layout, schema_types, thai
from pipelines.contracts import load_specs
from pipelines.settings import REPO_ROOT

REPO = Path(__file__).resolve().parents[1]
# A scanner reads one file and reports each copy it finds as "file:line: the line".
Scanner = Callable[[Path], Iterator[str]]


def python_files(*roots: str) -> list[Path]:
    """Every Python file under the roots (what is on disk, committed or not)."""
    return sorted(
        path
        for root in roots
        for path in (REPO / root).rglob("*.py")
        if not any(part.startswith((".", "__pycache__")) for part in path.relative_to(REPO).parts)
    )


def copies_outside(owner: Path, scanner: Scanner, *roots: str) -> list[str]:
    """What the scanner finds in every Python file under the roots but the owner."""
    return [
        copy for path in python_files(*roots) if path.resolve() != owner for copy in scanner(path)
    ]


def report(path: Path, source: str, line: int) -> str:
    """``file:line: the line``, for the assertion message."""
    shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path
    return f"{shown}:{line}: {source.splitlines()[line - 1].strip()}"


def test_the_scans_read_the_project() -> None:
    names = {path.relative_to(REPO).as_posix() for path in python_files("pipelines", "bench")}
    assert {"pipelines/thai.py", "pipelines/schema_types.py", "bench/generate.py"} <= names


# --- Thai calendar: pipelines/thai.py ------------------------------------------------------------

THAI_OWNER = Path(thai.__file__).resolve()
_BE_OFFSET_IN_TEXT = re.compile(rf"(?<![\d.]){thai.BE_OFFSET}(?![\d])")


def be_offset_copies(path: Path) -> Iterator[str]:
    """The Buddhist Era offset written out: a number (also inside an f-string), or in a string
    (messages) or a comment. One report per line."""
    source = path.read_text(encoding="utf-8")
    lines = {
        node.lineno
        for node in ast.walk(ast.parse(source, str(path)))
        if isinstance(node, ast.Constant)
        and type(node.value) in (int, float)
        and node.value == thai.BE_OFFSET
    }
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.STRING, tokenize.COMMENT) and _BE_OFFSET_IN_TEXT.search(
            token.string
        ):
            lines.add(token.start[0])
    yield from (report(path, source, line) for line in sorted(lines))


def _is_month(node: ast.AST) -> bool:
    """``day.month``, ``pc.month(x)``, ``month(x)``."""
    if isinstance(node, ast.Attribute):
        return node.attr == "month"
    if isinstance(node, ast.Call):
        func = node.func
        return (isinstance(func, ast.Attribute) and func.attr == "month") or (
            isinstance(func, ast.Name) and func.id == "month"
        )
    return False


def calendar_rule_copies(path: Path) -> Iterator[str]:
    """A month compared with October or September (the fiscal-year rule), a fiscal year's first
    or last day spelt out, or a Buddhist Era year as a number (a BE window)."""
    source = path.read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source, str(path))):
        operands: list[ast.expr] = []
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
        elif isinstance(node, ast.Call):
            operands = list(node.args)
        month_rule = any(map(_is_month, operands)) and any(
            isinstance(o, ast.Constant) and o.value in (9, 10) for o in operands
        )
        constant = node.value if isinstance(node, ast.Constant) else None
        fiscal_day = isinstance(constant, str) and re.search(r"-(?:10-01|09-30)\b", constant)
        be_year = (
            type(constant) is int
            and thai.BE_THRESHOLD <= constant <= thai.DEFAULT_BE_WINDOW[1] + 100
        )
        if month_rule or fiscal_day or be_year:
            yield report(path, source, getattr(node, "lineno", 1))


def test_the_buddhist_era_offset_is_written_only_in_thai_py() -> None:
    copies = copies_outside(THAI_OWNER, be_offset_copies, "pipelines", "bench", "portal")
    assert copies == [], "use pipelines.thai (BE_OFFSET, ce_to_be, be_to_ce)"


def test_the_fiscal_year_rule_and_be_windows_live_only_in_thai_py() -> None:
    copies = copies_outside(THAI_OWNER, calendar_rule_copies, "pipelines")
    assert copies == [], "use pipelines.thai (fiscal_year, fiscal_years_of_dates, ...)"


def test_the_owner_holds_what_the_scans_look_for() -> None:
    """Scanning thai.py itself finds the rules: the scanners recognise the real thing."""
    assert any("BE_OFFSET = " in copy for copy in be_offset_copies(THAI_OWNER))
    assert any("BE_THRESHOLD" in copy for copy in calendar_rule_copies(THAI_OWNER))


COPIED_CALENDAR = """
import pyarrow.compute as pc
BUDDHIST_ERA_OFFSET = 543
HEX_OFFSET = 0x21F
def label(year):
    # B.E. = CE + 543
    return f"พ.ศ. {year + 5_43}", "convert by subtracting 543"
def fiscal(day):
    return day.year + 1 if day.month >= 10 else day.year
def fiscal_column(column):
    return pc.add(pc.year(column), pc.greater_equal(pc.month(column), 10))
def span(years):
    return f"{min(years) - 1}-10-01", f"{max(years)}-09-30"
WINDOW = (2443, 2643)
"""
INNOCENT = """
PORT = 15430
ROWS = 5432
ID = "0105543012345"
version = "1.543"
def monthly(day):
    return day.month == 12 or day.month > 1
WEEKS = 10
YEAR_CE = 2024
"""


def test_the_calendar_scans_find_every_copy_and_nothing_else(tmp_path: Path) -> None:
    copied, innocent = tmp_path / "copied.py", tmp_path / "innocent.py"
    copied.write_text(COPIED_CALENDAR, encoding="utf-8")
    innocent.write_text(INNOCENT, encoding="utf-8")
    offset_lines = [int(c.split(":")[1]) for c in be_offset_copies(copied)]
    assert offset_lines == [3, 4, 6, 7]  # 7: the f-string's 5_43 and the message
    rule_lines = sorted({int(c.split(":")[1]) for c in calendar_rule_copies(copied)})
    assert rule_lines == [9, 11, 13, 14]
    assert list(be_offset_copies(innocent)) == []
    assert list(calendar_rule_copies(innocent)) == []


# --- Table Schema types: pipelines/schema_types.py -----------------------------------------------

TYPES_OWNER = Path(schema_types.__file__).resolve()
TABLE_SCHEMA_TYPES = frozenset({*schema_types.SCHEMA_TYPES, *schema_types.REFUSED})
# Names of storage types in any target (lower case), the table's own and their usual aliases.
STORAGE_NAMES = frozenset(
    name.lower()
    for row in schema_types.SCHEMA_TYPES.values()
    for name in (row.duckdb, row.datastore, str(row.arrow), row.table_schema)
) | {"bigint", "int4", "int8", "float8", "double", "integer", "timestamp", "json", "jsonb"}
_ARROW_MODULES = {"pa", "pyarrow"}


def _is_storage_type(node: ast.AST) -> bool:
    """``"BIGINT"``, ``"int8"``, ``pa.int64()``, ``pa.date32``, ``pyarrow.string()``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.lower() in STORAGE_NAMES
    if isinstance(node, ast.Call):
        node = node.func
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in _ARROW_MODULES
    )


def type_map_copies(path: Path) -> Iterator[str]:
    """A mapping from a Table Schema type to a storage type: a dict literal or ``dict(...)``."""
    source = path.read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source, str(path))):
        pairs: list[tuple[object, ast.AST]] = []
        if isinstance(node, ast.Dict):
            pairs = [
                (key.value, value)
                for key, value in zip(node.keys, node.values, strict=True)
                if isinstance(key, ast.Constant)
            ]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "dict"
        ):
            pairs = [(kw.arg, kw.value) for kw in node.keywords]
        if any(key in TABLE_SCHEMA_TYPES and _is_storage_type(value) for key, value in pairs):
            yield report(path, source, getattr(node, "lineno", 1))


def test_there_is_one_table_schema_type_map() -> None:
    copies = copies_outside(TYPES_OWNER, type_map_copies, "pipelines")
    assert copies == [], "import the types from pipelines.schema_types"


COPIED_MAPS = """
import pyarrow as pa
SQL = {"integer": "BIGINT", "number": "DOUBLE"}
ARROW = {"string": pa.string(), "date": pa.date32()}
PG = dict(boolean="bool", year="int4")
LAZY = {"number": pa.float64}
"""
NOT_MAPS = """
CASTERS = {"integer": cast_integer, "date": cast_date}
FIELD = {"name": "amount", "type": "integer"}
ROW = {"year": str(2024), "score": 1.0}
LABELS = {"date": "วันที่", "string": "ข้อความ"}
"""


def test_the_type_map_scan_finds_every_copy_and_nothing_else(tmp_path: Path) -> None:
    copied, innocent = tmp_path / "copied.py", tmp_path / "innocent.py"
    copied.write_text(COPIED_MAPS, encoding="utf-8")
    innocent.write_text(NOT_MAPS, encoding="utf-8")
    assert [int(c.split(":")[1]) for c in type_map_copies(copied)] == [3, 4, 5, 6]
    assert list(type_map_copies(innocent)) == []


@pytest.mark.parametrize("owner", [TYPES_OWNER, THAI_OWNER])
def test_owners_are_modules_of_the_package(owner: Path) -> None:
    assert owner.parent == REPO / "pipelines"


# --- Partition paths and asset keys: pipelines/layout.py (issue 13) ----------------------------

LAYOUT_OWNER = Path(layout.__file__).resolve()
STAGE_FOLDERS = frozenset(
    {layout.RAW, layout.CLEAN, layout.VALIDATION, layout.INTEGRITY, layout.PUBLISH, layout.CACHE}
)
KEY_NAMES = frozenset(
    {prefix + family for prefix in layout.FAMILY_PREFIXES for family in load_specs()}
    | {layout.PROCUREMENT_OCDS, layout.PROCUREMENT_RED_FLAGS}
    | {layout.READINESS_REPORT, layout.CKAN_ORGANIZATIONS}
)
KEY_PARSERS = frozenset({"startswith", "removeprefix", "partition", "split"})


def _text(node: ast.AST) -> str | None:
    """A string literal's text, or the literal head of an f-string (``f"raw_{x}"`` → raw_)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        return _text(node.values[0])
    return None


def _folder(node: ast.AST) -> bool:
    """``"validation"``, ``"clean/*/*.parquet"``, ``f"raw/{family}"``: a stage folder."""
    text = _text(node)
    return text is not None and text.split("/")[0] in STAGE_FOLDERS


def _key_head(node: ast.AST) -> bool:
    """``f"clean_{family}"`` or ``"clean_"`` (to add a family to or strip it from)."""
    if isinstance(node, ast.Constant):
        return node.value in layout.FAMILY_PREFIXES
    return isinstance(node, ast.JoinedStr) and len(node.values) > 1 and _key_head(node.values[0])


def _targets(statement: ast.Assign | ast.AnnAssign) -> list[ast.expr]:
    return statement.targets if isinstance(statement, ast.Assign) else [statement.target]


def layout_copies(path: Path) -> Iterator[str]:
    """A stage folder joined into a path or globbed, an asset key built from a family
    (f-string or ``+``) or parsed by its prefix, or an asset key spelt out in full."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, str(path))
    exported = {  # the names in ``__all__`` are Python names, not asset keys
        id(name)
        for statement in tree.body
        if isinstance(statement, ast.Assign | ast.AnnAssign)
        and "__all__" in {getattr(t, "id", "") for t in _targets(statement)}
        and statement.value is not None
        for name in ast.walk(statement.value)
    }
    lines = set()
    for node in ast.walk(tree):
        folder = key = False
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            folder = _folder(node.left) or _folder(node.right)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            key = _key_head(node.left)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method = node.func.attr
            folder = method in {"glob", "rglob", "joinpath"} and any(map(_folder, node.args))
            key = method in KEY_PARSERS and any(map(_key_head, node.args))
        elif isinstance(node, ast.JoinedStr):
            key = _key_head(node)
        elif isinstance(node, ast.Constant):
            key = node.value in KEY_NAMES and id(node) not in exported
        if folder or key:
            lines.add(getattr(node, "lineno", 1))
    yield from (report(path, source, line) for line in sorted(lines))


def test_paths_and_asset_keys_are_built_only_in_layout_py() -> None:
    copies = copies_outside(LAYOUT_OWNER, layout_copies, "pipelines")
    assert copies == [], "use pipelines.layout (clean_files, validation_dir, raw_key, ...)"


LAYOUT_COPIED = """\
from pathlib import Path
folder = data_dir / "validation" / family / agency
raw = Path(root) / "raw"
tables = data_dir.glob("clean/*/*.parquet")
reports = data_dir.glob(f"integrity/{family}/*")
key = f"published_{family}"
other = "clean_" + family
family = step.removeprefix("raw_")
if step.startswith("published_"):
    pass
CLEAN = dg.AssetKey("clean_procurement")
name = "ogp_readiness_report"
cache = data_dir / "cache" / "ocds"
"""
LAYOUT_ALIKE = """\
from pathlib import Path
published_rows = counts.get("published_rows")
label = f"raw_count={n}"
step = "clean_up_tmp"
text = "raw" + suffix
group = "integrity"
folder = workdir / "validations" / name
__all__ = ["ckan_organizations"]
app.command("publish")
"""


def test_the_layout_scan_finds_every_copy(tmp_path: Path) -> None:
    copied, alike = tmp_path / "copied.py", tmp_path / "alike.py"
    copied.write_text(LAYOUT_COPIED, encoding="utf-8")
    alike.write_text(LAYOUT_ALIKE, encoding="utf-8")
    assert [int(c.split(":")[1]) for c in layout_copies(copied)] == [*range(2, 10), 11, 12, 13]
    assert list(layout_copies(alike)) == []


def test_the_owner_holds_what_the_layout_scan_looks_for() -> None:
    found = "\n".join(layout_copies(LAYOUT_OWNER))
    assert 'PROCUREMENT_OCDS = "procurement_ocds"' in found
    assert 'READINESS_REPORT = "ogp_readiness_report"' in found


MAX_MODULE_LINES = 400


def test_no_module_of_the_pipeline_is_over_400_lines() -> None:
    """Split by concern before a module grows past what one reader holds in mind."""
    long = {
        str(path.relative_to(REPO_ROOT)): lines
        for path in sorted((REPO_ROOT / "pipelines").rglob("*.py"))
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}
