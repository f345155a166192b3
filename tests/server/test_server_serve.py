"""serve() hands the app to uvicorn with the requested address."""

from __future__ import annotations

from typing import Any

import pytest

from bedside.server import create_app, serve
from bedside.store import MemoryStore


def test_serve_runs_uvicorn_on_host_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: calls.append((app, kw)))
    app = create_app(MemoryStore())
    serve(app, host="127.0.0.1", port=8765)
    assert calls == [(app, {"host": "127.0.0.1", "port": 8765, "log_level": "info"})]
