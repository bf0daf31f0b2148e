"""Validation report shapes: the gate's report.json, and the other shapes a portal may hold."""

from __future__ import annotations

import pytest

from pipelines.readiness.facts import name_matches, summarize_validation_report


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"valid": True}, (True, 0)),
        ({"summary": {"valid": False, "privacy_findings": 4}}, (False, 4)),
        ({"valid": True, "privacy": {"count": 2}}, (True, 2)),
        ({"publishable": False, "quarantined_rows": [3]}, (False, 0)),
    ],
)
def test_validation_report_shapes(document: dict, expected: tuple[bool, int]) -> None:
    summary = summarize_validation_report(document, "r.json")
    assert (summary.valid, summary.privacy_findings) == expected


def test_validation_report_without_verdict_is_refused() -> None:
    with pytest.raises(ValueError, match=r"r\.json: validation report has no boolean 'valid'"):
        summarize_validation_report({"errors": []}, "r.json")


def test_resource_name_patterns_ignore_case() -> None:
    assert name_matches("Validation-Report.JSON", ["validation-report*"])
    assert not name_matches("procurement-2025.csv", ["validation-report*", "*.md"])
