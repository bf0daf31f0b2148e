"""present: agency codes are rewritten only where the figure builders emit them (review 4,
L1), and a points figure shows its maximum."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipelines.readiness import present
from pipelines.readiness.present import Names, amount

REGISTRY = {
    "rid": ("กรมชลประทาน", "Royal Irrigation Department"),
    "dla": ("กรมส่งเสริมการปกครองท้องถิ่น", "Department of Local Administration"),
    "doh": ("กรมทางหลวง", "Department of Highways"),
}


@pytest.fixture
def names() -> Names:
    return Names(REGISTRY, ["EIU Democracy Index"], markup=False)


@pytest.mark.parametrize(
    "text",
    [
        "The Act aims to rid applicants of repeated visits",
        "figures per dla agency",
        "EIU index (doh) of the year",
        "rid-procurement",
        "see doh.go.th",
        "rid applicants",
    ],
)
def test_a_code_outside_an_agency_reference_is_an_ordinary_word(names: Names, text: str) -> None:
    assert names.en(text) == text
    assert names.th(text) == text


def test_a_per_agency_label_names_its_agency(names: Names) -> None:
    assert (
        names.en("Red-flag rate, agency: rid")
        == "Red-flag rate, agency: Royal Irrigation Department"
    )
    assert names.th("อัตรา หน่วยงาน: rid") == "อัตรา หน่วยงาน: กรมชลประทาน"


def test_the_partitions_not_readable_are_named_up_to_the_full_stop(names: Names) -> None:
    assert names.en("1 unknown; not readable: dla, doh.") == (
        "1 unknown; not readable: Department of Local Administration, Department of Highways."
    )
    assert names.th("อ่านข้อมูลไม่ได้: doh (ได้รับ") == "อ่านข้อมูลไม่ได้: กรมทางหลวง (ได้รับ"


def test_a_text_that_is_a_code_alone_is_the_agency(names: Names) -> None:
    assert names.en("dla") == "Department of Local Administration"
    assert names.en("dla blocked") == "dla blocked"


def test_markup_escapes_once_and_cites_titles() -> None:
    shown = Names(REGISTRY, ["EIU Democracy Index"]).en("<b> agency: rid & EIU Democracy Index")
    assert str(shown) == (
        "&lt;b&gt; agency: Royal Irrigation Department &amp; "
        '<cite lang="en">EIU Democracy Index</cite>'
    )


def test_points_show_their_maximum() -> None:
    assert amount(191.2, "points", maximum=405) == "191.2 / 405"
    assert amount(12, "points", 12, 16) == "12 / 16"
    assert amount(191.2, "points") == "191.2"  # no maximum known: never an invented one


def test_every_list_of_codes_a_module_emits_follows_a_marker() -> None:
    """A module that lists agencies after a phrase of its own must register the phrase in
    AGENCY_MARKERS, or the page shows raw codes (review 4 L1): every ``<phrase>: {', '.join(``
    in the readiness modules ends with a marker."""
    listed = re.compile(r"""["']([^"'{]*?): \{', '\.join\(""")
    phrases = {
        match.group(1).strip(" ;")
        for path in Path(present.__file__).parent.glob("*.py")
        for match in listed.finditer(path.read_text(encoding="utf-8"))
    }
    assert phrases  # the check reads something: licensing and red_flag_rate list agencies
    for phrase in phrases - {""}:  # "": the marker is in the text before (not readable{names})
        assert phrase.endswith(present.AGENCY_MARKERS), phrase
