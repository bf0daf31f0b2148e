"""A private copy of the project's data for tests that run the real pipeline as `ogp run` or the
Dagster daemon would: contracts copied into a temporary folder, a registry of test agencies
(unique names) whose drops are generated from a clean demo agency's, the readiness report
published under a test name, and every path (data, build, Dagster instance) in that folder.

Nothing here touches the demo catalog; :func:`purge` removes what a sandbox published.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import ckanapi
import dagster as dg
import yaml

from pipelines.dagster_home import LOCAL_INSTANCE_YAML
from pipelines.settings import REPO_ROOT

T = TypeVar("T")
TEMPLATE_AGENCY = "pcd"  # every family passes its checks; XLSX drops carry no agency column
FAMILIES = ("decisions", "procurement", "budget")
BIN = Path(sys.executable).parent  # the virtualenv's scripts: ogp, dagster, dagster-daemon


@dataclass(frozen=True)
class Sandbox:
    root: Path
    agencies: tuple[str, ...]
    report_dataset: str
    report_organization: str
    env: dict[str, str]

    @property
    def dagster_home(self) -> Path:
        return Path(self.env["DAGSTER_HOME"])

    def datasets(self) -> list[str]:
        """The CKAN datasets a full run publishes for the test agencies."""
        return [f"{agency}-{family}" for agency in self.agencies for family in FAMILIES]

    def organizations(self) -> list[str]:
        return [*self.agencies, self.report_organization]


def make_sandbox(root: Path, suffix: str, count: int, ocds_schema_dir: Path) -> Sandbox:
    """Contracts, registry and drops for ``count`` test agencies ``t<suffix><n>``."""
    agencies = tuple(f"t{suffix}{n}" for n in range(count))
    datasets = root / "datasets"
    shutil.copytree(REPO_ROOT / "datasets", datasets, ignore=shutil.ignore_patterns("drops"))
    drops = root / "drops"

    registry = datasets / "agencies" / "agencies.csv"
    with registry.open(encoding="utf-8", newline="") as fh:
        template = next(row for row in csv.DictReader(fh) if row["agency_code"] == TEMPLATE_AGENCY)
    with registry.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(template))
        writer.writeheader()
        for agency in agencies:
            writer.writerow(
                {
                    **template,
                    "agency_code": agency,
                    "name_th": f"{template['name_th']} (ทดสอบ {agency})",
                    "name_en": f"{template['name_en']} (test {agency})",
                }
            )
            # the agency "sends" the template agency's files
            shutil.copytree(REPO_ROOT / "datasets" / "drops" / TEMPLATE_AGENCY, drops / agency)

    for family in FAMILIES:
        # every test agency's source: the template agency's (the sheet of its workbooks)
        source = f'kind: file, path: "{drops}/{{agency}}/{family}_*"'
        if family == "procurement":
            source += ", sheet: จัดซื้อจัดจ้าง"
        contract = datasets / family / "dataset.yaml"
        text, count = re.subn(
            r"\nsources:\n(?:  .*\n)+",
            f"\nsources:\n  default: {{{source}}}\n",
            contract.read_text(encoding="utf-8"),
        )
        assert count == 1, f"{contract}: no sources block"
        contract.write_text(text, encoding="utf-8")

    inputs = datasets / "ogp" / "inputs.yaml"
    config = yaml.safe_load(inputs.read_text(encoding="utf-8"))
    report_dataset = f"ogp-readiness-report-t{suffix}"
    report_organization = f"ogp-coordination-t{suffix}"
    text = inputs.read_text(encoding="utf-8")
    text = text.replace(
        f"dataset_name: {config['publication']['dataset_name']}", f"dataset_name: {report_dataset}"
    ).replace(
        f"organization: {config['publication']['organization']}",
        f"organization: {report_organization}",
    )
    inputs.write_text(text, encoding="utf-8")

    home = root / "dagster_home"
    home.mkdir()
    shutil.copyfile(LOCAL_INSTANCE_YAML, home / "dagster.yaml")  # as `ogp run` would
    # Create the SQLite storage once, now: a daemon and a launcher started together on a fresh
    # home both create the tables, and the loser fails with "table … already exists".
    with dg.DagsterInstance.from_config(str(home)) as dagster:
        _ = (dagster.run_storage, dagster.event_log_storage, dagster.schedule_storage)
        dagster.get_runs(limit=1)
    env = {
        "OGP_DATASETS_DIR": str(datasets),
        "OGP_DATA_DIR": str(root / "data"),
        "OGP_BUILD_DIR": str(root / "build"),
        "DAGSTER_HOME": str(home),
        "OGP_OCDS_SCHEMA_DIR": str(ocds_schema_dir),
    }
    return Sandbox(root, agencies, report_dataset, report_organization, env)


def restore_signals() -> None:
    """Default SIGINT/SIGTERM in a child: the test runner may have been started with them
    ignored, and a child that ignores SIGTERM cannot be stopped cleanly."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def child_env(sandbox: Sandbox, **extra: str) -> dict[str, str]:
    env = {**os.environ, **sandbox.env, **extra}
    env.pop("OGP_CKAN_TOKEN", None)  # the local portal's token file, like `make demo`
    return env


def start(argv: list[str], sandbox: Sandbox, log: Path, **extra: str) -> subprocess.Popen[bytes]:
    """Start a process in its own session (so its children can be stopped with it)."""
    handle = log.open("wb")
    try:
        return subprocess.Popen(
            argv,
            cwd=REPO_ROOT,
            env=child_env(sandbox, **extra),
            stdout=handle,
            stderr=subprocess.STDOUT,
            preexec_fn=restore_signals,
            start_new_session=True,
        )
    finally:
        handle.close()


def ogp_run(
    sandbox: Sandbox, log: Path, *agencies: str, wait: float | None = None, **extra: str
) -> subprocess.Popen[bytes]:
    """`ogp run [--agency …] [--wait …]` in the sandbox; ``extra``: environment variables."""
    argv = [str(BIN / "ogp"), "run"]
    for agency in agencies:
        argv += ["--agency", agency]
    if wait is not None:
        argv += ["--wait", str(wait)]
    return start(argv, sandbox, log, **extra)


def stop(process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Stop a process this test started, and everything in its session, by its id."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # stragglers of the session (run workers)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(10)


def catalog(ckan: ckanapi.RemoteCKAN, names: list[str]) -> dict[str, dict[str, int | None]]:
    """Per dataset: resource name -> DataStore row count (None without a DataStore table).
    A name twice in a dataset is kept twice (``name#2``), so duplicates show."""
    result: dict[str, dict[str, int | None]] = {}
    for name in names:
        try:
            package = ckan.action.package_show(id=name)
        except ckanapi.NotFound:
            continue
        resources: dict[str, int | None] = {}
        for resource in package["resources"]:
            key = resource["name"]
            while key in resources:
                key += "#2"
            rows = None
            if resource.get("datastore_active"):
                rows = int(
                    ckan.action.datastore_search(resource_id=resource["id"], limit=0)["total"]
                )
            resources[key] = rows
        result[name] = resources
    return result


def purge(ckan: ckanapi.RemoteCKAN, sandbox: Sandbox) -> None:
    """Remove every dataset and organization the sandbox's runs created."""
    for name in [*sandbox.datasets(), sandbox.report_dataset]:
        with contextlib.suppress(ckanapi.NotFound):
            ckan.action.dataset_purge(id=name)
    for organization in sandbox.organizations():
        with contextlib.suppress(ckanapi.NotFound):
            for package in ckan.action.package_search(
                fq=f"owner_org:{_org_id(ckan, organization)}", include_private=True, rows=1000
            )["results"]:
                ckan.action.dataset_purge(id=package["id"])
            ckan.action.organization_purge(id=organization)


def _org_id(ckan: ckanapi.RemoteCKAN, name: str) -> str:
    return str(ckan.action.organization_show(id=name)["id"])


@contextlib.contextmanager
def instance(sandbox: Sandbox) -> Iterator[dg.DagsterInstance]:
    """The sandbox's Dagster instance, as its processes see it."""
    with dg.DagsterInstance.from_config(str(sandbox.dagster_home)) as dagster:
        yield dagster


def wait_for(what: str, check: Callable[[], T | None], timeout: float, poll: float = 0.5) -> T:
    """Poll ``check`` until it returns something (a hang guard, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(poll)


def runs_of(dagster: dg.DagsterInstance, job: str, agency: str | None = None) -> list[dg.RunRecord]:
    """Runs of a job (for one agency), oldest first."""
    tags = {"dagster/partition": agency} if agency else None
    records = dagster.get_run_records(dg.RunsFilter(job_name=job, tags=tags))
    return sorted(records, key=lambda record: record.create_timestamp)


def has_started_a_step(dagster: dg.DagsterInstance, run_id: str) -> bool:
    return bool(dagster.all_logs(run_id, of_type=dg.DagsterEventType.STEP_START))


def failure_message(dagster: dg.DagsterInstance, run_id: str) -> str:
    events = dagster.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    return " ".join(event.message or "" for event in events)
