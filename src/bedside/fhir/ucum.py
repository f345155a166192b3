"""A small UCUM syntax checker for the units Bedside emits.

Implements the UCUM grammar (https://ucum.org/ucum, section "Syntax rules") for the subset of
atoms Bedside uses: a term is components joined by ``.`` (multiply) or ``/`` (divide), with an
optional leading ``/``; a component is a (prefixed) atom with an optional integer exponent and an
optional ``{annotation}``, a bare annotation, a positive integer factor, or a bracketed term.
It does not convert units; it only rejects what a UCUM parser would reject.
"""

from __future__ import annotations

__all__ = ["EMITTED_UNITS", "UcumSyntaxError", "parse_ucum"]

EMITTED_UNITS: frozenset[str] = frozenset(
    {"1", "%", "min", "h", "d", "/a", "{count}", "{count}/min"}
    | {"nmol/L", "nmol/L.min", "nmol/L/h"}
    | {"Hz", "{semitone}", "dB", "{syllable}/s", "s"}
    | {"km", "ms"}
    | {"/min", "mg/dL"}
    | {"{steps}/d"}
    | {"{word}"}
)
"""Every UCUM unit code Bedside writes into a Quantity."""

_ATOMS = frozenset(
    {"1", "%", "s", "min", "h", "d", "wk", "mo", "a", "g", "m", "L", "mol", "Cel", "[ppm]"}
    | {"Hz", "B"}
)
_PREFIXED = frozenset({"s", "g", "m", "L", "mol", "Hz", "B"})  # metric atoms that accept a prefix
_PREFIXES = ("da", "k", "M", "G", "c", "d", "m", "u", "n", "p")


class UcumSyntaxError(ValueError):
    """A unit code is not valid UCUM (within the supported atoms); names the position."""


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> UcumSyntaxError:
        return UcumSyntaxError(f"invalid UCUM unit {self.text!r} at position {self.pos}: {what}")

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def main(self) -> None:
        if not self.text:
            raise self.fail("empty unit")
        if self.peek() == "/":
            self.pos += 1
        self.term()
        if self.pos != len(self.text):
            raise self.fail(f"unexpected {self.peek()!r}")

    def term(self) -> None:
        self.component()
        while self.peek() in (".", "/"):
            self.pos += 1
            self.component()

    def component(self) -> None:
        ch = self.peek()
        if ch == "(":
            self.pos += 1
            self.term()
            if self.peek() != ")":
                raise self.fail("missing ')'")
            self.pos += 1
        elif ch == "{":
            self.annotation()
        elif ch.isdigit():
            start = self.pos
            while self.peek().isdigit():
                self.pos += 1
            if int(self.text[start : self.pos]) == 0:
                raise self.fail("factor must be positive")
        else:
            self.simple_unit()
            self.exponent()
            if self.peek() == "{":
                self.annotation()

    def annotation(self) -> None:
        end = self.text.find("}", self.pos)
        if end < 0:
            raise self.fail("unterminated annotation")
        body = self.text[self.pos + 1 : end]
        if any(not (33 <= ord(c) <= 126) or c in "{}" for c in body):
            raise self.fail("annotation must be printable ASCII without braces")
        self.pos = end + 1

    def simple_unit(self) -> None:
        rest = self.text[self.pos :]
        candidates = sorted(_ATOMS, key=len, reverse=True)
        for atom in candidates:
            if rest.startswith(atom) and self._ends_component(len(atom)):
                self.pos += len(atom)
                return
        for prefix in _PREFIXES:
            if not rest.startswith(prefix):
                continue
            for atom in candidates:
                if (
                    atom in _PREFIXED
                    and rest.startswith(atom, len(prefix))
                    and self._ends_component(len(prefix) + len(atom))
                ):
                    self.pos += len(prefix) + len(atom)
                    return
        raise self.fail("unknown unit atom")

    def _ends_component(self, length: int) -> bool:
        nxt = self.text[self.pos + length : self.pos + length + 1]
        return nxt in ("", ".", "/", ")", "{", "-", "+") or nxt.isdigit()

    def exponent(self) -> None:
        start = self.pos
        if self.peek() in ("+", "-"):
            self.pos += 1
        digits = self.pos
        while self.peek().isdigit():
            self.pos += 1
        if self.pos == digits and self.pos != start:
            raise self.fail("sign without exponent digits")


def parse_ucum(code: str) -> None:
    """Check that `code` is syntactically valid UCUM; raise UcumSyntaxError naming the position."""
    _Parser(code).main()
