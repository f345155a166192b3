"""Registry entries of the phone-use and typing-cadence biomarkers (appended to ``REGISTRY``)."""

from __future__ import annotations

from bedside.domain import BiomarkerSpec, Concern, Modality

__all__ = ["PHONE_USE_SPECS", "TYPING_SPECS"]

_SAEB = (
    "Saeb S et al. Mobile phone sensor correlates of depressive symptom severity in daily-life "
    "behavior: an exploratory study. J Med Internet Res 2015;17(7):e175"
)
_WANG = (
    "Wang R et al. Tracking depression dynamics in college students using mobile phone and "
    "wearable sensing. Proc ACM Interact Mob Wearable Ubiquitous Technol 2018;2(1):43"
)
_ZULUETA = (
    "Zulueta J et al. Predicting mood disturbance severity with mobile phone keystroke "
    "metadata: a BiAffect digital phenotyping study. J Med Internet Res 2018;20(7):e241"
)
_VESEL = (
    "Vesel C et al. Effects of mood and aging on keystroke dynamics metadata and their diurnal "
    "patterns in a large open-science sample: a BiAffect iOS study. J Am Med Inform Assoc "
    "2020;27(7):1007-1018"
)


def _spec(
    id: str,
    modality: Modality,
    display: str,
    unit: str,
    concern: Concern,
    valid: tuple[float, float],
    citation: str,
) -> BiomarkerSpec:
    return BiomarkerSpec(
        id=id,
        family=id.split(".", 1)[0],
        modality=modality,
        unit=unit,
        display=display,
        concern=concern,
        valid_min=valid[0],
        valid_max=valid[1],
        citation=citation,
    )


_P = Modality.PHONE_USE
_T = Modality.TYPING

PHONE_USE_SPECS: tuple[BiomarkerSpec, ...] = (
    _spec(
        "phone_use.screen_on_min",
        _P,
        "Screen-on time",
        "min",
        Concern.UP,
        (0, 1500),
        f"{_SAEB}; {_WANG}",
    ),
    _spec("phone_use.unlocks", _P, "Unlocks", "{count}", Concern.BOTH, (0, 5000), _SAEB),
    _spec(
        "phone_use.night_use_min", _P, "Night-time phone use", "min", Concern.UP, (0, 420), _WANG
    ),
)

TYPING_SPECS: tuple[BiomarkerSpec, ...] = (
    _spec(
        "typing.iki_median_ms",
        _T,
        "Median inter-key interval",
        "ms",
        Concern.UP,
        (0, 10000),
        _ZULUETA,
    ),
    _spec(
        "typing.iki_iqr_ms", _T, "Inter-key interval IQR", "ms", Concern.UP, (0, 10000), _ZULUETA
    ),
    _spec("typing.speed_cv", _T, "Typing speed variability", "1", Concern.UP, (0, 10), _VESEL),
    _spec("typing.sessions", _T, "Typing sessions", "{count}", Concern.DOWN, (0, 5000), _VESEL),
    _spec(
        "typing.session_length_s",
        _T,
        "Mean typing session length",
        "s",
        Concern.BOTH,
        (0, 86400),
        _VESEL,
    ),
    _spec("typing.backspace_rate", _T, "Backspace rate", "1", Concern.UP, (0, 1), _ZULUETA),
    _spec("typing.night_share", _T, "Share of typing at night", "1", Concern.UP, (0, 1), _VESEL),
)
