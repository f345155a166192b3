"""Per-record timestamps of imported files -> UTC seconds, honouring each record's own offset.

Records written with a UTC offset (Open mHealth ISO 8601 date-times, Apple Health's
``2024-03-31 08:00:00 +0200``) are converted with that offset, so a patient travelling across
zones keeps correct instants record by record. Naive wall-clock times are read in an IANA zone
(the file's or the row's), where a time skipped by a spring-forward change is an error and a
time in the repeated fall-back hour takes its first instant unless that would not be later than
the previous record in the same zone, in which case it takes the second (file order).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["NaiveTimeResolver", "TimeFormatError", "parse_apple_time", "parse_iso_time", "zone_of"]

_UTC = dt.UTC


class TimeFormatError(ValueError):
    """A timestamp cannot be read; the message says why (callers add file and line)."""


def parse_apple_time(text: str) -> int:
    """UTC seconds of an Apple Health date ``YYYY-MM-DD HH:MM:SS +HHMM``.

    Raises
    ------
    TimeFormatError
    """
    if len(text) != 25 or text[10] != " " or text[19] != " " or text[20] not in "+-":
        raise TimeFormatError(f"expected 'YYYY-MM-DD HH:MM:SS +HHMM', got {text!r}")
    try:
        stamp = dt.datetime(
            int(text[0:4]),
            int(text[5:7]),
            int(text[8:10]),
            int(text[11:13]),
            int(text[14:16]),
            int(text[17:19]),
            tzinfo=_UTC,
        )
        off_h, off_m = int(text[21:23]), int(text[23:25])
    except ValueError as exc:
        raise TimeFormatError(f"invalid date-time {text!r} ({exc})") from exc
    if off_h > 18 or off_m > 59:
        raise TimeFormatError(f"invalid UTC offset in {text!r}")
    offset = (off_h * 3600 + off_m * 60) * (1 if text[20] == "+" else -1)
    return int(stamp.timestamp()) - offset


def parse_iso_time(text: str) -> dt.datetime:
    """An ISO 8601 date-time, aware when it carries ``Z`` or an offset, naive otherwise.

    Raises
    ------
    TimeFormatError
    """
    try:
        return dt.datetime.fromisoformat(text.strip())
    except (ValueError, AttributeError) as exc:
        raise TimeFormatError(f"cannot parse {text!r} as an ISO 8601 date-time") from exc


def zone_of(text: str) -> dt.tzinfo:
    """An IANA zone name, ``UTC``/``Z``, or a fixed offset ``+HH:MM``/``-HHMM``/``UTC+01:00``.

    Raises
    ------
    TimeFormatError
    """
    s = text.strip()
    if s.upper().startswith("UTC") and len(s) > 3:
        s = s[3:]
    if s and s[0] in "+-":
        digits = s[1:].replace(":", "")
        if not (digits.isdigit() and len(digits) in (2, 4)):
            raise TimeFormatError(f"invalid UTC offset {text!r}")
        minutes = int(digits[:2]) * 60 + (int(digits[2:]) if len(digits) == 4 else 0)
        if minutes > 18 * 60:
            raise TimeFormatError(f"invalid UTC offset {text!r}")
        return dt.timezone(dt.timedelta(minutes=minutes if s[0] == "+" else -minutes))
    if s.upper() in ("Z", "UTC"):
        return _UTC
    try:
        return ZoneInfo(s)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise TimeFormatError(f"unknown time zone {text!r}") from exc


class NaiveTimeResolver:
    """Converts naive wall-clock times to UTC, record by record, in file order."""

    def __init__(self) -> None:
        self._previous: dict[str, int] = {}

    def to_utc(self, stamp: dt.datetime, zone: dt.tzinfo) -> int:
        """UTC seconds of `stamp` (aware: its own offset; naive: wall time in `zone`).

        Raises
        ------
        TimeFormatError
            When a naive time does not exist in `zone` (skipped by a clock change).
        """
        if stamp.tzinfo is not None:
            return int(stamp.timestamp())
        first = stamp.replace(tzinfo=zone, fold=0)
        utc0 = int(first.timestamp())
        back = dt.datetime.fromtimestamp(utc0, zone).replace(tzinfo=None)
        if back != stamp.replace(microsecond=0) and back != stamp:
            raise TimeFormatError(
                f"local time {stamp.isoformat(sep=' ')} does not exist in {zone} "
                "(skipped by a clock change)"
            )
        utc1 = int(stamp.replace(tzinfo=zone, fold=1).timestamp())
        key = str(zone)
        prev = self._previous.get(key)
        utc = utc1 if (utc1 != utc0 and prev is not None and utc0 <= prev) else utc0
        self._previous[key] = utc
        return utc
