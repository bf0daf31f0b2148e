"""The methodology loader: the shipped files load, and bad files fail naming file, line, field."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
import yaml

from pipelines.readiness.methodology import MethodologyError, OgpConfig, load_config
from pipelines.readiness.sources import Source, is_home_page, verification_problem
from pipelines.readiness.verified import (
    inputs_verified_figure,
    oit_mapping_figure,
    source_register,
)

from .conftest import OGP_DIR


@pytest.fixture
def ogp_dir(tmp_path: Path) -> Path:
    target = tmp_path / "ogp"
    shutil.copytree(OGP_DIR, target)
    return target


def edit(path: Path, change: object) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_shipped_files_load(config: OgpConfig) -> None:
    methodology, inputs = config.methodology, config.inputs
    assert [c.max_points for c in methodology.eligibility.criteria] == [4, 4, 4, 4]
    # OIT items are data per ITA year; no year's numbers are confirmed, so none is given
    assert methodology.oit.years_be == [2566, 2567, 2568]
    assert all(not y.confirmed for y in methodology.oit.years)
    assert all(i.number is None for y in methodology.oit.years for i in y.items)
    assert methodology.openness.format_stars["CSV"] == 3
    assert methodology.openness.max_stars == 5  # the 5-star scheme it cites: CSV is 3/5 (R3 A2)
    assert methodology.openness.format_stars["XLS"] == 2
    assert methodology.openness.format_stars["PDF"] == 1
    assert list(inputs.cpi.scores.values()) == [36, 36, 36, 35, 36, 35, 34, 33]
    assert methodology.values_check.threshold_verified is False
    assert 4 <= len(config.commitments.commitments) <= 6


def test_wrong_type_names_file_line_and_field(ogp_dir: Path) -> None:
    path = ogp_dir / "methodology.yaml"
    text = path.read_text(encoding="utf-8").replace("pass_share: 0.75", "pass_share: most")
    path.write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "pass_share: most" in row)
    with pytest.raises(MethodologyError) as error:
        load_config(ogp_dir)
    assert f"methodology.yaml:{line}: eligibility.pass_share:" in str(error.value)


def test_component_points_must_add_up(ogp_dir: Path) -> None:
    def change(doc: dict) -> None:
        doc["eligibility"]["criteria"][0]["components"][0]["points"] = 3

    edit(ogp_dir / "methodology.yaml", change)
    with pytest.raises(MethodologyError, match=r"fiscal_transparency.*add up to max_points"):
        load_config(ogp_dir)


def test_inputs_must_cover_every_criterion(ogp_dir: Path) -> None:
    edit(ogp_dir / "inputs.yaml", lambda doc: doc["eligibility"].pop("asset_disclosure"))
    with pytest.raises(
        MethodologyError, match=r"inputs.yaml: eligibility.asset_disclosure: missing"
    ):
        load_config(ogp_dir)


def test_input_value_must_fit_the_criterion(ogp_dir: Path) -> None:
    def change(doc: dict) -> None:
        doc["eligibility"]["access_to_information"]["value"] = "a very good law"

    edit(ogp_dir / "inputs.yaml", change)
    with pytest.raises(MethodologyError, match=r"access_to_information.value: expected one of"):
        load_config(ogp_dir)


def test_source_url_is_required(ogp_dir: Path) -> None:
    def change(doc: dict) -> None:
        doc["cpi"]["source"]["url"] = "transparency.org"

    edit(ogp_dir / "inputs.yaml", change)
    with pytest.raises(MethodologyError, match=r"inputs.yaml:\d+: cpi.source.url"):
        load_config(ogp_dir)


def test_commitment_value_must_exist(ogp_dir: Path) -> None:
    def change(doc: dict) -> None:
        doc["commitments"][0]["ogp_values"] = ["world_peace"]

    edit(ogp_dir / "commitments.yaml", change)
    with pytest.raises(MethodologyError, match=r"commitments.C1.ogp_values: unknown value"):
        load_config(ogp_dir)


def test_missing_file_and_broken_yaml(ogp_dir: Path) -> None:
    (ogp_dir / "commitments.yaml").unlink()
    with pytest.raises(MethodologyError, match=r"commitments.yaml: cannot read"):
        load_config(ogp_dir)
    (ogp_dir / "commitments.yaml").write_text("commitments: [\n", encoding="utf-8")
    with pytest.raises(MethodologyError, match=r"commitments.yaml: not valid YAML"):
        load_config(ogp_dir)


def sources_in(node: object) -> list[dict]:
    """Every mapping with a ``url`` (a public reference) in a YAML document."""
    found: list[dict] = []
    if isinstance(node, dict):
        if "url" in node and "title" in node:
            found.append(node)
        for value in node.values():
            found += sources_in(value)
    elif isinstance(node, list):
        for value in node:
            found += sources_in(value)
    return found


@pytest.mark.parametrize("name", ["methodology.yaml", "inputs.yaml"])
def test_every_value_names_the_kind_of_its_public_reference(name: str) -> None:
    document = yaml.safe_load((OGP_DIR / name).read_text(encoding="utf-8"))
    sources = sources_in(document)
    assert len(sources) >= 10
    kinds = {"law", "publication", "official_page", "dataset", "index"}
    assert [s for s in sources if s.get("kind") not in kinds] == []
    assert [s for s in sources if s["kind"] == "law" and not s.get("year")] == []


def test_a_law_without_its_year_is_refused(ogp_dir: Path) -> None:
    def change(doc: dict) -> None:
        del doc["eligibility"]["access_to_information"]["source"]["year"]

    edit(ogp_dir / "inputs.yaml", change)
    with pytest.raises(MethodologyError, match=r"eligibility.access_to_information.source: .*year"):
        load_config(ogp_dir)


@pytest.mark.parametrize(
    ("file", "change", "key"),
    [
        (
            "inputs.yaml",
            lambda doc: doc["cpi"].update(verified=True),
            "cpi.verified: verified: true needs the date the document was checked",
        ),
        (
            "inputs.yaml",
            lambda doc: doc["context"][0].update(verified=True),
            "context.0.verified: verified: true needs a specific document URL",
        ),
        (
            "methodology.yaml",
            lambda doc: doc["values_check"].update(threshold_verified=True),
            "values_check.threshold_verified: threshold_verified: true needs the date",
        ),
        (
            "methodology.yaml",
            lambda doc: doc["eligibility"]["criteria"][3].update(bands_verified=True),
            "eligibility.criteria.3.bands_verified: bands_verified: true needs the date",
        ),
        (
            "commitments.yaml",
            lambda doc: doc["source"].update(verified=True),
            "source.verified: verified: true needs a specific document URL",
        ),
    ],
)
def test_every_verified_flag_needs_a_document_and_a_date(
    ogp_dir: Path, file: str, change: object, key: str
) -> None:
    edit(ogp_dir / file, change)
    with pytest.raises(MethodologyError) as error:
        load_config(ogp_dir)
    lines = str(error.value).splitlines()
    assert len(lines) == 1
    assert f"{file}:" in lines[0]
    assert key in lines[0]


def test_a_confirmed_oit_year_needs_its_manual_and_every_number(ogp_dir: Path) -> None:
    def confirm_without_source(doc: dict) -> None:
        doc["oit"]["years"][2]["confirmed"] = True

    edit(ogp_dir / "methodology.yaml", confirm_without_source)
    with pytest.raises(MethodologyError, match=r"oit.years.2: .*every item's number"):
        load_config(ogp_dir)

    def confirm_with_numbers(doc: dict) -> None:
        for n, item in enumerate(doc["oit"]["years"][2]["items"], start=10):
            item["number"] = f"O{n}"

    edit(ogp_dir / "methodology.yaml", confirm_with_numbers)
    with pytest.raises(MethodologyError, match=r"oit.years.2.confirmed: confirmed: true needs a"):
        load_config(ogp_dir)

    def with_manual(doc: dict) -> None:
        doc["oit"]["years"][2]["source"] = {
            "title": "ITA 2568 manual",
            "url": "https://example.org/ita/2568/manual.pdf",
            "kind": "publication",
            "checked_on": "2026-11-02",
        }

    edit(ogp_dir / "methodology.yaml", with_manual)
    oit = load_config(ogp_dir).methodology.oit
    confirmed = oit.for_year(2568)
    assert confirmed is not None
    assert confirmed.confirmed
    assert [i.code for i in confirmed.items][:2] == ["O10", "O11"]
    # the other years keep their own (unconfirmed, unnumbered) items: no year borrows numbers
    other = oit.for_year(2567)
    assert other is not None
    assert not other.confirmed
    assert [i.number for i in other.items] == [None] * len(other.items)
    assert oit.for_year(2565) is None


@pytest.mark.parametrize(
    ("url", "home"),
    [
        ("https://www.oic.go.th/", True),
        ("https://www.oic.go.th", True),
        ("https://www.transparency.org/en/", True),
        ("https://www.thaigov.go.th/th/index.php", True),
        ("https://www.transparency.org/en/countries/thailand", False),
        ("https://www.opengovpartnership.org/eligibility", False),
        # a front page with a query string or fragment is still a front page (R3 C10)
        ("https://example.org/?doc=act-2540", True),
        ("https://www.oic.go.th/?lang=th", True),
        ("https://www.nacc.go.th/index.php?lang=th", True),
        ("https://www.nacc.go.th/main.php", True),
        ("https://www.nacc.go.th/home.html", True),
        ("https://www.nacc.go.th/#top", True),
        ("https://www.nacc.go.th/th/home/", True),
        ("https://www.thaigov.go.th/index.html?utm_source=x", True),
        ("https://www.example.go.th/en/Default.aspx", True),
        ("https://www.nacc.go.th/homepage-notes.pdf", False),
        ("https://www.oic.go.th/web/act.php?id=1", False),
        # a site prefix or a one-letter section is still the front page (R4 f7)
        ("https://www.oic.go.th/web2017/", True),
        ("https://www.eiu.com/n/", True),
        ("https://www.example.go.th/portal/th/", True),
        ("https://www.eiu.com/n/campaigns/democracy-index/", False),
        ("https://www.oic.go.th/web2017/act-2540.pdf", False),
    ],
)
def test_a_home_page_is_not_a_document(url: str, home: bool) -> None:
    assert is_home_page(url) is home


def test_a_verified_source_checked_after_today_is_refused() -> None:
    today = dt.date.today()
    url = "https://example.org/laws/official-information-act-2540.pdf"
    later = Source(title="t", url=url, checked_on=today + dt.timedelta(days=1))
    assert (
        verification_problem(later)
        == f"verified: true: checked_on {later.checked_on} is after today"
    )
    assert verification_problem(Source(title="t", url=url, checked_on=today)) is None


@pytest.mark.parametrize(
    ("value", "refused"), [(10.5, True), (-0.1, True), (10.0, False), (0.0, False)]
)
def test_an_index_value_outside_its_scale_is_refused_at_load(
    ogp_dir: Path, value: float, refused: bool
) -> None:
    edit(
        ogp_dir / "inputs.yaml",
        lambda doc: doc["eligibility"]["citizen_engagement"].update(value=value),
    )
    if not refused:
        assert load_config(ogp_dir).inputs.eligibility["citizen_engagement"].value == value
        return
    with pytest.raises(MethodologyError) as error:
        load_config(ogp_dir)
    assert str(error.value).endswith(
        f"eligibility.citizen_engagement.value: {value} is outside the index's scale 0-10"
    )


def test_bands_without_their_index_scale_are_refused(ogp_dir: Path) -> None:
    edit(ogp_dir / "methodology.yaml", lambda doc: doc["eligibility"]["criteria"][3].pop("scale"))
    with pytest.raises(MethodologyError, match="bands need the index's scale"):
        load_config(ogp_dir)


def test_the_register_counts_what_is_verified_against_a_document(ogp_dir: Path) -> None:
    # shipped: 5 methodology flags (citizen-engagement bands, Values Check threshold, 3 OIT
    # years), 12 inputs (4 eligibility, 2 V-Dem, 3 co-creation, CPI, 2 context), 1 register
    shipped = inputs_verified_figure(load_config(ogp_dir))
    assert (shipped.ratio, shipped.value, shipped.status) == ("0/18", 0.0, "provisional")

    def verify_ati(doc: dict) -> None:
        doc["eligibility"]["access_to_information"]["verified"] = True
        doc["eligibility"]["access_to_information"]["source"].update(
            url="https://example.org/laws/official-information-act-2540.pdf",
            checked_on="2026-11-02",
        )

    edit(ogp_dir / "inputs.yaml", verify_ati)
    config = load_config(ogp_dir)
    figure = inputs_verified_figure(config)
    assert (figure.ratio, figure.status) == ("1/18", "provisional")
    assert figure.note_en == "17 still to verify"
    entry = next(
        e for e in source_register(config) if e.key == "eligibility.access_to_information.verified"
    )
    assert (entry.verified, entry.kind, entry.year) == (True, "law", 1997)
    assert str(entry.checked_on) == "2026-11-02"


def test_the_oit_mapping_of_the_assessment_year(ogp_dir: Path) -> None:
    shipped = oit_mapping_figure(load_config(ogp_dir))  # fiscal year 2025 = B.E. 2568
    assert (shipped.value, shipped.status, shipped.verified) == (2568, "provisional", False)
    assert "2568" in (shipped.note_th or "")

    def later_year(doc: dict) -> None:
        doc["assessment"]["fiscal_year"] = 2030

    edit(ogp_dir / "inputs.yaml", later_year)
    absent = oit_mapping_figure(load_config(ogp_dir))
    assert (absent.value, absent.status) == (None, "unknown")
    assert absent.note_en == "The methodology has no OIT items for B.E. 2573"


def test_irm_scales_are_labelled_in_thai_and_english(config: OgpConfig) -> None:
    irm = config.methodology.irm
    assert [irm.potential_labels[k].en for k in irm.potential_for_results] == [
        "Unclear",
        "Modest",
        "Substantial",
    ]
    assert [irm.completion_labels[k].en for k in irm.completion_levels] == [
        "No Evidence Available",
        "Not Started",
        "Limited",
        "Substantial",
        "Complete",
    ]
    assert all(irm.potential_labels[k].th for k in irm.potential_for_results)


def test_a_scale_level_without_a_label_is_refused(ogp_dir: Path) -> None:
    edit(ogp_dir / "methodology.yaml", lambda doc: doc["irm"]["potential_labels"].pop("modest"))
    with pytest.raises(
        MethodologyError, match=r"methodology.yaml:\d+: irm: .*label for \['modest'\]"
    ):
        load_config(ogp_dir)


def test_a_values_check_value_outside_a_recorded_scale_is_refused(ogp_dir: Path) -> None:
    def scale(doc: dict) -> None:
        doc["values_check"]["indicators"][0]["scale"] = {"min": -5.0, "max": 5.0}

    edit(ogp_dir / "methodology.yaml", scale)
    edit(ogp_dir / "inputs.yaml", lambda doc: doc["values_check"]["v2cseeorgs"].update(value=5.5))
    with pytest.raises(MethodologyError, match=r"v2cseeorgs.value: 5.5 is outside .* -5-5$"):
        load_config(ogp_dir)


def test_commitment_completion_never_cites_a_home_page(ogp_dir: Path) -> None:
    from pipelines.readiness.indicators import compute_indicators
    from pipelines.readiness.report import build_report, render_html
    from pipelines.readiness.verified import completion_evidence

    from .conftest import AS_OF, PORTAL, dataset, no_local, organization, snapshot

    irm_page = "https://www.opengovpartnership.org/irm-guidance-overview/"
    # shipped: the register cites OGP's home page and gives no IRM report -> the IRM's page,
    # unverified
    config = load_config(ogp_dir)
    assert config.commitments.source.url == "https://www.opengovpartnership.org/"
    assert completion_evidence(config) == (irm_page, False)
    snap = snapshot(
        [organization("aaa")], [dataset("aaa", "budget", [("b-2568.csv", "CSV", True)])]
    )
    empty = compute_indicators(snap, no_local(), config.methodology, 2025, AS_OF)
    report = build_report(config, empty, PORTAL, dt.datetime.combine(AS_OF, dt.time()))
    assert report.commitments
    for commitment in report.commitments:
        assert commitment.completion_verified is False
        assert "https://www.opengovpartnership.org/" not in commitment.evidence
        assert commitment.evidence[0] == irm_page
    assert render_html(report).count("unverified") >= len(report.commitments)

    def irm_report(url: str, verified: bool) -> object:
        def change(doc: dict) -> None:
            doc["irm_report"] = {"title": "IRM report", "url": url, "verified": verified}
            if verified:
                doc["irm_report"]["checked_on"] = "2026-11-02"

        return change

    # an IRM report given as a home page is not cited either
    edit(ogp_dir / "commitments.yaml", irm_report("https://www.opengovpartnership.org/?p=1", False))
    assert completion_evidence(load_config(ogp_dir)) == (irm_page, False)
    # the action plan's IRM report page, checked: cited and verified
    plan = "https://www.opengovpartnership.org/documents/thailand-action-plan-review-2026/"
    edit(ogp_dir / "commitments.yaml", irm_report(plan, True))
    config = load_config(ogp_dir)
    assert completion_evidence(config) == (plan, True)
    report = build_report(config, empty, PORTAL, dt.datetime.combine(AS_OF, dt.time()))
    assert all(c.completion_verified and c.evidence[0] == plan for c in report.commitments)


def test_the_values_check_records_v_dems_scale_with_its_source(config: OgpConfig) -> None:
    """R3: the V-Dem scale was not recorded, so any number was taken. Both indicators are on
    V-Dem's 0-4 scale (the measurement model's estimates on the original scale), cited to V-Dem's
    codebook, and OGP's threshold lies on it."""
    rules = config.methodology.values_check
    assert [(i.key, i.scale.min, i.scale.max) for i in rules.indicators] == [
        ("v2cseeorgs", 0.0, 4.0),
        ("v2csreprss", 0.0, 4.0),
    ]
    for indicator in rules.indicators:
        assert indicator.scale_source.url == "https://v-dem.net/data/reference-documents/"
        assert "ordinal 0-4" in indicator.scale_source.title
        assert not is_home_page(indicator.scale_source.url)
        assert indicator.scale.problem(rules.threshold) is None
    assert rules.threshold == 1.0
    assert rules.source.url == "https://www.opengovpartnership.org/eligibility"


@pytest.mark.parametrize(("value", "shown"), [(4.5, "4.5"), (-0.2, "-0.2")])
def test_a_values_check_value_off_v_dems_scale_is_refused(
    ogp_dir: Path, value: float, shown: str
) -> None:
    # e.g. the measurement model's unbounded raw estimate entered instead of the 0-4 one
    edit(ogp_dir / "inputs.yaml", lambda doc: doc["values_check"]["v2csreprss"].update(value=value))
    with pytest.raises(
        MethodologyError, match=rf"v2csreprss.value: {re.escape(shown)} is outside .* 0-4$"
    ):
        load_config(ogp_dir)


def test_a_values_check_indicator_without_its_scale_is_refused(ogp_dir: Path) -> None:
    edit(
        ogp_dir / "methodology.yaml", lambda doc: doc["values_check"]["indicators"][1].pop("scale")
    )
    with pytest.raises(MethodologyError, match="scale"):
        load_config(ogp_dir)


def test_the_values_check_refuses_a_value_off_the_scale(config: OgpConfig) -> None:
    from pipelines.readiness.values_check import assess_values_check

    given = config.inputs.values_check["v2cseeorgs"].model_copy(update={"value": 5.0})
    inputs = {**config.inputs.values_check, "v2cseeorgs": given}
    with pytest.raises(ValueError, match=r"v2cseeorgs: 5\.0 is outside the index's scale 0-4"):
        assess_values_check(config.methodology.values_check, inputs)
