"""The ``ogp`` program, as the installed console script, on an unusable contract
(exit 2, one line) and on an invalid OGP_* setting (exit 1, one line naming the setting), now
that it starts without the contract loader (``SpecError`` recognised through ``sys.modules``).

Each command runs on a copy of datasets/ (OGP_DATASETS_DIR) whose procurement contract is
broken YAML, written here; data, build and Dagster folders are temporary and the portal URL is a
closed port, so nothing is pulled, published or written to the checkout.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.commands.test_run_refuses import copied_catalog_env

OGP = Path(sys.executable).with_name("ogp")
BROKEN = "name: procurement\n  title: [broken\n"  # line 2: a mapping value where none may be

pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "dagster_home").mkdir()
    (tmp_path / "file.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    return copied_catalog_env(tmp_path)


def _ogp(env: dict[str, str], *args: str) -> tuple[int, list[str]]:
    done = subprocess.run(
        [str(OGP), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    return done.returncode, (done.stdout + done.stderr).strip().splitlines()


def _args(env: dict[str, str], command: str) -> list[str]:
    """The command line of ``command``; `validate` checks the fixture's file as procurement."""
    if command != "validate":
        return [command]
    return [command, str(Path(env["DAGSTER_HOME"]).parent / "file.csv"), "--dataset", "procurement"]


@pytest.mark.parametrize("command", ["pull", "validate", "publish"])
def test_a_broken_contract_is_one_line_and_exit_2(env: dict[str, str], command: str) -> None:
    contract = Path(env["OGP_DATASETS_DIR"]) / "procurement" / "dataset.yaml"
    contract.write_text(BROKEN, encoding="utf-8")
    code, lines = _ogp(env, *_args(env, command))
    assert code == 2, lines
    assert len(lines) == 1, lines
    assert f"{contract}: line 2: not valid YAML" in lines[0]


# `ogp validate` has catch-alls of its own (a file nobody foresaw is one line, exit 2): the
# settings error must still be the program's line and exit 1, as for every other command.
@pytest.mark.parametrize("command", ["validate", "pull"])
def test_an_invalid_setting_is_named_and_exit_1(env: dict[str, str], command: str) -> None:
    env["OGP_CKAN_TIMEOUT_S"] = "soon"
    code, lines = _ogp(env, *_args(env, command))
    assert (code, len(lines)) == (1, 1), lines
    assert "invalid setting OGP_CKAN_TIMEOUT_S" in lines[0]


# tests/normalize/test_egp_export.py ran the console script with cwd=tmp_path; it now calls the
# command in this process (the checkout as working folder, typer's CliRunner, which also skips
# the program's own error handling). This keeps the "from any folder" proof.
def test_ogp_validate_passes_a_valid_file_from_another_folder(tmp_path: Path) -> None:
    from tests.commands.test_validate_exit import _csv, _row

    path = _csv(tmp_path, [_row(n) for n in range(1, 4)])
    done = subprocess.run(
        [str(OGP), "validate", str(path), "--dataset", "procurement"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Traceback" not in done.stdout + done.stderr
