"""`ogp pull` says "awaiting data" for an agency that has sent no file yet and exits 0, as `ogp
run` does; a broken file still fails (exit 1). The catalog is a sandbox
(tests/deploy/sandbox.py): its drops are generated from the template agency's."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.deploy.sandbox import BIN, child_env, make_sandbox


@pytest.mark.timeout(600)
def test_pull_reports_awaiting_data_and_exits_0(
    tmp_path: Path, run_id: str, ocds_schema_dir: Path
) -> None:
    sandbox = make_sandbox(tmp_path / "sandbox", f"{run_id}p", 2, ocds_schema_dir)
    waiting, broken = sandbox.agencies
    drops = sandbox.root / "drops"
    for drop in (drops / waiting).glob("decisions_*"):
        drop.unlink()

    def pull(agency: str) -> subprocess.CompletedProcess[str]:
        argv = [str(BIN / "ogp"), "pull", "--family", "decisions", "--agency", agency]
        env = {**child_env(sandbox), "COLUMNS": "200"}
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)

    done = pull(waiting)
    text = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 0, text
    assert "FAILED" not in text
    assert f"awaiting data decisions/{waiting}: " in text
    assert "no file received yet" in text

    workbook = sorted((drops / broken).glob("decisions_*.xlsx"))[-1]
    workbook.write_bytes(b"not a workbook")
    done = pull(broken)
    text = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 1, text
    assert f"FAILED decisions/{broken}: " in text
