"""ogp-pipeline: pull, validate and publish Thai open government data, and report OGP readiness."""

__version__ = "0.1.0"
