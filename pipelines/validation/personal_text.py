"""Personal data in one text cell, whatever its disguise: normalise, then detect.

**Normalisation** (:func:`normalise`) undoes the ordinary disguises and remembers where every
character came from, so a detection can be masked in the text as received:

- HTML character references (``&#64;``, ``&commat;``) and percent-encoding (``%40``, ``%2D``,
  encoded ASCII or Thai digits) are decoded;
- zero-width and other format characters (ZWSP, ZWJ, word joiner, BOM, soft hyphen) go;
- every Unicode decimal digit (Thai ``๐``–``๙``, full-width ``０``–``９``, ...) becomes ASCII;
  NFKC folds full-width ``＠`` and ``．``, NBSP and narrow NBSP;
- ``[at]``, ``(at)``, ``{at}``, `` at ``, ``แอท`` become ``@``; ``[dot]``, `` dot ``, ``ดอท``
  become ``.``; spaces around ``@`` and ``.`` go.

**Detection** (:func:`detect`) then looks for:

- *digit groups*: runs of digits joined by separators (spaces, dashes, minus, dot, slash,
  parentheses). Any contiguous sequence of whole runs is tried: 13 digits starting 1–8 with a
  valid check digit is a citizen ID (``stdnum.th.pin``; juristic tax ids start with 0 and are
  public); a national phone number is mobile ``06/08/09`` + 8 digits or landline ``02``,
  ``03x``, ``04x``, ``05x``, ``07x`` (9 digits), also after ``66``, ``+66``, ``0066`` and with a
  ``(0)``. A bare ``66`` glued to a ``0`` (``66019012345``) is an e-GP project number, not a
  phone;
- e-mail addresses, with ASCII, Thai (IDN) or punycode domains.

:data:`CANDIDATES` is a cheap RE2 superset of all that for ``pyarrow.compute`` (one pass per
column, Thai and full-width digits included); only the cells it selects reach Python.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Literal
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.compute as pc
from stdnum.th import pin

Kind = Literal["citizen_id", "phone", "email", "personal_data"]

# --- the vectorised prefilter (RE2) -------------------------------------------------------------

# Between two digits of one number: spaces of every kind, dashes, minus, dot, slash,
# parentheses (also full-width), zero-width and other format characters. Explicit ranges, not
# Unicode property classes: RE2 runs them three times faster.
_RE2_SEP = (
    r"[\t\n\f\r \x{A0}\x{AD}\x{1680}\x{2000}-\x{200F}\x{2028}-\x{202F}\x{205F}-\x{2064}"
    r"\x{3000}\x{FEFF}\-\x{2010}-\x{2015}\x{2212}\x{FE63}\x{FF0D}./()\x{FF08}\x{FF09}\x{FF0E}]"
)
_RE2_GAP = f"{_RE2_SEP}{{0,5}}"
_SPACE = r"[\t\n\f\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}-\x{202F}\x{205F}\x{3000}]"
# Digits of other scripts, superscripts, circled and mathematical digits: rare, all candidates.
_OTHER_DIGITS = (
    r"[\x{0660}-\x{0669}\x{06F0}-\x{06F9}\x{0966}-\x{096F}\x{0ED0}-\x{0ED9}"
    r"\x{1040}-\x{1049}\x{17E0}-\x{17E9}\x{00B2}\x{00B3}\x{00B9}\x{2070}-\x{2089}"
    r"\x{2460}-\x{249B}\x{1D7CE}-\x{1D7FF}]"
)


def _digit(ascii_class: str) -> str:
    """An RE2 class of ASCII, Thai and full-width digits, e.g. ``2-9``."""

    def shifted(base: int) -> str:
        return re.sub(r"[0-9]", lambda m: chr(base + int(m.group())), ascii_class)

    return f"[{ascii_class}{shifted(0x0E50)}{shifted(0xFF10)}]"


_ANY = _digit("0-9")
_NOT = r"(?:^|[^0-9\x{E50}-\x{E59}\x{FF10}-\x{FF19}])"
_END = r"(?:[^0-9\x{E50}-\x{E59}\x{FF10}-\x{FF19}]|$)"
_CITIZEN_RE2 = f"{_NOT}{_digit('1-8')}(?:{_RE2_GAP}{_ANY}){{12}}{_END}"
_NATIONAL_RE2 = f"{_NOT}{_digit('0')}{_RE2_GAP}{_digit('2-9')}(?:{_RE2_GAP}{_ANY}){{7,8}}{_END}"
_INTERNATIONAL_RE2 = f"{_digit('6')}{_RE2_GAP}{_digit('6')}(?:{_RE2_GAP}{_ANY}){{8,10}}{_END}"
_EMAIL_RE2 = (
    rf"[@\x{{FF20}}\x{{FE6B}}]|&#|&commat;|{_ANY}%"
    r"|(?i:%40|%3[0-9]|%2[0-9a-f][0-9]|%e0%b9%9[0-9]|%ef%bc|%ef%b9%ab)"
    rf"|(?i:[\[({{<]{_SPACE}*(?:at|dot|แอท|ดอท){_SPACE}*[\])}}>])|(?i:{_SPACE}at{_SPACE})|แอท"
)
CANDIDATES = "|".join([_CITIZEN_RE2, _NATIONAL_RE2, _INTERNATIONAL_RE2, _EMAIL_RE2, _OTHER_DIGITS])


def candidates(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Cells that may hold personal data (a superset; nulls are False)."""
    return pc.fill_null(pc.match_substring_regex(values, CANDIDATES), False)


# --- normalisation ------------------------------------------------------------------------------

Origins = list[tuple[int, int]]  # per normalised character: its span in the original text


def _sub(
    text: str, origins: Origins, pattern: re.Pattern[str], replace: str | None
) -> tuple[str, Origins]:
    """``pattern`` replaced by ``replace`` (None: by the match decoded), spans kept."""
    if pattern.search(text) is None:
        return text, origins
    out: list[str] = []
    spans: Origins = []
    position = 0
    for match in pattern.finditer(text):
        start, end = match.span()
        out.append(text[position:start])
        spans += origins[position:start]
        new = replace if replace is not None else _decode(match.group())
        if new:
            span = (origins[start][0], origins[end - 1][1])
            out.append(new)
            spans += [span] * len(new)
        position = end
    out.append(text[position:])
    spans += origins[position:]
    return "".join(out), spans


def _decode(piece: str) -> str:
    if piece.startswith("&"):
        return html.unescape(piece)
    return unquote(piece, errors="replace")


_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z]{2,8});")
_PERCENT = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_AT = re.compile(
    r"\s*[\[({<]\s*(?:at|แอท)\s*[\])}>]\s*|\s+(?:at|แอท)\s+|\s*@\s*|(?<=\w)แอท(?=\w)", re.I
)
_DOT = re.compile(r"\s*[\[({<]\s*(?:dot|ดอท)\s*[\])}>]\s*|\s+(?:dot|ดอท)\s+", re.I)
_SPACED_DOT = re.compile(
    r"(?<=[A-Za-z0-9\u0e00-\u0e7f])\s+\.\s*(?=[A-Za-z0-9])|(?<=\S)\.\s+(?=[a-z]{2,}\b)"
)


@cache
def _fold_table() -> dict[int, str]:
    """``str.translate`` table: every non-ASCII character the detector must see differently.
    Digits of any script -> ASCII; dashes and minus -> ``-``; spaces -> `` ``; format characters
    (zero-width, BOM, soft hyphen) -> nothing; a character NFKC folds to one ASCII character
    (full-width ``＠``, ``．``, letters, parentheses; superscript and circled digits) -> it.
    Nothing else changes (Thai vowels stay as they are: NFKC would split ``ำ``)."""
    table: dict[int, str] = {}
    for code in [*range(0x80, 0x10000), *range(0x1D7CE, 0x1D800)]:
        char = chr(code)
        category = unicodedata.category(char)
        if category == "Nd":
            table[code] = str(unicodedata.digit(char))
        elif category == "Pd" or char == "\u2212":
            table[code] = "-"
        elif category.startswith("Z"):
            table[code] = " "
        elif category == "Cf":
            table[code] = ""
        else:
            folded = unicodedata.normalize("NFKC", char)
            if len(folded) == 1 and folded.isascii():
                table[code] = folded
    return table


def _fold(text: str, origins: Origins) -> tuple[str, Origins]:
    """Per character, by :func:`_fold_table` (one ``translate``; spans move only when format
    characters are deleted)."""
    if text.isascii():
        return text, origins
    table = _fold_table()
    folded = text.translate(table)
    if len(folded) == len(text):
        return folded, origins
    spans = [span for char, span in zip(text, origins, strict=True) if table.get(ord(char)) != ""]
    return folded, spans


def normalise(text: str) -> tuple[str, Origins]:
    """The text with its disguises undone, and each character's span in ``text``."""
    origins: Origins = [(i, i + 1) for i in range(len(text))]
    for _ in range(2):  # twice: double encoding (%2540)
        text, origins = _sub(text, origins, _ENTITY, None)
        text, origins = _sub(text, origins, _PERCENT, None)
    text, origins = _fold(text, origins)
    text, origins = _sub(text, origins, _AT, "@")
    text, origins = _sub(text, origins, _DOT, ".")
    text, origins = _sub(text, origins, _SPACED_DOT, ".")
    return text, origins


def normalised(text: str) -> str:
    return normalise(text)[0]


# --- detection ----------------------------------------------------------------------------------

_SEP = r"[\s\-./()]"
_GROUP = re.compile(rf"(\+\s*)?[0-9]+(?:{_SEP}{{1,5}}[0-9]+)*")
_RUN = re.compile(r"[0-9]+")
_NATIONAL = re.compile(r"0[689][0-9]{8}|0[2-57][0-9]{7}")
_LABEL = r"[A-Za-z0-9\u0e00-\u0e7f](?:[A-Za-z0-9\u0e00-\u0e7f-]{0,62}[A-Za-z0-9\u0e00-\u0e7f])?"
EMAIL = re.compile(
    rf"[A-Za-z0-9\u0e00-\u0e7f._%+-]+@(?:{_LABEL}\.)+(?:[A-Za-z]{{2,24}}|xn--[A-Za-z0-9-]+|ไทย)"
    r"(?![A-Za-z0-9\u0e00-\u0e7f-])"
)


# Dates (31/12/2566, 2023-12-31) split digit groups: a date range is not a phone number.
_DATE = re.compile(
    r"(?<![0-9])(?:([0-9]{1,2})([/.-])([0-9]{1,2})\2((?:19|20|25|26)[0-9]{2})"
    r"|((?:19|20|25|26)[0-9]{2})-([0-9]{1,2})-([0-9]{1,2}))(?![0-9])"
)


def _date_runs(text: str, runs: list[re.Match[str]]) -> list[tuple[int, int]]:
    """The plausible dates in a digit group, as (first, last) run indices."""
    starts = {run.start(): index for index, run in enumerate(runs)}
    ends = {run.end(): index for index, run in enumerate(runs)}
    dates = []
    for match in _DATE.finditer(text):
        day, _, month, _, _, iso_month, iso_day = match.groups()
        day, month = (day, month) if day else (iso_day, iso_month)
        if 1 <= int(day) <= 31 and 1 <= int(month) <= 12:
            dates.append((starts[match.start()], ends[match.end()]))
    return dates


def _cuts_a_date(i: int, j: int, dates: list[tuple[int, int]]) -> bool:
    """Whether runs i..j start or end inside a date (01/06/2500 - 01/06/2500 holds no phone)."""
    return any(first < i <= last or first <= j < last for first, last in dates)


@dataclass(frozen=True, slots=True)
class Detection:
    """One piece of personal data: its kind, its span in the text as received, and the
    normalised value (ASCII digits, decoded e-mail) for masking."""

    kind: Kind
    start: int
    end: int
    value: str


def _phone(digits: str, plus: bool, first_run: str) -> bool:
    if plus and digits.startswith("66"):
        rest = digits[2:]
    elif digits.startswith("0066"):
        rest = digits[4:]
        if rest.startswith("0") and first_run != "0066":
            return False  # 0066020000000 reads as a juristic tax id, not 0066 (0)2...
    elif digits.startswith("66"):
        rest = digits[2:]
        if rest.startswith("0") and first_run != "66":
            return False  # 66019012345: an e-GP project number, not +66 (0)19...
    else:
        return _NATIONAL.fullmatch(digits) is not None
    national = rest if rest.startswith("0") else "0" + rest
    return _NATIONAL.fullmatch(national) is not None


def _in_group(group: re.Match[str]) -> list[tuple[Kind, int, int, str]]:
    """Citizen IDs and phones made of whole runs of one digit group (longest first)."""
    runs = list(_RUN.finditer(group.group()))
    plus = bool(group.group(1))
    satang = len(runs)  # 668000000.00 (an amount never starts with 0): not a phone's end
    decimal = len(runs) > 1 and group.group()[runs[-2].end() : runs[-1].start()] == "."
    if decimal and not plus and runs[0].group()[0] != "0" and len(runs[-1].group()) == 2:
        satang = len(runs) - 1
    dates = _date_runs(group.group(), runs)
    found: list[tuple[Kind, int, int, str]] = []
    for i, first in enumerate(runs):
        digits = ""
        for j in range(i, len(runs)):
            digits += runs[j].group()
            if len(digits) > 14:
                break
            if _cuts_a_date(i, j, dates):
                continue
            kind: Kind | None = None
            if len(digits) == 13 and digits[0] in "12345678" and pin.is_valid(digits):
                kind = "citizen_id"
            elif j < satang and len(digits) >= 9 and _phone(digits, plus and i == 0, first.group()):
                kind = "phone"
            if kind:
                start = group.start() + (0 if i == 0 else first.start())
                found.append((kind, start, group.start() + runs[j].end(), digits))
    found.sort(key=lambda item: (item[0] != "citizen_id", item[1] - item[2]))
    chosen: list[tuple[Kind, int, int, str]] = []
    for item in found:
        if all(item[2] <= other[1] or other[2] <= item[1] for other in chosen):
            chosen.append(item)
    return chosen


def detect(text: str) -> list[Detection]:
    """Every citizen ID, phone number and e-mail address in ``text``, in order, spans in
    ``text`` as received."""
    normal, origins = normalise(text)
    pieces: list[tuple[Kind, int, int, str]] = []
    for match in EMAIL.finditer(normal):
        pieces.append(("email", match.start(), match.end(), match.group()))
    taken = [(start, end) for _, start, end, _ in pieces]
    for group in _GROUP.finditer(normal):
        for kind, start, end, value in _in_group(group):
            if all(end <= a or b <= start for a, b in taken):
                pieces.append((kind, start, end, value))
    found = [
        Detection(kind, origins[start][0], origins[end - 1][1], value)
        for kind, start, end, value in pieces
    ]
    return sorted(found, key=lambda d: d.start)


def mask_value(kind: Kind, value: str) -> str:
    """A masked form keeping just enough to recognise the record, never the identity."""
    if kind == "citizen_id":
        return f"{value[0]}-xxxx-xxxxx-xx-{value[-1]}"
    if kind == "phone":
        return "x" * (len(value) - 2) + value[-2:]
    if kind == "email":
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    return value[:1] + "***" if value else value


def mask_text(text: str, found: list[Detection] | None = None) -> str:
    """The cell with every detected piece of personal data masked (``found``: the cell's
    detections, when already made)."""
    for item in reversed(detect(text) if found is None else found):
        text = text[: item.start] + mask_value(item.kind, item.value) + text[item.end :]
    return text
