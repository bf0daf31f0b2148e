"""The cycle collector's thresholds in the pipeline's processes.

Loading the pipeline (Dagster, Great Expectations, pandas, scipy) creates about 600,000 objects
that live as long as the process. With CPython's default thresholds (700, 10, 10) the collector
walks all of them again in every full collection, each about 0.2 s: in a one-agency ``ogp run``
that was 1.5 s of its 14 s of CPU, spent on objects that are never garbage. A young generation
of 10,000 objects, and 20 collections of a generation per collection of the next, leave young
and middle collections only (cheap: they never walk the long-lived objects) and no full one in
such a run. The young generation stays small on purpose: validating a partition leaves DuckDB
cursors in reference cycles (Great Expectations' metric graphs, SQLAlchemy's caught errors),
freed only by the collector, so a much larger one lets several partitions' worth build up in a
long run. This is the usual setting for programs that import much and then work (the Python
documentation's ``gc.set_threshold``; see docs/ARCHITECTURE.md).

Set when the ``pipelines`` package is first imported: in the ``ogp`` command that is before
anything heavy is loaded; in the Dagster processes that load the code location (code servers,
run workers, Celery workers) it is as soon as they load it, after Dagster itself."""

from __future__ import annotations

import gc

YOUNG_OBJECTS = 10_000
OLDER_EVERY = 20


def relax_thresholds() -> None:
    """Larger thresholds, never smaller than the process already has; a process that turned
    automatic collection off (a young threshold of 0) keeps it off."""
    young, middle, old = gc.get_threshold()
    if young == 0:
        return
    gc.set_threshold(max(young, YOUNG_OBJECTS), max(middle, OLDER_EVERY), max(old, OLDER_EVERY))
