"""The decrypting processor: the only process that holds the clinic's X25519 private key.

`processor_app` is a tiny FastAPI app (run it as its own process with `serve_processor` or
``bedside ingest processor``); the API process talks to it through `HttpDecryptor`. The processor
only decrypts: it returns the inner JWS unchanged, and the API verifies the patient's signature
itself. It reports its attestation status on ``/attestation``; on hardware without a TEE that is
``unattested``, and the API writes it into every audit entry.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError

from bedside.privacy import (
    MAX_ENVELOPE_BYTES,
    EnvelopeRejectedError,
    Identity,
    RejectionReason,
    SealedEnvelope,
    decrypt_envelope,
)
from bedside.privacy.processor_report import NITRO_FORMAT, encryption_binding

__all__ = [
    "MAX_DECRYPT_BATCH",
    "UNATTESTED",
    "Decryptor",
    "HttpDecryptor",
    "LocalDecryptor",
    "NitroAttestor",
    "processor_app",
]

UNATTESTED = "unattested"
MAX_DECRYPT_BATCH = 512
"""Most envelopes one ``/decrypt/batch`` call may carry."""


class Decryptor(Protocol):
    """Turns a sealed envelope into its inner JWS, or raises `EnvelopeRejectedError`."""

    attestation: str

    def decrypt(self, sealed: SealedEnvelope) -> str:
        """The inner JWS of `sealed`."""
        ...

    def decrypt_many(self, batch: Sequence[SealedEnvelope]) -> list[str | EnvelopeRejectedError]:
        """The inner JWS of each envelope, or its rejection, in order (one round trip)."""
        ...


class LocalDecryptor:
    """In-process twin of the processor (tests; never used by the clinic's API process)."""

    def __init__(self, identity: Identity, *, attestation: str = UNATTESTED) -> None:
        self._identity = identity.encryption_only()
        self.attestation = attestation

    def decrypt(self, sealed: SealedEnvelope) -> str:
        return decrypt_envelope(sealed, self._identity, max_bytes=MAX_ENVELOPE_BYTES)

    def decrypt_many(self, batch: Sequence[SealedEnvelope]) -> list[str | EnvelopeRejectedError]:
        results: list[str | EnvelopeRejectedError] = []
        for sealed in batch:
            try:
                results.append(self.decrypt(sealed))
            except EnvelopeRejectedError as exc:
                results.append(exc)
        return results


class _Decrypted(BaseModel):
    inner_jws: str


NitroAttestor = Callable[[bytes, bytes], bytes]
"""(nonce, user_data) -> a fresh Nitro attestation document (in an enclave: the NSM's answer)."""

_MAX_NONCE_HEX = 128


def processor_app(
    identity: Identity,
    *,
    attestation: str = UNATTESTED,
    nitro_attestor: NitroAttestor | None = None,
) -> FastAPI:
    """The processor's HTTP app on its X25519 key (the signing half is dropped here).

    With `nitro_attestor` (running inside a Nitro enclave) ``/attestation?nonce=<hex>`` answers
    ``attested`` with a document over the caller's nonce and the digest of the encryption DID;
    without it the processor says ``unattested`` and never pretends otherwise.
    """
    local = LocalDecryptor(
        identity, attestation="attested" if nitro_attestor is not None else attestation
    )
    app = FastAPI(title="Bedside decrypting processor")
    encryption_did = identity.public.encryption_did

    @app.get("/attestation")
    def get_attestation(nonce: str = "") -> dict[str, str]:
        report = {"status": local.attestation, "encryption_did": encryption_did}
        if nitro_attestor is None or not nonce:
            # The status alone is a claim; a device asks with its nonce to get evidence.
            return report
        if len(nonce) > _MAX_NONCE_HEX:
            raise HTTPException(422, "nonce must be at most 64 bytes, hex")
        try:
            nonce_bytes = bytes.fromhex(nonce)
        except ValueError as exc:
            raise HTTPException(422, "nonce must be hex") from exc
        document = nitro_attestor(nonce_bytes, encryption_binding(encryption_did))
        report["format"] = NITRO_FORMAT
        report["document"] = base64.b64encode(document).decode("ascii")
        return report

    @app.post("/decrypt", response_model=None)
    def decrypt(sealed: SealedEnvelope) -> JSONResponse | _Decrypted:
        try:
            return _Decrypted(inner_jws=local.decrypt(sealed))
        except EnvelopeRejectedError as exc:
            return JSONResponse(
                status_code=422, content={"reason": exc.reason.value, "detail": exc.detail}
            )

    @app.post("/decrypt/batch", response_model=None)
    async def decrypt_batch(request: Request) -> Response:
        # Parsed by hand (no pydantic request model): this is the hot path of group commit.
        try:
            items = json.loads(await request.body())["envelopes"]
            if not isinstance(items, list) or len(items) > MAX_DECRYPT_BATCH:
                raise ValueError(f"'envelopes' must be a list of at most {MAX_DECRYPT_BATCH}")
            batch = [SealedEnvelope.model_validate(item) for item in items]
        except (ValueError, KeyError, TypeError, ValidationError) as exc:
            return JSONResponse(status_code=400, content={"detail": f"bad batch: {exc}"})
        results = [
            {"inner_jws": r}
            if isinstance(r, str)
            else {"reason": r.reason.value, "detail": r.detail}
            for r in local.decrypt_many(batch)
        ]
        return Response(json.dumps({"results": results}), media_type="application/json")

    return app


class HttpDecryptor:
    """The API process's client of a processor at `base_url` (or any httpx client, e.g. tests)."""

    def __init__(self, client: Any, *, attestation: str | None = None) -> None:
        # Any: an httpx.Client, or Starlette's TestClient (built on another httpx major version).
        self._client = client
        if attestation is None:
            response = client.get("/attestation")
            response.raise_for_status()
            attestation = str(response.json()["status"])
        self.attestation = attestation

    def decrypt(self, sealed: SealedEnvelope) -> str:
        response = self._client.post(
            "/decrypt",
            content=sealed.model_dump_json(),
            headers={"content-type": "application/json"},
        )
        if response.status_code == 422 and "reason" in response.json():
            body = response.json()
            raise EnvelopeRejectedError(
                RejectionReason(body["reason"]), str(body["detail"]), sealed.envelope_id
            )
        response.raise_for_status()
        return str(response.json()["inner_jws"])

    def decrypt_many(self, batch: Sequence[SealedEnvelope]) -> list[str | EnvelopeRejectedError]:
        body = json.dumps(
            {"envelopes": [{"envelope_id": e.envelope_id, "jwe": e.jwe} for e in batch]}
        )
        response = self._client.post(
            "/decrypt/batch", content=body, headers={"content-type": "application/json"}
        )
        response.raise_for_status()
        results: list[str | EnvelopeRejectedError] = []
        for sealed, item in zip(batch, response.json()["results"], strict=True):
            if "inner_jws" in item:
                results.append(str(item["inner_jws"]))
            else:
                results.append(
                    EnvelopeRejectedError(
                        RejectionReason(item["reason"]), str(item["detail"]), sealed.envelope_id
                    )
                )
        return results
