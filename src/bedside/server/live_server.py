"""Run an ASGI app with uvicorn on 127.0.0.1 in a background thread (browser tests, benches).

`live_server` picks a free port, starts uvicorn in a daemon thread, waits until it accepts
connections and yields its base URL; leaving the block asks uvicorn to stop and joins the thread.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from bedside.domain import ConfigurationError

__all__ = ["free_port", "live_server"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(app: Any, port: int | None = None, *, timeout_s: float = 20.0) -> Iterator[str]:
    """Serve `app` on ``http://127.0.0.1:<port>`` while the block runs; yields that URL.

    Parameters
    ----------
    app : ASGI application
    port : int, optional
        Default: a free port (pass one when the app must know its own URL beforehand).
    timeout_s : float
        Seconds to wait for the server to start before raising `ConfigurationError`.
    """
    port = free_port() if port is None else port
    # No websockets: the dashboard has none, and importing them warns (websockets.legacy).
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise ConfigurationError(f"uvicorn did not start on 127.0.0.1:{port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=timeout_s)
