"""--engine dask on a LocalCluster of 2 worker processes (loopback only) writes the local run's tables, in the local
run's files, so that status, export, report and the documented queries read either engine's output."""

import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import ROOT

pytest.importorskip("dask.distributed")

TABLES = ["articles", "actions", "mentions", "errors", "events"]


@pytest.fixture(scope="module")
def dask_run(tmp_path_factory):
    from dask.distributed import LocalCluster

    from pipeline.distributed import run_dask

    out = tmp_path_factory.mktemp("dask_out")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        # small partitions, so that both workers get several and duplicates must be found across partitions
        summary = run_dask([ROOT / "corpus" / "articles"], out, scheduler=cluster.scheduler_address,
                           files_per_partition=6)
    return summary, out


@pytest.mark.parametrize("table", TABLES)
def test_dask_tables_equal_the_local_run(corpus_run, dask_run, table):
    _, local = corpus_run
    _, out = dask_run
    got, expected = pd.read_parquet(out / f"{table}.parquet"), local[table]
    if table == "events":  # the local run writes them a part of the actions at a time, so in another order
        got = got.sort_values("event_id", ignore_index=True)
        expected = expected.sort_values("event_id", ignore_index=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=table != "errors")


def test_one_layout_for_both_engines(corpus_run, dask_run):
    local_summary, _ = corpus_run
    summary, out = dask_run
    local_out = local_summary.files[0].parent
    assert sorted(p.name for p in out.glob("*.parquet")) == sorted(p.name for p in local_out.glob("*.parquet"))
    assert [p.name for p in summary.files] == [p.name for p in local_summary.files]
    assert not any((out / t).exists() for t in TABLES)  # no folders of parts beside the tables
    assert not list((out / "state").glob(".*tmp*"))  # the staging parts are gone


def test_dask_summary_counts_every_input(corpus_run, dask_run):
    local_summary, _ = corpus_run
    summary, _ = dask_run
    assert summary.by_status == local_summary.by_status and summary.actions == local_summary.actions
    assert (summary.events, summary.cases) == (local_summary.events, local_summary.cases)
    assert summary.input_files == local_summary.input_files


def test_status_export_and_report_read_a_dask_run(dask_run):
    from pipeline.cli import app

    _, out = dask_run
    runner = CliRunner()
    status = runner.invoke(app, ["status", str(out)])
    assert status.exit_code == 0, status.output  # the tables are the ones the run recorded
    n = len(list((ROOT / "corpus" / "gold").glob("*.json")))  # one gold file per article of the corpus
    assert re.search(rf"articles: {n} rows", status.output) and re.search(rf"\n  ok +{n}\n", status.output)
    assert "actions: " in status.output and "is not the one" not in status.output
    exported = runner.invoke(app, ["export", str(out)])
    assert exported.exit_code == 0, exported.output
    workbook = pd.read_excel(out / "enforcement.xlsx", sheet_name=None)
    assert len(workbook["actions"]) == len(pd.read_parquet(out / "actions.parquet")) > 0
    assert (out / "csv" / "events.csv").is_file()
    report = runner.invoke(app, ["report", str(out)])
    assert report.exit_code == 0, report.output
    assert "<h2>Money owed</h2>" in (out / "report.html").read_text(encoding="utf-8")


def test_the_report_of_a_dask_run_is_the_local_runs(corpus_run, dask_run):
    from pipeline.export import read_tables
    from pipeline.report import render

    local_summary, _ = corpus_run
    _, out = dask_run
    names = ("events", "actions", "articles")
    assert render(read_tables(out, names)) == render(read_tables(local_summary.files[0].parent, names))


def test_documented_queries_give_the_same_answers_on_both_engines(corpus_run, dask_run):
    duckdb = pytest.importorskip("duckdb")
    from test_duckdb import documented_queries

    local_summary, _ = corpus_run
    _, out = dask_run
    for query in documented_queries():
        answers = [duckdb.connect().sql(query.replace("'outputs/", f"'{folder}/")).df()
                   for folder in (local_summary.files[0].parent, out)]
        pd.testing.assert_frame_equal(*answers)
