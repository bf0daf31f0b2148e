"""A small parser for the Solr/Lucene query syntax that CKAN and its clients send.

CKAN builds `q` and `fq` strings in Solr's standard syntax (``+capacity:public
+state:(active OR draft)``, ``tags:"economy"``,
``metadata_modified:[2024-01-01T00:00:00Z TO *]``) and so do API clients. This module turns
such a string into a tiny AST that `sqlgen` compiles to SQL. It covers the subset CKAN and
ordinary clients use: bare and quoted terms, ``field:value``, ``field:(a OR b)``, ranges with
``[ ]``/``{ }`` and ``*`` bounds, ``*:*``, ``field:*``, wildcards ``*``/``?`` inside terms,
``AND``/``OR``/``NOT``/``&&``/``||``/``!``, ``+``/``-`` prefixes, grouping and backslash
escapes. Boosts (``^2``) and fuzziness (``~``) are accepted and ignored.

The default operator is AND (CKAN sets ``q.op=AND``), so ``a b`` means ``+a +b``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "All",
    "And",
    "Exists",
    "Node",
    "Not",
    "Or",
    "QuerySyntaxError",
    "Range",
    "Term",
    "parse",
]


class QuerySyntaxError(ValueError):
    """The query string is not valid in the supported Lucene subset."""


@dataclass(frozen=True)
class All:
    """``*:*``: matches every document."""


@dataclass(frozen=True)
class Term:
    """A term; ``field`` is None for the default (free-text) field."""

    field: str | None
    value: str
    phrase: bool = False  # quoted: wildcards are literal

    @property
    def has_wildcard(self) -> bool:
        return not self.phrase and ("*" in self.value or "?" in self.value)


@dataclass(frozen=True)
class Exists:
    """``field:*``: the field has a value."""

    field: str


@dataclass(frozen=True)
class Range:
    field: str
    low: str | None  # None for an open bound (``*``)
    high: str | None
    include_low: bool = True
    include_high: bool = True


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...] = field(default_factory=tuple)


Node = All | Term | Exists | Range | Not | And | Or

_SPECIAL = set('+-&|!(){}[]^"~:\\/')
_OPERATORS = {"AND": "AND", "&&": "AND", "OR": "OR", "||": "OR", "NOT": "NOT", "!": "NOT"}


@dataclass
class _Token:
    kind: str  # WORD, PHRASE, LPAREN, RPAREN, LRANGE, RRANGE, COLON, PLUS, MINUS, AND, OR, NOT
    text: str


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == '"':
            j, buf = i + 1, []
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(text[j])
                j += 1
            if j >= n:
                raise QuerySyntaxError(f"unterminated quote in {text!r}")
            tokens.append(_Token("PHRASE", "".join(buf)))
            i = j + 1
            i = _skip_modifiers(text, i)
        elif ch in "()":
            tokens.append(_Token("LPAREN" if ch == "(" else "RPAREN", ch))
            i += 1
            if ch == ")":
                i = _skip_modifiers(text, i)
        elif ch in "[{":
            tokens.append(_Token("LRANGE", ch))
            i += 1
        elif ch in "]}":
            tokens.append(_Token("RRANGE", ch))
            i += 1
        elif ch == ":":
            tokens.append(_Token("COLON", ch))
            i += 1
        elif ch == "+":
            tokens.append(_Token("PLUS", ch))
            i += 1
        elif ch == "-":
            tokens.append(_Token("MINUS", ch))
            i += 1
        elif text.startswith("&&", i) or text.startswith("||", i):
            tokens.append(_Token(_OPERATORS[text[i : i + 2]], text[i : i + 2]))
            i += 2
        elif ch == "!":
            tokens.append(_Token("NOT", ch))
            i += 1
        else:
            j, buf = i, []
            while j < n and not text[j].isspace() and text[j] not in _SPECIAL:
                buf.append(text[j])
                j += 1
                # a hyphen inside a word (e.g. a dataset name or a date) is part of the word
                # likewise '+' in date math (NOW+1DAY)
                while j < n and text[j] in "-/+" and j + 1 < n and not text[j + 1].isspace():
                    buf.append(text[j])
                    j += 1
                if j < n and text[j] == "\\" and j + 1 < n:
                    buf.append(text[j + 1])
                    j += 2
            if j == i:  # a lone special character we do not support (e.g. '^' or '~')
                i = _skip_modifiers(text, i) if ch in "^~" else i + 1
                continue
            word = "".join(buf)
            kind = _OPERATORS.get(word, "WORD") if word in ("AND", "OR", "NOT") else "WORD"
            tokens.append(_Token(kind, word))
            i = _skip_modifiers(text, j)
    return tokens


def _skip_modifiers(text: str, i: int) -> int:
    """Skip boosts (``^2.5``) and fuzziness/proximity (``~``, ``~2``): scoring hints we ignore."""
    while i < len(text) and text[i] in "^~":
        i += 1
        while i < len(text) and (text[i].isdigit() or text[i] == "."):
            i += 1
    return i


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, kind: str | None = None) -> _Token:
        tok = self.peek()
        if tok is None or (kind is not None and tok.kind != kind):
            want = kind or "a token"
            got = tok.text if tok else "end of query"
            raise QuerySyntaxError(f"expected {want}, got {got!r}")
        self.pos += 1
        return tok

    # expr := and_expr (OR and_expr)*
    def expr(self, default_field: str | None) -> Node:
        parts = [self.and_expr(default_field)]
        while (tok := self.peek()) is not None and tok.kind == "OR":
            self.pos += 1
            parts.append(self.and_expr(default_field))
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    # and_expr := unary ((AND)? unary)*   -- implicit AND because CKAN uses q.op=AND
    def and_expr(self, default_field: str | None) -> Node:
        parts = [self.unary(default_field)]
        while (tok := self.peek()) is not None and tok.kind not in ("OR", "RPAREN"):
            if tok.kind == "AND":
                self.pos += 1
            parts.append(self.unary(default_field))
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def unary(self, default_field: str | None) -> Node:
        tok = self.peek()
        if tok is not None and tok.kind in ("NOT", "MINUS"):
            self.pos += 1
            return Not(self.unary(default_field))
        if tok is not None and tok.kind == "PLUS":
            self.pos += 1
            return self.unary(default_field)
        return self.primary(default_field)

    def primary(self, default_field: str | None) -> Node:
        tok = self.take()
        if tok.kind == "LPAREN":
            node = self.expr(default_field)
            self.take("RPAREN")
            return node
        if tok.kind == "PHRASE":
            return Term(default_field, tok.text, phrase=True)
        if tok.kind != "WORD":
            raise QuerySyntaxError(f"unexpected {tok.text!r}")
        nxt = self.peek()
        if nxt is not None and nxt.kind == "COLON":
            self.pos += 1
            return self.field_value(tok.text)
        return self.term(default_field, tok.text)

    def field_value(self, name: str) -> Node:
        tok = self.peek()
        if tok is None:
            raise QuerySyntaxError(f"missing value for field {name!r}")
        if tok.kind == "LPAREN":
            self.pos += 1
            node = self.expr(name)
            self.take("RPAREN")
            return node
        if tok.kind == "LRANGE":
            return self.range(name)
        if tok.kind == "PHRASE":
            self.pos += 1
            return Term(name, tok.text, phrase=True)
        word = self.take("WORD").text
        if name == "*" and word == "*":
            return All()
        return self.term(name, word)

    @staticmethod
    def term(name: str | None, word: str) -> Node:
        if word == "*" and name is not None:
            return Exists(name)
        if word == "*" and name is None:
            return All()
        return Term(name, word)

    def range(self, name: str) -> Range:
        include_low = self.take("LRANGE").text == "["
        low = self._bound()
        to = self.take("WORD")
        if to.text.upper() != "TO":
            raise QuerySyntaxError(f"expected TO in range on {name!r}")
        high = self._bound()
        include_high = self.take("RRANGE").text == "]"
        return Range(name, low, high, include_low, include_high)

    def _bound(self) -> str | None:
        tok = self.take()
        if tok.kind not in ("WORD", "PHRASE"):
            raise QuerySyntaxError(f"bad range bound {tok.text!r}")
        text = tok.text
        # date-times carry colons (2024-01-01T00:00:00Z), which the tokenizer split off
        while (nxt := self.peek()) is not None and nxt.kind == "COLON":
            self.pos += 1
            text += ":" + self.take("WORD").text
        return None if text == "*" else text


def parse(text: str, default_field: str | None = None) -> Node:
    """Parse ``text``; an empty string matches everything."""
    tokens = _tokenize(text)
    if not tokens:
        return All()
    parser = _Parser(tokens)
    node = parser.expr(default_field)
    if parser.peek() is not None:
        raise QuerySyntaxError(f"unexpected {parser.peek().text!r} in {text!r}")  # type: ignore[union-attr]
    return node
