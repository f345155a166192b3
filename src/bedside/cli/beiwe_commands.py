"""`bedside beiwe extract`: daily GPS, phone-use and typing biomarkers from a Beiwe folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["beiwe_app"]

beiwe_app = typer.Typer(help="Read Beiwe raw-data folders.", no_args_is_help=True)


@beiwe_app.command("extract")
def extract(
    folder: Annotated[Path, typer.Argument(help="One participant's Beiwe raw-data folder.")],
    out: Annotated[Path, typer.Option(help="Daily table CSV to write.")],
    zone: Annotated[str, typer.Option(help="The participant's IANA time zone.")],
    lenient: Annotated[
        bool, typer.Option(help="Drop malformed rows (reported) instead of failing.")
    ] = False,
) -> None:
    """Write the daily table (mobility, phone use, typing) of a Beiwe participant folder."""
    from bedside.biomarkers import merge_daily_tables, write_daily_csv
    from bedside.biomarkers.mobility import daily_mobility
    from bedside.biomarkers.phone_use import daily_phone_use
    from bedside.biomarkers.typing_cadence import daily_typing
    from bedside.domain import BedsideError, DailyBiomarkerTable
    from bedside.sensors.beiwe import read_beiwe_folder

    try:
        data = read_beiwe_folder(folder, zone=zone, lenient=lenient)
        tables: list[DailyBiomarkerTable] = []
        if data.gps is not None:
            tables.append(daily_mobility(data.gps))
        if data.screen is not None:
            tables.append(daily_phone_use(data.screen))
        if data.keystrokes is not None:
            tables.append(daily_typing(data.keystrokes))
        if not tables:
            raise BedsideError(f"{folder}: no gps, power_state or keyboard stream")
        table = merge_daily_tables(tables)
        write_daily_csv(table, out)
    except BedsideError as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=2) from exc
    for stream, rep in data.reports.items():
        dropped = sum(rep.rows_dropped.values())
        typer.echo(
            f"{stream}: {rep.files} files, {rep.rows_read} rows, {dropped} dropped, "
            f"{rep.duplicates} duplicates, {rep.conflicts} conflicting"
        )
    typer.echo(f"wrote {table.n_days} days to {out}")
