"""The local Dagster instance: ``DAGSTER_HOME`` defaults to ``.dagster_home/`` in the repository
so that runs started by ``ogp run`` are the ones ``make ui`` shows.

The instance config is a copy of ``pipelines/deploy/dagster.local.yaml``. A copy that still
starts with that file's first line is ours and follows it when it changes (so an instance made
before run monitoring was configured gets it); change that line to keep your own edits.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.files import replace_atomically
from pipelines.locks import hold
from pipelines.settings import REPO_ROOT

DEFAULT_DAGSTER_HOME = REPO_ROOT / ".dagster_home"  # made by the first run

if TYPE_CHECKING:
    import dagster as dg

LOCAL_INSTANCE_YAML = Path(__file__).parent / "deploy" / "dagster.local.yaml"


def _managed(text: str, shipped: str) -> bool:
    return text.partition("\n")[0] == shipped.partition("\n")[0]


def ensure_dagster_home() -> Path:
    """Set ``DAGSTER_HOME`` (when unset) and give it the local instance config."""
    home = Path(os.environ.get("DAGSTER_HOME") or DEFAULT_DAGSTER_HOME).resolve()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)
    config = home / "dagster.yaml"
    shipped = LOCAL_INSTANCE_YAML.read_text(encoding="utf-8")
    current = config.read_text(encoding="utf-8") if config.exists() else None
    if current is None or (current != shipped and _managed(current, shipped)):
        replace_atomically(config, lambda path: path.write_text(shipped, encoding="utf-8"))
    return home


def open_instance() -> dg.DagsterInstance:
    """The instance under ``DAGSTER_HOME``, its storage created by one process at a time: two
    ``ogp run`` started together on a fresh home would both create the SQLite tables."""
    import dagster as dg

    home = ensure_dagster_home()
    with hold(home / ".ogp-instance.lock"):
        instance = dg.DagsterInstance.get()
        # storage is created lazily: create all of it while holding the lock
        _ = (instance.run_storage, instance.event_log_storage, instance.schedule_storage)
        instance.get_runs(limit=1)
    return instance
