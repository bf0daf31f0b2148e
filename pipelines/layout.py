"""The one owner of the pipeline's on-disk layout and of its asset keys.

The stages talk through files under the data folder (``OGP_DATA_DIR``, default ``data/``).
Every path below is built here and nowhere else; the other modules import these functions.

Each file, the stage that writes it → the stages that read it (docs/ARCHITECTURE.md, "On-disk
layout", has the same table):

* ``raw/<family>/<agency>/<sha256>.<ext>`` and its ``.json`` provenance: sources (landing) →
  normalize.
* ``clean/<family>/<agency>/<family>.parquet|csv``: normalize → the validation gate, the
  publisher (which partitions exist), ``ogp validate``.
* ``clean/<family>/<agency>/cast_errors.json``, ``normalization.json``: normalize → the gate.
* ``validation/<family>/<agency>/report.json|html``: the gate → publish (its verdict), readiness.
* ``validation/<family>/<agency>/publishable.parquet``: the gate → publish, integrity, readiness.
* ``validation/<family>/<agency>/schema_valid.parquet``: the gate → integrity (the red flags):
  every row that passed the schema, masked like the publishable table, rows quarantined by
  business rules kept; never published itself.
* ``integrity/procurement/<agency>/ocds_release_package.json``: the OCDS export → publish.
* ``integrity/procurement/<agency>/red_flags.csv|parquet|json``: the red flags → publish,
  readiness.
* ``integrity/procurement/<agency>/<file>.withheld.json``: integrity → publish (leaves the
  file out and says why).
* ``publish/receipts/``: ``ogp publish`` → the steward.
* ``cache/<name>/`` (``cache/ocds/<version>-<hash>/``, the OCDS schema): integrity → integrity.

Unpartitioned families (the agency registry) drop the ``<agency>`` level. Asset keys: each
family has ``raw_<family>`` → ``clean_<family>`` → ``published_<family>``; procurement adds
``procurement_ocds`` and ``procurement_red_flags``; the catalog has ``ckan_organizations`` and
``ogp_readiness_report``. A step key of a single-asset step is its asset key, so
:func:`family_of` reads both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipelines.contracts.models import WITHHELD_SUFFIX

# --- folders of the data directory, one per stage --------------------------------------------

RAW = "raw"
CLEAN = "clean"
VALIDATION = "validation"
INTEGRITY = "integrity"
PUBLISH = "publish"
CACHE = "cache"


def _partition_dir(data_dir: Path, stage: str, family: str, agency: str | None) -> Path:
    folder = Path(data_dir) / stage / family
    return folder / agency if agency else folder


# --- raw: written by pipelines.sources (landing), read by normalize ---------------------------


def raw_dir(data_dir: Path, family: str, agency: str | None) -> Path:
    """``raw/<family>/<agency>/`` (unpartitioned families: ``raw/<family>/``): the immutable
    landing copies and their provenance."""
    return _partition_dir(data_dir, RAW, family, agency)


# --- clean: written by pipelines.normalize, read by the gate and the publisher ----------------

CAST_ERRORS_FILE = "cast_errors.json"
COUNTS_FILE = "normalization.json"


@dataclass(frozen=True)
class CleanFiles:
    parquet: Path
    csv: Path
    cast_errors: Path
    normalization: Path


def clean_dir(data_dir: Path, family: str, agency: str | None) -> Path:
    """``clean/<family>/<agency>/`` (unpartitioned families: ``clean/<family>/``)."""
    return _partition_dir(data_dir, CLEAN, family, agency)


def clean_files(data_dir: Path, family: str, agency: str | None) -> CleanFiles:
    folder = clean_dir(data_dir, family, agency)
    return CleanFiles(
        parquet=folder / f"{family}.parquet",
        csv=folder / f"{family}.csv",
        cast_errors=folder / CAST_ERRORS_FILE,
        normalization=folder / COUNTS_FILE,
    )


def clean_tables(data_dir: Path) -> list[tuple[str, str, Path]]:
    """``(family, agency, parquet)`` of every partitioned clean table on disk, sorted."""
    found = []
    for path in sorted((Path(data_dir) / CLEAN).glob("*/*/*.parquet")):
        family, agency = path.parent.parent.name, path.parent.name
        if path.stem == family:
            found.append((family, agency, path))
    return found


# --- validation: written by the gate, read by publish, integrity and readiness ----------------

REPORT_JSON = "report.json"
UNPARTITIONED = "all"  # the agency folder of the gate's outputs for an unpartitioned family
REPORT_HTML = "report.html"
PUBLISHABLE_PARQUET = "publishable.parquet"


def validation_dir(data_dir: Path, family: str, agency: str) -> Path:
    """``validation/<family>/<agency>/``: the gate's report and publishable table."""
    return _partition_dir(data_dir, VALIDATION, family, agency)


def publishable_path(data_dir: Path, family: str, agency: str) -> Path:
    """What the gate let through: personal data masked or dropped, quarantined rows out."""
    return validation_dir(data_dir, family, agency) / PUBLISHABLE_PARQUET


SCHEMA_VALID_PARQUET = "schema_valid.parquet"


def schema_valid_path(data_dir: Path, family: str, agency: str) -> Path:
    """Every row that passed the schema, personal data masked, business-rule quarantine kept."""
    return validation_dir(data_dir, family, agency) / SCHEMA_VALID_PARQUET


def report_json_path(data_dir: Path, family: str, agency: str) -> Path:
    return validation_dir(data_dir, family, agency) / REPORT_JSON


def data_dir_of_validation(folder: Path) -> Path:
    """The data folder a ``validation/<family>/<agency>`` folder lives in."""
    return folder.parents[2]


def validation_reports(data_dir: Path) -> list[tuple[str, str, Path]]:
    """``(family, agency, report.json)`` of every gate report on disk, sorted."""
    paths = sorted((Path(data_dir) / VALIDATION).glob(f"*/*/{REPORT_JSON}"))
    return [(path.parent.parent.name, path.parent.name, path) for path in paths]


# --- integrity: written by the OCDS export and the red flags, read by publish and readiness ---

PROCUREMENT = "procurement"
OCDS_FILE = "ocds_release_package.json"
FLAGS_CSV = "red_flags.csv"
FLAGS_PARQUET = "red_flags.parquet"
FLAGS_JSON = "red_flags.json"


@dataclass(frozen=True)
class IntegrityFiles:
    folder: Path
    package: Path
    package_note: Path  # why the package is withheld (the contract's withheld_path_for)
    flags_csv: Path
    flags_parquet: Path
    flags_json: Path
    flags_note: Path  # why the red flags are withheld


def integrity_dir(data_dir: Path, agency: str, family: str = PROCUREMENT) -> Path:
    """``integrity/<family>/<agency>/`` (only procurement has one today)."""
    return _partition_dir(data_dir, INTEGRITY, family, agency)


def integrity_files(data_dir: Path, agency: str) -> IntegrityFiles:
    folder = integrity_dir(data_dir, agency)
    return IntegrityFiles(
        folder=folder,
        package=folder / OCDS_FILE,
        package_note=folder / (OCDS_FILE + WITHHELD_SUFFIX),
        flags_csv=folder / FLAGS_CSV,
        flags_parquet=folder / FLAGS_PARQUET,
        flags_json=folder / FLAGS_JSON,
        flags_note=folder / (FLAGS_CSV + WITHHELD_SUFFIX),
    )


def integrity_agency_dirs(data_dir: Path) -> list[Path]:
    """The agency folders of the integrity stage on disk, sorted."""
    root = Path(data_dir) / INTEGRITY / PROCUREMENT
    return sorted(path for path in root.glob("*") if path.is_dir())


# --- publish and cache ------------------------------------------------------------------------


def receipts_dir(data_dir: Path) -> Path:
    """``publish/receipts/``: the publisher's receipts (written by ``ogp publish``)."""
    return Path(data_dir) / PUBLISH / "receipts"


def cache_dir(data_dir: Path, name: str) -> Path:
    """``cache/<name>/``: downloads kept between runs (``ocds``: the OCDS schema)."""
    return Path(data_dir) / CACHE / name


# --- asset keys -------------------------------------------------------------------------------

RAW_PREFIX = "raw_"
CLEAN_PREFIX = "clean_"
PUBLISHED_PREFIX = "published_"
FAMILY_PREFIXES = (RAW_PREFIX, CLEAN_PREFIX, PUBLISHED_PREFIX)

PROCUREMENT_OCDS = "procurement_ocds"
PROCUREMENT_RED_FLAGS = "procurement_red_flags"
READINESS_REPORT = "ogp_readiness_report"
CKAN_ORGANIZATIONS = "ckan_organizations"
DERIVED_KEYS = {PROCUREMENT_OCDS: PROCUREMENT, PROCUREMENT_RED_FLAGS: PROCUREMENT}


def raw_key(family: str) -> str:
    return RAW_PREFIX + family


def clean_key(family: str) -> str:
    return CLEAN_PREFIX + family


def published_key(family: str) -> str:
    return PUBLISHED_PREFIX + family


def stage_of(key: str) -> str | None:
    """``raw_``, ``clean_`` or ``published_`` for a family asset's key, else None."""
    return next((p for p in FAMILY_PREFIXES if key.startswith(p) and len(key) > len(p)), None)


def family_of(key: str) -> str | None:
    """The family of an asset or step key (``clean_budget`` → ``budget``, ``procurement_ocds``
    → ``procurement``); None for the catalog-wide assets and unknown keys."""
    prefix = stage_of(key)
    if prefix is not None:
        return key.removeprefix(prefix)
    return DERIVED_KEYS.get(key)
