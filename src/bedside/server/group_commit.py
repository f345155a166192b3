"""Group commit of FHIR resources (the AuditEvents of service calls) from concurrent requests.

Every CDS Hooks call writes one AuditEvent, and a transaction per call cost about as much CPU as
answering the call. Requests hand their resource to one writer thread, which stores everything
waiting in a single transaction (`FhirResourceRepository.put_many`) and then wakes the requests.
A request returns only after its resource is committed, so an answered call is always audited;
under load batches grow and the per-call cost falls, with no timer adding latency when idle.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from typing import Any

from bedside.store import FhirResourceRepository
from bedside.store.repository import FhirResource, check_fhir_resource

__all__ = ["GroupCommitWriter"]


class GroupCommitWriter:
    """Stores FHIR resources in batches from one background thread.

    Parameters
    ----------
    repository : FhirResourceRepository
        Where resources go (`put_many`, one transaction per batch).
    max_batch : int
        Most resources per transaction.
    """

    def __init__(self, repository: FhirResourceRepository, *, max_batch: int = 256) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {max_batch}")
        self._repository = repository
        self._max_batch = max_batch
        self._pending: list[tuple[Mapping[str, Any], Future[FhirResource]]] = []
        self._wake = threading.Condition()
        self._closed = False
        # started on first use: apps built and dropped (tests, tools) leave no idle thread
        self._thread: threading.Thread | None = None

    async def put_many_async(self, resources: Sequence[Mapping[str, Any]]) -> list[FhirResource]:
        """`put` for an event loop: awaits the commit without holding a worker thread."""
        futures = [self._enqueue(r) for r in resources]
        return [await asyncio.wrap_future(f) for f in futures]

    def put(self, resource: Mapping[str, Any], timeout: float = 30.0) -> FhirResource:
        """Store `resource`; returns it as stored once its batch is committed.

        Raises
        ------
        StoreError
            When `resource` has no ``resourceType`` or ``id`` (checked here, so one bad resource
            never fails a batch), or when its batch's transaction failed.
        RuntimeError
            After `close`.
        """
        return self._enqueue(resource).result(timeout)

    def _enqueue(self, resource: Mapping[str, Any]) -> Future[FhirResource]:
        check_fhir_resource(resource)
        done: Future[FhirResource] = Future()
        with self._wake:
            if self._closed:
                raise RuntimeError("the group-commit writer is closed")
            self._pending.append((resource, done))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="fhir-group-commit", daemon=True
                )
                self._thread.start()
            self._wake.notify()
        return done

    def close(self) -> None:
        """Commit what is waiting, then stop the writer thread."""
        with self._wake:
            self._closed = True
            self._wake.notify()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._closed:
                    self._wake.wait()
                if not self._pending:
                    return
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
            try:
                stored = self._repository.put_many([r for r, _ in batch])
            except Exception as exc:
                for _, done in batch:
                    done.set_exception(exc)
            else:
                for (_, done), resource in zip(batch, stored, strict=True):
                    done.set_result(resource)
