"""YAML files read into pydantic models, with errors naming the file, line and field."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from pipelines.yaml_text import compose_yaml, load_yaml


class MethodologyError(ValueError):
    """A methodology, inputs or commitments file is missing, malformed or inconsistent."""


M = TypeVar("M", bound=BaseModel)


def load_model(path: Path, model: type[M]) -> M:
    """Parse one YAML file into ``model``; errors name the file, line and field."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MethodologyError(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        document = load_yaml(text)
    except yaml.YAMLError as exc:
        raise MethodologyError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        root = compose_yaml(text)  # the lines of the fields at fault
        problems = [_describe(path, root, error) for error in exc.errors()]
        raise MethodologyError("\n".join(problems)) from exc


def locate(path: Path, loc: Sequence[str | int]) -> str:
    """``file:line`` of the YAML node at ``loc`` in a file that has loaded (``file`` alone when
    the node cannot be found)."""
    try:
        root = compose_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return str(path)
    line = _line_of(root, loc)
    return f"{path}:{line}" if line else str(path)


def _describe(path: Path, root: yaml.Node | None, error: Any) -> str:
    loc: Sequence[str | int] = error["loc"]
    field = ".".join(str(part) for part in loc) or "(document)"
    line = _line_of(root, loc)
    where = f"{path}:{line}" if line else str(path)
    return f"{where}: {field}: {error['msg']}"


def _line_of(node: yaml.Node | None, loc: Sequence[str | int]) -> int | None:
    """The 1-based line of the deepest YAML node on ``loc`` (pydantic's error location)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            # the last of a key written twice: the value both loaders keep
            child = next((v for k, v in reversed(node.value) if k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if part < len(node.value) else None
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line
