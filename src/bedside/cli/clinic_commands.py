"""``bedside clinic ...``: create the clinic's keys and run its processor and ingest API.

The two halves of the clinic's identity live in two keystores: ``processor.keystore.json`` holds
only the X25519 decryption key, ``api.keystore.json`` only the Ed25519 signing key, so no process
ever holds both. Both are encrypted under the passphrase in ``$BEDSIDE_KEY_PASSPHRASE``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from bedside.fhir.outbox import SqliteOutbox

__all__ = ["clinic_app"]

clinic_app = typer.Typer(
    help="Clinic keys, decrypting processor and ingest API.", no_args_is_help=True
)

PASSPHRASE_ENV = "BEDSIDE_KEY_PASSPHRASE"
# uvloop + httptools (both in the lock) and no access log: the ingest hot path is per request.
_UVICORN: dict[str, Any] = {
    "log_level": "warning",
    "access_log": False,
    "loop": "uvloop",
    "http": "httptools",
}


def _passphrase() -> str:
    value = os.environ.get(PASSPHRASE_ENV)
    if not value:
        typer.secho(f"error: set ${PASSPHRASE_ENV} to the keystore passphrase", err=True, fg="red")
        raise typer.Exit(code=2)
    return value


@clinic_app.command("init")
def init(
    out: Annotated[Path, typer.Option(help="Folder for the keystores and public identity.")],
) -> None:
    """Generate the clinic service's identity and write its two keystores and public identity."""
    from bedside.privacy import Identity, PartyKind, lock_identity

    passphrase = _passphrase()
    identity = Identity.generate(PartyKind.CLINIC_SERVICE)
    out.mkdir(parents=True, exist_ok=True)
    (out / "api.keystore.json").write_text(lock_identity(identity.signing_only(), passphrase))
    (out / "processor.keystore.json").write_text(
        lock_identity(identity.encryption_only(), passphrase)
    )
    (out / "clinic.public.json").write_text(identity.public.to_json())
    typer.echo(f"clinic {identity.did}")


@clinic_app.command("processor")
def processor(
    keystore: Annotated[Path, typer.Option(help="processor.keystore.json")],
    port: Annotated[int, typer.Option(help="TCP port on 127.0.0.1.")] = 8101,
) -> None:
    """Run the decrypting processor (holds only the X25519 key); prints its attestation status."""
    import uvicorn

    from bedside.privacy import unlock_identity
    from bedside.server.processor import UNATTESTED, processor_app

    identity = unlock_identity(keystore.read_text(), _passphrase())
    typer.echo(f"processor {identity.public.encryption_did}: {UNATTESTED} (no TEE evidence)")
    uvicorn.run(processor_app(identity), host="127.0.0.1", port=port, **_UVICORN)


def _open_outbox(path: Path) -> SqliteOutbox:
    """The FHIR outbox file at `path`; exit 2 naming ``--ehr-outbox`` if it cannot be opened."""
    import sqlite3

    from bedside.fhir.outbox import SqliteOutbox

    try:
        return SqliteOutbox(path)
    except (sqlite3.Error, OSError) as exc:
        typer.secho(f"error: --ehr-outbox {path}: {exc}", err=True, fg="red")
        raise typer.Exit(code=2) from exc


@clinic_app.command("api")
def api(
    db: Annotated[str, typer.Option(help="SQLAlchemy URL of the clinic database.")],
    keystore: Annotated[Path, typer.Option(help="api.keystore.json")],
    processor_url: Annotated[str, typer.Option(help="Base URL of the processor.")],
    port: Annotated[int, typer.Option(help="TCP port on 127.0.0.1.")] = 8100,
    roster: Annotated[
        Path | None,
        typer.Option(help="Staff roster (bedside roster ...): enables the dashboard and FHIR API."),
    ] = None,
    base_url: Annotated[
        str | None, typer.Option(help="URL clients use (access tokens' audience).")
    ] = None,
    max_batch: Annotated[
        int, typer.Option(min=1, help="Most envelopes per group commit (1: commit each).")
    ] = 128,
    ehr_outbox: Annotated[
        Path | None,
        typer.Option(help="SQLite FHIR outbox for clinicians' decisions (see clinic round)."),
    ] = None,
) -> None:
    """Run the ingest API (holds only the signing key) in front of a processor.

    With ``--roster`` the dashboard and FHIR read API are served to the roster's clinicians
    (log-in, roles, care team and consent checks, audited); without it they answer 401. With
    ``--ehr-outbox`` every accept / complete / dismiss / snooze is queued there as a Task update
    for the EHR; ``bedside clinic round --ehr-outbox`` (same file) delivers it.
    """
    import httpx
    import uvicorn

    from bedside.privacy import unlock_identity
    from bedside.server import create_app
    from bedside.server.ingest import IngestService
    from bedside.server.processor import HttpDecryptor
    from bedside.store import create_store

    identity = unlock_identity(keystore.read_text(), _passphrase())
    store = create_store(db)
    client = httpx.Client(base_url=processor_url, timeout=30.0)
    service = IngestService(store.engine, identity, HttpDecryptor(client), max_batch=max_batch)
    typer.echo(
        f"ingest API {identity.did}; processor {processor_url}: {service.decryptor.attestation}"
    )
    access = None
    url = base_url or f"http://127.0.0.1:{port}"
    if roster is not None:
        import datetime as dt

        from bedside.server.access_control import AccessControl
        from bedside.server.clinician_auth import ClinicianTokens
        from bedside.server.consent_lookup import SqlConsentLookup
        from bedside.server.roster_file import load_roster

        def now() -> dt.datetime:
            return dt.datetime.now(dt.UTC)

        access = AccessControl(
            load_roster(roster),
            ClinicianTokens(identity, audience=url, clock=now),
            SqlConsentLookup(store.engine),
            service.audit,
            clock=now,
        )
    typer.echo(store.migration.message if store.migration else "schema: engine passed in")
    outbox = None
    if ehr_outbox is not None:
        outbox = _open_outbox(ehr_outbox)
        typer.echo(f"clinicians' decisions queued for the EHR in {ehr_outbox}")
    app = create_app(store, base_url=url, ingest=service, access=access, ehr_outbox=outbox)
    uvicorn.run(app, host="127.0.0.1", port=port, **_UVICORN)


@clinic_app.command("migrate")
def migrate(
    db: Annotated[str, typer.Option(help="SQLAlchemy URL of the clinic database.")],
) -> None:
    """Create or upgrade the clinic database's schema to the newest Alembic revision."""
    from bedside.domain import StoreError
    from bedside.store import create_store

    try:
        store = create_store(db)
    except StoreError as exc:
        typer.secho(f"error: {exc}", err=True, fg="red")
        raise typer.Exit(code=2) from exc
    try:
        assert store.migration is not None
        typer.echo(store.migration.message)
    finally:
        store.close()


@clinic_app.command("round")
def clinic_round(
    db: Annotated[str, typer.Option(help="SQLAlchemy URL of the clinic database.")],
    day: Annotated[str, typer.Option(help="Local day to evaluate (YYYY-MM-DD).")],
    zone: Annotated[str, typer.Option(help="Clinic's IANA time zone (evaluated at 23:59).")] = (
        "UTC"
    ),
    ehr_base: Annotated[
        str | None, typer.Option(help="EHR FHIR base URL (reads PHQ-9, medications).")
    ] = None,
    token_url: Annotated[str | None, typer.Option(help="EHR token endpoint.")] = None,
    client_id: Annotated[str | None, typer.Option(help="SMART client id at the EHR.")] = None,
    key: Annotated[Path | None, typer.Option(help="PEM private key of the SMART client.")] = None,
    alg: Annotated[str, typer.Option(help="ES384 or RS384.")] = "ES384",
    kid: Annotated[str, typer.Option(help="Key id registered with the EHR.")] = "bedside",
    ehr_outbox: Annotated[
        Path | None,
        typer.Option(help="FHIR outbox of clinicians' decisions to deliver to the EHR."),
    ] = None,
) -> None:
    """Evaluate every protocol for every patient with findings on one day; print what changed.

    With ``--ehr-outbox`` (the file ``bedside clinic api --ehr-outbox`` queues decisions in) and
    an EHR, the outbox is first repaired from the store's status history, then delivered; what
    the EHR is down for stays queued for the next round.
    """
    import datetime as dt
    from functools import partial
    from zoneinfo import ZoneInfo

    from bedside.domain import BedsideError
    from bedside.fhir import READ_SCOPES, ClientKey, SmartBackendClient, read_patient_context
    from bedside.server.clinic_round import run_clinic_round
    from bedside.store import create_store

    try:
        local_day = dt.date.fromisoformat(day)
        now = dt.datetime.combine(local_day, dt.time(23, 59), tzinfo=ZoneInfo(zone))
    except (ValueError, KeyError) as exc:
        typer.secho(f"error: --day/--zone: {exc}", err=True, fg="red")
        raise typer.Exit(code=2) from exc
    ehr_options = (ehr_base, token_url, client_id, key)
    if any(o is not None for o in ehr_options) and None in ehr_options:
        typer.secho(
            "error: an EHR needs --ehr-base, --token-url, --client-id and --key together",
            err=True,
            fg="red",
        )
        raise typer.Exit(code=2)
    if ehr_outbox is not None and ehr_base is None:
        typer.secho("error: --ehr-outbox needs an EHR (--ehr-base ...)", err=True, fg="red")
        raise typer.Exit(code=2)
    reader = None
    pusher = None
    if ehr_base and token_url and client_id and key:
        if alg not in ("ES384", "RS384"):
            typer.secho(f"error: --alg must be ES384 or RS384, not {alg!r}", err=True, fg="red")
            raise typer.Exit(code=2)
        try:
            client_key = ClientKey.from_pem(key.read_bytes(), alg, kid)
        except (OSError, ValueError) as exc:
            typer.secho(f"error: --key {key}: {exc}", err=True, fg="red")
            raise typer.Exit(code=2) from exc
        client = SmartBackendClient(
            fhir_base=ehr_base,
            token_url=token_url,
            client_id=client_id,
            key=client_key,
            scopes=READ_SCOPES,
        )
        reader = partial(read_patient_context, client)
        if ehr_outbox is not None:
            from bedside.fhir import EhrPusher, RetryPolicy, write_scopes

            writer = SmartBackendClient(
                fhir_base=ehr_base,
                token_url=token_url,
                client_id=client_id,
                key=client_key,
                scopes=write_scopes(["Provenance", "Task"]),
            )
            # One try per item and round: the round runs again tomorrow, and in-flush backoff
            # sleeps would hold a cron job for seconds per queued decision while the EHR is down.
            pusher = EhrPusher(
                writer, _open_outbox(ehr_outbox), policy=RetryPolicy(attempts_per_flush=1)
            )
    try:
        store = create_store(db)
        report = run_clinic_round(store, local_day, now, ehr=reader)
        flushed = None
        if pusher is not None:
            from bedside.server.ehr_task_sync import deliver_task_updates

            flushed = deliver_task_updates(store, pusher, dt.datetime.now(dt.UTC))
    except BedsideError as exc:
        typer.secho(f"error: {exc}", err=True, fg="red")
        raise typer.Exit(code=1) from exc
    typer.echo(
        f"{local_day}: {len(report.patients)} patients, {len(report.new)} new and "
        f"{len(report.escalated)} escalated recommendations"
    )
    for rec in sorted(report.new + report.escalated, key=lambda r: (r.priority.rank, r.id)):
        typer.echo(f"  [{rec.priority.value}] {rec.patient_id} {rec.protocol_id}: {rec.action}")
    for pid, why in report.ehr_errors.items():
        typer.secho(f"  EHR context NOT read for {pid} ({why}): device data only", fg="yellow")
    if flushed is not None:
        typer.echo(
            f"EHR outbox: {len(flushed.sent)} sent, {len(flushed.deferred)} still queued, "
            f"{len(flushed.rejected)} rejected by the EHR"
        )
        if flushed.auth_error:
            typer.secho(f"  EHR refused the client: {flushed.auth_error}", err=True, fg="red")
