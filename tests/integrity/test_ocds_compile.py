"""Acceptance (issue 16): ``ocdskit compile`` over every agency's package together yields exactly
one compiled release per contracting process, the count equal to the projects published.

Inputs are generated here for several agencies (every stage and method, nationally unique
project numbers), exported by the pipeline's own partition step, and compiled by the field's
tool (ocdskit, its command line) with the release schema extended by the bid extension as the
pipeline validates it. The control: one project number repeated under a second agency merges
two buyers' releases into one process, which is what the cross-agency check refuses."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from pipelines.integrity.ocds_config import load_ocds_config
from pipelines.integrity.ocds_schema import load_schemas
from pipelines.integrity.ocds_validate import (
    extended_release_schema,
    extension_patches,
    package_validator,
)
from pipelines.integrity.partition import export_partition, gated_table_path
from pipelines.integrity.process_ids import find_conflicts
from pipelines.layout import report_json_path

OCDSKIT = Path(sys.executable).parent / "ocdskit"
AGENCIES = ("cgd", "pcd", "doh")
STAGES: list[dict[str, Any]] = [
    {},
    {"status": "awarded", "contract_date": None, "method": "selection"},
    {"status": "announced", "contract_date": None, "winner_tax_id": None, "winner_name": None},
    {"status": "planned", "announce_date": None, "bid_close_date": None, "contract_date": None},
    {"status": "cancelled", "method": "specific", "number_of_bidders": 1},
    {"method": "price_agreement"},
]


def _rows(make_project, agency: str, first: int, count: int):
    return [
        make_project(first + n, agency_code=agency, **STAGES[n % len(STAGES)]) for n in range(count)
    ]


def _publish(data_dir: Path, make_table, agency: str, rows) -> None:
    path = gated_table_path(data_dir, agency)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(make_table(rows), path)
    report_json_path(data_dir, "procurement", agency).write_text("{}", encoding="utf-8")


@pytest.fixture(scope="module")
def patched_schema(ocds_schema_dir, tmp_path_factory) -> Path:
    """The release schema with the bid extension merged in, as ocdskit wants it (--schema)."""
    schemas = load_schemas(ocds_schema_dir)
    patches = extension_patches(load_ocds_config().extensions)
    path = tmp_path_factory.mktemp("schema") / "release-schema.json"
    path.write_text(json.dumps(extended_release_schema(schemas.release, patches)), "utf-8")
    return path


def _export_all(data_dir: Path, ocds_schema_dir: Path) -> list[Path]:
    validator = package_validator(load_schemas(ocds_schema_dir))
    packages = []
    for agency in AGENCIES:
        outcome = export_partition(agency, data_dir, validator)
        assert outcome.issues == []
        assert outcome.path is not None
        packages.append(outcome.path)
    return packages


def _compile(packages: list[Path], schema: Path) -> list[dict]:
    stdin = b"".join(path.read_bytes().replace(b"\n", b"") + b"\n" for path in packages)
    done = subprocess.run(
        [str(OCDSKIT), "compile", "--schema", str(schema)],
        input=stdin,
        capture_output=True,
        check=True,
        timeout=300,
    )
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def test_one_compiled_release_per_process_across_agencies(
    tmp_path, make_project, make_table, ocds_schema_dir, patched_schema
):
    published = {}
    for index, agency in enumerate(AGENCIES):
        rows = _rows(make_project, agency, first=100 * index + 1, count=7 + index)
        _publish(tmp_path, make_table, agency, rows)
        published[agency] = {row["project_id"] for row in rows}
    assert all(find_conflicts(agency, tmp_path) is None for agency in AGENCIES)

    compiled = _compile(_export_all(tmp_path, ocds_schema_dir), patched_schema)

    projects = sum(len(ids) for ids in published.values())
    assert len(compiled) == projects == 7 + 8 + 9
    assert len({release["ocid"] for release in compiled}) == projects
    for release in compiled:
        assert release["tag"] == ["compiled"]
        project_id = release["ocid"].removeprefix("ocds-th0000-")
        (agency,) = [a for a, ids in published.items() if project_id in ids]
        assert release["buyer"]["id"] == agency  # one buyer per process


def test_the_control_a_number_under_two_agencies_merges_two_processes(
    tmp_path, make_project, make_table, ocds_schema_dir, patched_schema
):
    for index, agency in enumerate(AGENCIES):
        _publish(tmp_path, make_table, agency, _rows(make_project, agency, 100 * index + 1, 5))
    # doh re-uses cgd's first project number.
    clash = _rows(make_project, "doh", 201, 5)
    clash[0] = make_project(1, agency_code="doh")
    _publish(tmp_path, make_table, "doh", clash)

    compiled = _compile(_export_all(tmp_path, ocds_schema_dir), patched_schema)

    assert len(compiled) == 15 - 1  # two processes became one: what the check is for
    report = find_conflicts("doh", tmp_path)
    assert report is not None
    assert [(c.project_id, c.other) for c in report.conflicts] == [("67000000001", "cgd")]
