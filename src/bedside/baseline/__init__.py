"""Per-patient baselines and verified-trend detection with per-patient calibrated alarms."""

from bedside.baseline.bootstrap_calibration import (
    PatientCalibration,
    calibrate_cusum,
    stationary_bootstrap,
    threshold_from_maxima,
)
from bedside.baseline.calibration import (
    arl_in_control,
    false_alarm_rate_estimated_baseline,
    false_alarm_rate_per_year,
    simulate_false_alarm_count,
    threshold_for_rate,
    threshold_for_rate_estimated_baseline,
)
from bedside.baseline.charts import (
    decorrelate,
    directed_cusum,
    ewma_statistics,
    excursion_maxima,
    first_alarm,
    mewma_statistic,
    whitening_matrix,
)
from bedside.baseline.cusum import CusumDetector
from bedside.baseline.episodes import EpisodeTrack, cusum_statistics, track_episodes
from bedside.baseline.personal_baseline import PersonalBaseline
from bedside.baseline.population_prior import BiomarkerPrior, PopulationPrior
from bedside.baseline.robust_baseline import MAD_TO_SD, UNIT_SCALE_FLOORS, RobustBaseline
from bedside.baseline.scheme import BaselineScheme, scheme_z
from bedside.baseline.trend_monitor import (
    UNWATCHED_BIOMARKERS,
    DailyTrendMonitor,
    MonitorState,
    TrendStatus,
)
from bedside.baseline.verify import active_trends

__all__ = [
    "MAD_TO_SD",
    "UNIT_SCALE_FLOORS",
    "UNWATCHED_BIOMARKERS",
    "BaselineScheme",
    "BiomarkerPrior",
    "CusumDetector",
    "DailyTrendMonitor",
    "EpisodeTrack",
    "MonitorState",
    "PatientCalibration",
    "PersonalBaseline",
    "PopulationPrior",
    "RobustBaseline",
    "TrendStatus",
    "active_trends",
    "arl_in_control",
    "calibrate_cusum",
    "cusum_statistics",
    "decorrelate",
    "directed_cusum",
    "ewma_statistics",
    "excursion_maxima",
    "false_alarm_rate_estimated_baseline",
    "false_alarm_rate_per_year",
    "first_alarm",
    "mewma_statistic",
    "scheme_z",
    "simulate_false_alarm_count",
    "stationary_bootstrap",
    "threshold_for_rate",
    "threshold_for_rate_estimated_baseline",
    "threshold_from_maxima",
    "track_episodes",
    "whitening_matrix",
]
