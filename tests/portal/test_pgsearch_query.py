"""Unit tests of ckanext-pgsearch's query parser and SQL compiler (no portal needed).

These modules are pure Python, so they are imported straight from portal/ckanext-pgsearch.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "portal" / "ckanext-pgsearch"))

from ckanext.pgsearch.lucene import (
    All,
    And,
    Exists,
    Not,
    Or,
    QuerySyntaxError,
    Range,
    Term,
    parse,
)
from ckanext.pgsearch.sqlgen import (
    Compiler,
    QueryCompileError,
    like_pattern,
    order_by,
    parse_solr_date,
)


def test_ckan_default_filters():
    node = parse('+capacity:public +state:(active OR draft) +site_id:"default"')
    assert node == And(
        (
            Term("capacity", "public"),
            Or((Term("state", "active"), Term("state", "draft"))),
            Term("site_id", "default", phrase=True),
        )
    )


def test_match_all_and_empty():
    assert parse("*:*") == All()
    assert parse("") == All()
    assert parse("organization:*") == Exists("organization")


def test_negation_forms():
    assert parse("-tags:a") == Not(Term("tags", "a"))
    assert parse("NOT tags:a") == Not(Term("tags", "a"))
    assert parse("a AND NOT b") == And((Term(None, "a"), Not(Term(None, "b"))))


def test_operator_precedence_and_implicit_and():
    assert parse("a b OR c") == Or((And((Term(None, "a"), Term(None, "b"))), Term(None, "c")))


def test_ranges_with_datetimes_and_open_bounds():
    node = parse("metadata_modified:[2024-01-01T00:00:00Z TO *]")
    assert node == Range("metadata_modified", "2024-01-01T00:00:00Z", None)
    assert parse("num:{1 TO 5]") == Range("num", "1", "5", include_low=False)


def test_thai_hyphenated_and_escaped_words():
    assert parse("งบประมาณ") == Term(None, "งบประมาณ")
    assert parse("name:my-dataset-2567") == Term("name", "my-dataset-2567")
    assert parse(r"title:a\:b") == Term("title", "a:b")
    assert parse("date:[NOW-1DAY TO NOW+1DAY]") == Range("date", "NOW-1DAY", "NOW+1DAY")


def test_boosts_are_ignored():
    assert parse("title:flood^2") == Term("title", "flood")


@pytest.mark.parametrize("bad", ["(a", "tags:", 'title:"open', "x:[1 TO"])
def test_syntax_errors(bad):
    with pytest.raises(QuerySyntaxError):
        parse(bad)


def test_string_fields_compile_to_jsonb_containment():
    c = Compiler()
    sql = c.compile(parse("tags:economy"))
    assert "@>" in sql
    assert list(c.params.values()) == ['{"tags": ["economy"]}']


def test_free_text_is_a_folded_substring_and_scores():
    c = Compiler()
    sql = c.compile(parse("Flood"), scoring=True)
    assert "search_text LIKE" in sql
    assert list(c.params.values()) == ["%flood%"]
    assert c.score_terms  # free-text terms drive the score


def test_negated_terms_do_not_score():
    c = Compiler()
    c.compile(parse("-flood"), scoring=True)
    assert c.score_terms == []


def test_like_pattern_escapes_sql_wildcards():
    assert like_pattern("50%_off", wildcards=False) == "%50\\%\\_off%"
    assert like_pattern("abc*", wildcards=True) == "%abc%%"


def test_bad_field_names_and_sorts_are_rejected():
    with pytest.raises(QueryCompileError):
        Compiler().compile(Term("bad field;", "x"))
    with pytest.raises(QueryCompileError):
        order_by("name sideways", Compiler())


def test_sort_without_free_text_ignores_score():
    assert order_by("score desc, name asc", Compiler()) == "p.name ASC NULLS FIRST, p.id ASC"


def test_solr_dates():
    assert parse_solr_date("2024-01-01T00:00:00Z").year == 2024
    assert parse_solr_date("NOW-1DAY") < parse_solr_date("NOW")
    with pytest.raises(QueryCompileError):
        parse_solr_date("yesterday")
