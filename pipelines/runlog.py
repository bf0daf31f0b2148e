"""The Dagster event stream of ``ogp run``: where it goes -- a log file under ``build/logs/``,
a progress observer (the live display), and the terminal only with ``--verbose`` -- and what
it says (:class:`RunFacts`, read from a run's events, for the summary).

Each run is executed with one Dagster logger (:meth:`RunLog.logger_def`, selected by
:data:`RUN_CONFIG`) instead of Dagster's default console logger; the events still go to the
Dagster instance as always (``make ui`` shows them).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg

from pipelines.defs.alerts import chain, is_interruption, root_cause

LOGGER_NAME = "ogp_run"
# run config selecting the logger below (Dagster uses a run's loggers only when configured)
RUN_CONFIG: dict[str, Any] = {"loggers": {LOGGER_NAME: {}}}
# "dagster" for Dagster's events; other Python logging (Great Expectations, the publisher's
# retries) under its own logger's name
FORMAT = "%(asctime)s - %(source)s - %(levelname)s - %(message)s"
# Errors raised on what an agency sent (unreadable, truncated, a source answering with an
# error): they block the partition; any other error is a failure of ours.
BAD_INPUT_ERRORS = {"NormalizeError", "SourceError"}
MAX_CAUSE = 300  # characters of a root cause kept for the summary (the log file has it whole)
STEP_EVENTS = {"STEP_START", "STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"}


@dataclass(frozen=True)
class StepEvent:
    """One step event of a run, as the progress display needs it."""

    job: str
    partition: str | None
    step: str
    kind: str  # STEP_START | STEP_SUCCESS | STEP_FAILURE | STEP_SKIPPED


def log_path(build_dir: Path, now: datetime | None = None) -> Path:
    """``build/logs/ogp-run-<UTC timestamp>.log`` (a new file per ``ogp run``)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    return build_dir / "logs" / f"ogp-run-{stamp}.log"


class MaskingFormatter(logging.Formatter):
    """:data:`FORMAT`, with personal data masked (a drop file named like a phone number) by the
    raw stage's masker."""

    def __init__(self) -> None:
        super().__init__(FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        record.source = "dagster" if record.name == LOGGER_NAME else record.name
        return super().format(record)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        record.message = _mask(record.message)  # the message only: not the time
        return super().formatMessage(record)

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's name
        return _mask(super().formatException(ei))


def _mask(text: str) -> str:
    from pipelines.validation.personal_text import mask_texts

    return mask_texts([text])[0]


class _StepHandler(logging.Handler):
    """Hands the step events of Dagster's records to the observer."""

    def __init__(self, on_step: Callable[[StepEvent], None]) -> None:
        super().__init__(logging.DEBUG)
        self.on_step = on_step

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None or event.event_type_value not in STEP_EVENTS:
            return
        try:
            self.on_step(
                StepEvent(
                    job=str(meta.get("job_name") or ""),
                    partition=(meta.get("job_tags") or {}).get("dagster/partition"),
                    step=str(event.step_key or ""),
                    kind=event.event_type_value,
                )
            )
        except Exception:  # a display glitch must never fail a run
            self.handleError(record)


class RunLog:
    """The log file (and observer, and ``--verbose`` terminal) of one ``ogp run``."""

    def __init__(
        self,
        path: Path,
        on_step: Callable[[StepEvent], None] | None = None,
        verbose: bool = False,
    ) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file = logging.FileHandler(path, encoding="utf-8")
        self.file.setFormatter(MaskingFormatter())
        self.verbose = verbose
        outputs: list[logging.Handler] = [self.file]
        if verbose:
            terminal = logging.StreamHandler(sys.stderr)
            terminal.setFormatter(MaskingFormatter())
            outputs.append(terminal)
        steps = [_StepHandler(on_step)] if on_step is not None else []
        self.handlers = [*outputs, *steps]
        self.logger = logging.Logger(LOGGER_NAME, logging.DEBUG)  # not in the logging tree
        for handler in self.handlers:
            self.logger.addHandler(handler)
        # Python logging outside Dagster's events (the publisher's retries, Dagster's own
        # warnings) goes to the same outputs while the run lasts, instead of bare stderr
        self.python_handlers = outputs
        root = logging.getLogger()
        self.root_level = root.level
        if root.level > logging.INFO:
            root.setLevel(logging.INFO)
        for handler in outputs:
            root.addHandler(handler)

    def logger_def(self) -> dg.LoggerDefinition:
        logger = self.logger

        @dg.logger(None, description="ogp run: the log file, the progress display, --verbose")
        def ogp_run_logger(_init_context: dg.InitLoggerContext) -> logging.Logger:
            return logger

        return ogp_run_logger

    def note(self, message: str, level: int = logging.INFO) -> None:
        """A line of ``ogp run``'s own (not a Dagster event) in the log file."""
        record = self.logger.makeRecord(LOGGER_NAME, level, __file__, 0, message, (), None)
        self.file.handle(record)

    @contextmanager
    def stderr_to_file(self) -> Iterator[None]:
        """What other processes write on this process's stderr (Dagster's compute-log helper
        processes print a KeyboardInterrupt traceback on Ctrl-C) goes to the log file, unless
        ``--verbose``."""
        if self.verbose:
            yield
            return
        sys.stderr.flush()
        saved = os.dup(2)
        with self.path.open("a", encoding="utf-8") as target:
            os.dup2(target.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)

    def close(self) -> None:
        root = logging.getLogger()
        for handler in self.python_handlers:
            root.removeHandler(handler)
        root.setLevel(self.root_level)
        for handler in self.handlers:
            self.logger.removeHandler(handler)
            handler.close()


@dataclass(frozen=True)
class StepFailure:
    cause: str  # one sentence, no class path
    bad_input: bool = False
    interrupted: bool = False  # stopped by Ctrl-C / SIGTERM (Dagster's interruption error)


@dataclass(frozen=True)
class CheckResult:
    asset: str
    name: str
    passed: bool
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class RunFacts:
    """The facts of one run that the summary needs, by step (= asset) name."""

    materialized: dict[str, dict[str, Any]] = field(default_factory=dict)
    observed: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed: dict[str, StepFailure] = field(default_factory=dict)
    checks: list[CheckResult] = field(default_factory=list)
    run_error: str | None = None  # the run failed outside any step (or could not start)
    run_interrupted: bool = False  # the run itself was stopped by Ctrl-C / SIGTERM

    @property
    def interrupted(self) -> bool:
        return self.run_interrupted or any(f.interrupted for f in self.failed.values())


def _values(metadata: Mapping[str, Any]) -> dict[str, Any]:
    return {key: getattr(value, "value", value) for key, value in metadata.items()}


def one_line(text: str) -> str:
    """A cause on one line, cut at :data:`MAX_CAUSE` characters."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_CAUSE else text[: MAX_CAUSE - 1].rstrip() + "…"


def facts_from_events(events: Iterable[dg.DagsterEvent]) -> RunFacts:
    facts = RunFacts()
    for event in events:
        kind = event.event_type
        data = event.event_specific_data
        if kind is dg.DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.step_materialization_data.materialization
            name = materialization.asset_key.to_user_string()
            facts.materialized[name] = _values(materialization.metadata)
        elif kind is dg.DagsterEventType.ASSET_OBSERVATION:
            observation = event.asset_observation_data.asset_observation
            facts.observed[observation.asset_key.to_user_string()] = _values(observation.metadata)
        elif kind is dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation: dg.AssetCheckEvaluation = data  # type: ignore[assignment]
            facts.checks.append(
                CheckResult(
                    evaluation.asset_key.to_user_string(),
                    evaluation.check_name,
                    evaluation.passed,
                    _values(evaluation.metadata),
                )
            )
        elif kind is dg.DagsterEventType.STEP_FAILURE and event.step_key:
            failure = event.step_failure_data
            error = failure.error if failure else None
            user = failure.user_failure_data if failure else None
            cause = user.description if user is not None and user.description else None
            facts.failed[event.step_key] = StepFailure(
                one_line(cause or root_cause(error)),
                error is not None and any(e.cls_name in BAD_INPUT_ERRORS for e in chain(error)),
                error is not None and is_interruption(error),
            )
        elif kind is dg.DagsterEventType.RUN_FAILURE:
            error = getattr(data, "error", None)
            facts.run_error = one_line(root_cause(error) if error else event.message or "failed")
            facts.run_interrupted = error is not None and is_interruption(error)
    return facts
