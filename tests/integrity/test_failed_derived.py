"""A derived file that fails (a configured OCDS schema folder that is empty or corrupt, a package
invalid against the schema, a red-flag definition naming an unknown check) never fails its step:
the asset materializes with ``status`` ``failed`` and a one-sentence ``reason``, its non-blocking
check fails (severity ERROR) with that reason, the withheld note holds only the public sentence,
and the file of an earlier run is removed. The next good run writes the file and clears the note.
A fault that is not about the file (no gated table) still fails the step."""

import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml
from dagster import (
    AssetCheckEvaluation,
    AssetCheckSeverity,
    ExecuteInProcessResult,
    StaticPartitionsDefinition,
    materialize,
)

from pipelines.contracts import load_spec
from pipelines.defs import integrity as integrity_defs
from pipelines.integrity import red_flags
from pipelines.integrity.ocds_schema import forget_unreachable
from pipelines.integrity.partition import (
    FLAGS_CSV,
    FLAGS_JSON,
    FLAGS_PARQUET,
    NOT_PRODUCED,
    flags_note_path,
    gated_table_path,
    integrity_dir,
    package_path,
    screened_table_path,
    withheld_note_path,
    withhold_flags,
)
from pipelines.publish.request import derived_resources, withheld_resources
from pipelines.settings import REPO_ROOT, get_settings

PARTITIONS = StaticPartitionsDefinition(["cgd"])
OLD_PACKAGE = '{"publishedDate": "2020-01-01T00:00:00+07:00", "releases": []}'


@pytest.fixture
def data_dir(tmp_path, monkeypatch, ocds_schema_dir, make_project, make_table):
    monkeypatch.setenv("OGP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OGP_OCDS_SCHEMA_DIR", str(ocds_schema_dir))
    get_settings.cache_clear()
    integrity_defs.clear_validator_cache()
    forget_unreachable()
    data = tmp_path / "data"
    path = gated_table_path(data, "cgd")
    path.parent.mkdir(parents=True)
    rows = [make_project(1, number_of_bidders=1), make_project(2)]
    pq.write_table(make_table(rows), path)
    pq.write_table(make_table(rows), screened_table_path(data, "cgd"))
    yield data
    get_settings.cache_clear()
    integrity_defs.clear_validator_cache()
    forget_unreachable()


def run() -> ExecuteInProcessResult:
    result = materialize(integrity_defs.build_integrity_assets(PARTITIONS), partition_key="cgd")
    assert result.success, "a failing derived file never fails its step"
    return result


def metadata_of(result: ExecuteInProcessResult) -> dict[str, dict[str, Any]]:
    return {
        event.asset_key.path[-1]: {
            key: value.value
            for key, value in event.step_materialization_data.materialization.metadata.items()
        }
        for event in result.get_asset_materialization_events()
        if event.asset_key is not None
    }


def checks_of(result: ExecuteInProcessResult) -> dict[str, AssetCheckEvaluation]:
    return {
        evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()
    }


def old_package(data_dir: Path) -> Path:
    path = package_path(data_dir, "cgd")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(OLD_PACKAGE, encoding="utf-8")
    return path


def assert_failed_and_withheld(result: ExecuteInProcessResult, data_dir: Path, reason: str) -> None:
    meta = metadata_of(result)["procurement_ocds"]
    assert meta["status"] == "failed"
    assert meta["reason"].startswith(reason), meta["reason"]
    check = checks_of(result)["ocds_package_valid"]
    assert not check.passed
    assert check.severity is AssetCheckSeverity.ERROR
    assert check.description == meta["reason"]
    assert check.metadata["reason"].value == meta["reason"]
    assert not package_path(data_dir, "cgd").exists(), "the earlier package is removed"
    note = json.loads(withheld_note_path(data_dir, "cgd").read_text(encoding="utf-8"))
    assert note == {
        "resource": "ocds_release_package.json",
        "reason": NOT_PRODUCED.reason,
        "reason_th": NOT_PRODUCED.reason_th,
    }
    assert reason not in json.dumps(note), "the cause stays off the public text"
    # the red flags are not affected
    assert metadata_of(result)["procurement_red_flags"]["status"] == "published"
    assert checks_of(result)["red_flags_computed"].passed


def use_schema_dir(monkeypatch, folder: Path) -> None:
    monkeypatch.setenv("OGP_OCDS_SCHEMA_DIR", str(folder))
    get_settings.cache_clear()
    integrity_defs.clear_validator_cache()


def test_an_empty_schema_folder_fails_the_package_only_and_a_good_run_restores_it(
    data_dir, monkeypatch, ocds_schema_dir, tmp_path
):
    stale = old_package(data_dir)
    empty = tmp_path / "empty-schema"
    empty.mkdir()
    use_schema_dir(monkeypatch, empty)

    assert_failed_and_withheld(run(), data_dir, "the OCDS schema is unusable: ")
    assert str(empty) in metadata_of(run())["procurement_ocds"]["reason"], "names the folder"
    assert not stale.exists()

    use_schema_dir(monkeypatch, ocds_schema_dir)
    result = run()
    meta = metadata_of(result)["procurement_ocds"]
    assert (meta["status"], meta["releases"]) == ("published", 2)
    assert "reason" not in meta
    assert checks_of(result)["ocds_package_valid"].passed
    assert json.loads(package_path(data_dir, "cgd").read_text(encoding="utf-8"))["releases"]
    assert not withheld_note_path(data_dir, "cgd").exists()


def test_a_corrupt_schema_file_fails_the_package(data_dir, monkeypatch, ocds_schema_dir, tmp_path):
    old_package(data_dir)
    folder = tmp_path / "corrupt-schema"
    folder.mkdir()
    shutil.copyfile(ocds_schema_dir / "release-schema.json", folder / "release-schema.json")
    (folder / "release-package-schema.json").write_text("{truncated", encoding="utf-8")
    use_schema_dir(monkeypatch, folder)

    result = run()

    assert_failed_and_withheld(result, data_dir, "the OCDS schema is unusable: ")
    assert "release-package-schema.json" in metadata_of(result)["procurement_ocds"]["reason"]


def test_an_invalid_package_is_withheld_and_a_valid_one_publishes(
    data_dir, monkeypatch, ocds_schema_dir, tmp_path
):
    old_package(data_dir)
    # A schema that requires a release field our export never writes: every release is invalid.
    folder = tmp_path / "strict-schema"
    shutil.copytree(ocds_schema_dir, folder)
    schema = json.loads((folder / "release-schema.json").read_text(encoding="utf-8"))
    schema["required"] = [*schema.get("required", []), "x_required_by_this_test"]
    (folder / "release-schema.json").write_text(json.dumps(schema), encoding="utf-8")
    use_schema_dir(monkeypatch, folder)

    result = run()

    assert_failed_and_withheld(
        result, data_dir, "the OCDS package of cgd is invalid against the schema (2 error(s)"
    )
    meta = metadata_of(result)["procurement_ocds"]
    assert "x_required_by_this_test" in meta["reason"]
    assert meta["validation_errors"] == 2
    assert "| path | keyword | message |" in meta["issues"]

    use_schema_dir(monkeypatch, ocds_schema_dir)
    again = run()
    assert metadata_of(again)["procurement_ocds"]["status"] == "published"
    assert checks_of(again)["ocds_package_valid"].passed
    assert package_path(data_dir, "cgd").is_file()
    assert not withheld_note_path(data_dir, "cgd").exists()


def test_an_unknown_red_flag_check_withholds_the_flags_only(data_dir, monkeypatch, tmp_path):
    specs = yaml.safe_load(
        (REPO_ROOT / "datasets" / "procurement" / "red_flags.yaml").read_text(encoding="utf-8")
    )
    specs["flags"][0]["check"] = "no_such_check"
    broken = tmp_path / "red_flags.yaml"
    broken.write_text(yaml.safe_dump(specs, allow_unicode=True), encoding="utf-8")
    assert run().success  # flags of an earlier run, to be removed
    folder = integrity_dir(data_dir, "cgd")
    assert (folder / FLAGS_CSV).is_file()
    real = red_flags.default_specs_path
    monkeypatch.setattr(red_flags, "default_specs_path", lambda: broken)

    result = run()

    meta = metadata_of(result)["procurement_red_flags"]
    assert meta["status"] == "failed"
    assert meta["reason"].startswith("the red flags cannot be computed: ")
    assert "unknown check 'no_such_check'" in meta["reason"]
    check = checks_of(result)["red_flags_computed"]
    assert not check.passed
    assert check.severity is AssetCheckSeverity.ERROR
    assert check.description == meta["reason"]
    for name in (FLAGS_CSV, FLAGS_PARQUET, FLAGS_JSON):
        assert not (folder / name).exists(), f"{name} of the earlier run is removed"
    note = json.loads(flags_note_path(data_dir, "cgd").read_text(encoding="utf-8"))
    assert note["reason"] == NOT_PRODUCED.reason
    assert "no_such_check" not in json.dumps(note)
    # the package is not affected
    assert metadata_of(result)["procurement_ocds"]["status"] == "published"
    assert checks_of(result)["ocds_package_valid"].passed

    monkeypatch.setattr(red_flags, "default_specs_path", real)
    restored = run()
    assert metadata_of(restored)["procurement_red_flags"]["status"] == "published"
    assert (folder / FLAGS_CSV).is_file()
    assert not flags_note_path(data_dir, "cgd").exists()


def test_a_missing_gated_table_still_fails_the_steps(data_dir):
    gated_table_path(data_dir, "cgd").unlink()
    result = materialize(
        integrity_defs.build_integrity_assets(PARTITIONS), partition_key="cgd", raise_on_error=False
    )
    assert not result.success
    assert {event.step_key for event in result.get_step_failure_events()} == {
        "procurement_ocds",
        "procurement_red_flags",
    }
    assert not withheld_note_path(data_dir, "cgd").exists()
    assert not flags_note_path(data_dir, "cgd").exists()


def test_the_checks_are_evaluated_per_partition(data_dir):
    evaluations = run().get_asset_check_evaluations()
    assert {(e.check_name, e.partition) for e in evaluations} == {
        ("ocds_package_valid", "cgd"),
        ("red_flags_computed", "cgd"),
    }


def test_withheld_red_flags_are_left_out_of_the_publication_with_the_public_sentence(data_dir):
    assert run().success
    withhold_flags("cgd", data_dir, NOT_PRODUCED)
    spec = load_spec("procurement")

    published = [r.name for r in derived_resources(spec, "cgd", data_dir)]
    (withheld,) = withheld_resources(spec, "cgd", data_dir)

    assert published == ["ocds-release-package.json"]
    assert (withheld.name, withheld.reason, withheld.reason_th) == (
        "red-flags.csv",
        NOT_PRODUCED.reason,
        NOT_PRODUCED.reason_th,
    )
