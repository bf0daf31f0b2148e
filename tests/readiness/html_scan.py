"""A scanner of the rendered report for what a reader must never see: raw snake_case keys, text
in one language where both are required, mixed-language labels, percentages without their n/N
and evidence that is not a web link.

The page marks its words with ``lang="th"`` / ``lang="en"`` spans, side by side in the same
block (cell, paragraph, list item, heading), and proper names, codes and URLs with
``translate="no"``. Scripts, styles and chart SVGs are not read (the charts are checked apart).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

THAI = re.compile(r"[\u0E00-\u0E7F]")
LATIN = re.compile(r"[A-Za-z]")
LOWER_WORD = re.compile(r"(?<![A-Za-z])[a-z]{2,}")  # an English word inside a Thai label
# A publication's own title cited in parentheses inside Thai text is a name, not a label.
CITATION = re.compile(r"\([^()\u0E00-\u0E7F]*\)")
# Names of sites, packages and files (data.go.th, ckanext-thai_gdc, ckan_dataset.json) and
# uppercase acronyms (OGP, MQA, DCAT-AP) are names in any language.
NAME = re.compile(r"[A-Za-z0-9]+(?:[.\-_][A-Za-z0-9]+)+")
FIGURE_CLASSES = {"num", "fig", "badge"}  # where a figure's value is shown
SNAKE = re.compile(r"(?<![\w/.-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/.-])")
URL = re.compile(r"https?://\S+")
PERCENT = re.compile(r"\d%(?! \(\d+/\d+\))")
BLOCKS = {"p", "li", "td", "th", "h1", "h2", "h3", "summary", "caption", "dt", "dd"}
SKIPPED = {"script", "style", "svg", "head"}
VOID = {"br", "meta", "link", "img", "hr", "input", "col", "wbr"}


@dataclass
class _Block:
    tag: str
    langs: set[str] = field(default_factory=set)
    text: str = ""
    figure_text: str = ""


class ReportScan(HTMLParser):
    def __init__(self, names: Iterable[str] = ()) -> None:
        super().__init__(convert_charrefs=True)
        # titles of cited publications: names, whatever their language
        self.names = sorted({n for n in names if n}, key=len, reverse=True)
        self.problems: list[str] = []
        self.stack: list[tuple[str, dict[str, str | None]]] = []
        self.blocks: list[_Block] = []
        self.links: list[str] = []

    # --- structure ---------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "a" and not self._skipped():
            self.links.append(attributes.get("href") or "")
        if tag in VOID:
            return
        self.stack.append((tag, attributes))
        if tag in BLOCKS:
            self.blocks.append(_Block(tag))
        lang = attributes.get("lang")
        if lang and tag != "html" and self.blocks and not self._skipped():
            self.blocks[-1].langs.add(lang)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        while self.stack:
            open_tag, _ = self.stack.pop()
            if open_tag in BLOCKS:
                self._close(self.blocks.pop())
            if open_tag == tag:
                break

    def _close(self, block: _Block) -> None:
        if ("th" in block.langs) != ("en" in block.langs):
            self.problems.append(
                f"<{block.tag}> has only {sorted(block.langs)}: {block.text.strip()[:80]!r}"
            )
        if PERCENT.search(block.figure_text):
            self.problems.append(
                f"percentage without n/N in <{block.tag}>: {block.figure_text.strip()[:80]!r}"
            )

    def _skipped(self) -> bool:
        return any(tag in SKIPPED for tag, _ in self.stack)

    def _in_figure(self) -> bool:
        return any(
            FIGURE_CLASSES & set(str(attributes.get("class") or "").split())
            for _, attributes in self.stack
        )

    def _lang(self) -> str | None:
        for tag, attributes in reversed(self.stack):
            if attributes.get("translate") == "no":
                return "none"
            if attributes.get("lang") and tag != "html":
                return attributes["lang"]
        return None

    # --- text --------------------------------------------------------------------------
    def handle_data(self, data: str) -> None:
        if self._skipped() or not data.strip():
            return
        text = URL.sub(" ", data)
        if self.blocks:
            self.blocks[-1].text += data
            if self._in_figure():
                self.blocks[-1].figure_text += data
        for key in SNAKE.findall(text):
            self.problems.append(f"raw key {key!r} in {data.strip()[:80]!r}")
        if not (THAI.search(text) or LATIN.search(text)):
            return  # numbers, symbols, n/N
        lang = self._lang()
        where = data.strip()[:80]
        if lang is None:
            self.problems.append(f"text outside a Thai/English span: {where!r}")
        elif lang == "th":
            if not THAI.search(text):
                self.problems.append(f"Thai span without Thai: {where!r}")
            unnamed = text
            for name in self.names:
                unnamed = unnamed.replace(name, " ")
            if LOWER_WORD.search(NAME.sub(" ", CITATION.sub(" ", unnamed))):
                self.problems.append(f"English words inside a Thai label: {where!r}")
        elif lang == "en" and THAI.search(text):
            self.problems.append(f"Thai inside an English span: {where!r}")
        elif lang == "en" and not LATIN.search(text):
            self.problems.append(f"English span without English: {where!r}")


def source_titles(node: Any) -> set[str]:
    """Every ``title`` of a source in a configuration (a model dump): publication names."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, child in node.items():
            if key == "title" and isinstance(child, str):
                found.add(child)
            found |= source_titles(child)
    elif isinstance(node, list | tuple):
        for child in node:
            found |= source_titles(child)
    return found


def scan(html: str, names: Iterable[str] = ()) -> ReportScan:
    """Problems of ``html``; ``names``: titles of cited publications, read as names."""
    scanner = ReportScan(names)
    scanner.feed(html)
    scanner.close()
    for link in scanner.links:
        if not link.startswith(("http://", "https://")):
            scanner.problems.append(f"link that is not a web address: {link!r}")
    return scanner
