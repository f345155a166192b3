"""The patient's consent page, served by the device agent on 127.0.0.1 (where the keys are).

* ``GET /`` -- the patient's consents in plain language (which clinic, what, until when, status)
  with a revoke button for each active one, the form to grant a new one, and per clinic what
  this device sent and when (`bedside.device.sent_log`: kinds of findings, the day, when
  prepared, the clinic's receipt time or why it is waiting / was refused / was not sent);
* ``POST /consents`` -- sign a consent (VC-JWT) with the patient's key, unlocked by the
  passphrase typed in the form, keep it, and hand it to the clinic;
* ``POST /consents/revoke`` -- sign the revocation of one consent, keep it, hand it over;
* ``POST /consents/change`` -- change what a clinic receives: sign a new consent with the chosen
  kinds of findings (from now until the old consent's last day), then revoke the old one, and
  hand both over in that order (the clinic is never left without a consent in between).

The passphrase unlocks the keystore for one signature and is not kept. Problems (wrong
passphrase, unknown clinic, nothing chosen, bad dates) re-show the page with every problem next
to its field and nothing signed. Requests whose ``Host`` is not this loopback server are refused
(no DNS-rebinding), as are cross-site form posts (``Origin`` must be this server).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from bedside.device.consent_book import IDENTITY_FILE, ConsentBook, load_clinics
from bedside.device.consent_form import SCOPE_LABELS, FieldError, check_grant_form
from bedside.device.sent_log import SentItem
from bedside.domain import BedsideError
from bedside.privacy import (
    KeyStoreError,
    Scope,
    issue_consent,
    issue_revocation,
    unlock_identity,
)

__all__ = ["ClinicSender", "consent_page_app"]

ClinicSender = Callable[[str, str], None]
"""(kind ``consent`` or ``revocation``, token) -> None; raises when the clinic cannot be told."""

_TEMPLATES = Path(__file__).resolve().parent / "templates"
_MAX_FORM_BYTES = 8192
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _day(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%d %B %Y")


def _revoke_field(consent_id: str) -> str:
    """HTML id of a consent's revoke passphrase field (``urn:uuid:X`` -> ``revoke-X``)."""
    return "revoke-" + consent_id.rsplit(":", 1)[-1]


def _change_field(consent_id: str) -> str:
    """HTML id prefix of a consent's change-scope form (``urn:uuid:X`` -> ``change-X``)."""
    return "change-" + consent_id.rsplit(":", 1)[-1]


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["day"] = _day
    env.filters["revoke_field"] = _revoke_field
    env.filters["change_field"] = _change_field
    env.filters["last_day"] = lambda when: _day(when - dt.timedelta(seconds=1))
    return env


def consent_page_app(
    folder: Path,
    *,
    clock: Callable[[], dt.datetime] = _utc_now,
    send: ClinicSender | None = None,
    sent: Callable[[], Sequence[SentItem]] | None = None,
) -> FastAPI:
    """The consent page over the device state in `folder` (keystore, clinics, consents).

    Parameters
    ----------
    folder : Path
        Holds ``identity.json``, ``clinics.json`` and ``consents.json``.
    clock : callable returning datetime
        Current time (timezone-aware).
    send : ClinicSender, optional
        Hands new consents and revocations to the clinic; without it they stay on the device
        (the page says so).
    sent : callable returning SentItems, optional
        The device's sending record (e.g. ``lambda: sent_history(vault)`` over the agent's
        vault), shown per clinic under "What was sent and when"; without it the page says it
        cannot see the record.
    """
    app = FastAPI(title="Bedside - my consent", docs_url=None, redoc_url=None, openapi_url=None)
    env = _environment()
    book = ConsentBook(folder)

    @app.middleware("http")
    async def loopback_only(request: Request, call_next: Any) -> Response:
        host = request.headers.get("host", "").rsplit(":", 1)[0]
        if host not in _LOOPBACK:
            return PlainTextResponse("this page answers on 127.0.0.1 only", status_code=421)
        origin = request.headers.get("origin")
        cross_site = origin is not None and urlsplit(origin).hostname not in _LOOPBACK_NAMES
        if request.method == "POST" and cross_site:
            return PlainTextResponse("cross-site form posts are refused", status_code=403)
        response: Response = await call_next(request)
        return response

    def page(
        *,
        errors: Sequence[FieldError] = (),
        notice: str | None = None,
        form: Mapping[str, Sequence[str]] | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        now = clock()
        clinics = load_clinics(folder)
        names = {c.did: c.name for c in clinics}
        today = now.date()
        by_clinic: dict[str, list[SentItem]] = {}
        for item in sent() if sent is not None else ():
            by_clinic.setdefault(item.clinic_did, []).append(item)
        html = env.get_template("consent.html").render(
            sent=None if sent is None else sorted(by_clinic.items()),
            records=book.records(),
            names=names,
            now=now,
            clinics=clinics,
            scope_labels=SCOPE_LABELS,
            errors={e.field: e.message for e in errors},
            error_list=list(errors),
            notice=notice,
            form=form or {},
            default_from=today.isoformat(),
            default_until=today.replace(year=today.year + 1).isoformat()
            if not (today.month == 2 and today.day == 29)
            else (today + dt.timedelta(days=365)).isoformat(),
        )
        return HTMLResponse(html, status_code=status)

    async def read_form(request: Request) -> dict[str, list[str]]:
        body = (await request.body())[:_MAX_FORM_BYTES].decode("utf-8", errors="replace")
        return parse_qs(body, keep_blank_values=True)

    def unlock(passphrase: str) -> Any:
        keystore = folder / IDENTITY_FILE
        if not keystore.exists():
            raise KeyStoreError(f"no keystore at {keystore}; run 'bedside device init' first")
        return unlock_identity(keystore.read_text(), passphrase)

    def hand_over(kind: str, token: str) -> str:
        if send is None:
            return "It is kept on this device; no clinic connection is configured to send it."
        try:
            send(kind, token)
        except (BedsideError, OSError, ValueError, RuntimeError) as exc:
            return f"The clinic could not be told yet ({exc}); try again when online."
        return "The clinic has been told."

    @app.get("/", response_class=HTMLResponse)
    def index(done: str = "") -> HTMLResponse:
        notice = {
            "granted": "Consent signed.",
            "revoked": "Consent revoked: nothing more is sent under it.",
        }.get(done)
        return page(notice=notice)

    @app.post("/consents", response_class=HTMLResponse)
    async def grant(request: Request) -> Response:
        form = await read_form(request)
        checked = check_grant_form(form, load_clinics(folder), clock().date())
        passphrase = (form.get("passphrase") or [""])[0]
        errors = list(checked) if isinstance(checked, list) else []
        if not passphrase:
            errors.append(FieldError("passphrase", "Enter your passphrase to sign."))
        if errors or isinstance(checked, list):
            return page(errors=errors, form=form, status=422)
        try:
            patient = unlock(passphrase)
        except KeyStoreError:
            wrong = FieldError("passphrase", "That passphrase is not right; nothing was signed.")
            return page(errors=[wrong], form=form, status=422)
        _, token = issue_consent(
            patient,
            patient_id=checked.clinic.patient_id,
            grantee_did=checked.clinic.did,
            scopes=checked.scopes,
            valid_from=checked.valid_from,
            valid_until=checked.valid_until,
        )
        book.add(token)
        told = hand_over("consent", token)
        return page(notice=f"Consent signed for {checked.clinic.name}. {told}")

    @app.post("/consents/revoke", response_class=HTMLResponse)
    async def revoke(request: Request) -> Response:
        form = await read_form(request)
        consent_id = (form.get("consent_id") or [""])[0]
        passphrase = (form.get("passphrase") or [""])[0]
        record = next((r for r in book.records() if r.grant.id == consent_id), None)
        if record is None:
            return page(errors=[FieldError("revoke", "There is no such consent.")], status=404)
        if record.revocation is not None:
            return RedirectResponse("/?done=revoked", status_code=303)
        field = _revoke_field(consent_id)
        try:
            patient = unlock(passphrase)
        except KeyStoreError:
            wrong = FieldError(field, "That passphrase is not right; nothing was revoked.")
            return page(errors=[wrong], status=422)
        _, token = issue_revocation(patient, consent_id, now=clock())
        book.revoke(consent_id, token)
        return page(notice=f"Consent revoked. {hand_over('revocation', token)}")

    @app.post("/consents/change", response_class=HTMLResponse)
    async def change(request: Request) -> Response:
        form = await read_form(request)
        consent_id = (form.get("consent_id") or [""])[0]
        passphrase = (form.get("passphrase") or [""])[0]
        now = clock()
        record = next((r for r in book.records() if r.grant.id == consent_id), None)
        if record is None or record.status(now) not in ("active", "not yet valid"):
            problem = FieldError("revoke", "There is no such consent in force to change.")
            return page(errors=[problem], status=404)
        field = _change_field(consent_id)
        try:
            scopes = {Scope(v) for v in form.get("scope", [])}
        except ValueError:
            scopes = set()
        if not scopes:
            problem = FieldError(f"{field}-scope", "Choose at least one kind of finding to share.")
            return page(errors=[problem], status=422)
        if scopes == set(record.grant.scopes):
            return page(notice="Nothing changed: the clinic already receives exactly that.")
        try:
            patient = unlock(passphrase)
        except KeyStoreError:
            wrong = FieldError(f"{field}-pass", "That passphrase is not right; nothing was signed.")
            return page(errors=[wrong], status=422)
        clinic_name = {c.did: c.name for c in load_clinics(folder)}.get(
            record.grant.grantee_did, "the clinic"
        )
        _, token = issue_consent(
            patient,
            patient_id=record.grant.patient_id,
            grantee_did=record.grant.grantee_did,
            scopes=scopes,
            valid_from=max(now, record.grant.valid_from),
            valid_until=record.grant.valid_until,
        )
        book.add(token)
        told = hand_over("consent", token)
        _, revocation = issue_revocation(patient, consent_id, now=now)
        book.revoke(consent_id, revocation)
        told_revoked = hand_over("revocation", revocation)
        kinds = ", ".join(sorted(SCOPE_LABELS[s].split(":")[0] for s in scopes))
        return page(
            notice=f"{clinic_name} now receives only: {kinds}. New consent: {told} "
            f"Old consent revoked: {told_revoked}"
        )

    return app
