"""One measurement in a fresh process, printed as one JSON line (bench_national.py runs it with
the world's settings in the environment).

``defs static``: import the code location as it is (static agency partitions from the
registry), resolve its repository (jobs, schedules, sensors) and build the snapshot its code
server sends to the webserver and the daemon. ``defs dynamic``: the same code location with the
agency partitions swapped for a ``DynamicPartitionsDefinition`` (a prototype: the swap happens
here, the pipeline's modules are not changed), plus the one-time cost of registering the
registry's agencies as dynamic partitions in a Dagster instance and reading them back.

``sensor``: two ticks of ``agency_drop_sensor`` over every agency's drop folder, evaluated with
``build_sensor_context``: the first with an empty cursor (every folder is new), the second
with the first's cursor (nothing changed, no run requested); and, in the same process, the
same fingerprints computed as the sensor did before (a glob per family and agency), which
must agree with the sensor's.
"""

from __future__ import annotations

import hashlib
import json
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

DYNAMIC_NAME = "agencies"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def dynamic_agency_partitions() -> Iterator[None]:
    """While the code location is imported, the registry's static partitions definition is
    built as a dynamic one named ``agencies`` (the registry still loads; its keys are unused)."""
    import dagster as dg

    static = dg.StaticPartitionsDefinition

    def dynamic(keys: Any) -> dg.DynamicPartitionsDefinition:
        return dg.DynamicPartitionsDefinition(name=DYNAMIC_NAME)

    dg.StaticPartitionsDefinition = dynamic  # type: ignore[assignment,misc]
    try:
        yield
    finally:
        dg.StaticPartitionsDefinition = static  # type: ignore[misc]


def load_definitions(variant: str) -> dict[str, Any]:
    start = time.perf_counter()
    if variant == "dynamic":
        with dynamic_agency_partitions():
            from pipelines.definitions import defs
    else:
        from pipelines.definitions import defs
    imported = time.perf_counter()
    repository = defs.get_repository_def()
    jobs = repository.get_all_jobs()
    resolved = time.perf_counter()

    from dagster._core.remote_representation.external_data import RepositorySnap
    from dagster._serdes import serialize_value

    snapshot = serialize_value(RepositorySnap.from_def(repository, defer_snapshots=True))
    served = time.perf_counter()
    from pipelines.defs.pull import agency_partitions

    result: dict[str, Any] = {
        "variant": variant,
        "partitions_def": type(agency_partitions).__name__,
        "import_s": imported - start,
        "resolve_s": resolved - imported,
        "snapshot_s": served - resolved,
        "load_s": served - start,
        "snapshot_mb": len(snapshot.encode()) / 1e6,
        "jobs": len(jobs),
        "rss_mb": rss_mb(),
    }
    if variant == "dynamic":
        result.update(register_dynamic())
    else:
        result["partitions"] = len(agency_partitions.get_partition_keys())
        result.update(registry_load())
    return result


def registry_load() -> dict[str, float]:
    """The registry's share of the load: ``load_agencies`` as it is, and the duplicate-code
    check it had before (a count per code: quadratic), timed on the same codes."""
    from pipelines.contracts import load_agencies

    start = time.perf_counter()
    codes = [agency.agency_code for agency in load_agencies()]
    loaded = time.perf_counter()
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    assert not duplicates
    return {"registry_s": loaded - start, "former_duplicate_check_s": time.perf_counter() - loaded}


def register_dynamic() -> dict[str, Any]:
    """Register the registry's agencies in the instance under ``DAGSTER_HOME`` (what a sensor
    fed from the registry does once, then for each new agency) and read them back."""
    import dagster as dg

    from pipelines.contracts import load_agencies

    codes = [agency.agency_code for agency in load_agencies()]
    with dg.DagsterInstance.get() as instance:
        start = time.perf_counter()
        known = set(instance.get_dynamic_partitions(DYNAMIC_NAME))
        instance.add_dynamic_partitions(DYNAMIC_NAME, [c for c in codes if c not in known])
        added = time.perf_counter()
        keys = instance.get_dynamic_partitions(DYNAMIC_NAME)
        read = time.perf_counter()
    return {"register_s": added - start, "read_keys_s": read - added, "partitions": len(keys)}


def pairs() -> Iterator[tuple[str, Any, str]]:
    """(cursor key, contract, agency) of every drop the sensor looks at."""
    from pipelines.defs.pull import SPECS, agency_partitions

    for name, spec in SPECS.items():
        if spec.partitioned:
            for agency in agency_partitions.get_partition_keys():
                yield f"{name}/{agency}", spec, agency


def fingerprints_by_glob() -> tuple[dict[str, str | None], float]:
    """Every drop's fingerprint as the sensor computed it before its folders were listed once
    a tick: one glob (``matching_files``) per family and agency; and the time it takes."""
    from pipelines.contracts import FileSource
    from pipelines.sources.file import matching_files

    start = time.perf_counter()
    found: dict[str, str | None] = {}
    for key, spec, agency in pairs():
        source = spec.source_for(agency)
        files = matching_files(source.path) if isinstance(source, FileSource) else []
        listing = [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files]
        digest = hashlib.sha256(json.dumps(listing).encode()).hexdigest()[:16]
        found[key] = digest if listing else None
    return found, time.perf_counter() - start


def sensor_ticks() -> dict[str, Any]:
    import dagster as dg

    from pipelines.defs.schedules import DropFolders, drop_fingerprint, sensors

    (sensor,) = sensors
    timings = []
    cursor = None
    requests = []
    with dg.DagsterInstance.ephemeral() as instance:
        for _ in range(2):
            context = dg.build_sensor_context(instance=instance, cursor=cursor)
            start = time.perf_counter()
            result = sensor(context)
            timings.append(time.perf_counter() - start)
            assert isinstance(result, dg.SensorResult)
            requests.append(len(result.run_requests or []))
            cursor = result.cursor
    globbed, glob_s = fingerprints_by_glob()
    folders = DropFolders()
    listed = {key: drop_fingerprint(spec, agency, folders) for key, spec, agency in pairs()}
    assert listed == globbed, "the sensor's listing and the glob disagree"
    return {
        "glob_tick_s": glob_s,
        "fingerprints": sum(value is not None for value in listed.values()),
        "first_tick_s": timings[0],
        "second_tick_s": timings[1],
        "first_requests": requests[0],
        "second_requests": requests[1],
        "cursor_kb": len(cursor or "") / 1024,
        "rss_mb": rss_mb(),
    }


def main(argv: list[str]) -> int:
    if argv[:1] == ["defs"] and len(argv) == 2 and argv[1] in ("static", "dynamic"):
        print(json.dumps(load_definitions(argv[1])))
    elif argv == ["sensor"]:
        print(json.dumps(sensor_ticks()))
    else:
        print("usage: probe.py defs static|dynamic | probe.py sensor", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
