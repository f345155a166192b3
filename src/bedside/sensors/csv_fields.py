"""Splitting CSV data lines into fields and parsing numeric value columns, with row checks."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from bedside.sensors.read_report import RowChecker

__all__ = ["parse_values", "split_fields"]


def split_fields(checker: RowChecker, lines: list[str], names: tuple[str, ...]) -> list[pl.Series]:
    """Split unquoted comma-separated lines into string columns; flags wrong field counts.

    Parameters
    ----------
    checker : RowChecker
    lines : list of str
        Data lines (no header).
    names : tuple of str
        Column names, in order.

    Returns
    -------
    list of polars.Series of str, each shape (n,)
        One per name; null where the row has the wrong number of fields.
    """
    series = pl.Series("line", lines, dtype=pl.String)
    parts = series.str.split(",")
    count = parts.list.len().to_numpy()
    expected = len(names)
    checker.flag(
        count != expected,
        "field_count",
        None,
        lambda i: (
            f"expected {expected} comma-separated fields ({','.join(names)}), "
            f"got {int(count[i]) if lines[i] else 0}"
        ),
    )
    good = pl.Series(count == expected)
    return [
        pl.select(pl.when(good).then(parts.list.get(k, null_on_oob=True)).otherwise(None))
        .to_series()
        .alias(name)
        for k, name in enumerate(names)
    ]


def parse_values(checker: RowChecker, text: pl.Series, field: str) -> npt.NDArray[np.float64]:
    """Parse a column of finite, non-negative numbers; flags ``value`` and ``negative_value``.

    Parameters
    ----------
    checker : RowChecker
    text : polars.Series of str, shape (n,)
    field : str
        Column name for messages.

    Returns
    -------
    ndarray of float64, shape (n,)
        NaN where invalid.
    """
    raw = text
    values = text.cast(pl.Float64, strict=False).fill_null(np.nan).to_numpy().astype(np.float64)
    checker.flag(
        ~np.isfinite(values),
        "value",
        field,
        lambda i: f"cannot parse {raw[i]!r} as a finite number",
    )
    checker.flag(
        values < 0, "negative_value", field, lambda i: f"counts must be >= 0, got {raw[i]!r}"
    )
    return values
