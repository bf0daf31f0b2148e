"""Guards for the Python prefilter of ``mask_texts`` (a review):

- upper-case percent escapes are selected (the generated alphabet of the differential tests in
  tests/validation/test_privacy_text.py has no E, F, B or C, so this pins the case);
- a file name with undecodable bytes (``os.fsdecode``: lone surrogates) is masked, not a crash
  (Arrow's prefilter raised on it: a lone surrogate is not UTF-8);
- Python's ``re`` backtracks: a 1 MB hostile log line must stay linear (generous hang-guard).
"""

from __future__ import annotations

import os

import pytest

from pipelines.validation.personal_text import candidate_pattern, mask_text, mask_texts

THAI_PHONE = "".join(chr(0x0E50 + int(digit)) for digit in "0812345678")


def _percent(text: str) -> str:
    return "".join(f"%{byte:02X}" for byte in text.encode())


@pytest.mark.parametrize(
    "text",
    [
        f"somchai{_percent(chr(0xFF20))}example.com",  # full-width @, upper-case escapes
        f"somchai{_percent(chr(0xFE6B))}example.com",  # small commercial at
        _percent(THAI_PHONE),  # Thai digits, upper-case escapes
    ],
)
def test_upper_case_percent_escapes_are_selected(text: str) -> None:
    assert mask_text(text) != text
    assert candidate_pattern().search(text) is not None
    assert mask_texts([text]) == [mask_text(text)]


def test_a_file_name_with_undecodable_bytes_is_masked() -> None:
    name = os.fsdecode(b"081-234-5678\xff.csv")
    assert "\udcff" in name
    [masked] = mask_texts([name])
    assert "234" not in masked
    assert "081" not in masked
    assert masked.endswith("\udcff.csv")


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "unit",
    ["6", "a0" + " " * 200, "8" + "\u200b" * 1000, "[" + " " * 100, "\u0e41" + "\u0e48" * 50],
    ids=["sixes", "spaced-zero", "zero-width", "brackets", "thai-marks"],
)
def test_a_hostile_megabyte_log_line_is_prefiltered(unit: str) -> None:
    line = unit * (1_000_000 // len(unit))
    assert len(mask_texts([line])[0]) > 0  # returns (no catastrophic backtracking)
