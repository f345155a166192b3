"""Group commit for sealed ingest: concurrent requests share one decrypt call and one commit.

Each ``POST /ingest/envelopes`` hands its envelope to the `GroupCommitter` and awaits its result.
The committer runs a two-stage pipeline while requests are waiting:

1. *open*: take every waiting envelope (at most `max_batch`), decrypt them in one call to the
   processor and verify their signatures (`IngestService.open_many`), in one worker thread;
2. *store*: check, write and audit the batch in ONE database transaction and sign the receipts
   after it commits (`IngestService.store_many`), in another worker thread.

While batch *k* is being stored (its commit waits on the disk), batch *k+1* is being opened. A
request's future is resolved only after the transaction holding its envelope has committed, so a
receipt never precedes durability; a rejected envelope's audit entry is committed the same way.
No background task outlives the queue: the first request that finds nothing running starts the
pipeline, and it stops when the queue is empty.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from bedside.privacy import EnvelopePayload, EnvelopeRejectedError, SealedEnvelope
from bedside.server.ingest import IngestOutcome, IngestResult, IngestService

__all__ = ["GroupCommitter", "committer_for"]

_Waiting = tuple[SealedEnvelope, "asyncio.Future[IngestResult]"]


class GroupCommitter:
    """Batches concurrent ingests of one event loop.

    Parameters
    ----------
    service : IngestService
    max_batch : int
        Most envelopes per transaction (1 gives the unbatched path: one commit per envelope).
    """

    def __init__(self, service: IngestService, *, max_batch: int = 128) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.service = service
        self.max_batch = max_batch
        self._waiting: list[_Waiting] = []
        self._running = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        # One thread per stage keeps each stage's connection (HTTP client, database) serial.
        self._open_pool = ThreadPoolExecutor(1, thread_name_prefix="ingest-open")
        self._store_pool = ThreadPoolExecutor(1, thread_name_prefix="ingest-store")
        self.batches = 0
        """How many batches were stored (for benchmarks and tests)."""

    async def submit(self, sealed: SealedEnvelope) -> IngestResult:
        """Ingest `sealed` with whatever else is waiting; returns after its commit.

        Raises
        ------
        EnvelopeRejectedError
            The envelope was refused (the refusal is audited and committed).
        StoreError
            It could not be stored; nothing of it was written (the device retries).
        """
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            # A new event loop (e.g. a test client per request): nothing of the old one waits.
            self._loop, self._waiting, self._running = loop, [], False
        future: asyncio.Future[IngestResult] = loop.create_future()
        self._waiting.append((sealed, future))
        if not self._running:
            self._running = True
            self._task = loop.create_task(self._pipeline())
        return await future

    async def _pipeline(self) -> None:
        loop = asyncio.get_running_loop()
        storing: asyncio.Future[None] | None = None
        try:
            while True:
                if not self._waiting:
                    if storing is None:
                        return
                    await storing
                    storing = None
                    continue
                batch = self._waiting[: self.max_batch]
                del self._waiting[: self.max_batch]
                envelopes = [sealed for sealed, _ in batch]
                try:
                    opened = await loop.run_in_executor(
                        self._open_pool, self.service.open_many, envelopes
                    )
                except Exception as exc:  # the processor is unreachable: all of them retry
                    _fail(batch, exc)
                    continue
                if storing is not None:
                    await storing
                storing = asyncio.ensure_future(self._store(batch, opened))
        finally:
            self._running = False

    async def _store(
        self, batch: list[_Waiting], opened: Sequence[EnvelopePayload | EnvelopeRejectedError]
    ) -> None:
        loop = asyncio.get_running_loop()
        envelopes = [sealed for sealed, _ in batch]
        try:
            results: list[IngestOutcome] = await loop.run_in_executor(
                self._store_pool, self.service.store_many, envelopes, opened
            )
        except Exception as exc:
            _fail(batch, exc)
            return
        self.batches += 1
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():  # the client went away; its envelope is stored all the same
                continue
            if isinstance(result, IngestResult):
                future.set_result(result)
            else:
                future.set_exception(result)

    def close(self) -> None:
        """Stop the worker threads (after the running batches)."""
        self._open_pool.shutdown(wait=True)
        self._store_pool.shutdown(wait=True)


def _fail(batch: list[_Waiting], exc: Exception) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(exc)


_COMMITTERS: weakref.WeakKeyDictionary[IngestService, GroupCommitter] = weakref.WeakKeyDictionary()


def committer_for(service: IngestService) -> GroupCommitter:
    """The one `GroupCommitter` of `service` (shared by its routes, so batches are shared too)."""
    committer = _COMMITTERS.get(service)
    if committer is None:
        committer = _COMMITTERS[service] = GroupCommitter(service, max_batch=service.max_batch)
    return committer
