"""Reading the project's YAML files: one safe loader, libyaml's when PyYAML was built with it.

libyaml parses the contracts about seven times faster than PyYAML's pure-Python reader (a run
reads every contract a few dozen times); both build the same documents, and both raise
``yaml.YAMLError`` with the line of the problem.
"""

from __future__ import annotations

from typing import IO, Any

import yaml

SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(source: str | bytes | IO[str]) -> Any:
    """The document in ``source`` (safe: plain data only)."""
    return yaml.load(source, Loader=SafeLoader)  # noqa: S506 - a safe loader


def compose_yaml(source: str | bytes | IO[str]) -> yaml.Node | None:
    """The node tree of ``source``, whose nodes carry their line numbers."""
    return yaml.compose(source, Loader=SafeLoader)
