"""A job with the code location's executor whose one asset looks at its agency's run lock from
inside the run: it records whether the lock was held (by the run's process) while it ran, and
the pid of the process that ran the step. Build it from a module-level function of the test
module, so ``dg.reconstructable`` can build it again in a step process or a Celery worker."""

# No `from __future__ import annotations`: Dagster reads the context annotation at run time.
import os
from collections.abc import Sequence

import dagster as dg

from pipelines.defs.locking import run_locked_executor
from pipelines.locks import LockBusyError, run_lock


def lock_probe_job(job_name: str, asset_name: str, agencies: Sequence[str]) -> dg.JobDefinition:
    partitions = dg.StaticPartitionsDefinition(list(agencies))

    @dg.asset(name=asset_name, partitions_def=partitions)
    def probe(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        try:
            with run_lock(context.partition_key, wait_s=0):
                held = False
        except LockBusyError:
            held = True
        return dg.MaterializeResult(metadata={"held": held, "pid": os.getpid()})

    job = dg.define_asset_job(job_name, partitions_def=partitions)
    return dg.Definitions(assets=[probe], jobs=[job], executor=run_locked_executor).resolve_job_def(
        job_name
    )
