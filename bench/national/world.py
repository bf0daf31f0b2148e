"""A national-scale copy of the project in a temporary folder: the demo's contracts, a generated
registry of 8,317 agencies and a drop folder for every one of them.

The pipeline is pointed at it through its own settings (``OGP_DATASETS_DIR``, ``OGP_DATA_DIR``,
``OGP_BUILD_DIR``, ``DAGSTER_HOME``): the contracts are copied without the demo drops and their
``sources`` blocks name the generated drops folder (an absolute glob, which the file connector
accepts), the registry family's source names the generated registry. Nothing in ``datasets/``
is changed.

The first ``sample`` agencies of the registry (the ones a benchmark publishes, with a run suffix
of their own so their portal names never meet the demo's or a test's) receive small generated
drops (``bench/generate.py``: four families, two fiscal years). Every other agency's folder
holds hard links to the first sample agency's files: the drop sensor reads names, sizes and
modification times only, so a link costs it what a file does.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
NATIONAL_AGENCIES = 8_317  # agencies NACC's ITA assessed in 2025
REGISTRY_HEADER = [
    "agency_code",
    "name_th",
    "name_en",
    "ministry_th",
    "ministry_en",
    "kind",
    "website",
    "aliases",
]
# The generated registry's mix of kinds: local governments are most of the national count.
KIND_SHARES = (
    ("local_government", 7_850),
    ("department", 160),
    ("state_enterprise", 55),
    ("public_organization", 200),
    ("independent_organ", 52),
)
assert sum(share for _, share in KIND_SHARES) == NATIONAL_AGENCIES
SOURCES_BLOCK = re.compile(r"\nsources:\n(?:  .*\n)+")
DEMO_DROPS = "datasets/drops/"


@dataclass(frozen=True)
class World:
    root: Path
    agencies: tuple[str, ...]  # the whole registry, in order
    sample: tuple[str, ...]  # the agencies with drops of their own (published by the bench)
    env: dict[str, str]  # the pipeline's settings pointing at this world

    @property
    def datasets(self) -> Path:
        return Path(self.env["OGP_DATASETS_DIR"])

    @property
    def drops(self) -> Path:
        return self.root / "drops"

    def child_env(self, **extra: str) -> dict[str, str]:
        """The environment of a process working in this world (the portal token comes from
        the local portal's token file, as for `make demo`)."""
        env = {**os.environ, **self.env, **extra}
        env.pop("OGP_CKAN_TOKEN", None)
        return env


def agency_codes(total: int, sample: int, suffix: str) -> list[str]:
    """``n<suffix><nn>`` for the sample (first), ``g<nnnnn>`` for the rest."""
    first = [f"n{suffix}{n:02d}" for n in range(sample)]
    return first + [f"g{n:05d}" for n in range(sample, total)]


def write_registry(path: Path, codes: list[str], sample: int) -> None:
    kinds = [kind for kind, share in KIND_SHARES for _ in range(share)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=REGISTRY_HEADER)
        writer.writeheader()
        for number, code in enumerate(codes):
            # the sample are departments (central agencies); the rest follow the national mix
            kind = "department" if number < sample else kinds[number % len(kinds)]
            writer.writerow(
                {
                    "agency_code": code,
                    "name_th": f"หน่วยงานจำลอง {code}",
                    "name_en": f"Simulated agency {code}",
                    "ministry_th": "กระทรวงจำลอง",
                    "ministry_en": "Simulated ministry",
                    "kind": kind,
                    "website": "",
                    "aliases": "",
                }
            )


def retarget_sources(contract: Path, drops: Path, registry: Path) -> None:
    """The contract's ``sources`` block with only its default, read from ``drops`` (the demo
    agencies' own overrides name demo agencies, which this registry does not hold)."""
    text = contract.read_text(encoding="utf-8")
    default = dict(yaml.safe_load(text)["sources"]["default"])
    path = str(default["path"])
    if path.startswith(DEMO_DROPS):
        default["path"] = f"{drops}/{path[len(DEMO_DROPS) :]}"
    elif path.endswith("agencies/agencies.csv"):
        default["path"] = str(registry)
    else:
        raise ValueError(f"{contract}: source {path} is neither a drop nor the registry")
    block = f"\nsources:\n  default: {json.dumps(default, ensure_ascii=False)}\n"
    text, count = SOURCES_BLOCK.subn(block, text)
    if count != 1:
        raise ValueError(f"{contract}: no sources block")
    contract.write_text(text, encoding="utf-8")


def copy_contracts(root: Path, drops: Path) -> Path:
    datasets = root / "datasets"
    shutil.copytree(REPO / "datasets", datasets, ignore=shutil.ignore_patterns("drops"))
    registry = datasets / "agencies" / "agencies.csv"
    for contract in sorted(datasets.glob("*/dataset.yaml")):
        if "\nsources:\n" in contract.read_text(encoding="utf-8"):
            retarget_sources(contract, drops, registry)
    return datasets


def own_report(datasets: Path, suffix: str) -> tuple[str, str]:
    """The readiness report published under names of this world's own (``ogp run`` publishes
    it): (dataset, organization), never the demo's."""
    inputs = datasets / "ogp" / "inputs.yaml"
    publication = yaml.safe_load(inputs.read_text(encoding="utf-8"))["publication"]
    names = (f"ogp-readiness-report-n{suffix}", f"ogp-coordination-n{suffix}")
    text = inputs.read_text(encoding="utf-8")
    for key, name in zip(("dataset_name", "organization"), names, strict=True):
        text, count = re.subn(
            rf"(?m)^(\s+{key}: ){re.escape(publication[key])}$", rf"\g<1>{name}", text
        )
        if count != 1:
            raise ValueError(f"{inputs}: publication {key} not found")
    inputs.write_text(text, encoding="utf-8")
    return names


def settings_env(root: Path, datasets: Path, ocds_schema_dir: Path | None) -> dict[str, str]:
    env = {
        "OGP_DATASETS_DIR": str(datasets),
        "OGP_DATA_DIR": str(root / "data"),
        "OGP_BUILD_DIR": str(root / "build"),
        "DAGSTER_HOME": str(root / "dagster_home"),
    }
    if ocds_schema_dir is not None:
        env["OGP_OCDS_SCHEMA_DIR"] = str(ocds_schema_dir)
    return env


def make_world(
    root: Path,
    suffix: str,
    sample: int,
    total: int = NATIONAL_AGENCIES,
    ocds_schema_dir: Path | None = None,
) -> World:
    """Contracts and registry under ``root`` (drops come from :func:`write_drops`)."""
    root.mkdir(parents=True, exist_ok=True)
    drops = root / "drops"
    datasets = copy_contracts(root, drops)
    codes = agency_codes(total, sample, suffix)
    write_registry(datasets / "agencies" / "agencies.csv", codes, sample)
    own_report(datasets, suffix)
    (root / "dagster_home").mkdir(exist_ok=True)
    env = settings_env(root, datasets, ocds_schema_dir)
    return World(root, tuple(codes), tuple(codes[:sample]), env)


def write_drops(world: World) -> int:
    """Generated drops for the sample, hard links for everyone else; the number of files.

    Runs ``bench/generate.py``'s generator in this process, which must already have its
    settings pointed at the world (the generator numbers projects by registry position)."""
    import sys

    sys.path.insert(0, str(REPO / "bench"))
    from generate import DEFAULT_SEED, FAMILIES, FISCAL_YEARS_BE, drop_file

    from pipelines.contracts import load_specs

    specs = load_specs(world.datasets)
    files = 0
    for agency in world.sample:
        folder = world.drops / agency
        folder.mkdir(parents=True)
        for family in FAMILIES:
            for year in FISCAL_YEARS_BE:
                name_th = f"หน่วยงานจำลอง {agency}"
                name, data = drop_file(specs[family], agency, name_th, year, DEFAULT_SEED)
                (folder / name).write_bytes(data)
                files += 1
    template = sorted((world.drops / world.sample[0]).iterdir())
    for agency in world.agencies[len(world.sample) :]:
        folder = world.drops / agency
        folder.mkdir(parents=True)
        for path in template:
            os.link(path, folder / path.name)
            files += 1
    return files
