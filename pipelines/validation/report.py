"""The validation report of one partition: JSON (frictionless-style errors, GX outcomes,
privacy findings, counts) and a self-contained bilingual HTML page, both publishable.

Nothing personal reaches it. A schema or cast error's cell is shown only when it cannot hide
personal data: never in a text column (a name typed where a code belongs cannot be told from a
typo), and elsewhere only short cells without a letter of any script, ``@`` or "at" forms,
anything the guard's detector finds, or a column declared personal. Otherwise the cell is left
out and ``cellRedacted`` says so. As a last line, every
string of the document (notes, observed values, headers) is masked by the same detector
before it is written, so a value that slipped into a message is masked too.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import pyarrow as pa

from pipelines.layout import REPORT_HTML, REPORT_JSON
from pipelines.validation.errors import SchemaError
from pipelines.validation.personal_text import candidates, detect, mask_text, normalised
from pipelines.validation.privacy import PrivacyPolicy
from pipelines.validation.publishable import PUBLISHABLE_PARQUET

if TYPE_CHECKING:
    from pipelines.contracts import DatasetSpec
    from pipelines.validation.gate import ValidationResult

TEMPLATE = "report.html.j2"
STATUS_TH = {"passed": "ผ่าน", "quarantined": "ผ่านบางส่วน (กักแถวที่ไม่ผ่าน)", "blocked": "ไม่ผ่าน"}
CHECKS = ("schema", "suite", "privacy")
# Digests and names the pipeline makes: hex digits are not phone numbers.
_NOT_SCRUBBED = frozenset({"input_sha256", "publishable_table", "family", "agency", "status"})


_ECHO_MAX = 40  # characters: an enum typo or a bad date, not a sentence
_AT_FORMS = re.compile(r"@|\bat\b|แอท|\bdot\b|ดอท", re.I)


def _echoable(cell: str, text_column: bool) -> bool:
    """Whether a rejected cell may be shown as received: never in a text column, and elsewhere
    only when it has no letter of any script (a bad date or amount such as ``31/02/2568`` or
    ``1.234,56``). A name cannot be told from an enum typo, and a refused row may be refused
    exactly because it is someone's (a name typed into the wrong column)."""
    if text_column or len(cell) > _ECHO_MAX or detect(cell):
        return False
    folded = normalised(cell)
    if _AT_FORMS.search(folded) or _AT_FORMS.search(cell):
        return False
    return not any(unicodedata.category(char).startswith("L") for char in folded + cell)


def public_error(
    error: SchemaError, policy: PrivacyPolicy, text_fields: frozenset[str] | None = None
) -> dict[str, Any]:
    """The error as the public may see it: the cell only when it cannot be personal.
    ``text_fields``: the string columns (None: every column counts as text)."""
    personal = {rule.column for rule in policy.personal_data}
    data = error.to_dict(with_cell=False)
    if error.cell is None:
        return data
    name = error.field_name
    text_column = text_fields is None or name is None or name in text_fields
    if error.field_name in personal or not _echoable(str(error.cell), text_column):
        data["cellRedacted"] = True
    else:
        data["cell"] = str(error.cell)
    return data


def scrub(document: Any) -> Any:
    """The document with personal data masked in every string value (keys kept as they are).

    One vectorised prefilter over all its strings; only candidates are masked in Python."""
    strings: list[str] = []
    _walk(document, None, strings.append)
    wanted = candidates(pa.array(strings, pa.string())).to_pylist() if strings else []
    masked = {text: mask_text(text) for text, hit in zip(strings, wanted, strict=True) if hit}
    return _rebuilt(document, None, masked)


def _walk(document: Any, key: str | None, visit: Callable[[str], None]) -> None:
    if isinstance(document, dict):
        for name, value in document.items():
            _walk(value, name, visit)
    elif isinstance(document, list | tuple):
        for value in document:
            _walk(value, key, visit)
    elif isinstance(document, str) and key not in _NOT_SCRUBBED:
        visit(document)


def _rebuilt(document: Any, key: str | None, masked: dict[str, str]) -> Any:
    if isinstance(document, dict):
        return {name: _rebuilt(value, name, masked) for name, value in document.items()}
    if isinstance(document, list | tuple):
        return [_rebuilt(value, key, masked) for value in document]
    if isinstance(document, str) and key not in _NOT_SCRUBBED:
        return masked.get(document, document)
    return document


def build_report(
    result: ValidationResult, spec: DatasetSpec, policy: PrivacyPolicy, limit_errors: int | None
) -> dict[str, Any]:
    errors = result.schema.errors
    shown = errors[:limit_errors] if limit_errors else errors
    rule_rows = [row for row in result.rule_rows if row.severity == "error"]
    warned = [row for row in result.rule_rows if row.severity != "error"]
    rule_rows_shown = rule_rows[:limit_errors] if limit_errors else rule_rows
    warned_shown = warned[:limit_errors] if limit_errors else warned
    published = result.published_rows
    text_fields = frozenset(
        f["name"] for f in spec.fields if f.get("type") in (None, "string", "any")
    )
    return {
        "family": result.family,
        "agency": result.agency,
        "status": result.status,
        "valid": result.status == "passed",
        "publishable": result.publishable_path is not None,
        "publishable_table": PUBLISHABLE_PARQUET if result.publishable_path is not None else None,
        "reasons": result.reasons,
        "policy": {"mode": spec.policy.mode, "max_error_rate": spec.policy.max_error_rate},
        "checks": {name: result.check_passed(name) for name in CHECKS},
        "counts": {
            "rows": result.row_count,
            "invalid_rows": len(
                result.schema.invalid_rows
                | {e.row_number for e in errors if e.row_number}
                | {row.row_number for row in rule_rows}
            ),
            "business_rule_rows": len(rule_rows),
            # published and flagged: rows a ``warning`` rule names
            "warning_rule_rows": len({row.row_number for row in warned}),
            "published_rows": published,
            "errors_by_type": result.schema.counts_by_type(),
            "personal_data_by_kind": result.privacy.counts_by_kind(),
        },
        "schema": {
            "engine": result.schema.engine,
            "fallbackReason": result.schema.fallback_reason,
            "truncated": bool(limit_errors) and len(errors) > len(shown),
            "errors": [public_error(error, policy, text_fields) for error in shown],
        },
        "suite": None
        if result.suite is None
        else {
            "name": result.suite.suite,
            "engine": result.suite.engine,
            "outcomes": [outcome.to_dict() for outcome in result.suite.outcomes],
            # Row, rule and columns only: never a cell (it may hold personal data).
            "failedRows": [row.to_dict() for row in rule_rows_shown],
            "failedRowsTruncated": len(rule_rows_shown) < len(rule_rows),
            "warningRows": [row.to_dict() for row in warned_shown],
            "warningRowsTruncated": len(warned_shown) < len(warned),
        },
        "privacy": {
            "findings": [finding.to_dict() for finding in result.privacy.findings],
            "dropped_columns": result.privacy.dropped_columns,
        },
        "quarantined_rows": result.quarantined_rows,
    }


def render_html(document: dict[str, Any]) -> str:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("pipelines.validation", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    return environment.get_template(TEMPLATE).render(r=document, status_th=STATUS_TH)


def write_report(document: dict[str, Any], directory: Path) -> tuple[Path, Path]:
    """``report.json`` and ``report.html`` in the directory (UTF-8), both scrubbed."""
    directory.mkdir(parents=True, exist_ok=True)
    clean = scrub(document)
    json_path, html_path = directory / REPORT_JSON, directory / REPORT_HTML
    json_path.write_text(
        json.dumps(clean, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
    )
    html_path.write_text(render_html(clean), encoding="utf-8")
    return json_path, html_path
