"""jti replay caches: one claim per key, shared by every worker that opens the same file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bedside.server.replay_cache import MemoryReplayCache, ReplayCache, SqliteReplayCache


@pytest.fixture(params=["memory", "sqlite"])
def cache(request: pytest.FixtureRequest, tmp_path: Path) -> ReplayCache:
    if request.param == "memory":
        return MemoryReplayCache()
    return SqliteReplayCache(tmp_path / "jti.db")


NOW = 1_800_000_000.0


def test_a_key_is_claimed_once(cache: ReplayCache) -> None:
    assert cache.claim("iss|a", NOW + 300, NOW)
    assert not cache.claim("iss|a", NOW + 300, NOW + 10)
    assert cache.claim("iss|b", NOW + 300, NOW)


def test_an_expired_claim_may_be_claimed_again(cache: ReplayCache) -> None:
    assert cache.claim("iss|old", NOW + 300, NOW)
    assert cache.claim("iss|old", NOW + 900, NOW + 301)
    assert not cache.claim("iss|old", NOW + 900, NOW + 302)


def test_two_workers_sharing_the_file_see_each_others_claims(tmp_path: Path) -> None:
    first = SqliteReplayCache(tmp_path / "jti.db")
    second = SqliteReplayCache(tmp_path / "jti.db")
    assert first.claim("iss|x", NOW + 300, NOW)
    assert not second.claim("iss|x", NOW + 300, NOW)
    assert second.claim("iss|y", NOW + 300, NOW)
    assert not first.claim("iss|y", NOW + 300, NOW)
    first.close()
    second.close()
