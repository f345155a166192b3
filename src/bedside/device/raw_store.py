"""The device's raw sensor store on disk: one folder per modality, one ``.npy`` per column.

A phone keeps months of raw samples; loading them all to extract biomarkers would cost as much
memory as the data. This store is read one UTC interval at a time (:class:`RawFileSource`, a
``RawSource``): the time column is memory-mapped to find the interval's rows by binary search,
and only those rows of each column are copied into memory; the mapping is closed after each read,
so the pages of other intervals are not kept resident.

Layout of ``<folder>/<modality>/``: ``meta.json`` (frame type, patient, zone, source, epoch,
time span and column names) and ``<column>.npy``. A `CardiacRecording` is stored as two parts,
``heart_rate/`` and ``rr/``. Audio clips are not stored here (clips are analysed as they are
recorded and then discarded).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bedside.domain import InputFormatError, Modality, SampleFrame, SleepEpisodeFrame
from bedside.domain.cardiac_recording import CardiacRecording
from bedside.domain.gps_samples import GpsFrame
from bedside.domain.ids import PatientId
from bedside.domain.keystroke_samples import KeystrokeFrame
from bedside.domain.raw_frames import RawFrame
from bedside.domain.rr_intervals import RRIntervalFrame
from bedside.domain.screen_events import ScreenEventFrame
from bedside.domain.time_slice import frame_span, observed_hours_in

__all__ = ["RawFileSource", "write_raw_store"]

_FORMAT = "bedside-raw-store/1"

# frame type -> (row columns, time column, time unit per second)
_LAYOUT: dict[type, tuple[tuple[str, ...], str, int]] = {
    SampleFrame: (("time_utc", "value"), "time_utc", 1),
    SleepEpisodeFrame: (("start_utc", "end_utc", "state", "asleep_min"), "start_utc", 1),
    GpsFrame: (("time_utc", "latitude_deg", "longitude_deg", "accuracy_m"), "time_utc", 1),
    RRIntervalFrame: (("time_utc", "rr_ms"), "time_utc", 1),
    ScreenEventFrame: (("time_utc_ms", "event"), "time_utc_ms", 1000),
    KeystrokeFrame: (("time_utc_ms", "session", "kind"), "time_utc_ms", 1000),
}
_TYPES = {t.__name__: t for t in _LAYOUT}


def _write_part(frame: Any, folder: Path) -> None:
    kind = type(frame)
    if kind not in _LAYOUT:
        raise InputFormatError(str(folder), f"the raw store cannot hold a {kind.__name__}")
    columns, time_col, _ = _LAYOUT[kind]
    folder.mkdir(parents=True, exist_ok=True)
    for name in columns:
        np.save(folder / f"{name}.npy", np.ascontiguousarray(getattr(frame, name)))
    hours = getattr(frame, "observed_hours_utc", None)
    if hours is not None:
        np.save(folder / "observed_hours_utc.npy", np.asarray(hours, dtype=np.int64))
    times = getattr(frame, time_col)
    meta = {
        "format": _FORMAT,
        "type": kind.__name__,
        "patient_id": str(frame.patient_id),
        "zone": frame.zone,
        "source": frame.source,
        "modality": frame.modality.value if isinstance(frame, SampleFrame) else None,
        "epoch_s": frame.epoch_s if isinstance(frame, SampleFrame) else None,
        "span": frame_span(frame),
        "event_span_ms": [int(times[0]), int(times[-1])]
        if time_col == "time_utc_ms" and times.size
        else None,
        "observed_hours": hours is not None,
    }
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")


def write_raw_store(frames: Mapping[Modality, RawFrame], folder: str | Path) -> Path:
    """Write raw frames into a store folder (one subfolder per modality).

    Raises
    ------
    InputFormatError
        For a frame type the store does not hold (audio clips).
    """
    root = Path(folder)
    for modality, frame in frames.items():
        target = root / modality.value
        if isinstance(frame, CardiacRecording):
            for name, part in (("heart_rate", frame.heart_rate), ("rr", frame.rr)):
                if part is not None:
                    _write_part(part, target / name)
        else:
            _write_part(frame, target)
    return root


class _Part:
    """One stored frame, read by interval."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        try:
            self.meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputFormatError(str(folder / "meta.json"), f"unreadable: {exc}") from exc
        if self.meta.get("format") != _FORMAT or self.meta.get("type") not in _TYPES:
            raise InputFormatError(str(folder / "meta.json"), "not a bedside raw-store part")
        self.kind = _TYPES[self.meta["type"]]
        self.columns, self.time_col, self.per_s = _LAYOUT[self.kind]
        span = self.meta["span"]
        self.span: tuple[int, int] | None = None if span is None else (span[0], span[1])

    def _column(self, name: str) -> npt.NDArray[Any]:
        path = self.folder / f"{name}.npy"
        try:
            column: npt.NDArray[Any] = np.load(path, mmap_mode="r")
        except (OSError, ValueError) as exc:
            raise InputFormatError(str(path), f"unreadable column: {exc}") from exc
        return column

    def read(self, start_utc: int, end_utc: int) -> Any:
        times = self._column(self.time_col)
        i0 = int(np.searchsorted(times, start_utc * self.per_s, side="left"))
        i1 = max(i0, int(np.searchsorted(times, end_utc * self.per_s, side="left")))
        del times
        # copy the rows out so the mapping (and the pages it touched) can be released
        cols = {name: np.array(self._column(name)[i0:i1]) for name in self.columns}
        meta = self.meta
        common: dict[str, Any] = {
            "patient_id": PatientId(meta["patient_id"]),
            "zone": meta["zone"],
            "source": meta["source"],
        }
        if self.kind is SampleFrame:
            common |= {"modality": Modality(meta["modality"]), "epoch_s": meta["epoch_s"]}
        if self.kind in (ScreenEventFrame, KeystrokeFrame):
            given = np.array(self._column("observed_hours_utc")) if meta["observed_hours"] else None
            span = meta["event_span_ms"]
            common["observed_hours_utc"] = observed_hours_in(
                None if span is None else (span[0], span[1]), given, start_utc, end_utc
            )
        return self.kind(**common, **cols)


class RawFileSource:
    """A `RawSource` over a store folder written by :func:`write_raw_store`.

    Parameters
    ----------
    folder : str or Path
    """

    def __init__(self, folder: str | Path) -> None:
        root = Path(folder)
        self._parts: dict[Modality, dict[str, _Part]] = {}
        for sub in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
            try:
                modality = Modality(sub.name)
            except ValueError as exc:
                raise InputFormatError(str(sub), "folder is not a modality name") from exc
            if (sub / "meta.json").exists():
                self._parts[modality] = {"": _Part(sub)}
            else:
                self._parts[modality] = {
                    name: _Part(sub / name)
                    for name in ("heart_rate", "rr")
                    if (sub / name / "meta.json").exists()
                }
        if not self._parts or not all(self._parts.values()):
            raise InputFormatError(str(root), "no raw-store modality folders")
        first = next(iter(next(iter(self._parts.values())).values()))
        self.zone: str = first.meta["zone"]

    def modalities(self) -> list[Modality]:
        return list(self._parts)

    def span(self, modality: Modality) -> tuple[int, int] | None:
        spans = [p.span for p in self._parts[modality].values() if p.span is not None]
        if not spans:
            return None
        return min(s[0] for s in spans), max(s[1] for s in spans)

    def read(self, modality: Modality, start_utc: int, end_utc: int) -> RawFrame:
        parts = self._parts[modality]
        if "" in parts:
            frame: RawFrame = parts[""].read(start_utc, end_utc)
            return frame
        hr = parts["heart_rate"].read(start_utc, end_utc) if "heart_rate" in parts else None
        rr = parts["rr"].read(start_utc, end_utc) if "rr" in parts else None
        return CardiacRecording(heart_rate=hr, rr=rr)
