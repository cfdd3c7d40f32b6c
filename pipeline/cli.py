"""Command line: a thin layer over :mod:`pipeline.run` and :mod:`pipeline.evaluate`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, TypeGuard

import typer

from .ingest import Limits

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Turn folders of news articles into a table of enforcement actions (Parquet).")


@app.command("run")
def run_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (read recursively) of articles: .txt, .md, "
                                                     ".html, .htm, .json, .jsonl, .pdf, .eml, .warc(.gz), and .gz "
                                                     "or .zip holding any of them.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the Parquet outputs (created if missing).")]
    = Path("outputs"),
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    full: Annotated[bool, typer.Option("--full", help="Ignore the state kept in OUT/state and read and extract "
                                                      "every input again.")] = False,
    max_bytes: Annotated[int, typer.Option("--max-bytes", help="Largest article, record or archive member, once "
                                                               "unpacked; larger ones are too_large.")]
    = Limits.max_bytes,
    max_container_bytes: Annotated[int, typer.Option("--max-container-bytes",
                                                     help="Largest JSON/JSONL file or gzip stream, once unpacked, "
                                                          "and most a zip archive may unpack to.")]
    = Limits.max_container_bytes,
    max_chars: Annotated[int, typer.Option("--max-chars", help="Longest article text the model is given; "
                                                               "longer ones are too_large.")] = Limits.max_chars,
    batch_articles: Annotated[int, typer.Option("--batch-articles", min=1,
                                                help="Articles (per worker) extracted between two saves of the "
                                                     "state: a killed run loses at most two such groups of work.")]
    = 64,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1,
                                         help="Processes running the model, each loading it once (local engine); "
                                              "with --engine dask and no --scheduler, the LocalCluster's workers.")]
    = 1,
    engine: Annotated[str, typer.Option("--engine", help="local: this machine. dask: dask.distributed, into the "
                                                         "same OUT/<table>.parquet files (no incremental state).")]
    = "local",
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="With --engine dask: address of a running "
                                                                      "scheduler (tcp://HOST:PORT); without it a "
                                                                      "LocalCluster is started.")] = None,
    ner_scope: Annotated[str, typer.Option("--ner-scope", help="Where the model's NER runs: sentences (those that "
                                                               "can hold an action; the default), stories (whole "
                                                               "articles that can), or all (full mentions; slowest). "
                                                               "See docs/performance.md.")] = "sentences",
    strict: Annotated[bool, typer.Option("--strict", help="Exit 5 when any article failed (an unexpected error in "
                                                          "some stage; the tables are written all the same).")]
    = False,
) -> None:
    """Read PATHS, extract enforcement actions, write articles/actions/mentions/errors.parquet into --out.

    A rerun into the same --out reads and extracts only new or changed inputs and drops the rows of inputs that
    are gone; the tables equal those of a full recomputation (--full).
    """
    from tqdm import tqdm

    from .model import ModelError
    from .rules import RulesError
    from .run import NER_SCOPES, run
    from .state import Locked

    missing = [p for p in paths if not p.exists()]
    if missing:
        typer.echo(f"error: no such file or folder: {', '.join(map(str, missing))}", err=True)
        raise typer.Exit(2)
    try:
        limits = Limits(max_bytes=max_bytes, max_container_bytes=max_container_bytes, max_chars=max_chars)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if engine not in ("local", "dask") or ner_scope not in NER_SCOPES or scheduler and engine != "dask":
        typer.echo(f"error: --engine is local or dask, --ner-scope one of {', '.join(NER_SCOPES)}, and --scheduler "
                   "needs --engine dask", err=True)
        raise typer.Exit(2)
    _check_model()
    bar = tqdm(desc="articles", unit="art", disable=quiet, file=sys.stderr)
    try:
        if engine == "dask":
            from .distributed import run_dask

            summary = run_dask(paths, out, scheduler=scheduler, workers=workers, ner_scope=ner_scope,
                               progress=bar.update, limits=limits)
        else:
            summary = run(paths, out, progress=bar.update, full=full, limits=limits, batch_articles=batch_articles,
                          workers=workers, ner_scope=ner_scope)
    except RulesError as exc:
        bar.close()
        typer.echo(f"error: bad rule file:\n{exc}", err=True)
        raise typer.Exit(3) from None
    except ModelError as exc:  # a Dask worker whose environment holds another model
        bar.close()
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except Locked as exc:
        bar.close()
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(4) from None
    except OSError as exc:
        bar.close()
        typer.echo(f"error: could not write outputs: {exc}", err=True)
        raise typer.Exit(4) from None
    bar.close()
    ok = summary.by_status.get("ok", 0)
    failed = summary.by_status.get("failed", 0)
    rejected = {k: v for k, v in sorted(summary.by_status.items()) if k not in ("ok", "failed")}
    lines = [f"inputs read: {summary.inputs}",
             f"input files: {summary.input_files} ({summary.read_files} new or changed, {summary.reused_files} "
             f"unchanged, {summary.dropped_files} gone since the last run)",
             f"articles ok: {ok}",
             "rejected: " + (", ".join(f"{k} {v}" for k, v in rejected.items()) if rejected else "none"),
             f"failed (an unexpected error; see the error column of articles.parquet): {failed}",
             f"actions found: {summary.actions}", f"mentions: {summary.mentions}",
             f"events (actions across articles): {summary.events}, in {summary.cases} cases",
             f"rows failing validation (see errors.parquet): {summary.invalid_rows}",
             "files written: " + ", ".join(str(p) for p in summary.files)]
    typer.echo("\n".join(lines), err=True)
    if strict and failed:
        typer.echo(f"error: {failed} articles failed (--strict)", err=True)
        raise typer.Exit(5)


@app.command("status")
def status_cmd(
    out: Annotated[Path, typer.Argument(help="An output folder written by `run`.")] = Path("outputs"),
) -> None:
    """Counts by status of the articles in OUT, and whether the tables are those of the last completed run."""
    from .state import describe

    try:
        report, consistent = describe(out)
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(report)
    if not consistent:
        raise typer.Exit(1)


@app.command("eval")
def eval_cmd(
    corpus: Annotated[Path, typer.Argument(help="Corpus folder holding articles/ and gold/.")] = Path("corpus"),
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the runs' outputs.")] = Path("outputs/eval"),
    external: Annotated[Path | None, typer.Option(help="Also score the PrivacyAffairs GDPR fines TSV at this path.")]
    = None,
    money: Annotated[Path | None, typer.Option(help="Also score the money normaliser on Duckling's "
                                                     "amountofmoney_en.jsonl at this path.")] = None,
    wire: Annotated[Path | None, typer.Option(help="Also score the Reuters development set in this folder "
                                                    "(stories.jsonl and gold.json).")] = None,
    no_floors: Annotated[bool, typer.Option("--no-floors", help="Report only; do not fail below the floors.")]
    = False,
) -> None:
    """Score the pipeline against the team's gold labels and the real sets given; exit 1 below a floor."""
    from . import realtext
    from .evaluate import evaluate_corpus, format_scores

    _check_model()
    figures: dict[str, dict[str, float]] = {}
    scores = evaluate_corpus(corpus, out / "corpus")
    typer.echo(format_scores("team corpus", scores))
    figures["team corpus"] = realtext.corpus_figures(scores)
    if _found(external, "PrivacyAffairs table"):
        pa = realtext.evaluate_external(external, out / "privacyaffairs")
        typer.echo(format_scores(f"PrivacyAffairs: {external.name} (only what each summary states)", pa))
        figures["PrivacyAffairs"] = realtext.privacyaffairs_figures(pa)
    if _found(wire, "Reuters development set"):
        w = realtext.evaluate_wire(wire, out / "reuters")
        typer.echo(f"Reuters dev: {w['fields_right']}/{w['fields_asked']} required fields right, "
                   f"{w['actions_whole']}/{w['actions']} actions whole, {w['amounts_right']}/{w['amounts_asked']} "
                   f"amounts right, {w['forbidden']} forbidden amounts reported")
        figures["Reuters dev"] = realtext.wire_figures(w)
    if _found(money, "Duckling money corpus"):
        m, skipped = realtext.evaluate_money(money)
        left_out = ", ".join(f"{v} {k}" for k, v in skipped.items())
        typer.echo(format_scores(f"Duckling money: {money.name} (expressions naming a currency; left out: "
                                 f"{left_out})", m))
        figures["Duckling money"] = realtext.money_figures(m)
    typer.echo("")
    typer.echo(realtext.summary(figures))
    failed = realtext.below(figures)
    if failed and not no_floors:
        typer.echo("below floor: " + ", ".join(f"{f.set} {f.figure} {v:.3f}" for f, v in failed), err=True)
        raise typer.Exit(1)


def _found(path: Path | None, what: str) -> TypeGuard[Path]:
    """Whether an optional evaluation set was given and exists; says so when it was given and is missing."""
    if path is None:
        return False
    if not path.exists():
        typer.echo(f"({what} not found at {path}; not scored)")
        return False
    return True


@app.command("export")
def export_cmd(
    folder: Annotated[Path, typer.Argument(help="Folder holding a run's Parquet tables (the run's --out).")]
    = Path("outputs"),
) -> None:
    """Write enforcement.xlsx (one sheet per table and a data dictionary) and csv/*.csv into FOLDER."""
    from .export import export

    _write_from_run(export, folder, "the spreadsheets")


@app.command("report")
def report_cmd(
    folder: Annotated[Path, typer.Argument(help="Folder holding a run's Parquet tables (the run's --out).")]
    = Path("outputs"),
) -> None:
    """Write report.html into FOLDER: one self-contained page of charts and tables (no network needed to view)."""
    from .report import report

    _write_from_run(lambda f: [report(f)], folder, "the report")


def _check_model() -> None:
    """Exit 2 with the reason when the installed spaCy model is missing or not the one the pipeline needs."""
    from .model import ModelError, check_model

    try:
        check_model()
    except ModelError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def _write_from_run(write: Callable[[Path], Iterable[Path]], folder: Path, what: str) -> None:
    """Exit 2 when FOLDER holds no run's tables, 4 when the files cannot be written; else name them."""
    try:
        paths = write(folder)
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except OSError as exc:
        typer.echo(f"error: could not write {what}: {exc}", err=True)
        raise typer.Exit(4) from None
    typer.echo("files written: " + ", ".join(str(p) for p in paths), err=True)


def main() -> None:
    app()
