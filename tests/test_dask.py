"""--engine dask on a LocalCluster of 2 worker processes (loopback only) writes the local run's tables."""

import pandas as pd
import pytest

from conftest import ROOT

pytest.importorskip("dask.distributed")

TABLES = ["articles", "actions", "mentions", "errors"]


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
    from pipeline.distributed import read_table

    _, local = corpus_run
    summary, out = dask_run
    pd.testing.assert_frame_equal(read_table(out, table), local[table], check_dtype=table != "errors")
    assert len(list((out / table).glob("part-*.parquet"))) > 1


def test_each_table_reads_as_one_dataset(corpus_run, dask_run):
    # what pandas, DuckDB or Spark do with the folder: read every part as one table
    _, local = corpus_run
    _, out = dask_run
    actions = pd.read_parquet(out / "actions").sort_values("action_id", ignore_index=True)
    expected = local["actions"].sort_values("action_id", ignore_index=True)
    pd.testing.assert_frame_equal(actions, expected)


def test_dask_summary_counts_every_input(corpus_run, dask_run):
    local_summary, _ = corpus_run
    summary, _ = dask_run
    assert summary.by_status == local_summary.by_status and summary.actions == local_summary.actions
