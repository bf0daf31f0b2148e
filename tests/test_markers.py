"""The markers of the suite: portal, browser and slow are set from the fixtures a test uses, by
tests/conftest.py, which also puts the slow ones first; `make test` runs everything in parallel
but the tests marked exclusive, which run alone afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

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


# Printed for each collected test, in the order pytest would run them (after tests/conftest.py
# has marked and ordered them): what `-m` selects on.
MARKS_PROBE = """
import json


def pytest_collection_finish(session):
    for item in session.items:
        marks = sorted({mark.name for mark in item.iter_markers()})
        print("MARKS " + json.dumps([item.nodeid, marks]))
"""


@dataclass(frozen=True)
class Collection:
    """The tests of some files, in run order, with their marks: one `pytest --collect-only`."""

    marks: dict[str, set[str]]

    def selected(self, mark: str) -> set[str]:
        return {test for test, marks in self.marks.items() if mark in marks}

    def unmarked(self, *marks: str) -> set[str]:
        return {test for test, names in self.marks.items() if not names & set(marks)}

    def in_order(self, *, without: str) -> list[str]:
        return [test for test, marks in self.marks.items() if without not in marks]


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Collection:
    """PORTALCTL_TESTS, the publish tests, OFFLINE_TEST and SANDBOX_TEST (collected last),
    collected once (nothing runs) for the tests of this module."""
    probe = tmp_path_factory.mktemp("probe")
    (probe / "marks_probe.py").write_text(MARKS_PROBE, encoding="utf-8")
    files = [PORTALCTL_TESTS, PUBLISH_TEST.split("::")[0], OFFLINE_TEST, SANDBOX_TEST]
    argv = ["--collect-only", "-q", "-p", "no:cacheprovider", "-p", "marks_probe", *files]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *argv],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": f"{probe}{os.pathsep}{REPO_ROOT}"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = [
        json.loads(line.removeprefix("MARKS "))
        for line in proc.stdout.splitlines()
        if line.startswith("MARKS ")
    ]
    assert found, proc.stdout
    return Collection({test: set(marks) for test, marks in found})


def test_marks_follow_the_fixtures_and_their_closure() -> None:
    assert needed_marks(["tmp_path"]) == set()
    assert needed_marks(["ckan_portal", "ckan", "created"]) == {"portal"}
    assert needed_marks(["browser", "ckan_portal"]) == {"browser", "portal"}
    assert needed_marks(["sandboxes", "ckan_portal"]) == {"portal", "slow"}
    assert needed_marks(["sandbox"]) == {"slow"}


def test_a_portal_test_without_an_explicit_mark_is_selected_by_portal_only(
    collection: Collection,
) -> None:
    portal = collection.selected("portal")  # what `-m portal` selects
    unit = collection.unmarked("portal", "browser", "slow")  # `-m "not (portal or ...)"`
    assert PORTAL_TEST in portal
    assert PORTAL_TEST not in unit
    assert UNIT_TEST in unit
    assert UNIT_TEST not in portal
    assert PUBLISH_TEST in portal
    assert not any(test.startswith(PUBLISH_TEST.split("::")[0]) for test in unit)


def test_a_sandbox_pipeline_run_is_slow(collection: Collection) -> None:
    slow = collection.selected("slow")
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


def test_the_test_that_kills_the_shared_portal_runs_alone_and_whole_runs_come_first(
    collection: Collection,
) -> None:
    order = collection.in_order(without="exclusive")  # `-m "not exclusive"`, in run order
    alone = collection.selected("exclusive")
    assert alone == {OUTAGE_TEST}
    assert OUTAGE_TEST not in order
    assert PUBLISH_TEST in order
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


GROUPED_TESTS = (
    "import os\n"
    "import pytest\n\n"
    'pytestmark = pytest.mark.xdist_group("together")\n\n\n'
    '@pytest.mark.parametrize("n", range(6))\n'
    "def test_member(n, request):\n"
    '    worker = os.environ["PYTEST_XDIST_WORKER"]\n'
    '    ran = request.config.rootpath / f"ran-{n}"\n'
    '    ran.write_text(worker + " " + request.node.nodeid)\n'
)

SETUP_COUNTER = """
import os
from pathlib import Path

import pytest


def count(request, name):
    with (request.config.rootpath / f"setups-{name}").open("a") as log:
        log.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
"""


@pytest.fixture(scope="module")
def xdist_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One parallel run (3 workers, as `make test`) of generated tests with tests/conftest.py's
    grouping: a module with an explicit xdist group; a whole-run session fixture (`scenario`)
    used by two modules, each with a module-scoped fixture. Each test leaves a file saying which
    worker ran it or set a fixture up; the folder is returned."""
    root = tmp_path_factory.mktemp("xdist-run")
    (root / "test_grouped.py").write_text(GROUPED_TESTS, encoding="utf-8")
    (root / "conftest.py").write_text(
        "from tests.conftest import pytest_collection_modifyitems  # noqa: F401\n"
        + SETUP_COUNTER
        + '\n\n@pytest.fixture(scope="session")\n'
        "def scenario(request):\n"
        '    count(request, "scenario")\n',
        encoding="utf-8",
    )
    for module in ("test_one", "test_two"):
        (root / f"{module}.py").write_text(
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
        [*XDIST_RUN, "--rootdir", str(root), str(root)],
        cwd=root,
        env={**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{REPO_ROOT}"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "22 passed" in proc.stdout, proc.stdout
    return root


def test_an_xdist_group_runs_on_one_worker(xdist_run: Path) -> None:
    """`--dist loadgroup` keeps a group on one worker, so the demo catalog's `ogp run` (a session
    fixture shared by a group of tests) runs once. pytest-xdist marks a group by suffixing the
    node id; with a pytest that ignores the suffix the group is spread over the workers (each
    worker then runs the whole demo catalog again) and nothing fails: this test does."""
    ran = [(xdist_run / f"ran-{n}").read_text().split(" ") for n in range(6)]
    assert {worker for worker, _ in ran} == {ran[0][0]}, ran  # one worker ran the whole group
    assert all(nodeid.endswith("@together") for _, nodeid in ran), ran


def test_a_shared_run_and_a_module_fixture_are_set_up_once_across_workers(
    xdist_run: Path,
) -> None:
    """tests/conftest.py groups the users of a whole-run session fixture (`scenario`, two
    modules) and of a module-scoped fixture, so each is set up once, not once per worker."""
    for name in ("scenario", "test_one", "test_two"):
        setups = (xdist_run / f"setups-{name}").read_text().split()
        assert len(setups) == 1, (name, setups)
