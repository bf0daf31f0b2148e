"""The OGP readiness report: assembled from the scoring results and indicators, rendered as
JSON (every figure with its evidence and the methodology version), HTML (self-contained,
offline) and Markdown, written to ``build/report/`` with a history entry per run."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from pipelines.files import replace_atomically
from pipelines.readiness import charts, history
from pipelines.readiness.actions import Action, grouped, next_steps
from pipelines.readiness.eligibility import (
    EligibilityAssessment,
    assess_eligibility,
    eligibility_figures,
)
from pipelines.readiness.figures import Figure
from pipelines.readiness.history import Trend
from pipelines.readiness.indicators import AgencyScorecard, IndicatorSet, input_figures
from pipelines.readiness.methodology import Commitment, Cpi, OgpConfig
from pipelines.readiness.present import Names, cited_titles, environment
from pipelines.readiness.scoring import CommitmentAssessment, assess_commitment
from pipelines.readiness.values_check import (
    ValuesCheckAssessment,
    assess_values_check,
    civic_participation_figures,
)
from pipelines.readiness.verified import (
    completion_evidence,
    inputs_verified_figure,
    oit_mapping_figure,
)
from pipelines.thai import ce_to_be

REPORT_STEM = "ogp-readiness-report"


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True)


class ValueSection(_Part):
    key: str
    name_th: str
    name_en: str
    figures: list[Figure]


class AgencyFigures(_Part):
    """One agency's row in a section's per-agency table."""

    agency: str
    title: str
    url: str
    figures: dict[str, Figure]


class CheckRow(_Part):
    """One line of a section's checklist (e.g. a co-creation minimum requirement)."""

    subject: str  # a proper name (an agency's title), shown as it is without a registry name
    subject_code: str | None = None  # the agency's code: the page shows its registry names
    group_th: str
    group_en: str
    item_th: str
    item_en: str
    verdict: str
    verdict_th: str
    verdict_en: str
    detail_th: str
    detail_en: str
    evidence: list[str]


class FigureSection(_Part):
    """A group of figures from one module (licensing, co-creation, asset disclosure, metadata
    quality, ...): shown as its own table, in Thai and English, with n/N and evidence, and
    optionally a per-agency table (columns: the figure keys every row has)."""

    key: str
    name_th: str
    name_en: str
    figures: list[Figure]
    agencies: list[AgencyFigures] = []
    checks: list[CheckRow] = []
    note_th: str | None = None
    note_en: str | None = None

    @property
    def agency_columns(self) -> list[str]:
        if not self.agencies:
            return []
        keys = list(self.agencies[0].figures)
        return [k for k in keys if all(k in a.figures for a in self.agencies)]


class ContextFact(_Part):
    key: str
    text_th: str
    text_en: str
    dated: date | None
    verified: bool
    evidence: list[str]


class Report(_Part):
    methodology_version: str
    generated_at: datetime
    as_of: date
    country: str
    country_th: str
    fiscal_year: int
    portal_url: str
    eligibility: EligibilityAssessment
    values_check: ValuesCheckAssessment
    eligibility_figures: list[Figure]
    ogp_values: list[ValueSection]
    sections: list[FigureSection] = []
    commitments: list[CommitmentAssessment]
    # Thai texts of the register by commitment or milestone id (description, target)
    texts_th: dict[str, str] = {}
    agencies: list[AgencyScorecard]
    overall: dict[str, Figure]
    cpi: list[Figure]
    context: list[ContextFact]
    trends: list[Trend]
    previous_run: str | None
    actions: list[Action]
    # the registry's names by agency code (Thai, English) and the titles of the publications
    # cited: the page shows a name in each language, a title in its own (present.Names)
    agency_names: dict[str, tuple[str, str]] = {}
    source_titles: list[str] = []


def build_report(
    config: OgpConfig,
    indicators: IndicatorSet,
    portal_url: str,
    generated_at: datetime,
    previous: tuple[str, dict[str, Any]] | None = None,
    sections: Sequence[FigureSection] = (),
    eligibility_evidence: Mapping[str, Sequence[str]] | None = None,
    agency_names: Mapping[str, tuple[str, str]] | None = None,
) -> Report:
    """Score everything and assemble the report (pure; ``previous`` = (reference, JSON);
    ``sections``: the figure groups of the other readiness modules, see ``run.sections``;
    ``eligibility_evidence``: portal pages to cite beside a criterion, never points;
    ``agency_names``: the registry's (Thai, English) names by agency code)."""
    methodology, inputs = config.methodology, config.inputs
    as_of = generated_at.date()
    figures = {**indicators.overall, **input_figures(inputs)}
    # the inputs' checklist under its own label, never as "standards met" (R3 C11)
    figures.pop("cocreation_standards_met", None)
    figures.update(civic_participation_figures(inputs, methodology.cocreation_standards.source.url))
    eligibility = assess_eligibility(methodology.eligibility, inputs.eligibility, inputs.country)
    values = assess_values_check(methodology.values_check, inputs.values_check)
    beside = [
        *eligibility_figures(config, eligibility_evidence).values(),
        inputs_verified_figure(config),
        oit_mapping_figure(config),
    ]
    register = config.commitments
    indicators_weakest_first = sorted(
        indicators.agencies, key=lambda a: float(a.figures["score"].value or 0)
    )
    cited, checked = completion_evidence(config)  # never a home page (R3 C12)
    commitments = [
        assess_commitment(c, figures, as_of, methodology.irm, cited).model_copy(
            update={"completion_verified": checked}
        )
        for c in register.commitments
    ]
    return Report(
        methodology_version=methodology.version,
        generated_at=generated_at,
        as_of=as_of,
        country=inputs.country,
        country_th=inputs.country_th,
        fiscal_year=indicators.fiscal_year,
        portal_url=portal_url,
        eligibility=eligibility,
        values_check=values,
        eligibility_figures=beside,
        ogp_values=[
            ValueSection(
                key=v.key,
                name_th=v.name_th,
                name_en=v.name_en,
                figures=[figures[key] for key in v.indicators],
            )
            for v in methodology.ogp_values
        ],
        sections=list(sections),
        commitments=commitments,
        texts_th=_texts_th(register.commitments),
        agencies=indicators_weakest_first,
        overall=figures,
        cpi=cpi_figures(inputs.cpi),
        context=[
            ContextFact(
                key=c.key,
                text_th=c.text_th,
                text_en=c.text_en,
                dated=c.dated,
                verified=c.verified,
                evidence=[c.source.url],
            )
            for c in inputs.context
        ],
        trends=history.compare(indicators.overall, previous[1], previous[0]) if previous else [],
        previous_run=previous[0] if previous else None,
        actions=next_steps(
            eligibility,
            values,
            commitments,
            indicators_weakest_first,
            [
                *((None, f) for f in [*beside, *figures.values()]),
                *((None, f) for s in sections for f in s.figures),
                *((a.agency, f) for s in sections for a in s.agencies for f in a.figures.values()),
            ],
        ),
        agency_names=dict(agency_names or {}),
        source_titles=cited_titles(config.model_dump()),
    )


def _texts_th(commitments: Sequence[Commitment]) -> dict[str, str]:
    texts = {c.id: c.description_th for c in commitments if c.description_th}
    texts |= {m.id: m.target_th for c in commitments for m in c.milestones if m.target_th}
    return texts


def cpi_figures(cpi: Cpi) -> list[Figure]:
    return [
        Figure(
            key=f"cpi_{year}",
            label_th=f"ดัชนีการรับรู้การทุจริต (CPI) พ.ศ. {ce_to_be(year)}",
            label_en=f"Corruption Perceptions Index (CPI) {year}",
            value=score,
            unit="score",
            evidence=[cpi.source.url],
            verified=cpi.verified,
            note_th=f"พ.ศ. {ce_to_be(year)}",
            note_en=str(year),
        )
        for year, score in sorted(cpi.scores.items())
    ]


# --- rendering ----------------------------------------------------------------------------


def to_json(report: Report) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(report.model_dump_json())
    return document


SCORECARD_COLUMNS = (
    "score",
    "oit_coverage",
    "timeliness",
    "validation_pass_rate",
    "openness_stars_mean",
    "datastore_share",
    "partitions_blocked_personal_data",
    "values_masked_before_publication",
    "red_flag_rate",
)
# Kept in the JSON for older readers, not shown: the same count as partitions_blocked_personal_data.
NOT_SHOWN = frozenset({"privacy_incidents_blocked"})


def scorecard_columns(report: Report) -> list[str]:
    """The scorecard's columns: those every agency's card has, in a fixed order."""
    return [k for k in SCORECARD_COLUMNS if all(k in a.figures for a in report.agencies)]


def portal_figures(report: Report) -> list[Figure]:
    """Portal-wide figures not shown under an OGP value: every figure is shown somewhere."""
    shown = {f.key for v in report.ogp_values for f in v.figures} | NOT_SHOWN
    return [f for key, f in report.overall.items() if key not in shown]


def render_html(report: Report) -> str:
    document = to_json(report)
    names = {code: f"{th} / {en}" for code, (th, en) in report.agency_names.items()}
    scores = [  # each agency by its registry names in Thai and English (its title otherwise)
        (
            names.get(a.agency, a.title),
            float(a.figures["score"].value),
            a.figures["score"].status != "ok" or not a.figures["score"].verified,
        )
        for a in report.agencies
        if isinstance(a.figures["score"].value, int | float)
    ]
    svg = {
        "eligibility": charts.eligibility_chart(document["eligibility"]["criteria"]),
        "cpi": charts.cpi_chart(
            {int(f.key.removeprefix("cpi_")): int(f.value or 0) for f in report.cpi},
            verified=all(f.verified for f in report.cpi),
        ),
        "agencies": charts.agency_chart(scores),
    }
    template = environment().get_template("report.html.j2")
    return template.render(
        report=report,
        data=document,
        charts=svg,
        columns=scorecard_columns(report),
        portal_figures=portal_figures(report),
        names=Names(report.agency_names, report.source_titles),
        steps=grouped(report.actions),
    )


def render_markdown(report: Report) -> str:
    template = environment().get_template("report.md.j2")
    columns = scorecard_columns(report)
    return template.render(
        report=report,
        columns=columns,
        portal_figures=portal_figures(report),
        names=Names(report.agency_names, report.source_titles, markup=False),
        steps=grouped(report.actions),
    )


class ReportPaths(_Part):
    html: Path
    json_path: Path
    markdown: Path
    history: Path


def write_report(report: Report, out_dir: Path) -> ReportPaths:
    """Write HTML, JSON and Markdown to ``out_dir`` and keep the JSON in ``history/``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    document = to_json(report)
    paths = ReportPaths(
        html=out_dir / f"{REPORT_STEM}.html",
        json_path=out_dir / f"{REPORT_STEM}.json",
        markdown=out_dir / f"{REPORT_STEM}.md",
        history=history.save(out_dir / "history", report.generated_at, document),
    )
    texts = {
        paths.html: render_html(report),
        paths.json_path: json.dumps(document, ensure_ascii=False, indent=1),
        paths.markdown: render_markdown(report),
    }
    for path, text in texts.items():  # a crash never leaves half a report to publish
        replace_atomically(path, partial(Path.write_text, data=text, encoding="utf-8"))
    return paths
