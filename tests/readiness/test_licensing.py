"""Licensing Facilitation Act B.E. 2558: licence and permit decisions within their deadline,
per agency, from the published decisions (hand-computed)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipelines.layout import report_json_path, schema_valid_path
from pipelines.readiness.licensing import (
    ACT_URL,
    LicensingCount,
    classify,
    count,
    licensing_figures,
)

from .conftest import PORTAL, dataset, organization, snapshot
from .published_data import decision, write_published

D = dt.date

# aaa, hand-counted: on time 2 (#1 exactly 30 of 30 days, #7 9 of 15), late 1 (#2 31 of 30),
# unknown 3 (#3 no deadline, #4 no application date, #8 decided before applied); #5 withdrawn
# and #6 an agency order are not licensing decisions.
AAA = [
    decision(1, "licence", D(2025, 1, 1), D(2025, 1, 31), 30),
    decision(2, "permit", D(2025, 1, 1), D(2025, 2, 1), 30),
    decision(3, "licence", D(2025, 1, 1), D(2025, 1, 5), None),
    decision(4, "licence", None, D(2025, 1, 5), 30),
    decision(5, "licence", D(2025, 1, 1), D(2025, 6, 1), 30, outcome="withdrawn"),
    decision(6, "agency_order", D(2025, 1, 1), D(2025, 6, 1), 30),
    decision(7, "permit", D(2025, 3, 1), D(2025, 3, 10), 15),
    decision(8, "licence", D(2025, 3, 10), D(2025, 3, 1), 15),
]


def test_each_decision_is_on_time_late_unknown_or_not_counted() -> None:
    assert [classify(row) for row in AAA] == [
        "on_time",
        "late",
        "unknown",
        "unknown",
        None,
        None,
        "on_time",
        "unknown",
    ]
    assert count(AAA) == LicensingCount(on_time=2, late=1, unknown=3)


@pytest.fixture
def figures(tmp_path: Path) -> dict:
    write_published(tmp_path, "decisions", "aaa", AAA)
    write_published(
        tmp_path, "decisions", "bbb", [decision(1, "cabinet_resolution", None, D(2025, 1, 1), None)]
    )
    # ddd's dataset is on the portal but its gate output is gone (blocked now)
    orgs = [organization(name) for name in ("aaa", "bbb", "ccc", "ddd")]
    datasets = [
        dataset(name, "decisions", [("x.csv", "CSV", True)]) for name in ("aaa", "bbb", "ddd")
    ]
    return licensing_figures(snapshot(orgs, datasets), tmp_path)


def test_the_share_is_on_time_over_every_decision_and_provisional_with_unknowns(
    figures: dict,
) -> None:
    aaa = figures["licensing_on_time_aaa"]  # 2 on time of 6 (1 late, 3 unknown)
    assert (aaa.numerator, aaa.denominator, aaa.status) == (2, 6, "provisional")
    assert aaa.value == pytest.approx(2 / 6)
    assert aaa.evidence == [f"{PORTAL}/dataset/aaa-decisions", ACT_URL]
    assert "3 of 6 unknown" in (aaa.note_en or "")
    assert "ไม่ทราบผล 3 จาก 6" in (aaa.note_th or "")
    unknown = figures["licensing_deadline_unknown_aaa"]
    assert (unknown.value, unknown.numerator, unknown.denominator) == (3, 3, 6)


def test_no_licence_decision_is_not_applicable_and_no_data_is_unknown(figures: dict) -> None:
    assert figures["licensing_on_time_bbb"].status == "not_applicable"
    assert figures["licensing_on_time_bbb"].value is None
    for agency in ("ccc", "ddd"):
        assert figures[f"licensing_on_time_{agency}"].status == "unknown"
        assert figures[f"licensing_on_time_{agency}"].value is None
    assert figures["licensing_on_time_ccc"].evidence == [f"{PORTAL}/organization/ccc"]
    assert figures["licensing_on_time_ddd"].evidence == [f"{PORTAL}/dataset/ddd-decisions"]


def test_overall_adds_the_readable_agencies_and_names_the_unreadable(figures: dict) -> None:
    overall = figures["licensing_on_time"]
    assert (overall.numerator, overall.denominator, overall.status) == (2, 6, "provisional")
    assert "not readable: ddd" in (overall.note_en or "")
    assert all(
        url.startswith(("http://", "https://")) for f in figures.values() for url in f.evidence
    )
    assert all(f.label_th and f.label_en for f in figures.values())


def test_all_on_time_with_every_deadline_known_is_ok(tmp_path: Path) -> None:
    write_published(tmp_path, "decisions", "aaa", [AAA[0], AAA[6]])
    figures = licensing_figures(
        snapshot([organization("aaa")], [dataset("aaa", "decisions", [])]), tmp_path
    )
    overall = figures["licensing_on_time"]
    assert (overall.value, overall.ratio, overall.status) == (1.0, "2/2", "ok")


def test_a_table_left_by_an_earlier_run_is_not_read_when_the_gate_now_failed(
    tmp_path: Path,
) -> None:
    write_published(tmp_path, "decisions", "aaa", AAA)
    report = tmp_path / "validation" / "decisions" / "aaa" / "report.json"
    report.write_text('{"status": "failed", "publishable": false}', encoding="utf-8")
    figures = licensing_figures(
        snapshot([organization("aaa")], [dataset("aaa", "decisions", [])]), tmp_path
    )
    assert figures["licensing_on_time_aaa"].status == "unknown"
    assert figures["licensing_on_time"].status == "unknown"  # never "not applicable"
    assert "not readable: aaa" in (figures["licensing_on_time"].note_en or "")
    report.write_text('{"status": "quarantined", "publishable": true}', encoding="utf-8")
    figures = licensing_figures(
        snapshot([organization("aaa")], [dataset("aaa", "decisions", [])]), tmp_path
    )
    assert figures["licensing_on_time_aaa"].ratio == "2/6"


def test_one_on_time_and_nine_without_deadline_is_one_in_ten_provisional(tmp_path: Path) -> None:
    rows = [decision(1, "licence", D(2026, 1, 1), D(2026, 1, 10), 15)]
    rows += [decision(n, "licence", D(2025, 1, 1), D(2026, 1, 1), None) for n in range(2, 11)]
    write_published(tmp_path, "decisions", "aaa", rows)
    figures = licensing_figures(
        snapshot([organization("aaa")], [dataset("aaa", "decisions", [])]), tmp_path
    )
    for key in ("licensing_on_time_aaa", "licensing_on_time"):
        assert (figures[key].ratio, figures[key].status) == ("1/10", "provisional")
        assert figures[key].value == pytest.approx(0.1)


def test_decisions_quarantined_by_a_business_rule_count(tmp_path: Path) -> None:
    # published: #1 on time; schema-valid adds #2, late and quarantined (not published)
    write_published(tmp_path, "decisions", "aaa", [AAA[0]])
    valid = write_published(tmp_path, "decisions", "aaa", [AAA[0], AAA[1]])
    valid.rename(schema_valid_path(tmp_path, "decisions", "aaa"))
    write_published(tmp_path, "decisions", "aaa", [AAA[0]])
    figures = licensing_figures(
        snapshot([organization("aaa")], [dataset("aaa", "decisions", [])]), tmp_path
    )
    assert (figures["licensing_on_time_aaa"].ratio, figures["licensing_on_time_aaa"].status) == (
        "1/2",
        "ok",
    )


def test_a_received_and_blocked_agency_makes_the_overall_provisional_and_is_named(
    tmp_path: Path,
) -> None:
    write_published(tmp_path, "decisions", "aaa", [AAA[0], AAA[1]])  # 1 on time, 1 late
    report = report_json_path(tmp_path, "decisions", "bbb")  # bbb: received, blocked, no dataset
    report.parent.mkdir(parents=True)
    report.write_text('{"status": "blocked", "publishable": false}', encoding="utf-8")
    orgs = [organization(name) for name in ("aaa", "bbb", "ccc")]  # ccc: nothing received
    figures = licensing_figures(snapshot(orgs, [dataset("aaa", "decisions", [])]), tmp_path)
    overall = figures["licensing_on_time"]
    assert (overall.ratio, overall.status) == ("1/2", "provisional")
    assert "not readable: bbb (received" in (overall.note_en or "")
    assert "ccc" not in (overall.note_en or "")
    assert "อ่านข้อมูลไม่ได้: bbb" in (overall.note_th or "")
    assert figures["licensing_on_time_bbb"].status == "unknown"
