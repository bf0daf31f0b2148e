"""Co-creation requirement 2b, a document repository (issue 15, L7): a forum_meetings dataset
alone is not a repository of co-creation documents. Met only when a meeting row (up to the
report date) links its minutes on the portal or an official site (go.th, opengovpartnership.org
or a subdomain); otherwise not assessed, never met."""

from __future__ import annotations

import datetime as dt

import pytest

from pipelines.readiness.cocreation import assess_agency, load_standards
from pipelines.readiness.published import PublishedRows

from .conftest import OGP_DIR, PORTAL, dataset
from .published_data import meeting

AS_OF = dt.date(2026, 1, 15)
FORUM = dataset("aaa", "forum_meetings", [])


def repository(minutes: list[str | None], days: list[dt.date] | None = None):
    days = days or [dt.date(2025, 6, 1)] * len(minutes)
    rows = [
        meeting(n, day, minutes=url) for n, (day, url) in enumerate(zip(days, minutes, strict=True))
    ]
    results = assess_agency(load_standards(OGP_DIR), PublishedRows("aaa", FORUM, rows), AS_OF)
    return next(r for s in results for r in s.requirements if r.id == "2b")


@pytest.mark.parametrize(
    "url",
    [
        f"{PORTAL}/dataset/aaa-forum_meetings/resource/1/download/minutes.pdf",  # the portal
        "https://ogp.dga.go.th/minutes-1.pdf",  # a subdomain of go.th
        "https://go.th/minutes.pdf",
        "https://www.opengovpartnership.org/documents/thailand-msf-minutes/",
    ],
)
def test_minutes_on_the_portal_or_an_official_site_make_a_repository(url: str) -> None:
    result = repository([None, url])
    assert result.verdict == "met"
    assert result.detail.en == "1 meeting minutes on the portal or an official site"
    assert result.evidence == [FORUM.url, url]


@pytest.mark.parametrize(
    "minutes",
    [
        [None, None],  # meetings without minutes: the dataset alone
        ["https://drive.example.com/minutes.pdf"],  # not an official site
        ["https://evilgo.th/minutes.pdf"],  # not a subdomain of go.th
        ["not a url"],
    ],
)
def test_a_meetings_dataset_alone_is_not_assessed(minutes: list[str | None]) -> None:
    result = repository(minutes)
    assert result.verdict == "not_assessed"
    assert (
        result.detail.en
        == "no meeting documents (minutes) linked on the portal or an official site"
    )
    assert result.evidence == [FORUM.url]


def test_minutes_of_a_meeting_after_the_report_date_do_not_count() -> None:
    result = repository(["https://ogp.dga.go.th/minutes.pdf"], [dt.date(2026, 3, 1)])
    assert result.verdict == "not_assessed"


def test_no_forum_dataset_leaves_the_repository_not_assessed() -> None:
    results = assess_agency(load_standards(OGP_DIR), None, AS_OF)
    two_b = next(r for s in results for r in s.requirements if r.id == "2b")
    assert (two_b.verdict, two_b.evidence) == ("not_assessed", [])
