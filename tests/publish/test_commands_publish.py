"""``ogp publish``: the dry run shows the diff and writes nothing; the real run publishes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from pipelines.commands.publish import publish

pytestmark = pytest.mark.portal


@pytest.fixture
def cli(ckan_portal, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setenv("OGP_CKAN_URL", ckan_portal.url)
    monkeypatch.setenv("OGP_CKAN_TOKEN", ckan_portal.token)
    app = typer.Typer()
    app.command()(publish)
    return app


def test_dry_run_prints_the_diff_and_writes_nothing(
    cli: typer.Typer, ckan_portal, workspace: Path, unique_agency: str
) -> None:
    result = CliRunner().invoke(cli, ["--dry-run"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"{unique_agency}-procurement" in result.output
    assert "procurement-fy2024.csv" in result.output
    assert result.output.count("create") >= 5
    found = ckan_portal.api().action.package_search(fq=f"organization:{unique_agency}")
    assert found["count"] == 0
    assert not (workspace / "publish" / "receipts").exists()


def test_publish_then_dry_run_shows_everything_unchanged(
    cli: typer.Typer, ckan_portal, workspace: Path, unique_agency: str
) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["--family", "procurement", "--agency", unique_agency])
    assert first.exit_code == 0, first.output
    [receipt] = (workspace / "publish" / "receipts").glob("*.json")
    assert json.loads(receipt.read_text())["datasets"][0]["action"] == "create"
    again = runner.invoke(cli, ["--dry-run"], env={"COLUMNS": "200"})
    assert again.exit_code == 0, again.output
    assert "create" not in again.output
    assert again.output.count("unchanged") == 5  # the dataset and its four resources


def test_a_blocked_partition_is_reported_and_not_published(
    cli: typer.Typer, ckan_portal, workspace: Path, unique_agency: str
) -> None:
    report = workspace / "validation" / "procurement" / unique_agency / "report.json"
    report.write_text(json.dumps({"publishable": False, "reason": "privacy: citizen id found"}))
    result = CliRunner().invoke(cli, [])
    assert result.exit_code == 1
    assert "privacy: citizen id found" in result.output
    found = ckan_portal.api().action.package_search(fq=f"organization:{unique_agency}")
    assert found["count"] == 0
