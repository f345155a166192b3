"""Synthetic per-minute step counts from the same wrist device as the actigraphy.

Steps are drawn minute by minute as ``Poisson(steps_per_count x counts)`` from the activity
counts of that minute, so they fall with activity during an episode (lower daily steps and
activity in depression: Burton C et al. J Affect Disord 2013;145(1):21-28) and share the
actigraphy's gaps (a device off the wrist counts neither). ``steps_per_count`` = 0.027 gives
about 7,000 steps on a typical synthetic day.
"""

from __future__ import annotations

import numpy as np

from bedside.domain import Modality, SampleFrame

__all__ = ["generate_steps"]


def generate_steps(
    rng: np.random.Generator, actigraphy: SampleFrame, *, steps_per_count: float = 0.027
) -> SampleFrame:
    """Minute step counts for every minute of an actigraphy frame.

    Parameters
    ----------
    rng : numpy.random.Generator
        The patient's step stream.
    actigraphy : SampleFrame
        Minute activity counts (epoch 60 s).
    steps_per_count : float
        Expected steps per activity count.

    Returns
    -------
    SampleFrame
        ``Modality.STEPS``, epoch 60 s, steps per minute, at the actigraphy's instants.
    """
    counts = np.nan_to_num(np.asarray(actigraphy.value, dtype=np.float64), nan=0.0)
    steps = rng.poisson(steps_per_count * np.maximum(counts, 0.0)).astype(np.float64)
    return SampleFrame(
        patient_id=actigraphy.patient_id,
        modality=Modality.STEPS,
        zone=actigraphy.zone,
        time_utc=actigraphy.time_utc.copy(),
        value=steps,
        epoch_s=60,
        source=actigraphy.source.replace("synthetic:", "synthetic-steps:", 1),
    )
