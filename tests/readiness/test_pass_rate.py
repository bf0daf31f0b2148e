"""The validation pass rate and the score (issue 15, L6): a partition published with
quarantined rows is *partial* (published, named in the note); one blocked for personal data
published nothing and counts 0. An agency whose decisions are blocked must not rank above one
that published all three families with a few quarantined rows (live: DLA 57.3 above CGD 55.7)."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.readiness.facts import Freshness, LocalOutputs, ValidationSummary
from pipelines.readiness.indicators import compute_indicators
from pipelines.readiness.methodology import OgpConfig

from .conftest import AS_OF, PORTAL, dataset, organization, snapshot

FY = 2026  # AS_OF (15 Jan 2026) is in FY2026: no lag
NEWEST = {
    "budget": date(2026, 9, 30),
    "procurement": date(2026, 1, 10),
    "decisions": date(2026, 1, 14),
}
FIELDS = {"budget": ("yearly", 411), "procurement": ("monthly", 46), "decisions": ("daily", 8)}


def verdict(status: str) -> ValidationSummary:
    return ValidationSummary(
        valid=status == "passed",
        privacy_findings=int(status == "blocked"),
        evidence=f"{PORTAL}/{status}",
        status=status,
        privacy_blocked=status == "blocked",
    )


def _cards(config: OgpConfig) -> dict:
    plan = {
        "dla": {"budget": "passed", "procurement": "passed", "decisions": "blocked"},
        "cgd": dict.fromkeys(FIELDS, "quarantined"),
    }
    validation, freshness, datasets = {}, {}, []
    for agency, families in plan.items():
        for family, status in families.items():
            validation[f"{family}/{agency}"] = verdict(status)
            frequency, allowed = FIELDS[family]
            freshness[f"{family}/{agency}"] = Freshness(
                newest=NEWEST[family], field="d", frequency=frequency, allowed_days=allowed
            )
            datasets.append(dataset(agency, family, [(f"{family}-{FY}.csv", "CSV", True)]))
    local = LocalOutputs(validation=validation, red_flags={}, freshness=freshness)
    result = compute_indicators(
        snapshot([organization(a) for a in plan], datasets), local, config.methodology, FY, AS_OF
    )
    return {card.agency: card.figures for card in result.agencies}


def test_blocked_counts_zero_partial_counts_published(config: OgpConfig) -> None:
    cards = _cards(config)
    dla, cgd = cards["dla"]["validation_pass_rate"], cards["cgd"]["validation_pass_rate"]
    assert (dla.numerator, dla.denominator, dla.status) == (2, 3, "ok")
    assert dla.note_en is None
    assert (cgd.numerator, cgd.denominator, cgd.status) == (3, 3, "ok")
    assert cgd.note_en == "3 published with quarantined rows (partial)"
    assert cgd.note_th == "เผยแพร่บางส่วน (มีแถวที่ถูกกักไว้) 3 ชุด"


def test_blocked_for_personal_data_does_not_rank_above_partial(config: OgpConfig) -> None:
    cards = _cards(config)
    dla, cgd = cards["dla"], cards["cgd"]
    # the same OIT items (budget and procurement published by both) and stars (CSV: 3 of 5)
    assert dla["oit_coverage"].value == cgd["oit_coverage"].value
    # by hand: dla's blocked decisions are not timely, not let through, not served by the API;
    # validation 2/3 vs 3/3, timeliness 2/3 vs 3/3, API 2/3 vs 3/3: cgd is ahead by
    # (0.20 + 0.20 + 0.15) x 1/3 = 0.1833
    assert cgd["score"].value - dla["score"].value == pytest.approx(0.55 / 3, abs=1e-3)
    assert cgd["score"].value > dla["score"].value
