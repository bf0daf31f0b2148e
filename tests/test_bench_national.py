"""The pure parts of the national simulation (bench/national, issue 18): the generated world the
pipeline is pointed at, and the section's arithmetic. The benchmark itself is run by hand."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from pipelines.contracts import FileSource, load_agencies, load_specs

REPO = Path(__file__).resolve().parents[1]
NATIONAL = REPO / "bench" / "national"


def bench_module(name: str) -> ModuleType:
    sys.path.insert(0, str(NATIONAL))
    try:
        spec = importlib.util.spec_from_file_location(f"national_{name}", NATIONAL / f"{name}.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(NATIONAL))


@pytest.fixture(scope="module")
def world_module() -> ModuleType:
    return bench_module("world")


def test_world_registry_and_contracts(tmp_path: Path, world_module: ModuleType) -> None:
    world = world_module.make_world(tmp_path / "w", "t1", sample=3)
    agencies = load_agencies(world.datasets)
    codes = [agency.agency_code for agency in agencies]
    assert len(codes) == 8_317 == len(set(codes))
    assert codes[:3] == ["nt100", "nt101", "nt102"] == list(world.sample)
    kinds = {agency.kind for agency in agencies}
    assert kinds == {kind for kind, _ in world_module.KIND_SHARES}
    # every partitioned family reads the world's drops, never the demo's
    specs = load_specs(world.datasets)
    for name, spec in specs.items():
        source = spec.source_for(codes[-1] if spec.partitioned else "")
        assert isinstance(source, FileSource), name
        expected = world.drops / codes[-1] if spec.partitioned else world.datasets / "agencies"
        assert source.path.startswith(f"{expected}/"), (name, source.path)
    # the readiness report goes under the world's own names
    publication = yaml.safe_load((world.datasets / "ogp" / "inputs.yaml").read_text())[
        "publication"
    ]
    assert (publication["dataset_name"], publication["organization"]) == (
        "ogp-readiness-report-nt1",
        "ogp-coordination-nt1",
    )
    assert world.env["OGP_DATASETS_DIR"] == str(world.datasets)
    # the demo's own contracts are untouched
    demo = load_specs(REPO / "datasets")["budget"].source_for("cgd")
    assert isinstance(demo, FileSource)
    assert demo.path == "datasets/drops/cgd/budget_*"


def test_sizing_follows_the_cpu_seconds_per_agency() -> None:
    report = bench_module("report")
    outcome = {
        "label": "2 Celery workers",
        "agencies": 4,
        "cpu_s": {
            "CKAN server": 40.0,
            "portal PostgreSQL": 20.0,
            "Celery workers": 100.0,
            "daemon, code server, run workers": 20.0,
            "xloader job worker": None,
        },
    }
    assert report.per_agency_cpu(outcome) == (15.0, 30.0)
    table = report.sizing_table([outcome])
    # 8,317 agencies in 24 h: 346.5 an hour, x 30 CPU s = 2.9 worker cores, x 15 = 1.4 portal
    assert "| 24 h | 347 | 2.9 | 1.4 |" in table
    assert "| 240 h | 35 | 0.3 | 0.1 |" in table
