"""One pipeline run: read inputs, extract, validate, write the tables. The CLI and the tests call :func:`run`."""

from __future__ import annotations

import multiprocessing
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import pandas as pd

from .extract import Extractor
from .ingest import read_paths
from .nlp import FocusedNER, build_nlp
from .records import OK, Action, Article, Mention
from .rules import load_rules
from .validate import split_valid
from .write import (ACTION_COLUMNS, ARTICLE_COLUMNS, MENTION_COLUMNS, actions_frame, articles_frame, mentions_frame,
                    to_arrow, write_parquet)

ERROR_COLUMNS = ["table", "row_id", "article_id", "column", "check", "failure"]


@dataclass
class Summary:
    """What a run read and wrote, for the closing report."""

    inputs: int = 0
    by_status: Counter = field(default_factory=Counter)
    actions: int = 0
    mentions: int = 0
    invalid_rows: int = 0
    files: list[Path] = field(default_factory=list)


# Where the model's NER runs (the rest of the pipeline always runs on every ok article):
#   "stories"   (default) on the whole text of every article in which an action can be found, and nowhere else.
#               The extractor reads story-wide entities (the story's main target, a target's fullest name), so
#               an article with an action needs NER on all of it for the same table; an article where the
#               extractor finds no action without entities, and no "fine" word whose target only NER can name,
#               gets none from the model either. Actions are those of "all"; such articles' mentions keep their
#               regulators, money, laws and bare years but have no targets or model-found dates.
#   "all"       on every article: the mentions table in full.
#   "sentences" as "stories", but in those stories only on the sentences that can hold an action and one
#               either side (pipeline.nlp.FocusedNER):
#               faster again, but a target named only elsewhere in the story no longer counts towards the main
#               target, so a few actions name a different target (make eval moves by one target either way).
NER_SCOPES = ("stories", "all", "sentences")
WORKER_BATCH = 16  # articles per task: one model batch; small tasks keep two workers evenly loaded to the end

_worker: tuple | None = None  # this process's (nlp, ner, extractor, batch_size, scope), built by _init_worker


def _init_worker(scope: str, batch_size: int) -> None:
    global _worker
    if scope not in NER_SCOPES:
        raise ValueError(f"unknown NER scope {scope!r} (expected one of {', '.join(NER_SCOPES)})")
    rules = load_rules()
    nlp = build_nlp(rules, defer_ner=True)
    ner = nlp.get_pipe("ner") if scope != "sentences" else FocusedNER(nlp.get_pipe("ner"), context=1)
    _worker = (nlp, ner, Extractor(rules), batch_size, scope)


def _may_need_entities(doc) -> bool:
    # "fined" with no amount makes an action only when a target stands in its sentence, which may take NER to see.
    return any(sp.label_ == "CUE_action" and sp.id_ == "fine" for sp in doc.spans.get("rules", []))


def _extract_batch(batch: list[Article]) -> tuple[list[Action], list[Mention]]:
    nlp, ner, extractor, batch_size, scope = _worker
    docs = list(nlp.pipe((a.text for a in batch), batch_size=batch_size))
    results = [None] * len(batch)
    need = list(range(len(batch)))
    if scope != "all":
        need = []
        for i, (art, doc) in enumerate(zip(batch, docs)):
            if _may_need_entities(doc):  # a story with a "fine" word: the model runs whatever a first pass says
                need.append(i)
                continue
            results[i] = extractor(doc, art)  # without entities: does this story hold an action at all?
            if results[i][0]:
                need.append(i)
    for i, doc in zip(need, ner.pipe((docs[i] for i in need), batch_size=batch_size)):
        results[i] = extractor(doc, batch[i])
    actions = [a for acts, _ in results for a in acts]
    mentions = [m for _, ments in results for m in ments]
    return actions, mentions


def _batches(items: Iterable[Article], size: int) -> Iterator[list[Article]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def extract_articles(articles: Iterable[Article], batch_size: int = 16,
                     progress: Callable[[int], None] | None = None, workers: int = 1,
                     ner_scope: str = "stories") -> tuple[list[Action], list[Mention]]:
    """Actions and mentions of the ``ok`` articles, running the model over them as a stream.

    ``workers`` > 1 spreads batches of articles over that many processes, each with its own model loaded once;
    results come back in input order, so the tables are the same as with one. At most two batches per worker are
    in flight, so the input is read as the workers go, never all at once. ``ner_scope``: see :data:`NER_SCOPES`.
    """
    ok = (a for a in articles if a.status == OK)
    actions: list[Action] = []
    mentions: list[Mention] = []
    if workers <= 1:
        _init_worker(ner_scope, batch_size)
        for batch in _batches(ok, WORKER_BATCH):
            acts, ments = _extract_batch(batch)
            actions.extend(acts)
            mentions.extend(ments)
            if progress:
                progress(len(batch))
        return actions, mentions
    # fork where there is one: workers start without re-importing spaCy; each still builds its own pipeline
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    with ctx.Pool(workers, initializer=_init_worker, initargs=(ner_scope, batch_size)) as pool:
        pending: deque = deque()
        for batch in _batches(ok, WORKER_BATCH):
            pending.append((pool.apply_async(_extract_batch, (batch,)), len(batch)))
            if len(pending) >= 2 * workers:
                _collect(pending.popleft(), actions, mentions, progress)
        while pending:
            _collect(pending.popleft(), actions, mentions, progress)
    return actions, mentions


def _collect(item, actions: list[Action], mentions: list[Mention], progress) -> None:
    result, n = item
    acts, ments = result.get()
    actions.extend(acts)
    mentions.extend(ments)
    if progress:
        progress(n)


def run(paths: Iterable[Path], out: Path, progress: Callable[[int], None] | None = None, workers: int = 1,
        ner_scope: str = "stories") -> Summary:
    """Process ``paths`` (files or folders) and write articles/actions/mentions/errors Parquet files into ``out``."""
    out = Path(out)
    articles = list(read_paths([Path(p) for p in paths], exclude=[out]))
    summary = Summary(inputs=len(articles), by_status=Counter(a.status for a in articles))
    actions, mentions = extract_articles(articles, progress=progress, workers=workers, ner_scope=ner_scope)
    n_chars = {a.article_id: a.n_chars for a in articles}
    frames = {
        "articles": articles_frame(articles),
        "actions": actions_frame(actions, n_chars),
        "mentions": mentions_frame(mentions, n_chars),
    }
    errors: list[dict] = []
    for name in frames:
        frames[name], errs = split_valid(name, frames[name])
        errors.extend(errs)
    if errors:  # a mention that belonged to a rejected action must not point at it
        dropped = {e["row_id"] for e in errors if e["table"] == "actions"}
        m = frames["mentions"]
        m.loc[m["action_id"].isin(dropped), "action_id"] = None
    columns = {"articles": ARTICLE_COLUMNS, "actions": ACTION_COLUMNS, "mentions": MENTION_COLUMNS}
    for name, df in frames.items():
        path = out / f"{name}.parquet"
        write_parquet(to_arrow(df, columns[name]), path)
        summary.files.append(path)
    err_path = out / "errors.parquet"
    write_parquet(to_arrow(pd.DataFrame(errors, columns=ERROR_COLUMNS), ERROR_COLUMNS), err_path)
    summary.files.append(err_path)
    summary.actions = len(frames["actions"])
    summary.mentions = len(frames["mentions"])
    summary.invalid_rows = len({(e["table"], e["row_id"]) for e in errors})
    return summary
