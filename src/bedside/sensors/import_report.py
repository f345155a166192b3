"""What an importer did with a file, and the strict/lenient policy for bad records.

Strict (default): the first malformed record raises :class:`~bedside.domain.InputFormatError`
naming the file and the line (CSV, JSON Lines) or element (XML, JSON array). Lenient: malformed
records are dropped, counted per reason and announced once with a
:class:`~bedside.domain.DroppedRowsWarning`. Resolutions that keep the data (identical
duplicates, censored sensor values, records of other types) are counted as notes, not drops.
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass, field

from bedside.domain import DroppedRowsWarning, InputFormatError

__all__ = ["ImportReport", "IssueLog"]


@dataclass(frozen=True)
class ImportReport:
    """Summary of one import.

    Attributes
    ----------
    source : str
        The file read.
    records_read : int
        Data records seen (rows, data points or XML records).
    records_kept : int
        Records that became samples (after dropping malformed ones and resolving duplicates).
    dropped : dict of str to int
        Malformed records dropped in lenient mode, per reason.
    notes : dict of str to int
        Counted resolutions: ``identical_duplicate``, ``conflicting_duplicate`` (same instant,
        different values; the preferred source wins), ``overlap`` (a lower-priority source's
        record overlapping a preferred one), ``censored_low``/``censored_high``, records of
        types the importer does not read, and so on.
    """

    source: str
    records_read: int
    records_kept: int
    dropped: dict[str, int] = field(default_factory=dict)
    notes: dict[str, int] = field(default_factory=dict)


class IssueLog:
    """Collects problems of one import under the strict or lenient policy.

    Parameters
    ----------
    source : str
        File name for messages.
    lenient : bool
        Drop malformed records (counted) instead of raising.
    """

    def __init__(self, source: str, *, lenient: bool) -> None:
        self.source = source
        self.lenient = lenient
        self.dropped: Counter[str] = Counter()
        self.notes: Counter[str] = Counter()

    def problem(
        self,
        reason: str,
        message: str,
        *,
        line: int | None = None,
        element: str | None = None,
        field: str | None = None,
    ) -> None:
        """A malformed record: raise (strict) or count it (lenient).

        Parameters
        ----------
        reason : str
            Short key counted in lenient mode.
        message : str
            What is wrong.
        line : int or None
            1-based line in the file.
        element : str or None
            Description of the XML element or JSON data point (``Record #12 (HeartRate)``).
        field : str or None
            Column, attribute or JSON path.
        """
        if not self.lenient:
            text = f"{element}: {message}" if element else message
            raise InputFormatError(self.source, text, line=line, field=field)
        self.dropped[reason] += 1

    def note(self, key: str, count: int = 1) -> None:
        """Count a resolution that keeps the data (not a drop)."""
        if count:
            self.notes[key] += count

    def finish(self, records_read: int, records_kept: int) -> ImportReport:
        """The report; warns once with the counts when records were dropped."""
        if self.dropped:
            summary = ", ".join(f"{k}: {v}" for k, v in sorted(self.dropped.items()))
            warnings.warn(
                DroppedRowsWarning(
                    f"{self.source}: dropped {sum(self.dropped.values())} of {records_read} "
                    f"records ({summary})"
                ),
                stacklevel=3,
            )
        return ImportReport(
            source=self.source,
            records_read=records_read,
            records_kept=records_kept,
            dropped=dict(self.dropped),
            notes=dict(self.notes),
        )
