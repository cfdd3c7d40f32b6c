"""One pipeline run: read inputs, extract, validate, write the tables. The CLI and the tests call :func:`run`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .events import EVENT_COLUMNS, link_events
from .extract import Extractor
from .ingest import read_paths
from .nlp import build_nlp
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
    events: int = 0
    cases: int = 0
    invalid_rows: int = 0
    files: list[Path] = field(default_factory=list)


def extract_articles(articles: list[Article], batch_size: int = 16,
                     progress: Callable[[int], None] | None = None) -> tuple[list[Action], list[Mention]]:
    """Actions and mentions of the ``ok`` articles, running the model once over them as a stream."""
    rules = load_rules()
    nlp, extractor = build_nlp(rules), Extractor(rules)
    ok = [a for a in articles if a.status == OK]
    actions: list[Action] = []
    mentions: list[Mention] = []
    for art, doc in zip(ok, nlp.pipe((a.text for a in ok), batch_size=batch_size)):
        acts, ments = extractor(doc, art)
        actions.extend(acts)
        mentions.extend(ments)
        if progress:
            progress(1)
    return actions, mentions


def run(paths: Iterable[Path], out: Path, progress: Callable[[int], None] | None = None) -> Summary:
    """Process ``paths`` (files or folders) and write articles/actions/mentions/errors Parquet files into ``out``."""
    out = Path(out)
    articles = list(read_paths([Path(p) for p in paths], exclude=[out]))
    summary = Summary(inputs=len(articles), by_status=Counter(a.status for a in articles))
    actions, mentions = extract_articles(articles, progress=progress)
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
    # Events and cases (pipeline/events.py), once the actions table is final: ids onto actions, events.parquet.
    frames["actions"], frames["events"], event_errors = link_events(frames["actions"], frames["articles"])
    errors.extend(event_errors)
    columns = {"articles": ARTICLE_COLUMNS, "actions": ACTION_COLUMNS, "mentions": MENTION_COLUMNS,
               "events": EVENT_COLUMNS}
    for name, df in frames.items():
        path = out / f"{name}.parquet"
        write_parquet(to_arrow(df, columns[name]), path)
        summary.files.append(path)
    err_path = out / "errors.parquet"
    write_parquet(to_arrow(pd.DataFrame(errors, columns=ERROR_COLUMNS), ERROR_COLUMNS), err_path)
    summary.files.append(err_path)
    summary.actions = len(frames["actions"])
    summary.mentions = len(frames["mentions"])
    summary.events, summary.cases = len(frames["events"]), frames["events"]["case_id"].nunique()
    summary.invalid_rows = len({(e["table"], e["row_id"]) for e in errors})
    return summary
