"""Derived fields, value aliases and registry resolution that cannot work are refused when the
contract loads: one line naming the contract file and the key. Each test breaks a copy of the
real procurement contract (with the agency registry beside it) in a temporary folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from pipelines.contracts import SpecError
from pipelines.contracts.loader import load_spec_file
from pipelines.settings import REPO_ROOT


@pytest.fixture
def procurement(tmp_path: Path) -> Path:
    for family in ("agencies", "procurement"):
        shutil.copytree(REPO_ROOT / "datasets" / family, tmp_path / "datasets" / family)
    return tmp_path / "datasets" / "procurement" / "dataset.yaml"


def broken(path: Path, change: dict[str, object]) -> str:
    """Load the contract after merging ``change`` (dotted keys) into it; the one-line error."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    for dotted, value in change.items():
        *parents, last = dotted.split(".")
        node = document
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(SpecError) as raised:
        load_spec_file(path)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    return message.removeprefix(f"{path}: ")


def test_the_real_contract_loads_with_its_derived_fields(procurement: Path) -> None:
    spec = load_spec_file(procurement)
    assert set(spec.derived) == {"fiscal_year", "status"}
    assert spec.normalize.resolve == {"agency_code": "agencies"}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"derived.fiscal_yr": {"from": "announce_date", "rule": "fiscal_year"}},
            "derived.fiscal_yr: 'fiscal_yr' is not a field of schema.json",
        ),
        (
            {"derived.fiscal_year": {"from": "project_name", "rule": "fiscal_year"}},
            "derived.fiscal_year.from: 'project_name' is a string, not a date",
        ),
        (
            {"derived.fiscal_year": {"from": "announce_dt", "rule": "fiscal_year"}},
            "derived.fiscal_year: reads 'announce_dt', not a field of schema.json",
        ),
        (
            {"derived.budget": {"from": "announce_date", "rule": "fiscal_year"}},
            "derived.budget.rule: rule fiscal_year cannot fill a number field"
            " (only integer, string)",
        ),
        (
            {"derived.status": {"cases": [{"when_present": "winner", "value": "awarded"}]}},
            "derived.status: reads 'winner', not a field of schema.json",
        ),
        (
            {"derived.status": {"constant": "signed"}},
            "derived.status: 'signed' is not in the enum of status",
        ),
        (
            {"derived.fiscal_year": {"constant": "2568"}},
            "derived.fiscal_year: '2568' is not an integer (fiscal_year is an integer field)",
        ),
        (
            {"derived.fiscal_year": {"constant": 2025, "default": 2025}},
            "derived.fiscal_year: give exactly one of from + rule, cases, constant, default"
            " (found constant, default)",
        ),
        (
            {"derived.fiscal_year": {"rule": "fiscal_year"}},
            "derived.fiscal_year: `from` and `rule` go together",
        ),
        (
            {"derived.project_id": {"default": "68000000001"}},
            "derived.project_id: 'project_id' identifies the row or its agency: no default or"
            " override",
        ),
        (
            {"derived.agency_code": {"constant": "dla", "override": True}},
            "derived.agency_code: 'agency_code' identifies the row or its agency: no default or"
            " override",
        ),
        (
            {"derived.fiscal_year": {"from": "announce_date", "rule": "week"}},
            "derived.fiscal_year.rule: Input should be 'fiscal_year', 'calendar_year' or 'month'",
        ),
        (
            {"aliases.values.method": {"e_market": ["e-market"], "e_bidding": ["E Market"]}},
            "aliases.values.method: e_bidding: variant 'E Market' reads the same as a variant"
            " of e_market (case, spaces and punctuation do not count)",
        ),
        (
            {"normalize.resolve": {"agency_code": "ministries"}},
            "normalize.resolve.agency_code: no registry 'ministries'"
            " (expected ministries/ministries.csv under datasets/)",
        ),
        (
            {"normalize.resolve": {"budget": "agencies"}},
            "normalize.resolve.budget: 'budget' is not a string field of schema.json",
        ),
    ],
)
def test_a_contract_that_cannot_work_is_refused_naming_the_key(
    procurement: Path, change: dict[str, object], expected: str
) -> None:
    assert broken(procurement, change) == expected
