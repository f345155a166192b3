"""Adapters to the Node tools in the repository's ``node/`` folder (Medplum 4.5.2 on Node 20).

* :func:`medplum_validate` runs ``node/src/validate.mjs``: `@medplum/core`'s ``validateResource``,
  an R4 validator independent of the ``fhir.resources`` models behind :func:`validate_resource`.
* :class:`LocalFhirServer` starts ``node/src/fhir-server.mjs`` (``@medplum/fhir-router`` over its
  ``MemoryRepository``, validating every write, with a SMART Backend Services token endpoint) on
  127.0.0.1 and stops it again; used by integration tests and benchmarks, never in production.

Both need ``node`` on ``PATH`` and ``node/node_modules`` installed by ``make bootstrap``
(``npm ci`` from the committed ``package-lock.json``). The folder is found from
``$BEDSIDE_NODE_DIR`` or by walking up from this file to a ``node/package.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from bedside.domain import ConfigurationError

__all__ = [
    "LocalFhirServer",
    "MedplumIssue",
    "MedplumResult",
    "medplum_validate",
    "node_dir",
]

_PACKAGE_NAME = "bedside-ehr-node"


def node_dir() -> Path:
    """The folder holding ``package.json`` and ``node_modules`` of the Node tools.

    Raises
    ------
    ConfigurationError
        When the folder, ``node`` itself or the installed packages are missing (names which).
    """
    env = os.environ.get("BEDSIDE_NODE_DIR")
    candidates = [Path(env)] if env else [p / "node" for p in Path(__file__).resolve().parents]
    for folder in candidates:
        package = folder / "package.json"
        if (
            package.is_file()
            and json.loads(package.read_text("utf-8")).get("name") == _PACKAGE_NAME
        ):
            if shutil.which("node") is None:
                raise ConfigurationError("`node` (Node.js 20) is not on PATH")
            if not (folder / "node_modules" / "@medplum" / "core").is_dir():
                raise ConfigurationError(f"{folder}/node_modules missing: run `make bootstrap`")
            return folder
    raise ConfigurationError("Bedside's node/ folder not found (set BEDSIDE_NODE_DIR)")


@dataclass(frozen=True, slots=True)
class MedplumIssue:
    """One OperationOutcome issue reported by Medplum's validator."""

    severity: str
    code: str
    text: str
    expression: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MedplumResult:
    """Medplum's verdict on one resource.

    Attributes
    ----------
    path : str
        Where the resource sat in the input (``[3]``, ``[0]Bundle.entry[5].resource``).
    resource_type, id : str or None
    issues : tuple of MedplumIssue
    """

    path: str
    resource_type: str | None
    id: str | None
    issues: tuple[MedplumIssue, ...]

    @property
    def errors(self) -> tuple[MedplumIssue, ...]:
        return tuple(i for i in self.issues if i.severity in ("error", "fatal"))


def medplum_validate(resources: Sequence[Mapping[str, Any]]) -> list[MedplumResult]:
    """Validate resources with ``@medplum/core``'s ``validateResource`` in one Node process.

    A Bundle is validated itself and entry by entry. Returns one result per validated resource
    (errors and warnings); the caller decides what fails.

    Raises
    ------
    ConfigurationError
        When Node or the packages are missing, or the validator crashed.
    """
    folder = node_dir()
    proc = subprocess.run(
        ["node", str(folder / "src" / "validate.mjs")],
        input=json.dumps(list(resources)),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if proc.returncode not in (0, 1):
        raise ConfigurationError(f"medplum validator failed ({proc.returncode}): {proc.stderr}")
    report = json.loads(proc.stdout)
    return [
        MedplumResult(
            path=r["path"],
            resource_type=r["resourceType"],
            id=r["id"],
            issues=tuple(
                MedplumIssue(
                    severity=i.get("severity", "error"),
                    code=i.get("code", ""),
                    text=(i.get("details") or {}).get("text") or i.get("diagnostics") or "",
                    expression=tuple(i.get("expression") or ()),
                )
                for i in r["issues"]
            ),
        )
        for r in report["results"]
    ]


class LocalFhirServer:
    """The Node test FHIR server on 127.0.0.1, as a context manager.

    Parameters
    ----------
    clients : mapping of str to JWKS dict
        Registered Backend Services clients: client_id -> public JWKS.
    token_lifetime : int
        Seconds an issued access token lives.
    start_timeout : float
        Seconds to wait for the server to listen (it loads the R4 definitions first).

    Attributes
    ----------
    base : str
        ``http://127.0.0.1:<port>``; the FHIR base is ``base + "/fhir"``, the token endpoint
        ``base + "/auth/token"``.
    """

    def __init__(
        self,
        clients: Mapping[str, Mapping[str, Any]],
        *,
        token_lifetime: int = 300,
        start_timeout: float = 60.0,
    ) -> None:
        self._config = {"clients": {k: {"jwks": dict(v)} for k, v in clients.items()}}
        self._config["tokenLifetime"] = token_lifetime  # type: ignore[assignment]
        self._timeout = start_timeout
        self._proc: subprocess.Popen[str] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.base = ""

    @property
    def fhir_base(self) -> str:
        return f"{self.base}/fhir"

    @property
    def token_url(self) -> str:
        return f"{self.base}/auth/token"

    def start(self) -> LocalFhirServer:
        """Start the server process and wait until it listens."""
        folder = node_dir()
        self._tmp = tempfile.TemporaryDirectory(prefix="bedside-fhir-")
        config = Path(self._tmp.name) / "config.json"
        config.write_text(json.dumps(self._config), encoding="utf-8")
        self._proc = subprocess.Popen(
            ["node", str(folder / "src" / "fhir-server.mjs"), "--config", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self._proc.stdout is not None
        deadline = time.monotonic() + self._timeout
        line = self._proc.stdout.readline()
        if not line or time.monotonic() > deadline:
            self.stop()
            raise ConfigurationError("the local FHIR server did not start")
        self.base = json.loads(line)["base"]
        return self

    def stop(self) -> None:
        """Stop the server process (its in-memory data is gone)."""
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._proc = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def control(self, name: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Call a test control (``outage``, ``expire-tokens``, ``stats``); see fhir-server.mjs."""
        with httpx.Client(timeout=10) as http:
            if body is None and name == "stats":
                resp = http.get(f"{self.base}/_control/{name}")
            else:
                resp = http.post(f"{self.base}/_control/{name}", json=dict(body or {}))
        resp.raise_for_status()
        result: dict[str, Any] = resp.json()
        return result

    def __enter__(self) -> LocalFhirServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
