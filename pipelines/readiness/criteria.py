"""Points of one Core Eligibility criterion from its input, and what would raise them (the
report's next steps). The rules (components, levels, bands) are data in methodology.yaml."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from pipelines.readiness.methodology import Criterion, InputValue


class Improvement(BaseModel):
    """One way to gain points on a criterion, in Thai and English."""

    model_config = ConfigDict(frozen=True)

    points: int
    what_th: str
    what_en: str
    evidence: list[str]


def criterion_points(criterion: Criterion, value: InputValue) -> int:
    """Points for an entered value: components met, the level named, or the band reached."""
    if criterion.kind == "components":
        met = value if isinstance(value, dict) else {}
        return sum(c.points for c in criterion.components if met.get(c.key))
    if criterion.kind == "levels":
        return next(level.points for level in criterion.levels if level.key == value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{criterion.key}: expected a number, got {value!r}")
    problem = criterion.scale.problem(float(value)) if criterion.scale else None
    if problem:  # the loader refuses it; a caller that built the inputs itself is refused too
        raise ValueError(f"{criterion.key}: {problem}")
    bands = sorted(criterion.bands, key=lambda band: band.min, reverse=True)
    return next((band.points for band in bands if value >= band.min), 0)


def improvements(criterion: Criterion, value: InputValue, points: int | None) -> list[Improvement]:
    """Each component not met, the next better level or band; nothing when not entered (the
    verdict's list of what to confirm says to enter it)."""
    if points is None:
        return []
    evidence = [(criterion.rule_source or criterion.source).url]
    if criterion.kind == "components":
        met = value if isinstance(value, dict) else {}
        return [
            Improvement(points=c.points, what_th=c.name_th, what_en=c.name_en, evidence=evidence)
            for c in criterion.components
            if not met.get(c.key)
        ]
    if criterion.kind == "levels":
        better = sorted(
            (lv for lv in criterion.levels if lv.points > points), key=lambda lv: lv.points
        )
        return [
            Improvement(
                points=lv.points - points, what_th=lv.name_th, what_en=lv.name_en, evidence=evidence
            )
            for lv in better[:1]
        ]
    higher = sorted((b for b in criterion.bands if b.points > points), key=lambda b: b.min)
    return [
        Improvement(
            points=band.points - points,
            what_th=f"{criterion.name_th}: คะแนนอย่างน้อย {band.min:g}",
            what_en=f"{criterion.name_en}: a score of at least {band.min:g}",
            evidence=evidence,
        )
        for band in higher[:1]
    ]
