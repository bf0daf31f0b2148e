"""The README is true on a fresh clone: every path, link, make target, ``ogp`` command and
setting it names exists, and the run outputs it points at are the ones the code writes."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import typer.main

from pipelines.cli import app
from pipelines.dagster_home import DEFAULT_DAGSTER_HOME
from pipelines.publish.partitions import Partition
from pipelines.readiness.report import REPORT_STEM
from pipelines.runlog import log_path
from pipelines.settings import REPO_ROOT, Settings

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
CODE_SPANS = re.findall(r"`([^`\n]+)`", README)
SHELL_LINES = [
    line for block in re.findall(r"```bash\n(.*?)```", README, re.S) for line in block.splitlines()
]
# Run outputs: the README may name them before they exist; they must be what the code writes.
RUN_OUTPUT_ROOTS = ("build/", "data/", ".dagster_home/", ".portal/")
# Programs of pinned dependencies the README tells the public to use.
DEPENDENCY_PROGRAMS = {"frictionless": "frictionless", "ckanapi": "ckanapi"}


def _makefile_targets() -> set[str]:
    text = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    return {match for line in re.findall(r"^([\w .-]+):", text, re.M) for match in line.split()}


def _ogp_commands() -> set[str]:
    group = typer.main.get_command(app)
    return set(getattr(group, "commands", {}))


def _produced_paths() -> set[str]:
    """README spellings of the run outputs, computed from the code that writes them."""
    defaults = Settings.model_fields
    data = defaults["data_dir"].default.relative_to(REPO_ROOT)
    build = defaults["build_dir"].default.relative_to(REPO_ROOT)
    portal = defaults["portal_dir"].default.relative_to(REPO_ROOT)
    partition = Partition.at(data, "<family>", "<agency>")
    log = log_path(build, datetime(2026, 1, 1, tzinfo=UTC))
    return {
        str(data) + "/",  # the defaults of OGP_DATA_DIR and OGP_BUILD_DIR
        str(build) + "/",
        str(DEFAULT_DAGSTER_HOME.relative_to(REPO_ROOT)) + "/",
        # written by `make portal` (portal/portalctl.py), read by the settings
        str(Settings.model_construct(portal_dir=portal).token_file),
        str(build / "report" / f"{REPORT_STEM}.html"),
        str(log.parent) + "/",
        str(log.parent / "ogp-run-<time>.log"),
        str(partition.report_html),
        str(data / "cache" / "ocds") + "/",
        "data/validation/decisions/dla/report.html",  # the example summary's own line
    }


def _looks_like_path(span: str) -> bool:
    return bool(re.fullmatch(r"\.?[\w.<>-]+(/[\w.<>*-]*)+", span)) and "://" not in span


def test_markdown_links_resolve() -> None:
    links = [t for t in re.findall(r"\]\(([^)]+)\)", README) if "://" not in t]
    assert links, "the README links its docs"
    missing = [link for link in links if not (REPO_ROOT / link.split("#")[0]).exists()]
    assert missing == []


def test_every_path_exists_or_is_a_run_output_the_code_writes() -> None:
    paths = [span for span in CODE_SPANS if _looks_like_path(span)]
    assert "build/report/ogp-readiness-report.html" in paths
    produced = _produced_paths()
    wrong = []
    for path in paths:
        if path.startswith(".venv/"):
            continue  # made by `make`: the programs are checked below
        if path.startswith(RUN_OUTPUT_ROOTS):
            ok = path in produced
        else:  # a template such as datasets/<family>/ must exist up to its first placeholder
            ok = (REPO_ROOT / path.split("<", 1)[0]).exists()
        if not ok:
            wrong.append(path)
    assert wrong == []


def test_venv_programs_named_are_installed_by_the_project() -> None:
    named = {m for span in CODE_SPANS for m in re.findall(r"\.venv/bin/([\w-]+)", span)}
    assert {"ogp", "frictionless"} <= named
    scripts = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for program in named:
        # ogp is the project's own script; the others come from pinned dependencies
        assert program in scripts or program in DEPENDENCY_PROGRAMS, program


def test_make_targets_exist() -> None:
    used = {m for text in CODE_SPANS + SHELL_LINES for m in re.findall(r"^make ([\w-]+)", text)}
    assert {"demo", "test", "ui", "portal", "portal-down"} <= used
    assert used - _makefile_targets() == set()


def test_ogp_commands_exist() -> None:
    named = set(re.findall(r"`(?:\.venv/bin/)?ogp (\w+)", README))
    listed = set(re.findall(r"`(\w+)`", README.split("the `ogp` command", 1)[1].split("\n")[0]))
    assert {"run", "validate", "publish"} <= named
    commands = _ogp_commands()
    assert named - commands == set()
    assert listed == commands, "the README's list of commands is the CLI's"


@pytest.mark.parametrize(
    "variable", sorted(set(re.findall(r"`(OGP_[A-Z0-9_]+)`", README)) | {"OGP_DATA_DIR"})
)
def test_settings_named_exist(variable: str) -> None:
    field = variable.removeprefix("OGP_").lower()
    if field in Settings.model_fields:
        return
    # port settings are read by the portal controller and the URL default
    sources = [
        *(REPO_ROOT / "pipelines").rglob("*.py"),
        *(REPO_ROOT / "portal").glob("**/*.py"),
    ]
    assert any(variable in path.read_text(encoding="utf-8") for path in sources), variable
