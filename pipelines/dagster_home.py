"""The local Dagster instance: ``DAGSTER_HOME`` defaults to ``.dagster_home/`` in the repository
so that runs started by ``ogp run`` are the ones ``make ui`` shows."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from pipelines.settings import REPO_ROOT

LOCAL_INSTANCE_YAML = Path(__file__).parent / "deploy" / "dagster.local.yaml"


def ensure_dagster_home() -> Path:
    """Set ``DAGSTER_HOME`` (when unset) and give it the local instance config once."""
    home = Path(os.environ.get("DAGSTER_HOME") or REPO_ROOT / ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)
    config = home / "dagster.yaml"
    if not config.exists():
        shutil.copyfile(LOCAL_INSTANCE_YAML, config)
    return home
