"""Two worker processes give the same tables as one: order, ids and values."""

import pandas as pd
import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def two_worker_run(tmp_path_factory):
    from pipeline.run import run

    out = tmp_path_factory.mktemp("two_workers")
    run([ROOT / "corpus" / "articles"], out, workers=2)
    return out


@pytest.mark.parametrize("table", ["articles", "actions", "mentions", "errors"])
def test_two_workers_write_the_same_tables_as_one(corpus_run, two_worker_run, table):
    _, one = corpus_run
    pd.testing.assert_frame_equal(pd.read_parquet(two_worker_run / f"{table}.parquet"), one[table])


def test_cli_rejects_an_unknown_engine(tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app

    result = CliRunner().invoke(app, ["run", str(ROOT / "corpus" / "articles"), "--out", str(tmp_path),
                                      "--engine", "spark"])
    assert result.exit_code == 2
