"""Names in files resolve to registry codes (``normalize.resolve``), and value aliases match
whatever the case, spacing, punctuation or a parenthesised gloss.

The real agency registry (datasets/agencies/agencies.csv, read only) and the real procurement
contract; other registries and files are generated here.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pytest

from pipelines.contracts import load_spec
from pipelines.normalize.cast import CastContext, cast_column, value_lookup
from pipelines.normalize.resolve import load_registry, resolve_column
from pipelines.normalize.table import normalize_file
from pipelines.settings import REPO_ROOT

DATASETS = REPO_ROOT / "datasets"
DLA = "กรมส่งเสริมการปกครองท้องถิ่น"


def resolve(*cells: str | None, registry: str = "agencies", datasets: Path = DATASETS):
    codes, errors, _ = resolve_column(
        pa.array(list(cells), pa.string()), load_registry(datasets, registry), "agency_code", 0
    )
    return codes.to_pylist(), errors


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("dla", "dla"),
        ("DLA", "dla"),  # an alias of the registry, and the code in capitals
        ("สถ.", "dla"),
        ("สถ", "dla"),
        (DLA, "dla"),
        ("ส่งเสริมการปกครองท้องถิ่น", "dla"),  # without กรม
        ("กรม ส่งเสริม การปกครอง ท้องถิ่น", "dla"),  # spaced out
        ("กรมส่งเสริมการปกครองท้องถิ่น (กระทรวงมหาดไทย)", "dla"),  # the ministry in parentheses
        ("Department of Local Administration", "dla"),
        ("department  of local\tadministration", "dla"),
        ("กรมชลประทาน (กระทรวงเกษตรและสหกรณ์)", "rid"),
        ("ROYAL IRRIGATION DEPARTMENT", "rid"),
        ("The Comptroller General's Department", "cgd"),
        ("Comptroller Generals Department", "cgd"),  # no "The", no apostrophe
        ("สำนักงานคณะกรรมการอาหารและยา", "fda"),
        ("สนง.คณะกรรมการอาหารและยา", "fda"),  # the usual abbreviation of สำนักงาน
        ("คณะกรรมการอาหารและยา", "fda"),
        ("Thai FDA", "fda"),
        ("อย.", "fda"),
        ("สพฐ.", "obec"),
    ],
)
def test_codes_names_abbreviations_and_variants_resolve_to_the_code(cell: str, code: str) -> None:
    assert resolve(cell) == ([code], [])


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("ＤＬＡ", "dla"),  # full-width letters
        ("กรมส่งเสริม\u200bการปกครอง\u200dท้องถิ่น", "dla"),  # zero-width space and joiner
        ("กรมทาง\u00a0หลวง", "doh"),  # NBSP
        ("\ufeffกรมทางหลวง\u00a0", "doh"),  # a BOM pasted in front
        ("กรมชลประทาน（กระทรวงเกษตรและสหกรณ์）", "rid"),  # full-width parentheses
        ("Royal Irrigation Department (Ministry of Agriculture)", "rid"),
    ],
)
def test_hostile_spellings_of_a_registered_name_resolve(cell: str, code: str) -> None:
    assert resolve(cell) == ([code], [])


@pytest.mark.parametrize(
    ("cell", "closest"),
    [
        ("กรมทางหลวงชนบท", "กรมทางหลวง (doh)"),  # another department, not registered
        ("กรมชลประทานจังหวัด", "กรมชลประทาน (rid)"),
        ("Department of Local Administrations", "กรมส่งเสริมการปกครองท้องถิ่น (dla)"),
        ("กรม", None),  # only the prefix: no body named
        ("(กระทรวงมหาดไทย)", None),  # only the ministry
        ("DLA\u200bX", None),  # a hidden character does not make it DLA
        ("ｄｌａ-2", None),
    ],
)
def test_an_unknown_name_is_an_error_naming_the_closest_registered_names(
    cell: str, closest: str | None
) -> None:
    codes, errors = resolve("dla", cell)
    assert codes == ["dla", None]
    (error,) = errors
    assert error["row_number"] == 3
    assert error["field"] == "agency_code"
    assert error["note"].startswith("not in the agencies registry; closest registered: ")
    named = error["note"].split(": ", 1)[1].split("; ")
    assert len(named) == 3
    assert set(named) <= registered_labels()
    if closest is not None:
        assert closest in named


def registered_labels() -> set[str]:
    with (DATASETS / "agencies" / "agencies.csv").open(encoding="utf-8") as handle:
        return {f"{row['name_th']} ({row['agency_code']})" for row in csv.DictReader(handle)}


def test_a_name_two_registry_rows_share_resolves_to_neither(tmp_path: Path) -> None:
    folder = tmp_path / "offices"
    folder.mkdir()
    with (folder / "offices.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["office_code", "name_th", "aliases"])
        writer.writerow(["north", "สำนักงานเขต (ภาคเหนือ)", "สข.1"])
        writer.writerow(["south", "สำนักงานเขต (ภาคใต้)", "สข.2"])
    codes, errors = resolve(
        "สำนักงานเขต", "สข 2", "สำนักงานเขต (ภาคใต้)", registry="offices", datasets=tmp_path
    )
    assert codes == [None, "south", "south"]
    (error,) = errors
    assert error["note"] == "matches several entries of the offices registry (north, south)"


def test_an_entry_keeps_its_own_code_when_another_lists_it_as_an_alias(tmp_path: Path) -> None:
    folder = tmp_path / "offices"
    folder.mkdir()
    with (folder / "offices.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["office_code", "name_th", "aliases"])
        writer.writerow(["doh", "กรมทางหลวง", ""])
        writer.writerow(["anamai", "กรมอนามัย", "อน.|DOH"])  # Department of Health
    codes, errors = resolve("doh", "DOH", "กรมอนามัย", registry="offices", datasets=tmp_path)
    assert (codes, errors) == (["doh", "doh", "anamai"], [])


def test_a_parenthesised_part_naming_another_entry_resolves_to_neither() -> None:
    codes, errors = resolve("fda (กรมบัญชีกลาง)", "กรมบัญชีกลาง (cgd)", "กรมชลประทาน (กระทรวงเกษตรฯ)")
    assert codes == [None, "cgd", "rid"]
    (error,) = errors
    assert error["note"] == "names two entries of the agencies registry (cgd, fda)"


def test_only_the_first_unknown_names_are_given_the_closest_ones() -> None:
    from pipelines.normalize.resolve import EXPLAINED

    _, errors = resolve(*(f"หน่วยงานที่ไม่มี {n}" for n in range(EXPLAINED + 5)))
    notes = [error["note"] for error in errors]
    assert all("closest registered" in note for note in notes[:EXPLAINED])
    assert set(notes[EXPLAINED:]) == {"not in the agencies registry"}


def test_resolution_works_once_per_distinct_value_on_a_million_rows() -> None:
    cells = pa.array([DLA, "สถ.", "dla", None, "กรมทางหลวงชนบท"] * 200_000, pa.string())
    codes, errors, renamed = resolve_column(
        cells, load_registry(DATASETS, "agencies"), "agency_code", 0
    )
    assert codes.to_pylist()[:5] == ["dla", "dla", "dla", None, None]
    assert codes.null_count == 400_000
    assert renamed == 400_000  # the Thai name and the abbreviation; the code is itself
    assert len(errors) == 1000  # listed up to the cap, each row named
    assert [e["row_number"] for e in errors[:2]] == [6, 11]


def write_procurement(path: Path, agencies: list[str]) -> Path:
    spec = load_spec("procurement")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(spec.field_names)
        for number, agency in enumerate(agencies, start=1):
            row = {
                "project_id": f"680100{number:05d}",
                "agency_code": agency,
                "fiscal_year": "2568",
                "project_name": f"โครงการ {number}",
                "method": "วิธีเฉพาะเจาะจง",
                "budget": "1,000.00",
                "status": "announced",
                "announce_date": "01/11/2567",
            }
            writer.writerow([row.get(name, "") for name in spec.field_names])
    return path


def test_normalisation_resolves_agency_names_and_reports_the_unknown_row(tmp_path: Path) -> None:
    path = write_procurement(tmp_path / "p.csv", [DLA, "กรมทางหลวงชนบท", "RID"])
    result = normalize_file(path, load_spec("procurement"))
    assert result.table.column("agency_code").to_pylist() == ["dla", None, "rid"]
    (error,) = result.cast_errors
    assert (error["row_number"], error["field"], error["type"]) == (3, "agency_code", "type-error")
    assert "กรมทางหลวง (doh)" in error["note"]
    counts = result.metadata()["normalizations"]
    assert counts["resolved_agency_code"] == 2
    assert counts["cast_errors"] == 1


# --- value aliases ---------------------------------------------------------------------------


def method_codes(*cells: str) -> list[str | None]:
    spec = load_spec("procurement")
    context = CastContext(
        spec_field=spec.field("method"),
        value_aliases=spec.aliases.values["method"],
        buddhist_era_year=False,
    )
    return cast_column(pa.array(list(cells), pa.string()), context)[1].to_pylist()


def test_a_value_with_or_without_its_gloss_in_any_case_or_spacing_is_one_code() -> None:
    assert (
        method_codes(
            "วิธีตลาดอิเล็กทรอนิกส์ (e-market)",
            "e-market",
            "E-MARKET",
            "e market",
            "ตลาดอิเล็กทรอนิกส์",
            "ตลาด อิเล็กทรอนิกส์ (E-Market)",
            "วิธีประกาศเชิญชวนทั่วไป",
            "ประกวดราคาอิเล็กทรอนิกส์ (e-bidding)",
            "วิธีเฉพาะเจาะจง",
            "specific",
        )
        == ["e_market"] * 6 + ["e_bidding"] * 2 + ["specific"] * 2
    )


def test_a_value_whose_name_and_gloss_disagree_or_are_unknown_is_left_for_the_enum() -> None:
    # left as written: the enum check names it, nothing is guessed
    assert method_codes("ตลาดอิเล็กทรอนิกส์ (e-bidding)", "วิธีพิเศษ", "วิธีพิเศษ (e-market)x") == [
        "ตลาดอิเล็กทรอนิกส์ (e-bidding)",
        "วิธีพิเศษ",
        "วิธีพิเศษ (e-market)x",
    ]
    # a gloss never stands in for an unknown value, nor a known value for an unknown gloss
    assert method_codes("วิธีพิเศษ (e-market)", "วิธีเฉพาะเจาะจง (direct hire)") == [
        "วิธีพิเศษ (e-market)",
        "วิธีเฉพาะเจาะจง (direct hire)",
    ]


def test_two_codes_whose_variants_read_the_same_are_refused() -> None:
    with pytest.raises(ValueError, match="reads the same as a variant of e_market"):
        value_lookup({"e_market": ["e-market"], "e_bidding": ["E Market"]})
    assert value_lookup({"a": ["x-1"], "b": ["x-2"]}) == {"a": "a", "x1": "a", "b": "b", "x2": "b"}
