"""The validation report of one partition: JSON (frictionless-style errors, GX outcomes,
privacy findings, counts) and a self-contained bilingual HTML page, both publishable.

Cells are shown only where they cannot carry personal data: never for columns the privacy
rules declare personal, and masked wherever the guard detects an ID, a phone or an e-mail.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2

from pipelines.validation.errors import SchemaError
from pipelines.validation.privacy import PrivacyPolicy, mask_text

TEMPLATE = "report.html.j2"
STATUS_TH = {"passed": "ผ่าน", "quarantined": "ผ่านบางส่วน (กักแถวที่ไม่ผ่าน)", "blocked": "ไม่ผ่าน"}


def public_error(error: SchemaError, policy: PrivacyPolicy) -> dict[str, Any]:
    """The error as the public may see it."""
    personal = {rule.column for rule in policy.personal_data}
    shown = error.field_name not in personal and error.cell is not None
    data = error.to_dict(with_cell=False)
    if shown:
        data["cell"] = mask_text(str(error.cell))
    return data


def render_html(document: dict[str, Any]) -> str:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("pipelines.validation", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    return environment.get_template(TEMPLATE).render(r=document, status_th=STATUS_TH)


def write_report(document: dict[str, Any], directory: Path) -> tuple[Path, Path]:
    """``report.json`` and ``report.html`` in the directory (UTF-8)."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path, html_path = directory / "report.json", directory / "report.html"
    json_path.write_text(
        json.dumps(document, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
    )
    html_path.write_text(render_html(document), encoding="utf-8")
    return json_path, html_path
