"""A dataset contract no command can use (here: the agencies registry its agency codes resolve
through, and its foreign key names, is not in the datasets folder) is one line naming the file,
key and problem, exit 2: never a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.settings import REPO_ROOT


@pytest.mark.parametrize("command", [["publish", "--dry-run"], ["pull"]])
def test_a_contract_naming_a_missing_registry_is_one_line_and_exit_2(
    command: list[str], tmp_path: Path
) -> None:
    datasets = tmp_path / "datasets"
    shutil.copytree(REPO_ROOT / "datasets" / "procurement", datasets / "procurement")
    env = {**os.environ, "OGP_DATASETS_DIR": str(datasets), "COLUMNS": "200"}
    ogp = Path(sys.executable).with_name("ogp")
    done = subprocess.run(
        [str(ogp), *command], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    output = (done.stdout + done.stderr).strip()
    assert done.returncode == 2, output
    assert "Traceback" not in output
    assert output.count("\n") == 0, output
    assert output.startswith("error / ข้อผิดพลาด: "), output  # the same line for every command
    assert (
        "procurement/dataset.yaml: normalize.resolve.agency_code: no registry 'agencies'" in output
    )
