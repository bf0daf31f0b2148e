"""How the report shows a figure: the Jinja2 environment and the filters the templates use.

Rules the HTML-scan test holds the templates to: every word a reader sees is in Thai and English
(:mod:`pipelines.readiness.wording`), a percentage always carries its n/N, a share without
counts is never shown as a percentage, and evidence is a link on the web (a local path of the
pipeline's machine is never shown: a figure with only local evidence says so).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from pipelines.readiness.figures import LABELS, PER_FAMILY, Figure, label
from pipelines.readiness.wording import (
    NO_DATA,
    OPERATORS,
    VOCABULARY,
    Words,
    family_words,
    term,
)
from pipelines.thai import ce_to_be


def is_url(text: object) -> bool:
    return isinstance(text, str) and text.startswith(("http://", "https://"))


def web_evidence(urls: Iterable[str]) -> list[str]:
    """The evidence a reader can open: URLs only, never a path on the pipeline's machine."""
    return [u for u in urls if is_url(u)]


AGENCY_TAIL = (" หน่วยงาน", ", agency")  # how per-agency prefixes end their labels


def key_words(key: str) -> Words:
    """A figure key's label; a per-family key names its family in each language; the base of
    a per-agency key (``licensing_on_time`` of ``licensing_on_time_<agency>``) is its label
    without the agency."""
    if key in LABELS:
        return LABELS[key]
    if f"{key}_" in PER_FAMILY:
        th, en = PER_FAMILY[f"{key}_"]
        return th.removesuffix(AGENCY_TAIL[0]), en.removesuffix(AGENCY_TAIL[1])
    for prefix, (th, en) in PER_FAMILY.items():
        if key.startswith(prefix):
            tail = key.removeprefix(prefix)
            family_th, family_en = family_words(tail)
            # a family is set apart ("awaiting data: budget"); a number or code follows on
            sep = ": " if tail in VOCABULARY["family"] else " "
            return f"{th}{sep}{family_th}", f"{en}{sep}{family_en}"
    return label(key)


def figure_words(f: Figure) -> Words:
    """The label to show: a per-family key names its family in each language (its own label
    may carry the family's key); any other figure keeps its own label (e.g. a national
    co-creation standard labelled with the standard's name)."""
    families = VOCABULARY["family"]
    if f.key not in LABELS and any(
        f.key.startswith(prefix) and f.key.removeprefix(prefix) in families for prefix in PER_FAMILY
    ):
        return key_words(f.key)
    return f.label_th, f.label_en


def ratio(numerator: int | None, denominator: int | None) -> str:
    return "" if numerator is None or denominator is None else f"{numerator}/{denominator}"


# the maximum of a points figure that carries no counts, by figure key (e.g. MQA: 405),
# registered by the section that shows it (:func:`register_maximum`)
MAXIMA: dict[str, float] = {}


def register_maximum(key: str, maximum: float) -> None:
    MAXIMA[key] = maximum


def maximum_of(key: str) -> float | None:
    return MAXIMA.get(key)


def amount(
    value: Any,
    unit: str = "",
    numerator: int | None = None,
    denominator: int | None = None,
    maximum: float | None = None,
) -> str:
    """A value without words: a number, a percentage *with* its n/N, stars or points.

    A share with its counts is "62.5% (5/8)"; a share without counts (a weighted score, a
    mean against a maximum) is shown out of 100, never as a bare percentage. Values that need
    words (no data, yes/no, text) give "" and the template shows :func:`value_words`."""
    if value is None or isinstance(value, bool) or unit in {"bool", "text"}:
        return ""
    if isinstance(value, str):
        return ""
    if unit == "share":
        if numerator is not None and denominator is not None:
            return f"{100 * value:.1f}% ({numerator}/{denominator})"
        return f"{100 * value:.1f} / 100"
    if unit == "stars":
        return f"{value:.2f} ★"
    if unit == "points" and denominator and numerator == value:
        return f"{value:g} / {denominator}"  # points out of the points available: 12 / 16
    if unit == "points" and maximum is not None and numerator is None:
        return f"{value:g} / {maximum:g}"  # points of a scale without counts: 191.2 / 405
    counts = f" ({numerator}/{denominator})" if numerator is not None and denominator else ""
    if isinstance(value, float):
        return f"{value:g}{counts}"
    return f"{value}{counts}"


def value_words(value: Any, unit: str = "") -> Words | None:
    """Words for a value that needs them; None when :func:`amount` says it all."""
    if value is None:
        return NO_DATA
    if isinstance(value, bool) or unit == "bool":
        return term("bool", bool(value))
    if isinstance(value, str):
        try:
            return term("value", value)
        except KeyError:
            return None  # a proper name or title: shown as it is, marked not to translate
    return None


def operator_words(op: str) -> Words:
    return OPERATORS[op]


THAI = re.compile(r"[\u0E00-\u0E7F]")
# Where the figure builders name an agency by its registry code: a per-agency label's tail
# (``..., agency: dla`` / ``... หน่วยงาน: dla``, figures.label) and the partitions a module
# could not read (``not readable: dla, doh`` / ``อ่านข้อมูลไม่ได้: dla``, licensing) or
# compute (``received but not computed: dla`` and the other lists of red_flag_rate). Only
# there is a code an agency reference; anywhere else it is a word ("rid"). A module that
# lists agencies after a new phrase adds the phrase here (tests/readiness/test_present.py
# finds every phrase a readiness module joins a list after and checks it is listed).
AGENCY_MARKERS = (
    "agency",
    "หน่วยงาน",
    "not readable",
    "อ่านข้อมูลไม่ได้",
    "received but not computed",
    "ไม่มีผลของหน่วยงานที่ได้รับข้อมูล",
    "red-flag file not on the portal",
    "ไฟล์สัญญาณเตือนไม่อยู่บนพอร์ทัล",
    "some red flags not computable (no bids)",
    "บางสัญญาณเตือนคำนวณไม่ได้ (ไม่มีข้อมูลการเสนอราคา)",
)
# a code ends where a word would: not inside a URL, a dataset name (cgd-budget) or a key; a
# full stop ends it ("doh.") unless a letter or digit follows (a domain: doh.go.th)
_CODE_END = r"(?![A-Za-z0-9_/:@\-]|\.[A-Za-z0-9])"


class Names:
    """Proper names inside the report's texts, shown in the reader's language.

    A module's note or label names agencies by their registry code in the positions of
    :data:`AGENCY_MARKERS` ("not readable: dla"), and cites a publication by its title ("from
    EIU Democracy Index ..."). In a Thai text such a code becomes the agency's Thai name
    (registry ``name_th``), in an English text its English name; a text that is a code alone is
    rewritten too. A code anywhere else is an ordinary word and is left alone ("rid applicants
    of"). A title is kept as published and marked with its own language (``<cite lang="en">``),
    so an English-only title inside a Thai label is a citation, not an untranslated word."""

    def __init__(
        self,
        agencies: Mapping[str, tuple[str, str]],
        titles: Iterable[str],
        *,
        markup: bool = True,
    ) -> None:
        self.agencies = dict(agencies)
        self.markup = markup
        self.titles = sorted({t for t in titles if t}, key=len, reverse=True)
        codes = sorted(self.agencies, key=len, reverse=True)
        parts = [re.escape(t) for t in self.titles]
        self.codes = None
        if codes:
            code = "(?:" + "|".join(re.escape(c) for c in codes) + ")" + _CODE_END
            markers = "|".join(re.escape(m) for m in AGENCY_MARKERS)
            # the marker and its list of codes, one match: each code of the list is shown
            parts.append(rf"(?:(?<![A-Za-z\u0E00-\u0E7F])(?:{markers}): |^)(?:{code})(?:, {code})*")
            self.codes = re.compile(code)
        self.pattern = re.compile("|".join(parts)) if parts else None

    def th(self, text: object) -> Markup | str:
        return self._show(text, 0)

    def en(self, text: object) -> Markup | str:
        return self._show(text, 1)

    def agency(self, code: str) -> tuple[str, str] | None:
        """The agency's (Thai, English) names; None when the registry does not list it (the
        page then shows its portal title as a proper name)."""
        return self.agencies.get(code)

    def _show(self, text: object, language: int) -> Markup | str:
        plain = "" if text is None else str(text)
        if self.pattern is None:
            return escape(plain) if self.markup else plain
        shown = Markup("") if self.markup else ""  # Markup + str escapes the str
        position = 0
        for match in self.pattern.finditer(plain):
            found = match.group(0)
            shown += plain[position : match.start()]
            if found in self.titles:
                if self.markup:
                    own = "th" if THAI.search(found) else "en"
                    shown += Markup('<cite lang="{}">{}</cite>').format(own, found)
                else:
                    shown += found
            elif (
                match.start() == 0 and match.end() < len(plain) and found in self.agencies
            ):  # a code at the start of a longer text is a word, not a reference
                shown += found
            else:
                shown += self._codes(found, language)
            position = match.end()
        return shown + plain[position:]

    def _codes(self, found: str, language: int) -> str:
        """A marker and its codes with each code replaced by the agency's name."""
        assert self.codes is not None
        return self.codes.sub(lambda m: self.agencies[m.group(0)][language], found)


def cited_titles(node: Any) -> list[str]:
    """Every ``title`` in a configuration (a model dump): the publications it cites."""
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found |= {v for k, v in item.items() if k == "title" and isinstance(v, str)}
            stack += list(item.values())
        elif isinstance(item, list | tuple):
            stack += list(item)
    return sorted(found)


def shared_notes(
    rows: Iterable[Mapping[str, Figure]], keys: Iterable[str]
) -> dict[str, tuple[str, str]]:
    """The notes every row of a per-agency table shares in a column (two rows or more, both
    languages), by column key: shown once under the heading, not repeated in each cell."""
    figures = list(rows)
    shared: dict[str, tuple[str, str]] = {}
    for key in keys:
        notes = {(f[key].note_th, f[key].note_en) for f in figures if key in f}
        if len(figures) > 1 and len(notes) == 1:
            th, en = next(iter(notes))
            if th and en:
                shared[key] = (th, en)
    return shared


def cell(text: object) -> str:
    """Text safe inside a Markdown table cell. Markup (a macro's output, already escaped)
    stays Markup, so autoescaping does not escape it a second time (``&amp;#39;``)."""
    if isinstance(text, Markup):  # Markup.replace keeps it Markup
        return text.replace("|", "\\|").replace("\n", " ")
    return str(text).replace("|", "\\|").replace("\n", " ")


def environment() -> Environment:
    """Jinja2 with autoescaping on for every template (HTML and Markdown alike)."""
    env = Environment(
        loader=PackageLoader("pipelines.readiness", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["amount"] = amount
    env.filters["buddhist_era"] = ce_to_be
    env.filters["is_url"] = is_url
    env.filters["web"] = web_evidence
    env.filters["cell"] = cell
    env.globals.update(
        term=term,
        key_words=key_words,
        figure_words=figure_words,
        value_words=value_words,
        operator_words=operator_words,
        ratio=ratio,
        shared_notes=shared_notes,
        maximum_of=maximum_of,
    )
    return env
