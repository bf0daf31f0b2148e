"""Errors of the source connectors: which source, what went wrong (never a secret)."""

from __future__ import annotations


class SourceError(Exception):
    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")
