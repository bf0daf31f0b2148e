"""`ogp run` refuses what cannot work before any run starts, in one line: an unknown agency code
(exit 2, with the closest registered codes) and a malformed API token (exit 1, "could not
start", as the README says). The catalog is a copy of the repository's datasets (no drops) in a
temporary directory; nothing is created under its data directory or Dagster home, and the
portal URL points at a closed port, so even a run that started by mistake could not publish."""

from __future__ import annotations

import csv
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from pipelines.commands.run import unknown_agencies
from tests.conftest import REPO_ROOT
from tests.deploy.sandbox import BIN


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def copied_catalog_env(tmp_path: Path) -> dict[str, str]:
    """The environment of an `ogp` command on a copy of datasets/ (no drops) in ``tmp_path``,
    its folders there too, and a portal URL on a closed port (nothing can be published)."""
    datasets = tmp_path / "datasets"
    shutil.copytree(REPO_ROOT / "datasets", datasets, ignore=shutil.ignore_patterns("drops"))
    return {
        **os.environ,
        "OGP_DATASETS_DIR": str(datasets),
        "OGP_DATA_DIR": str(tmp_path / "data"),
        "OGP_BUILD_DIR": str(tmp_path / "build"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "OGP_CKAN_URL": f"http://127.0.0.1:{closed_port()}",
        "OGP_CKAN_TOKEN": "a-well-formed-token",
    }


@pytest.fixture
def catalog(tmp_path: Path) -> tuple[dict[str, str], list[str]]:
    env = copied_catalog_env(tmp_path)
    registry = Path(env["OGP_DATASETS_DIR"]) / "agencies" / "agencies.csv"
    with registry.open(encoding="utf-8-sig") as handle:
        codes = [row["agency_code"] for row in csv.DictReader(handle)]
    return env, codes


def ogp_run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "ogp"), "run", *args], env=env, capture_output=True, text=True, timeout=300
    )


def nothing_ran(env: dict[str, str]) -> None:
    assert not Path(env["OGP_DATA_DIR"]).exists()
    assert not (Path(env["OGP_BUILD_DIR"]) / "logs").exists()


@pytest.mark.timeout(300)
def test_an_unknown_agency_is_a_usage_error_naming_the_closest_codes(
    catalog: tuple[dict[str, str], list[str]],
) -> None:
    env, codes = catalog
    typo = codes[0][:-1] + ("x" if codes[0][-1] != "x" else "y")
    done = ogp_run(env, "--agency", codes[1], "--agency", typo)
    assert done.returncode == 2, done.stdout + done.stderr
    output = (done.stdout + done.stderr).strip()
    assert len(output.splitlines()) == 1, output
    assert "Traceback" not in output
    assert f"unknown agency code {typo!r}" in output
    assert codes[0] in output.split("closest registered: ")[1]
    assert repr(codes[1]) not in output  # the known one is not reported
    nothing_ran(env)


def test_the_closest_codes_are_named_and_none_when_nothing_is_close() -> None:
    registered = ["dla", "pcd", "moph"]
    assert unknown_agencies(["pcd", "dla"], registered) is None
    problem = unknown_agencies(["pdc"], registered)
    assert problem is not None
    assert "unknown agency code 'pdc' (closest registered: pcd; 3 codes" in problem
    problem = unknown_agencies(["zzzzzz"], registered)
    assert problem is not None
    assert "none close" in problem


@pytest.mark.timeout(300)
def test_a_malformed_token_is_refused_before_anything_runs(
    catalog: tuple[dict[str, str], list[str]],
) -> None:
    env, _codes = catalog
    env["OGP_CKAN_TOKEN"] = "bad token"
    done = ogp_run(env)
    assert done.returncode == 1, done.stdout + done.stderr
    output = (done.stdout + done.stderr).strip()
    assert len(output.splitlines()) == 1, output
    assert output.startswith("ogp run could not start: OGP_CKAN_TOKEN: ")
    assert "bad token" not in output  # never the value
    nothing_ran(env)


@pytest.mark.timeout(300)
def test_a_broken_dagster_yaml_is_one_line_naming_the_file(
    catalog: tuple[dict[str, str], list[str]],
) -> None:
    env, _codes = catalog
    home = Path(env["DAGSTER_HOME"])
    home.mkdir()
    (home / "dagster.yaml").write_text("storage: [unclosed\n", encoding="utf-8")
    done = ogp_run(env)
    assert done.returncode == 1, done.stdout + done.stderr
    output = (done.stdout + done.stderr).strip()
    assert len(output.splitlines()) == 1, output
    assert output.startswith(f"ogp run could not start: {home / 'dagster.yaml'}: line ")
    assert "not valid YAML" in output
    assert "Traceback" not in output
    assert not Path(env["OGP_DATA_DIR"]).exists()
