"""Personal data both prefilters once let through (a review): ``mask_text`` masked these
strings, but neither the RE2 ``CANDIDATES`` of ``candidates`` (the column guard) nor its Python
translation ``candidate_pattern`` (``mask_texts``: log lines, file names, sources, outcome texts,
headers) selected them, so they stayed as written. The prefilters must select a superset of what
``mask_text`` masks. Inputs are built here, deterministically.
"""

from __future__ import annotations

import pytest

from pipelines.validation.personal_text import mask_text, mask_texts

from .test_privacy_text import _prefilters

NAME, DOMAIN = "somchai", "example.com"


def _at(space: str) -> str:
    return f"{NAME}{space}at{space}{DOMAIN}"


def _phone(separator: str) -> str:
    return separator.join(["081", "234", "5678"])


def _assert_masked_like_mask_text(text: str) -> None:
    assert mask_text(text) != text  # the detector reads personal data in it
    assert mask_texts([text]) == [mask_text(text)]


# " at " with whitespace the detector's \s reads, which the prefilter's _SPACE class once left out.
@pytest.mark.parametrize("space", ["\t", "\n", "\r", "\x0b", "\x0c", "\x1f"])
def test_at_between_ascii_whitespace_is_masked(space: str) -> None:
    _assert_masked_like_mask_text(_at(space))


def test_bracketed_at_with_tabs_is_masked() -> None:
    _assert_masked_like_mask_text(f"mail {NAME} [\tat\t] {DOMAIN}")


# Named HTML character references the normaliser decodes (once only &# and &commat; were selected).
@pytest.mark.parametrize(
    "entity", ["&nbsp;", "&minus;", "&hyphen;", "&period;", "&shy;", "&dash;", "&sol;"]
)
def test_phone_split_by_a_named_entity_is_masked(entity: str) -> None:
    _assert_masked_like_mask_text(_phone(entity))


@pytest.mark.parametrize("entity", ["&nbsp;", "&Tab;", "&NewLine;", "&ensp;"])
def test_at_between_named_entity_spaces_is_masked(entity: str) -> None:
    _assert_masked_like_mask_text(_at(entity))


def test_zero_width_entity_inside_a_phone_is_masked() -> None:
    _assert_masked_like_mask_text("0812&zwnj;345678")


# Percent-encoded spaces and brackets around "at" (a URL, a file name from a URL).
@pytest.mark.parametrize("text", [_at("%20"), _at("%09"), f"{NAME}%28at%29{DOMAIN}"])
def test_percent_encoded_at_is_masked(text: str) -> None:
    _assert_masked_like_mask_text(text)


def test_both_prefilters_select_them() -> None:
    """Both prefilters (the column guard's and mask_texts') select them."""
    texts = [_at("\t"), _phone("&nbsp;"), _at("%20")]
    arrow, python = _prefilters(texts)
    assert arrow == python
    assert all(mask_text(text) != text for text in texts)
    assert all(arrow), "the RE2 prefilter must select what mask_text masks"
