"""Errors of talking to an EHR's FHIR server (SMART Backend Services client and outbox)."""

from __future__ import annotations

from typing import Any

from bedside.domain import BedsideError

__all__ = ["EhrAuthError", "EhrError", "EhrRejectedError", "EhrUnavailableError"]


class EhrError(BedsideError):
    """Base of the EHR client's errors."""


class EhrUnavailableError(EhrError):
    """The EHR could not be reached or answered 5xx/429: retry later, nothing was rejected."""


class EhrAuthError(EhrError):
    """The EHR's authorization server refused the client (names its ``error_description``)."""


class EhrRejectedError(EhrError):
    """The EHR rejected the request (4xx) with an OperationOutcome; retrying will not help.

    Attributes
    ----------
    status : int
        HTTP status code.
    outcome : dict
        The OperationOutcome the server returned (or one built from the body).
    """

    def __init__(self, status: int, outcome: dict[str, Any]) -> None:
        self.status = status
        self.outcome = outcome
        issues = outcome.get("issue", []) or []
        texts = [
            str(i.get("diagnostics") or (i.get("details") or {}).get("text") or i.get("code"))
            for i in issues
        ]
        super().__init__(f"EHR rejected the request (HTTP {status}): {'; '.join(texts)}")
