"""The pull stage end to end: Dagster assets per agency partition, and `ogp pull`."""

import dagster as dg
import pytest
import typer
from typer.testing import CliRunner

from pipelines.defs.pull import agency_partitions, pull_assets
from pipelines.settings import get_settings


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("OGP_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def family_assets(family):
    return [
        a for a in pull_assets if a.key.to_user_string() in (f"raw_{family}", f"clean_{family}")
    ]


def test_assets_for_every_family_partitioned_by_the_registry():
    keys = {a.key.to_user_string() for a in pull_assets}
    assert keys == {
        f"{stage}_{family}"
        for stage in ("raw", "clean")
        for family in (
            "agencies",
            "asset_declarations",
            "budget",
            "decisions",
            "forum_meetings",
            "procurement",
            "procurement_bids",
        )
    }
    assert "doh" in agency_partitions.get_partition_keys()
    unpartitioned = [a for a in pull_assets if a.partitions_def is None]
    assert {a.key.to_user_string() for a in unpartitioned} == {"raw_agencies", "clean_agencies"}


def test_a_broken_file_fails_only_its_partition(data_dir):
    broken = dg.materialize(family_assets("budget"), partition_key="doh", raise_on_error=False)
    assert not broken.success
    failures = [e for e in broken.all_events if e.event_type_value == "STEP_FAILURE"]
    assert [e.step_key for e in failures] == ["clean_budget"]
    assert "budget_2568.csv" in failures[0].event_specific_data.error.to_string()

    fine = dg.materialize(family_assets("budget"), partition_key="rid")
    assert fine.success
    metadata = fine.asset_materializations_for_node("clean_budget")[0].metadata
    assert metadata["rows"].value == 46
    assert metadata["normalizations"].value["encoding_cp874"] == 2
    assert (data_dir / "clean/budget/rid/budget.parquet").is_file()
    raw = fine.asset_materializations_for_node("raw_budget")[0].metadata
    assert raw["files"].value == 2
    assert len(raw["sha256"].value) == 2


def test_pull_command_exits_non_zero_naming_the_broken_file(data_dir):
    from pipelines.commands.pull import pull

    app = typer.Typer()
    app.command()(pull)
    runner = CliRunner()
    ok = runner.invoke(app, ["--family", "budget", "--agency", "rid"], terminal_width=200)
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(app, ["--family", "budget", "--agency", "doh"], terminal_width=200)
    assert bad.exit_code == 1
    assert "budget_2568.csv" in bad.output
    assert "row" in bad.output
    again = runner.invoke(app, ["--family", "budget", "--agency", "rid"], terminal_width=200)
    assert again.exit_code == 0
    unknown = runner.invoke(app, ["--agency", "nope"])
    assert unknown.exit_code == 2
