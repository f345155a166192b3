"""Daily GPS mobility biomarkers: only daily numbers leave this module, never coordinates.

Definitions follow Saeb S, Zhang M, Karr CJ, Schueller SM, Corden ME, Kording KP, Mohr DC.
Mobile phone sensor correlates of depressive symptom severity in daily-life behavior: an
exploratory study. J Med Internet Res 2015;17(7):e175 (home from night-time stays, location
variance, entropy and normalised entropy over significant places, circadian movement, total
distance) and Forest's jasmine summaries (Barnett I, Onnela JP. Biostatistics 2020;21(2):e98-e112;
onnela-lab/forest: home time, distance travelled, radius of gyration, maximum distance from home,
number of significant places). Every biomarker is computed per local calendar day on the cleaned
minute track of :mod:`bedside.biomarkers.gps_track`; a minute counts once whatever the sampling
rate, so 1 Hz and 1/min traces of the same movement give the same numbers.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bedside.biomarkers.epochs import day_lengths_min
from bedside.biomarkers.gps_track import GpsSettings, MinuteTrack, haversine_m, minute_track
from bedside.biomarkers.mobility_places import Places, find_places
from bedside.domain import DailyBiomarkerTable, Modality, PatientId
from bedside.domain.gps_samples import GpsFrame

__all__ = ["MOBILITY_IDS", "daily_mobility", "mobility_from_track"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MOBILITY_IDS = (
    "mobility.home_time_frac",
    "mobility.distance_km",
    "mobility.radius_gyration_km",
    "mobility.max_home_dist_km",
    "mobility.n_places",
    "mobility.location_entropy",
    "mobility.location_entropy_norm",
    "mobility.location_variance_log",
    "mobility.circadian_movement",
)

_VARIANCE_FLOOR_DEG2 = 1e-10
"""Floor of location variance (deg^2, about (1 mm)^2): a perfectly still day is finite."""

_CIRCADIAN_FLOOR_DEG2 = 1e-12


def daily_mobility(frame: GpsFrame, settings: GpsSettings | None = None) -> DailyBiomarkerTable:
    """Daily mobility biomarkers of one patient.

    Parameters
    ----------
    frame : GpsFrame
        All fixes of the patient (home and places are found over the whole trace).
    settings : GpsSettings, optional

    Returns
    -------
    DailyBiomarkerTable
        Columns `MOBILITY_IDS` over the local days from the first to the last kept fix, and
        ``coverage[Modality.GPS]`` = share of the day's minutes with a known position. Values
        are NaN on days under ``settings.min_coverage``; home-based values are NaN when home is
        undefined. Units: ``home_time_frac`` 1; distances km; ``n_places`` count; entropies nats
        and 1; ``location_variance_log`` ln(deg^2); ``circadian_movement`` ln(deg^2).
    """
    settings = settings or GpsSettings()
    track = minute_track(frame, settings)
    return mobility_from_track(track, settings, patient_id=frame.patient_id)


def _per_day_mean(day: IntArray, x: FloatArray, n: FloatArray, n_days: int) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.bincount(day, weights=x, minlength=n_days) / n)


def _place_table(day: IntArray, label: IntArray, n_days: int, k: int) -> IntArray:
    """Placed minutes per (day, place), shape (n_days, max(k, 1))."""
    return np.bincount(day * max(k, 1) + label, minlength=n_days * max(k, 1)).reshape(
        n_days, max(k, 1)
    )


def _entropy_of(table: IntArray) -> tuple[FloatArray, FloatArray]:
    """Entropy (nats) and normalised entropy of each day's placed minutes (a `_place_table`)."""
    total = table.sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = table / total[:, None]
        terms = np.where(table > 0, -p * np.log(np.where(table > 0, p, 1.0)), 0.0)
    ent = terms.sum(axis=1)
    visited = (table > 0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        norm = np.where(visited > 1, ent / np.log(np.maximum(visited, 2)), 0.0)
    ent = np.where(total > 0, ent, np.nan).astype(np.float64)
    norm = np.where(total > 0, norm, np.nan).astype(np.float64)
    return ent, norm


_BLOCK_DAYS = 28
"""Local days per block of per-minute work."""


def _day_blocks(
    local_day: IntArray, first_day: int, n_days: int
) -> list[tuple[int, int, int, int]]:
    """Blocks of whole local days: (first minute, end minute, first day row, end day row)."""
    out = []
    for d0 in range(0, n_days, _BLOCK_DAYS):
        d1 = min(d0 + _BLOCK_DAYS, n_days)
        a, b = np.searchsorted(local_day, [first_day + d0, first_day + d1], side="left")
        out.append((int(a), int(b), d0, d1))
    return out


def _window_sinusoid_energy(
    t_h: FloatArray,
    y: FloatArray,
    ok: npt.NDArray[np.bool_],
    lo: IntArray,
    hi: IntArray,
    omega: FloatArray,
) -> FloatArray:
    """Mean squared amplitude of least-squares sinusoids (with offset) over hour windows.

    Windows are the index ranges ``lo[d]:hi[d]`` of the hourly series; only hours with
    ``ok`` count. Sums are windowed cumulative sums, so all days cost one pass.

    Returns
    -------
    ndarray of float64, shape (n_days,)
        Mean of ``a^2 + b^2`` over the frequencies, in the unit of `y` squared.
    """
    w = ok.astype(np.float64)
    yc = np.where(ok, y - (np.mean(y[ok]) if ok.any() else 0.0), 0.0)
    ph = t_h[:, None] * omega[None, :]
    c, s = np.cos(ph) * w[:, None], np.sin(ph) * w[:, None]
    cols = {
        "n": np.repeat(w[:, None], omega.size, axis=1),
        "c": c,
        "s": s,
        "cc": c * c,
        "ss": s * s,
        "cs": c * s,
        "y": np.repeat(yc[:, None], omega.size, axis=1),
        "yc": yc[:, None] * c,
        "ys": yc[:, None] * s,
    }
    sums = {}
    for key, col in cols.items():
        cum = np.vstack([np.zeros((1, omega.size)), np.cumsum(col, axis=0)])
        sums[key] = cum[hi] - cum[lo]
    a = np.stack(
        [
            np.stack([sums["n"], sums["c"], sums["s"]], axis=-1),
            np.stack([sums["c"], sums["cc"], sums["cs"]], axis=-1),
            np.stack([sums["s"], sums["cs"], sums["ss"]], axis=-1),
        ],
        axis=-2,
    )
    rhs = np.stack([sums["y"], sums["yc"], sums["ys"]], axis=-1)[..., None]
    coef = (np.linalg.pinv(a) @ rhs)[..., 0]
    return np.asarray(np.mean(coef[..., 1] ** 2 + coef[..., 2] ** 2, axis=-1))


def _circadian_movement(track: MinuteTrack, settings: GpsSettings, n_days: int) -> FloatArray:
    """Saeb's circadian movement over the window ending on each day, ln(deg^2).

    Energy is the mean squared amplitude of the least-squares sinusoid with a floating mean
    (the generalised Lomb-Scargle fit) of hourly mean latitude and longitude at 11 periods
    from 23.5 to 24.5 h; amplitudes, unlike raw periodogram power, do not grow with the number
    of hours observed. Windows with fewer observed hours than ``min_coverage`` of the window
    are NaN.
    """
    out = np.full(n_days, np.nan)
    n = track.latitude_deg.size
    if n == 0:
        return out
    n_hours = (n - 1) // 60 + 1
    cnt_i = np.zeros(n_hours, dtype=np.int64)
    lat_sum, lon_sum = np.zeros(n_hours), np.zeros(n_hours)
    # blocks of whole hours: each hour's sum adds its own minutes in order, as one pass would
    step = 60 * 24 * _BLOCK_DAYS
    for a in range(0, n, step):
        b = min(a + step, n)
        lat, lon = track.latitude_deg[a:b], track.longitude_deg[a:b]
        valid = np.isfinite(lat)
        hour = np.flatnonzero(valid) // 60 + a // 60
        h0, h1 = a // 60, (b - 1) // 60 + 1
        cnt_i[h0:h1] = np.bincount(hour, minlength=n_hours)[h0:h1]
        lat_sum[h0:h1] = np.bincount(hour, weights=lat[valid], minlength=n_hours)[h0:h1]
        lon_sum[h0:h1] = np.bincount(hour, weights=lon[valid], minlength=n_hours)[h0:h1]
    if not cnt_i.any():
        return out
    cnt = cnt_i.astype(np.float64)
    ok_h = cnt > 0
    safe = np.maximum(cnt, 1.0)
    hlat = lat_sum / safe
    hlon = lon_sum / safe
    at = np.minimum(np.arange(n_hours) * 60, n - 1)
    hday = track.grid.local_day[at] - track.grid.first_day
    omega = 2.0 * np.pi / np.linspace(23.5, 24.5, 11)
    t_h = np.arange(n_hours, dtype=np.float64)
    days = np.arange(n_days)
    w = settings.circadian_window_days
    lo = np.searchsorted(hday, days - w + 1, side="left")
    hi = np.searchsorted(hday, days, side="right")
    n_ok = np.concatenate([[0], np.cumsum(ok_h)])
    enough = (n_ok[hi] - n_ok[lo]) >= max(settings.min_coverage * 24 * w, 3)
    energy = _window_sinusoid_energy(t_h, hlat, ok_h, lo, hi, omega) + _window_sinusoid_energy(
        t_h, hlon, ok_h, lo, hi, omega
    )
    out[enough] = np.log(energy[enough] + _CIRCADIAN_FLOOR_DEG2)
    return out


def mobility_from_track(
    track: MinuteTrack, settings: GpsSettings, *, patient_id: str
) -> DailyBiomarkerTable:
    """Daily mobility biomarkers from a cleaned minute track (see :func:`daily_mobility`)."""
    grid = track.grid
    n_days = grid.n_days
    dates = grid.dates
    if n_days == 0:
        return DailyBiomarkerTable(
            patient_id=PatientId(patient_id),
            zone=grid.zone,
            dates=dates,
            values={k: np.zeros(0) for k in MOBILITY_IDS},
            coverage={Modality.GPS: np.zeros(0)},
        )
    places: Places = find_places(track, settings)
    # Per-minute work runs over blocks of whole local days (bounded temporaries on a
    # patient-year); every quantity is a per-day sum, mean or maximum of the day's own minutes
    # in order, so the blocking does not change a bit of it.
    n_valid_i = np.zeros(n_days, dtype=np.int64)
    distance = np.zeros(n_days)
    clat, clon = np.full(n_days, np.nan), np.full(n_days, np.nan)
    rog2 = np.full(n_days, np.nan)
    var = np.full(n_days, np.nan)
    at_home_i = np.zeros(n_days, dtype=np.int64)
    far = np.full(n_days, np.nan)
    k = places.n_places
    table = np.zeros((n_days, max(k, 1)), dtype=np.int64)
    for a, b, d0, d1 in _day_blocks(grid.local_day, grid.first_day, n_days):
        day = grid.local_day[a:b] - grid.first_day
        valid = np.isfinite(track.latitude_deg[a:b])
        vi = np.flatnonzero(valid)
        dv = day[vi]
        nv = np.bincount(dv, minlength=n_days).astype(np.float64)
        n_valid_i[d0:d1] = nv[d0:d1].astype(np.int64)
        lat, lon = track.latitude_deg[a:b][vi], track.longitude_deg[a:b][vi]
        step, jump = track.step_m[a:b], track.jump[a:b]
        moving = np.flatnonzero(np.isfinite(step) & ~jump)
        distance[d0:d1] = np.bincount(day[moving], weights=step[moving], minlength=n_days)[d0:d1]
        # Radius of gyration about the day's centre of mass (mean latitude and longitude).
        blat = _per_day_mean(dv, lat, nv, n_days)
        blon = _per_day_mean(dv, lon, nv, n_days)
        clat[d0:d1], clon[d0:d1] = blat[d0:d1], blon[d0:d1]
        d2 = haversine_m(lat, lon, blat[dv], blon[dv]) ** 2
        rog2[d0:d1] = _per_day_mean(dv, d2, nv, n_days)[d0:d1]
        spread = (lat - blat[dv]) ** 2 + (lon - blon[dv]) ** 2
        var[d0:d1] = _per_day_mean(dv, spread, nv, n_days)[d0:d1]
        if places.home >= 0:
            at_home_i[d0:d1] = np.bincount(day[places.at_home[a:b]], minlength=n_days)[d0:d1]
            hd = haversine_m(
                lat, lon, places.latitude_deg[places.home], places.longitude_deg[places.home]
            )
            np.fmax.at(far, dv, hd / 1e3)
        lab = places.label[a:b]
        placed = np.flatnonzero(lab >= 0)
        table[d0:d1] = _place_table(day[placed], lab[placed], n_days, k)[d0:d1]
    n_valid = n_valid_i.astype(np.float64)
    lengths = day_lengths_min(grid.first_day, n_days, grid.zone)
    coverage = np.clip(n_valid / lengths, 0.0, 1.0)

    values: dict[str, FloatArray] = {}
    values["mobility.distance_km"] = distance / 1000.0
    values["mobility.radius_gyration_km"] = np.sqrt(rog2) / 1e3
    values["mobility.location_variance_log"] = np.log(np.maximum(var, _VARIANCE_FLOOR_DEG2))

    if places.home >= 0:
        with np.errstate(invalid="ignore", divide="ignore"):
            values["mobility.home_time_frac"] = at_home_i.astype(np.float64) / n_valid
        values["mobility.max_home_dist_km"] = far
    else:
        values["mobility.home_time_frac"] = np.full(n_days, np.nan)
        values["mobility.max_home_dist_km"] = np.full(n_days, np.nan)

    ent, norm = _entropy_of(table)
    values["mobility.location_entropy"] = ent
    values["mobility.location_entropy_norm"] = norm
    n_sig = (table >= settings.min_place_min).sum(axis=1).astype(np.float64)
    values["mobility.n_places"] = n_sig
    circadian = _circadian_movement(track, settings, n_days)

    low = coverage < settings.min_coverage
    out: dict[str, FloatArray] = {}
    for key in MOBILITY_IDS:
        if key == "mobility.circadian_movement":
            out[key] = circadian
            continue
        col = np.asarray(values[key], dtype=np.float64).copy()
        col[low] = np.nan
        out[key] = col
    return DailyBiomarkerTable(
        patient_id=PatientId(patient_id),
        zone=grid.zone,
        dates=dates,
        values=out,
        coverage={Modality.GPS: coverage},
    )
