"""The one exception tree of Bedside, and the typed data-quality warnings.

Every error names what is wrong (file, line, field) so that a user can fix the input; data-quality
problems that do not stop processing are warnings, never silent skips.
"""

from __future__ import annotations

__all__ = [
    "BedsideError",
    "ConfigurationError",
    "DataQualityWarning",
    "DroppedRowsWarning",
    "InputFormatError",
    "InsufficientDataError",
    "ModelError",
    "NotFittedError",
    "ProtocolError",
    "StoreError",
]


class BedsideError(Exception):
    """Base of every error raised by Bedside."""


class InputFormatError(BedsideError, ValueError):
    """Malformed input: names the source, the line (1-based, header is line 1) and the field.

    Parameters
    ----------
    source : str
        File name or other description of where the input came from.
    message : str
        What is wrong, in words a user can act on.
    line : int or None
        1-based line number in the source, when known.
    field : str or None
        Column or field name, when known.
    """

    def __init__(
        self, source: str, message: str, *, line: int | None = None, field: str | None = None
    ) -> None:
        self.source = source
        self.line = line
        self.field = field
        self.reason = message
        where = source
        if line is not None:
            where += f", line {line}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {message}")


class InsufficientDataError(BedsideError):
    """Too little data for a computation; callers report 'insufficient data', never silence."""


class NotFittedError(BedsideError, AttributeError):
    """An estimator was used before `fit`."""


class ModelError(BedsideError):
    """A model bundle is missing, corrupt, or disagrees with its declared inputs."""


class ProtocolError(BedsideError, ValueError):
    """A clinical protocol definition is invalid; names the offending field."""


class StoreError(BedsideError):
    """Persistence failed; nothing was partially written."""


class ConfigurationError(BedsideError, ValueError):
    """A setting is out of range or inconsistent."""


class DataQualityWarning(UserWarning):
    """Data was usable but imperfect (gaps, low coverage, dropped rows in lenient mode)."""


class DroppedRowsWarning(DataQualityWarning):
    """Lenient reading dropped rows; the message gives counts per reason."""
