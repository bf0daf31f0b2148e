"""Core Eligibility and the Values Check as OGP computes them, on hand-computed fixtures.

Each case edits a copy of the shipped ``datasets/ogp`` files (generated here, nothing committed)
and loads it through the real loader, so the verified-needs-a-document rule applies as in a run.
Points (OGP's page): fiscal transparency 2 + 2, access to information 4 law / 3 constitution /
1 draft, asset disclosure 2 + 2, citizen engagement by EIU civil-liberties band 4/3/2/1 at
7.5/5/2.5/0; pass at 75% of the points available, rounded up (12/16, 9/12).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipelines.readiness.eligibility import (
    assess_eligibility,
    eligibility_figures,
)
from pipelines.readiness.methodology import MethodologyError, OgpConfig, load_config
from pipelines.readiness.values_check import assess_values_check

from .conftest import OGP_DIR

CHECKED = "2026-11-02"
FT_FULL = {"executive_budget_proposal": True, "audit_report": True}
FT_HALF = {"executive_budget_proposal": True, "audit_report": False}
AD_FULL = {"law": True, "public_access": True}
Doc = dict[str, Any]


def document(key: str) -> Doc:
    """A specific document (not a home page) read on a recorded day."""
    return {
        "title": f"test document for {key}",
        "url": f"https://example.org/documents/{key}.pdf",
        "kind": "publication",
        "checked_on": CHECKED,
    }


def entered(value: object, key: str, *, verified: bool = True) -> Doc:
    return {"value": value, "source": document(key), "verified": verified}


def not_entered(key: str) -> Doc:
    return {"value": None, "source": document(key), "verified": False}


def confirm_rules(methodology: Doc) -> None:
    """The citizen-engagement bands and the Values Check rule, confirmed on OGP's page."""
    for criterion in methodology["eligibility"]["criteria"]:
        if criterion["kind"] == "bands":
            criterion["bands_verified"] = True
            criterion["rule_source"] = document("ogp-eligibility-citizen-engagement")
    methodology["values_check"]["threshold_verified"] = True
    methodology["values_check"]["source"] = document("ogp-values-check")


def build(
    tmp_path: Path,
    eligibility: dict[str, Doc],
    *,
    methodology: Callable[[Doc], None] = confirm_rules,
    values: dict[str, Doc] | None = None,
) -> OgpConfig:
    target = tmp_path / "ogp"
    shutil.copytree(OGP_DIR, target)
    edit(target / "methodology.yaml", methodology)

    def inputs(doc: Doc) -> None:
        doc["eligibility"] = eligibility
        if values is not None:
            doc["values_check"] = values

    edit(target / "inputs.yaml", inputs)
    return load_config(target)


def edit(path: Path, change: Callable[[Doc], None]) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


def four(ft: Doc, ati: Doc, ad: Doc, ce: Doc) -> dict[str, Doc]:
    return {
        "fiscal_transparency": ft,
        "access_to_information": ati,
        "asset_disclosure": ad,
        "citizen_engagement": ce,
    }


def verdict(config: OgpConfig) -> tuple[str, int, int]:
    result = assess_eligibility(
        config.methodology.eligibility, config.inputs.eligibility, config.inputs.country
    )
    return result.outcome, result.total, result.available


# --- acceptance -------------------------------------------------------------------------------


def test_three_verified_at_four_and_the_fourth_not_entered_is_provisional_12_of_16(
    tmp_path: Path,
) -> None:
    config = build(
        tmp_path,
        four(
            entered(FT_FULL, "obs"),
            entered("law", "ati"),
            entered(AD_FULL, "ad"),
            not_entered("eiu"),
        ),
    )
    result = assess_eligibility(
        config.methodology.eligibility, config.inputs.eligibility, config.inputs.country
    )
    assert (result.outcome, result.total, result.available) == ("provisional", 12, 16)
    assert result.ratio == "12/16"
    assert result.needed == 12
    assert (result.verified_total, result.possible_max) == (12, 16)
    assert [t.key for t in result.to_confirm] == ["citizen_engagement"]
    assert not result.excluded  # a missing input is not an index that does not cover us
    points = eligibility_figures(config)["eligibility_points"]
    assert (points.value, points.ratio, points.status) == (12, "12/16", "provisional")
    assert points.verified is False
    assert "Citizen Engagement" in (points.note_en or "")
    assert "การมีส่วนร่วมของพลเมือง" in (points.note_th or "")


def test_all_four_verified_at_four_pass_16_of_16(tmp_path: Path) -> None:
    config = build(
        tmp_path,
        four(
            entered(FT_FULL, "obs"),
            entered("law", "ati"),
            entered(AD_FULL, "ad"),
            entered(8.1, "eiu"),
        ),
    )
    assert verdict(config) == ("pass", 16, 16)
    points = eligibility_figures(config)["eligibility_points"]
    assert (points.value, points.ratio, points.status, points.verified) == (16, "16/16", "ok", True)


def test_a_criterion_its_index_does_not_cover_leaves_the_denominator_with_its_reason(
    tmp_path: Path,
) -> None:
    def gap(methodology: Doc) -> None:
        confirm_rules(methodology)
        criterion = methodology["eligibility"]["criteria"][0]  # fiscal transparency
        criterion["not_covered"] = [
            {
                "country": "Thailand",
                "reason_th": "การสำรวจงบประมาณแบบเปิดไม่ได้ประเมินประเทศนี้",
                "reason_en": "The Open Budget Survey does not assess this country",
                "source": document("obs-country-list"),
                "verified": True,
            }
        ]

    config = build(
        tmp_path,
        four(
            not_entered("obs"),
            entered("constitutional", "ati"),  # 3
            entered({"law": True, "public_access": False}, "ad"),  # 2
            entered(5.0, "eiu"),  # 3
        ),
        methodology=gap,
    )
    result = assess_eligibility(
        config.methodology.eligibility, config.inputs.eligibility, config.inputs.country
    )
    assert (result.outcome, result.total, result.available, result.needed) == ("fail", 8, 12, 9)
    assert [c.key for c in result.excluded] == ["fiscal_transparency"]
    assert result.excluded[0].reason_en == "The Open Budget Survey does not assess this country"
    figures = eligibility_figures(config)
    assert figures["eligibility_points"].ratio == "8/12"
    assert "Open Budget Survey does not assess" in (figures["eligibility_points"].note_en or "")
    assert "ไม่ได้ประเมินประเทศนี้" in (figures["eligibility_points"].note_th or "")
    assert figures["eligibility_fiscal_transparency"].status == "not_applicable"
    assert figures["eligibility_fiscal_transparency"].value is None


def test_nine_of_twelve_passes(tmp_path: Path) -> None:
    def gap(methodology: Doc) -> None:
        confirm_rules(methodology)
        methodology["eligibility"]["criteria"][3]["not_covered"] = [
            {
                "country": "thailand",  # matched without regard to case
                "reason_th": "ไม่ครอบคลุม",
                "reason_en": "Not covered",
                "source": document("eiu-coverage"),
                "verified": True,
            }
        ]

    config = build(
        tmp_path,
        four(
            entered(FT_HALF, "obs"),  # 2
            entered("constitutional", "ati"),  # 3
            entered(AD_FULL, "ad"),  # 4
            not_entered("eiu"),  # not counted: not covered, so not "to confirm" either
        ),
        methodology=gap,
    )
    assert verdict(config) == ("pass", 9, 12)


def test_a_gap_recorded_for_another_country_does_not_apply(tmp_path: Path) -> None:
    def gap(methodology: Doc) -> None:
        confirm_rules(methodology)
        methodology["eligibility"]["criteria"][3]["not_covered"] = [
            {
                "country": "Tuvalu",
                "reason_th": "ไม่ครอบคลุม",
                "reason_en": "Not covered",
                "source": document("eiu-coverage"),
                "verified": True,
            }
        ]

    config = build(
        tmp_path,
        four(
            entered(FT_HALF, "obs"),
            entered("constitutional", "ati"),
            entered(AD_FULL, "ad"),
            not_entered("eiu"),
        ),
        methodology=gap,
    )
    assert verdict(config) == ("provisional", 9, 16)


def test_an_unverified_coverage_gap_keeps_the_criterion_in_the_denominator_provisional(
    tmp_path: Path,
) -> None:
    def gap(methodology: Doc) -> None:
        confirm_rules(methodology)
        methodology["eligibility"]["criteria"][3]["not_covered"] = [
            {
                "country": "Thailand",
                "reason_th": "ไม่ครอบคลุม",
                "reason_en": "Not covered",
                "source": {"title": "EIU", "url": "https://www.eiu.com/", "kind": "index"},
                "verified": False,
            }
        ]

    config = build(
        tmp_path,
        four(
            entered(FT_FULL, "obs"),
            entered("law", "ati"),
            entered(AD_FULL, "ad"),
            not_entered("eiu"),
        ),
        methodology=gap,
    )
    result = assess_eligibility(
        config.methodology.eligibility, config.inputs.eligibility, config.inputs.country
    )
    # Unconfirmed, the gap leaves nothing out of the denominator: 12/16, not 12/12 (a claim
    # cited to a home page must not turn a missing input into a full score).
    assert (result.outcome, result.total, result.available, result.needed) == (
        "provisional",
        12,
        16,
        12,
    )
    assert [t.key for t in result.to_confirm] == [
        "citizen_engagement",
        "citizen_engagement.coverage",
    ]
    assert result.excluded == []
    points = eligibility_figures(config)["eligibility_points"]
    assert (points.ratio, points.status) == ("12/16", "provisional")


def test_two_criteria_not_covered_is_not_enough_data(tmp_path: Path) -> None:
    def gaps(methodology: Doc) -> None:
        confirm_rules(methodology)
        for i in (0, 3):
            methodology["eligibility"]["criteria"][i]["not_covered"] = [
                {
                    "country": "Thailand",
                    "reason_th": "ไม่ครอบคลุม",
                    "reason_en": "Not covered",
                    "source": document(f"coverage-{i}"),
                    "verified": True,
                }
            ]

    config = build(
        tmp_path,
        four(not_entered("obs"), entered("law", "ati"), entered(AD_FULL, "ad"), not_entered("eiu")),
        methodology=gaps,
    )
    assert verdict(config) == ("not_enough_data", 8, 8)
    points = eligibility_figures(config)["eligibility_points"]
    assert (points.value, points.status) == (None, "unknown")


@pytest.mark.parametrize(
    ("ft", "ati", "ad", "eiu", "expected"),
    [
        # 2 + 3 + 4 + 3 = 12 of 16: exactly 75%
        (FT_HALF, "constitutional", AD_FULL, 5.0, ("pass", 12, 16)),
        # 2 + 3 + 4 + 2 = 11 of 16
        (FT_HALF, "constitutional", AD_FULL, 4.99, ("fail", 11, 16)),
        # 0 + 1 + 2 + 1 = 4 of 16
        (
            {"executive_budget_proposal": False, "audit_report": False},
            "draft_law",
            {"law": True, "public_access": False},
            0.0,
            ("fail", 4, 16),
        ),
    ],
)
def test_verified_inputs_give_a_final_verdict_at_the_bar(
    tmp_path: Path,
    ft: object,
    ati: object,
    ad: object,
    eiu: float,
    expected: tuple[str, int, int],
) -> None:
    config = build(
        tmp_path,
        four(entered(ft, "obs"), entered(ati, "ati"), entered(ad, "ad"), entered(eiu, "eiu")),
    )
    assert verdict(config) == expected


def test_sixteen_points_with_one_unverified_input_is_provisional_not_pass(tmp_path: Path) -> None:
    config = build(
        tmp_path,
        four(
            entered(FT_FULL, "obs", verified=False),
            entered("law", "ati"),
            entered(AD_FULL, "ad"),
            entered(9.0, "eiu"),
        ),
    )
    result = assess_eligibility(
        config.methodology.eligibility, config.inputs.eligibility, config.inputs.country
    )
    assert (result.outcome, result.total, result.available) == ("provisional", 16, 16)
    assert (result.verified_total, result.possible_max) == (12, 16)
    assert [t.key for t in result.to_confirm] == ["fiscal_transparency"]
    assert eligibility_figures(config)["eligibility_fiscal_transparency"].status == "provisional"


def test_unconfirmed_bands_keep_a_verified_score_provisional(tmp_path: Path) -> None:
    def bands_unconfirmed(methodology: Doc) -> None:
        confirm_rules(methodology)
        methodology["eligibility"]["criteria"][3]["bands_verified"] = False

    config = build(
        tmp_path,
        four(
            entered(FT_FULL, "obs"),
            entered("law", "ati"),
            entered(AD_FULL, "ad"),
            entered(8.0, "eiu"),
        ),
        methodology=bands_unconfirmed,
    )
    result = assess_eligibility(
        config.methodology.eligibility, config.inputs.eligibility, config.inputs.country
    )
    assert (result.outcome, result.total) == ("provisional", 16)
    assert [t.key for t in result.to_confirm] == ["citizen_engagement.rule"]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            {
                "title": "OIC",
                "url": "https://www.oic.go.th/",
                "kind": "official_page",
                "checked_on": CHECKED,
            },
            "not a home page",
        ),
        (
            {
                "title": "OIC",
                "url": "https://www.oic.go.th/en/",
                "kind": "official_page",
                "checked_on": CHECKED,
            },
            "not a home page",
        ),
        (
            {"title": "Act", "url": "https://example.org/documents/act.pdf", "kind": "publication"},
            "checked_on",
        ),
    ],
)
def test_verified_without_a_document_url_or_date_is_refused_at_load(
    tmp_path: Path, source: Doc, message: str
) -> None:
    ati = {"value": "law", "source": source, "verified": True}
    with pytest.raises(MethodologyError) as error:
        build(
            tmp_path, four(entered(FT_FULL, "obs"), ati, entered(AD_FULL, "ad"), not_entered("eiu"))
        )
    lines = str(error.value).splitlines()
    assert len(lines) == 1
    assert "inputs.yaml:" in lines[0]
    assert "eligibility.access_to_information.verified:" in lines[0]
    assert message in lines[0]


def test_the_shipped_inputs_are_provisional_out_of_16(config: OgpConfig) -> None:
    figures = eligibility_figures(config)
    points = figures["eligibility_points"]
    assert points.denominator == 16
    assert points.status == "provisional"
    assert figures["eligibility_citizen_engagement"].status == "unknown"
    for key, fig in figures.items():
        assert all((fig.label_th, fig.label_en, fig.note_th, fig.note_en)), key


# --- Values Check -----------------------------------------------------------------------------


def values(cseeorgs: Doc, csreprss: Doc) -> dict[str, Doc]:
    return {"v2cseeorgs": cseeorgs, "v2csreprss": csreprss}


def check(config: OgpConfig) -> tuple[str, int, int]:
    result = assess_values_check(config.methodology.values_check, config.inputs.values_check)
    return result.outcome, result.passed, result.total


def base() -> dict[str, Doc]:
    return four(
        entered(FT_FULL, "obs"), entered("law", "ati"), entered(AD_FULL, "ad"), entered(8.0, "eiu")
    )


def test_values_check_passes_only_verified_and_under_a_confirmed_rule(tmp_path: Path) -> None:
    config = build(tmp_path, base(), values=values(entered(3.0, "vdem-1"), entered(2.0, "vdem-2")))
    assert check(config) == ("pass", 2, 2)
    fig = eligibility_figures(config)["values_check"]
    assert (fig.value, fig.ratio, fig.status) == (2, "2/2", "ok")


def test_values_check_fails_on_one_indicator_at_the_threshold(tmp_path: Path) -> None:
    config = build(tmp_path, base(), values=values(entered(3.0, "vdem-1"), entered(1.0, "vdem-2")))
    assert check(config) == ("fail", 1, 2)  # 1.0 is not above the threshold 1.0


def test_values_check_with_an_unverified_input_is_provisional(tmp_path: Path) -> None:
    config = build(
        tmp_path,
        base(),
        values=values(entered(3.0, "vdem-1"), entered(2.0, "vdem-2", verified=False)),
    )
    assert check(config) == ("provisional", 2, 2)


def test_values_check_under_an_unconfirmed_threshold_is_provisional(tmp_path: Path) -> None:
    def unconfirmed(methodology: Doc) -> None:
        confirm_rules(methodology)
        methodology["values_check"]["threshold_verified"] = False

    config = build(
        tmp_path,
        base(),
        methodology=unconfirmed,
        values=values(entered(3.0, "vdem-1"), entered(2.0, "vdem-2")),
    )
    result = assess_values_check(config.methodology.values_check, config.inputs.values_check)
    assert (result.outcome, result.passed) == ("provisional", 2)
    assert [t.key for t in result.to_confirm] == ["threshold"]


def test_values_check_with_nothing_entered_is_unknown(config: OgpConfig) -> None:
    fig = eligibility_figures(config)["values_check"]
    assert (fig.value, fig.status, fig.ratio) == (None, "unknown", None)


def test_what_would_raise_each_criterion(tmp_path: Path) -> None:
    config = build(
        tmp_path,
        four(
            entered(FT_HALF, "obs"),  # 2: the audit report would add 2
            entered("constitutional", "ati"),  # 3: a law would add 1
            entered({"law": True, "public_access": False}, "ad"),  # 2: public access adds 2
            entered(5.0, "eiu"),  # 3: 7.5 or more would add 1
        ),
    )
    result = assess_eligibility(
        config.methodology.eligibility, config.inputs.eligibility, config.inputs.country
    )
    gains = {c.key: [(i.points, i.what_en) for i in c.improvements] for c in result.criteria}
    assert gains == {
        "fiscal_transparency": [(2, "Timely publication of the Audit Report")],
        "access_to_information": [(1, "Access-to-information law in place")],
        "asset_disclosure": [(2, "Disclosures are publicly accessible")],
        "citizen_engagement": [(1, "Citizen Engagement: a score of at least 7.5")],
    }
    assert (result.outcome, result.total) == ("fail", 10)


def test_portal_evidence_is_cited_beside_a_criterion_without_adding_points(
    config: OgpConfig,
) -> None:
    url = "http://127.0.0.1:5000/dataset/nacc-asset_declarations"
    plain = eligibility_figures(config)
    cited = eligibility_figures(config, {"asset_disclosure": [url]})
    assert url in cited["eligibility_asset_disclosure"].evidence
    assert url not in plain["eligibility_asset_disclosure"].evidence
    assert (
        cited["eligibility_asset_disclosure"].value == plain["eligibility_asset_disclosure"].value
    )
    assert cited["eligibility_points"] == plain["eligibility_points"]


# --- civic participation in the OGP values section (R3 C11) ----------------------------------

HOME = {
    "title": "a site's front page",
    "url": "https://www.thaigov.go.th/",
    "kind": "official_page",
}


def test_civic_participation_is_the_inputs_own_count_with_n_of_n_and_no_home_page(
    tmp_path: Path,
) -> None:
    from pipelines.readiness.report import build_report
    from pipelines.readiness.values_check import civic_participation_figures

    from .conftest import AS_OF, PORTAL, dataset, no_local, organization, snapshot

    def cocreation(doc: Doc) -> None:
        # hand-counted: met 1 (forum, verified document), not met 1 (home page), not entered 1
        doc["cocreation"] = {
            "forum_every_six_months": entered(True, "forum"),
            "website_and_repository": {"value": False, "source": HOME, "verified": False},
            "two_implementation_meetings": {"value": None, "source": HOME, "verified": False},
        }

    directory = tmp_path / "ogp"
    shutil.copytree(OGP_DIR, directory)
    edit(directory / "inputs.yaml", cocreation)
    config = load_config(directory)
    standards = config.methodology.cocreation_standards.source.url
    civic = civic_participation_figures(config.inputs, standards)["cocreation_inputs_met"]
    assert (civic.ratio, civic.status, civic.verified) == ("1/3", "provisional", False)
    assert civic.evidence == ["https://example.org/documents/forum.pdf"]
    assert "not the five-standard assessment" in civic.label_en
    assert "1 of 3 verified" in (civic.note_en or "")
    assert "1 not entered" in (civic.note_en or "")
    assert "2 cite a home page" in (civic.note_en or "")
    # nothing but home pages: the standards' page stands in, never the home page
    only_home = config.inputs.model_copy(
        update={
            "cocreation": {
                k: v for k, v in config.inputs.cocreation.items() if k != "forum_every_six_months"
            }
        }
    )
    fallback = civic_participation_figures(only_home, standards)["cocreation_inputs_met"]
    assert (fallback.ratio, fallback.evidence) == ("0/2", [standards])
    # in the report's values section: this figure, and no "standards met" under that label
    snap = snapshot(
        [organization("aaa")], [dataset("aaa", "budget", [("budget-2568.csv", "CSV", True)])]
    )
    from pipelines.readiness.indicators import compute_indicators

    report = build_report(
        config, compute_indicators(snap, no_local(), config.methodology, 2025, AS_OF), PORTAL, AS_OF
    )
    section = next(v for v in report.ogp_values if v.key == "civic_participation")
    # the national five-standard figure first (unknown: no host recorded), then this one
    assert [f.key for f in section.figures] == [
        "cocreation_national_standards_met",
        "cocreation_inputs_met",
    ]
    assert section.figures[1].ratio == "1/3"
    assert "cocreation_standards_met" not in report.overall
    assert all("thaigov.go.th" not in url for f in report.overall.values() for url in f.evidence)


@pytest.mark.parametrize("score", [-3.0, 42.0])
def test_a_score_outside_the_eiu_scale_never_gets_points(config: OgpConfig, score: float) -> None:
    from pipelines.readiness.criteria import criterion_points

    engagement = config.methodology.criterion("citizen_engagement")
    assert criterion_points(engagement, 10.0) == 4
    assert criterion_points(engagement, 0.0) == 1
    with pytest.raises(
        ValueError, match=f"citizen_engagement: {score} is outside the index's scale 0-10"
    ):
        criterion_points(engagement, score)
