"""An agency that has sent no file yet is *awaiting data*: ``raw_<family>`` records an
observation and no materialization, its family's later steps are skipped (not failed) and the
run succeeds; a drop that is refused (a symbolic link) is still blocked. The real pull assets of
the budget contract, reading a temporary drop folder."""

# No `from __future__ import annotations`: Dagster reads annotations at run time.
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from pipelines.contracts import FileSource, load_spec
from pipelines.contracts.models import Sources
from pipelines.defs.pull import AWAITING_DATA, build_pull_assets
from pipelines.runlog import facts_from_events
from pipelines.runner import Status, resolve
from pipelines.settings import get_settings


@pytest.fixture
def drop_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The budget contract reading a temporary drop folder; data written under tmp_path."""
    monkeypatch.setenv("OGP_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "drops"
    get_settings.cache_clear()


def budget_assets(drops: Path) -> list[dg.AssetsDefinition]:
    spec = load_spec("budget")
    source = FileSource(path=f"{drops}/{{agency}}/budget_*")
    spec = spec.model_copy(update={"sources": Sources(default=source)})
    return build_pull_assets({"budget": spec})


def test_no_file_yet_is_awaiting_data_and_the_run_succeeds(drop_folder: Path) -> None:
    (drop_folder / "pcd").mkdir(parents=True)  # the agency's folder exists, empty
    result = dg.materialize(
        budget_assets(drop_folder),
        partition_key="pcd",
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert result.success
    facts = facts_from_events(result.all_events)
    assert facts.observed["raw_budget"]["status"] == AWAITING_DATA
    assert facts.observed["raw_budget"]["reason"].startswith("no file received yet (")
    assert facts.materialized == {}
    assert facts.failed == {}
    skipped = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SKIPPED"}
    assert skipped == {"clean_budget"}
    state = resolve("clean_budget", facts, {"clean_budget": ["raw_budget"]})
    assert state.status is Status.AWAITING


def test_a_refused_drop_is_still_blocked_not_awaiting(drop_folder: Path) -> None:
    folder = drop_folder / "pcd"
    folder.mkdir(parents=True)
    (folder / "budget_2568.csv").symlink_to("/etc/hostname")  # a link is refused, not taken
    result = dg.materialize(
        budget_assets(drop_folder),
        partition_key="pcd",
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success
    facts = facts_from_events(result.all_events)
    assert facts.observed == {}
    assert facts.failed["raw_budget"].bad_input
    assert "a symbolic link: refused" in facts.failed["raw_budget"].cause
    state = resolve("clean_budget", facts, {"clean_budget": ["raw_budget"]})
    assert state.status is Status.BLOCKED
