"""The local Dagster instance: ``DAGSTER_HOME`` defaults to ``.dagster_home/`` in the repository
so that runs started by ``ogp run`` are the ones ``make ui`` shows.

The instance config is a copy of ``pipelines/deploy/dagster.local.yaml``. A copy that still
starts with that file's first line is ours and follows it when it changes (so an instance made
before run monitoring was configured gets it); change that line to keep your own edits.
"""

from __future__ import annotations

import os
from pathlib import Path

from pipelines.files import replace_atomically
from pipelines.settings import REPO_ROOT

LOCAL_INSTANCE_YAML = Path(__file__).parent / "deploy" / "dagster.local.yaml"


def _managed(text: str, shipped: str) -> bool:
    return text.partition("\n")[0] == shipped.partition("\n")[0]


def ensure_dagster_home() -> Path:
    """Set ``DAGSTER_HOME`` (when unset) and give it the local instance config."""
    home = Path(os.environ.get("DAGSTER_HOME") or REPO_ROOT / ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)
    config = home / "dagster.yaml"
    shipped = LOCAL_INSTANCE_YAML.read_text(encoding="utf-8")
    current = config.read_text(encoding="utf-8") if config.exists() else None
    if current is None or (current != shipped and _managed(current, shipped)):
        replace_atomically(config, lambda path: path.write_text(shipped, encoding="utf-8"))
    return home
