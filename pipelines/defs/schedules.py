"""Jobs, schedules and the drop-folder sensor, matched to agencies' publication duties.

All times are Asia/Bangkok. Partitioned jobs run one run per agency, so one agency's bad file
never holds up another's (and the QueuedRunCoordinator can limit runs per agency).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import dagster as dg

from pipelines.contracts import DatasetSpec, FileSource
from pipelines.defs.locking import PUBLISHING
from pipelines.defs.pull import SPECS, agency_partitions
from pipelines.layout import CKAN_ORGANIZATIONS, READINESS_REPORT, raw_key
from pipelines.sources.file import DropFolders

TIMEZONE = "Asia/Bangkok"

# The cron a contract's ``ckan.update_frequency`` gives when it has no ``schedule.cron``, from
# the duties the demo families serve (NACC ITA OIT items, Licensing Facilitation Act). An
# unknown frequency is refused when the contract loads; ``as_needed`` (reference data) has no
# schedule, the drop sensor runs it.
FREQUENCY_CRON: dict[str, str] = {
    "daily": "0 6 * * *",  # permit decisions are due within statutory deadlines
    "weekly": "0 4 * * 1",
    "monthly": "0 2 10 * *",  # monthly summaries (OIT O21 procurement) are due by the 10th
    "quarterly": "0 2 10 1,4,7,10 *",  # the 10th after each quarter
    "yearly": "0 3 1 11 *",  # after the Thai fiscal year ends (30 September)
    "annually": "0 3 1 11 *",
}
REPORT_CRON = "0 8 11 * *"  # monthly, the day after the procurement publication


def family_job_name(family: str) -> str:
    return f"{family}_job"


def family_selection(family: str) -> dg.AssetSelection:
    """Everything downstream of the family's raw asset: clean, checks, publish, integrity."""
    return dg.AssetSelection.assets(raw_key(family)).downstream() - dg.AssetSelection.assets(
        READINESS_REPORT
    )


def family_jobs(specs: dict[str, DatasetSpec]) -> list[dg.UnresolvedAssetJobDefinition]:
    return [
        dg.define_asset_job(
            family_job_name(name),
            selection=family_selection(name),
            partitions_def=agency_partitions,
            tags={"ogp/family": name, **PUBLISHING},
            description=f"Pull, validate and publish {spec.title.en} for one agency.",
        )
        for name, spec in specs.items()
        if spec.partitioned
    ]


def registries_selection(specs: dict[str, DatasetSpec]) -> dg.AssetSelection:
    """Every registry (a family with ``partitioned: false``: agencies, and any other that
    foreign keys may name) with everything downstream of it."""
    keys = [raw_key(name) for name, spec in specs.items() if not spec.partitioned]
    return dg.AssetSelection.assets(*keys).downstream()


# Unpartitioned assets: the registries, the organizations and the portal-wide report.
UNPARTITIONED = registries_selection(SPECS) | dg.AssetSelection.assets(
    CKAN_ORGANIZATIONS, READINESS_REPORT
)

agency_job = dg.define_asset_job(
    "agency_job",
    selection=dg.AssetSelection.all() - UNPARTITIONED,
    partitions_def=agency_partitions,
    tags=PUBLISHING,  # capped by the production instance (pipelines/deploy/dagster.yaml)
    description="Every family of one agency: pull, validate, publish, OCDS and red flags.",
)

reference_job = dg.define_asset_job(
    "reference_job",
    selection=registries_selection(SPECS) | dg.AssetSelection.assets(CKAN_ORGANIZATIONS),
    description="The registries (agencies, ...) and one CKAN organization per agency.",
    tags=PUBLISHING,  # it writes the portal's organizations
)

readiness_job = dg.define_asset_job(
    "readiness_job",
    selection=dg.AssetSelection.assets(READINESS_REPORT),
    description="The OGP readiness report, computed from what the portal publishes.",
    tags=PUBLISHING,  # it publishes the report to the portal
)


def _all_agencies_schedule(job_name: str, cron: str) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=f"{job_name}_schedule",
        job_name=job_name,
        cron_schedule=cron,
        execution_timezone=TIMEZONE,
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> Iterator[dg.RunRequest]:
        stamp = context.scheduled_execution_time.strftime("%Y-%m-%dT%H:%M")
        for agency in agency_partitions.get_partition_keys():
            yield dg.RunRequest(run_key=f"{agency}-{stamp}", partition_key=agency)

    return _schedule


def family_cron(spec: DatasetSpec) -> str | None:
    """The contract's ``schedule.cron``, else its update frequency's; None for ``as_needed``."""
    if spec.schedule is not None:
        return spec.schedule.cron
    return FREQUENCY_CRON.get(spec.ckan.update_frequency)


def family_schedules(specs: dict[str, DatasetSpec]) -> list[dg.ScheduleDefinition]:
    """One schedule per partitioned family, built from its contract."""
    crons = {name: family_cron(spec) for name, spec in specs.items() if spec.partitioned}
    return [
        _all_agencies_schedule(family_job_name(name), cron)
        for name, cron in crons.items()
        if cron is not None
    ]


readiness_schedule = dg.ScheduleDefinition(
    name="readiness_job_schedule",
    job=readiness_job,
    cron_schedule=REPORT_CRON,
    execution_timezone=TIMEZONE,
)


def drop_fingerprint(
    spec: DatasetSpec, agency: str, folders: DropFolders | None = None
) -> str | None:
    """A digest of the names, sizes and mtimes of the files an agency dropped; None when there
    are none, or when the source is not a file drop (HTTP, CKAN and SQL run on schedule)."""
    source = spec.source_for(agency)
    if not isinstance(source, FileSource):
        return None
    listing = (folders or DropFolders()).files(source.path)
    if not listing:
        return None
    return hashlib.sha256(json.dumps(listing).encode()).hexdigest()[:16]


def build_drop_sensor(
    specs: dict[str, DatasetSpec], jobs: list[dg.UnresolvedAssetJobDefinition]
) -> dg.SensorDefinition:
    partitioned = {name: spec for name, spec in specs.items() if spec.partitioned}

    @dg.sensor(
        name="agency_drop_sensor",
        jobs=jobs,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="Starts the family's job for an agency when files in its drop folder "
        "appear or change.",
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        seen: dict[str, str] = json.loads(context.cursor or "{}")
        requests: list[dg.RunRequest] = []
        folders = DropFolders()  # each folder listed once this tick, for every family
        for name, spec in partitioned.items():
            for agency in agency_partitions.get_partition_keys():
                fingerprint = drop_fingerprint(spec, agency, folders)
                key = f"{name}/{agency}"
                if fingerprint is None or seen.get(key) == fingerprint:
                    continue
                seen[key] = fingerprint
                requests.append(
                    dg.RunRequest(
                        run_key=f"{key}@{fingerprint}",
                        job_name=family_job_name(name),
                        partition_key=agency,
                    )
                )
        return dg.SensorResult(run_requests=requests, cursor=json.dumps(seen, sort_keys=True))

    return _sensor


FAMILY_JOBS = family_jobs(SPECS)
jobs = [*FAMILY_JOBS, agency_job, reference_job, readiness_job]
schedules = [*family_schedules(SPECS), readiness_schedule]
sensors = [build_drop_sensor(SPECS, FAMILY_JOBS)]
