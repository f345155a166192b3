"""Hash-chained, signed audit entries and the check that finds any edit to the chain (pure).

Each entry's hash is SHA-256 over the canonical JSON of its content (sequence number, time, actor,
action, subject, outcome, detail, attestation, signer) and the previous entry's hash; the clinic
service signs that hash with its Ed25519 key. `verify_chain` therefore sees:

* a modified entry -- its recomputed hash differs from the stored one (or the signature fails);
* a deleted entry -- a gap in sequence numbers and a broken link to the previous hash;
* an inserted entry -- a duplicate or out-of-place sequence number, a broken link, or a signature
  by a key other than the clinic's;
* reordered entries -- broken links (each hash covers its predecessor's).

Deleting the newest entries leaves a shorter valid chain; the store keeps a signed head (sequence
number and hash of the last entry) so that truncation is found too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bedside.privacy import Identity, verify_signature

__all__ = ["GENESIS_HASH", "AuditEntry", "AuditProblem", "make_entry", "verify_chain"]

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first entry."""


class AuditEntry(BaseModel):
    """One audit record.

    Attributes
    ----------
    seq : int
        Position in the chain, from 1, no gaps.
    at : datetime
        When it happened (UTC).
    actor : str
        Who acted: a DID, a clinician id or ``system``.
    action : str
        What was done, e.g. ``ingest.envelope``, ``consent.register``, ``read.findings``.
    subject : str
        What it was done to (envelope id, patient id, consent id).
    outcome : str
        ``stored``, ``duplicate``, ``rejected:<reason>``, ``allowed``, ``denied`` ...
    detail : dict
        Extra facts (reason text, sequence gap, digest).
    attestation : str
        The decrypting processor's attestation status, e.g. ``unattested (allow_unattested)``.
    signer_did : str
        DID of the clinic key that signed the entry.
    prev_hash, entry_hash : str
        Hex SHA-256 of the previous entry and of this one.
    signature : str
        Hex Ed25519 signature of `entry_hash` (as ASCII) by `signer_did`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    seq: int = Field(ge=1)
    at: dt.datetime
    actor: str
    action: str
    subject: str
    outcome: str
    detail: dict[str, Any] = Field(default_factory=dict)
    attestation: str
    signer_did: str
    prev_hash: str
    entry_hash: str
    signature: str

    def content_hash(self) -> str:
        """The hash this entry's content and `prev_hash` should have."""
        return _hash(self.model_dump(mode="json", exclude={"entry_hash", "signature"}))


class AuditProblem(BaseModel):
    """Something wrong with the chain at an entry (by its stored sequence number)."""

    model_config = ConfigDict(frozen=True)

    seq: int
    problem: str


def _hash(content: dict[str, Any]) -> str:
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def make_entry(
    signer: Identity,
    *,
    seq: int,
    prev_hash: str,
    at: dt.datetime,
    actor: str,
    action: str,
    subject: str,
    outcome: str,
    detail: dict[str, Any] | None = None,
    attestation: str,
) -> AuditEntry:
    """Build, hash and sign the entry that follows one with hash `prev_hash`."""
    content = {
        "seq": seq,
        "at": at.astimezone(dt.UTC),
        "actor": actor,
        "action": action,
        "subject": subject,
        "outcome": outcome,
        "detail": detail or {},
        "attestation": attestation,
        "signer_did": signer.did,
        "prev_hash": prev_hash,
    }
    draft = AuditEntry.model_validate({**content, "entry_hash": "", "signature": ""})
    entry_hash = draft.content_hash()
    signature = signer.sign(entry_hash.encode()).hex()
    return draft.model_copy(update={"entry_hash": entry_hash, "signature": signature})


def verify_chain(
    entries: list[AuditEntry],
    *,
    trusted_did: str | None = None,
    head: tuple[int, str] | None = None,
) -> list[AuditProblem]:
    """Every problem in a chain read in stored order (empty when intact).

    Parameters
    ----------
    entries : list of AuditEntry
        In the order the store returns them (by sequence number).
    trusted_did : str, optional
        The clinic's signing DID; defaults to the first entry's signer.
    head : (int, str), optional
        The recorded (seq, hash) of the newest entry; a mismatch means truncation or tampering.
    """
    problems: list[AuditProblem] = []
    signer = trusted_did or (entries[0].signer_did if entries else None)
    prev_hash, expected_seq = GENESIS_HASH, 1
    for entry in entries:
        if entry.seq != expected_seq:
            problems.append(
                AuditProblem(
                    seq=entry.seq, problem=f"sequence {entry.seq}, expected {expected_seq}"
                )
            )
        if entry.prev_hash != prev_hash:
            problems.append(
                AuditProblem(seq=entry.seq, problem="does not link to the previous entry's hash")
            )
        if entry.content_hash() != entry.entry_hash:
            problems.append(AuditProblem(seq=entry.seq, problem="content does not match its hash"))
        if entry.signer_did != signer:
            problems.append(
                AuditProblem(seq=entry.seq, problem=f"signed by {entry.signer_did}, not {signer}")
            )
        elif not _signature_ok(entry):
            problems.append(AuditProblem(seq=entry.seq, problem="signature does not verify"))
        prev_hash, expected_seq = entry.entry_hash, entry.seq + 1
    if head is not None:
        last = (entries[-1].seq, entries[-1].entry_hash) if entries else (0, GENESIS_HASH)
        if last != head:
            problems.append(
                AuditProblem(
                    seq=last[0], problem=f"chain ends at {last[0]} but the head records {head[0]}"
                )
            )
    return problems


def _signature_ok(entry: AuditEntry) -> bool:
    try:
        signature = bytes.fromhex(entry.signature)
    except ValueError:
        return False
    return verify_signature(entry.signer_did, signature, entry.entry_hash.encode())
