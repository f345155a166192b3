"""Registry entries of the phone-use and typing-cadence biomarkers (appended to ``REGISTRY``)."""

from __future__ import annotations

from functools import partial

from bedside.biomarkers.spec_factory import make_spec
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


_phone = partial(make_spec, modality=Modality.PHONE_USE)
_typing = partial(make_spec, modality=Modality.TYPING)

PHONE_USE_SPECS: tuple[BiomarkerSpec, ...] = (
    _phone(
        "phone_use.screen_on_min",
        "Screen-on time",
        "min",
        Concern.UP,
        (0, 1500),
        f"{_SAEB}; {_WANG}",
    ),
    _phone("phone_use.unlocks", "Unlocks", "{count}", Concern.BOTH, (0, 5000), _SAEB),
    _phone("phone_use.night_use_min", "Night-time phone use", "min", Concern.UP, (0, 420), _WANG),
)

TYPING_SPECS: tuple[BiomarkerSpec, ...] = (
    _typing(
        "typing.iki_median_ms",
        "Median inter-key interval",
        "ms",
        Concern.UP,
        (0, 10000),
        _ZULUETA,
    ),
    _typing("typing.iki_iqr_ms", "Inter-key interval IQR", "ms", Concern.UP, (0, 10000), _ZULUETA),
    _typing("typing.speed_cv", "Typing speed variability", "1", Concern.UP, (0, 10), _VESEL),
    _typing("typing.sessions", "Typing sessions", "{count}", Concern.DOWN, (0, 5000), _VESEL),
    _typing(
        "typing.session_length_s",
        "Mean typing session length",
        "s",
        Concern.BOTH,
        (0, 86400),
        _VESEL,
    ),
    _typing("typing.backspace_rate", "Backspace rate", "1", Concern.UP, (0, 1), _ZULUETA),
    _typing("typing.night_share", "Share of typing at night", "1", Concern.UP, (0, 1), _VESEL),
)
