"""The agency locks (pipelines/locks.py) wired into Dagster.

* :data:`run_locked_executor` is the code location's default executor: Dagster's own
  (multiprocess by default, ``in_process`` by config) or dagster-celery's (``celery``: steps on
  the Celery workers of ``ogp workers``), wrapped so that the run worker -- the process
  orchestrating a run launched by the daemon or the UI -- records its pid as run tags, takes
  the scope's run lock for the whole run, and first marks failed the scope's runs whose process
  is gone. The run config's ``execution: {config: {celery: {}}}`` picks one; without it,
  ``OGP_EXECUTOR`` does (default ``multiprocess``). ``execute_in_process`` does not use it:
  ``ogp run`` does the same around it.
* :func:`step_lock` is taken by every step that writes an agency's state (raw, clean, publish)
  for one family: it keeps a straggling step of a killed run and the next run's step apart.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import dagster as dg
from dagster._core.definitions.executor_definition import (
    IN_PROC_CONFIG,
    MULTI_PROC_CONFIG,
    ExecutorRequirement,
    multiple_process_executor_requirements,
)
from dagster._core.execution.retries import RetryMode, get_retries_config
from dagster._core.execution.step_dependency_config import StepDependencyConfig

from pipelines.liveness import fail_dead_runs, worker_tags
from pipelines.locks import CATALOG_SCOPE, run_lock, run_scope, writer_lock
from pipelines.settings import get_settings

if TYPE_CHECKING:
    from dagster._core.events import DagsterEvent
    from dagster._core.execution.context.system import PlanOrchestrationContext
    from dagster._core.execution.plan.plan import ExecutionPlan


class RunLockedExecutor(dg.Executor):
    """Runs the plan with ``inner`` while holding the run's agency lock."""

    def __init__(self, inner: dg.Executor, before_run: Callable[[], None] | None = None) -> None:
        self.inner = inner
        self.before_run = before_run  # e.g. fail now when no Celery worker would take a step

    def __getattr__(self, name: str) -> Any:
        # what an executor's own loop reads from the plan's executor (dagster-celery: app_args)
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    @property
    def retries(self) -> RetryMode:
        return self.inner.retries

    @property
    def step_dependency_config(self) -> StepDependencyConfig:
        return self.inner.step_dependency_config

    def execute(
        self, plan_context: PlanOrchestrationContext, execution_plan: ExecutionPlan
    ) -> Iterator[DagsterEvent]:
        run = plan_context.dagster_run
        instance = plan_context.instance
        instance.add_run_tags(run.run_id, worker_tags(run.run_id))
        scope = run_scope(run.tags)
        if self.before_run is not None:
            self.before_run()
        with run_lock(scope, owner={"run": f"{run.job_name} run {run.run_id}"}):
            for dead in fail_dead_runs(instance, scope, by=f"run {run.run_id}"):
                plan_context.log.warning(f"marked run {dead.run_id} failed: its process is gone")
            yield from self.inner.execute(plan_context, execution_plan)


# The tag of runs that publish to the portal (the agency jobs): the production instance caps
# how many run at once (pipelines/deploy/dagster.yaml, tag_concurrency_limits).
STAGE_TAG = "ogp/stage"
PUBLISHING = {STAGE_TAG: "publish"}

DEFAULT_EXECUTOR = dg.multi_or_in_process_executor
CELERY = "celery"
# Dagster's choices (multiprocess, in_process) and dagster-celery's; the broker is not run
# config (it may hold a password): it comes from the settings (pipelines/celery_app.py).
EXECUTOR_CHOICES = {
    "multiprocess": MULTI_PROC_CONFIG,
    "in_process": IN_PROC_CONFIG,
    CELERY: dg.Field({"retries": get_retries_config()}, is_required=False),
}


def executor_config_schema() -> dg.Field:
    """The choice of executor, defaulting to the settings' (``OGP_EXECUTOR``)."""
    return dg.Field(dg.Selector(EXECUTOR_CHOICES), default_value={get_settings().executor: {}})


def _requirements(config: Mapping[str, object]) -> Sequence[ExecutorRequirement]:
    if CELERY in config:
        return multiple_process_executor_requirements()
    return DEFAULT_EXECUTOR.get_requirements(config)


@dg.executor(
    name="run_locked",
    config_schema=executor_config_schema(),
    requirements=_requirements,
)
def run_locked_executor(init_context: dg.InitExecutorContext) -> dg.Executor:
    """Dagster's default executor, or dagster-celery's, under the agency's run lock
    (pipelines/locks.py)."""
    config = init_context.executor_config
    if CELERY in config:
        from pipelines.celery_app import celery_executor, require_worker

        retries = RetryMode.from_config(config[CELERY]["retries"])  # type: ignore[index]
        settings = get_settings()
        return RunLockedExecutor(
            celery_executor(retries or RetryMode.DISABLED, settings),
            # fail at the start, not wait for ever, when no worker takes the queue
            before_run=lambda: require_worker(settings),
        )
    return RunLockedExecutor(DEFAULT_EXECUTOR.executor_creation_fn(init_context))  # type: ignore[misc]


@contextlib.contextmanager
def step_lock(context: dg.AssetExecutionContext, family: str) -> Iterator[None]:
    """Hold the writer lock of ``family`` for the step's agency (or the catalog); write nothing
    when the step's own run has already ended (a straggler of a killed run)."""
    scope = context.partition_key if context.has_partition_key else CATALOG_SCOPE
    with writer_lock(scope, family, owner={"run": f"run {context.run_id}"}):
        run = context.instance.get_run_by_id(context.run_id)
        if run is not None and run.is_finished:
            raise dg.Failure(
                description=f"run {context.run_id} already ended ({run.status.value}): "
                f"not writing {family} of {scope}"
            )
        yield
