"""The fuzzer (pipeline/fuzz.py) in small: 300 hurt inputs of every format pass its four checks, its checks can
fail, and a run over its inputs killed with SIGKILL at a random point is finished by the next run exactly."""

import random
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from pipeline import fuzz
from pipeline.run import run

TABLES = ("articles", "actions", "mentions", "errors", "events")


@pytest.fixture(scope="module")
def small_fuzz(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    return folder, fuzz.fuzz(300, seed=20261204, folder=folder, workers=1)


def test_300_hurt_inputs_of_every_format_pass_the_four_checks(small_fuzz):
    folder, report = small_fuzz
    assert report.ok, str(report)
    assert report.exit_code == 0 and report.rows >= report.inputs
    names = [p.name for p in (folder / "inputs").iterdir()]
    assert {n.split(".", 1)[1] for n in names} == set(fuzz.FORMATS)
    # the run met both good and bad input: articles to extract, and most ways of being rejected
    assert report.by_status["ok"] > 50
    assert {"malformed", "empty", "undecodable", "unsupported_format"} <= set(report.by_status)


def test_the_checks_fail_when_a_row_or_an_error_is_missing(small_fuzz, tmp_path):
    folder, _ = small_fuzz
    paths = sorted((folder / "inputs").iterdir())
    arts = pd.read_parquet(folder / "out" / "articles.parquet")
    out = tmp_path / "out"
    out.mkdir()
    for t in TABLES[1:]:
        (out / f"{t}.parquet").write_bytes((folder / "out" / f"{t}.parquet").read_bytes())
    hurt = arts[arts.container.fillna(arts.source) != str(paths[0])].copy()  # the first input's rows are gone
    hurt.loc[hurt.index[hurt.status != "ok"][0], "error"] = None  # and a rejected row lost its error
    hurt.to_parquet(out / "articles.parquet")
    problems = fuzz.check(paths, out, 5, "error: 1 articles failed (--strict)").problems
    assert "exited 5" in problems[0] and str(paths[0]) in problems[1] and "no error" in problems[2]
    assert any("a rejected article needs an error" in p for p in problems[3:])  # the table's schema too


def test_the_same_seed_makes_the_same_inputs(tmp_path):
    a = fuzz.generate(tmp_path / "a", 40, seed=7)
    b = fuzz.generate(tmp_path / "b", 40, seed=7)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    c = fuzz.generate(tmp_path / "c", 40, seed=8)
    assert [p.read_bytes() for p in a] != [p.read_bytes() for p in c]


def test_a_fuzz_run_killed_at_a_random_point_is_finished_by_the_next_run_exactly(tmp_path):
    paths = fuzz.generate(tmp_path / "in", 40, seed=17)
    run([tmp_path / "in"], tmp_path / "ref")  # uninterrupted
    rng = random.Random(17)
    out = tmp_path / "out"
    shards = out / "state" / "read"
    at = rng.randint(1, len(paths) - 1)  # the kill comes once this many inputs are read (and some extracted)
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "run", str(tmp_path / "in"), "--out", str(out), "-q",
                             "--batch-articles", "2", "--strict"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if shards.exists() and sum(1 for _ in shards.iterdir()) >= at:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.002)
    assert proc.wait() == -signal.SIGKILL, "the run finished before the kill"
    run([tmp_path / "in"], out)  # the next run
    for t in TABLES:
        pd.testing.assert_frame_equal(pd.read_parquet(out / f"{t}.parquet"),
                                      pd.read_parquet(tmp_path / "ref" / f"{t}.parquet"), check_exact=True, obj=t)
