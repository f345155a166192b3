"""Row validation shared by the CSV readers: strict errors with line and field, or lenient drops.

A reader splits a file into lines, flags bad rows reason by reason (the first reason found for a
row wins) and then either raises :class:`~bedside.domain.InputFormatError` for the earliest bad
line (strict) or drops the bad rows, warns with :class:`~bedside.domain.DroppedRowsWarning` and
reports the counts per reason (lenient).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bedside.domain import DroppedRowsWarning, InputFormatError

__all__ = ["ReadReport", "RowChecker", "read_data_lines"]

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class ReadReport:
    """What a reader did with a file.

    Attributes
    ----------
    source : str
        The file read.
    rows_read : int
        Data rows in the file (lines after the header; a final newline does not add a row).
    rows_dropped : dict of str to int
        Rows dropped in lenient mode, per reason (e.g. ``timestamp``, ``negative_value``,
        ``duplicate_instant``); empty in strict mode, where a bad row is an error.
    """

    source: str
    rows_read: int
    rows_dropped: dict[str, int] = field(default_factory=dict)

    @property
    def rows_kept(self) -> int:
        """Rows that became samples."""
        return self.rows_read - sum(self.rows_dropped.values())


def read_data_lines(path: Path, expected_header: str) -> tuple[str, list[str]]:
    """Read a CSV file as text lines and check its header exactly.

    Parameters
    ----------
    path : Path
    expected_header : str
        The header line, e.g. ``timestamp,date,activity``.

    Returns
    -------
    source : str
        The file name used in messages.
    lines : list of str
        The data lines (line ``i`` of the list is line ``i + 2`` of the file), without line
        terminators (``\\n`` or ``\\r\\n``).

    Raises
    ------
    InputFormatError
        When the file cannot be decoded as UTF-8 or the header differs.
    """
    source = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFormatError(source, f"not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise InputFormatError(source, f"cannot read file ({exc.strerror})") from exc
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if "\r" in text:
        lines = [line.removesuffix("\r") for line in lines]
    if not lines:
        raise InputFormatError(source, "empty file, expected a header", line=1)
    if lines[0] != expected_header:
        raise InputFormatError(
            source,
            f"header must be exactly {expected_header!r}, got {lines[0][:80]!r}",
            line=1,
            field="header",
        )
    return source, lines[1:]


@dataclass
class _Reason:
    name: str
    field: str | None
    message: Callable[[int], str]


class RowChecker:
    """Collects per-row problems of one file and applies the strict or lenient policy.

    Parameters
    ----------
    source : str
        File name for messages.
    n_rows : int
        Number of data rows; row ``i`` is line ``i + 2`` of the file.
    """

    def __init__(self, source: str, n_rows: int) -> None:
        self.source = source
        self.n_rows = n_rows
        self._code = np.full(n_rows, -1, dtype=np.int16)
        self._reasons: list[_Reason] = []

    @property
    def ok(self) -> BoolArray:
        """Rows without a problem so far."""
        return np.asarray(self._code < 0)

    def flag(
        self,
        bad: BoolArray,
        reason: str,
        field: str | None,
        message: Callable[[int], str],
    ) -> None:
        """Flag rows (those not flagged already) with a reason.

        Parameters
        ----------
        bad : ndarray of bool, shape (n_rows,)
        reason : str
            Short key counted in lenient mode.
        field : str or None
            Column named in the error.
        message : callable
            Row index -> message for the strict-mode error.
        """
        new = np.asarray(bad, dtype=np.bool_) & (self._code < 0)
        if not new.any():
            return
        self._code[new] = len(self._reasons)
        self._reasons.append(_Reason(reason, field, message))

    def flag_rows(
        self,
        rows: npt.NDArray[np.intp],
        reason: str,
        field: str | None,
        message: Callable[[int], str],
    ) -> None:
        """Like :meth:`flag`, with row indices instead of a mask."""
        mask = np.zeros(self.n_rows, dtype=np.bool_)
        mask[rows] = True
        self.flag(mask, reason, field, message)

    def finish(self, *, lenient: bool, stacklevel: int = 3) -> tuple[BoolArray, ReadReport]:
        """Raise for the earliest bad line, or drop bad rows with a warning.

        Returns
        -------
        keep : ndarray of bool, shape (n_rows,)
        report : ReadReport
        """
        bad = np.flatnonzero(self._code >= 0)
        if bad.size == 0:
            return self.ok, ReadReport(self.source, self.n_rows, {})
        if not lenient:
            row = int(bad[0])
            reason = self._reasons[int(self._code[row])]
            raise InputFormatError(
                self.source, reason.message(row), line=row + 2, field=reason.field
            )
        counts = np.bincount(self._code[bad], minlength=len(self._reasons))
        dropped: dict[str, int] = {}
        for reason, count in zip(self._reasons, counts.tolist(), strict=True):
            if count:
                dropped[reason.name] = dropped.get(reason.name, 0) + int(count)
        summary = ", ".join(f"{k}: {v}" for k, v in sorted(dropped.items()))
        warnings.warn(
            DroppedRowsWarning(
                f"{self.source}: dropped {bad.size} of {self.n_rows} rows ({summary})"
            ),
            stacklevel=stacklevel,
        )
        return self.ok, ReadReport(self.source, self.n_rows, dropped)
