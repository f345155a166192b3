"""When a device may release findings to a processor: attested on an allow-list, or explicitly not.

A processor presents its attestation status: ``attested`` with a measurement (the TEE's code
identity, e.g. a TDX MRTD or a Nitro PCR0, hex) or ``unattested``. Devices release sealed findings
only to an attested processor whose measurement is on the allow-list, or -- for development on
hardware without a TEE -- to an unattested one under the explicit ``allow_unattested`` policy,
which the demo prints and the clinic writes into every audit entry.

The evidence itself is verified offline by `dcap_attestation` (Intel SGX/TDX quotes) and
`nitro_attestation` (AWS Nitro documents, checked against a processor's report by
`processor_report.check_processor_report`); each yields the `ProcessorEvidence` checked here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bedside.privacy.errors import IdentityError

__all__ = ["ProcessorEvidence", "ReleasePolicy"]


@dataclass(frozen=True)
class ProcessorEvidence:
    """What a processor claims about itself (status ``attested`` or ``unattested``)."""

    status: str
    measurement: str | None = None


@dataclass(frozen=True)
class ReleasePolicy:
    """The device's rule for releasing findings.

    Attributes
    ----------
    allowed_measurements : frozenset of str
        Hex measurements of processor builds the patient's device trusts.
    allow_unattested : bool
        Development only: release to a processor that presents no TEE evidence.
    """

    allowed_measurements: frozenset[str] = field(default_factory=frozenset)
    allow_unattested: bool = False

    def check(self, evidence: ProcessorEvidence) -> str:
        """A one-line description of why release is allowed; `IdentityError` when it is not."""
        if evidence.status == "attested":
            if evidence.measurement in self.allowed_measurements:
                return f"attested processor, measurement {evidence.measurement} on the allow-list"
            raise IdentityError(f"processor measurement {evidence.measurement} is not allowed")
        if self.allow_unattested:
            return "UNATTESTED processor accepted under the allow_unattested development policy"
        raise IdentityError("processor presents no TEE evidence and allow_unattested is off")
