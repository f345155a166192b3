"""Streaming JSON reader for data-point files: a JSON array, one object, or JSON Lines.

The file is read in chunks and each top-level value (each array element, each line) decoded
with :meth:`json.JSONDecoder.raw_decode` as soon as it is complete, so memory is bounded by
the largest single value, not the file. Every value comes with its 1-based position and the
line it starts on, for error messages.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from bedside.domain import InputFormatError

__all__ = ["iter_json_values"]

_CHUNK = 1 << 20
_WS = " \t\r\n"


def iter_json_values(path: Path) -> Iterator[tuple[int, int, object]]:
    """Yield ``(position, line, value)`` for each top-level value of `path`.

    A file starting with ``[`` yields the array's elements; otherwise it yields each
    whitespace-separated value (a single object, or JSON Lines).

    Raises
    ------
    InputFormatError
        Naming the line of malformed JSON or of a truncated file.
    """
    source = str(path)
    decoder = json.JSONDecoder()
    try:
        handle = path.open(encoding="utf-8-sig")
    except OSError as exc:
        raise InputFormatError(source, f"cannot read file ({exc.strerror})") from exc
    with handle:
        buf = ""
        pos = 0
        line = 1
        eof = False
        in_array: bool | None = None
        count = 0

        def fill() -> bool:
            nonlocal buf, pos, eof
            try:
                chunk = handle.read(_CHUNK)
            except UnicodeDecodeError as exc:
                raise InputFormatError(source, f"not UTF-8 text ({exc.reason})") from exc
            if not chunk:
                eof = True
                return False
            buf = buf[pos:] + chunk
            pos = 0
            return True

        def skip(extra: str = "") -> None:
            nonlocal pos, line
            while True:
                while pos < len(buf) and (buf[pos] in _WS or buf[pos] in extra):
                    if buf[pos] == "\n":
                        line += 1
                    pos += 1
                if pos < len(buf) or not fill():
                    return

        skip()
        if pos >= len(buf):
            raise InputFormatError(source, "empty file, expected JSON data points", line=1)
        in_array = buf[pos] == "["
        if in_array:
            pos += 1
        expect_comma = False
        while True:
            skip()
            if pos >= len(buf):
                if in_array:
                    raise InputFormatError(source, "truncated JSON array (no closing ])", line=line)
                return
            ch = buf[pos]
            if in_array and ch == "]":
                skip_tail = buf[pos + 1 :].strip()
                if skip_tail:
                    raise InputFormatError(source, "data after the closing ]", line=line)
                return
            if in_array and expect_comma:
                if ch != ",":
                    raise InputFormatError(source, f"expected ',' or ']', got {ch!r}", line=line)
                pos += 1
                expect_comma = False
                continue
            while True:
                try:
                    value, end = decoder.raw_decode(buf, pos)
                    break
                except json.JSONDecodeError as exc:
                    if not eof and fill():
                        continue
                    bad_line = line + buf.count("\n", pos, exc.pos)
                    raise InputFormatError(
                        source, f"malformed JSON ({exc.msg})", line=bad_line
                    ) from exc
            count += 1
            start_line = line
            line += buf.count("\n", pos, end)
            pos = end
            expect_comma = bool(in_array)
            yield count, start_line, value
