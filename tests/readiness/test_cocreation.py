"""The five OGP Participation and Co-Creation Standards (2022), assessed from the published
forum meetings and the portal (hand-computed; report date 2026-01-15, so the one-year window
starts 2025-01-15)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from pipelines.readiness.cocreation import assess_agency, cocreation_figures, load_standards

from .conftest import OGP_DIR, PORTAL, dataset, organization, snapshot
from .published_data import meeting, write_published

D = dt.date
AS_OF = D(2026, 1, 15)
STANDARDS_URL = "https://www.opengovpartnership.org/ogp-participation-co-creation-standards/"

# aaa: forum meetings (both sides present) on 2024-12-01, 2025-02-10, 2025-07-15, 2025-12-01;
# spans up to the report date 71, 155, 139, 45 days (the longest 155 <= 183); a co-creation
# workshop on 2025-05-20; minutes for all; a meeting after the report date is ignored.
AAA = [
    meeting(1, D(2024, 12, 1)),
    meeting(2, D(2025, 2, 10)),
    meeting(3, D(2025, 5, 20), "co_creation_workshop", 18, 23),
    meeting(4, D(2025, 7, 15)),
    meeting(5, D(2025, 12, 1), government=12, civil_society=9),
    meeting(6, D(2026, 3, 1), "extraordinary", civil_society=0, minutes=None),
]
# bbb: 2025-02-01 without civil society and without minutes, 2025-10-01 with both: the only
# counted forum meeting leaves 259 days (2025-01-15 to 2025-10-01) without one.
BBB = [
    meeting(1, D(2025, 2, 1), civil_society=0, minutes=None),
    meeting(2, D(2025, 10, 1), civil_society=5),
]


def verdicts(results: list) -> dict[str, str]:
    return {r.id: r.verdict for s in results for r in s.requirements}


@pytest.fixture
def assessed(tmp_path: Path) -> tuple[dict, dict]:
    write_published(tmp_path, "forum_meetings", "aaa", AAA)
    write_published(tmp_path, "forum_meetings", "bbb", BBB)
    orgs = [organization(name) for name in ("aaa", "bbb", "ccc")]
    datasets = [dataset(name, "forum_meetings", []) for name in ("aaa", "bbb")]
    return cocreation_figures(snapshot(orgs, datasets), tmp_path, OGP_DIR, AS_OF)


def test_the_standards_are_data_with_their_public_source() -> None:
    standards = load_standards(OGP_DIR)
    assert [s.id for s in standards.standards] == ["1", "2", "3", "4", "5"]
    assert standards.source.url == STANDARDS_URL
    assert all(s.name.th and s.name.en for s in standards.standards)


def test_an_unknown_assessment_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load((OGP_DIR / "cocreation_standards.yaml").read_text("utf-8"))
    data["standards"][0]["requirements"][0]["assess"] = "looks_fine"
    (tmp_path / "cocreation_standards.yaml").write_text(yaml.safe_dump(data), "utf-8")
    with pytest.raises(ValueError, match="requirement 1a: unknown assess"):
        load_standards(tmp_path)


def test_a_forum_meeting_every_six_months_meets_what_can_be_assessed(assessed) -> None:
    figures, results = assessed
    assert verdicts(results["aaa"]) == {
        "1a": "met",
        "1b": "met",
        "1c": "not_assessed",
        "2a": "not_assessed",
        "2b": "met",
        "2c": "met",
        "3a": "not_assessed",
        "3b": "met",
        "4a": "not_assessed",
        "5a": "met",
    }
    assert results["aaa"][0].requirements[0].detail.en == (
        "longest span without a forum meeting: 155 days"
    )
    # a standard with a requirement not assessed is not assessed, never met
    assert [s.verdict for s in results["aaa"]] == ["not_assessed"] * 4 + ["met"]
    standards = figures["cocreation_standards_met_aaa"]
    assert (standards.value, standards.ratio, standards.status) == (1, "1/5", "provisional")
    requirements = figures["cocreation_requirements_met_aaa"]
    assert (requirements.ratio, requirements.status) == ("6/6", "provisional")
    assert requirements.note_en == (
        "4 of 10 requirements not assessed (no data; never counted as met)"
    )
    assert requirements.evidence == [f"{PORTAL}/dataset/aaa-forum_meetings", STANDARDS_URL]


def test_gaps_missing_civil_society_and_minutes_are_not_met(assessed) -> None:
    figures, results = assessed
    assert verdicts(results["bbb"]) == {
        "1a": "not_met",
        "1b": "not_met",
        "1c": "not_assessed",
        "2a": "not_assessed",
        "2b": "met",
        "2c": "not_met",
        "3a": "not_assessed",
        "3b": "not_met",
        "4a": "not_assessed",
        "5a": "not_met",
    }
    details = {r.id: r.detail.en for s in results["bbb"] for r in s.requirements}
    assert details["1a"] == "longest span without a forum meeting: 259 days"
    assert details["1b"] == "1 of 2 meetings"
    assert details["2c"] == "minutes linked for 1 of 2 meetings"
    assert [s.verdict for s in results["bbb"]] == ["not_met"] * 3 + ["not_assessed", "not_met"]
    assert figures["cocreation_standards_met_bbb"].ratio == "0/5"
    assert figures["cocreation_requirements_met_bbb"].ratio == "1/6"


def test_no_published_forum_is_no_evidence(assessed) -> None:
    figures, results = assessed
    judged = {k: v for k, v in verdicts(results["ccc"]).items() if v != "not_assessed"}
    assert set(judged.values()) == {"not_met"}
    assert figures["cocreation_requirements_met_ccc"].ratio == "0/6"
    assert figures["cocreation_standards_met_ccc"].evidence == [
        f"{PORTAL}/organization/ccc",
        STANDARDS_URL,
    ]


def test_a_gap_over_six_months_fails_even_with_many_meetings_before_it() -> None:
    from pipelines.readiness.published import PublishedRows

    rows = [meeting(n, D(2025, 1, 20) + dt.timedelta(days=10 * n)) for n in range(6)]
    published = PublishedRows("aaa", dataset("aaa", "forum_meetings", []), rows)
    results = assess_agency(load_standards(OGP_DIR), published, AS_OF)
    # last meeting 2025-03-11: 310 days to the report date
    assert results[0].requirements[0].verdict == "not_met"
    assert results[0].requirements[0].detail.en.endswith("310 days")
