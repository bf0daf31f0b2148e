"""The cycle collector's thresholds in the pipeline's processes.

Loading the pipeline (Dagster, Great Expectations, pandas, scipy) creates about 600,000 objects
that live as long as the process. With CPython's default thresholds (700, 10, 10) the collector
walks all of them again in every full collection, each about 0.2 s: in a one-agency ``ogp run``
that was 1.5 s of its 14 s of CPU, spent on objects that are never garbage. A young generation
of 100,000 objects, and 20 young collections per older one, leave a few young collections
(cheap) and no full one in such a run; cyclic garbage still goes, later, so memory stays
bounded. This is the usual setting for programs that import much and then work (the Python
documentation's ``gc.set_threshold``; see docs/ARCHITECTURE.md).

Set when the ``pipelines`` package is first imported, which is where every process running the
pipeline starts: the ``ogp`` command, and every Dagster process (run worker, Celery worker,
daemon, web server) loading the code location."""

from __future__ import annotations

import gc

YOUNG_OBJECTS = 100_000
OLDER_EVERY = 20


def relax_thresholds() -> None:
    """Larger thresholds, never smaller than the process already has."""
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, YOUNG_OBJECTS), max(middle, OLDER_EVERY), max(old, OLDER_EVERY))
