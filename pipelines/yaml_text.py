"""Reading the project's YAML files: one safe loader, libyaml's (PyYAML's wheels carry it).

libyaml parses the contracts about seven times faster than PyYAML's pure-Python reader (a run
reads every contract a few dozen times) and raises ``yaml.YAMLError`` with the line of the
problem. It also accepts a tab after a colon, which the pure-Python reader refuses: there is no
fallback to that reader, so a contract read on one machine reads the same on every other.
"""

from __future__ import annotations

from typing import IO, Any

import yaml

SafeLoader = yaml.CSafeLoader  # AttributeError at import where PyYAML was built without it


def load_yaml(source: str | bytes | IO[str]) -> Any:
    """The document in ``source`` (safe: plain data only)."""
    return yaml.load(source, Loader=SafeLoader)  # noqa: S506 - a safe loader


def compose_yaml(source: str | bytes | IO[str]) -> yaml.Node | None:
    """The node tree of ``source``, whose nodes carry their line numbers."""
    return yaml.compose(source, Loader=SafeLoader)
