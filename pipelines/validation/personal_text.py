"""Personal data in one text cell, whatever its disguise: normalise, then detect.

**Normalisation** (:func:`normalise`) undoes the ordinary disguises and remembers where every
character came from, so a detection can be masked in the text as received:

- HTML character references (``&#64;``, ``&commat;``) and percent-encoding are decoded;
- one fold (:mod:`~pipelines.validation.personal_fold`): digits of every script (also circled,
  ``❽``, ``⒏``) become ASCII, dashes ``-``, spaces `` ``, other punctuation (``·``, ``•``,
  ``、``) a space; format characters (zero-width, bidi controls) and combining marks go;
  Cyrillic and Greek look-alikes become Latin; NFKC folds full-width ``＠``, ``．``, ``／``;
- a letter ``O`` in a token of digits is a zero (``O81-999-0005``);
- ``[at]``, ``(@)``, ``แอท``, `` at `` (between an e-mail-like name and a domain that is not a
  web address) become ``@``; ``[dot]``, `` dot ``, ``ดอท`` and ``,com`` become ``.``;
  ``คอม`` after a dot is ``com``; spaced-out letters around an ``@`` are joined.

**Detection** (:func:`detect`) then looks for:

- *digit groups*: runs of digits joined by separators (spaces, any ASCII punctuation but ``@``,
  ``%``, ``&``). Any contiguous sequence of whole runs is tried: 13 digits starting 1-8 with a
  valid check digit is a citizen ID (``stdnum.th.pin``); 13 digits starting ``0`` + 1-9 with a
  valid check digit is a juristic-person id (public, ``stdnum.th.moa``), read before phones;
  a national phone number is mobile ``06/08/09`` + 8 digits or landline ``02``, ``03x``,
  ``04x``, ``05x``, ``07x`` (9 digits), also after ``66``, ``+66``, ``0066`` and with a ``(0)``;
  in text (not number) columns a lone run of 9 digits starting 6, 8 or 9 is a mobile number
  that lost its ``0`` (a numeric spreadsheet cell). A bare ``66`` glued to a ``0``
  (``66019012345``) is an e-GP project number; a Thai letter number (``กค 0302.4/1234``), a
  whole date (``01/06/2500``, not one glued to more digits) and the satang of an amount
  written like one (``1,234,567.89``) are not phone digits;
- e-mail addresses, with ASCII, Thai (IDN) or punycode domains; the local part reaches back to
  the previous space or bracket, so a mask covers all of it.

Number columns (``numeric=True``): an amount-shaped cell (``1 050 000 000.00``,
``1.050.000.000,00``) is checked for citizen IDs and for a ``66`` + phone number only (an
amount of 66.8 billion baht written without satang reads as one: a deliberate false positive).

Out of scope (not detected): base64 or other encodings, reversed text, numbers spelled in
words, digits split over two columns.

:data:`CANDIDATES` is a cheap RE2 superset of all that for ``pyarrow.compute`` (one pass per
column); its classes come from the same fold table, so only the cells it selects need Python.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc
from stdnum.th import moa, pin

from pipelines.validation.personal_fold import (
    ASCII_SEPARATORS,
    normalise,
    normalised,
    rare_class,
    re2_class,
)

__all__ = [
    "CANDIDATES",
    "EMAIL",
    "Detection",
    "Kind",
    "candidates",
    "detect",
    "mask_text",
    "mask_texts",
    "mask_value",
    "normalise",
    "normalised",
]

Kind = Literal["citizen_id", "phone", "email", "personal_data"]

# --- the vectorised prefilter (RE2) -------------------------------------------------------------

_RE2_GAP = f"{re2_class(ASCII_SEPARATORS)}*"
_DEL = re2_class("", deleted=True)  # characters the fold deletes (zero-width, bidi, marks)
# what the detector's \s reads as a space in ASCII (tab, line breaks, ...) and what folds to one
_SPACE = re2_class(" \t\n\r\f\v\x1c\x1d\x1e\x1f")


def _digit(digits: str, extra: str = "") -> str:
    return re2_class(digits + extra)


_ANY = _digit("0123456789")
_ANYO = _digit("0123456789", "Oo")  # a letter O touching digits is read as a zero
_NOT = f"(?:^|[^{_ANY[1:-1]}])"
_END = f"(?:[^{_ANY[1:-1]}]|$)"
_CITIZEN_RE2 = f"{_NOT}{_digit('12345678')}(?:{_RE2_GAP}{_ANYO}){{12}}{_END}"
_NATIONAL_RE2 = (
    f"{_NOT}{_digit('0', 'Oo')}{_RE2_GAP}{_digit('23456789')}(?:{_RE2_GAP}{_ANYO}){{7,8}}{_END}"
)
_INTERNATIONAL_RE2 = f"{_digit('6')}{_RE2_GAP}{_digit('6')}(?:{_RE2_GAP}{_ANYO}){{8,10}}{_END}"
_BARE_MOBILE_RE2 = f"{_NOT}{_digit('689')}(?:{_DEL}*{_ANYO}){{8}}{_END}"
_A, _T, _OPEN, _CLOSE = re2_class("aA"), re2_class("tT"), re2_class("[({<"), re2_class("])}>")
# Any character reference or percent escape: the normaliser decodes them all (an &nbsp; between
# the groups of a phone, a %20 around "at"), so a cell holding one is read in full.
_EMAIL_RE2 = (
    rf"{re2_class('@')}|&#|&[A-Za-z]{{2,8}};|{_ANY}%|%[0-9A-Fa-f]{{2}}"
    rf"|{_SPACE}{_DEL}*{_A}{_DEL}*{_T}{_SPACE}"
    rf"|{_OPEN}{_SPACE}*(?:{_A}{_DEL}*{_T}|แอท){_SPACE}*{_CLOSE}|แ{_DEL}*อ{_DEL}*ท"
)
CANDIDATES = "|".join(
    [_CITIZEN_RE2, _NATIONAL_RE2, _INTERNATIONAL_RE2, _BARE_MOBILE_RE2, _EMAIL_RE2, rare_class()]
)


def candidates(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Cells that may hold personal data (a superset; nulls are False)."""
    return pc.fill_null(pc.match_substring_regex(values, CANDIDATES), False)


@cache
def candidate_pattern() -> re.Pattern[str]:
    """:data:`CANDIDATES` for Python's ``re`` (RE2's ``\\x{HHHH}`` written ``\\UHHHHHHHH``), for
    a few strings at a time: Arrow compiles the RE2 pattern again on every call (1.4 ms), which
    a log line or a file name paid each time (0.02 ms here)."""
    return re.compile(
        re.sub(r"\\x\{([0-9A-F]+)\}", lambda m: f"\\U{int(m[1], 16):08X}", CANDIDATES)
    )


# --- detection ----------------------------------------------------------------------------------

_SEP = "[" + re.escape(ASCII_SEPARATORS) + r"\s]"
_GROUP = re.compile(rf"(\+\s*)?[0-9]+(?:{_SEP}{{1,40}}[0-9]+)*")
_RUN = re.compile(r"[0-9]+")
_NATIONAL = re.compile(r"0[689][0-9]{8}|0[2-57][0-9]{7}")
_LABEL = r"[A-Za-z0-9\u0e00-\u0e7f](?:[A-Za-z0-9\u0e00-\u0e7f-]{0,62}[A-Za-z0-9\u0e00-\u0e7f])?"
_LOCAL = r"[A-Za-z0-9\u0e00-\u0e7f._%+!#$&'/=?^`{|}~-]"  # not *: a masked local part
EMAIL = re.compile(
    rf"(?<!{_LOCAL}){_LOCAL}+"  # from the start of the local part only (linear time)
    rf"@(?:{_LABEL}\.)+(?:[A-Za-z]{{2,24}}|xn--[A-Za-z0-9-]+|ไทย)"
    r"(?![A-Za-z0-9\u0e00-\u0e7f-])"
)
_LOCAL_STOP = set(" \t\n\r\f\v<>()[]{}\"',;:")
# A Thai official letter number: ministry or province letters, office 0NNN(.N), serial.
_LETTER_NUMBER = re.compile(r"(?<![ก-๙])[ก-ฮ]{2,3}\.?\s*(0[0-9]{3}(?:\.[0-9]{1,3})*/[0-9]{1,6})")
_AMOUNT = re.compile(
    r"\s*(?:฿|THB)?\s*-?(?:[1-9][0-9]{0,2}(?:([ ,.'])[0-9]{3})(?:\1[0-9]{3})*(?:[.,][0-9]+)?"
    r"|[1-9][0-9]*(?:[.,][0-9]+)?|0(?:[.,][0-9]+)?)\s*(?:บาท|฿|THB)?\s*"
)
# Dates (31/12/2566, 2023-12-31) split digit groups: a date range is not a phone number.
_DATE = re.compile(
    r"(?<![0-9])(?:([0-9]{1,2})([/.-])([0-9]{1,2})\2((?:19|20|25|26)[0-9]{2})"
    r"|((?:19|20|25|26)[0-9]{2})-([0-9]{1,2})-([0-9]{1,2}))(?![0-9])"
)
# Times (08.30, 16:30, 06:19:57.123) and time-zone offsets (+07:00): not phone digits. A
# fraction of a second only after colons: 08.12.34.5678 is a phone written in dotted groups.
_TIME = re.compile(
    r"(?<![0-9])(?:[01]?[0-9]|2[0-3])"
    r"(?::[0-5][0-9](?::[0-5][0-9](?:\.[0-9]+)?)?|\.[0-5][0-9](?:\.[0-5][0-9])?)(?![0-9])"
    r"|(?<=[0-9][+-])(?:0[0-9]|1[0-4]):[0-5][0-9](?![0-9])"
)
# An amount in thousands groups (1,050,000,000.00; 1 050 000 000): a phone may not start
# inside it (050000000 is not a landline).
_AMOUNT_GROUP = re.compile(
    r"[1-9][0-9]{0,2}([ ,.'])[0-9]{3}(?:\1[0-9]{3})*(?:(?!\1)[.,](?P<satang>[0-9]{1,2}))?"
)


def _date_runs(text: str, runs: list[re.Match[str]]) -> list[tuple[int, int]]:
    """The whole dates and times in a digit group, as (first, last) run indices: one counts
    only when each side is the group's end, a gap with a space, or another date (``1/08/2534/
    5678`` and ``0812-3456-12/12/2566`` are a phone glued to a date, not dates)."""
    starts = {run.start(): index for index, run in enumerate(runs)}
    ends = {run.end(): index for index, run in enumerate(runs)}
    dates = []
    for match in _DATE.finditer(text):
        day, _, month, _, _, iso_month, iso_day = match.groups()
        day, month = (day, month) if day else (iso_day, iso_month)
        if 1 <= int(day) <= 31 and 1 <= int(month) <= 12:
            dates.append((starts[match.start()], ends[match.end()]))
    spans = [(first, last) for first, last in dates]
    for match in _TIME.finditer(text):  # a time that is not part of a date
        first, last = starts[match.start()], ends[match.end()]
        if all(last < a or b < first for a, b in spans):
            dates.append((first, last))
    in_date = {index for first, last in dates for index in range(first, last + 1)}

    def clear(run: int, gap: str) -> bool:
        return run < 0 or run >= len(runs) or any(c.isspace() for c in gap) or run in in_date

    return [
        (first, last)
        for first, last in dates
        if clear(first - 1, text[runs[first - 1].end() : runs[first].start()] if first else "")
        and clear(
            last + 1,
            text[runs[last].end() : runs[last + 1].start()] if last + 1 < len(runs) else "",
        )
    ]


def _cuts_a_date(i: int, j: int, dates: list[tuple[int, int]]) -> bool:
    """Whether runs i..j take in any run of a date or time (01/06/2500 - 01/06/2500 and
    06:19:57+07:00 hold no phone)."""
    return any(i <= last and first <= j for first, last in dates)


def _satang(text: str, runs: list[re.Match[str]], plus: bool) -> int:
    """How many runs may end a phone: an amount written like one (``668,000,000.00``; never
    starting with 0) keeps its satang out; ``66.81.999.00.06`` is not written like one."""
    if plus or len(runs) < 2 or runs[0].group()[0] == "0" or len(runs[-1].group()) != 2:
        return len(runs)
    gaps = [text[a.end() : b.start()] for a, b in itertools.pairwise(runs)]
    if gaps[-1] != "." or (len(runs[0].group()) > 3 and len(runs) > 2):
        return len(runs)
    grouped = all(len(run.group()) == 3 for run in runs[1:-1]) and len(set(gaps[:-1])) <= 1
    if grouped and (not gaps[:-1] or gaps[0] in (",", " ", "'")):
        return len(runs) - 1
    return len(runs)


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


_ORDER = {"citizen_id": 0, "juristic": 1, "phone": 2}


def _glued_to_letters(group: re.Match[str], *, both: bool = False) -> bool:
    """Whether a digit group touches an ASCII letter (on both sides: inside a hex digest, a
    UUID or a code, where a phone-shaped run is chance; citizen IDs are checked anyway)."""
    text, start, end = group.string, group.start(), group.end()
    sides = [text[start - 1] if start > 0 else "", text[end] if end < len(text) else ""]
    glued = [char.isascii() and char.isalpha() for char in sides]
    return all(glued) if both else any(glued)


def _in_group(group: re.Match[str], numeric: bool) -> list[tuple[Kind, int, int, str]]:
    """Citizen IDs and phones made of whole runs of one digit group (longest first)."""
    text = group.group()
    runs = list(_RUN.finditer(text))
    plus = bool(group.group(1))
    satang = _satang(text, runs, plus)
    dates = _date_runs(text, runs)
    shaped = None if plus or len(runs) < 2 else _AMOUNT_GROUP.fullmatch(text)
    amount = shaped is not None
    # an amount's satang is part of no ID or phone (10,775,072,844.91 is not 1077507284491)
    ends = len(runs) - 1 if shaped is not None and shaped.group("satang") else len(runs)
    # a lone number, or one written as a float (819990024.0): a spreadsheet's number cell
    bare = len(runs) == 1 or (
        len(runs) == 2 and text[runs[0].end() : runs[1].start()] == "." and runs[1].group() == "0"
    )
    found: list[tuple[str, int, int, str]] = []
    for i, first in enumerate(runs):
        digits = ""
        for j in range(i, ends):
            digits += runs[j].group()
            if len(digits) > 14:
                break
            if _cuts_a_date(i, j, dates):
                continue
            kind: str | None = None
            if len(digits) == 13 and digits[0] in "12345678" and pin.is_valid(digits):
                kind = "citizen_id"
            elif len(digits) == 13 and digits[:2] != "00" and moa.is_valid(digits):
                kind = "juristic"  # public; read before phones (0-9940-00165-66-8)
            elif amount and i > 0:
                pass
            elif j < satang and len(digits) >= 9 and _phone(digits, plus and i == 0, first.group()):
                kind = None if _glued_to_letters(group, both=True) else "phone"
            elif bare and i == 0 and not numeric and len(digits) == 9 and digits[0] in "689":
                # 812345678: a mobile number kept as a number lost its 0 -- but not a digit
                # run inside a hash or an identifier (…c611948765c…)
                kind = None if _glued_to_letters(group) else "phone"
            if kind:
                start = group.start() + (0 if i == 0 else first.start())
                found.append((kind, start, group.start() + runs[j].end(), digits))
    found.sort(key=lambda item: (_ORDER[item[0]], item[1] - item[2]))
    chosen: list[tuple[str, int, int, str]] = []
    for item in found:
        if all(item[2] <= other[1] or other[2] <= item[1] for other in chosen):
            chosen.append(item)
    return [(k, s, e, v) for k, s, e, v in chosen if k != "juristic"]  # type: ignore[misc]


def _email_start(normal: str, start: int) -> int:
    """The start of the whole local part: back to the previous space or bracket."""
    while start > 0 and normal[start - 1] not in _LOCAL_STOP:
        start -= 1
    return start


def detect(text: str, *, numeric: bool = False) -> list[Detection]:
    """Every citizen ID, phone number and e-mail address in ``text``, in order, spans in
    ``text`` as received. ``numeric``: the cell belongs to a number column."""
    normal, origins = normalise(text)
    pieces: list[tuple[Kind, int, int, str]] = []
    if numeric and _AMOUNT.fullmatch(normal):
        return [
            Detection(kind, origins[start][0], origins[end - 1][1], value)
            for group in _GROUP.finditer(normal)
            for kind, start, end, value in _in_group(group, True)
            if kind == "citizen_id" or value.startswith("66")  # +66 8x... written as a number
        ]
    for match in EMAIL.finditer(normal):
        start = _email_start(normal, match.start())
        pieces.append(("email", start, match.end(), normal[start : match.end()]))
    taken = [(start, end) for _, start, end, _ in pieces]
    taken += [match.span(1) for match in _LETTER_NUMBER.finditer(normal)]
    for group in _GROUP.finditer(normal):
        for kind, start, end, value in _in_group(group, numeric):
            if kind == "citizen_id" or all(end <= a or b <= start for a, b in taken):
                pieces.append((kind, start, end, value))
    found = [
        Detection(kind, origins[start][0], origins[end - 1][1], value)
        for kind, start, end, value in pieces
    ]
    return sorted(found, key=lambda d: d.start)


# Mailbox providers: their domain says nothing about the person; any other domain may.
PROVIDERS = frozenset(
    re.findall(
        r"\S+",
        "gmail.com googlemail.com hotmail.com hotmail.co.th outlook.com outlook.co.th live.com "
        "msn.com yahoo.com yahoo.co.th icloud.com me.com proton.me protonmail.com aol.com",
    )
)


def _masked_domain(domain: str) -> str:
    if domain.lower() in PROVIDERS:
        return domain
    labels = domain.split(".")
    kept = 2 if len(labels) > 2 and len(labels[-2]) <= 3 else 1
    return "***." + ".".join(labels[-kept:])


def mask_value(kind: Kind, value: str) -> str:
    """A masked form keeping just enough to recognise the record, never the identity."""
    if kind == "citizen_id":
        return f"{value[0]}-xxxx-xxxxx-xx-{value[-1]}"
    if kind == "phone":
        return "x" * (len(value) - 2) + value[-2:]
    if kind == "email":
        local, _, domain = value.rpartition("@")
        return f"{local[:1]}***@{_masked_domain(domain)}"
    return value[:1] + "***" if value else value


def mask_texts(texts: list[str]) -> list[str]:
    """:func:`mask_text` over many strings (headers, file names), the prefilter first."""
    pattern = candidate_pattern()
    return [mask_text(text) if pattern.search(text) else text for text in texts]


def mask_text(text: str, found: list[Detection] | None = None, *, numeric: bool = False) -> str:
    """The cell with every detected piece of personal data masked (``found``: the cell's
    detections, when already made)."""
    for item in reversed(detect(text, numeric=numeric) if found is None else found):
        text = text[: item.start] + mask_value(item.kind, item.value) + text[item.end :]
    return text
