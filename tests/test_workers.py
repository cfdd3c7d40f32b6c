"""Two worker processes give the same tables as one: order, ids and values. So do the memory bounds of a long
run: new worker processes every few articles, and events linked a few actions at a time."""

import pandas as pd
import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def two_worker_run(tmp_path_factory):
    from pipeline import run as module

    out = tmp_path_factory.mktemp("two_workers")
    with pytest.MonkeyPatch.context() as mp:  # workers are forked after this: they see the small bounds too
        mp.setattr(module, "WORKER_LIFE", 16)  # a new worker process for every batch of 16 articles
        mp.setattr(module._Assembly, "LINK_ROWS", 20)  # the corpus's 172 actions: events linked in 9 parts,
        mp.setattr(module._Assembly, "BUCKETS", 4)  # split into 4 files, so that parts share a file
        mp.setattr(module, "READ_AHEAD", 32)  # groups of 16 articles: two read while the workers start, then wait
        module.run([ROOT / "corpus" / "articles"], out, workers=2, batch_articles=8)
    return out


@pytest.mark.parametrize("table", ["articles", "actions", "mentions", "errors"])
def test_two_workers_write_the_same_tables_as_one(corpus_run, two_worker_run, table):
    _, one = corpus_run
    pd.testing.assert_frame_equal(pd.read_parquet(two_worker_run / f"{table}.parquet"), one[table])


def test_events_linked_in_parts_are_the_events_linked_at_once(corpus_run, two_worker_run):
    _, one = corpus_run
    parts = pd.read_parquet(two_worker_run / "events.parquet")
    assert parts["case_id"].nunique() < len(parts)  # the corpus has cases of several events: something to split

    def by_id(df):  # their order: by bucket, part, then case
        return df.sort_values("event_id", ignore_index=True)

    pd.testing.assert_frame_equal(by_id(parts), by_id(one["events"]))


def test_a_long_run_reloads_the_model_and_writes_the_same_tables(corpus_run, tmp_path, monkeypatch):
    from pipeline import run as module

    monkeypatch.setattr(module, "REFRESH_ARTICLES", 10)
    loads, init = [], module._init_worker
    monkeypatch.setattr(module, "_init_worker", lambda *a: (loads.append(a), init(*a)))
    module.run([ROOT / "corpus" / "articles"], tmp_path)
    assert len(loads) == 4  # 60 articles in batches of 16: set up, then reloaded before batches 2, 3 and 4
    _, one = corpus_run
    for table in ("actions", "mentions", "events"):  # one part: the same order too
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / f"{table}.parquet"), one[table])


def test_cli_rejects_an_unknown_engine(tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app

    result = CliRunner().invoke(app, ["run", str(ROOT / "corpus" / "articles"), "--out", str(tmp_path),
                                      "--engine", "spark"])
    assert result.exit_code == 2


def test_workers_start_with_the_model_the_fork_server_loaded():
    import importlib

    from pipeline import nlp, run

    importlib.import_module("pipeline.preload")  # what the fork server imports before forking workers
    run.prepare_worker()  # the same again, if the module was imported before
    hits = nlp.build_nlp.cache_info().hits
    run._init_worker("sentences", 16)  # a worker's start: the model comes from the cache, not from disk
    assert nlp.build_nlp.cache_info().hits == hits + 1


def test_a_run_that_fails_while_its_workers_start_stops_them(tmp_path, monkeypatch):
    import threading

    from pipeline import run as module

    read = module.read_file
    calls = []

    def fail_on_the_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk gone")
        return read(*args, **kwargs)

    monkeypatch.setattr(module, "read_file", fail_on_the_third)
    with pytest.raises(OSError, match="disk gone"):
        module.run([ROOT / "corpus" / "articles"], tmp_path, workers=2)
    assert not [t for t in threading.enumerate() if t.name.startswith("starting-workers")]
    assert not (tmp_path / "actions.parquet").exists()
