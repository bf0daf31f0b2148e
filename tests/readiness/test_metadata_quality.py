"""MQA scoring, pure: the rules file, hand-computed points for a fully described, a bare and an
empty dataset, pooled shares for an agency, unknown checks as a range, the figures, and the
JSON-LD reader on a document generated here in the shape ckanext-dcat serves."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipelines.readiness.dcat_reader import DcatError, parse_dcat_jsonld
from pipelines.readiness.metadata_quality import mqa_figures, rating_of, score_portal, score_records
from pipelines.readiness.mqa_rules import (
    MQA_FILE,
    DcatRecord,
    Distribution,
    MqaRules,
    Term,
    load_mqa_rules,
)

from .conftest import OGP_DIR, PORTAL

EU = "http://publications.europa.eu/resource/authority/"
IANA = "http://www.iana.org/assignments/media-types/"


@pytest.fixture(scope="module")
def rules() -> MqaRules:
    return load_mqa_rules(OGP_DIR)


def iri(value: str) -> list[Term]:
    return [Term(value=value, iri=True)]


def lit(value: str) -> list[Term]:
    return [Term(value=value)]


def full_distribution(n: int, *, reachable: bool | None = True) -> Distribution:
    url = f"{PORTAL}/dataset/full/resource/{n}"
    return Distribution(
        id=url,
        properties={
            "dcat:accessURL": iri(url),
            "dcat:downloadURL": iri(f"{url}/download/data.csv"),
            "dct:format": iri(f"{EU}file-type/CSV"),
            "dcat:mediaType": iri(f"{IANA}text/csv"),
            "dct:license": iri(f"{EU}licence/CC_BY_4_0"),
            "dct:rights": [Term(value="_:b1", iri=True)],
            "dcat:byteSize": lit("1234"),
        },
        reachable={"dcat:accessURL": reachable, "dcat:downloadURL": reachable},
    )


def record(name: str, org: str, properties: dict[str, list[Term]], dists: list[Distribution]):
    return DcatRecord(
        name=name,
        organization=org,
        url=f"{PORTAL}/dataset/{name}",
        dcat_url=f"{PORTAL}/dataset/{name}.jsonld",
        properties=properties,
        distributions=dists,
    )


FULL_PROPERTIES = {
    "dcat:keyword": lit("budget"),
    "dcat:theme": iri(f"{EU}data-theme/GOVE"),
    "dct:spatial": iri(f"{EU}country/THA"),
    "dct:temporal": [Term(value="_:t", iri=True)],
    "dct:accessRights": iri(f"{EU}access-right/PUBLIC"),
    "dcat:contactPoint": [Term(value="_:c", iri=True)],
    "dct:publisher": iri(f"{PORTAL}/organization/x"),
    "dct:issued": lit("2025-01-01"),
    "dct:modified": lit("2025-02-01"),
}


def full(org: str = "a", dists: int = 2, name: str = "full") -> DcatRecord:
    return record(name, org, FULL_PROPERTIES, [full_distribution(n) for n in range(dists)])


def bare(org: str = "a") -> DcatRecord:
    # one distribution: a reachable access URL and a PDF format IRI, nothing else
    dist = Distribution(
        id="d",
        properties={
            "dcat:accessURL": iri(f"{PORTAL}/x"),
            "dct:format": iri(f"{EU}file-type/PDF"),
        },
        reachable={"dcat:accessURL": True},
    )
    return record("bare", org, {}, [dist])


def by_key(score) -> dict:
    return {i.key: i for i in score.indicators}


def test_rules_are_the_published_mqa(rules: MqaRules) -> None:
    assert {d.key: d.max_points for d in rules.dimensions} == {
        "findability": 100,
        "accessibility": 100,
        "interoperability": 110,
        "reusability": 75,
        "contextuality": 20,
    }
    assert rules.max_points == 405
    weights = {i.key: i.weight for i in rules.indicators}
    assert (weights["keyword"], weights["theme"], weights["access_url_reachable"]) == (30, 30, 50)
    assert (weights["dcat_ap_compliance"], weights["licence"], weights["contact_point"]) == (
        30,
        20,
        20,
    )
    assert rules.source.url == "https://data.europa.eu/mqa/methodology"
    assert [(r.key, r.min_points) for r in rules.ratings] == [
        ("excellent", 351),
        ("good", 221),
        ("sufficient", 121),
        ("bad", 0),
    ]


def test_weights_that_do_not_add_up_are_refused(tmp_path: Path) -> None:
    document = yaml.safe_load((OGP_DIR / MQA_FILE).read_text(encoding="utf-8"))
    document["indicators"][0]["weight"] = 31
    (tmp_path / MQA_FILE).write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")
    with pytest.raises(ValueError, match="findability: weights add up to 101, not 100"):
        load_mqa_rules(tmp_path)


def test_fully_described_dataset(rules: MqaRules) -> None:
    score = score_records(rules, [full()], "full", [f"{PORTAL}/dataset/full"])
    # every indicator met but DCAT-AP compliance, which this pipeline cannot check (30)
    assert (score.points, score.points_max) == (375, 405)
    assert (score.rating, score.rating_en, score.status) == (
        "excellent",
        "Excellent",
        "provisional",
    )
    dcat_ap = by_key(score)["dcat_ap_compliance"]
    assert (dcat_ap.met, dcat_ap.unknown, dcat_ap.population) == (0, 1, 1)
    vocab = by_key(score)["format_media_type_vocabulary"]
    assert (vocab.met, vocab.population, vocab.points) == (4, 4, 10)  # 2 properties x 2 dists


def test_bare_dataset_by_hand(rules: MqaRules) -> None:
    score = score_records(rules, [bare()], "bare", [f"{PORTAL}/dataset/bare"])
    points = {i.key: (i.points, i.points_max) for i in score.indicators if i.points_max}
    assert points == {
        "access_url_reachable": (50, 50),
        "format": (20, 20),
        "format_media_type_vocabulary": (5, 5),  # the format IRI (1 of 2); no media type
        "non_proprietary": (0, 20),  # PDF is in neither list: unknown
        "dcat_ap_compliance": (0, 30),
    }
    assert by_key(score)["machine_readable"].points_max == 0  # PDF: not machine-readable
    assert (score.points, score.points_max) == (75, 125)
    # 75 is Bad, 125 Sufficient: the band is left open, never the better one
    assert (score.rating, score.status) == (None, "provisional")


def test_empty_dataset_fails_every_distribution_check(rules: MqaRules) -> None:
    empty = record("empty", "a", {"dct:publisher": iri(f"{PORTAL}/organization/a")}, [])
    score = score_records(rules, [empty], "empty", [PORTAL])
    licence = by_key(score)["licence"]
    assert (licence.met, licence.population) == (0, 1)
    assert (score.points, score.points_max) == (10, 40)
    assert (score.rating, score.rating_en) == ("bad", "Bad")


def test_agency_pools_datasets_and_distributions(rules: MqaRules) -> None:
    records = [full("a", dists=2), bare("a"), full("b", dists=1, name="full-b")]
    result = score_portal(rules, records, PORTAL)
    agency = by_key(result.agencies["a"])
    assert (agency["keyword"].met, agency["keyword"].population, agency["keyword"].points) == (
        1,
        2,
        15,
    )
    # distributions pooled: 2 of the full dataset, 1 of the bare one
    assert (agency["licence"].met, agency["licence"].population) == (2, 3)
    assert agency["licence"].points == pytest.approx(40 / 3)
    assert (agency["access_url_reachable"].met, agency["access_url_reachable"].population) == (3, 3)
    assert result.portal.datasets == 3
    assert result.portal.distributions == 4
    assert set(result.datasets) == {"full", "bare", "full-b"}
    assert result.datasets["bare"].points == 75
    assert result.agencies["b"].points == 375


def test_unreachable_is_not_met_and_unchecked_is_unknown(rules: MqaRules) -> None:
    down = record("d", "a", FULL_PROPERTIES, [full_distribution(0, reachable=False)])
    unchecked = record("u", "a", FULL_PROPERTIES, [full_distribution(0, reachable=None)])
    assert score_records(rules, [down], "d", [PORTAL]).points == 375 - 80
    score = score_records(rules, [unchecked], "u", [PORTAL])
    assert (score.points, score.points_max) == (375 - 80, 405)
    assert by_key(score)["access_url_reachable"].unknown == 1


def test_figures_carry_counts_range_and_both_languages(rules: MqaRules) -> None:
    score = score_records(rules, [bare()], "bare", [f"{PORTAL}/dataset/bare"])
    figures = mqa_figures(score, rules)
    points = figures["mqa_points"]
    assert (points.value, points.status, points.unit) == (75, "provisional", "points")
    assert "at least 75 and at most 125 of 405" in (points.note_en or "")
    assert "อย่างน้อย 75 และไม่เกิน 125 จาก 405" in (points.note_th or "")
    assert points.evidence == [f"{PORTAL}/dataset/bare", "https://data.europa.eu/mqa/methodology"]
    reach = figures["mqa_access_url_reachable"]
    assert (reach.value, reach.ratio, reach.status) == (1.0, "1/1", "ok")
    assert figures["mqa_licence"].ratio == "0/1"
    assert figures["mqa_licence"].value == 0
    dcat_ap = figures["mqa_dcat_ap_compliance"]
    assert (dcat_ap.value, dcat_ap.status) == (None, "unknown")
    assert "SHACL" in (dcat_ap.note_en or "")
    assert "SHACL" in (dcat_ap.note_th or "")
    vocab = figures["mqa_format_media_type_vocabulary"]
    assert (vocab.ratio, vocab.status) == ("1/2", "ok")
    assert all(f.label_th and f.label_en and f.label_th != f.label_en for f in figures.values())


def test_no_dataset_is_unknown_not_zero(rules: MqaRules) -> None:
    score = score_records(rules, [], "portal", [PORTAL])
    assert (score.status, score.rating) == ("unknown", None)
    figure = mqa_figures(score, rules)["mqa_points"]
    assert (figure.value, figure.status) == (None, "unknown")


def jsonld(prefix: str) -> dict:
    """A dataset's DCAT in rdflib's compacted shape, with a prefix of our choosing for DCAT."""
    base = "http://portal.test/dataset/1"
    return {
        "@context": {prefix: "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/"},
        "@graph": [
            {
                "@id": base,
                "@type": f"{prefix}:Dataset",
                f"{prefix}:keyword": ["budget", "งบประมาณ"],
                "dct:issued": {"@type": "xsd:dateTime", "@value": "2025-01-01T00:00:00"},
                f"{prefix}:distribution": [
                    {"@id": f"{base}/resource/b"},
                    {"@id": f"{base}/resource/a"},
                ],
                "dct:publisher": {"@id": "http://portal.test/organization/o"},
            },
            {
                "@id": f"{base}/resource/a",
                "@type": f"{prefix}:Distribution",
                f"{prefix}:accessURL": {"@id": "http://portal.test/a.csv"},
                "dct:format": "CSV",
            },
            {"@id": f"{base}/resource/b", "@type": f"{prefix}:Distribution"},
            {"@id": "http://portal.test/organization/o", "@type": "foaf:Agent"},
        ],
    }


@pytest.mark.parametrize("prefix", ["dcat", "d"])
def test_jsonld_is_read_by_full_iris(prefix: str) -> None:
    parsed = parse_dcat_jsonld(
        jsonld(prefix), name="n", organization="o", url="u", dcat_url="u.jsonld"
    )
    assert [t.value for t in parsed.properties["dcat:keyword"]] == ["budget", "งบประมาณ"]
    assert parsed.properties["dct:issued"] == [Term(value="2025-01-01T00:00:00")]
    assert parsed.properties["dct:publisher"][0].iri
    assert "dcat:distribution" not in parsed.properties
    first, second = parsed.distributions
    assert first.id.endswith("/resource/a")
    assert second.properties == {}
    assert first.properties["dcat:accessURL"] == [Term(value="http://portal.test/a.csv", iri=True)]
    assert first.properties["dct:format"] == [Term(value="CSV")]


def test_jsonld_without_one_dataset_is_refused() -> None:
    document = jsonld("dcat")
    document["@graph"] = document["@graph"][1:]
    with pytest.raises(DcatError, match="expected one dcat:Dataset, found 0"):
        parse_dcat_jsonld(document, name="n", organization="o", url="u", dcat_url="u.jsonld")


@pytest.mark.parametrize(
    ("points", "band"),
    [
        (405, "excellent"),
        (351, "excellent"),
        (350.9, "good"),
        (221, "good"),
        (220.5, "sufficient"),
        (121, "sufficient"),
        (120.99, "bad"),
        (0, "bad"),
    ],
)
def test_rating_bands(rules: MqaRules, points: float, band: str) -> None:
    assert rating_of(rules, points).key == band
