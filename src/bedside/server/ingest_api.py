"""HTTP routes of clinic ingest: sealed envelopes, consent credentials and revocations.

Every refusal is a 4xx JSON body ``{"reason", "detail", "envelope_id"}``; a request never gets a
500 for bad input. Status codes: 413 oversized, 400 malformed, 403 consent or signer problems, 409
replay, 422 tampered or wrong recipient.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from bedside.privacy import (
    MAX_ENVELOPE_BYTES,
    ConsentError,
    EnvelopeRejectedError,
    RejectionReason,
    SealedEnvelope,
)
from bedside.server.ingest import IngestService

__all__ = ["STATUS_FOR_REASON", "ingest_router"]

STATUS_FOR_REASON: dict[RejectionReason, int] = {
    RejectionReason.OVERSIZED: 413,
    RejectionReason.MALFORMED: 400,
    RejectionReason.TAMPERED: 422,
    RejectionReason.WRONG_RECIPIENT: 422,
    RejectionReason.FORGED_SIGNATURE: 403,
    RejectionReason.UNKNOWN_SIGNER: 403,
    RejectionReason.NO_CONSENT: 403,
    RejectionReason.CONSENT_EXPIRED: 403,
    RejectionReason.CONSENT_REVOKED: 403,
    RejectionReason.OUT_OF_SCOPE: 403,
    RejectionReason.REPLAY: 409,
}
_MAX_BODY = MAX_ENVELOPE_BYTES + 1024


def _refusal(reason: RejectionReason, detail: str, envelope_id: str | None) -> JSONResponse:
    return JSONResponse(
        status_code=STATUS_FOR_REASON[reason],
        content={"reason": reason.value, "detail": detail, "envelope_id": envelope_id},
    )


def ingest_router(service: IngestService) -> APIRouter:
    """Routes under ``/ingest`` on an `IngestService`."""
    router = APIRouter(prefix="/ingest", tags=["ingest"])

    @router.post("/envelopes", response_model=None)
    async def post_envelope(request: Request) -> JSONResponse:
        body = await request.body()
        if len(body) > _MAX_BODY:
            detail = f"{len(body)} bytes > {_MAX_BODY}"
            await run_in_threadpool(service.record_refusal, RejectionReason.OVERSIZED, detail)
            return _refusal(RejectionReason.OVERSIZED, detail, None)
        try:
            sealed = SealedEnvelope.model_validate_json(body)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "body"
            detail = f"{where}: {first['msg']}"
            await run_in_threadpool(service.record_refusal, RejectionReason.MALFORMED, detail)
            return _refusal(RejectionReason.MALFORMED, detail, None)
        try:
            # Blocking work (crypto, database) runs off the event loop.
            result = await run_in_threadpool(service.ingest, sealed)
        except EnvelopeRejectedError as exc:
            return _refusal(exc.reason, exc.detail, sealed.envelope_id)
        return JSONResponse(
            {"status": result.status, "receipt": result.receipt, "envelope_id": sealed.envelope_id}
        )

    @router.post("/consents", response_model=None)
    async def post_consent(request: Request) -> JSONResponse:
        return await _token_call(request, service.register_consent)

    @router.post("/revocations", response_model=None)
    async def post_revocation(request: Request) -> JSONResponse:
        return await _token_call(request, service.revoke_consent)

    return router


async def _token_call(request: Request, call: Callable[[str], str]) -> JSONResponse:
    body = await request.body()
    try:
        token = json.loads(body)["token"]
        if not isinstance(token, str) or len(token) > 16_384:
            raise ValueError("token must be a string of at most 16 KiB")
    except (ValueError, KeyError, TypeError) as exc:
        return JSONResponse(status_code=400, content={"detail": f"body needs a 'token': {exc}"})
    try:
        consent_id = await run_in_threadpool(call, token)
    except ConsentError as exc:
        return JSONResponse(status_code=403, content={"detail": str(exc)})
    return JSONResponse({"consent_id": consent_id})
