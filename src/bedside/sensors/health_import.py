"""What the wearable/phone importers (Apple Health, Open mHealth) produce, and its assembly.

Records are collected as typed columns (``array`` of int64/float64 and small source codes) while a
file is streamed, so memory grows with the number of accepted samples (about 24 bytes each), not
with the file; frames are built once at the end, with duplicates and overlaps resolved by
:mod:`bedside.sensors.dedup`.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from bedside.domain import (
    ActivityBoutFrame,
    Modality,
    PatientId,
    SampleFrame,
    SleepEpisodeFrame,
)
from bedside.sensors.dedup import rank_sources, resolve_instants, spread_over_minutes
from bedside.sensors.import_report import ImportReport, IssueLog
from bedside.sensors.units import check_glucose_unit_fits

__all__ = ["HealthCollector", "HealthImport"]


@dataclass(frozen=True)
class HealthImport:
    """Samples read from a wearable or phone export.

    Attributes
    ----------
    heart_rate : SampleFrame
        ``HEART_RATE``, beats/min.
    hrv_sdnn_ms : SampleFrame
        ``HEART_RATE``, SDNN of the device's short recordings, ms (Apple Watch: about 1 min;
        not the 5-min nightly segments of ``cardiac.sdnn_ms``).
    steps_per_minute : SampleFrame
        ``ACTIGRAPHY`` modality but the value is **steps** in each minute (not accelerometer
        counts), minutes without a record absent.
    glucose : SampleFrame
        ``GLUCOSE``, mg/dL.
    sleep : SleepEpisodeFrame
    activity_bouts : ActivityBoutFrame
    report : ImportReport
    """

    heart_rate: SampleFrame
    hrv_sdnn_ms: SampleFrame
    steps_per_minute: SampleFrame
    glucose: SampleFrame
    sleep: SleepEpisodeFrame
    activity_bouts: ActivityBoutFrame
    report: ImportReport


@dataclass
class _Instants:
    t: array[int] = field(default_factory=lambda: array("q"))
    v: array[float] = field(default_factory=lambda: array("d"))
    src: array[int] = field(default_factory=lambda: array("i"))


@dataclass
class _Intervals:
    start: array[int] = field(default_factory=lambda: array("q"))
    end: array[int] = field(default_factory=lambda: array("q"))
    v: array[float] = field(default_factory=lambda: array("d"))
    extra: array[float] = field(default_factory=lambda: array("d"))
    src: array[int] = field(default_factory=lambda: array("i"))


class HealthCollector:
    """Accumulates records of one export and builds a :class:`HealthImport`."""

    def __init__(self, source: str, *, lenient: bool) -> None:
        self.source = source
        self.issues = IssueLog(source, lenient=lenient)
        self.records_read = 0
        self.heart_rate = _Instants()
        self.hrv = _Instants()
        self.glucose = _Instants()
        self.glucose_factor: array[float] = array("d")
        self.steps = _Intervals()
        self.sleep = _Intervals()
        self.bouts = _Intervals()
        self.bout_names: list[str] = []
        self._sources: dict[str, int] = {}

    def source_code(self, name: str) -> int:
        """A small integer for a source name (kept once, not per record)."""
        code = self._sources.get(name)
        if code is None:
            code = self._sources[name] = len(self._sources)
        return code

    def build(
        self, patient_id: str, zone: str, source_priority: Sequence[str] = ()
    ) -> HealthImport:
        """Resolve duplicates and overlaps and build the frames."""
        names = sorted(self._sources, key=self._sources.__getitem__)
        ranks = rank_sources(names, source_priority)
        rank_of_code = np.asarray([ranks[n] for n in names] or [0], dtype=np.int64)
        pid = PatientId(patient_id)
        kept = 0

        def instants(col: _Instants, modality: Modality, key: str, epoch: int) -> SampleFrame:
            nonlocal kept
            t = np.frombuffer(col.t, dtype=np.int64) if len(col.t) else np.array([], np.int64)
            v = np.frombuffer(col.v, dtype=np.float64) if len(col.v) else np.array([])
            codes = np.frombuffer(col.src, dtype=np.int32) if len(col.src) else np.array([], int)
            keep, counts = resolve_instants(t, v, rank_of_code[codes] if codes.size else t)
            for name, count in counts.items():
                self.issues.note(f"{key}:{name}", count)
            kept += int(keep.size)
            if keep.size != t.size:
                t, v = t[keep], v[keep]
                col.t, col.v = array("q"), array("d")  # the buffers go with the last views
            col.src = array("i")
            return SampleFrame(pid, modality, zone, t, v, epoch, self.source)

        if len(self.glucose.v):
            check_glucose_unit_fits(
                np.frombuffer(self.glucose.v, dtype=np.float64)
                / np.frombuffer(self.glucose_factor, dtype=np.float64),
                np.frombuffer(self.glucose_factor, dtype=np.float64),
                self.source,
            )
        heart_rate = instants(self.heart_rate, Modality.HEART_RATE, "heart_rate", 60)
        hrv = instants(self.hrv, Modality.HEART_RATE, "hrv_sdnn", 60)
        glucose = instants(self.glucose, Modality.GLUCOSE, "glucose", 300)
        kept += len(self.steps.v)
        steps = self._steps(rank_of_code, pid, zone)
        sleep = self._sleep(rank_of_code, pid, zone)
        kept += len(sleep)
        bouts = self._bouts(pid, zone)
        kept += len(bouts)
        report = self.issues.finish(self.records_read, kept)
        return HealthImport(heart_rate, hrv, steps, glucose, sleep, bouts, report)

    def _arrays(self, col: _Intervals) -> tuple[npt.NDArray[np.int64], ...]:
        if not len(col.start):
            e = np.array([], dtype=np.int64)
            return e, e, e
        return (
            np.frombuffer(col.start, dtype=np.int64),
            np.frombuffer(col.end, dtype=np.int64),
            np.frombuffer(col.src, dtype=np.int32).astype(np.int64),
        )

    def _steps(self, rank_of_code: npt.NDArray[np.int64], pid: PatientId, zone: str) -> SampleFrame:
        start, end, codes = self._arrays(self.steps)
        amount = (
            np.frombuffer(self.steps.v, dtype=np.float64) if len(self.steps.v) else np.array([])
        )
        minute, per_min, overridden = spread_over_minutes(
            start, end, amount, rank_of_code[codes] if codes.size else codes
        )
        self.issues.note("steps:overlap_minutes", overridden)
        del start, end, codes, amount
        self.steps = _Intervals()  # the records are now per-minute amounts
        return SampleFrame(pid, Modality.ACTIGRAPHY, zone, minute, per_min, 60, self.source)

    def _sleep(
        self, rank_of_code: npt.NDArray[np.int64], pid: PatientId, zone: str
    ) -> SleepEpisodeFrame:
        start, end, codes = self._arrays(self.sleep)
        state = np.frombuffer(self.sleep.v, dtype=np.float64) if len(self.sleep.v) else np.array([])
        asleep = (
            np.frombuffer(self.sleep.extra, dtype=np.float64) if len(self.sleep.extra) else state
        )
        rank = rank_of_code[codes] if codes.size else codes
        accepted = _resolve_episodes(start, end, state, rank, self.issues)
        idx = accepted[np.lexsort((end[accepted], start[accepted]))]
        return SleepEpisodeFrame(
            patient_id=pid,
            zone=zone,
            start_utc=start[idx].copy(),
            end_utc=end[idx].copy(),
            state=state[idx].astype(np.int8),
            asleep_min=asleep[idx].astype(np.float64),
            source=self.source,
        )

    def _bouts(self, pid: PatientId, zone: str) -> ActivityBoutFrame:
        start, end, _ = self._arrays(self.bouts)
        order = np.lexsort((end, start)) if start.size else np.array([], dtype=np.int64)
        return ActivityBoutFrame(
            patient_id=pid,
            zone=zone,
            start_utc=start[order].copy(),
            end_utc=end[order].copy(),
            activity=tuple(self.bout_names[i] for i in order.tolist()),
            source=self.source,
        )


def _union(
    starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Sorted, disjoint union of intervals ``[start, end)``."""
    if starts.size == 0:
        return starts, ends
    order = np.argsort(starts, kind="stable")
    s, e = starts[order], ends[order]
    reach = np.maximum.accumulate(e)
    new = np.ones(s.size, dtype=np.bool_)
    new[1:] = s[1:] >= reach[:-1]
    heads = np.flatnonzero(new)
    tails = np.append(heads[1:], s.size) - 1
    return s[heads], reach[tails]


def _resolve_episodes(
    start: npt.NDArray[np.int64],
    end: npt.NDArray[np.int64],
    state: npt.NDArray[np.float64],
    rank: npt.NDArray[np.int64],
    issues: IssueLog,
) -> npt.NDArray[np.int64]:
    """Indices of episodes kept: best-ranked source first; a worse-ranked episode overlapping
    time already covered by a better source is an overlap (the same night seen by two devices);
    an exact repeat (same start, end and state) is an identical duplicate."""
    if start.size == 0:
        return np.array([], dtype=np.int64)
    order = np.lexsort((state, end, start))
    key = np.stack([start[order], end[order], state[order].astype(np.int64)], axis=1)
    first = np.ones(order.size, dtype=np.bool_)
    first[1:] = np.any(key[1:] != key[:-1], axis=1)
    issues.note("sleep:identical_duplicate", int((~first).sum()))
    unique = order[first]
    kept: list[npt.NDArray[np.int64]] = []
    cov_s = cov_e = np.array([], dtype=np.int64)
    for r in np.unique(rank[unique]).tolist():
        group = unique[rank[unique] == r]
        j = np.searchsorted(cov_s, end[group], side="left") - 1
        clash = (
            (j >= 0) & (cov_e[np.maximum(j, 0)] > start[group])
            if cov_s.size
            else (np.zeros(group.size, dtype=np.bool_))
        )
        issues.note("sleep:overlap", int(clash.sum()))
        good = group[~clash]
        kept.append(good)
        cov_s, cov_e = _union(np.append(cov_s, start[good]), np.append(cov_e, end[good]))
    return np.concatenate(kept).astype(np.int64)
