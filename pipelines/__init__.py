"""ogp-pipeline: pull, validate and publish Thai open government data, and report OGP readiness."""

from pipelines.collector import relax_thresholds

__version__ = "0.1.0"

# Every process that runs the pipeline's steps (the `ogp` command; Dagster's code servers, run
# workers and Celery workers, which load the code location) imports this package: the
# collector's thresholds are set before Great Expectations', pandas' and the pipeline's own
# modules are loaded (pipelines/collector.py).
relax_thresholds()
