"""The rule behind every ``verified: true`` (and ``confirmed``, ``bands_verified``,
``threshold_verified``) in ``datasets/ogp/``: a specific document and the day it was checked.
The loader (:func:`pipelines.readiness.methodology.load_config`) refuses a file that breaks it,
one line per key."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.readiness.sources import Source, verification_problem
from pipelines.readiness.yaml_models import locate

if TYPE_CHECKING:
    from pipelines.readiness.input_models import CommitmentRegister, EvidenceInput, Inputs
    from pipelines.readiness.methodology import Methodology

METHODOLOGY_FILE = "methodology.yaml"
INPUTS_FILE = "inputs.yaml"
COMMITMENTS_FILE = "commitments.yaml"

Flag = tuple[str, tuple[str | int, ...], bool, Source | None]  # file, YAML path, flag, source


def verified_flags(
    methodology: Methodology, inputs: Inputs, register: CommitmentRegister
) -> list[Flag]:
    """Every ``verified``-like flag in the three files with the source that must back it."""
    flags: list[Flag] = []
    for i, c in enumerate(methodology.eligibility.criteria):
        at: tuple[str | int, ...] = ("eligibility", "criteria", i)
        if c.kind == "bands":
            flags.append(
                (METHODOLOGY_FILE, (*at, "bands_verified"), c.bands_verified, c.rule_source)
            )
        for j, gap in enumerate(c.not_covered):
            flags.append(
                (METHODOLOGY_FILE, (*at, "not_covered", j, "verified"), gap.verified, gap.source)
            )
    values = methodology.values_check
    flags.append(
        (
            METHODOLOGY_FILE,
            ("values_check", "threshold_verified"),
            values.threshold_verified,
            values.source,
        )
    )
    for i, year in enumerate(methodology.oit.years):
        flags.append(
            (METHODOLOGY_FILE, ("oit", "years", i, "confirmed"), year.confirmed, year.source)
        )
    for section in ("eligibility", "values_check", "cocreation"):
        entries: dict[str, EvidenceInput] = getattr(inputs, section)
        for key, entry in entries.items():
            flags.append((INPUTS_FILE, (section, key, "verified"), entry.verified, entry.source))
    flags.append((INPUTS_FILE, ("cpi", "verified"), inputs.cpi.verified, inputs.cpi.source))
    for i, item in enumerate(inputs.context):
        flags.append((INPUTS_FILE, ("context", i, "verified"), item.verified, item.source))
    flags.append(
        (COMMITMENTS_FILE, ("source", "verified"), register.source.verified, register.source)
    )
    return flags


def check_verified(
    directory: Path, methodology: Methodology, inputs: Inputs, register: CommitmentRegister
) -> list[str]:
    """One line per flag set true without a specific document and the day it was checked."""
    problems = []
    for file, loc, flag, source in verified_flags(methodology, inputs, register):
        problem = verification_problem(source, f"{loc[-1]}: true") if flag else None
        if problem:
            path = directory / file
            problems.append(f"{locate(path, loc)}: {'.'.join(map(str, loc))}: {problem}")
    return problems
