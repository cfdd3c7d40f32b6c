"""The Dask engine (``run --engine dask``): the same stages on dask.distributed, writing partitioned Parquet.

The driver lists the input files (as the local run does, in the same order) and cuts the list into partitions of
:data:`FILES_PER_PARTITION` files. Each partition is a task that runs on a worker: read the files, extract with the
worker's model (loaded once per worker process and kept, never per task or article), validate, and write its rows
as ``part-NNNNN.parquet`` in one folder per table (``OUT/actions/part-00000.parquet`` ...). pandas, DuckDB and
Spark read such a folder as one table.

A later copy of a text already seen is a duplicate in the local run, whichever file it is in. To keep that across
partitions without holding any text on the driver, the run has two passes: the workers first return only the
content ids of their files' ok articles, the driver picks the first source of each id in input order, and the
second pass marks the later copies while extracting. Reading is cheap next to the model.

Inputs and the output folder must be paths that every worker can read and write: the same local disk on one
machine, or a shared file system (NFS and the like) on a cluster.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

import pandas as pd

from .ingest import Limits, discover, read_file
from .records import OK, Article, stable_id

FILES_PER_PARTITION = 64  # a task: enough articles to batch the model well, few enough to spread and to retry


def _read(files: list[str], limits: Limits) -> list[Article]:
    return [art for f in files for art in read_file(Path(f), limits=limits)]


def _ids(files: list[str], limits: Limits) -> list[tuple[str, str]]:
    """(article_id, source) of the ok articles of a partition, in input order."""
    return [(a.article_id, a.source) for a in _read(files, limits) if a.status == OK]


def _mark_duplicates(articles: list[Article], first: dict[str, str]) -> list[Article]:
    # As ingest.mark_duplicates marks them, but against the first sources of all partitions: a later copy of a text gets its own id and says which source it copies.
    out = []
    for art in articles:
        if art.status == OK and first.get(art.article_id, art.source) != art.source:
            art = replace(art, status="duplicate", article_id=stable_id(art.article_id, art.source),
                          duplicate_of=art.article_id,
                          error=f"same text as {first[art.article_id]} (article_id {art.article_id})")
        out.append(art)
    return out


def _partition(files: list[str], first: dict[str, str], out: str, part: int, ner_scope: str, limits: Limits) -> dict:
    """One task: read, extract, validate and write one partition; returns its counts for the summary."""
    from .run import ERROR_COLUMNS, validated_extraction, extract_articles
    from .validate import split_valid
    from .write import ACTION_COLUMNS, ARTICLE_COLUMNS, MENTION_COLUMNS, articles_frame, to_arrow, write_parquet

    articles = _mark_duplicates(_read(files, limits), first)
    failed: dict[str, str] = {}
    actions, mentions = extract_articles(articles, ner_scope=ner_scope, failed=failed)  # model cached in this worker
    articles = [replace(a, status="failed", error=failed[a.article_id]) if a.article_id in failed else a for a in articles]
    # the same checks as the local run's, in the same place
    arts, art_errors = split_valid("articles", articles_frame(articles))
    acts, ments, errors = validated_extraction(articles, actions, mentions)
    errors = pd.concat([pd.DataFrame(art_errors, columns=ERROR_COLUMNS), errors], ignore_index=True)
    frames = {"articles": (arts, ARTICLE_COLUMNS), "actions": (acts, ACTION_COLUMNS),
              "mentions": (ments, MENTION_COLUMNS), "errors": (errors, ERROR_COLUMNS)}
    for name, (df, columns) in frames.items():
        write_parquet(to_arrow(df, columns), Path(out) / name / f"part-{part:05d}.parquet")
    return {"articles": len(articles), "by_status": Counter(a.status for a in articles),
            "actions": len(acts), "mentions": len(ments),
            "invalid_rows": len(set(zip(errors["table"], errors["row_id"])))}


def run_dask(paths: Iterable[Path], out: Path, scheduler: str | None = None, workers: int = 2,
             ner_scope: str = "sentences", progress: Callable[[int], None] | None = None,
             files_per_partition: int = FILES_PER_PARTITION, limits: Limits = Limits()):
    """Process ``paths`` on a Dask cluster (``scheduler``: ``tcp://HOST:PORT``; else a LocalCluster of ``workers``
    single-threaded worker processes) into one Parquet folder per table under ``out``."""
    from dask.distributed import Client, LocalCluster, as_completed

    from .run import Summary

    out = Path(out).resolve()
    files = [str(p.resolve()) for p in discover([Path(p) for p in paths], exclude=[out])]
    parts = [files[i:i + files_per_partition] for i in range(0, len(files), files_per_partition)]
    for name in ("articles", "actions", "mentions", "errors", "events"):  # a rerun must not leave old parts behind
        for old in (out / name).glob("part-*.parquet"):
            old.unlink()
    # One thread per worker process: the model is not shared between threads, and processes use the cores.
    cluster = None if scheduler else LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                  host="127.0.0.1", dashboard_address=None)
    summary = Summary()
    try:
        with Client(scheduler or cluster) as client:
            first: dict[str, str] = {}
            for ids in client.gather(client.map(_ids, parts, limits=limits, pure=False)):
                for article_id, source in ids:
                    first.setdefault(article_id, source)
            first_f = client.scatter(first, broadcast=True)
            futures = [client.submit(_partition, files_, first_f, str(out), k, ner_scope, limits, pure=False)
                       for k, files_ in enumerate(parts)]
            for fut in as_completed(futures):
                res = fut.result()
                summary.inputs += res["articles"]
                summary.by_status.update(res["by_status"])
                summary.actions += res["actions"]
                summary.mentions += res["mentions"]
                summary.invalid_rows += res["invalid_rows"]
                if progress:
                    progress(res["articles"])
    finally:
        if cluster is not None:
            cluster.close()
    _link_events(out, summary)
    summary.files = [out / name for name in ("articles", "actions", "mentions", "errors", "events")]
    return summary


def _link_events(out: Path, summary) -> None:
    """Events and cases span partitions, so they are linked here, on the client, once every part is written:
    the actions parts get their event_id and case_id, and the events table is one part of its own."""
    from .events import EVENT_COLUMNS, link_events
    from .run import ERROR_COLUMNS
    from .write import ACTION_COLUMNS, to_arrow, write_parquet

    parts = sorted((out / "actions").glob("part-*.parquet"))
    frames = [pd.read_parquet(p) for p in parts]
    actions = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ACTION_COLUMNS)
    articles = read_table(out, "articles")
    meta = (articles[articles.status == OK][["article_id", "published", "url"]] if len(articles)
            else pd.DataFrame(columns=["article_id", "published", "url"]))
    linked, events, errors = link_events(actions, meta)
    ids = dict(zip(linked["action_id"], zip(linked["event_id"], linked["case_id"])))
    for path, frame in zip(parts, frames):
        frame["event_id"] = [ids.get(a, (None, None))[0] for a in frame["action_id"]]
        frame["case_id"] = [ids.get(a, (None, None))[1] for a in frame["action_id"]]
        write_parquet(to_arrow(frame, ACTION_COLUMNS), path)
    for old in (out / "events").glob("part-*.parquet"):
        old.unlink()
    write_parquet(to_arrow(events, EVENT_COLUMNS), out / "events" / "part-00000.parquet")
    if errors:
        write_parquet(to_arrow(pd.DataFrame(errors, columns=ERROR_COLUMNS), ERROR_COLUMNS),
                      out / "errors" / f"part-{len(parts):05d}-events.parquet")
    summary.events, summary.cases = len(events), events["case_id"].nunique()


def read_table(out: Path, name: str) -> pd.DataFrame:
    """One table of a Dask run as a DataFrame, in input order (the partitions' order, then the rows')."""
    parts = sorted((Path(out) / name).glob("part-*.parquet"))
    return pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True) if parts else pd.DataFrame()
