"""Group commit: each resource stored once, callers wait for their batch, errors reach all."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bedside.domain import StoreError
from bedside.server.group_commit import GroupCommitWriter
from bedside.store import MemoryStore
from bedside.store.repository import FhirResource


def event(i: int) -> dict[str, Any]:
    return {"resourceType": "AuditEvent", "id": f"ae-{i}", "outcome": "0"}


class CountingRepository:
    """Wraps a memory repository and records the size of every batch."""

    def __init__(self) -> None:
        self.inner = MemoryStore().fhir
        self.batches: list[int] = []
        self.gate = threading.Event()
        self.gate.set()

    def put_many(self, resources: Sequence[Mapping[str, Any]]) -> list[FhirResource]:
        self.gate.wait(10)
        self.batches.append(len(resources))
        return self.inner.put_many(resources)


class FailingRepository:
    def put_many(self, resources: Sequence[Mapping[str, Any]]) -> list[FhirResource]:
        raise StoreError("database is locked")


def test_concurrent_puts_are_all_stored_once_in_fewer_transactions() -> None:
    repo = CountingRepository()
    writer = GroupCommitWriter(repo, max_batch=16)  # type: ignore[arg-type]
    repo.gate.clear()  # hold the first batch so the others queue up behind it
    with ThreadPoolExecutor(max_workers=40) as pool:
        futures = [pool.submit(writer.put, event(i)) for i in range(200)]
        repo.gate.set()
        stored = [f.result(10) for f in futures]
    writer.close()
    assert sorted(r["id"] for r in stored) == sorted(f"ae-{i}" for i in range(200))
    assert all(r["meta"]["versionId"] == "1" for r in stored)
    assert sum(repo.batches) == 200
    assert max(repo.batches) <= 16
    assert len(repo.batches) < 200
    assert len(repo.inner.search("AuditEvent")) == 200


def test_put_returns_only_after_its_batch_is_committed() -> None:
    repo = CountingRepository()
    writer = GroupCommitWriter(repo)  # type: ignore[arg-type]
    repo.gate.clear()
    done = threading.Event()

    def put() -> None:
        writer.put(event(1))
        done.set()

    thread = threading.Thread(target=put)
    thread.start()
    assert not done.wait(0.2)
    assert repo.inner.get("AuditEvent", "ae-1") is None
    repo.gate.set()
    assert done.wait(10)
    assert repo.inner.get("AuditEvent", "ae-1") is not None
    thread.join()
    writer.close()


def test_a_failed_transaction_is_raised_to_every_caller_of_the_batch() -> None:
    writer = GroupCommitWriter(FailingRepository())  # type: ignore[arg-type]
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(writer.put, event(i)) for i in range(8)]
        for f in futures:
            with pytest.raises(StoreError, match="database is locked"):
                f.result(10)
    writer.close()


def test_a_resource_without_id_is_refused_alone() -> None:
    repo = CountingRepository()
    writer = GroupCommitWriter(repo)  # type: ignore[arg-type]
    with pytest.raises(StoreError):
        writer.put({"resourceType": "AuditEvent"})
    assert writer.put(event(2))["id"] == "ae-2"
    writer.close()
    assert repo.batches == [1]


def test_close_then_put_is_refused() -> None:
    writer = GroupCommitWriter(CountingRepository())  # type: ignore[arg-type]
    writer.put(event(3))
    writer.close()
    with pytest.raises(RuntimeError, match="closed"):
        writer.put(event(4))


def test_max_batch_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_batch"):
        GroupCommitWriter(CountingRepository(), max_batch=0)  # type: ignore[arg-type]


def test_put_many_async_returns_once_committed() -> None:
    import asyncio

    repo = CountingRepository()
    writer = GroupCommitWriter(repo)  # type: ignore[arg-type]
    stored = asyncio.run(writer.put_many_async([event(7), event(8)]))
    assert [r["id"] for r in stored] == ["ae-7", "ae-8"]
    assert repo.inner.get("AuditEvent", "ae-8") is not None
    assert asyncio.run(writer.put_many_async([])) == []
    writer.close()
