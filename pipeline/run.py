"""One pipeline run: read inputs, extract, validate, write the tables. The CLI and the tests call :func:`run`."""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import shutil
import signal
import tempfile
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .events import EVENT_COLUMNS, link_events, target_key
from .guard import FAILED, describe, stage, writable
from .ingest import Limits, discover, mark_duplicates, read_file
from .records import ID_LENGTH, OK, Action, Article, Mention
from .rules import load_rules
from .state import FORMAT, Inputs, State, engine_fingerprint, extract_id_for, file_sha256, read_id_for
from .validate import split_valid
from .write import (ACTION_COLUMNS, ARTICLE_COLUMNS, MENTION_COLUMNS, TableWriter, actions_frame, article_row,
                    articles_frame, mentions_frame, to_arrow)

if TYPE_CHECKING:  # spaCy and pebble are imported only where they are used (see _init_worker)
    from pebble import ProcessPool
    from spacy.language import Language
    from spacy.pipeline import Pipe
    from spacy.tokens import Doc

    from .extract import Extractor
    from .nlp import FocusedNER

ERROR_COLUMNS = ["table", "row_id", "article_id", "column", "check", "failure"]


@dataclass
class Summary:
    """What a run read and wrote, for the closing report."""

    inputs: int = 0  # rows of articles.parquet: input files and records inside containers
    by_status: Counter = field(default_factory=Counter)
    input_files: int = 0  # files found under the paths
    read_files: int = 0  # of which new or changed, read this run
    reused_files: int = 0  # of which unchanged, taken from the state
    dropped_files: int = 0  # files of the previous run that are gone
    actions: int = 0
    mentions: int = 0
    events: int = 0
    cases: int = 0
    invalid_rows: int = 0
    files: list[Path] = field(default_factory=list)


# Where the model's NER runs (the rest of the pipeline always runs on every ok article):
#   "sentences" (default) only in articles where an action can be found, and there only on the sentences that
#               can hold one: a regulator's name, an action, sanction or periodic-penalty word, "the regulator",
#               an appeal, or a word that dates a decision ("adopted in April"), each with 5 tokens of padding so
#               that the entities found are exactly those of the full text (pipeline.nlp.FocusedNER). A text of
#               400 tokens or fewer goes whole. On the team corpus this gives make eval's figures (one action and
#               one target more than "stories"), with NER on about a quarter of the benchmark's words.
#   "stories"   on the whole text of every article in which an action can be found, and nowhere else.
#   "all"       on every article: the mentions table in full (the two others leave the target and model-found
#               date mentions of the text they skip out of mentions.parquet; actions never need them).
NER_SCOPES = ("sentences", "stories", "all")
WORKER_BATCH = 16  # articles per task: one model batch; small tasks keep two workers evenly loaded to the end

# spaCy's vocabulary keeps every word it has seen, about 400 bytes each, and news brings some 20 new words an
# article (names, numbers): 8 MB more per 1,000 articles, for ever. So this process reloads the model after this
# many articles (1.5 s, under 3 % of the time they take). spaCy's own remedy, memory zones, cost 7-10 %: no
# tokenizer cache inside a zone.
REFRESH_ARTICLES = 1_000
# Worker processes do better: each is replaced by a new one after this many articles. A model reloaded in place
# left a few MB behind each time (workers grew from 200 to 255 MB over 4,500 articles, measured); a new process
# holds only what its own articles left. Half of what each of 2 workers sees in a 1,000-article run, so that a
# longer run's workers live the same short lives. A new worker starts with the model the fork server loaded.
WORKER_LIFE = 512
# With workers, the run reads on while they start (their fork server loads the model, 2 s): up to this many
# articles, about 1 s of reading (measured, 2 ms an article), held until the workers take them.
READ_AHEAD = 512

# this process's (nlp, ner, extractor, batch_size, scope), built by _init_worker
_worker: tuple[Language, Pipe | FocusedNER, Extractor, int, str] | None = None
_since_load = 0  # articles this process's model has seen


def _init_worker(scope: str, batch_size: int) -> None:
    global _worker, _since_load  # the scope was checked by Extraction, which starts every worker
    # spaCy is imported only by processes that extract: with workers, this one only reads and writes, and spaCy's
    # modules alone are 44 MB of it (measured).
    from .extract import Extractor
    from .nlp import FocusedNER, build_nlp

    rules = load_rules()
    nlp = build_nlp(rules, defer_ner=True)
    model_ner = cast("Pipe", nlp.get_pipe("ner"))  # spaCy types get_pipe as a plain callable; the NER is a Pipe
    ner = model_ner if scope != "sentences" else FocusedNER(model_ner, context=0, decided=rules.lexicon("decided"),
                                                                        weak=rules.lexicon("weak_trigger"))
    _worker, _since_load = (nlp, ner, Extractor(rules), batch_size, scope), 0


def prepare_worker() -> None:
    """Load the rules and the model into this process's caches (both are ``lru_cache``d), for processes forked from
    it: :func:`_init_worker` then finds them built (``pipeline/preload.py``). Also the data dateparser loads on
    first use: 0.4 s of CPU (measured) that every new worker spent again, 40 times in a 20,000-article run, for
    6 MB. Not the ECB rates (0.26 s a worker): loading them here raised this process's peak, the run's largest,
    by 20 MB (measured), while the workers, which load them early in their short lives, stay below it."""
    from .nlp import build_nlp
    from .normalise import parse_date

    build_nlp(load_rules(), defer_ner=True)
    for relative in ("last month", "last Tuesday"):  # dateparser loads its data for each kind on first use
        parse_date(relative, date(2020, 1, 1))


def _may_need_entities(doc: Doc, weak: frozenset[str]) -> bool:
    # An action word can make a frame, and its parties may take NER to see; a weak one ("told", "orders") only
    # when a first pass without entities finds an action.
    return any(sp.label_ == "CUE_action" and sp.text.lower() not in weak for sp in doc.spans.get("rules", []))


def _extract_batch(batch: list[Article]) -> tuple[list[Action], list[Mention], dict[str, str]]:
    """Actions and mentions of a batch of ok articles, and the error of each article that failed (by article id).

    The batch runs as one (the model is fastest on batches); only when that raises is each article run alone, so
    that the one that raises fails and the others keep their actions: no per-article cost until something breaks.
    """
    global _since_load
    assert _worker is not None, "_init_worker runs first in every process that extracts (see Extraction)"
    if _since_load >= REFRESH_ARTICLES:
        from .nlp import build_nlp

        build_nlp.cache_clear()  # the next call loads the model afresh, with the vocabulary it shipped with
        _init_worker(_worker[4], _worker[3])
    _since_load += len(batch)
    try:
        return (*_extract(batch), {})
    except Exception as exc:
        if len(batch) == 1:
            return [], [], {batch[0].article_id: describe(exc, "extraction", batch[0].source)}
    actions: list[Action] = []
    mentions: list[Mention] = []
    failures: dict[str, str] = {}
    for art in batch:
        try:
            acts, ments = _extract([art])
        except Exception as exc:
            failures[art.article_id] = describe(exc, "extraction", art.source)
            continue
        actions.extend(acts)
        mentions.extend(ments)
    return actions, mentions, failures


def _extract(batch: list[Article]) -> tuple[list[Action], list[Mention]]:
    assert _worker is not None, "_init_worker runs first in every process that extracts (see Extraction)"
    nlp, ner, extractor, batch_size, scope = _worker
    weak = load_rules().lexicon("weak_trigger")  # cached: the rules the worker was set up with
    with stage("the model"):
        docs = list(nlp.pipe((a.text for a in batch), batch_size=batch_size))
    results: list[tuple[list[Action], list[Mention]] | None] = [None] * len(batch)
    need = list(range(len(batch)))
    if scope != "all":
        need = []
        for i, (art, doc) in enumerate(zip(batch, docs, strict=True)):
            if _may_need_entities(doc, weak):  # a story with a "fine" word: the model runs whatever a first pass says
                need.append(i)
                continue
            with stage("extraction"):
                results[i] = first = extractor(doc, art)  # without entities: does this story hold an action at all?
            if first[0]:
                need.append(i)
    with_entities = ner.pipe((docs[i] for i in need), batch_size=batch_size)
    for i in need:
        with stage("the model"):
            doc = next(with_entities)
        with stage("extraction"):
            results[i] = extractor(doc, batch[i])
    done = [r for r in results if r is not None]  # every one: each article was extracted in one loop or the other
    actions = [a for acts, _ in done for a in acts]
    mentions = [m for _, ments in done for m in ments]
    return actions, mentions


def _batches(items: Iterable[Article], size: int) -> Iterator[list[Article]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


class Extraction:
    """The model and extractor of a run, set up once: in this process, or in ``workers`` processes that each load
    the model once and take batches of articles in turn, each replaced after :data:`WORKER_LIFE` articles. Call it
    on articles as often as needed; close it after.

    Results come back in input order, so the tables are the same whatever the number of workers. At most two
    batches per worker are in flight, so the input is read as the workers go, never all at once. Workers start from
    a fork server (or are spawned), so, as with any such multiprocessing, they import the caller's main module
    again: a script that calls this with ``workers > 1`` must do so under ``if __name__ == "__main__":``.

    A worker that dies (a segfault, the OOM killer) costs at most its batch: pebble's pool tells which task its
    process was running (multiprocessing's Pool waits for that task's result for ever), and each article of that
    batch is tried again alone; one that kills its worker again is ``failed``, the others are extracted. Articles
    whose extraction raised are in :attr:`failed` (article id -> error) and in the third item of each result.
    """

    def __init__(self, workers: int = 1, ner_scope: str = "sentences", batch_size: int = 16):
        if ner_scope not in NER_SCOPES:
            raise ValueError(f"unknown NER scope {ner_scope!r} (expected one of {', '.join(NER_SCOPES)})")
        self.workers = workers
        self.pool: ProcessPool | None = None
        self.failed: dict[str, str] = {}
        self._new_pools = 0  # pools started after the first one broke: a pool that keeps breaking is not articles'
        if workers > 1:
            # Workers are forked from a server process that has loaded the model (fork from this process would
            # give each new worker a copy of everything this one holds by then).
            methods = multiprocessing.get_all_start_methods()
            ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
            if ctx.get_start_method() == "forkserver":
                ctx.set_forkserver_preload([f"{__package__}.preload"])  # the model, loaded once for all workers
            self._pool_args: dict[str, Any] = dict(max_workers=workers, max_tasks=max(1, WORKER_LIFE // WORKER_BATCH),
                                                   initializer=_init_worker, initargs=(ner_scope, batch_size),
                                                   context=ctx)
            self._start_pool()
        else:
            _init_worker(ner_scope, batch_size)

    def _start_pool(self) -> ProcessPool:
        from pebble import ProcessPool

        self.pool = pool = ProcessPool(**self._pool_args)
        pool.active  # noqa: B018 - starts the workers now (pebble starts them on first use otherwise)
        return pool

    def _schedule(self, fn: Callable, item: Any) -> Future:
        pool = self.pool
        assert pool is not None, "called only with workers"
        if not pool.active:  # broken: a worker died while no task was running, or the pool lost its pipes
            self._new_pools += 1
            if self._new_pools > 3:
                raise RuntimeError("the worker processes keep dying outside any task (see the log above)")
            pool = self._start_pool()
        return pool.schedule(fn, (item,))

    def __call__(self, articles: Iterable[Article],
                 progress: Callable[[int], object] | None = None) -> tuple[list[Action], list[Mention]]:
        actions: list[Action] = []
        mentions: list[Mention] = []
        pending: deque[_Batch] = deque()

        def take() -> None:
            done = pending.popleft()
            acts, ments, _ = done.get()
            actions.extend(acts)
            mentions.extend(ments)
            if progress:
                progress(len(done.batch))

        for batch in _batches((a for a in articles if a.status == OK), WORKER_BATCH):
            pending.append(self._batch(batch))
            if len(pending) >= 2 * self.workers:
                take()
        while pending:
            take()
        return actions, mentions

    def _batch(self, batch: list[Article]) -> _Batch:
        if self.pool is None:
            result = _extract_batch(batch)
            self.failed.update(result[2])
            return _Batch(self, batch, value=result)
        return _Batch(self, batch, self._schedule(_extract_batch, batch))

    def submit(self, articles: list[Article]) -> list[_Batch]:
        """Start extracting ``articles`` (all ok) and return handles for :func:`gather`: with workers, they work
        while the caller goes on; without, the work is done here and now."""
        return [self._batch(batch) for batch in _batches(articles, WORKER_BATCH)]

    def retry(self, batch: list[Article], why: BaseException) -> tuple[list[Action], list[Mention], dict[str, str]]:
        """The articles of a batch whose worker died, each alone in a worker: the one that kills its worker again
        is failed (one try each, so the run never loops on it)."""
        singles = [(art, self._schedule(_extract_batch, [art])) for art in batch]
        actions: list[Action] = []
        mentions: list[Mention] = []
        failures: dict[str, str] = {}
        for art, future in singles:
            try:
                acts, ments, fails = future.result()
            except Exception as again:
                failures[art.article_id] = _died(again, why, art.source)
                continue
            actions.extend(acts)
            mentions.extend(ments)
            failures.update(fails)
        self.failed.update(failures)
        return actions, mentions, failures

    def imap(self, fn: Callable, items: Iterable) -> Iterator:
        """``fn`` over ``items``, results in order: in the workers, at most two items per worker in flight (so
        ``items`` is consumed as they go), or here. ``fn`` must be a module-level function. An item whose worker
        died is done here instead (event linking: no model needed)."""
        from pebble import ProcessExpired

        if self.pool is None:
            yield from map(fn, items)
            return
        pending: deque = deque()

        def result(item: Any, future: Future) -> Any:
            try:
                return future.result()
            except (ProcessExpired, BrokenProcessPool, RuntimeError):
                return fn(item)

        for item in items:
            pending.append((item, self._schedule(fn, item)))
            if len(pending) >= 2 * self.workers:
                yield result(*pending.popleft())
        while pending:
            yield result(*pending.popleft())

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool.join()
            self.pool = None

    def terminate(self) -> None:
        if self.pool is not None:
            self.pool.stop()
            self.pool.join()
            self.pool = None

    def __enter__(self) -> Extraction:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
        else:
            self.terminate()


class _Batch:
    """A batch out for extraction: its future in a worker, or its result when it was extracted here."""

    def __init__(self, extraction: Extraction, batch: list[Article], future: Future | None = None,
                 value: tuple[list[Action], list[Mention], dict[str, str]] | None = None):
        self.extraction, self.batch, self.future, self.value = extraction, batch, future, value

    def get(self) -> tuple[list[Action], list[Mention], dict[str, str]]:
        if self.future is not None:
            try:
                self.value = self.future.result()
                self.extraction.failed.update(self.value[2])
            except Exception as exc:  # _extract_batch raises nothing itself: its worker died, or the pool broke
                self.value = self.extraction.retry(self.batch, exc)
            self.future = None
        assert self.value is not None, "a batch has its future or its value"
        return self.value


def _died(exc: BaseException, first: BaseException, source: str) -> str:
    """The error of an article whose worker died in its batch and again when it was alone."""
    code = getattr(exc, "exitcode", None)
    if code is None:
        return describe(exc, "extraction", source)
    how = (f"signal {signal.Signals(-code).name}" if code < 0 and -code in signal.valid_signals()
           else f"exit code {code}")
    return (f"extraction failed: the worker process died ({how}) on this article, in its batch and again alone "
            f"(source: {source})")


def gather(handles: list[_Batch]) -> tuple[list[Action], list[Mention], dict[str, str]]:
    """The actions, mentions and failures of :meth:`Extraction.submit`'s handles, in the order submitted."""
    actions: list[Action] = []
    mentions: list[Mention] = []
    failures: dict[str, str] = {}
    for handle in handles:
        acts, ments, fails = handle.get()
        actions.extend(acts)
        mentions.extend(ments)
        failures.update(fails)
    return actions, mentions, failures


def extract_articles(articles: Iterable[Article], batch_size: int = 16,
                     progress: Callable[[int], object] | None = None, workers: int = 1,
                     ner_scope: str = "sentences", failed: dict[str, str] | None = None,
                     ) -> tuple[list[Action], list[Mention]]:
    """Actions and mentions of the ``ok`` articles (see :class:`Extraction`; ``ner_scope``: :data:`NER_SCOPES`);
    the errors of the articles whose extraction failed go into ``failed`` (article id -> error) when given."""
    with Extraction(workers, ner_scope, batch_size) as extraction:
        result = extraction(articles, progress)
        if failed is not None:
            failed.update(extraction.failed)
        return result


@dataclass(slots=True)
class _Input:
    """One input file on its way through the pass, and what it gave until that is written into the tables."""

    source: str  # its path
    read_id: str | None  # None when the file could not be hashed (unreadable): read again on every run
    extract_id: str | None = None  # set when it has ok articles (and a read_id)
    ok: list[Article] = field(default_factory=list)  # its ok articles while they are out for extraction
    tables: dict[str, pa.Table] | None = None  # its extraction tables, from its shard or just made, until written
    dates: dict[str, tuple] = field(default_factory=dict)  # (published, url) of its ok articles, until spilled


def _fingerprint(path: Path, cached: dict | None) -> dict | None:
    """Size, mtime, inode and SHA-256 of a file; the hash is reused from the cache when the stat is unchanged."""
    try:
        st = path.stat()
        entry = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ino": st.st_ino}
        if cached and all(cached.get(k) == v for k, v in entry.items()) and cached.get("sha256"):
            return {**entry, "sha256": cached["sha256"]}
        return {**entry, "sha256": file_sha256(path)}
    except OSError:
        return None


def _extraction_tables(articles: list[Article], actions: list[Action], mentions: list[Mention],
                       failures: dict[str, str]) -> dict[str, pa.Table]:
    """The validated actions, mentions and errors tables of a batch of articles, in Arrow, without the rows of the
    articles in ``failures``. Validation that raises (rather than finding rows that break a check: those go to
    errors.parquet) is tried again article by article, and the article it raises on joins ``failures``."""
    def tables(arts: list[Article], acts: list[Action], ments: list[Mention]) -> dict[str, pa.Table]:
        a, m, e = validated_extraction(arts, acts, ments)
        return {"actions": to_arrow(a, ACTION_COLUMNS), "mentions": to_arrow(m, MENTION_COLUMNS),
                "errors": to_arrow(e, ERROR_COLUMNS)}

    if failures:
        actions = [a for a in actions if a.article_id not in failures]
        mentions = [m for m in mentions if m.article_id not in failures]
    try:
        return tables(articles, actions, mentions)
    except Exception:
        pass
    pieces = []
    for art in articles:
        if art.article_id in failures:
            continue
        try:
            pieces.append(tables([art], [a for a in actions if a.article_id == art.article_id],
                                 [m for m in mentions if m.article_id == art.article_id]))
        except Exception as exc:
            failures[art.article_id] = describe(exc, "validation", art.source)
    columns = {"actions": ACTION_COLUMNS, "mentions": MENTION_COLUMNS, "errors": ERROR_COLUMNS}
    return {name: pa.concat_tables([p[name] for p in pieces]) if pieces else _schema(cols).empty_table()
            for name, cols in columns.items()}


def validated_extraction(articles: list[Article], actions: list[Action],
                          mentions: list[Mention]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Schema-checked actions and mentions of a batch of articles, and the errors of the rows kept out.

    One validation per batch, not per input: pandera costs ~0.1 s a call whatever the size of the frame.
    """
    n_chars = {a.article_id: a.n_chars for a in articles}
    acts, act_errors = split_valid("actions", actions_frame(actions, n_chars))
    ments, ment_errors = split_valid("mentions", mentions_frame(mentions, n_chars))
    if act_errors:  # a mention that belonged to a rejected action must not point at it
        dropped = {e["row_id"] for e in act_errors}
        ments.loc[ments["action_id"].isin(dropped), "action_id"] = None
    return acts, ments, pd.DataFrame(act_errors + ment_errors, columns=ERROR_COLUMNS)


def run(paths: Iterable[Path], out: Path, progress: Callable[[int], object] | None = None, *, full: bool = False,
        limits: Limits = Limits(), batch_articles: int = 64, workers: int = 1, ner_scope: str = "sentences") -> Summary:
    """Process ``paths`` (files or folders) and write articles/actions/mentions/errors/events Parquet files into
    ``out``.

    Incremental: inputs whose bytes were read before (by this same code, rules and limits) are taken from the
    shards in ``out/state`` instead of being read and extracted again, and the tables are reassembled from the
    shards of the inputs present now, so they equal what a full recomputation (``full=True``) writes. Steps:
    discover and fingerprint the inputs; then one pass in input order that reads each input (or takes its read
    shard), marks duplicates against the inputs before it, writes its articles' rows, and takes its extraction
    from a shard or sends its ok articles to be extracted (``batch_articles`` per worker at a time); link events;
    rename the five tables into place; record the run (``state/manifest.json`` and its inputs,
    ``state/inputs.sqlite``).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary = Summary()
    # ner_scope "sentences" can change rows, so it is part of what a shard was made by; workers never do.
    engine = engine_fingerprint({**dataclasses.asdict(limits), "ner_scope": ner_scope})
    with State(out / "state") as state:
        if full:
            state.clear()
        manifest = state.load_manifest()
        with state.inputs(manifest) as inputs:  # on disk: what the run knows of each input (pipeline.state.Inputs)
            # 1. Discover and fingerprint: a stat per file, and a hash only for files whose stat changed.
            # A file name that is not UTF-8 (Linux allows any bytes) cannot be written into a table or the state as
            # it is: its source shows the bad bytes escaped ("\\xff"), and the few such paths are kept here.
            renamed: dict[str, Path] = {}
            for path in discover([Path(p) for p in paths], exclude=[out]):
                source = str(path)
                if not writable(source):
                    source = os.fsencode(path).decode("utf-8", "backslashreplace")
                    renamed[source] = path
                fp = _fingerprint(path, inputs.cached(source))
                inputs.add(source, fp, read_id_for(engine, source, fp["sha256"]) if fp else None)
            summary.input_files = len(inputs)
            summary.dropped_files = inputs.dropped()
            if not full and _unchanged(out, manifest, engine, inputs):
                # Same inputs, same engine, and the tables on disk are the ones the last run wrote: nothing to redo.
                done = manifest["summary"]
                summary.reused_files = len(inputs)
                summary.by_status = Counter(manifest["by_status"])
                summary.inputs, summary.actions, summary.mentions = done["inputs"], done["actions"], done["mentions"]
                summary.events, summary.cases = done["events"], done["cases"]
                summary.invalid_rows = done["invalid_rows"]
                summary.files = [out / f"{name}.parquet" for name in manifest["tables"]]
                return summary

            # 2. One pass over the inputs in order. The workers extract a group of articles while this process reads
            # the next inputs and writes the group before; an input's extraction is written into the tables once it
            # and every input before it are done, so the rows keep input order whatever ran where.
            tables = _Assembly(out, state.root)
            extraction: Extraction | None = None  # the model is loaded only when something needs extracting
            starting: Future | None = None  # with workers: they are being set up while this process reads on
            groups: deque[tuple[list[_Input], list]] = deque()  # submitted, oldest first
            read: deque[list[_Input]] = deque()  # groups read while the workers were being set up
            pending: list[_Input] = []  # inputs whose ok articles wait to make a group
            in_flight = 2 if workers > 1 else 1  # groups: with workers, one extracting while the last is written
            group_size = batch_articles * max(1, workers)

            def submit(wait: bool = False) -> None:
                nonlocal extraction
                if pending:
                    read.append(list(pending))
                    pending.clear()
                if extraction is None and starting is not None and not starting.done() and not wait \
                        and len(read) * group_size < READ_AHEAD:
                    return  # the workers are not up yet: read on while they load the model (2 s)
                if extraction is None:
                    extraction = starting.result() if starting is not None else Extraction(workers, ner_scope)
                while read:
                    items = read.popleft()
                    groups.append((items, extraction.submit([a for item in items for a in item.ok])))
                    while len(groups) >= in_flight:
                        finish(*groups.popleft())

            def finish(items: list[_Input], handles: list) -> None:
                actions, mentions, failures = gather(handles)
                batch = [a for item in items for a in item.ok]
                made = _extraction_tables(batch, actions, mentions, failures)
                for item in items:
                    ids = pa.array([a.article_id for a in item.ok], pa.string())
                    item.tables = {name: t.filter(pc.is_in(t.column("article_id"), value_set=ids))
                                   for name, t in made.items()}
                    item_failures = {a.article_id: failures[a.article_id] for a in item.ok if a.article_id in failures}
                    if item_failures:  # never kept in a shard: a failed article is tried again on every run
                        tables.fail(item_failures)
                        summary.by_status.subtract({OK: len(item_failures)})
                        summary.by_status.update({FAILED: len(item_failures)})
                    elif item.extract_id is not None:
                        state.save_extract(item.extract_id, item.tables)
                    item.ok = []
                if progress:
                    progress(len(batch))

            try:
                seen = inputs.seen()  # texts seen so far, for duplicates
                for seq, source, read_id in inputs.rows():
                    item = _Input(source, read_id)
                    articles = state.load_read(item.read_id) if item.read_id and state.has_read(item.read_id) else None
                    if articles is not None:
                        summary.reused_files += 1
                    else:
                        articles = list(read_file(renamed.get(item.source, Path(item.source)), item.source, limits))
                        if item.read_id is not None and not any(a.status == FAILED for a in articles):
                            state.save_read(item.read_id, articles)
                        summary.read_files += 1
                    marked = list(mark_duplicates(articles, seen))
                    tables.add_articles(marked)
                    item.dates = {a.article_id: (a.published, a.url) for a in marked if a.status == OK}
                    summary.by_status.update(a.status for a in marked)
                    positions = [i for i, a in enumerate(marked) if a.status == OK]
                    if positions and item.read_id is not None:
                        item.extract_id = extract_id_for(item.read_id, positions)
                        inputs.set_extract_id(seq, item.extract_id)
                        item.tables = state.load_extract(item.extract_id, EXTRACT_TABLES) \
                            if state.has_extract(item.extract_id) else None
                    if positions and item.tables is None:
                        item.ok = [marked[i] for i in positions]
                        pending.append(item)
                        if workers > 1 and extraction is None and starting is None:
                            # set up in a thread: the fork server loads the model (2 s) while this one reads on
                            starter = ThreadPoolExecutor(1, thread_name_prefix="starting-workers")
                            starting = starter.submit(Extraction, workers, ner_scope)
                            starter.shutdown(wait=False)  # its one thread ends when the workers are up
                        if sum(len(i.ok) for i in pending) >= group_size:
                            submit()
                    else:
                        item.tables = item.tables or {}
                    tables.queue(item)
                if pending or read:
                    submit(wait=True)
                while groups:
                    finish(*groups.popleft())
                tables.flush_queue()

                # 3. Events and cases (pipeline/events.py) span articles, so they need every action at once: linked
                # a part at a time, in the workers when there are some (a part is 500 actions, 0.15 s); then the
                # tables are renamed into place.
                summary.events, summary.cases = tables.link_events(extraction.imap if extraction else map)
                tables.commit()
                summary.by_status = +summary.by_status  # no zero counts (ok articles that all failed)
            except BaseException:
                tables.abort()
                if extraction is None and starting is not None:
                    # its own failure is dropped: the run's is the one to raise
                    with contextlib.suppress(BaseException):
                        extraction = starting.result()  # to stop the workers it was setting up
                if extraction is not None:
                    extraction.terminate()
                raise
            if extraction is not None:
                extraction.close()
            summary.files = [w.path for w in tables.writers.values()]
            summary.inputs = tables.writers["articles"].rows + sum(1 for t, _ in tables.invalid if t == "articles")
            summary.actions, summary.mentions = tables.writers["actions"].rows, tables.writers["mentions"].rows
            summary.invalid_rows = len(tables.invalid)

            # 4. Record the run; shards no input uses any more (deleted or changed files) go.
            state.save_manifest({
                "format": FORMAT, "engine": engine, "limits": dataclasses.asdict(limits),
                "completed_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "input_files": summary.input_files,  # inputs.sqlite's, plus unreadable files (no fingerprint)
                "by_status": dict(sorted(summary.by_status.items())),
                "tables": {name: {"rows": w.rows, "sha256": file_sha256(w.path)} for name, w in tables.writers.items()},
                "summary": {"inputs": summary.inputs, "actions": summary.actions, "mentions": summary.mentions,
                            "events": summary.events, "cases": int(summary.cases),
                            "invalid_rows": summary.invalid_rows},
            }, inputs)
            state.collect_garbage(inputs)
        return summary


EXTRACT_TABLES = ("actions", "mentions", "errors")


class _Assembly:
    """The five output tables, written as a run goes into temporary files (:class:`TableWriter`), with what must
    wait for the end: the actions, which events link across articles, wait in a temporary Parquet file in the
    state folder with their article's date and URL, and the articles' validation errors (rare) in memory.
    """

    ARTICLE_ROWS = 2_000  # article rows validated and written at a time: pandera costs ~0.1 s a call
    # actions linked into events together, about (see link_events): linking 2,000 took some 25 MB while it ran,
    # 500 take a quarter of that (measured), and a part costs only its linking now that the spill is split once
    LINK_ROWS = 500
    # what the spilled actions carry besides their columns: the hash that cuts parts (see _keys), and their
    # article's date and URL, which events need (held for every article until the end, they grew with the run)
    SPILL_FIELDS = (pa.field("_key", pa.int64()), pa.field("_published", pa.date32()), pa.field("_url", pa.string()))

    def __init__(self, out: Path, spill_dir: Path):
        columns = {"articles": ARTICLE_COLUMNS, "actions": ACTION_COLUMNS, "mentions": MENTION_COLUMNS,
                   "errors": ERROR_COLUMNS, "events": EVENT_COLUMNS}
        self.writers = {name: TableWriter(out / f"{name}.parquet", _schema(cols)) for name, cols in columns.items()}
        self.invalid: set[tuple[str, str]] = set()  # (table, row_id) of the rows kept out
        self.rows: list[dict] = []  # article rows, without their text
        self.article_errors: list[dict] = []
        self.stopwords = load_rules().events.target_stopwords
        # a temporary name in the state folder: a killed run's spill is deleted by the next (State)
        self.spill = TableWriter(spill_dir / ".actions.parquet", pa.schema([
            *_schema(ACTION_COLUMNS), *self.SPILL_FIELDS]))
        self.waiting: deque[_Input] = deque()
        self.failed: dict[str, str] = {}  # article id -> error, of articles whose rows were written before they failed

    def add_articles(self, marked: list[Article]) -> None:
        self.rows.extend(article_row(a) for a in marked)
        if len(self.rows) >= self.ARTICLE_ROWS:
            self._write_articles()

    def _write_articles(self) -> None:
        frame, errs = split_valid("articles", articles_frame(self.rows))
        self.writers["articles"].write(to_arrow(frame, ARTICLE_COLUMNS))
        self.article_errors.extend(errs)  # rare; written after the extraction errors, whatever the timing
        self.invalid.update((e["table"], e["row_id"]) for e in errs)
        self.rows.clear()

    def queue(self, item: _Input) -> None:
        """Write ``item``'s extraction after every input queued before it, as soon as they all have theirs."""
        self.waiting.append(item)
        self.flush_queue()

    def flush_queue(self) -> None:
        while self.waiting and (tables := self.waiting[0].tables) is not None:
            item = self.waiting.popleft()
            for name, table in tables.items():
                if name == "actions":
                    dates = [item.dates[a] for a in table.column("article_id").to_pylist()]
                    self.spill.write(table.append_column("_key", self._keys(table)).append_column(
                        "_published", pa.array([d for d, _ in dates], pa.date32())).append_column(
                        "_url", pa.array([u for _, u in dates], pa.string())))
                else:
                    self.writers[name].write(table)
                if name == "errors":
                    self.invalid |= set(zip(table.column("table").to_pylist(), table.column("row_id").to_pylist(),
                                            strict=True))
            item.tables, item.dates = None, {}  # written: nothing held

    def _keys(self, actions: pa.Table) -> pa.Array:
        # Reports of one event, and events of one case, always share the first word of their target's key
        # (pipeline.events.target_key); parts are cut by a hash of that word, so no event or case spans two.
        keys = (target_key(t, self.stopwords) for t in actions.column("target").to_pylist())
        return pa.array([zlib.crc32((k[0] if k else "").encode()) for k in keys], pa.int64())

    BUCKETS = 128  # files the actions are split into at most (open at once while splitting)

    def _spilled(self) -> Iterator[pa.RecordBatch]:
        # One thread: the reader's threads each kept their allocator's cache, 5 MB more at 20,000 articles
        # (measured), to save a fraction of the 0.1 s the read takes.
        batches: Iterator[pa.RecordBatch] = pq.ParquetFile(self.spill.tmp).iter_batches(batch_size=2_000,
                                                                                         use_threads=False)
        return batches

    def _split(self, n_parts: int) -> tuple[Path, int]:
        """One pass over the waiting actions that files each, with its position in the spill and its part, into
        one of ``min(n_parts, BUCKETS)`` Arrow files (part k into bucket k % buckets); returns (folder, buckets).

        A bucket is then read once and linked a part at a time: reading the whole spill for each part cost parts x
        actions (hours at a million articles), and Arrow's dataset writer, tried first, queued every row in memory.
        """
        buckets = min(n_parts, self.BUCKETS)
        folder = Path(tempfile.mkdtemp(prefix=".event-parts.tmp", dir=Path(self.spill.tmp).parent))
        schema = self.spill.schema.remove(self.spill.schema.get_field_index("_key")).append(
            pa.field("_pos", pa.int64())).append(pa.field("_part", pa.int64()))
        writers: dict[int, pa.ipc.RecordBatchFileWriter] = {}
        try:
            start = 0
            for b in self._spilled():
                part = b.column("_key").to_numpy() % n_parts
                b = b.drop_columns(["_key"]).append_column("_pos", pa.array(
                    np.arange(start, start + b.num_rows), pa.int64())).append_column("_part", pa.array(part))
                start += b.num_rows
                bucket = part % buckets
                for k in np.unique(bucket):
                    if k not in writers:
                        writers[k] = pa.ipc.new_file(folder / f"{k}.arrow", schema)
                    writers[k].write_table(pa.Table.from_batches([b]).filter(pa.array(bucket == k)))
        finally:
            for w in writers.values():
                w.close()
        return folder, buckets

    def _parts(self, n_parts: int) -> Iterator[tuple[pa.Table, pa.Array]]:
        """Each part's actions in spill order with their positions in the spill, a bucket in memory at a time."""
        folder, buckets = self._split(n_parts)
        try:
            for k in range(buckets):
                path = folder / f"{k}.arrow"
                if not path.exists():  # no action fell into this bucket
                    continue
                with pa.memory_map(str(path)) as source:
                    bucket = pa.ipc.open_file(source).read_all()
                parts = bucket.column("_part").to_numpy()
                for part in np.unique(parts):
                    rows = bucket.filter(pa.array(parts == part)).sort_by("_pos")
                    yield rows.drop_columns(["_pos", "_part"]), rows.column("_pos").combine_chunks()
                del bucket
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def link_events(self, map_parts: Callable = map) -> tuple[int, int]:
        """Link the waiting actions into events a part at a time, write the events part by part (by case within a
        part) and then the actions, in input order, with their event and case ids; returns (events, cases).
        ``map_parts`` maps :func:`_link_part` over the parts, results in order (:meth:`Extraction.imap`: in the
        workers).

        The parts give the events of linking all at once (tested), with the memory of one bucket of parts (see
        :meth:`_split`) and of linking one part (about :attr:`LINK_ROWS` actions) instead of all.
        """
        self._write_articles()
        self.writers["errors"].write(to_arrow(pd.DataFrame(self.article_errors, columns=ERROR_COLUMNS), ERROR_COLUMNS))
        self.spill.close()
        n_events = n_cases = linked_rows = 0
        n_parts = max(1, -(-self.spill.rows // self.LINK_ROWS))
        # Each action's two ids wait in a file at its position in the spill, not in memory (unlinked at once,
        # read back in input order below): held, they were some 130 bytes an action.
        with tempfile.TemporaryFile(dir=Path(self.spill.tmp).parent) as ids:
            os.ftruncate(ids.fileno(), self.spill.rows * 2 * ID_LENGTH)
            parts = self._parts(n_parts)
            wheres: deque[pa.Array] = deque()  # the positions of the parts out for linking, in order

            def out_for_linking() -> Iterator[pa.Table]:
                for part, where in parts:
                    wheres.append(where)
                    yield part

            for event_ids, case_ids, events, errors in map_parts(_link_part, out_for_linking()):
                _put_ids(ids.fileno(), wheres.popleft().to_numpy(), event_ids, case_ids)
                linked_rows += len(event_ids)
                self.writers["events"].write(events)
                n_events += events.num_rows
                n_cases += pc.count_distinct(events.column("case_id")).as_py()  # no case spans two parts (see _keys)
                self.writers["errors"].write(errors)
                self.invalid.update(zip(errors.column("table").to_pylist(), errors.column("row_id").to_pylist(),
                                        strict=True))
            if linked_rows != self.spill.rows:  # every action is in exactly one part; else ids would be missing
                raise RuntimeError(f"linked {linked_rows} actions of {self.spill.rows}")
            start = 0
            for batch in self._spilled():  # input order
                table = pa.Table.from_batches([batch]).drop_columns([f.name for f in self.SPILL_FIELDS])
                for name, column in zip(("event_id", "case_id"), _get_ids(ids.fileno(), start, batch.num_rows),
                                        strict=True):
                    table = table.set_column(table.schema.get_field_index(name), name, column)
                start += batch.num_rows
                self.writers["actions"].write(table)
        self.spill.abort()  # a temporary file, never renamed into place
        return n_events, n_cases

    def fail(self, failures: dict[str, str]) -> None:
        """Mark articles ``failed`` whose rows may be written already (they were ok when read)."""
        self.failed.update(failures)

    def commit(self) -> None:
        if self.failed:
            self.writers["articles"] = _rewrite_failed(self.writers["articles"], self.failed)
        for w in self.writers.values():
            w.commit()

    def abort(self) -> None:
        for w in (*self.writers.values(), self.spill):
            w.abort()


def _rewrite_failed(old: TableWriter, failed: dict[str, str]) -> TableWriter:
    """The articles table with the rows of ``failed`` (article id -> error) marked ``failed``, in a new writer.

    The articles' rows are written as they are read, before their extraction ends: the rare article that failed
    after that has its row rewritten here, once at the end, rather than every row waiting for its extraction."""
    old.close()
    new = TableWriter(old.path, old.schema)
    ids = pa.array(sorted(failed), pa.string())
    status, error = old.schema.get_field_index("status"), old.schema.get_field_index("error")
    try:
        for batch in pq.ParquetFile(old.tmp).iter_batches(batch_size=5_000, use_threads=False):
            table = pa.Table.from_batches([batch])
            hit = pc.is_in(table.column("article_id"), value_set=ids)
            if pc.any(hit).as_py():
                errors = pa.array([failed.get(i) for i in table.column("article_id").to_pylist()], pa.string())
                table = table.set_column(status, "status", pc.if_else(hit, FAILED, table.column("status")))
                table = table.set_column(error, "error", pc.if_else(hit, errors, table.column("error")))
            new.write(table)
    except BaseException:
        new.abort()
        raise
    old.abort()
    return new


def _link_part(part: pa.Table) -> tuple[list, list, pa.Table, pa.Table]:
    """The event and case id of each of a part's actions (in its order), and the part's events and errors tables:
    :func:`pipeline.events.link_events` on actions that carry their article's date and URL (``_published``,
    ``_url``). Arrow in and out, so that it can run in a worker."""
    frame = part.to_pandas()
    meta = frame[["article_id", "_published", "_url"]].drop_duplicates("article_id").rename(
        columns={"_published": "published", "_url": "url"})
    linked, events, errors = link_events(frame.drop(columns=["_published", "_url"]), meta)
    return (linked["event_id"].tolist(), linked["case_id"].tolist(), to_arrow(events, EVENT_COLUMNS),
            to_arrow(pd.DataFrame(errors, columns=ERROR_COLUMNS), ERROR_COLUMNS))


def _put_ids(fd: int, positions: np.ndarray, event_ids: Iterable, case_ids: Iterable) -> None:
    """Write actions' event and case ids into file ``fd`` at their positions (sorted): ``2 * ID_LENGTH`` bytes an
    action, a missing id as zeros; :func:`_get_ids` reads them back.

    >>> with tempfile.TemporaryFile() as f:
    ...     _put_ids(f.fileno(), np.array([0, 2, 3]), ["e" * 16, None, "f" * 16], ["c" * 16, "d" * 16, "d" * 16])
    ...     events, cases = _get_ids(f.fileno(), 0, 4)
    >>> (events.to_pylist() == ["e" * 16, None, None, "f" * 16],
    ...  cases.to_pylist() == ["c" * 16, None, "d" * 16, "d" * 16])
    (True, True)
    """
    if not len(positions):
        return
    text = np.array([(e if isinstance(e, str) else "", c if isinstance(c, str) else "")
                     for e, c in zip(event_ids, case_ids, strict=True)], dtype=str).reshape(-1, 2)
    if text.dtype.itemsize > 4 * ID_LENGTH:  # numpy would cut a longer id short without a word
        raise ValueError(f"an event or case id is longer than {ID_LENGTH} characters")
    data = text.astype(f"S{ID_LENGTH}")
    breaks = np.flatnonzero(np.diff(positions) != 1) + 1  # one write per run of consecutive positions
    for lo, hi in zip(np.r_[0, breaks], np.r_[breaks, len(positions)], strict=True):
        chunk = data[lo:hi].tobytes()
        if os.pwrite(fd, chunk, int(positions[lo]) * 2 * ID_LENGTH) != len(chunk):
            raise OSError(f"short write of event ids at position {positions[lo]}")


def _get_ids(fd: int, start: int, n: int) -> tuple[pa.Array, pa.Array]:
    """The event and case ids :func:`_put_ids` wrote for positions ``start`` to ``start + n``."""
    raw = os.pread(fd, n * 2 * ID_LENGTH, start * 2 * ID_LENGTH)
    ids = np.frombuffer(raw, dtype=f"S{ID_LENGTH}").reshape(n, 2)  # numpy drops the zeros of a missing id
    return tuple(pa.array([x.decode() or None for x in ids[:, k]], pa.string()) for k in (0, 1))


def _unchanged(out: Path, manifest: dict, engine: str, inputs: Inputs) -> bool:
    """The last completed run had these very inputs (same bytes) and this engine, and its tables are intact."""
    if manifest.get("engine") != engine or "summary" not in manifest or not inputs.same_as_last():
        return False
    return all((out / f"{name}.parquet").exists() and file_sha256(out / f"{name}.parquet") == info.get("sha256")
               for name, info in manifest.get("tables", {}).items())


def _schema(columns: list[str]) -> pa.Schema:
    return to_arrow(pd.DataFrame(columns=columns), columns).schema
