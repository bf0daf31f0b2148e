"""The methodology loader: the shipped files load, and bad files fail naming file, line, field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from pipelines.readiness.methodology import MethodologyError, OgpConfig, load_config

from .conftest import OGP_DIR


@pytest.fixture
def ogp_dir(tmp_path: Path) -> Path:
    target = tmp_path / "ogp"
    shutil.copytree(OGP_DIR, target)
    return target


def edit(path: Path, change: object) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_shipped_files_load(config: OgpConfig) -> None:
    methodology, inputs = config.methodology, config.inputs
    assert [c.max_points for c in methodology.eligibility.criteria] == [4, 4, 4, 4]
    assert [i.code for i in methodology.oit.items] == ["O17", "O18", "O19", "O20", "O21", "O22"]
    assert methodology.openness.format_stars["CSV"] == 3
    assert methodology.openness.format_stars["XLS"] == 2
    assert methodology.openness.format_stars["PDF"] == 1
    assert list(inputs.cpi.scores.values()) == [36, 36, 36, 35, 36, 35, 34, 33]
    assert methodology.values_check.threshold_verified is False
    assert 4 <= len(config.commitments.commitments) <= 6


def test_wrong_type_names_file_line_and_field(ogp_dir: Path) -> None:
    path = ogp_dir / "methodology.yaml"
    text = path.read_text(encoding="utf-8").replace("pass_share: 0.75", "pass_share: most")
    path.write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "pass_share: most" in row)
    with pytest.raises(MethodologyError) as error:
        load_config(ogp_dir)
    assert f"methodology.yaml:{line}: eligibility.pass_share:" in str(error.value)


def test_component_points_must_add_up(ogp_dir: Path) -> None:
    def change(doc: dict) -> None:
        doc["eligibility"]["criteria"][0]["components"][0]["points"] = 3

    edit(ogp_dir / "methodology.yaml", change)
    with pytest.raises(MethodologyError, match=r"fiscal_transparency.*add up to max_points"):
        load_config(ogp_dir)


def test_inputs_must_cover_every_criterion(ogp_dir: Path) -> None:
    edit(ogp_dir / "inputs.yaml", lambda doc: doc["eligibility"].pop("asset_disclosure"))
    with pytest.raises(
        MethodologyError, match=r"inputs.yaml: eligibility.asset_disclosure: missing"
    ):
        load_config(ogp_dir)


def test_input_value_must_fit_the_criterion(ogp_dir: Path) -> None:
    def change(doc: dict) -> None:
        doc["eligibility"]["access_to_information"]["value"] = "a very good law"

    edit(ogp_dir / "inputs.yaml", change)
    with pytest.raises(MethodologyError, match=r"access_to_information.value: expected one of"):
        load_config(ogp_dir)


def test_source_url_is_required(ogp_dir: Path) -> None:
    def change(doc: dict) -> None:
        doc["cpi"]["source"]["url"] = "transparency.org"

    edit(ogp_dir / "inputs.yaml", change)
    with pytest.raises(MethodologyError, match=r"inputs.yaml:\d+: cpi.source.url"):
        load_config(ogp_dir)


def test_commitment_value_must_exist(ogp_dir: Path) -> None:
    def change(doc: dict) -> None:
        doc["commitments"][0]["ogp_values"] = ["world_peace"]

    edit(ogp_dir / "commitments.yaml", change)
    with pytest.raises(MethodologyError, match=r"commitments.C1.ogp_values: unknown value"):
        load_config(ogp_dir)


def test_missing_file_and_broken_yaml(ogp_dir: Path) -> None:
    (ogp_dir / "commitments.yaml").unlink()
    with pytest.raises(MethodologyError, match=r"commitments.yaml: cannot read"):
        load_config(ogp_dir)
    (ogp_dir / "commitments.yaml").write_text("commitments: [\n", encoding="utf-8")
    with pytest.raises(MethodologyError, match=r"commitments.yaml: not valid YAML"):
        load_config(ogp_dir)
