"""``bedside language ...``: the on-device language biomarkers' validation.

``bedside language validate`` scores PHQ-9 symptom matching (sentence embeddings against the
symptom descriptions) and the keyword baseline in the same run on labelled short texts (the
shipped set, or ``--file``), overall and per split, and says how many texts were truncated.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bedside.biomarkers.language_validation import (
    load_validation_texts,
    validate_symptom_matching,
)

__all__ = ["language_app"]

language_app = typer.Typer(help="Language biomarkers (text entries).", no_args_is_help=True)

TOP1_FLOOR = 0.60
TOP3_FLOOR = 0.85


@language_app.command("validate")
def validate(
    file: Annotated[
        Path | None,
        typer.Option(help="Labelled TSV (split, symptom, text); default: the shipped 90 texts."),
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the scores as JSON here.")
    ] = None,
) -> None:
    """Top-1 / top-3 rates of PHQ-9 symptom matching and of the keyword baseline.

    Exits with status 1 when the embedding method misses the issue's floors over all texts
    (top-1 >= 0.60, top-3 >= 0.85).
    """
    texts = load_validation_texts(file)
    report = validate_symptom_matching(texts)
    table = Table(title=f"PHQ-9 symptom matching on {len(texts)} labelled texts")
    for col in (
        "split",
        "n",
        "embedding top-1",
        "embedding top-3",
        "keyword top-1",
        "keyword top-3",
    ):
        table.add_column(col)
    for split, emb in report.embedding.items():
        kw = report.keyword[split]
        table.add_row(
            split,
            str(emb.n),
            f"{emb.top1:.3f}",
            f"{emb.top3:.3f}",
            f"{kw.top1:.3f}",
            f"{kw.top3:.3f}",
        )
    console = Console()
    console.print(table)
    overall = report.embedding["all"]
    met = overall.top1 >= TOP1_FLOOR and overall.top3 >= TOP3_FLOOR
    console.print(
        f"truncated at 128 tokens: {report.n_truncated} of {len(texts)}; floors top-1 >= "
        f"{TOP1_FLOOR:.2f}, top-3 >= {TOP3_FLOOR:.2f}: " + ("met" if met else "NOT met")
    )
    if json_out is not None:
        payload = {
            "n_texts": len(texts),
            "n_truncated": report.n_truncated,
            "embedding": {k: _score_json(v) for k, v in report.embedding.items()},
            "keyword": {k: _score_json(v) for k, v in report.keyword.items()},
        }
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    if not met:
        raise typer.Exit(1)


def _score_json(score: object) -> dict[str, float]:
    """A MethodScore as a JSON object."""
    return {k: getattr(score, k) for k in ("n", "top1", "top3")}
