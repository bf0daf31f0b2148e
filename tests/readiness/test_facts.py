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


def finding(action: str, kind: str = "personal_data") -> dict[str, object]:
    return {"column": "c", "rowNumber": 2, "kind": kind, "action": action}


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        # the gate's keys: blocked for a citizen ID; the names it would have masked
        (
            {
                "status": "blocked",
                "valid": False,
                "publishable": False,
                "checks": {"schema": True, "suite": True, "privacy": False},
                "privacy": {"findings": [finding("mask"), finding("block", "citizen_id")]},
            },
            ("blocked", True, True, 1),
        ),
        # blocked by the schema check, with a masked name: not a personal-data block
        (
            {
                "status": "blocked",
                "valid": False,
                "publishable": False,
                "checks": {"schema": False, "suite": True, "privacy": True},
                "privacy": {"findings": [finding("mask")]},
            },
            ("blocked", True, False, 1),
        ),
        # published with two names masked, one row quarantined
        (
            {
                "status": "quarantined",
                "valid": False,
                "publishable": True,
                "checks": {"schema": True, "suite": True, "privacy": True},
                "privacy": {"findings": [finding("mask"), finding("mask"), finding("drop")]},
            },
            ("quarantined", False, False, 2),
        ),
        # shapes without a status: publishable decides, then valid
        ({"valid": False, "publishable": True}, ("quarantined", False, False, 0)),
        ({"valid": True}, ("passed", False, False, 0)),
        ({"summary": {"valid": False}}, ("blocked", True, False, 0)),
    ],
)
def test_gate_status_personal_data_blocks_and_masks(
    document: dict, expected: tuple[str, bool, bool, int]
) -> None:
    summary = summarize_validation_report(document, "r.json")
    assert (summary.status, summary.blocked, summary.privacy_blocked, summary.masked_values) == (
        expected
    )
