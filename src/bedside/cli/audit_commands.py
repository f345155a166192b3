"""``bedside audit ...``: check the clinic's hash-chained, signed audit log."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["audit_app"]

audit_app = typer.Typer(help="Check the clinic's audit log.", no_args_is_help=True)


@audit_app.command("verify")
def verify(
    db: Annotated[str, typer.Option("--db", help="SQLAlchemy URL of the clinic database.")],
    clinic_did: Annotated[
        str | None,
        typer.Option(help="The clinic's signing DID (default: the first entry's signer)."),
    ] = None,
) -> None:
    """Recompute every hash, link and signature; exit 1 when any entry was changed."""
    import sqlalchemy as sa

    from bedside.audit import read_audit_log, verify_audit_log

    try:
        engine = sa.create_engine(db)
        problems = verify_audit_log(engine, trusted_did=clinic_did)
        count = len(read_audit_log(engine)[0])
    except (sa.exc.SQLAlchemyError, sa.exc.ArgumentError, ValueError) as exc:
        typer.secho(f"error: cannot read the audit log at {db}: {exc}", err=True, fg="red")
        raise typer.Exit(code=2) from exc
    finally:
        if "engine" in locals():
            engine.dispose()
    if problems:
        for problem in problems:
            typer.secho(f"entry {problem.seq}: {problem.problem}", err=True, fg="red")
        typer.secho(f"audit log INVALID: {len(problems)} problem(s) in {count} entries", fg="red")
        raise typer.Exit(code=1)
    typer.echo(f"audit log intact: {count} entries, chain and signatures verified")
