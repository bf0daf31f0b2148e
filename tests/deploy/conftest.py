"""Sandboxes for the pipeline-level tests of tests/deploy (see sandbox.py), purged from the portal
afterwards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import ckanapi
import pytest

from tests.conftest import Portal

from .sandbox import Sandbox, make_sandbox, purge

SandboxFactory = Callable[[str, int], Sandbox]


@pytest.fixture
def sandboxes(
    tmp_path: Path,
    run_id: str,
    ckan_portal: Portal,
    ckan: ckanapi.RemoteCKAN,
    ocds_schema_dir: Path,
) -> Iterator[SandboxFactory]:
    """``make(name, agencies)``: a sandbox of test agencies ``t<run_id><name><n>``."""
    made: list[Sandbox] = []

    def make(name: str, count: int) -> Sandbox:
        sandbox = make_sandbox(tmp_path / name, f"{run_id}{name}", count, ocds_schema_dir)
        # the runs publish to the shared local portal with its token, as `make demo` does
        sandbox.env["OGP_PORTAL_DIR"] = str(ckan_portal.token_file.parent)
        made.append(sandbox)
        return sandbox

    yield make
    for sandbox in made:
        purge(ckan, sandbox)
