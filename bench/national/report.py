"""The "National simulation (issue 18)" section of bench/RESULTS.md, from one run's figures."""

from __future__ import annotations

from typing import Any

NATIONAL = 8_317
PORTAL = ("CKAN server", "portal PostgreSQL", "xloader job worker")
PIPELINE = ("Celery workers", "daemon, code server, run workers")
# publication windows a deployment may have to meet for all 8,317 agencies
WINDOWS_H = (24, 72, 240)


def _defs_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| registry | partitions | load (import + resolve + snapshot) | fresh process | "
        "peak RSS | snapshot sent to webserver/daemon |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        kind = "dynamic (prototype)" if row["variant"] == "dynamic" else "static"
        lines.append(
            f"| {row['registry']} | {kind}, {row['partitions']:,} | {row['load_s']:.1f} s "
            f"({row['import_s']:.1f} + {row['resolve_s']:.2f} + {row['snapshot_s']:.2f}) | "
            f"{row['process_s']:.1f} s | {row['rss_mb']:.0f} MB | {row['snapshot_mb']:.2f} MB |"
        )
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


def _publish_table(outcomes: list[dict[str, Any]]) -> str:
    lines = [
        "| configuration | agencies | runs | wall (first start → last end) | agencies/hour | "
        "step time per agency: publish / other | portal requests per agency | "
        "CPU s: CKAN · portal PG · xloader | "
        "CPU s: Celery workers · daemon + run workers |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for o in outcomes:
        cpu = o["cpu_s"]
        statuses = ", ".join(f"{n} {s.lower()}" for s, n in sorted(o["statuses"].items()))
        count = max(o["agencies"], 1)
        lines.append(
            f"| {o['label']} | {o['agencies']} | {statuses} | {o['wall_s']:.0f} s | "
            f"{o['per_hour']:.0f} | {o['step_s']['publish'] / count:.0f} s / "
            f"{o['step_s']['other'] / count:.0f} s | {o.get('portal_requests', 0) / count:.0f} "
            f"| {' · '.join(_seconds(cpu.get(k)) for k in PORTAL)} "
            f"| {' · '.join(_seconds(cpu.get(k)) for k in PIPELINE)} |"
        )
    return "\n".join(lines)


def per_agency_cpu(outcome: dict[str, Any]) -> tuple[float, float]:
    """(portal, pipeline) CPU seconds per agency published in this configuration."""
    cpu = outcome["cpu_s"]
    count = max(outcome["agencies"], 1)
    return (
        sum(cpu.get(k) or 0.0 for k in PORTAL) / count,
        sum(cpu.get(k) or 0.0 for k in PIPELINE) / count,
    )


def sizing_table(outcomes: list[dict[str, Any]]) -> str:
    """Cores needed to publish all 8,317 agencies within each window, from the CPU seconds
    per agency measured with Celery workers (the production path)."""
    celery = [o for o in outcomes if o["cpu_s"].get("Celery workers")]
    basis = celery[-1] if celery else outcomes[-1]
    portal_s, pipeline_s = per_agency_cpu(basis)
    lines = [
        f"Basis: the '{basis['label']}' configuration, {pipeline_s:.0f} CPU s per agency on the "
        f"pipeline side (workers, daemon, run workers) and {portal_s:.0f} CPU s on the portal "
        "side (CKAN, its PostgreSQL, xloader). Busy cores, not counting headroom:",
        "",
        "| all 8,317 agencies within | agencies/hour | Celery worker cores | portal cores "
        "(CKAN + PostgreSQL + xloader) |",
        "|---|---:|---:|---:|",
    ]
    for hours in WINDOWS_H:
        rate = NATIONAL / hours
        lines.append(
            f"| {hours} h | {rate:,.0f} | {rate * pipeline_s / 3600:.1f} | "
            f"{rate * portal_s / 3600:.1f} |"
        )
    return "\n".join(lines)


def _reading(outcomes: list[dict[str, Any]]) -> str:
    """What the publishing table says: scaling with workers and the share of the portal."""
    rates = {o["label"]: o["per_hour"] for o in outcomes}
    one, two = rates.get("1 Celery worker"), rates.get("2 Celery workers")
    shares = [
        f"{o['label']} {o['step_s']['publish'] / max(sum(o['step_s'].values()), 1e-9):.0%}"
        for o in outcomes
    ]
    text = (
        "Reading: the share of step time spent in the publish steps (requests to the portal "
        "and waits for its xloader jobs) is " + ", ".join(shares) + "."
    )
    if one and two:
        text += (
            f" Two workers publish {two / one:.2f}× the agencies per hour of one worker "
            "(2.00× would be perfect scaling)."
        )
    return (
        text + " The portal (CKAN's server, its PostgreSQL and xloader's job worker) is shared "
        "with the other engineers' tests and benchmarks on this machine, so its CPU seconds "
        "include their load: read them as an upper bound of this bench's cost."
    )


def section(title: str, f: dict[str, Any]) -> str:
    sensor = f["sensor"]
    parts = [
        title,
        "",
        f"`python bench/national/bench_national.py` — {f['date']}, one run; 2 cores shared with "
        f"four other engineers' work (load average {f['load_start']:.1f} at the start, "
        f"{f.get('load_end', float('nan')):.1f} at the end): compare figures of the same run "
        "as ratios, not with other sections.",
        "",
        "Method: a world in a temporary folder (`bench/national/world.py`) — the demo's "
        f"contracts, a generated registry of {NATIONAL:,} agencies and {f['files']:,} drop files "
        "(the sample's generated by `bench/generate.py`, every other agency's folder holding hard "
        "links to the first sample agency's files: the sensor reads names, sizes and mtimes "
        f"only), made in {f['world_s']:.0f} s. The pipeline is pointed at it by its own settings "
        "(`OGP_DATASETS_DIR`, `OGP_DATA_DIR`, `OGP_BUILD_DIR`, `DAGSTER_HOME`); nothing in "
        "`datasets/` changes. Each measurement runs in a fresh process (`probe.py`); every process "
        "imports a clone of the checkout's HEAD"
        + (f" (commit {f['commit'][:10]})" if "commit" in f else "")
        + ", so others' commits during the run do not change the code measured.",
        "",
        "### Definitions load",
        "",
        _defs_table(f["defs"]),
        "",
        "The dynamic variant swaps `agency_partitions` for a `DynamicPartitionsDefinition` while "
        "the code location is imported (a prototype inside the bench; `pipelines/defs` is "
        "unchanged). Registering the 8,317 agencies in the instance takes "
        f"{f['defs'][2].get('register_s', 0):.2f} s once; reading them back "
        f"{f['defs'][2].get('read_keys_s', 0):.3f} s.",
        "",
        "Reading the registry (`load_agencies`, at every load of the definitions and in every "
        f"publish step) takes {f['defs'][1].get('registry_s', 0):.2f} s at {NATIONAL:,} "
        f"agencies ({f['defs'][0].get('registry_s', 0):.3f} s for the demo's); the duplicate-"
        "code check it had before this run (a count per code, quadratic) took "
        f"{f['defs'][1].get('former_duplicate_check_s', 0):.2f} s more on the same codes.",
        "",
        "### Drop sensor tick",
        "",
        f"`agency_drop_sensor` over {NATIONAL:,} agency folders × the partitioned families "
        f"({sensor['fingerprints']:,} drops with files), evaluated with `build_sensor_context`:",
        "",
        "| tick | time | run requests |",
        "|---|---:|---:|",
        f"| former way: a glob per family and agency (same fingerprints, checked) | "
        f"{sensor['glob_tick_s']:.1f} s | — |",
        f"| first tick (empty cursor) | {sensor['first_tick_s']:.1f} s | "
        f"{sensor['first_requests']:,} |",
        f"| next tick (nothing changed) | {sensor['second_tick_s']:.1f} s | "
        f"{sensor['second_requests']:,} |",
        "",
        f"The cursor (one fingerprint per agency and family) is {sensor['cursor_kb']:.0f} KB.",
    ]
    if "publish" in f:
        parts += [
            "",
            "### Agencies published per hour",
            "",
            _publish_table(f["publish"]),
            "",
            "Published on the portal afterwards (datasets per agency of the four families): "
            + ", ".join(f"{n}" for n in f["published"].values())
            + "; purged at the end.",
            "",
            _reading(f["publish"]),
            "",
            "### Sizing",
            "",
            sizing_table(f["publish"]),
        ]
    return "\n".join(parts) + "\n"
