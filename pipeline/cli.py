"""Command line: a thin layer over :mod:`pipeline.run` and :mod:`pipeline.evaluate`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Turn folders of news articles into a table of enforcement actions (Parquet).")


@app.command("run")
def run_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (read recursively) of articles: "
                                                     ".txt, .md, .html, .htm, .json, .jsonl.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the Parquet outputs (created if missing).")]
    = Path("outputs"),
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1,
                                         help="Processes running the model, each loading it once (local engine); "
                                              "with --engine dask and no --scheduler, the LocalCluster's workers.")]
    = 1,
    engine: Annotated[str, typer.Option("--engine", help="local: this machine. dask: dask.distributed, writing "
                                                         "each table as a partitioned Parquet dataset (a folder).")]
    = "local",
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="With --engine dask: address of a running "
                                                                      "scheduler (tcp://HOST:PORT); without it a "
                                                                      "LocalCluster is started.")] = None,
    ner_scope: Annotated[str, typer.Option("--ner-scope", help="Where the model's NER runs: stories (articles that "
                                                               "can hold an action; the default), all, or sentences "
                                                               "(faster; see README).")] = "stories",
) -> None:
    """Read PATHS, extract enforcement actions, write articles/actions/mentions/errors.parquet into --out."""
    from tqdm import tqdm

    from .rules import RulesError
    from .run import NER_SCOPES, run

    missing = [p for p in paths if not p.exists()]
    if missing:
        typer.echo(f"error: no such file or folder: {', '.join(map(str, missing))}", err=True)
        raise typer.Exit(2)
    if engine not in ("local", "dask") or ner_scope not in NER_SCOPES or scheduler and engine != "dask":
        typer.echo(f"error: --engine is local or dask, --ner-scope one of {', '.join(NER_SCOPES)}, and --scheduler "
                   "needs --engine dask", err=True)
        raise typer.Exit(2)
    bar = tqdm(desc="articles", unit="art", disable=quiet, file=sys.stderr)
    try:
        if engine == "dask":
            from .distributed import run_dask

            summary = run_dask(paths, out, scheduler=scheduler, workers=workers, ner_scope=ner_scope,
                               progress=bar.update)
        else:
            summary = run(paths, out, progress=bar.update, workers=workers, ner_scope=ner_scope)
    except RulesError as exc:
        bar.close()
        typer.echo(f"error: bad rule file:\n{exc}", err=True)
        raise typer.Exit(3)
    except OSError as exc:
        bar.close()
        typer.echo(f"error: could not write outputs: {exc}", err=True)
        raise typer.Exit(4)
    bar.close()
    ok = summary.by_status.get("ok", 0)
    rejected = {k: v for k, v in sorted(summary.by_status.items()) if k != "ok"}
    lines = [f"inputs read: {summary.inputs}", f"articles ok: {ok}",
             "rejected: " + (", ".join(f"{k} {v}" for k, v in rejected.items()) if rejected else "none"),
             f"actions found: {summary.actions}", f"mentions: {summary.mentions}",
             f"rows failing validation (see errors.parquet): {summary.invalid_rows}",
             "files written: " + ", ".join(str(p) for p in summary.files)]
    typer.echo("\n".join(lines), err=True)


@app.command("eval")
def eval_cmd(
    corpus: Annotated[Path, typer.Argument(help="Corpus folder holding articles/ and gold/.")] = Path("corpus"),
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the run's outputs and the score report.")]
    = Path("outputs/eval"),
    external: Annotated[Path | None, typer.Option(help="Also score the PrivacyAffairs GDPR fines TSV at this path.")]
    = None,
    no_floors: Annotated[bool, typer.Option("--no-floors", help="Report only; do not fail below the floors.")]
    = False,
) -> None:
    """Score the pipeline against the gold labels; exit 1 when a figure is below its floor."""
    from .evaluate import FLOORS, evaluate_corpus, evaluate_external, format_scores

    scores = evaluate_corpus(corpus, out)
    typer.echo(format_scores("team corpus", scores))
    below = {k: v["f1"] for k, v in scores.items() if k in FLOORS and v["f1"] < FLOORS[k]}
    if external is not None:
        if external.exists():
            typer.echo(format_scores(f"external: {external.name}", evaluate_external(external, out / "external")))
        else:
            typer.echo(f"(external data not found at {external}; skipped)")
    if below and not no_floors:
        typer.echo("below floor: " + ", ".join(f"{k} {v:.3f} < {FLOORS[k]:.2f}" for k, v in below.items()), err=True)
        raise typer.Exit(1)


def main() -> None:
    app()
