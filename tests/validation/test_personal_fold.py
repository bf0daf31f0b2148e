"""The fold table skips the planes that hold only CJK ideographs or nothing: it must be the
table a walk over all of Unicode gives, for the Unicode version this Python carries."""

from __future__ import annotations

import unicodedata

from pipelines.validation.personal_fold import SKIPPED_PLANES, fold_table


def test_the_skipped_planes_fold_nothing() -> None:
    assert fold_table() == fold_table(None), unicodedata.unidata_version


def test_the_skipped_planes_hold_only_ideographs_or_nothing() -> None:
    low, high = SKIPPED_PLANES
    kinds = {unicodedata.category(chr(code)) for code in range(low, high)}
    assert kinds <= {"Lo", "Cn"}, kinds
    # a mathematical digit of plane 1 is read as a digit, so plane 1 is walked
    assert fold_table()[0x1D7CE] == "0"
