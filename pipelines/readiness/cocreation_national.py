"""The OGP Participation and Co-Creation Standards (2022) for the country: they apply to its
OGP process, the multi-stakeholder forum hosted by the OGP point of contact. The host is an input
(``datasets/ogp/inputs.yaml`` ``national_forum``: an agency of the registry, with its source);
its forum is assessed by :mod:`pipelines.readiness.cocreation`'s rules from its published
``forum_meetings`` and the portal. The national figures are unknown — never a good number — when
no host is recorded, the host is not an agency of the registry, or its meetings are not
published and readable; provisional while a requirement is not assessed or the host unverified.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pipelines.readiness.cocreation import WORDS, CocreationStandards, StandardResult
from pipelines.readiness.facts import PortalSnapshot
from pipelines.readiness.figures import Figure, figure, register_labels, register_prefix
from pipelines.readiness.input_models import NationalForum
from pipelines.readiness.published import PublishedRows

NATIONAL = "cocreation_national_standards_met"
NATIONAL_STANDARD = "cocreation_national_standard_"
register_labels(
    {
        NATIONAL: (
            "มาตรฐานการร่วมสร้างของ OGP ที่ผ่าน ระดับประเทศ",
            "OGP co-creation standards met, national",
        )
    }
)
register_prefix(
    NATIONAL_STANDARD,
    "ข้อกำหนดขั้นต่ำที่ผ่าน ระดับประเทศ มาตรฐานที่",
    "Minimum requirements met, national, standard",
)


def national_figures(
    standards: CocreationStandards,
    host: NationalForum | None,
    snapshot: PortalSnapshot,
    forums: Mapping[str, PublishedRows],
    results: Mapping[str, Sequence[StandardResult]],
) -> dict[str, Figure]:
    """The national forum's standards met (x of 5) and, per standard, its minimum requirements
    met (n/N) with each one's verdict in the notes. Unknown without a recorded host, with a host
    outside the registry, or without its readable published meetings; provisional while a
    requirement is not assessed or the host is not verified."""
    code = host.value if host is not None else None
    agencies = {o.name: o for o in snapshot.organizations}
    published = forums.get(code) if code is not None else None
    # the host's source, when it is a specific document (a home page is never cited)
    sources = [host.source.url] if host is not None and host.source.specific else []
    evidence = [published.url] if published else [*sources, f"{snapshot.url}/organization"]
    evidence.append(standards.source.url)
    if code is None:
        why = (
            "ไม่ได้บันทึกหน่วยงานเจ้าภาพเวทีหลายภาคส่วนระดับชาติ",
            "no host of the national forum recorded",
        )
    elif code not in agencies:
        why = ("หน่วยงานเจ้าภาพไม่อยู่ในทะเบียนหน่วยงาน", "the host is not an agency of the registry")
    elif published is None or published.rows is None or code not in results:
        why = ("ไม่มีข้อมูลการประชุมของเวทีที่เผยแพร่และอ่านได้", "no readable published forum meetings")
    else:
        why = None
    assessed = list(results[code]) if why is None and code is not None else []
    # the host unconfirmed, every national figure is provisional and unverified, named
    confirmed = bool(host and host.checked)
    host_th = "" if confirmed else "; ยังไม่ยืนยันหน่วยงานเจ้าภาพเวทีระดับชาติกับเอกสาร"
    host_en = "" if confirmed else "; the host of the national forum is not yet verified"
    figures: dict[str, Figure] = {}
    for i, standard in enumerate(standards.standards):
        key = NATIONAL_STANDARD + standard.id
        reqs = assessed[i].requirements if assessed else []
        verdicts = {r.id: r.verdict for r in reqs}
        words = [WORDS[verdicts.get(r.id, "not_assessed")] for r in standard.requirements]
        ids = [r.id for r in standard.requirements]
        th = "; ".join(f"ข้อ {i_} {w[0]}" for i_, w in zip(ids, words, strict=True))
        en = "; ".join(f"{i_} {w[1]}" for i_, w in zip(ids, words, strict=True))
        met = sum(1 for v in verdicts.values() if v == "met")
        if not assessed:
            figures[key] = figure(key, None, "count", evidence, note_th=th, note_en=en)
            continue
        shaky_standard = "not_assessed" in verdicts.values() or not confirmed
        figures[key] = figure(
            key, met, "count", evidence, numerator=met, denominator=len(ids),
            status="provisional" if shaky_standard else "ok", verified=confirmed,
            note_th=th + host_th, note_en=en + host_en,
        )  # fmt: skip
    for standard in standards.standards:  # each labelled with its standard's name
        key = NATIONAL_STANDARD + standard.id
        figures[key] = figures[key].model_copy(
            update={
                "label_th": f"มาตรฐานที่ {standard.id} {standard.name.th}: "
                "ข้อกำหนดขั้นต่ำที่ผ่าน (ระดับประเทศ)",
                "label_en": f"Standard {standard.id}, {standard.name.en}: "
                "minimum requirements met (national)",
            }
        )
    if not assessed or code is None:
        note = why or ("", "")
        figures[NATIONAL] = figure(
            NATIONAL, None, "count", evidence, note_th=note[0], note_en=note[1]
        )
        return figures
    met = sum(1 for s in assessed if s.verdict == "met")
    shaky = any(s.verdict == "not_assessed" for s in assessed) or not confirmed
    figures[NATIONAL] = figure(
        NATIONAL, met, "count", evidence, numerator=met, denominator=len(assessed),
        status="provisional" if shaky else "ok", verified=confirmed,
        note_th=f"เวทีของ {agencies[code].title}{host_th}",
        note_en=f"the forum of {agencies[code].title_en or code}{host_en}",
    )  # fmt: skip
    return figures
