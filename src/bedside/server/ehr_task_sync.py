"""Clinicians' decisions on recommendations reach the EHR through the FHIR outbox.

Each status change (accept / complete / dismiss) and each snooze becomes one transaction Bundle
in the :class:`bedside.fhir.Outbox`: the recommendation's Task as a conditional update on its
business identifier (``PUT Task?identifier=...``: it updates the Task the EHR already holds,
whatever id the EHR gave it, or creates it) with the new ``status`` (a snooze sets
``businessStatus`` and ``restriction.period.start``), plus the clinician's Provenance
(``PUT Provenance/<deterministic id>``).

Why nothing is lost when the EHR is down or the process dies: the outbox and the clinic store
are separate databases, so one SQL transaction cannot cover both. Instead the store's own
record of the change (its status history row, or the stored ``snoozed_until``) is the durable
intent, and every Bundle is derived from it with a deterministic id (recommendation, position in
the history, status, time). :func:`queue_task_updates` re-derives all of a recommendation's
Bundles and adds the missing ones (the outbox keeps one item per id); it runs right after each
local change and :func:`sync_all_task_updates` runs before every delivery, so a crash between
the store's commit and the outbox write is repaired on the next delivery, and re-adding is a
no-op. Delivery itself is :class:`bedside.fhir.EhrPusher` (retry with backoff, rejections kept).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from bedside.domain import Recommendation
from bedside.fhir.bundle import transaction_bundle
from bedside.fhir.codes import FHIR_NAMESPACE, SID, if_none_exist
from bedside.fhir.ehr_push import EhrPusher, FlushReport
from bedside.fhir.outbox import Outbox
from bedside.fhir.provenance import clinician_outcome_provenance, protocol_policy
from bedside.fhir.tasks import TASK_STATUS, task_ref
from bedside.store import StatusChange, Store

__all__ = [
    "deliver_task_updates",
    "queue_task_updates",
    "snooze_bundle",
    "status_change_bundle",
    "sync_all_task_updates",
]


def _bundle_id(*parts: str) -> str:
    return str(uuid.uuid5(FHIR_NAMESPACE, "|".join(parts)))


def _task_update_bundle(
    task: dict[str, Any], provenance: dict[str, Any], bundle_id: str, when: dt.datetime
) -> dict[str, Any]:
    bundle = transaction_bundle([task, provenance], bundle_id, when)
    # transaction_bundle creates identified resources with ifNoneExist, which never changes a
    # Task the EHR already has; a conditional update on the same identifier does.
    entry = bundle["entry"][0]
    entry["request"] = {
        "method": "PUT",
        "url": f"Task?{if_none_exist(SID.recommendation, _rec_id(task))}",
    }
    return bundle


def _rec_id(task: dict[str, Any]) -> str:
    for ident in task.get("identifier") or []:
        if ident.get("system") == SID.recommendation:
            return str(ident["value"])
    raise ValueError(f"Task/{task.get('id')} has no {SID.recommendation} identifier")


def _policies(rec: Recommendation) -> list[str]:
    return [protocol_policy(rec.protocol_id, rec.protocol_version, rec.protocol_hash)]


def status_change_bundle(
    rec: Recommendation, task: dict[str, Any], change: StatusChange, index: int
) -> dict[str, Any]:
    """The Bundle telling the EHR about the `index`-th (0-based) change in `rec`'s history.

    The Task is `task` (as the clinic stores it) with the change's status; the Provenance is the
    one :func:`bedside.server.recommendation_actions.record_status_change` stores (same id).
    """
    ref = task_ref(rec.id)
    updated = {**task, "status": TASK_STATUS[change.status]}
    prov = clinician_outcome_provenance(
        ref,
        clinician_id=change.who,
        when=change.when,
        outcome=change.status.value,
        reason=change.reason,
        policies=_policies(rec),
    )
    bid = _bundle_id(
        "task-status", rec.id, str(index), change.status.value, change.when.isoformat()
    )
    return _task_update_bundle(updated, prov, bid, change.when)


def snooze_bundle(
    rec: Recommendation, task: dict[str, Any], who: str, when: dt.datetime
) -> dict[str, Any]:
    """The Bundle telling the EHR that `rec` is snoozed until ``rec.snoozed_until``.

    `who` snoozed it at `when` (the Provenance's agent and time; the Bundle id depends only on
    the recommendation and the snooze's end, so re-deriving it later adds nothing new).

    The Task keeps its status; ``businessStatus`` says snoozed and ``restriction.period.start``
    (FHIR: "when fulfilment is sought") is the time it comes back.
    """
    until = rec.snoozed_until
    if until is None:
        raise ValueError(f"recommendation {rec.id} is not snoozed")
    stamp = until.astimezone(dt.UTC).isoformat()
    updated = {
        **task,
        "businessStatus": {"text": f"snoozed until {stamp}"},
        "restriction": {**task.get("restriction", {}), "period": {"start": stamp}},
    }
    prov = clinician_outcome_provenance(
        task_ref(rec.id),
        clinician_id=who,
        when=when,
        outcome="snoozed",
        reason=f"snoozed until {stamp}",
        policies=_policies(rec),
    )
    return _task_update_bundle(updated, prov, _bundle_id("task-snooze", rec.id, stamp), when)


def queue_task_updates(
    store: Store, outbox: Outbox, rec_id: str, now: dt.datetime, *, snoozed_by: str = "clinic"
) -> int:
    """Add every Bundle derived from `rec_id`'s stored decisions that the outbox lacks.

    Parameters
    ----------
    store : Store
    outbox : Outbox
    rec_id : str
    now : datetime
        Enqueue time of new items (UTC-aware; also a new snooze's Provenance time).
    snoozed_by : str
        Clinician named in a snooze's Provenance (the store does not record who snoozed).

    Returns
    -------
    int
        Bundles newly added (0 when all were there or the recommendation has no stored Task).
    """
    rec = store.recommendations.get(rec_id)
    if rec is None:
        return 0
    ref_type, _, ref_id = task_ref(rec.id).partition("/")
    stored = store.fhir.get(ref_type, ref_id)
    if stored is None:
        return 0
    task = dict(stored)
    bundles = [
        status_change_bundle(rec, task, change, i)
        for i, change in enumerate(store.recommendations.history(rec.id))
        if change.who != "system"
    ]
    if rec.snoozed_until is not None:
        bundles.append(snooze_bundle(rec, task, snoozed_by, now))
    added = 0
    for bundle in bundles:
        if outbox.get(bundle["id"]) is None:
            outbox.add(bundle, now)
            added += 1
    return added


def sync_all_task_updates(
    store: Store, outbox: Outbox, now: dt.datetime, patient_ids: Iterable[str] | None = None
) -> int:
    """:func:`queue_task_updates` for the patients' recommendations; Bundles added.

    `patient_ids` defaults to every patient with a finding in the store.
    """
    added = 0
    patients = store.findings.patient_ids() if patient_ids is None else patient_ids
    for patient in patients:
        for rec in store.recommendations.list_for_patient(patient):
            added += queue_task_updates(store, outbox, rec.id, now)
    return added


def deliver_task_updates(
    store: Store, pusher: EhrPusher, now: dt.datetime, patient_ids: Iterable[str] | None = None
) -> FlushReport:
    """Repair the outbox from the store (:func:`sync_all_task_updates`), then flush it."""
    sync_all_task_updates(store, pusher.outbox, now, patient_ids)
    return pusher.flush()
