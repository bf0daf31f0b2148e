"""The five OGP Participation and Co-Creation Standards (2022), assessed from the published
forum meetings and the portal (hand-computed; report date 2026-01-15, so the one-year window
starts 2025-01-15)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from pipelines.readiness.cocreation import (
    COLUMNS,
    FAMILY,
    assess_agency,
    cocreation_figures,
    load_standards,
)
from pipelines.readiness.cocreation_national import national_figures
from pipelines.readiness.indicators import compute_indicators
from pipelines.readiness.input_models import NationalForum
from pipelines.readiness.methodology import OgpConfig
from pipelines.readiness.published import published_rows
from pipelines.readiness.report import build_report

from .conftest import AS_OF as REPORT_AS_OF
from .conftest import OGP_DIR, PORTAL, dataset, no_local, organization, snapshot
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
    # 2b (a document repository) is not assessed without a minutes document: 0 of 5 judged
    assert verdicts(results["ccc"])["2b"] == "not_assessed"
    assert figures["cocreation_requirements_met_ccc"].ratio == "0/5"
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


# --- the national forum: the standards apply to the country's OGP process -------------------

CABINET = {
    "title": "Cabinet resolution",
    "url": "https://www.thaigov.go.th/",
    "kind": "official_page",
}


def national(tmp_path: Path, host: str | None, **extra: object) -> dict:
    """The national figures over the fixture's three agencies with ``host`` recorded."""
    write_published(tmp_path, "forum_meetings", "aaa", AAA)
    orgs = [organization(name) for name in ("aaa", "bbb", "ccc")]
    snap = snapshot(orgs, [dataset("aaa", "forum_meetings", [])])
    standards = load_standards(OGP_DIR)
    _, results = cocreation_figures(snap, tmp_path, OGP_DIR, AS_OF)
    forums = published_rows(snap, tmp_path, FAMILY, COLUMNS)
    forum = NationalForum.model_validate(
        {"value": host, "source": CABINET, "verified": False, **extra}
    )
    return national_figures(standards, forum, snap, forums, results)


def test_the_national_forum_is_assessed_from_its_hosts_meetings(tmp_path: Path) -> None:
    figures = national(tmp_path, "aaa")
    # aaa (hand-checked above): standards 1-4 have a requirement not assessed, 5 is met
    overall = figures["cocreation_national_standards_met"]
    assert (overall.value, overall.ratio, overall.status) == (1, "1/5", "provisional")
    assert overall.verified is False  # the host is not verified against a document
    assert overall.evidence == [f"{PORTAL}/dataset/aaa-forum_meetings", STANDARDS_URL]
    one = figures["cocreation_national_standard_1"]
    assert (one.value, one.ratio, one.status) == (2, "2/3", "provisional")
    assert one.note_en == (
        "1a met; 1b met; 1c not assessed (no data); "
        "the host of the national forum is not yet verified"
    )
    assert one.note_th == (
        "ข้อ 1a ผ่าน; ข้อ 1b ผ่าน; ข้อ 1c ไม่ได้ประเมิน (ไม่มีข้อมูล); ยังไม่ยืนยันหน่วยงานเจ้าภาพเวทีระดับชาติกับเอกสาร"
    )
    assert one.label_en == (
        "Standard 1, Establishing a space for ongoing dialogue and collaboration: "
        "minimum requirements met (national)"
    )
    assert one.label_th.startswith("มาตรฐานที่ 1 พื้นที่สำหรับการหารือ")
    two = figures["cocreation_national_standard_2"]
    assert (two.ratio, two.note_en) == (
        "2/3",
        "2a not assessed (no data); 2b met; 2c met; "
        "the host of the national forum is not yet verified",
    )
    # every requirement of standard 5 met, but the host is unconfirmed: provisional (R4 f8)
    five = figures["cocreation_national_standard_5"]
    assert (five.value, five.ratio, five.status, five.verified) == (1, "1/1", "provisional", False)
    assert all(f.verified is False for f in figures.values())


def test_with_a_verified_host_a_fully_met_standard_is_ok(tmp_path: Path) -> None:
    document = {
        "title": "Cabinet resolution naming the OGP point of contact",
        "url": "https://www.example.org/cabinet/ogp-point-of-contact.pdf",
        "kind": "official_page",
        "checked_on": "2026-11-02",
    }
    figures = national(tmp_path, "aaa", verified=True, source=document)
    five = figures["cocreation_national_standard_5"]
    assert (five.ratio, five.status, five.verified) == ("1/1", "ok", True)
    assert "not yet verified" not in (five.note_en or "")
    one = figures["cocreation_national_standard_1"]
    assert (one.status, one.verified) == ("provisional", True)  # 1c not assessed
    assert figures["cocreation_national_standards_met"].verified is True


@pytest.mark.parametrize(
    ("host", "why"),
    [
        (None, "no host of the national forum recorded"),
        ("zzz", "the host is not an agency of the registry"),
        ("ccc", "no readable published forum meetings"),  # an agency without forum data
    ],
)
def test_the_national_figure_is_unknown_without_a_host_or_its_data(
    tmp_path: Path, host: str | None, why: str
) -> None:
    figures = national(tmp_path, host)
    overall = figures["cocreation_national_standards_met"]
    assert (overall.value, overall.status, overall.note_en) == (None, "unknown", why)
    # the portal's organizations and the standards, never the home page the inputs cite
    assert overall.evidence == [f"{PORTAL}/organization", STANDARDS_URL]
    for n in "12345":
        standard = figures[f"cocreation_national_standard_{n}"]
        assert (standard.value, standard.status) == (None, "unknown")
        assert "met" not in (standard.note_en or "").replace("not assessed", "")


def test_a_verified_host_needs_a_document(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="specific document"):
        national(tmp_path, "aaa", verified=True)


def test_the_values_section_shows_the_national_figure(config: OgpConfig) -> None:
    """R3: the civic participation value showed the inputs' own count as if it were the five
    standards. The inputs record no host yet: the national figure is shown, unknown."""
    assert config.inputs.national_forum is not None
    assert config.inputs.national_forum.value is None
    snap = snapshot([organization("aaa")], [])
    result = compute_indicators(snap, no_local(), config.methodology, 2025, REPORT_AS_OF)
    report = build_report(config, result, PORTAL, REPORT_AS_OF)
    civic = next(v for v in report.ogp_values if v.key == "civic_participation")
    keys = [f.key for f in civic.figures]
    assert keys == ["cocreation_national_standards_met", "cocreation_inputs_met"]
    assert (civic.figures[0].value, civic.figures[0].status) == (None, "unknown")
