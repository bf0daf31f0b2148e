"""From the real procurement contract to a publish request: resources, metadata, descriptor."""

from __future__ import annotations

import json
from pathlib import Path

import frictionless
import pyarrow as pa

from pipelines.contracts import load_spec
from pipelines.integrity.ocds_schema import OcdsSchemaUnavailableError
from pipelines.publish.metadata import dataset_dict
from pipelines.publish.request import (
    WITHHELD_KEY,
    WithheldResource,
    build_request,
    csv_resources,
    derived_resources,
    fiscal_years,
    withheld_resources,
)


def test_one_csv_per_fiscal_year_then_descriptor_and_report(make_request) -> None:
    request = make_request("ag", {2025: 2, 2024: 3})
    assert [r.name for r in request.resources] == [
        "procurement-fy2024.csv",
        "procurement-fy2025.csv",
        "datapackage.json",
        "validation-report.json",
        "validation-report.html",
    ]
    fy2024 = request.resources[0]
    assert fy2024.period == "fy2024"
    assert fy2024.datastore is not None
    assert fy2024.datastore.num_rows == 3
    assert fy2024.datastore.primary_key == ("project_id",)
    assert "พ.ศ. 2567" in fy2024.description


def test_metadata_carries_dga_fields_and_coverage_from_the_data(make_request) -> None:
    dataset = make_request("ag", {2023: 1, 2025: 1}).dataset
    assert dataset.name == "ag-procurement"
    assert dataset.owner_org == "ag"
    assert dataset.catalog_fields["data_category"] == "ข้อมูลสาธารณะ"
    # The contract says 2567-2568; the data says FY2023-FY2025 (B.E. 2566-2568).
    assert (
        dataset.catalog_fields["first_year_of_data"],
        dataset.catalog_fields["last_year_of_data"],
    ) == ("2566", "2568")
    assert dataset.extras == {
        "frequency": "monthly",
        "temporal_start": "2022-10-01",
        "temporal_end": "2025-09-30",
    }
    assert dataset.title_th.startswith("ข้อมูลการจัดซื้อจัดจ้างภาครัฐ — กรมทดสอบ")


def test_published_files_form_a_valid_data_package(make_request, tmp_path: Path) -> None:
    request = make_request("ag")
    for resource in request.resources:
        (tmp_path / resource.name).write_bytes(resource.content)
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])
    descriptor = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    assert [r["path"] for r in descriptor["resources"]] == [r.name for r in request.resources[:2]]
    assert descriptor["title"].startswith("ข้อมูลการจัดซื้อจัดจ้างภาครัฐ")
    # The descriptor pins the published bytes: a changed file no longer matches it.
    (tmp_path / "procurement-fy2024.csv").write_bytes(request.resources[0].content + b"\n")
    tampered = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert {"hash-count", "byte-count"} & {e[0] for e in tampered.flatten(["type"])}


def test_same_input_gives_the_same_bytes(make_request) -> None:
    first, second = make_request("ag"), make_request("ag")
    assert [r.content_hash for r in first.resources] == [r.content_hash for r in second.resources]


def test_fiscal_year_from_a_date_starts_in_october() -> None:
    import datetime as dt

    table = pa.table({"d": pa.array([dt.date(2023, 9, 30), dt.date(2023, 10, 1)], pa.date32())})
    assert fiscal_years(table, "d").to_pylist() == [2023, 2024]


def test_family_with_a_date_period_splits_by_fiscal_year() -> None:
    import datetime as dt

    spec = load_spec("decisions")
    table = pa.table(
        {
            "decision_id": ["a", "b", "c"],
            "decision_date": pa.array(
                [dt.date(2023, 12, 1), dt.date(2024, 10, 2), dt.date(2024, 11, 2)], pa.date32()
            ),
        }
    )
    resources, years = csv_resources(spec, table)
    assert years == [2024, 2025]
    assert [r.datastore.num_rows for r in resources if r.datastore] == [1, 2]


def test_extra_resources_are_published_and_described(report_files) -> None:
    from pipelines.publish.model import ResourceFile
    from pipelines.publish.request import build_request

    from .publish_samples import procurement_table, sample_agency

    ocds = ResourceFile(
        name="ocds-release-package.json",
        content=b'{"releases": []}',
        format="JSON",
        mimetype="application/json",
    )
    request = build_request(
        load_spec("procurement"),
        sample_agency("ag"),
        procurement_table({2024: 2}),
        report_files,
        extra_resources=(ocds,),
    )
    names = [r.name for r in request.resources]
    assert names.index("ocds-release-package.json") < names.index("datapackage.json")
    descriptor = json.loads(request.resources[names.index("datapackage.json")].content)
    assert "ocds-release-package.json" in [r["path"] for r in descriptor["resources"]]


# --- a derived file withheld (the OCDS package while its schema is offline) ---------------------


def _withheld_ocds() -> WithheldResource:
    # The public sentence the integrity asset writes when the schema download fails.
    offline = OcdsSchemaUnavailableError(
        "https://user:pw@mirror.example/schema/1__1__5/?token=t0k", "no network"
    )
    return WithheldResource(
        name="ocds-release-package.json",
        description_th="ข้อมูลการจัดซื้อจัดจ้างตามมาตรฐาน OCDS",
        description_en="Procurement as an OCDS release package",
        reason=offline.what,
        reason_th=offline.what_th,
    )


def test_a_withheld_note_wins_over_a_file_left_from_an_earlier_run(tmp_path: Path) -> None:
    from pipelines.integrity.partition import Withheld, withhold_package

    spec = load_spec("procurement")
    folder = tmp_path / "integrity" / "procurement" / "ag"
    folder.mkdir(parents=True)
    (folder / "red_flags.csv").write_text("agency_code,project_id,flag_id,detail\n")
    assert [r.name for r in derived_resources(spec, "ag", tmp_path)] == ["red-flags.csv"]
    assert withheld_resources(spec, "ag", tmp_path) == ()

    # a package from an earlier run, then the note (as if the run stopped before removing it)
    (folder / "ocds_release_package.json").write_text('{"releases": []}')
    assert "ocds-release-package.json" in [r.name for r in derived_resources(spec, "ag", tmp_path)]
    note = withhold_package("ag", tmp_path, Withheld("the schema is offline", "สคีมาออฟไลน์"))
    (folder / "ocds_release_package.json").write_text('{"releases": []}')  # put back: note wins
    assert note.is_file()

    assert [r.name for r in derived_resources(spec, "ag", tmp_path)] == ["red-flags.csv"]
    (withheld,) = withheld_resources(spec, "ag", tmp_path)
    assert (withheld.name, withheld.reason, withheld.reason_th) == (
        "ocds-release-package.json",
        "the schema is offline",
        "สคีมาออฟไลน์",
    )
    assert withheld.description_en == spec.derived_resources[0].description.en


def test_a_withheld_resource_is_withdrawn_and_explained_in_both_languages(report_files) -> None:
    from .publish_samples import procurement_table, sample_agency

    spec = load_spec("procurement")
    table = procurement_table({2024: 2})
    request = build_request(
        spec, sample_agency("ag"), table, report_files, withheld=[_withheld_ocds()]
    )

    names = [r.name for r in request.resources]
    assert "ocds-release-package.json" not in names
    assert request.withdrawn == ("ocds-release-package.json",)
    descriptor = json.loads(request.resources[names.index("datapackage.json")].content)
    assert "ocds-release-package.json" not in [r["path"] for r in descriptor["resources"]]
    dataset = request.dataset
    assert dataset.notes_th.startswith(spec.description.th + "\n\n**ยังไม่เผยแพร่ ocds-release")
    assert (
        "ในรุ่นนี้ เนื่องจากไม่สามารถรับสคีมา OCDS 1.1.5 ฉบับทางการได้ขณะเผยแพร่ชุดข้อมูลนี้ "
        "จะเผยแพร่ในการประมวลผลครั้งแรกที่ทำได้"
    ) in dataset.notes_th
    english = (
        "**ocds-release-package.json is withheld from this version** (Procurement as an OCDS "
        "release package): the official OCDS 1.1.5 schema could not be obtained when this "
        "dataset was published. It is published on the first run where it can be"
    )
    for public in (dataset.notes_th, dataset.notes_en, *dataset.extras.values()):
        for private in ("mirror.example", "user:pw", "t0k", "no network"):
            assert private not in public
    assert english in dataset.notes_th
    assert dataset.notes_en.startswith(spec.description.en + "\n\n" + english)
    assert dataset.extras[WITHHELD_KEY] == "ocds-release-package.json"

    # The first run with the package: no paragraph, no extra, nothing withdrawn.
    again = build_request(spec, sample_agency("ag"), table, report_files)
    assert (again.dataset.notes_th, again.dataset.notes_en) == (
        spec.description.th,
        spec.description.en,
    )
    assert WITHHELD_KEY not in again.dataset.extras
    assert again.withdrawn == ()
    assert dataset_dict(again.dataset) != dataset_dict(dataset), "the page changes back"
