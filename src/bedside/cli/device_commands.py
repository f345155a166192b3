"""``bedside device ...``: the patient's device -- its keys, paired clinics and consent page.

``init`` writes the patient's keystore (passphrase from ``$BEDSIDE_KEY_PASSPHRASE`` or a
prompt); ``add-clinic`` pairs the device with a clinic (its name, signing DID and the patient's
record id there); ``consent-page`` serves the consent page on 127.0.0.1 only. With
``--clinic-url`` new consents and revocations are posted to that clinic's ingest API.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["device_app"]

device_app = typer.Typer(
    help="The patient's device: keys, paired clinics, consent page.", no_args_is_help=True
)

PASSPHRASE_ENV = "BEDSIDE_KEY_PASSPHRASE"
StateDir = Annotated[Path, typer.Option(help="The device's state folder.")]


@device_app.command("init")
def init(state_dir: StateDir) -> None:
    """Create the patient's identity and its passphrase-protected keystore."""
    from bedside.device.consent_book import IDENTITY_FILE
    from bedside.privacy import Identity, PartyKind, lock_identity

    keystore = state_dir / IDENTITY_FILE
    if keystore.exists():
        typer.secho(f"error: {keystore} exists; not overwriting a patient's keys", err=True)
        raise typer.Exit(code=1)
    passphrase = os.environ.get(PASSPHRASE_ENV) or typer.prompt(
        "Passphrase", hide_input=True, confirmation_prompt=True
    )
    state_dir.mkdir(parents=True, exist_ok=True)
    identity = Identity.generate(PartyKind.PATIENT)
    keystore.write_text(lock_identity(identity, passphrase))
    keystore.chmod(0o600)
    typer.echo(f"Patient identity {identity.did} written to {keystore}")


@device_app.command("add-clinic")
def add_clinic(
    state_dir: StateDir,
    name: Annotated[str, typer.Option(help="The clinic's name, as the patient knows it.")],
    did: Annotated[str, typer.Option(help="The clinic service's signing DID (did:key).")],
    patient_id: Annotated[str, typer.Option(help="The patient's record id at that clinic.")],
) -> None:
    """Pair the device with a clinic (written to clinics.json)."""
    from bedside.device.consent_book import KnownClinic, load_clinics, save_clinics
    from bedside.privacy import IdentityError, public_key_from_did

    try:
        public_key_from_did(did)
    except IdentityError as exc:
        typer.secho(f"error: --did: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    clinics = [c for c in load_clinics(state_dir) if c.did != did]
    save_clinics(state_dir, [*clinics, KnownClinic(name=name, did=did, patient_id=patient_id)])
    typer.echo(f"Paired with {name} ({did})")


@device_app.command("consent-page")
def consent_page(
    state_dir: StateDir,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8765,
    clinic_url: Annotated[
        str | None, typer.Option(help="Clinic ingest API to send consents and revocations to.")
    ] = None,
) -> None:
    """Serve the patient's consent page on http://127.0.0.1:PORT (Ctrl-C stops)."""
    import httpx
    import uvicorn

    from bedside.device.consent_page import ClinicSender, consent_page_app

    send: ClinicSender | None = None
    if clinic_url is not None:
        client = httpx.Client(base_url=clinic_url, timeout=10.0)

        def post(kind: str, token: str) -> None:
            path = "/ingest/consents" if kind == "consent" else "/ingest/revocations"
            response = client.post(path, json={"token": token})
            if response.status_code != 200:
                raise RuntimeError(f"clinic answered {response.status_code}: {response.text}")

        send = post
    typer.echo(f"Consent page on http://127.0.0.1:{port} (this machine only; Ctrl-C stops)")
    uvicorn.run(consent_page_app(state_dir, send=send), host="127.0.0.1", port=port)
