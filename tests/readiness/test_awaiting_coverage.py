"""The report's coverage counts an agency that has sent nothing for a family as *awaiting data*:
neither publishing nor blocked; an agency whose file the gate refused is blocked."""

from __future__ import annotations

from pipelines.readiness.facts import LocalOutputs, ValidationSummary
from pipelines.readiness.figures import label
from pipelines.readiness.indicators import compute_indicators
from pipelines.readiness.methodology import OgpConfig

from .conftest import AS_OF, PORTAL, dataset, organization, snapshot


def test_awaiting_is_neither_published_nor_blocked(config: OgpConfig) -> None:
    orgs = [organization("dga"), organization("cgd"), organization("rid")]
    snap = snapshot(
        orgs, [dataset("dga", "procurement", [("procurement-2025.csv", "CSV", True)])], {}
    )
    # cgd sent a procurement file the gate refused; rid sent nothing
    refused = ValidationSummary(valid=False, privacy_findings=0, evidence="validation/x.json")
    local = LocalOutputs(validation={"procurement/cgd": refused}, red_flags={})
    overall = compute_indicators(snap, local, config.methodology, 2025, AS_OF).overall

    assert overall["agencies_publishing_procurement"].value == 1
    assert overall["agencies_blocked_procurement"].value == 1
    assert overall["agencies_awaiting_procurement"].value == 1
    assert overall["agencies_awaiting_procurement"].evidence == [f"{PORTAL}/organization/rid"]
    # nobody sent a budget file: all three await data, none is blocked
    assert overall["agencies_awaiting_budget"].value == 3
    assert overall["agencies_blocked_budget"].value == 0
    assert label("agencies_awaiting_budget") == (
        "หน่วยงานที่ยังไม่ได้ส่งข้อมูล: ข้อมูลงบประมาณรายจ่ายและผลการเบิกจ่าย",
        "Agencies awaiting data: Budget allocations and disbursements",
    )
