"""docs/METHODOLOGY.md lists every figure the report can emit, each with its definition,
formula, denominator, data source and public reference."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest

import pipelines.readiness.run  # noqa: F401 - imports every module that registers figure labels
from pipelines.readiness.methodology import OgpConfig
from pipelines.readiness.report import build_report, to_json

from .conftest import AS_OF, OGP_DIR, PORTAL, REPO_ROOT
from .test_html_scan import sections
from .test_report import indicators

DOC = REPO_ROOT / "docs" / "METHODOLOGY.md"
COLUMNS = ["key", "definition", "formula", "denominator", "data source", "public reference"]


def documented_rows() -> dict[str, list[str]]:
    """Figure rows of the document's tables: key (or key pattern) -> its five other cells."""
    rows: dict[str, list[str]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            rows[cells[0].strip("`")] = cells[1:]
    return rows


def pattern(key: str) -> re.Pattern[str]:
    """``licensing_on_time_<agency>`` -> a regex matching any agency."""
    parts = re.split(r"<[^>]+>", key)
    return re.compile(".+".join(re.escape(p) for p in parts) + r"\Z")


def documented(key: str, rows: dict[str, list[str]]) -> bool:
    return key in rows or any("<" in doc_key and pattern(doc_key).match(key) for doc_key in rows)


def figure_keys(node: Any) -> set[str]:
    """Keys of every figure in a report's JSON (objects with a key, unit and evidence)."""
    found: set[str] = set()
    if isinstance(node, dict):
        if {"key", "unit", "evidence"} <= node.keys():
            found.add(node["key"])
        for child in node.values():
            found |= figure_keys(child)
    elif isinstance(node, list):
        for child in node:
            found |= figure_keys(child)
    return found


def test_every_row_has_every_column() -> None:
    header = "| " + " | ".join(COLUMNS) + " |"
    text = DOC.read_text(encoding="utf-8")
    assert text.count(header) >= 6  # eligibility, scorecards, licensing, co-creation, ...
    rows = documented_rows()
    assert len(rows) >= 40
    for key, cells in rows.items():
        assert len(cells) == len(COLUMNS) - 1, key
        assert all(cells), key


# The registries as the pipeline fills them, read in a fresh interpreter: a test that
# registers a label of its own (test_html_scan) must not count, whatever ran before here.
REGISTERED = """
import json
import pipelines.readiness.run
from pipelines.readiness.figures import LABELS, PER_FAMILY
from pipelines.readiness.metadata_quality import mqa_figures, score_portal
from pipelines.readiness.mqa_rules import load_mqa_rules
rules = load_mqa_rules(pathlib.Path(sys.argv[1]))  # the MQA labels come with the rules
mqa_figures(score_portal(rules, [], "http://portal.test").portal, rules)
print(json.dumps([sorted(LABELS), sorted(PER_FAMILY)]))
"""


def test_every_registered_figure_key_is_documented() -> None:
    code = "import pathlib, sys\n" + REGISTERED
    done = subprocess.run(
        [sys.executable, "-c", code, str(OGP_DIR)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
        timeout=300,
    )
    labels, per_family = json.loads(done.stdout)
    assert {"red_flag_rate", "cocreation_national_standards_met"} <= set(labels)
    rows = documented_rows()
    missing = sorted(k for k in labels if not documented(k, rows))
    assert missing == []
    prefixes = sorted(p for p in per_family if not any(k.startswith(f"{p}<") for k in rows))
    assert prefixes == []


def test_every_figure_of_a_report_is_documented(config: OgpConfig) -> None:
    report = build_report(config, indicators(config), PORTAL, AS_OF, sections=sections())
    keys = figure_keys(to_json(report))
    assert {"eligibility_points", "oit_coverage", "cpi_2025", "red_flag_rate"} <= keys
    rows = documented_rows()
    assert sorted(k for k in keys if not documented(k, rows)) == []


@pytest.mark.parametrize("key", ["not_a_figure", "licensing_on_time", "mqa_"])
def test_the_check_tells_documented_from_not(key: str) -> None:
    rows = documented_rows()
    assert documented(key, rows) is (key == "licensing_on_time")
