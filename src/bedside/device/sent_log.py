"""What the device has sent to each clinic, and when: the consent page's history, in plain words.

The sealed envelopes are encrypted to the clinic, so the device cannot read them back. When the
agent queues an envelope it therefore also keeps, in the same encrypted vault, a short summary of
what is in it (`note_sent`: clinic, day, the kinds of findings in everyday words, when it was
prepared). `sent_history` joins those summaries with the outbox's state: a receipt the clinic
signed (verified again here; its ``received_at`` is when the clinic got it), still waiting (with
the number of failed tries), refused by the clinic (its reason) or withdrawn before sending (why).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from bedside.device.vault import LocalVault
from bedside.domain import Finding, Phq9Response
from bedside.privacy import IdentityError, verify_receipt

__all__ = ["SentItem", "describe_finding", "describe_phq9", "note_sent", "sent_history"]

_SUMMARY = "sent_summary"
# The outbox's vault kinds (bedside.device.outbox): read here, never written.
_PENDING = "outbox"
_DEAD = "dead_letter"
_RECEIPTS = "receipt"
_WITHDRAWN = "withdrawn"

_FAMILY_WORDS = {
    "activity": "movement",
    "cardiac": "heart rate",
    "circadian": "daily rhythm",
    "cortisol": "cortisol",
    "glucose": "blood sugar",
    "language": "writing",
    "mobility": "places visited",
    "phone_use": "phone use",
    "sleep": "sleep",
    "typing": "typing",
    "voice": "voice",
}


@dataclass(frozen=True, slots=True)
class SentItem:
    """One envelope the device prepared for a clinic.

    Attributes
    ----------
    envelope_id : str
    clinic_did : str
    day : date
        The day the content is about (a finding's date, the last PHQ-9's date).
    what : str
        The content in everyday words.
    prepared : datetime
        When the device sealed it (UTC).
    state : str
        ``received``, ``waiting``, ``refused`` or ``not sent``.
    detail : str
        Plain words about the state (the clinic's time of receipt, the refusal reason, ...).
    received_at : datetime or None
        When the clinic's signed receipt says it received it.
    """

    envelope_id: str
    clinic_did: str
    day: dt.date
    what: str
    prepared: dt.datetime
    state: str
    detail: str
    received_at: dt.datetime | None = None


def _family_words(biomarkers: list[str]) -> str:
    families = sorted({b.split(".", 1)[0] for b in biomarkers})
    return ", ".join(_FAMILY_WORDS.get(f, f.replace("_", " ")) for f in families)


def describe_finding(finding: Finding) -> str:
    """A finding's content in everyday words (no values: the page says what kind, not what)."""
    parts = []
    if finding.risk is not None:
        parts.append("your risk estimate")
    if finding.trends:
        parts.append("changes noticed in " + _family_words([t.biomarker for t in finding.trends]))
    if finding.biomarkers:
        parts.append(
            "daily measures of " + _family_words([b.biomarker for b in finding.biomarkers])
        )
    return "; ".join(parts) or "a daily summary with nothing to report"


def describe_phq9(responses: list[Phq9Response]) -> str:
    """PHQ-9 answers in everyday words."""
    n = len(responses)
    return f"your answers to {n} mood questionnaire{'s' if n != 1 else ''} (PHQ-9)"


def note_sent(
    vault: LocalVault,
    envelope_id: str,
    *,
    clinic_did: str,
    day: dt.date,
    what: str,
    prepared: dt.datetime,
) -> None:
    """Keep the summary of an envelope queued for `clinic_did` (encrypted, in `vault`)."""
    record = {
        "clinic": clinic_did,
        "day": day.isoformat(),
        "what": what,
        "prepared": prepared.astimezone(dt.UTC).isoformat(),
    }
    vault.put(_SUMMARY, envelope_id, json.dumps(record).encode())


def _state(
    vault: LocalVault, envelope_id: str, clinic_did: str
) -> tuple[str, str, dt.datetime | None]:
    receipt = vault.get(_RECEIPTS, envelope_id)
    if receipt is not None:
        try:
            checked = verify_receipt(receipt.decode(), clinic_did=clinic_did)
        except IdentityError:
            return "received", "the clinic's receipt could not be checked", None
        at = checked.received_at
        return "received", f"received by the clinic on {at:%d %B %Y at %H:%M} UTC", at
    dead = vault.get(_DEAD, envelope_id)
    if dead is not None:
        return "refused", f"the clinic refused it: {json.loads(dead)['reason']}", None
    withdrawn = vault.get(_WITHDRAWN, envelope_id)
    if withdrawn is not None:
        return "not sent", f"not sent: {json.loads(withdrawn)['reason']}", None
    pending = vault.get(_PENDING, envelope_id)
    if pending is not None:
        tries = int(json.loads(pending)["attempts"])
        tried = f" (tried {tries} time{'s' if tries != 1 else ''}, will try again)" if tries else ""
        return "waiting", "waiting to be sent" + tried, None
    return "not sent", "no longer on this device", None


def sent_history(vault: LocalVault) -> list[SentItem]:
    """Every envelope the device prepared, newest first, with what became of it."""
    items = []
    for envelope_id, raw in vault.items(_SUMMARY):
        record = json.loads(raw)
        state, detail, received = _state(vault, envelope_id, record["clinic"])
        items.append(
            SentItem(
                envelope_id=envelope_id,
                clinic_did=record["clinic"],
                day=dt.date.fromisoformat(record["day"]),
                what=record["what"],
                prepared=dt.datetime.fromisoformat(record["prepared"]),
                state=state,
                detail=detail,
                received_at=received,
            )
        )
    return sorted(items, key=lambda i: (i.prepared, i.day, i.envelope_id), reverse=True)
