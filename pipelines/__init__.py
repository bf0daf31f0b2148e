"""ogp-pipeline: pull, validate and publish Thai open government data, and report OGP readiness."""

from pipelines.collector import relax_thresholds

__version__ = "0.1.0"

# Every process that loads the pipeline (the `ogp` command, Dagster's run and Celery workers,
# the daemon, the web server) imports this package first: the collector's thresholds are set
# before Dagster's, Great Expectations' and pandas' modules are (pipelines/collector.py).
relax_thresholds()
