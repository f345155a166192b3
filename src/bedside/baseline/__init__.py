"""Per-patient robust baselines and verified-trend detection (CUSUM) with calibrated alarms."""

from bedside.baseline.calibration import (
    arl_in_control,
    false_alarm_rate_estimated_baseline,
    false_alarm_rate_per_year,
    simulate_false_alarm_count,
    threshold_for_rate,
    threshold_for_rate_estimated_baseline,
)
from bedside.baseline.cusum import CusumDetector
from bedside.baseline.episodes import EpisodeTrack, cusum_statistics, track_episodes
from bedside.baseline.robust_baseline import MAD_TO_SD, UNIT_SCALE_FLOORS, RobustBaseline
from bedside.baseline.verify import DailyTrendMonitor, MonitorState, active_trends

__all__ = [
    "MAD_TO_SD",
    "UNIT_SCALE_FLOORS",
    "CusumDetector",
    "DailyTrendMonitor",
    "EpisodeTrack",
    "MonitorState",
    "RobustBaseline",
    "active_trends",
    "arl_in_control",
    "cusum_statistics",
    "false_alarm_rate_estimated_baseline",
    "false_alarm_rate_per_year",
    "simulate_false_alarm_count",
    "threshold_for_rate",
    "threshold_for_rate_estimated_baseline",
    "track_episodes",
]
