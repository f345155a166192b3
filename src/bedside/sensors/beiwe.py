"""Reader of Beiwe raw-data folders: gps, power_state, accelerometer and keyboard streams.

A Beiwe download holds one folder per participant and per stream, with one CSV per UTC hour
named ``YYYY-MM-DD HH_MM_SS.csv`` (beiwe-backend; onnela-lab/forest reads the same layout).
Headers, from the Beiwe passive-data documentation and Forest:

- ``gps``: ``timestamp,UTC time,latitude,longitude,altitude,accuracy``
- ``power_state``: ``timestamp,UTC time,event`` (Android: ``Screen turned on``/``off``, ...)
  or ``timestamp,UTC time,event,level`` (iOS: ``Unlocked``, ``Locked``, battery events)
- ``accelerometer``: ``timestamp,UTC time,accuracy,x,y,z`` (m/s^2 on Android, g on iOS)

``timestamp`` is milliseconds since the epoch (UTC) and is authoritative; ``UTC time`` must agree
with it within a second, otherwise the row is malformed. Beiwe has no keystroke stream; the
optional ``keyboard`` folder is a Bedside extension in the same layout with header
``timestamp,UTC time,session,key_kind`` (``key_kind`` one of ``alphanumeric``, ``backspace``,
``space``, ``punctuation``, ``other``), i.e. BiAffect-style timing metadata and never content.

Files are read one at a time (memory grows only with the kept columns; accelerometer samples are
reduced to minutes per file). Rows are ordered by timestamp (stable: file name, then line);
exact duplicates (re-uploads) are dropped and counted, rows sharing a timestamp with different
values keep the first. Longitudes outside [-180, 180] are wrapped, as Forest does for studies
with GPS fuzzing. Malformed rows raise :class:`~bedside.domain.InputFormatError` naming file,
line and field, or with ``lenient=True`` are dropped and counted per reason.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from bedside.domain import (
    DroppedRowsWarning,
    GpsFrame,
    InputFormatError,
    KeyKind,
    KeystrokeFrame,
    Modality,
    PatientId,
    SampleFrame,
    ScreenEvent,
    ScreenEventFrame,
)
from bedside.sensors.csv_fields import split_fields
from bedside.sensors.local_time import check_zone
from bedside.sensors.read_report import RowChecker

__all__ = ["BeiweData", "BeiweStreamReport", "read_beiwe_folder"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

HEADERS: dict[str, tuple[tuple[str, ...], ...]] = {
    "gps": (("timestamp", "UTC time", "latitude", "longitude", "altitude", "accuracy"),),
    "power_state": (
        ("timestamp", "UTC time", "event"),
        ("timestamp", "UTC time", "event", "level"),
    ),
    "accelerometer": (("timestamp", "UTC time", "accuracy", "x", "y", "z"),),
    "keyboard": (("timestamp", "UTC time", "session", "key_kind"),),
}

SCREEN_EVENTS: dict[str, ScreenEvent] = {
    "Screen turned on": ScreenEvent.SCREEN_ON,
    "Screen turned off": ScreenEvent.SCREEN_OFF,
    "Unlocked": ScreenEvent.UNLOCKED,
    "Locked": ScreenEvent.LOCKED,
}
KEY_KINDS: dict[str, KeyKind] = {k.name.lower(): k for k in KeyKind}
_G = 9.80665


@dataclass
class BeiweStreamReport:
    """What was read from one stream folder.

    Attributes
    ----------
    files : int
    rows_read : int
        Data rows in all files.
    rows_dropped : dict of str to int
        Malformed rows dropped (lenient mode), per reason.
    duplicates : int
        Exact duplicate rows removed.
    conflicts : int
        Rows sharing a timestamp with an earlier, different row (the earlier one is kept).
    ignored_events : int
        power_state rows about other things (battery, charging, doze).
    """

    files: int = 0
    rows_read: int = 0
    rows_dropped: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    conflicts: int = 0
    ignored_events: int = 0


@dataclass(frozen=True)
class BeiweData:
    """Typed frames of one participant's folder; None for streams that are absent.

    ``accelerometer_minutes`` holds, per UTC minute with samples, the mean absolute deviation
    of the acceleration magnitude from 1 g, in milli-g (not activity counts).
    """

    gps: GpsFrame | None
    screen: ScreenEventFrame | None
    keystrokes: KeystrokeFrame | None
    accelerometer_minutes: SampleFrame | None
    reports: dict[str, BeiweStreamReport]


def _read_file(path: Path, stream: str) -> tuple[tuple[str, ...], list[str]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFormatError(str(path), f"not UTF-8 text ({exc.reason})") from exc
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise InputFormatError(str(path), "empty file, expected a header", line=1)
    header = tuple(lines[0].split(","))
    if header not in HEADERS[stream]:
        expected = " or ".join(repr(",".join(h)) for h in HEADERS[stream])
        raise InputFormatError(
            str(path), f"header must be {expected}, got {lines[0][:80]!r}", line=1, field="header"
        )
    return header, lines[1:]


def _numbers(checker: RowChecker, col: pl.Series, name: str) -> FloatArray:
    values = col.cast(pl.Float64, strict=False).fill_null(np.nan).to_numpy().astype(np.float64)
    raw = col
    checker.flag(~np.isfinite(values), name, name, lambda i: f"cannot parse {raw[i]!r} as a number")
    return values


def _timestamps(checker: RowChecker, ts: pl.Series, utc_text: pl.Series) -> IntArray:
    ms_f = _numbers(checker, ts, "timestamp")
    ms = np.where(np.isfinite(ms_f), ms_f, 0).astype(np.int64)
    parsed = (
        utc_text.str.to_datetime(time_unit="ms", strict=False)
        .dt.epoch(time_unit="ms")
        .fill_null(-(2**62))
        .to_numpy()
        .astype(np.int64)
    )
    raw = utc_text
    checker.flag(
        parsed == -(2**62),
        "utc_time",
        "UTC time",
        lambda i: f"cannot parse {raw[i]!r} as YYYY-MM-DDTHH:MM:SS[.fff]",
    )
    checker.flag(
        np.abs(parsed - ms) >= 1000,
        "utc_time_mismatch",
        "UTC time",
        lambda i: f"{raw[i]!r} disagrees with timestamp {int(ms[i])} ms",
    )
    return ms


@dataclass
class _Stream:
    """Per-file parsed columns of one stream, accumulated in file order."""

    cols: dict[str, list[npt.NDArray[np.generic]]] = field(default_factory=dict)
    hours: set[int] = field(default_factory=set)

    def add(self, **arrays: npt.NDArray[np.generic]) -> None:
        for key, arr in arrays.items():
            self.cols.setdefault(key, []).append(arr)

    def get(self, key: str, dtype: type) -> npt.NDArray[np.generic]:
        parts = self.cols.get(key, [])
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def _file_hour(path: Path) -> int | None:
    try:
        start = dt.datetime.strptime(path.stem, "%Y-%m-%d %H_%M_%S").replace(tzinfo=dt.UTC)
    except ValueError:
        return None
    return int(start.timestamp()) // 3600


def _parse_gps(checker: RowChecker, cols: list[pl.Series], out: _Stream) -> None:
    ms = _timestamps(checker, cols[0], cols[1])
    lat = _numbers(checker, cols[2], "latitude")
    lon = _numbers(checker, cols[3], "longitude")
    acc = _numbers(checker, cols[5], "accuracy")
    checker.flag(
        np.abs(lat) > 90, "latitude", "latitude", lambda i: f"latitude {lat[i]} outside +-90"
    )
    checker.flag(acc < 0, "accuracy", "accuracy", lambda i: f"negative accuracy {acc[i]}")
    out.add(ms=ms, lat=lat, lon=(lon + 180.0) % 360.0 - 180.0, acc=acc)


def _parse_power(checker: RowChecker, cols: list[pl.Series], out: _Stream) -> None:
    ms = _timestamps(checker, cols[0], cols[1])
    text = cols[2].fill_null("")
    code = text.replace_strict(
        {k: int(v) for k, v in SCREEN_EVENTS.items()}, default=0, return_dtype=pl.Int8
    ).to_numpy()
    out.add(ms=ms, event=code.astype(np.int8))


def _parse_keyboard(checker: RowChecker, cols: list[pl.Series], out: _Stream) -> None:
    ms = _timestamps(checker, cols[0], cols[1])
    session = _numbers(checker, cols[2], "session")
    kind_text = cols[3].fill_null("")
    kind = kind_text.replace_strict(
        {k: int(v) for k, v in KEY_KINDS.items()}, default=0, return_dtype=pl.Int8
    ).to_numpy()
    checker.flag(
        kind == 0,
        "key_kind",
        "key_kind",
        lambda i: f"unknown key kind {kind_text[i]!r} (expected {', '.join(KEY_KINDS)})",
    )
    out.add(ms=ms, session=np.where(np.isfinite(session), session, 0).astype(np.int64), kind=kind)


def _parse_accel(checker: RowChecker, cols: list[pl.Series], out: _Stream) -> None:
    ms = _timestamps(checker, cols[0], cols[1])
    xyz = [_numbers(checker, cols[k], name) for k, name in ((3, "x"), (4, "y"), (5, "z"))]
    keep = checker.ok
    mag = np.sqrt(xyz[0] ** 2 + xyz[1] ** 2 + xyz[2] ** 2)[keep]
    minute = np.floor_divide(ms[keep], 60_000)
    if minute.size == 0:
        return
    # Android reports m/s^2, iOS g: decide per file from the median magnitude (gravity).
    mag_g = mag / _G if np.median(mag) > 4.0 else mag
    dev = np.abs(mag_g - 1.0) * 1000.0
    uniq, inv = np.unique(minute, return_inverse=True)
    out.add(
        minute=uniq.astype(np.int64),
        sum_mg=np.bincount(inv, weights=dev),
        n=np.bincount(inv).astype(np.float64),
    )


_PARSERS = {
    "gps": _parse_gps,
    "power_state": _parse_power,
    "keyboard": _parse_keyboard,
    "accelerometer": _parse_accel,
}


_BATCH_LINES = 200_000
"""Rows parsed together: amortises per-call overhead while bounding memory."""


def _read_stream(folder: Path, stream: str, lenient: bool) -> tuple[_Stream, BeiweStreamReport]:
    out = _Stream()
    report = BeiweStreamReport()
    batch: list[str] = []
    origin: list[tuple[str, int, int]] = []  # (file, first batch row, rows) per file
    header: tuple[str, ...] | None = None

    def flush() -> None:
        if header is None or not batch:
            batch.clear()
            origin.clear()
            return
        checker = RowChecker(str(folder), len(batch))
        cols = split_fields(checker, batch, header)
        _PARSERS[stream](checker, cols, out)
        starts = np.array([o[1] for o in origin])

        def where(row: int) -> tuple[str, int]:
            k = int(np.searchsorted(starts, row, side="right")) - 1
            return origin[k][0], row - origin[k][1] + 2

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DroppedRowsWarning)
                keep, batch_report = checker.finish(lenient=lenient)
        except InputFormatError as exc:
            row = (exc.line or 2) - 2
            name, line = where(row)
            raise InputFormatError(name, exc.reason, line=line, field=exc.field) from None
        if batch_report.rows_dropped:
            bad = np.flatnonzero(~keep)
            examples = ", ".join(f"{n} line {ln}" for n, ln in (where(int(r)) for r in bad[:3]))
            summary = ", ".join(f"{k}: {v}" for k, v in sorted(batch_report.rows_dropped.items()))
            warnings.warn(
                DroppedRowsWarning(
                    f"{folder}: dropped {bad.size} of {len(batch)} rows ({summary}); "
                    f"first at {examples}"
                ),
                stacklevel=5,
            )
            for reason, count in batch_report.rows_dropped.items():
                report.rows_dropped[reason] = report.rows_dropped.get(reason, 0) + count
        if stream != "accelerometer":
            for parts in out.cols.values():
                parts[-1] = parts[-1][keep]
        batch.clear()
        origin.clear()

    for path in sorted(folder.glob("*.csv")):
        file_header, lines = _read_file(path, stream)
        report.files += 1
        report.rows_read += len(lines)
        hour = _file_hour(path)
        if hour is not None:
            out.hours.add(hour)
        if stream == "accelerometer" or file_header != header or len(batch) > _BATCH_LINES:
            # Accelerometer files are reduced to minutes one by one (they are large).
            flush()
            header = file_header
        origin.append((str(path), len(batch), len(lines)))
        batch.extend(lines)
    flush()
    return out, report


def _order_and_dedupe(
    ms: IntArray, values: list[npt.NDArray[np.generic]], report: BeiweStreamReport
) -> npt.NDArray[np.intp]:
    """Stable time order; exact duplicates and same-instant conflicts keep the first row."""
    order = np.argsort(ms, kind="stable")
    t = ms[order]
    same_t = np.zeros(t.size, dtype=bool)
    same_t[1:] = t[1:] == t[:-1]
    identical = same_t.copy()
    for v in values:
        vo = v[order]
        identical[1:] &= vo[1:] == vo[:-1]
    report.duplicates = int(identical.sum())
    report.conflicts = int((same_t & ~identical).sum())
    return np.asarray(order[~same_t])


def read_beiwe_folder(
    folder: Path, *, zone: str, patient_id: str | None = None, lenient: bool = False
) -> BeiweData:
    """Read one participant's Beiwe raw-data folder.

    Parameters
    ----------
    folder : Path
        The participant folder, holding stream folders (``gps``, ``power_state``,
        ``accelerometer``, ``keyboard``); absent streams give None.
    zone : str
        The participant's IANA zone (Beiwe timestamps are UTC; local days use this zone).
    patient_id : str, optional
        Defaults to the folder name.
    lenient : bool
        Drop malformed rows (with a :class:`~bedside.domain.DroppedRowsWarning` per file)
        instead of raising.

    Returns
    -------
    BeiweData

    Raises
    ------
    InputFormatError
        For a missing folder, an unknown zone, a bad header, or (strict) the first malformed
        row, naming file, line and field.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFormatError(str(folder), "not a folder")
    check_zone(zone, str(folder))
    pid = PatientId(patient_id or folder.name)
    reports: dict[str, BeiweStreamReport] = {}
    gps = screen = keys = accel = None
    if (folder / "gps").is_dir():
        s, rep = _read_stream(folder / "gps", "gps", lenient)
        ms, lat, lon, acc = (
            s.get("ms", np.int64),
            s.get("lat", float),
            s.get("lon", float),
            s.get("acc", float),
        )
        keep = _order_and_dedupe(np.asarray(ms), [lat, lon, acc], rep)
        gps = GpsFrame(
            patient_id=pid,
            zone=zone,
            time_utc=np.floor_divide(np.asarray(ms, dtype=np.int64)[keep], 1000),
            latitude_deg=np.asarray(lat, dtype=np.float64)[keep],
            longitude_deg=np.asarray(lon, dtype=np.float64)[keep],
            accuracy_m=np.asarray(acc, dtype=np.float64)[keep],
            source=str(folder / "gps"),
        )
        reports["gps"] = rep
    if (folder / "power_state").is_dir():
        s, rep = _read_stream(folder / "power_state", "power_state", lenient)
        ms, ev = np.asarray(s.get("ms", np.int64)), np.asarray(s.get("event", np.int8))
        rep.ignored_events = int((ev == 0).sum())
        screen_rows = ev != 0
        ms, ev = ms[screen_rows], ev[screen_rows]
        keep = _order_and_dedupe(ms, [ev], rep)
        screen = ScreenEventFrame(
            patient_id=pid,
            zone=zone,
            time_utc_ms=ms[keep].astype(np.int64),
            event=ev[keep].astype(np.int8),
            source=str(folder / "power_state"),
            observed_hours_utc=np.array(sorted(s.hours), dtype=np.int64) if s.hours else None,
        )
        reports["power_state"] = rep
    if (folder / "keyboard").is_dir():
        s, rep = _read_stream(folder / "keyboard", "keyboard", lenient)
        ms = np.asarray(s.get("ms", np.int64))
        sess, kind = np.asarray(s.get("session", np.int64)), np.asarray(s.get("kind", np.int8))
        keep = _order_and_dedupe(ms.astype(np.int64), [sess, kind], rep)
        keys = KeystrokeFrame(
            patient_id=pid,
            zone=zone,
            time_utc_ms=ms[keep].astype(np.int64),
            session=sess[keep].astype(np.int64),
            kind=kind[keep].astype(np.int8),
            source=str(folder / "keyboard"),
            observed_hours_utc=np.array(sorted(s.hours), dtype=np.int64) if s.hours else None,
        )
        reports["keyboard"] = rep
    if (folder / "accelerometer").is_dir():
        s, rep = _read_stream(folder / "accelerometer", "accelerometer", lenient)
        minute = np.asarray(s.get("minute", np.int64), dtype=np.int64)
        uniq, inv = np.unique(minute, return_inverse=True)
        total = np.bincount(inv, weights=np.asarray(s.get("sum_mg", float)))
        count = np.bincount(inv, weights=np.asarray(s.get("n", float)))
        accel = SampleFrame(
            patient_id=pid,
            modality=Modality.ACTIGRAPHY,
            zone=zone,
            time_utc=uniq * 60,
            value=total / np.maximum(count, 1.0),
            epoch_s=60,
            source=str(folder / "accelerometer"),
        )
        reports["accelerometer"] = rep
    return BeiweData(gps, screen, keys, accel, reports)
