"""Registry entries of the GPS mobility biomarkers (appended to ``REGISTRY``).

Directions of concern follow Saeb et al. (2015): depressive symptom severity correlated with
more time at home and with lower location variance, entropy, circadian movement, distance and
number of places.
"""

from __future__ import annotations

from functools import partial

from bedside.biomarkers.spec_factory import make_spec
from bedside.domain import BiomarkerSpec, Concern, Modality

__all__ = ["MOBILITY_SPECS"]

_spec = partial(make_spec, modality=Modality.GPS)

_SAEB = (
    "Saeb S et al. Mobile phone sensor correlates of depressive symptom severity in daily-life "
    "behavior: an exploratory study. J Med Internet Res 2015;17(7):e175. doi:10.2196/jmir.4273"
)
_FOREST = (
    "Barnett I, Onnela JP. Inferring mobility measures from GPS traces with missing data. "
    "Biostatistics 2020;21(2):e98-e112; Forest jasmine summaries (onnela-lab/forest)"
)
_BOTH = f"{_SAEB}; {_FOREST}"


MOBILITY_SPECS: tuple[BiomarkerSpec, ...] = (
    _spec("mobility.home_time_frac", "Share of time at home", "1", Concern.UP, (0, 1), _BOTH),
    _spec("mobility.distance_km", "Distance travelled", "km", Concern.DOWN, (0, 5000), _BOTH),
    _spec(
        "mobility.radius_gyration_km", "Radius of gyration", "km", Concern.DOWN, (0, 20040), _FOREST
    ),
    _spec(
        "mobility.max_home_dist_km",
        "Maximum distance from home",
        "km",
        Concern.DOWN,
        (0, 20040),
        _FOREST,
    ),
    _spec(
        "mobility.n_places", "Significant places visited", "{count}", Concern.DOWN, (0, 144), _BOTH
    ),
    _spec("mobility.location_entropy", "Location entropy", "1", Concern.DOWN, (0, 5), _SAEB),
    _spec(
        "mobility.location_entropy_norm",
        "Normalised location entropy",
        "1",
        Concern.DOWN,
        (0, 1),
        _SAEB,
    ),
    _spec(
        "mobility.location_variance_log",
        "Location variance (ln deg2)",
        "1",
        Concern.DOWN,
        (-24, 11),
        _SAEB,
    ),
    _spec(
        "mobility.circadian_movement",
        "Circadian movement (ln deg2)",
        "1",
        Concern.DOWN,
        (-28, 11),
        _SAEB,
    ),
)
