"""Significant places (clusters of stationary minutes) and home, from a cleaned minute track.

Saeb et al. (2015) cluster stationary GPS samples into places and take home as the place most
visited between midnight and 6 am; Forest (Barnett & Onnela 2020) does the same with pauses.
Here stationary minutes are binned into square cells of half the place radius; places are
founded greedily from the cell holding the most stationary time, absorbing every cell whose
centre lies within the place radius; cells left over join the nearest place within the radius,
or none. The result is deterministic (ties broken by cell key) and costs one pass over the cells
per place, so a patient-year takes milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bedside.biomarkers.gps_track import EARTH_RADIUS_M, GpsSettings, MinuteTrack, haversine_m

__all__ = ["Places", "find_places"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Places:
    """Places of one trace and the place of every minute.

    Attributes
    ----------
    latitude_deg, longitude_deg : ndarray of float64, shape (k,)
        Place centres (stationary-time-weighted), degrees.
    minutes : ndarray of float64, shape (k,)
        Stationary minutes at each place over the whole trace.
    label : ndarray of int64, shape (n,)
        Place index of each grid minute that is stationary and within a place; -1 otherwise.
    home : int
        Index of home, or -1 when too few night-time minutes were observed at any place.
    at_home : ndarray of bool, shape (n,)
        Minutes (moving or not) whose position is within the place radius of home.
    """

    latitude_deg: FloatArray
    longitude_deg: FloatArray
    minutes: FloatArray
    label: IntArray
    home: int
    at_home: npt.NDArray[np.bool_]

    @property
    def n_places(self) -> int:
        return int(self.minutes.size)


_BLOCK = 1 << 16
"""Minutes per block of per-minute work (about 45 days; temporaries of a few MB)."""


def _blocks(n: int) -> list[tuple[int, int]]:
    return [(a, min(a + _BLOCK, n)) for a in range(0, n, _BLOCK)]


def _project(lat: FloatArray, lon: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Sinusoidal projection, metres: exact distances locally, anywhere on Earth."""
    phi = np.radians(lat)
    return EARTH_RADIUS_M * np.radians(lon) * np.cos(phi), EARTH_RADIUS_M * phi


def find_places(track: MinuteTrack, settings: GpsSettings) -> Places:
    """Cluster stationary minutes into places and find home.

    Parameters
    ----------
    track : MinuteTrack
    settings : GpsSettings
        ``place_radius_m``, ``min_place_min``, ``night_start_h``, ``night_end_h`` and
        ``min_home_night_min`` are used.

    Returns
    -------
    Places
    """
    n = track.latitude_deg.size
    lat_all, lon_all = track.latitude_deg, track.longitude_deg
    valid = track.valid
    stationary = valid & ~track.moving
    label = np.full(n, -1, dtype=np.int64)
    empty = np.zeros(0)
    if not stationary.any():
        return Places(empty, empty, empty, label, -1, np.zeros(n, dtype=bool))
    # Per-minute work runs in blocks (bounded temporaries on a patient-year); element-wise
    # steps do not depend on the blocking, the cells are the sorted distinct keys (as np.unique
    # gives them), and sums add minutes in order into one accumulator (np.add.at), exactly as
    # one bincount over all minutes would.
    cell = settings.place_radius_m / 2.0

    def cell_keys(a: int, b: int) -> tuple[IntArray, FloatArray, FloatArray, IntArray]:
        at = np.flatnonzero(stationary[a:b]) + a
        x, y = _project(lat_all[at], lon_all[at])
        ix = np.floor(x / cell).astype(np.int64)
        iy = np.floor(y / cell).astype(np.int64)
        return ix * (1 << 32) + (iy + (1 << 31)), x, y, at

    cells = np.unique(np.concatenate([np.unique(cell_keys(a, b)[0]) for a, b in _blocks(n)]))
    counts = np.zeros(cells.size, dtype=np.int64)
    sum_x, sum_y = np.zeros(cells.size), np.zeros(cells.size)
    for a, b in _blocks(n):
        key, x, y, _ = cell_keys(a, b)
        inverse = np.searchsorted(cells, key)
        counts += np.bincount(inverse, minlength=cells.size)
        np.add.at(sum_x, inverse, x)
        np.add.at(sum_y, inverse, y)
    w = counts.astype(np.float64)
    cx = sum_x / w
    cy = sum_y / w
    order = np.lexsort((cells, -w))  # most stationary time first, ties by key
    place_of_cell = np.full(cells.size, -1, dtype=np.int64)
    centres_x: list[float] = []
    centres_y: list[float] = []
    r2 = settings.place_radius_m**2
    for c in order.tolist():
        if place_of_cell[c] >= 0:
            continue
        if w[c] < settings.min_place_min:
            break  # every later cell is smaller: none can found a place
        free = place_of_cell < 0
        near = free & ((cx - cx[c]) ** 2 + (cy - cy[c]) ** 2 <= r2)
        p = len(centres_x)
        place_of_cell[near] = p
        centres_x.append(float(np.average(cx[near], weights=w[near])))
        centres_y.append(float(np.average(cy[near], weights=w[near])))
    k = len(centres_x)
    if k:
        px, py = np.asarray(centres_x), np.asarray(centres_y)
        left = np.flatnonzero(place_of_cell < 0)
        if left.size:
            d2 = (cx[left, None] - px[None, :]) ** 2 + (cy[left, None] - py[None, :]) ** 2
            nearest = np.argmin(d2, axis=1)
            close = d2[np.arange(left.size), nearest] <= r2
            place_of_cell[left[close]] = nearest[close]
    for a, b in _blocks(n):
        key, _, _, at = cell_keys(a, b)
        label[at] = place_of_cell[np.searchsorted(cells, key)]
    # Place centres back to degrees (weighted means of member minutes keep the inverse exact).
    minutes_i = np.zeros(k, dtype=np.int64)
    night_min = np.zeros(k, dtype=np.int64)
    lat_sum, lon_sum = np.zeros(k), np.zeros(k)
    wall_min = track.grid.wall_min
    for a, b in _blocks(n):
        lab = label[a:b]
        placed = lab >= 0
        members = lab[placed]
        minutes_i += np.bincount(members, minlength=k)
        np.add.at(lat_sum, members, lat_all[a:b][placed])
        np.add.at(lon_sum, members, lon_all[a:b][placed])
        hour = wall_min[a:b] // 60
        night = placed & (hour >= settings.night_start_h) & (hour < settings.night_end_h)
        night_min += np.bincount(lab[night], minlength=k)
    minutes = minutes_i.astype(np.float64)
    safe = np.maximum(minutes, 1.0)
    lat_c: FloatArray = lat_sum / safe
    lon_c: FloatArray = lon_sum / safe
    home = int(np.argmax(night_min)) if k and night_min.max() >= settings.min_home_night_min else -1
    at_home = np.zeros(n, dtype=bool)
    if home >= 0:
        for a, b in _blocks(n):
            vb = valid[a:b]
            d = haversine_m(lat_all[a:b][vb], lon_all[a:b][vb], lat_c[home], lon_c[home])
            at_home[a:b][vb] = d <= settings.place_radius_m
    return Places(lat_c, lon_c, minutes, label, home, at_home)
