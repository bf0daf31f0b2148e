"""The data YAML files read with libyaml's safe loader (pipelines/yaml_text.py), a review:

- a tab after a colon is read (libyaml; PyYAML's pure-Python reader refuses it, which is why the
  project has no fallback to it);
- a key written twice: both loaders keep the last value, and a methodology error names the line
  of that last one, the one read;
- a broken contract or methodology file still names its line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from pipelines.contracts.loader import SpecError, _read_yaml
from pipelines.readiness.yaml_models import MethodologyError, load_model
from pipelines.yaml_text import load_yaml


class _Weights(BaseModel):
    name: str
    weight: int


def _read(text: str, load: Callable[[str], object]) -> object:
    """The document, or the name of the YAML error raised."""
    try:
        return load(text)
    except yaml.YAMLError as error:
        return type(error).__name__


def _pure_python(text: str) -> object:
    return yaml.load(text, Loader=yaml.SafeLoader)


@pytest.mark.parametrize(
    ("text", "document"),
    [
        ("name: budget\ntitle:\tงบประมาณ\n", {"name": "budget", "title": "งบประมาณ"}),
        ("name: budget\t\n", {"name": "budget"}),
    ],
)
def test_a_tab_after_a_colon_is_read_where_the_pure_python_reader_refuses_it(
    text: str, document: dict[str, str]
) -> None:
    assert _read(text, load_yaml) == document
    assert _read(text, _pure_python) == "ScannerError"  # why the project never falls back to it


def test_a_duplicated_key_error_names_the_line_that_is_read(tmp_path: Path) -> None:
    path = tmp_path / "weights.yaml"
    path.write_text("name: w\nweight: 1\nweight: heavy\n", encoding="utf-8")
    assert load_yaml(path.read_text(encoding="utf-8"))["weight"] == "heavy"  # the last one
    with pytest.raises(MethodologyError) as caught:
        load_model(path, _Weights)
    assert f"{path}:3: weight:" in str(caught.value)


def test_a_broken_methodology_file_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "weights.yaml"
    path.write_text("name: w\nweight: [1\nother: 2\n", encoding="utf-8")
    with pytest.raises(MethodologyError) as caught:
        load_model(path, _Weights)
    assert "line 3" in str(caught.value) or "line 4" in str(caught.value)


def test_a_broken_contract_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "dataset.yaml"
    path.write_text("name: procurement\nfields:\n  - a\n - b\n", encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        _read_yaml(path)
    assert "line 4" in str(caught.value)
