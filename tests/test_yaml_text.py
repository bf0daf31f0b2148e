"""pipelines/yaml_text.py: the one YAML loader of the pipeline (libyaml's when present)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from pipelines import yaml_text
from pipelines.settings import REPO_ROOT

DATA_FILES = sorted((REPO_ROOT / "datasets").rglob("*.yaml"))
# a parse of YAML text anywhere but the owner (yaml.safe_load, yaml.load, yaml.compose, ...)
_PARSE = re.compile(r"\byaml\.(?:safe_)?(?:load|compose)(?:_all)?\(")


def test_the_loader_is_libyaml_on_this_machine() -> None:
    assert yaml_text.SafeLoader is yaml.CSafeLoader


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.relative_to(REPO_ROOT).as_posix())
def test_every_data_file_loads_as_pyyaml_reads_it(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert yaml_text.load_yaml(text) == yaml.load(text, Loader=yaml.SafeLoader)


def test_a_broken_file_raises_a_yaml_error_with_its_line() -> None:
    with pytest.raises(yaml.YAMLError) as caught:
        yaml_text.load_yaml("a: 1\nb: [2\nc: 3\n")
    mark = caught.value.problem_mark  # type: ignore[attr-defined]
    assert mark.line + 1 in (3, 4)


def test_tags_that_build_objects_are_refused() -> None:
    with pytest.raises(yaml.YAMLError):
        yaml_text.load_yaml("!!python/object/apply:os.getcwd []")


def test_nodes_carry_their_lines() -> None:
    root = yaml_text.compose_yaml("a: 1\nb:\n  c: 2\n")
    assert isinstance(root, yaml.MappingNode)
    (_, b_value) = root.value[1]
    assert b_value.start_mark.line == 2


def test_no_module_parses_yaml_but_the_owner() -> None:
    owner = Path(yaml_text.__file__).resolve()
    found = [
        f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}"
        for path in sorted((REPO_ROOT / "pipelines").rglob("*.py"))
        if path.resolve() != owner
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _PARSE.search(line)
    ]
    assert found == []
    # the scan sees a copy
    assert _PARSE.search("x = yaml.safe_load(text)")
    assert _PARSE.search("root = yaml.compose(t)")
    assert not _PARSE.search("yaml_text.load_yaml(text)")
