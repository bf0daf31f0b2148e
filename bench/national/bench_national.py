"""National simulation (issue 18): the pipeline at 8,317 agencies, measured in one run.

1. A world in a temporary folder (``world.py``): the demo's contracts, a generated registry of
   8,317 agencies, generated drops for a sample and hard links for everyone else; the pipeline
   is pointed at it by its own settings (``OGP_DATASETS_DIR``, ``OGP_DATA_DIR``, ...).
2. Definitions load, each in a fresh process (``probe.py``): the demo's 7 agencies, then 8,317
   agencies with static partitions (the code as it is) and with a dynamic-partitions prototype.
3. Drop sensor ticks over the 8,317 folders, against the former glob per family and agency.
4. Agencies published per hour (``publishing.py``) through the production instance config on a
   throwaway PostgreSQL cluster and ``dagster-daemon``: the runs' steps in process, then on 1
   and 2 Celery workers, each configuration with its own sample agencies, published to the
   real local portal and purged afterwards.

Writes the "## National simulation (issue 18)" section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent), str(HERE.parents[1])]
from publishing import CODE, Outcome, measure  # noqa: E402
from report import section  # noqa: E402
from results import write_section  # noqa: E402
from world import REPO, World, make_world, write_drops  # noqa: E402

SECTION = "## National simulation (issue 18)"
WORLD_VARS = ("OGP_DATASETS_DIR", "OGP_DATA_DIR", "OGP_BUILD_DIR", "DAGSTER_HOME")
CONFIGURATIONS = (  # label, executor, Celery workers
    ("in-process steps", "in_process", 0),
    ("1 Celery worker", "celery", 1),
    ("2 Celery workers", "celery", 2),
)
FAMILIES_PUBLISHED = ("decisions", "procurement", "procurement_bids", "budget")


def probe(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """``probe.py <args>`` in a fresh process; its JSON line plus its peak RSS (wait4)."""
    process = subprocess.Popen(
        [sys.executable, str(CODE["root"] / "bench" / "national" / "probe.py"), *args],
        cwd=CODE["root"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    start = time.perf_counter()
    out, err = process.communicate(timeout=900)
    wall = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"probe {args} failed:\n{err.decode()[-3000:]}")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    result["process_s"] = wall
    return result


def demo_env() -> dict[str, str]:
    """This machine's environment with the repository's defaults (the demo registry)."""
    env = dict(os.environ)
    for name in WORLD_VARS:
        env.pop(name, None)
    env["DAGSTER_HOME"] = tempfile.mkdtemp(prefix="ogp-national-demo-home-")
    return env


def snapshot(root: Path) -> tuple[Path, str]:
    """A clone of the checkout's HEAD that every process of the run imports (``PYTHONPATH``
    comes before the editable install): others' commits and edits in the shared checkout
    during a long run do not change the code being measured. (folder, commit)"""
    code = root / "code"
    subprocess.run(["git", "clone", "-q", str(REPO), str(code)], check=True)
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=code, capture_output=True, text=True, check=True
    ).stdout.strip()
    return code, commit


def ocds_schema_dir() -> Path | None:
    """The OCDS schema folder the demo uses (a local copy or the download cache), if any."""
    from pipelines.integrity.ocds_schema import OcdsSchemaError, schema_directory

    try:
        return schema_directory()
    except OcdsSchemaError:
        return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def instance_database(root: Path) -> Any:
    """A throwaway PostgreSQL cluster (the portal's own tooling) for the Dagster instance."""
    import secrets

    sys.path.insert(0, str(REPO / "portal"))
    from portalkit.postgres import Postgres
    from portalkit.settings import Settings
    from portalkit.system import postgres_bin_dir

    home = root / "instance-pg"
    home.mkdir()
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise SystemExit("PostgreSQL server binaries are missing (apt: postgresql)")
    settings = Settings(home=home, venv=home, ckan_port=0, pg_port=free_port(), redis_port=0)
    server = Postgres(settings, bin_dir)
    log = home / "setup.log"
    server.init(log)
    server.start(log)
    password = secrets.token_urlsafe(12)
    try:
        server.psql(f"CREATE ROLE dagster LOGIN PASSWORD '{password}'")
        server.psql("CREATE DATABASE dagster OWNER dagster")
        yield {
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": str(settings.pg_port),
            "DAGSTER_PG_USER": "dagster",
            "DAGSTER_PG_PASSWORD": password,
            "DAGSTER_PG_DB": "dagster",
        }
    finally:
        server.stop()


def portal() -> Any:
    import ckanapi

    from pipelines.settings import get_settings

    settings = get_settings()
    return ckanapi.RemoteCKAN(settings.ckan_url, apikey=settings.ckan_api_token())


def published(agencies: tuple[str, ...]) -> dict[str, int]:
    """Per agency: how many of its family datasets the portal has."""
    import ckanapi

    ckan = portal()
    counts = {}
    for agency in agencies:
        found = 0
        for family in FAMILIES_PUBLISHED:
            with contextlib.suppress(ckanapi.NotFound):
                ckan.action.package_show(id=f"{agency}-{family}")
                found += 1
        counts[agency] = found
    return counts


def purge(agencies: tuple[str, ...]) -> None:
    """Remove what the sample published: its datasets, then its organizations."""
    import ckanapi

    ckan = portal()
    for agency in agencies:
        with contextlib.suppress(ckanapi.NotFound):
            organization = ckan.action.organization_show(id=agency)
            for package in ckan.action.package_search(
                fq=f"owner_org:{organization['id']}", include_private=True, rows=1000
            )["results"]:
                ckan.action.dataset_purge(id=package["id"])
            ckan.action.organization_purge(id=agency)


def publish_rates(world: World, per_group: int, logs: Path) -> tuple[list[Outcome], dict]:
    groups = [world.sample[n * per_group : (n + 1) * per_group] for n in range(len(CONFIGURATIONS))]
    home = Path(world.env["DAGSTER_HOME"])
    shutil.copyfile(REPO / "pipelines" / "deploy" / "dagster.yaml", home / "dagster.yaml")
    outcomes = []
    counts: dict[str, int] = {}
    try:
        with instance_database(world.root) as database:
            env = world.child_env(**database, OGP_CELERY_QUEUE=f"national-{world.sample[0]}")
            os.environ.update(database)
            for (label, executor, workers), group in zip(CONFIGURATIONS, groups, strict=True):
                print(f"-- {label}: {len(group)} agencies", flush=True)
                outcomes.append(measure(label, executor, workers, group, env, logs))
                print(outcomes[-1], flush=True)
            counts = published(world.sample[: per_group * len(CONFIGURATIONS)])
    finally:
        purge(world.sample)
    return outcomes, counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-group", type=int, default=6, help="agencies per configuration")
    parser.add_argument("--skip-publish", action="store_true", help="only steps 1 to 3")
    parser.add_argument("--keep", action="store_true", help="keep the world's folder")
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md")
    args = parser.parse_args()
    schema_dir = ocds_schema_dir()
    root = Path(tempfile.mkdtemp(prefix="ogp-national-"))
    root.chmod(0o755)  # the instance's PostgreSQL runs as its service user
    suffix = uuid.uuid4().hex[:6]
    figures: dict[str, Any] = {"date": str(dt.date.today()), "load_start": os.getloadavg()[0]}
    demo_home = None
    try:
        start = time.perf_counter()
        world = make_world(
            root, suffix, args.per_group * len(CONFIGURATIONS), ocds_schema_dir=schema_dir
        )
        code, figures["commit"] = snapshot(root)
        CODE["root"] = code
        # the processes import the snapshot; the local portal (token, pid files) stays here
        world.env.update(PYTHONPATH=str(code), OGP_PORTAL_DIR=str(REPO / ".portal"))
        os.environ.update(world.env)
        from pipelines.settings import get_settings

        get_settings.cache_clear()
        figures["files"] = write_drops(world)
        figures["world_s"] = time.perf_counter() - start
        env = world.child_env()
        demo = demo_env()
        demo_home = demo["DAGSTER_HOME"]
        figures["defs"] = [
            {"registry": "demo (7 agencies)", **probe(["defs", "static"], demo)},
            {"registry": "8,317 agencies", **probe(["defs", "static"], env)},
            {"registry": "8,317 agencies", **probe(["defs", "dynamic"], env)},
        ]
        figures["sensor"] = probe(["sensor"], env)
        print(json.dumps(figures, indent=1), flush=True)
        if not args.skip_publish:
            outcomes, counts = publish_rates(world, args.per_group, root / "logs")
            figures["publish"] = [vars(o) | {"per_hour": o.per_hour} for o in outcomes]
            figures["published"] = counts
        figures["load_end"] = os.getloadavg()[0]
    finally:
        if demo_home:
            shutil.rmtree(demo_home, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    (REPO / "bench" / "out").mkdir(exist_ok=True)
    (REPO / "bench" / "out" / "national.json").write_text(json.dumps(figures, indent=1))
    text = section(SECTION, figures)
    if not args.no_write:
        write_section(SECTION, text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
