"""Metadata quality as data.europa.eu's Metadata Quality Assessment (MQA) measures it: pure
computation over each dataset's DCAT, no I/O (the DCAT is read by
:mod:`pipelines.readiness.dcat_reader`).

The dimensions, indicators, weights, vocabularies and rating bands are data
(``datasets/ogp/mqa.yaml``, with their source). Each indicator is checked per dataset or per
distribution; a check is met, not met, or unknown (something this pipeline cannot judge). An
indicator's points are ``met / population x weight`` and, with unknown checks, at most
``(met + unknown) / population x weight``; a scope's rating is given only when both ends fall in
the same band. Public entry points: :func:`score_records` (one dataset,
an agency, the portal), :func:`score_portal` (per dataset, per agency and portal-wide) and
:func:`mqa_figures` (report figures); the rules load with
:func:`pipelines.readiness.mqa_rules.load_mqa_rules`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from pipelines.readiness.figures import Figure, figure, register_labels, share
from pipelines.readiness.mqa_rules import (
    DcatRecord,
    Distribution,
    FormatClass,
    Indicator,
    MqaRules,
    Rating,
    Term,
    Vocabulary,
)

Outcome = bool | None  # met, not met, unknown


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- scoring (pure) -----------------------------------------------------------------------


class IndicatorScore(_Model):
    key: str
    dimension: str
    label_th: str
    label_en: str
    properties: list[str]
    level: str
    weight: int
    met: int
    unknown: int
    population: int
    points: float
    points_max: float
    note_th: str | None = None
    note_en: str | None = None


class DimensionScore(_Model):
    key: str
    label_th: str
    label_en: str
    max_points: int
    points: float
    points_max: float


class MqaScore(_Model):
    """One scope's MQA: a dataset, an agency or the portal."""

    scope: str
    datasets: int
    distributions: int
    indicators: list[IndicatorScore]
    dimensions: list[DimensionScore]
    points: float
    points_max: float
    max_points: int
    rating: str | None  # a rating key, None when the unknown checks leave it open
    rating_th: str | None
    rating_en: str | None
    status: Literal["ok", "provisional", "unknown"]
    evidence: list[str]


class PortalMqa(_Model):
    datasets: dict[str, MqaScore]
    agencies: dict[str, MqaScore]
    portal: MqaScore


def _has(terms: Sequence[Term]) -> bool:
    return any(t.value.strip() for t in terms)


def _in_vocabulary(terms: Sequence[Term], vocabulary: Vocabulary) -> Outcome:
    if not _has(terms):
        return False
    if any(t.iri and t.value.startswith(tuple(vocabulary.iri_prefixes)) for t in terms):
        return True
    return None  # a literal, or an IRI of another scheme: not judged here


def _format_code(term: Term) -> str:
    value = term.value.strip()
    return (value.rstrip("/").rsplit("/", 1)[-1] if term.iri else value).upper()


def _in_class(terms: Sequence[Term], format_class: FormatClass) -> Outcome:
    codes = {_format_code(t) for t in terms if t.value.strip()}
    if not codes:
        return False
    if codes & set(format_class.met):
        return True
    if codes <= set(format_class.not_met):
        return False
    return None


def _checks(
    indicator: Indicator,
    rules: MqaRules,
    properties: Mapping[str, list[Term]],
    reachable: Mapping[str, bool | None],
) -> list[Outcome]:
    """The outcomes of one indicator on one dataset or distribution (one per vocabulary
    property, one otherwise)."""
    if indicator.check == "not_assessed":
        return [None]
    if indicator.check == "vocabulary":
        return [
            _in_vocabulary(properties.get(p, []), rules.vocabularies[indicator.vocabularies[p]])
            for p in indicator.properties
        ]
    (prop,) = indicator.properties
    terms = properties.get(prop, [])
    if indicator.check == "present":
        return [_has(terms)]
    if indicator.check == "reachable":
        return [reachable.get(prop) if _has(terms) else False]
    assert indicator.format_class is not None
    return [_in_class(terms, rules.format_classes[indicator.format_class])]


_NO_DISTRIBUTION = Distribution(id="")  # our rule: an empty dataset fails every distribution check


def _outcomes(indicator: Indicator, rules: MqaRules, record: DcatRecord) -> list[Outcome]:
    if indicator.level == "dataset":
        return _checks(indicator, rules, record.properties, {})
    return [
        outcome
        for dist in record.distributions or [_NO_DISTRIBUTION]
        for outcome in _checks(indicator, rules, dist.properties, dist.reachable)
    ]


def _indicator_score(indicator: Indicator, outcomes: list[Outcome]) -> IndicatorScore:
    met = sum(1 for o in outcomes if o is True)
    unknown = sum(1 for o in outcomes if o is None)
    population = len(outcomes)
    points = met / population * indicator.weight if population else 0.0
    points_max = (met + unknown) / population * indicator.weight if population else 0.0
    return IndicatorScore(
        key=indicator.key,
        dimension=indicator.dimension,
        label_th=indicator.label_th,
        label_en=indicator.label_en,
        properties=indicator.properties,
        level=indicator.level,
        weight=indicator.weight,
        met=met,
        unknown=unknown,
        population=population,
        points=points,
        points_max=points_max,
        note_th=indicator.why_th,
        note_en=indicator.why_en,
    )


def rating_of(rules: MqaRules, points: float) -> Rating:
    """The band holding ``points``: the highest band whose lowest points it reaches."""
    return max((r for r in rules.ratings if points >= r.min_points), key=lambda r: r.min_points)


def score_records(
    rules: MqaRules, records: Sequence[DcatRecord], scope: str, evidence: Iterable[str]
) -> MqaScore:
    """The MQA of a set of datasets (one dataset, an agency, the portal): every indicator's
    share over all their datasets or distributions, the dimensions, the total and the band."""
    indicators = [
        _indicator_score(i, [o for r in records for o in _outcomes(i, rules, r)])
        for i in rules.indicators
    ]
    dimensions = [
        DimensionScore(
            key=d.key,
            label_th=d.label_th,
            label_en=d.label_en,
            max_points=d.max_points,
            points=sum(i.points for i in indicators if i.dimension == d.key),
            points_max=sum(i.points_max for i in indicators if i.dimension == d.key),
        )
        for d in rules.dimensions
    ]
    points = sum(i.points for i in indicators)
    points_max = sum(i.points_max for i in indicators)
    if not records:
        rating, status = None, "unknown"
    else:
        # rounded so that a sum of shares a hair under a band edge is not put below it
        low, high = rating_of(rules, round(points, 6)), rating_of(rules, round(points_max, 6))
        rating = low if low == high else None
        status = "ok" if points_max == points else "provisional"
    return MqaScore(
        scope=scope,
        datasets=len(records),
        distributions=sum(len(r.distributions) for r in records),
        indicators=indicators,
        dimensions=dimensions,
        points=points,
        points_max=points_max,
        max_points=rules.max_points,
        rating=rating.key if rating else None,
        rating_th=rating.label_th if rating else None,
        rating_en=rating.label_en if rating else None,
        status=status,
        evidence=list(dict.fromkeys(evidence)),
    )


def score_portal(rules: MqaRules, records: Sequence[DcatRecord], portal_url: str) -> PortalMqa:
    """Per dataset, per agency (organization) and portal-wide. Evidence: the dataset's page and
    its DCAT, the organization's page, the portal's DCAT catalog."""
    base = portal_url.rstrip("/")
    by_agency: dict[str, list[DcatRecord]] = {}
    for record in records:
        by_agency.setdefault(record.organization, []).append(record)
    return PortalMqa(
        datasets={r.name: score_records(rules, [r], r.name, [r.url, r.dcat_url]) for r in records},
        agencies={
            org: score_records(rules, group, org, [f"{base}/organization/{org}"])
            for org, group in sorted(by_agency.items())
        },
        portal=score_records(rules, records, "portal", [f"{base}/catalog.jsonld"]),
    )


# --- figures for the report ---------------------------------------------------------------

MQA_POINTS = "mqa_points"


def _register(rules: MqaRules) -> None:
    labels = {
        MQA_POINTS: ("คะแนนคุณภาพเมทาดาตา (MQA)", "Metadata quality (MQA points)"),
        **{f"mqa_{i.key}": (f"MQA: {i.label_th}", f"MQA: {i.label_en}") for i in rules.indicators},
    }
    register_labels(labels)


def _num(points: float) -> str:
    """Points as shown: whole numbers without decimals, others to one decimal."""
    rounded = round(points, 1)
    return str(int(rounded)) if rounded == int(rounded) else str(rounded)


def _points_notes(score: MqaScore, rules: MqaRules) -> tuple[str, str]:
    low, high, top = _num(score.points), _num(score.points_max), score.max_points
    if score.rating_th and score.rating_en:
        band_th, band_en = f"ระดับ{score.rating_th}", f"rating {score.rating_en}"
    else:
        band_th, band_en = "ยังระบุระดับไม่ได้", "rating not yet determined"
    src_th, src_en = rules.source.title_th, rules.source.title_en
    if score.status == "ok":
        return (
            f"{low} จาก {top} คะแนน, {band_th} ({src_th})",
            f"{low} of {top} points, {band_en} ({src_en})",
        )
    return (
        f"อย่างน้อย {low} และไม่เกิน {high} จาก {top} คะแนน เพราะบางตัวชี้วัดยังตรวจไม่ได้, "
        f"{band_th} ({src_th})",
        f"at least {low} and at most {high} of {top} points, as some checks cannot be made; "
        f"{band_en} ({src_en})",
    )


def mqa_figures(score: MqaScore, rules: MqaRules) -> dict[str, Figure]:
    """``mqa_points`` (points of 405, provisional with the range when checks are unknown) and
    one share per indicator, ``mqa_<indicator>``: met / population (n/N), provisional with the
    unknown count, unknown when nothing could be judged."""
    _register(rules)
    evidence = [*score.evidence, rules.source.url]
    if score.status == "unknown":
        points = figure(
            MQA_POINTS,
            None,
            "points",
            evidence,
            status="unknown",
            note_th="ไม่มีชุดข้อมูลให้ประเมิน",
            note_en="no dataset to assess",
        )
    else:
        note_th, note_en = _points_notes(score, rules)
        points = figure(
            MQA_POINTS,
            round(score.points, 1),
            "points",
            evidence,
            status=score.status,
            verified=score.status == "ok",
            note_th=note_th,
            note_en=note_en,
        )
    figures = {MQA_POINTS: points}
    for item in score.indicators:
        key = f"mqa_{item.key}"
        judged = item.population - item.unknown
        if item.population and judged == 0:
            figures[key] = figure(
                key,
                None,
                "share",
                evidence,
                numerator=item.met,
                denominator=item.population,
                status="unknown",
                note_th=item.note_th or "ตรวจไม่ได้",
                note_en=item.note_en or "cannot be checked",
            )
            continue
        unknown_th = f"; ตรวจไม่ได้ {item.unknown} รายการ" if item.unknown else ""
        unknown_en = f"; {item.unknown} could not be checked" if item.unknown else ""
        figures[key] = share(
            key,
            item.met,
            item.population,
            evidence,
            verified=not item.unknown,
            status="provisional" if item.unknown else None,
            note_th=f"{_num(item.points)} จาก {item.weight} คะแนน{unknown_th}",
            note_en=f"{_num(item.points)} of {item.weight} points{unknown_en}",
        )
    return figures
