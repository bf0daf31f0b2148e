"""Run the whole pipeline through Dagster on the local instance (``ogp run``, ``make demo``).

Runs are ordinary Dagster runs in ``$DAGSTER_HOME`` — the same ones ``make ui`` shows: the
reference job (agency registry, CKAN organizations), one ``agency_job`` run per agency
partition, then the readiness report. The summary is read from the runs' own events, so what
``ogp run`` prints is exactly what the Dagster UI says: one :class:`Outcome` for every (agency x
family) partition of the registry, every agency's OCDS package and red flags, the reference
data and the report, each with one :class:`Status`. A step that did not run says why (the
upstream step that failed, was blocked, or awaits data).

Each run is executed while holding its agency's run lock (``_catalog`` for the unpartitioned
jobs, see pipelines/locks.py), the same lock the daemon's run workers take: a second ``ogp run``
waits for the first (``--wait`` / ``OGP_LOCK_WAIT_S``) or reports the agency as busy and skips
it -- it never publishes beside it. Holding the lock, it first marks failed the agency's runs
left STARTED by a process that is gone (killed, crashed), so they no longer block the queue.
Every run records this process's pid and host as run tags for that check.

Dagster's event stream goes to the instance and to the run's log file (:mod:`pipelines.runlog`),
not to the terminal.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType, TracebackType

import dagster as dg

from pipelines.dagster_home import open_instance
from pipelines.liveness import fail_dead_runs, worker_tags
from pipelines.locks import CATALOG_SCOPE, LockBusyError, run_lock
from pipelines.outcomes import (
    CATALOG,
    EXIT_BUSY,
    REFERENCE_STEPS,
    REPORT_STEP,
    Outcome,
    RunSummary,
    Status,
    agency_outcomes,
    catalog_outcomes,
    interrupted_outcome,
    mask,
    masked,
    report_outcome,
    resolve,
)
from pipelines.runlog import (
    RUN_CONFIG,
    RunFacts,
    RunLog,
    StepEvent,
    facts_from_events,
    log_path,
    one_line,
)
from pipelines.settings import get_settings

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


# --- running --------------------------------------------------------------------------------


class InstanceConfigError(Exception):
    """``$DAGSTER_HOME/dagster.yaml`` cannot be used: one line naming the file."""


def open_checked_instance() -> dg.DagsterInstance:
    """:func:`open_instance`, a broken instance config reported in one line, not a traceback."""
    import yaml

    try:
        return open_instance()
    except yaml.YAMLError as error:
        config = Path(os.environ.get("DAGSTER_HOME", ".")) / "dagster.yaml"
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or "parse error"
        raise InstanceConfigError(f"{config}: {where}not valid YAML ({problem})") from None
    except dg.DagsterInvalidConfigError as error:
        config = Path(os.environ.get("DAGSTER_HOME", ".")) / "dagster.yaml"
        errors = "; ".join(e.message for e in error.errors) or one_line(str(error))
        message = one_line(f"{config}: not a valid instance config: {errors}")
        raise InstanceConfigError(message) from None


class Interruption:
    """Ctrl-C (SIGINT) and SIGTERM while ``ogp run`` runs: which one came, so that it stops after
    the current run and exits 128 + the signal.

    Between runs the signal raises :class:`KeyboardInterrupt` here; during a run Dagster's own
    handler takes it (it stops the step with its interruption error and does not say which
    signal it was), so the signal number is also read from a wakeup fd
    (:func:`signal.set_wakeup_fd`), which Python writes whichever handler is installed."""

    def __init__(self) -> None:
        self.received: int | None = None
        self.active = threading.current_thread() is threading.main_thread()
        self.previous: dict[int, object] = {}
        self.raising = False  # raise KeyboardInterrupt (only while a run is being started)

    def __enter__(self) -> Interruption:
        if not self.active:  # signal handlers can only be set on the main thread
            return self
        self.reader, self.writer = socket.socketpair()
        self.reader.setblocking(False)
        self.writer.setblocking(False)
        self.old_fd = signal.set_wakeup_fd(self.writer.fileno(), warn_on_full_buffer=False)
        for signum in STOP_SIGNALS:
            self.previous[signum] = signal.signal(signum, self.handler)
        return self

    def handler(self, signum: int, _frame: FrameType | None) -> None:
        first = self.received is None
        self.received = self.received or signum
        if first and self.raising:
            raise KeyboardInterrupt

    @contextmanager
    def raises(self) -> Iterator[None]:
        """Within: a signal stops what runs (waiting for a lock, starting a run) with
        :class:`KeyboardInterrupt`; elsewhere it is only noted, so the summary is still made."""
        self.raising = True
        try:
            yield
        finally:
            self.raising = False

    def signal(self) -> int | None:
        """The first stop signal received so far, if any."""
        if self.active:
            try:
                data = self.reader.recv(4096)
            except (BlockingIOError, OSError):
                data = b""
            for signum in data:
                if signum in STOP_SIGNALS and self.received is None:
                    self.received = signum
        return self.received

    def __exit__(
        self, _kind: type[BaseException] | None, _error: object, _tb: TracebackType | None
    ) -> None:
        if not self.active:
            return
        self.signal()
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        signal.set_wakeup_fd(self.old_fd)
        self.reader.close()
        self.writer.close()


class Observer:
    """What the progress display is told; the default tells nobody."""

    def run_started(self, label: str, steps: int) -> None: ...

    def step(self, event: StepEvent) -> None: ...

    def run_finished(self, label: str, outcomes: Sequence[Outcome]) -> None: ...

    def message(self, text: str) -> None: ...


def run_pipeline(
    agencies: Iterable[str] | None = None,
    *,
    wait_s: float | None = None,
    observer: Observer | None = None,
    verbose: bool = False,
) -> RunSummary:
    """Reference data, every agency partition, then the report — as Dagster runs.

    ``wait_s``: how long to wait for another run of the same agency (default
    ``OGP_LOCK_WAIT_S``); an agency still busy then is reported as ``skipped-busy``.
    Interrupted (Ctrl-C, SIGTERM): it stops after the current run; the runs not started are
    reported ``interrupted`` and :attr:`RunSummary.interrupted` holds the signal."""
    with Interruption() as interruption:
        return _run_pipeline(agencies, wait_s, observer or Observer(), verbose, interruption)


def _run_pipeline(
    agencies: Iterable[str] | None,
    wait_s: float | None,
    observer: Observer,
    verbose: bool,
    interruption: Interruption,
) -> RunSummary:
    settings = get_settings()
    instance = open_checked_instance()
    from pipelines.definitions import PUBLISHED_FAMILIES, defs  # after DAGSTER_HOME is set
    from pipelines.defs.pull import SPECS, agency_partitions

    graph = defs.resolve_asset_graph()
    derived = {f: [d.asset for d in SPECS[f].derived_resources] for f in PUBLISHED_FAMILIES}
    log_file = log_path(settings.build_dir)
    summary = RunSummary(log_file=log_file)
    runlog = RunLog(log_file, on_step=observer.step, verbose=verbose)

    def execute(job_name: str, label: str, partition: str | None) -> RunFacts | None:
        """One run under its scope's lock; None when another run held it."""
        job = defs.resolve_job_def(job_name).with_logger_defs({"ogp_run": runlog.logger_def()})
        nodes = {node.name for node in job.graph.nodes}
        run_id = str(uuid.uuid4())
        scope = partition or CATALOG_SCOPE
        try:
            with (
                interruption.raises(),
                run_lock(
                    scope,
                    wait_s=wait_s,
                    owner={"run": f"ogp run: {job_name}[{partition or '-'}] run {run_id}"},
                    on_wait=observer.message,
                ),
            ):
                for dead in fail_dead_runs(instance, scope, "ogp run"):
                    summary.recovered_runs.append(f"{dead.job_name}[{scope}] {dead.run_id}")
                observer.run_started(label, len(nodes))
                runlog.note(f"ogp run: {job_name}[{partition or '-'}] run {run_id}")
                try:
                    with runlog.stderr_to_file():
                        result = job.execute_in_process(
                            run_config=RUN_CONFIG,
                            instance=instance,
                            partition_key=partition,
                            raise_on_error=False,
                            run_id=run_id,
                            tags=worker_tags(run_id),
                        )
                except Exception as error:  # reported as this run's failure
                    runlog.note(f"{job_name} could not run: {error!r}")
                    return RunFacts(run_error=mask(one_line(str(error) or repr(error))))
        except LockBusyError as busy:
            summary.busy.append(mask(f"{job_name}[{scope}]: {busy}"))
            observer.message(f"busy: {busy}")
            return None
        except KeyboardInterrupt:  # between Dagster's steps, or waiting for the lock
            runlog.note(f"{job_name}[{partition or '-'}]: interrupted")
            return RunFacts(run_error="interrupted", run_interrupted=True)
        summary.run_ids.append(result.run_id)
        return facts_from_events(result.all_events)

    def upstream_in(job_name: str) -> dict[str, list[str]]:
        nodes = {node.name for node in defs.resolve_job_def(job_name).graph.nodes}
        return {
            name: [p.to_user_string() for p in graph.get(dg.AssetKey(name)).parent_keys]
            for name in nodes
        }

    def busy(scope: str, label: str) -> Outcome:
        detail = f"another run of {scope} held its lock; not run, nothing published"
        return Outcome(scope, label, Status.BUSY, detail)

    def stopped(facts: RunFacts | None) -> bool:
        """Whether ``ogp run`` was interrupted (then it starts no further run)."""
        received = interruption.signal()
        if received is None and facts is not None and facts.interrupted:
            received = signal.SIGINT  # Dagster took a signal we did not see: say Ctrl-C
        if received is not None and summary.interrupted is None:
            summary.interrupted = int(received)
            runlog.note(f"ogp run interrupted by {signal.Signals(received).name}")
        return summary.interrupted is not None

    def finished(label: str, outcomes: list[Outcome]) -> None:
        outcomes = masked(outcomes)
        summary.outcomes.extend(outcomes)
        observer.run_finished(label, outcomes)

    try:
        reference = None if stopped(None) else execute("reference_job", "reference data", None)
        if reference is not None:
            upstream = upstream_in("reference_job")
            outcomes = catalog_outcomes(reference, upstream, settings.ckan_url)
        elif summary.interrupted is not None:
            outcomes = [interrupted_outcome(CATALOG, label) for label in REFERENCE_STEPS]
        else:
            outcomes = [busy(CATALOG, label) for label in REFERENCE_STEPS]
        stopped(reference)
        finished("reference data", outcomes)

        upstream = upstream_in("agency_job")
        for agency in agencies or agency_partitions.get_partition_keys():
            if stopped(None):
                finished(agency, [interrupted_outcome(agency, "all steps")])
                continue
            facts = execute("agency_job", agency, agency)
            if facts is None:
                outcomes = [busy(agency, "all steps")]
            else:
                outcomes = agency_outcomes(agency, facts, PUBLISHED_FAMILIES, derived, upstream)
            stopped(facts)
            finished(agency, outcomes)

        if stopped(None):
            finished("readiness report", [interrupted_outcome(CATALOG, "readiness report")])
        else:
            report = execute("readiness_job", "readiness report", None)
            if report is None:
                outcomes = [busy(CATALOG, "readiness report")]
            else:
                outcomes = [report_outcome(report, upstream_in("readiness_job"))]
                path = report.materialized.get(REPORT_STEP, {}).get("path")
                summary.report_path = str(path) if path else None
            stopped(report)
            finished("readiness report", outcomes)
    finally:
        runlog.close()
    summary.write_json(log_file.with_suffix(".json"))
    return summary


__all__: Sequence[str] = [
    "CATALOG",
    "EXIT_BUSY",
    "InstanceConfigError",
    "Interruption",
    "Observer",
    "Outcome",
    "RunFacts",
    "RunSummary",
    "Status",
    "agency_outcomes",
    "catalog_outcomes",
    "facts_from_events",
    "report_outcome",
    "resolve",
    "run_pipeline",
]
