"""The device's daily pipeline: sample frame -> daily table -> verified trends -> risk -> findings.

Everything here runs on the patient's side; only the returned `Finding` objects (trends, risk,
coverage and each biomarker's value next to the patient's baseline) are meant to leave the device.
The risk model is the ONNX bundle, run with onnxruntime: scikit-learn is not on this path.

Causality: the daily table of a day depends only on samples up to the end of that day (sleep is
scored for the night ending that morning; circadian measures use the 7 days ending that day), the
trend monitor replays days in order, and risk features of day t use rows <= t. Computing the table
once for the whole record and emitting a finding per day is therefore the same as running the
pipeline at the end of each day, which is what a device does; the tests check this equivalence.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from bedside.baseline import DailyTrendMonitor, MonitorState, RobustBaseline
from bedside.biomarkers import extract_daily, extract_multimodal_daily
from bedside.biomarkers.chunked import DEFAULT_CHUNK_DAYS, extract_multimodal_chunked
from bedside.biomarkers.wear import with_wear_coverage
from bedside.domain import (
    BaselineSummary,
    DailyBiomarkerTable,
    Finding,
    Modality,
    RiskEstimate,
    SampleFrame,
)
from bedside.domain.raw_frames import RawFrame
from bedside.domain.raw_source import RawSource
from bedside.models import BASELINE_DAYS, EpisodeRiskModel, episode_features

__all__ = ["DevicePipeline", "DeviceRun"]


@dataclass(frozen=True)
class DeviceRun:
    """What the device computed for one patient.

    Attributes
    ----------
    table : DailyBiomarkerTable
        The daily biomarkers (stays on the device).
    findings : list of Finding
        One finding per local day of the table, in date order.
    monitor : MonitorState
        Baselines and trend statistics at the table's last day (stays on the device).
    """

    table: DailyBiomarkerTable
    findings: list[Finding]
    monitor: MonitorState


class DevicePipeline:
    """Computes a patient's findings from raw samples.

    Parameters
    ----------
    risk_model : EpisodeRiskModel
        The episode-risk bundle (ONNX) the device received from the model publisher.
    device_id : str
        Identifier of this device, recorded on every finding.
    monitor : DailyTrendMonitor, optional
        Baseline maintenance and trend detection; default settings when omitted.
    baseline_days : int
        Days of data before the risk model is used. The risk features are deviations from a
        baseline learned on the first `baseline_days` days, exactly as in training.
    """

    def __init__(
        self,
        risk_model: EpisodeRiskModel,
        *,
        device_id: str,
        monitor: DailyTrendMonitor | None = None,
        baseline_days: int = BASELINE_DAYS,
    ) -> None:
        self.risk_model = risk_model
        self.device_id = device_id
        self.monitor = monitor or DailyTrendMonitor()
        self.baseline_days = baseline_days

    def run(self, frame: SampleFrame) -> DeviceRun:
        """Findings for every local day of a recording.

        The table's actigraphy coverage is the share of minutes the recorder was worn, so that
        the trend monitor treats off-wrist days as missing rather than as a collapse of activity.
        """
        return self.run_table(with_wear_coverage(extract_daily(frame), frame))

    def run_frames(self, frames: Mapping[Modality, RawFrame]) -> DeviceRun:
        """Findings for every local day of a patient's raw frames of every modality.

        As in `run`, the actigraphy coverage is the worn share of each day.
        """
        table = extract_multimodal_daily(frames)
        acti = frames.get(Modality.ACTIGRAPHY)
        if isinstance(acti, SampleFrame):
            table = with_wear_coverage(table, acti)
        return self.run_table(table)

    def run_source(self, source: RawSource, *, chunk_days: int = DEFAULT_CHUNK_DAYS) -> DeviceRun:
        """Findings for every local day of a patient's raw data, read chunk by chunk.

        The same findings as `run_frames` over the whole frames (the daily table is identical,
        see :func:`bedside.biomarkers.chunked.extract_multimodal_chunked`), while the raw samples
        and the extractors' working arrays in memory are those of `chunk_days` days and their
        lead-in, not of the whole record.
        """
        return self.run_table(
            extract_multimodal_chunked(source, chunk_days=chunk_days, wear_coverage=True)
        )

    def run_table(self, table: DailyBiomarkerTable) -> DeviceRun:
        """Findings for every day of an already extracted daily table."""
        state = self.monitor.update(table)
        risks = self._risks(table)
        dates = table.date_list()
        findings = [self._finding(table, state, risks[t], dates[t], t) for t in range(table.n_days)]
        return DeviceRun(table=table, findings=findings, monitor=state)

    def _risks(self, table: DailyBiomarkerTable) -> list[RiskEstimate | None]:
        risks: list[RiskEstimate | None] = [None] * table.n_days
        if table.n_days <= self.baseline_days:
            return risks
        baseline = RobustBaseline(
            window_days=self.baseline_days, min_days=self.baseline_days // 2
        ).fit(table, end=self.baseline_days)
        features = episode_features(table, baseline, self.risk_model.biomarkers)
        later = np.arange(self.baseline_days, table.n_days)
        for t, estimate in zip(
            later, self.risk_model.estimates(features.select(later)), strict=True
        ):
            risks[int(t)] = estimate
        return risks

    def _finding(
        self,
        table: DailyBiomarkerTable,
        state: MonitorState,
        risk: RiskEstimate | None,
        day: dt.date,
        t: int,
    ) -> Finding:
        summaries = []
        # the monitor's coverage rules: no baseline, no calibrated threshold or too few recent
        # days is "insufficient data" for that biomarker (never silently no trend)
        insufficient = list(state.insufficient_by_day[t])
        for b in table.biomarker_ids:
            value = float(table.values[b][t])
            median = float(state.median[b][t])
            scale = float(state.scale[b][t])
            summaries.append(
                BaselineSummary(
                    biomarker=b,
                    value=None if math.isnan(value) else value,
                    baseline_median=None if math.isnan(median) else median,
                    baseline_scale=None if math.isnan(scale) else scale,
                )
            )
        if risk is None:
            insufficient.append("risk")
        return Finding(
            patient_id=table.patient_id,
            date=day,
            trends=state.daily_trends[t],
            risk=risk,
            coverage={m: float(c[t]) for m, c in table.coverage.items()},
            biomarkers=summaries,
            insufficient_data=insufficient,
            device_id=self.device_id,
        )
