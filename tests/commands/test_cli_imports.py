"""The ``ogp`` program starts without the pipeline's heavy libraries: each command imports what
it uses when it runs, so ``ogp --help``, ``ogp workers`` and ``ogp portal`` do not pay for
pandas, pyarrow, Dagster or Great Expectations (pipelines/cli.py)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("pandas", "pyarrow", "dagster", "great_expectations", "duckdb", "pythainlp")
LOADED = "import json, sys\n{imports}\nprint(json.dumps(sorted(sys.modules)))"


def modules_after(imports: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", LOADED.format(imports=imports)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_the_program_loads_none_of_the_heavy_libraries() -> None:
    loaded = modules_after("import pipelines.cli")
    assert "pipelines.commands.pull" in loaded  # every command is registered
    assert sorted(name for name in HEAVY if name in loaded) == []


def test_listing_the_workers_loads_none_of_them() -> None:
    run = "from pipelines.cli import app\ntry:\n    app(['workers', '--status'])\n"
    run += "except SystemExit:\n    pass"
    loaded = modules_after(run)
    assert "pipelines.commands.workers" in loaded
    assert sorted(name for name in HEAVY if name in loaded) == []


def test_the_check_sees_a_heavy_library_when_one_is_loaded() -> None:
    loaded = modules_after("import pipelines.cli\nimport pipelines.contracts")
    assert {"pandas", "pyarrow", "pythainlp"} <= loaded
