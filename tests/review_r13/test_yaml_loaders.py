"""R13 review: the data YAML files read with libyaml's safe loader (pipelines/yaml_text.py).

- A tab after a colon: libyaml reads the document, PyYAML's pure-Python reader refuses it
  (a contract valid on this machine is refused where PyYAML has no libyaml, the fallback the
  module keeps); the module says "both build the same documents".
- A key written twice: both loaders keep the last value (no error), and the line a methodology
  error names is the FIRST key's (``_line_of`` takes the first match): the steward is sent to
  the line that is not read.
- Guards: a broken contract or methodology file still names its line.
"""

from __future__ import annotations

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


def _pure_python(text: str) -> object:
    try:
        return yaml.load(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        return type(error).__name__


def _ours(text: str) -> object:
    try:
        return load_yaml(text)
    except yaml.YAMLError as error:
        return type(error).__name__


@pytest.mark.parametrize("text", ["name: budget\ntitle:\tงบประมาณ\n", "name: budget\t\n"])
def test_a_tab_is_read_as_the_pure_python_loader_reads_it(text: str) -> None:
    assert _ours(text) == _pure_python(text)


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
