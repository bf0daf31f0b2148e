"""Validation gate: Table Schema (frictionless + a DuckDB fast path), business-rule suites
(Great Expectations), the personal-data guard, reports.

Nothing here imports great_expectations at module level: it costs ~3 s and the CLI and the
Dagster definitions import this package.
"""
