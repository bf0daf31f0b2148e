"""A private copy of the project's data for tests that run the real pipeline as `ogp run` or the
Dagster daemon would: contracts copied into a temporary folder, a registry of test agencies
(unique names) whose drops are generated from a clean demo agency's, the readiness report
published under a test name, and every path (data, build, Dagster instance) in that folder.

Nothing here touches the demo catalog; :func:`purge` removes what a sandbox published.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import ckanapi
import dagster as dg
import yaml

from pipelines.dagster_home import LOCAL_INSTANCE_YAML
from pipelines.settings import REPO_ROOT

T = TypeVar("T")
TEMPLATE_AGENCY = "pcd"  # every family passes its checks; XLSX drops carry no agency column
# The families the generator writes drops for (every agency sends them). Data-only families
# (e.g. asset_declarations) are sent by a few agencies: the rest are awaiting data.
FAMILIES = ("decisions", "procurement", "budget")
BIN = Path(sys.executable).parent  # the virtualenv's scripts: ogp, dagster, dagster-daemon


@dataclass(frozen=True)
class Sandbox:
    root: Path
    agencies: tuple[str, ...]
    report_dataset: str
    report_organization: str
    env: dict[str, str]
    # test agency -> the demo agency whose registry row and drops it received
    origin: dict[str, str] = field(default_factory=dict)
    # every family a run may publish (the partitioned ones of the copied contracts)
    families: tuple[str, ...] = FAMILIES

    def demo_agency_of(self, agency: str) -> str:
        return self.origin[agency]

    @property
    def dagster_home(self) -> Path:
        return Path(self.env["DAGSTER_HOME"])

    def datasets(self) -> list[str]:
        """The CKAN datasets a full run publishes for the test agencies: the generated families,
        which every agency sends (the data-only ones are sent by a few demo agencies)."""
        return [f"{agency}-{family}" for agency in self.agencies for family in FAMILIES]

    def every_dataset(self) -> list[str]:
        """Every CKAN dataset a run may publish for the test agencies (what a purge removes)."""
        return [f"{agency}-{family}" for agency in self.agencies for family in self.families]

    def organizations(self) -> list[str]:
        return [*self.agencies, self.report_organization]


def make_sandbox(
    root: Path,
    suffix: str,
    count: int,
    ocds_schema_dir: Path,
    demo_agencies: Sequence[str] | None = None,
) -> Sandbox:
    """Contracts, registry and drops for ``count`` test agencies ``t<suffix><n>``, each sending
    the template agency's files; or, with ``demo_agencies``, one test agency ``t<suffix><code>``
    per demo agency code (``count`` is then ignored), with that agency's registry row, contract
    sources and drops (see :meth:`Sandbox.demo_agency_of`)."""
    if demo_agencies is None:
        origin = {f"t{suffix}{n}": TEMPLATE_AGENCY for n in range(count)}
    else:
        origin = {f"t{suffix}{code}": code for code in demo_agencies}
    agencies = tuple(origin)
    datasets = root / "datasets"
    shutil.copytree(REPO_ROOT / "datasets", datasets, ignore=shutil.ignore_patterns("drops"))
    drops = root / "drops"

    registry = datasets / "agencies" / "agencies.csv"
    with registry.open(encoding="utf-8", newline="") as fh:
        demo_rows = {row["agency_code"]: row for row in csv.DictReader(fh)}
    with registry.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(demo_rows[TEMPLATE_AGENCY]))
        writer.writeheader()
        senders: dict[str, int] = {}  # test agencies sending one demo agency's files so far
        for agency, code in origin.items():
            row = demo_rows[code]
            writer.writerow(
                {
                    **row,
                    "agency_code": agency,
                    "name_th": f"{row['name_th']} (ทดสอบ {agency})",
                    "name_en": f"{row['name_en']} (test {agency})",
                }
            )
            # the agency "sends" the demo agency's files
            _copy_drops(REPO_ROOT / "datasets" / "drops" / code, drops / agency, code, agency)
            senders[code] = senders.get(code, 0) + 1
            if senders[code] > 1:  # project numbers are national: each sender its own
                _own_project_numbers(drops / agency, 900 + senders[code])

    if demo_agencies is not None:  # every family's drops, as the demo agencies send them
        for family in _partitioned_families(datasets):
            _retarget_sources(datasets / family / "dataset.yaml", drops, origin)
        return _finish(root, datasets, suffix, agencies, ocds_schema_dir, origin)

    for family in FAMILIES:
        # every test agency's source: the template agency's (the sheet of its workbooks)
        source = f'kind: file, path: "{drops}/{{agency}}/{family}_[0-9]*"'
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
    return _finish(root, datasets, suffix, agencies, ocds_schema_dir, origin)


def _copy_drops(source: Path, target: Path, code: str, agency: str) -> None:
    """The demo agency's files under the test agency's folder; in CSV drops the agency code
    cells (ASCII in every encoding the drops use; any of the usual delimiters) name the test
    agency, as the registry does."""
    shutil.copytree(source, target)
    if code == agency:
        return
    cell = re.compile(
        rb'(^|[,;\t|])"?' + re.escape(code.encode()) + rb'"?(?=[,;\t|]|\r?\n|$)', re.M
    )
    for path in target.glob("*.csv"):
        path.write_bytes(cell.sub(rb"\g<1>" + agency.encode(), path.read_bytes()))


# An e-GP project number: BE year (2), agency segment (3), serial (6); the whole cell.
_PROJECT_NUMBER = re.compile(r"^(\d{2})\d{3}(\d{6})$")
_PROJECT_CELL = re.compile(rb'(^|[,;\t|])("?)(\d{2})\d{3}(\d{6})("?)(?=[,;\t|]|\r?\n|$)', re.M)


def _own_project_numbers(folder: Path, segment: int) -> None:
    """Give a second (third, ...) test agency sending the same demo files project numbers of
    its own (agency segment ``segment``) in its procurement and bids drops: a number under two
    agencies is refused by the OCDS export's cross-agency check (issue 16)."""
    import openpyxl

    for path in sorted(folder.glob("procurement*")):
        if path.suffix == ".csv":
            text = _PROJECT_CELL.sub(rb"\g<1>\g<2>\g<3>%03d\g<4>\g<5>" % segment, path.read_bytes())
            path.write_bytes(text)
        elif path.suffix == ".xlsx":
            workbook = openpyxl.load_workbook(path)
            for sheet in workbook.worksheets:
                for row in sheet.iter_rows():
                    for cell in row:
                        found = _PROJECT_NUMBER.match(str(cell.value or ""))
                        if found and isinstance(cell.value, str):
                            cell.value = f"{found[1]}{segment:03d}{found[2]}"
            workbook.save(path)


def _partitioned_families(datasets: Path) -> tuple[str, ...]:
    from pipelines.contracts import load_specs

    return tuple(name for name, spec in load_specs(datasets).items() if spec.partitioned)


def _retarget_sources(contract: Path, drops: Path, origin: dict[str, str]) -> None:
    """A contract's sources block for the test agencies: the default read from their drops
    folder, and each demo agency's own source (e.g. a workbook's sheet) for its test agency."""
    text = contract.read_text(encoding="utf-8")
    sources = yaml.safe_load(text)["sources"]
    demo_drops = "datasets/drops/"

    def moved(source: dict[str, str], agency: str) -> str:
        path = source["path"].replace(f"{demo_drops}{origin[agency]}/", f"{drops}/{agency}/")
        path = path.replace(f"{demo_drops}{{agency}}/", f"{drops}/{{agency}}/")
        assert not path.startswith(demo_drops), f"{contract}: source {path} not retargeted"
        return json.dumps({**source, "path": path}, ensure_ascii=False)

    block = f"\nsources:\n  default: {moved(sources['default'], next(iter(origin)))}\n"
    overrides = sources.get("agencies") or {}
    own = {a: overrides[c] for a, c in origin.items() if c in overrides}
    if own:
        block += "  agencies:\n" + "".join(f"    {a}: {moved(s, a)}\n" for a, s in own.items())
    text, count = re.subn(r"\nsources:\n(?:  .*\n)+", block, text)
    assert count == 1, f"{contract}: no sources block"
    contract.write_text(text, encoding="utf-8")


def _finish(
    root: Path,
    datasets: Path,
    suffix: str,
    agencies: tuple[str, ...],
    ocds_schema_dir: Path,
    origin: dict[str, str],
) -> Sandbox:
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
    families = _partitioned_families(datasets)
    return Sandbox(root, agencies, report_dataset, report_organization, env, origin, families)


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
    for name in [*sandbox.every_dataset(), sandbox.report_dataset]:
        with contextlib.suppress(ckanapi.NotFound):
            ckan.action.dataset_purge(id=name)
    for organization in sandbox.organizations():
        with contextlib.suppress(ckanapi.NotFound):
            for package in ckan.action.package_search(
                fq=f"owner_org:{_org_id(ckan, organization)}", include_private=True, rows=1000
            )["results"]:
                ckan.action.dataset_purge(id=package["id"])
            ckan.action.organization_purge(id=organization)


@contextlib.contextmanager
def on_portal(ckan: ckanapi.RemoteCKAN, portal_dir: Path, sandbox: Sandbox) -> Iterator[Sandbox]:
    """``sandbox`` publishing to the test portal (its token file in ``portal_dir``), and
    everything it published purged afterwards."""
    sandbox.env["OGP_PORTAL_DIR"] = str(portal_dir)
    try:
        yield sandbox
    finally:
        purge(ckan, sandbox)


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


RUN_TIMEOUT_S = 900  # a hang guard for one `ogp run`, not a timing assertion


@dataclass(frozen=True)
class RunResult:
    code: int
    console: str  # stdout and stderr, as a terminal would show them
    summary: dict[str, Any]  # the JSON summary written beside the log file
    log: Path  # Dagster's event stream of this `ogp run`

    def row(self, scope: str, step: str) -> dict[str, Any]:
        (found,) = [o for o in self.summary["outcomes"] if (o["scope"], o["step"]) == (scope, step)]
        return dict(found)


def run(sandbox: Sandbox, name: str, **env: str) -> RunResult:
    logs = Path(sandbox.env["OGP_BUILD_DIR"]) / "logs"
    before = set(logs.glob("*.log")) if logs.is_dir() else set()
    console = sandbox.root / f"{name}.console"
    process = ogp_run(sandbox, console, wait=None, **env)
    try:
        code = process.wait(RUN_TIMEOUT_S)
    finally:
        stop(process)
    text = console.read_text(encoding="utf-8", errors="replace")
    new = sorted(set(logs.glob("*.log")) - before) if logs.is_dir() else []
    assert len(new) == 1, f"expected one new log file under {logs}, got {new}:\n{text[-3000:]}"
    summary = json.loads(new[0].with_suffix(".json").read_text(encoding="utf-8"))
    return RunResult(code, text, summary, new[0])


@dataclass(frozen=True)
class DemoCatalog:
    """The demo catalog published by one `ogp run` in a sandbox (the `demo_catalog` fixture)."""

    sandbox: Sandbox
    result: RunResult

    def test_agency(self, demo: str) -> str:
        """The test agency sending the demo agency's drops."""
        (agency,) = [a for a in self.sandbox.agencies if self.sandbox.demo_agency_of(a) == demo]
        return agency
