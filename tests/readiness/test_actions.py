"""Next steps derived from the figures' statuses (review 4, M3): each kind occurs once in a
hand-made fixture, and a figure nobody planned for still gives its step."""

from __future__ import annotations

from pipelines.readiness.actions import KINDS, figure_steps, kind_of
from pipelines.readiness.figures import Figure
from pipelines.readiness.wording import VOCABULARY

PORTAL = "http://127.0.0.1:5000"


def fig(key: str, value: object, unit: str = "count", **kw: object) -> Figure:
    return Figure(
        key=key,
        label_th=f"ป้าย {key}",
        label_en=f"label {key}",
        value=value,
        unit=unit,
        evidence=[f"{PORTAL}/{key}"],
        **kw,
    )


def fixture() -> list[tuple[str | None, Figure]]:
    return [
        ("dla", fig("partitions_blocked_personal_data", 1, numerator=1, denominator=3)),
        ("cgd", fig("partitions_blocked_personal_data", 0, numerator=0, denominator=3)),
        ("doh", fig("timeliness", 0.5, "share", numerator=1, denominator=2)),
        ("fda", fig("timeliness", 1.0, "share", numerator=2, denominator=2)),
        (None, fig("timeliness", 0.75, "share", numerator=3, denominator=4)),  # portal-wide
        (None, fig("cocreation_national_standards_met", None, note_en="no host", note_th="ไม่มี")),
        (None, fig("oit_mapping", 2568, "year", status="provisional", verified=False)),
        (
            None,
            fig(
                "cocreation_inputs_met",
                0.0,
                "share",
                numerator=0,
                denominator=3,
                status="provisional",
            ),
        ),
        (None, fig("brand_new_figure", None, note_en="not entered", note_th="ยังไม่ป้อน")),
        ("rid", fig("brand_new_figure", 1, status="fail")),
        (None, fig("sound_figure", 3)),
        ("cgd", fig("score", 0.5, "share", status="provisional")),  # follows the OIT mapping
        (None, fig("eligibility_points", 12, "points", status="provisional")),  # "verify" steps
    ]


def test_each_kind_of_step_comes_from_the_figures() -> None:
    steps = [(kind, agency) for kind, _, _, _, agency in figure_steps(fixture())]
    assert steps == [
        ("blocked", "dla"),  # cgd has nothing blocked
        ("late", "doh"),  # fda is timely; the portal-wide figure repeats the agencies
        ("national", None),
        ("mapping", None),
        ("cocreation", None),
        ("figures", None),
        ("figures", "rid"),
    ]


def test_a_blocked_partition_says_remove_the_personal_data_and_resend() -> None:
    kind, th, en, evidence, agency = figure_steps(fixture())[0]
    assert (kind, agency) == ("blocked", "dla")
    assert en == "remove the personal data and resend the blocked file (1/3)"
    assert th.startswith("ลบข้อมูลส่วนบุคคล")
    assert evidence == [f"{PORTAL}/partitions_blocked_personal_data"]


def test_a_figure_nobody_planned_for_still_gives_a_step() -> None:
    assert kind_of(fig("brand_new_figure", None)) == "figures"
    assert kind_of(fig("brand_new_figure", 0.2, "share", status="provisional")) == "figures"
    assert kind_of(fig("brand_new_figure", 0.2, "share")) is None  # sound: no step
    step = figure_steps([(None, fig("brand_new_figure", None, note_en="x", note_th="ก"))])[0]
    assert step[2] == "complete or confirm this figure: label brand_new_figure: x"


def test_every_kind_has_words_in_both_languages() -> None:
    assert set(VOCABULARY["action"]) == set(KINDS)
    assert all(th and en for th, en in VOCABULARY["action"].values())


def test_a_per_agency_step_leaves_the_agency_to_its_subject() -> None:
    per_agency = Figure(
        key="licensing_on_time_dla",
        label_th="การอนุญาตทันเวลา หน่วยงาน: dla",
        label_en="Licences on time, agency: dla",
        value=None,
        unit="share",
        evidence=[f"{PORTAL}/organization/dla"],
        note_th="อ่านไม่ได้",
        note_en="not readable",
    )
    kind, th, en, _, agency = figure_steps([("dla", per_agency)])[0]
    assert (kind, agency) == ("figures", "dla")
    assert en == "complete or confirm this figure: Licences on time: not readable"
    assert th == "ทำให้ตัวเลขนี้ครบถ้วนหรือยืนยันได้: การอนุญาตทันเวลา: อ่านไม่ได้"


def test_a_late_step_carries_what_the_figure_says_is_late() -> None:
    late = fig(
        "timeliness",
        0.0,
        "share",
        numerator=0,
        denominator=1,
        note_th="จัดซื้อจัดจ้าง ถึง 2567-08",
        note_en="procurement up to 2024-08",
    )
    _, th, en, _, _ = figure_steps([("rid", late)])[0]
    assert en == "publish current data at the declared frequency (0/1): procurement up to 2024-08"
    assert th.endswith("(0/1): จัดซื้อจัดจ้าง ถึง 2567-08")
