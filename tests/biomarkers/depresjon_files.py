"""Locate and load the real Depresjon recordings for the biomarker tests."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from bedside.domain import Modality, PatientId, SampleFrame

ZONE = "Europe/Oslo"


def depresjon_dir() -> Path:
    """The Depresjon folder (env BEDSIDE_DEPRESJON_DIR, else ../shared/data/depresjon)."""
    env = os.environ.get("BEDSIDE_DEPRESJON_DIR")
    if env:
        return Path(env)
    return (Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "depresjon").resolve()


def require_depresjon() -> Path:
    """The folder, or skip (outside CI) / fail (in CI) when it is absent."""
    root = depresjon_dir()
    if not root.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Depresjon data missing at {root} (required in CI)")
        pytest.skip(f"Depresjon data not found at {root}")
    return root


def recording_paths(root: Path) -> list[Path]:
    return sorted(
        (*root.glob("condition/condition_*.csv"), *root.glob("control/control_*.csv")),
        key=lambda p: (p.parent.name, int(p.stem.split("_")[1])),
    )


def load_recording(path: Path) -> SampleFrame:
    """Read one recording (local wall-clock timestamps in Europe/Oslo) into a SampleFrame."""
    df = pl.read_csv(path, columns=["timestamp", "activity"])
    utc = (
        df["timestamp"]
        .str.to_datetime("%Y-%m-%d %H:%M:%S", time_unit="ms")
        .dt.replace_time_zone(ZONE, ambiguous="earliest")
        .dt.epoch(time_unit="s")
        .to_numpy()
        .astype(np.int64)
    )
    return SampleFrame(
        patient_id=PatientId(path.stem),
        modality=Modality.ACTIGRAPHY,
        zone=ZONE,
        time_utc=utc,
        value=df["activity"].to_numpy().astype(np.float64),
        source=path.name,
    )
