"""Asset disclosure evidence from the published ``asset_declarations`` family, per agency: how
many declarations are published and the latest declaration date, linked to OGP's asset
disclosure eligibility criterion.

Declarations of political office holders are public by law (Organic Act on Anti-Corruption
B.E. 2561, section 106); the family holds NACC's published summaries only. This is evidence
for the criterion, not its score: OGP scores asset disclosure from its own source (the
eligibility page), which the methodology's inputs carry. An agency without a published
declarations dataset has no evidence (unknown), never zero declarations; one whose gate output
is gone is unknown too.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.readiness.facts import PortalSnapshot
from pipelines.readiness.figures import Figure, figure, register_labels, register_prefix, share
from pipelines.readiness.published import PublishedRows, as_date, published_rows

FAMILY = "asset_declarations"
COLUMNS = ("declaration_id", "declaration_date", "nacc_url")
CRITERION = "asset_disclosure"
OGP_ELIGIBILITY_URL = "https://www.opengovpartnership.org/eligibility"  # as in methodology.yaml

PUBLISHED = "asset_declarations_published_"
LATEST = "asset_declarations_latest_"
AGENCIES = "asset_declarations_agencies"
TOTAL = "asset_declarations_published"

register_labels(
    {
        AGENCIES: (
            "หน่วยงานที่เผยแพร่บัญชีแสดงรายการทรัพย์สินและหนี้สิน",
            "Agencies publishing asset declarations",
        ),
        TOTAL: (
            "บัญชีแสดงรายการทรัพย์สินและหนี้สินที่เผยแพร่",
            "Asset declarations published",
        ),
    }
)
register_prefix(
    PUBLISHED,
    "บัญชีแสดงรายการทรัพย์สินและหนี้สินที่เผยแพร่ หน่วยงาน",
    "Asset declarations published, agency",
)
register_prefix(
    LATEST,
    "วันที่ยื่นบัญชีทรัพย์สินล่าสุดที่เผยแพร่ หน่วยงาน",
    "Latest published asset declaration, agency",
)

NOTE_TH = "หลักฐานประกอบเกณฑ์การเปิดเผยทรัพย์สินของ OGP (ไม่ใช่คะแนนของเกณฑ์)"
NOTE_EN = "evidence for OGP's asset disclosure eligibility criterion (not its score)"


def read_declarations(snapshot: PortalSnapshot, data_dir: Path) -> dict[str, PublishedRows]:
    """Each agency's published declarations (portal dataset and gate-published rows)."""
    return published_rows(snapshot, data_dir, FAMILY, COLUMNS)


def disclosure_figures(snapshot: PortalSnapshot, data_dir: Path) -> dict[str, Figure]:
    """Per agency on the portal: declarations published and the latest date; overall: the
    agencies publishing (n/N of the portal's organizations) and the declarations in all."""
    declarations = read_declarations(snapshot, data_dir)
    figures: dict[str, Figure] = {}
    evidence: list[str] = []
    total = 0
    for org in snapshot.organizations:
        published = declarations.get(org.name)
        if published is None or published.rows is None:
            source = org.url if published is None else published.url
            for key in (PUBLISHED + org.name, LATEST + org.name):
                figures[key] = figure(
                    key,
                    None,
                    "count" if key.startswith(PUBLISHED) else "text",
                    [source, OGP_ELIGIBILITY_URL],
                    status="unknown",
                    note_th="ไม่มีชุดข้อมูลบัญชีทรัพย์สินที่เผยแพร่และอ่านได้",
                    note_en="no published asset declarations that could be read",
                )
            continue
        dates = [d for d in (as_date(r.get("declaration_date")) for r in published.rows) if d]
        count = len(published.rows)
        total += count
        evidence.append(published.url)
        links = [published.url, OGP_ELIGIBILITY_URL]
        figures[PUBLISHED + org.name] = figure(
            PUBLISHED + org.name, count, "count", links, note_th=NOTE_TH, note_en=NOTE_EN
        )
        latest = max(dates).isoformat() if dates else None
        figures[LATEST + org.name] = figure(
            LATEST + org.name,
            latest,
            "text",
            links,
            status=None if latest else "unknown",
            note_th=NOTE_TH,
            note_en=NOTE_EN,
        )
    publishing = len(evidence)
    figures[AGENCIES] = share(
        AGENCIES,
        publishing,
        len(snapshot.organizations),
        [*(evidence or [snapshot.url]), OGP_ELIGIBILITY_URL],
        note_th=NOTE_TH,
        note_en=NOTE_EN,
    )
    if evidence:
        figures[TOTAL] = figure(
            TOTAL,
            total,
            "count",
            [*evidence, OGP_ELIGIBILITY_URL],
            note_th=NOTE_TH,
            note_en=NOTE_EN,
        )
    else:
        figures[TOTAL] = figure(
            TOTAL,
            None,
            "count",
            [snapshot.url, OGP_ELIGIBILITY_URL],
            status="unknown",
            note_th="ไม่มีหน่วยงานที่เผยแพร่บัญชีทรัพย์สิน",
            note_en="no agency publishes asset declarations",
        )
    return figures


def asset_disclosure_evidence(snapshot: PortalSnapshot, data_dir: Path) -> list[str]:
    """The portal URLs of the published declarations datasets that could be read: evidence to
    cite beside OGP's asset disclosure criterion (key ``asset_disclosure``)."""
    return [p.url for p in read_declarations(snapshot, data_dir).values() if p.rows is not None]
