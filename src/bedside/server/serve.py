"""Run the server with uvicorn until interrupted (Ctrl-C)."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

__all__ = ["serve"]


def serve(app: FastAPI, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve `app` over HTTP on `host`:`port`, blocking until the process is interrupted.

    Parameters
    ----------
    app : FastAPI
        Typically ``create_app(store)``.
    host : str
        Interface to bind; the default listens on this machine only.
    port : int
        TCP port.
    """
    uvicorn.run(app, host=host, port=port, log_level="info")
