"""One pipeline run: read inputs, extract, validate, write the tables. The CLI and the tests call :func:`run`."""

from __future__ import annotations

import dataclasses
import multiprocessing
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path

import pandas as pd
import pyarrow as pa

from .events import EVENT_COLUMNS, link_events
from .extract import Extractor
from .ingest import Limits, discover, mark_duplicates, read_file
from .nlp import FocusedNER, build_nlp
from .records import OK, Action, Article, Mention
from .rules import load_rules
from .state import FORMAT, State, engine_fingerprint, extract_id_for, file_sha256, read_id_for
from .validate import split_valid
from .write import (ACTION_COLUMNS, ARTICLE_COLUMNS, MENTION_COLUMNS, TableWriter, actions_frame, articles_frame,
                    mentions_frame, to_arrow)

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
#               an appeal, or a word that dates a decision ("adopted in April"), each with 8 tokens of padding so
#               that the entities found are exactly those of the full text (pipeline.nlp.FocusedNER). A text of
#               400 tokens or fewer goes whole. On the team corpus this gives make eval's figures (one action and
#               one target more than "stories"), with NER on about a quarter of the benchmark's words.
#   "stories"   on the whole text of every article in which an action can be found, and nowhere else.
#   "all"       on every article: the mentions table in full (the two others leave the target and model-found
#               date mentions of the text they skip out of mentions.parquet; actions never need them).
NER_SCOPES = ("sentences", "stories", "all")
WORKER_BATCH = 16  # articles per task: one model batch; small tasks keep two workers evenly loaded to the end

_worker: tuple | None = None  # this process's (nlp, ner, extractor, batch_size, scope), built by _init_worker


def _init_worker(scope: str, batch_size: int) -> None:
    global _worker  # the scope was checked by Extraction, which starts every worker
    rules = load_rules()
    nlp = build_nlp(rules, defer_ner=True)
    ner = nlp.get_pipe("ner") if scope != "sentences" else FocusedNER(nlp.get_pipe("ner"), context=0,
                                                                       decided=rules.lexicon("decided"))
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


class Extraction:
    """The model and extractor of a run, set up once: in this process, or in ``workers`` processes that each load
    the model once and take batches of articles in turn. Call it on articles as often as needed; close it after.

    Results come back in input order, so the tables are the same whatever the number of workers. At most two
    batches per worker are in flight, so the input is read as the workers go, never all at once.
    """

    def __init__(self, workers: int = 1, ner_scope: str = "sentences", batch_size: int = 16):
        if ner_scope not in NER_SCOPES:
            raise ValueError(f"unknown NER scope {ner_scope!r} (expected one of {', '.join(NER_SCOPES)})")
        self.workers, self.pool = workers, None
        if workers > 1:
            # fork where there is one: workers start without re-importing spaCy; each builds its own pipeline
            ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
            self.pool = ctx.Pool(workers, initializer=_init_worker, initargs=(ner_scope, batch_size))
        else:
            _init_worker(ner_scope, batch_size)

    def __call__(self, articles: Iterable[Article],
                 progress: Callable[[int], None] | None = None) -> tuple[list[Action], list[Mention]]:
        ok = (a for a in articles if a.status == OK)
        actions: list[Action] = []
        mentions: list[Mention] = []
        if self.pool is None:
            for batch in _batches(ok, WORKER_BATCH):
                acts, ments = _extract_batch(batch)
                actions.extend(acts)
                mentions.extend(ments)
                if progress:
                    progress(len(batch))
            return actions, mentions
        pending: deque = deque()
        for batch in _batches(ok, WORKER_BATCH):
            pending.append((self.pool.apply_async(_extract_batch, (batch,)), len(batch)))
            if len(pending) >= 2 * self.workers:
                _collect(pending.popleft(), actions, mentions, progress)
        while pending:
            _collect(pending.popleft(), actions, mentions, progress)
        return actions, mentions

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool.join()
            self.pool = None

    def __enter__(self) -> Extraction:
        return self

    def __exit__(self, *exc) -> None:
        if exc[0] is None:
            self.close()
        elif self.pool is not None:
            self.pool.terminate()


def extract_articles(articles: Iterable[Article], batch_size: int = 16,
                     progress: Callable[[int], None] | None = None, workers: int = 1,
                     ner_scope: str = "sentences") -> tuple[list[Action], list[Mention]]:
    """Actions and mentions of the ``ok`` articles (see :class:`Extraction`; ``ner_scope``: :data:`NER_SCOPES`)."""
    with Extraction(workers, ner_scope, batch_size) as extraction:
        return extraction(articles, progress)


def _collect(item, actions: list[Action], mentions: list[Mention], progress) -> None:
    result, n = item
    acts, ments = result.get()
    actions.extend(acts)
    mentions.extend(ments)
    if progress:
        progress(n)


@dataclass
class _Input:
    """One discovered input file and the shards that hold what it gave."""

    source: str
    read_id: str | None  # None when the file could not be hashed (unreadable): read again on every run
    ok_positions: list[int] = field(default_factory=list)  # its articles still ok once duplicates are marked
    extract_id: str | None = None
    fresh: list[Article] | None = None  # articles of an unreadable input, kept in memory instead of a shard
    fresh_tables: dict[str, pa.Table] | None = None


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


def run(paths: Iterable[Path], out: Path, progress: Callable[[int], None] | None = None, *, full: bool = False,
        limits: Limits = Limits(), batch_articles: int = 64, workers: int = 1, ner_scope: str = "sentences") -> Summary:
    """Process ``paths`` (files or folders) and write articles/actions/mentions/errors Parquet files into ``out``.

    Incremental: inputs whose bytes were read before (by this same code, rules and limits) are taken from the
    shards in ``out/state`` instead of being read and extracted again, and the tables are reassembled from the
    shards of the inputs present now, so they equal what a full recomputation (``full=True``) writes. Steps:
    discover, fingerprint, read the new inputs into read shards, mark duplicates across all inputs, extract the
    ok articles that have no extraction shard yet (``batch_articles`` at a time), assemble the five tables
    row group by row group into temporary files, rename them into place, then record the run in the manifest.
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
        cached = manifest.get("inputs", {})

        # 1. Discover and read: only inputs whose (path, bytes, engine) have no read shard are read.
        inputs: list[_Input] = []
        seen_inputs: dict[str, dict] = {}
        for path in discover([Path(p) for p in paths], exclude=[out]):
            source = str(path)
            fp = _fingerprint(path, cached.get(source))
            if fp is None:
                inputs.append(_Input(source, None, fresh=list(read_file(path, limits=limits))))
                summary.read_files += 1
                continue
            seen_inputs[source] = fp
            item = _Input(source, read_id_for(engine, source, fp["sha256"]))
            if state.has_read(item.read_id):
                summary.reused_files += 1
            else:
                state.save_read(item.read_id, list(read_file(path, limits=limits)))
                summary.read_files += 1
            inputs.append(item)
        summary.input_files = len(inputs)
        summary.dropped_files = len(set(cached) - set(seen_inputs))
        if not full and _unchanged(out, manifest, engine, inputs, seen_inputs):
            # Same inputs, same engine, and the tables on disk are the ones the last run wrote: nothing to redo.
            done = manifest["summary"]
            summary.by_status = Counter(manifest["by_status"])
            summary.inputs, summary.actions, summary.mentions = done["inputs"], done["actions"], done["mentions"]
            summary.events, summary.cases, summary.invalid_rows = done["events"], done["cases"], done["invalid_rows"]
            summary.files = [out / f"{name}.parquet" for name in manifest["tables"]]
            return summary

        def articles_of(item: _Input) -> list[Article]:
            return item.fresh if item.fresh is not None else state.load_read(item.read_id)

        # 2. Duplicates depend on every input, so which articles are ok is decided across all of them.
        first_source: dict[str, str] = {}
        for item in inputs:
            marked = list(mark_duplicates(articles_of(item), first_source))
            item.ok_positions = [i for i, a in enumerate(marked) if a.status == OK]
            if item.ok_positions and item.read_id is not None:
                item.extract_id = extract_id_for(item.read_id, item.ok_positions)

        # 3. Extract what has no shard yet, a batch of articles at a time; each input's shard is written whole.
        pending: list[tuple[_Input, list[Article]]] = []
        extraction: Extraction | None = None  # the model is loaded only when something needs extracting

        def flush() -> None:
            nonlocal extraction
            if extraction is None:
                extraction = Extraction(workers, ner_scope)
            batch = [a for _, arts in pending for a in arts]
            actions, mentions = extraction(batch, progress=progress)
            acts, ments, errs = validated_extraction(batch, actions, mentions)
            for item, arts in pending:
                ids = [a.article_id for a in arts]
                tables = {"actions": to_arrow(acts[acts.article_id.isin(ids)], ACTION_COLUMNS),
                          "mentions": to_arrow(ments[ments.article_id.isin(ids)], MENTION_COLUMNS),
                          "errors": to_arrow(errs[errs.article_id.isin(ids)], ERROR_COLUMNS)}
                if item.extract_id is None:
                    item.fresh_tables = tables
                else:
                    state.save_extract(item.extract_id, tables)
            pending.clear()

        try:
            for item in inputs:
                if not item.ok_positions or (item.extract_id is not None and state.has_extract(item.extract_id)):
                    continue
                arts = articles_of(item)
                pending.append((item, [arts[i] for i in item.ok_positions]))
                if sum(len(a) for _, a in pending) >= batch_articles * max(1, workers):
                    flush()
            if pending:
                flush()
        finally:
            if extraction is not None:
                extraction.close()

        # 4. Assemble the tables from the shards, in input order, into temporary files; then rename them.
        schemas = {"articles": _schema(ARTICLE_COLUMNS), "actions": _schema(ACTION_COLUMNS),
                   "mentions": _schema(MENTION_COLUMNS), "errors": _schema(ERROR_COLUMNS),
                   "events": _schema(EVENT_COLUMNS)}
        writers = {name: TableWriter(out / f"{name}.parquet", schema) for name, schema in schemas.items()}
        try:
            first_source = {}
            invalid: set[tuple[str, str]] = set()
            rows: list[Article] = []
            chars = 0
            meta: list[tuple[str, object, str | None]] = []  # (article_id, published, url) for events; no text

            def write_articles() -> None:
                # validated thousands of rows at a time: pandera's cost is per call, memory is per row
                frame, errs = split_valid("articles", articles_frame(rows))
                writers["articles"].write(to_arrow(frame, ARTICLE_COLUMNS))
                writers["errors"].write(to_arrow(pd.DataFrame(errs, columns=ERROR_COLUMNS), ERROR_COLUMNS))
                invalid.update((e["table"], e["row_id"]) for e in errs)
                rows.clear()

            for item in inputs:
                marked = list(mark_duplicates(articles_of(item), first_source))
                summary.by_status.update(a.status for a in marked)
                meta.extend((a.article_id, a.published, a.url) for a in marked if a.status == OK)
                rows.extend(marked)
                chars += sum(a.n_chars for a in marked)
                if len(rows) >= 20_000 or chars >= 50_000_000:
                    write_articles()
                    chars = 0
            write_articles()
            action_tables: list[pa.Table] = []
            for item in inputs:
                if not item.ok_positions:
                    continue
                for name in ("actions", "mentions", "errors"):
                    table = (item.fresh_tables[name] if item.extract_id is None
                             else state.load_extract(item.extract_id, name))
                    if name == "actions":
                        action_tables.append(table)  # held back: events link actions across all articles
                        if len(action_tables) >= 256:  # one small table an input costs more than its rows
                            action_tables = [pa.concat_tables(action_tables).combine_chunks()]
                    else:
                        writers[name].write(table)
                    if name == "errors":
                        invalid |= set(zip(table.column("table").to_pylist(), table.column("row_id").to_pylist()))
            # 4b. Events and cases (pipeline/events.py) span articles, so they need every action at once; actions
            # are a few rows an article, so this holds no article text in memory.
            actions = (pa.concat_tables(action_tables).to_pandas() if action_tables
                       else pd.DataFrame(columns=ACTION_COLUMNS))
            published = pd.DataFrame(meta, columns=["article_id", "published", "url"])
            actions, events, event_errors = link_events(actions, published)
            writers["actions"].write(to_arrow(actions, ACTION_COLUMNS))
            writers["events"].write(to_arrow(events, EVENT_COLUMNS))
            writers["errors"].write(to_arrow(pd.DataFrame(event_errors, columns=ERROR_COLUMNS), ERROR_COLUMNS))
            invalid.update((e["table"], e["row_id"]) for e in event_errors)
            summary.events, summary.cases = len(events), events["case_id"].nunique()
            for name in ("articles", "actions", "mentions", "errors", "events"):
                writers[name].commit()
                summary.files.append(writers[name].path)
        except BaseException:
            for w in writers.values():
                w.abort()
            raise
        summary.inputs = writers["articles"].rows + sum(1 for t, _ in invalid if t == "articles")
        summary.actions, summary.mentions = writers["actions"].rows, writers["mentions"].rows
        summary.invalid_rows = len(invalid)

        # 5. Record the run; shards no input uses any more (deleted or changed files) go.
        state.save_manifest({
            "format": FORMAT, "engine": engine, "limits": dataclasses.asdict(limits),
            "completed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "inputs": {s: {**fp, "read_id": read_id_for(engine, s, fp["sha256"])} for s, fp in seen_inputs.items()},
            "input_files": summary.input_files,  # inputs above, plus unreadable files (they have no fingerprint)
            "by_status": dict(sorted(summary.by_status.items())),
            "tables": {name: {"rows": w.rows, "sha256": file_sha256(w.path)} for name, w in writers.items()},
            "summary": {"inputs": summary.inputs, "actions": summary.actions, "mentions": summary.mentions,
                        "events": summary.events, "cases": int(summary.cases), "invalid_rows": summary.invalid_rows},
        })
        state.collect_garbage([i.read_id for i in inputs if i.read_id],
                              [i.extract_id for i in inputs if i.extract_id])
    return summary


def _unchanged(out: Path, manifest: dict, engine: str, inputs: list[_Input], seen: dict[str, dict]) -> bool:
    """The last completed run had these very inputs (same bytes) and this engine, and its tables are intact."""
    if manifest.get("engine") != engine or "summary" not in manifest or any(i.read_id is None for i in inputs):
        return False
    if {s: fp["sha256"] for s, fp in seen.items()} != {s: v.get("sha256") for s, v in manifest.get("inputs", {}).items()}:
        return False
    return all((out / f"{name}.parquet").exists() and file_sha256(out / f"{name}.parquet") == info.get("sha256")
               for name, info in manifest.get("tables", {}).items())


def _schema(columns: list[str]) -> pa.Schema:
    return to_arrow(pd.DataFrame(columns=columns), columns).schema
