"""The markers of the suite: portal, browser and slow are set from the fixtures a test uses, by
tests/conftest.py, which also puts the slow ones first; `make test` runs everything in parallel
but the tests marked exclusive, which run alone afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pipelines.settings import get_settings
from tests.conftest import REPO_ROOT, SHARED_FOLDERS, needed_marks

PORTALCTL_TESTS = "tests/portal/test_portalctl.py"
# uses the `ckan_portal` fixture and carries no mark of its own
PORTAL_TEST = f"{PORTALCTL_TESTS}::test_status_reports_healthy"
# a portal of its own in a temporary folder: no fixture of the shared portal
UNIT_TEST = f"{PORTALCTL_TESTS}::test_status_and_down_on_a_portal_that_never_ran"
# the publish fixtures built on `created` (and so on `ckan_portal`), no mark in its module
PUBLISH_TEST = "tests/publish/test_ckan.py::test_first_publish_creates_the_whole_dataset"
SANDBOX_TEST = "tests/deploy/test_postgres_instance.py"
# a module's own `sandbox` fixture (a whole `ogp run`), marked portal only by hand
OFFLINE_TEST = "tests/integrity/test_offline_run.py"


def collected(*args: str) -> set[str]:
    """Node ids pytest selects for ``args`` (collection only, nothing runs)."""
    return set(collected_in_order(*args))


def collected_in_order(*args: str) -> list[str]:
    """Node ids pytest selects for ``args``, in the order it would run them."""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode in (0, 5), proc.stdout + proc.stderr  # 5: every test deselected
    return [line for line in proc.stdout.splitlines() if "::" in line]


def test_marks_follow_the_fixtures_and_their_closure() -> None:
    assert needed_marks(["tmp_path"]) == set()
    assert needed_marks(["ckan_portal", "ckan", "created"]) == {"portal"}
    assert needed_marks(["browser", "ckan_portal"]) == {"browser", "portal"}
    assert needed_marks(["sandboxes", "ckan_portal"]) == {"portal", "slow"}
    assert needed_marks(["sandbox"]) == {"slow"}


def test_a_portal_test_without_an_explicit_mark_is_selected_by_portal_only() -> None:
    files = [PORTALCTL_TESTS, PUBLISH_TEST.split("::")[0]]
    portal = collected("-m", "portal", *files)
    unit = collected("-m", "not (portal or browser or slow)", *files)
    assert PORTAL_TEST in portal
    assert PORTAL_TEST not in unit
    assert UNIT_TEST in unit
    assert UNIT_TEST not in portal
    assert PUBLISH_TEST in portal
    assert not any(test.startswith(PUBLISH_TEST.split("::")[0]) for test in unit)


def test_a_sandbox_pipeline_run_is_slow() -> None:
    slow = collected("-m", "slow", SANDBOX_TEST, OFFLINE_TEST)
    assert f"{SANDBOX_TEST}::test_agency_job_runs_on_postgres_instance_storage" in slow
    assert any(test.startswith(f"{OFFLINE_TEST}::") for test in slow)


def test_a_unit_test_writes_no_folder_of_the_checkout() -> None:
    settings = get_settings()
    for folder in (settings.data_dir, settings.build_dir, Path(os.environ["DAGSTER_HOME"])):
        assert not folder.resolve().is_relative_to(REPO_ROOT), folder
    assert settings.data_dir.name == SHARED_FOLDERS["OGP_DATA_DIR"]


OUTAGE_TEST = (
    "tests/publish/test_ckan.py::test_outage_half_way_then_rerun_converges_to_the_intended_catalog"
)


def test_the_test_that_kills_the_shared_portal_runs_alone_and_whole_runs_come_first() -> None:
    files = [PUBLISH_TEST.split("::")[0], SANDBOX_TEST, PORTALCTL_TESTS]
    parallel = collected("-m", "not exclusive", *files)
    alone = collected("-m", "exclusive", *files)
    assert alone == {OUTAGE_TEST}
    assert OUTAGE_TEST not in parallel
    assert PUBLISH_TEST in parallel
    order = collected_in_order("-m", "not exclusive", *reversed(files))
    # The sandbox module is collected last here, yet its whole pipeline run comes before
    # every test that is not slow.
    sandbox_run = order.index(f"{SANDBOX_TEST}::test_agency_job_runs_on_postgres_instance_storage")
    assert sandbox_run < order.index(PUBLISH_TEST)
    assert sandbox_run < order.index(PORTAL_TEST)


XDIST_RUN = [
    sys.executable,
    "-m",
    "pytest",
    "-n",
    "3",
    "--dist",
    "loadgroup",
    "-q",
    "-p",
    "no:cacheprovider",
]


def test_an_xdist_group_runs_on_one_worker(tmp_path: Path) -> None:
    """`--dist loadgroup` keeps a group on one worker, so the demo catalog's `ogp run` (a session
    fixture shared by a group of tests) runs once. pytest-xdist marks a group by suffixing the
    node id; with a pytest that ignores the suffix the group is spread over the workers (each
    worker then runs the whole demo catalog again) and nothing fails: this test does."""
    (tmp_path / "test_grouped.py").write_text(
        "import os\n"
        "import pytest\n\n"
        'pytestmark = pytest.mark.xdist_group("together")\n\n\n'
        '@pytest.mark.parametrize("n", range(6))\n'
        "def test_member(n, request):\n"
        '    worker = os.environ["PYTEST_XDIST_WORKER"]\n'
        '    ran = request.config.rootpath / f"ran-{n}"\n'
        '    ran.write_text(worker + " " + request.node.nodeid)\n',
        encoding="utf-8",
    )
    proc = subprocess.run(
        [*XDIST_RUN, "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ran = [(tmp_path / f"ran-{n}").read_text().split(" ") for n in range(6)]
    assert {worker for worker, _ in ran} == {ran[0][0]}, ran  # one worker ran the whole group
    assert all(nodeid.endswith("@together") for _, nodeid in ran), ran


SETUP_COUNTER = """
import os
from pathlib import Path

import pytest


def count(request, name):
    with (request.config.rootpath / f"setups-{name}").open("a") as log:
        log.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
"""


def test_a_shared_run_and_a_module_fixture_are_set_up_once_across_workers(tmp_path: Path) -> None:
    """tests/conftest.py groups the users of a whole-run session fixture (`scenario`, two
    modules) and of a module-scoped fixture, so each is set up once, not once per worker."""
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import pytest_collection_modifyitems  # noqa: F401\n"
        + SETUP_COUNTER
        + '\n\n@pytest.fixture(scope="session")\n'
        "def scenario(request):\n"
        '    count(request, "scenario")\n',
        encoding="utf-8",
    )
    for module in ("test_one", "test_two"):
        (tmp_path / f"{module}.py").write_text(
            "import pytest\n"
            "from conftest import count\n\n\n"
            '@pytest.fixture(scope="module")\n'
            "def table(request):\n"
            f'    count(request, "{module}")\n\n\n'
            '@pytest.mark.parametrize("n", range(4))\n'
            "def test_run(scenario, n):\n    pass\n\n\n"
            '@pytest.mark.parametrize("n", range(4))\n'
            "def test_table(table, n):\n    pass\n",
            encoding="utf-8",
        )
    proc = subprocess.run(
        [*XDIST_RUN, "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO_ROOT}"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in ("scenario", "test_one", "test_two"):
        setups = (tmp_path / f"setups-{name}").read_text().split()
        assert len(setups) == 1, (name, setups)
