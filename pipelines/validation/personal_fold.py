"""The personal-data detector's normalisation (:func:`normalise`), its fold table, and the
character classes of its vectorised prefilter.

:func:`fold_table` says, per non-ASCII character, what the detector reads instead (a
``str.translate`` table). The RE2 character classes of the prefilter (:func:`re2_class`) are
*derived from the same table*, so a character the detector folds into a digit or a separator is
also one the prefilter accepts there: no invisible or foreign character can hide a number from
the prefilter that the detector would have read.
"""

from __future__ import annotations

import html
import itertools
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable
from functools import cache
from urllib.parse import unquote

# Between two digits of one number the detector accepts any of these (after folding): spaces,
# dashes, dots, slashes, brackets, quotes and the other ASCII punctuation a number is broken up
# with. Not ``@`` (e-mail), ``%`` (percent-encoding), ``&`` (entities), ``$``, ``^`` or ``?``.
ASCII_SEPARATORS = " \t\n\r\f\v\x1c\x1d\x1e\x1f-./()[]{}<>,_:;'\"`~+*|#=!\\"
# Latin look-alikes of other scripts (Cyrillic, Greek) an address is disguised with.
CONFUSABLES = {
    **dict(zip("аеорсухіјѕԁԛԝӏ", "aeopcyxijsdqwl", strict=True)),
    **dict(zip("АВЕКМНОРСТУХІЈЅ", "ABEKMHOPCTYXIJS", strict=True)),
    **dict(zip("αοριτνκυχϲϳ", "aopitvkuxcj", strict=True)),
    **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX", strict=True)),
}
# Combining marks of these blocks are part of their script's spelling and stay (Thai, Lao).
_KEPT_MARKS = ((0x0E00, 0x0EFF),)


def _kept_mark(code: int) -> bool:
    return any(low <= code <= high for low, high in _KEPT_MARKS)


def _folded(char: str) -> str | None:
    """What the detector reads for one non-ASCII character (None: the character itself)."""
    if char in CONFUSABLES:
        return CONFUSABLES[char]
    category = unicodedata.category(char)
    if char.isspace():
        return " "  # every character Python's \\s matches (NEL, NBSP, ideographic space ...)
    digit = unicodedata.digit(char, None)
    if digit is not None and category in ("Nd", "No"):
        return str(digit)  # Thai, Bengali, full-width, circled, ❽, ⒏, ⑻ ...
    if category == "Pd" or char == "\u2212":
        return "-"
    if category.startswith("Z"):
        return " "
    if category == "Cf" or (category in ("Mn", "Me") and not _kept_mark(ord(char))):
        return ""  # zero-width, bidi controls, soft hyphen, combining marks
    folded = unicodedata.normalize("NFKC", char)
    if len(folded) == 1 and folded.isascii():
        return folded  # full-width ＠ ． ／ （ and letters, ․ (one dot leader)
    if category.startswith("P"):
        return " "  # other punctuation (· • 、 。 « » ‧ ...) separates like a space
    return None


# Planes 2 and 3 hold only CJK ideographs and planes 4 to 13 nothing: no code point there folds
# to anything, so the table skips them (every process builds it at import; walking them was
# two thirds of the time). tests/validation/test_personal_fold.py checks it against the full walk.
SKIPPED_PLANES = (0x20000, 0xE0000)


@cache
def fold_table(skip: tuple[int, int] | None = SKIPPED_PLANES) -> dict[int, str]:
    """``str.translate`` table over all of Unicode (unassigned code points left out)."""
    table: dict[int, str] = {}
    codes: Iterable[int] = range(0x80, sys.maxunicode + 1)
    if skip is not None:
        codes = itertools.chain(range(0x80, skip[0]), range(skip[1], sys.maxunicode + 1))
    for code in codes:
        char = chr(code)
        if unicodedata.category(char) in ("Cn", "Cs", "Co"):
            continue
        folded = _folded(char)
        if folded is not None:
            table[code] = folded
    return table


def _ranges(codes: Iterable[int]) -> str:
    """An RE2 class body for the code points (ranges merged)."""
    ordered = sorted(set(codes))
    parts: list[str] = []
    start = previous = -2
    for code in [*ordered, -1]:
        if code == previous + 1:
            previous = code
            continue
        if start >= 0:
            parts.append(
                f"\\x{{{start:X}}}"
                if start == previous
                else f"\\x{{{start:X}}}-\\x{{{previous:X}}}"
            )
        start = previous = code
    return "".join(parts)


# Characters a Thai government file commonly holds: the prefilter's structured patterns take
# them in compact classes (Latin-1, Thai digits, general punctuation with its spaces, dashes and
# invisible controls, minus, CJK spaces and commas, BOM, full-width forms). Every other character
# the fold turns into something the detector reads is "rare": a cell holding one is a candidate
# whatever else it holds. Huge classes inside counted repetitions made RE2 35x slower.
COMMON: tuple[tuple[int, int], ...] = (
    (0x80, 0xFF),
    (0xE50, 0xE59),
    (0x2000, 0x206F),
    (0x2212, 0x2212),
    (0x3000, 0x3003),
)
COMMON += ((0xFEFF, 0xFEFF), (0xFF01, 0xFF5E))
# What the detector reads: digits, separators, @, and the letters of "at" and of O-for-zero.
_READ = set("0123456789@aAtToO") | set(ASCII_SEPARATORS)


def _common(code: int) -> bool:
    return any(low <= code <= high for low, high in COMMON)


@cache
def re2_class(targets: str, *, deleted: bool = False) -> str:
    """An RE2 class of the ASCII ``targets`` (e.g. ``0123456789``) and every common character
    the detector reads as one of them. ``targets`` holding a separator (or ``deleted``) also
    takes the common characters the fold deletes (they can sit between two digits)."""
    wanted = set(targets)
    deleted = deleted or any(char in ASCII_SEPARATORS for char in targets)
    codes = [ord(char) for char in wanted]
    for code, folded in _common_folds().items():
        if folded in wanted or (deleted and folded == ""):
            codes.append(code)
    return f"[{_ranges(codes)}]"


@cache
def _common_folds() -> dict[int, str]:
    """The fold of the common characters only: every process builds the detector's classes
    at import, and walking the whole table once per class cost it a third of a second."""
    table = fold_table()
    return {
        code: table[code] for low, high in COMMON for code in range(low, high + 1) if code in table
    }


@cache
def rare_class() -> str:
    """An RE2 class of every uncommon character the detector reads as something that matters
    (a digit, a separator, ``@``, a letter of "at" or an O) or deletes."""
    codes = [
        code
        for code, folded in fold_table().items()
        if not _common(code) and (folded == "" or folded in _READ)
    ]
    return f"[{_ranges(codes)}]"


# --- normalisation ------------------------------------------------------------------------------

Origins = list[tuple[int, int]]  # per normalised character: its span in the original text


def _sub(
    text: str,
    origins: Origins,
    pattern: re.Pattern[str],
    replace: str | Callable[[re.Match[str]], str],
) -> tuple[str, Origins]:
    """``pattern`` replaced by ``replace`` (a string or a function of the match), spans kept."""
    if pattern.search(text) is None:
        return text, origins
    out: list[str] = []
    spans: Origins = []
    position = 0
    for match in pattern.finditer(text):
        start, end = match.span()
        new = replace if isinstance(replace, str) else replace(match)
        if new == match.group():
            continue
        out.append(text[position:start])
        spans += origins[position:start]
        if new and end > start:
            span = (origins[start][0], origins[end - 1][1])
            out.append(new)
            spans += [span] * len(new)
        position = end
    out.append(text[position:])
    spans += origins[position:]
    return "".join(out), spans


def _decode(match: re.Match[str]) -> str:
    piece = match.group()
    if piece.startswith("&"):
        return html.unescape(piece)
    return unquote(piece, errors="replace")


_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z]{2,8});")
_PERCENT = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
# A letter O in a token of digits is a zero (O81-999-0005); not in words (xn--o3cw4h, 4awk9o).
_ZERO_LETTER = re.compile(r"(?<![A-Za-z0-9])(?=[0-9Oo]*[0-9])[0-9Oo]+(?![A-Za-z0-9])")
# (?<!\s): a match starts where a run of spaces starts, never inside it (linear time).
_AT = re.compile(
    r"(?<!\s)\s*[\[({<]\s*(?:at|แอท|@)\s*[\])}>]\s*|(?<!\s)\s+แอท\s+|(?<!\s)\s*@\s*"
    r"|(?<=\w)แอท(?=\w)",
    re.I,
)
_DOT = re.compile(r"(?<!\s)\s*[\[({<]\s*(?:dot|ดอท)\s*[\])}>]\s*|(?<!\s)\s+(?:dot|ดอท)\s+", re.I)
_SPACED_DOT = re.compile(
    r"(?<=[A-Za-z0-9\u0e00-\u0e7f])\s+\.\s*(?=[A-Za-z0-9])|(?<=\S)\.\s+(?=[a-z]{2,}\b)"
)
_THAI_COM = re.compile(r"(?<=\.)\s*คอม")
_COMMA_TLD = re.compile(r"(?<=[A-Za-z0-9]),(?=(?:com|net|org|co|go|ac|or|in|th)\b)", re.I)
_SPACED_LETTERS = re.compile(r"(?<![^\s@.])[A-Za-z0-9](?:\s[A-Za-z0-9])+(?![^\s@.])")
# `` at `` between a name and a domain, unless the name is a word or the domain a web address.
_AT_WORD = re.compile(
    r"(?<![A-Za-z0-9._%+\-])([A-Za-z0-9._%+\-]+)\s+at\s+([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)", re.I
)
_NOT_A_NAME = frozenset(
    re.findall(
        r"\w+",
        "available published details detail located held found posted online listed shown "
        "announced see seen look more information here registered filed signed issued made "
        "done open opened closed dated priced valued estimated offered awarded",
    )
)
_WEB_PORTALS = ("data.go.th", "ratchakitcha.soc.go.th", "gprocurement.go.th", "opendata.")


def _at_word(match: re.Match[str]) -> str:
    name, domain = match.group(1), match.group(2).lower()
    if (
        name.lower() in _NOT_A_NAME
        or domain.startswith(("www.", "http"))
        or any(portal in domain for portal in _WEB_PORTALS)
    ):
        return match.group()
    return f"{name}@{match.group(2)}"


def _fold(text: str, origins: Origins) -> tuple[str, Origins]:
    """Per character, by the fold table (spans move only when characters are deleted)."""
    if text.isascii():
        return text, origins
    table = fold_table()
    folded = text.translate(table)
    if len(folded) == len(text):
        return folded, origins
    spans = [span for char, span in zip(text, origins, strict=True) if table.get(ord(char)) != ""]
    return folded, spans


def normalise(text: str) -> tuple[str, Origins]:
    """The text with its disguises undone, and each character's span in ``text``."""
    origins: Origins = [(i, i + 1) for i in range(len(text))]
    for _ in range(2):  # twice: double encoding (%2540)
        text, origins = _sub(text, origins, _ENTITY, _decode)
        text, origins = _sub(text, origins, _PERCENT, _decode)
    text, origins = _fold(text, origins)
    text, origins = _sub(
        text, origins, _ZERO_LETTER, lambda m: m.group().replace("O", "0").replace("o", "0")
    )
    text, origins = _sub(text, origins, _DOT, ".")
    text, origins = _sub(text, origins, _SPACED_DOT, ".")
    text, origins = _sub(text, origins, _AT, "@")
    text, origins = _sub(text, origins, _AT_WORD, _at_word)
    if "@" in text:
        text, origins = _sub(text, origins, _THAI_COM, "com")
        text, origins = _sub(text, origins, _COMMA_TLD, ".")
        text, origins = _sub(text, origins, _SPACED_LETTERS, lambda m: m.group().replace(" ", ""))
    return text, origins


def normalised(text: str) -> str:
    return normalise(text)[0]
