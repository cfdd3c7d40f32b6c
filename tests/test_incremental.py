"""Reruns into the same output folder: only changed inputs are read, and the tables equal a full recomputation,
also after the run was killed (SIGKILL, a real subprocess) at several points."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from make_inputs import story
from pipeline.run import run

TABLES = ("articles", "actions", "mentions", "errors", "events")


def tables(out: Path) -> dict[str, pd.DataFrame]:
    return {t: pd.read_parquet(out / f"{t}.parquet") for t in TABLES}


def assert_same_tables(a: Path, b: Path) -> None:
    ta, tb = tables(a), tables(b)
    for t in TABLES:
        pd.testing.assert_frame_equal(ta[t], tb[t], check_exact=True, obj=t)


def make_folder(d: Path, n: int = 6) -> None:
    d.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (d / f"s{i:02}.txt").write_text(f"Title: Store{i} fined\nPublished: 2023-03-0{1 + i % 9}\n\n{story(i)}\n")
    (d / "feed.jsonl").write_text("\n".join(json.dumps({"id": f"j{i}", "text": story(50 + i)}) for i in range(3)))


def test_a_rerun_reads_only_what_changed_and_equals_a_full_run(tmp_path):
    d, out = tmp_path / "in", tmp_path / "out"
    make_folder(d)
    (d / "zz_copy.txt").write_text((d / "s01.txt").read_text())  # a duplicate of s01, for now
    first = run([d], out)
    assert first.read_files == 8 and first.by_status["duplicate"] == 1

    unchanged = run([d], out)
    assert (unchanged.read_files, unchanged.reused_files, unchanged.dropped_files) == (0, 8, 0)

    (d / "s02.txt").write_text((d / "s02.txt").read_text().replace("€3 million", "€4 million"))  # changed
    (d / "s01.txt").unlink()  # gone: its copy becomes the first of its text, ok with its own actions
    (d / "s09.txt").write_text(f"Title: new\n\n{story(9)}\n")  # new
    incremental = run([d], out)
    assert (incremental.read_files, incremental.reused_files, incremental.dropped_files) == (2, 6, 1)
    arts = tables(out)["articles"]
    assert not arts.source.str.endswith("s01.txt").any()
    assert arts.set_index(arts.source.str.rsplit("/", n=1).str[-1]).at["zz_copy.txt", "status"] == "ok"
    acts = tables(out)["actions"]
    assert (acts.amount_text == "€4 million").any() and not (acts.amount_text == "€3 million").any()
    # --full computes everything from nothing: the same tables
    (tmp_path / "incremental").mkdir()
    for t in TABLES:
        (out / f"{t}.parquet").rename(tmp_path / "incremental" / f"{t}.parquet")
    full = run([d], out, full=True)
    assert full.read_files == 8 and full.reused_files == 0
    assert_same_tables(out, tmp_path / "incremental")
    assert len(list((out / "state" / "read").glob("*.arrow"))) == 8  # shards of changed or deleted inputs went


def test_a_touched_but_unchanged_file_is_not_read_again(tmp_path):
    d, out = tmp_path / "in", tmp_path / "out"
    make_folder(d, n=2)
    run([d], out)
    os.utime(d / "s00.txt", (1, 1))  # new mtime, same bytes: hashed again, same shard
    again = run([d], out)
    assert again.read_files == 0 and again.reused_files == 3

    from typer.testing import CliRunner

    from pipeline.cli import app

    assert CliRunner().invoke(app, ["status", str(out)]).exit_code == 0
    (out / "actions.parquet").write_bytes((out / "errors.parquet").read_bytes())  # as if killed between renames
    result = CliRunner().invoke(app, ["status", str(out)])
    assert result.exit_code == 1 and "actions.parquet is not the one the last completed run wrote" in result.output


def test_torn_shards_are_recomputed_not_trusted(tmp_path):
    # Shards are not fsynced (they are a cache): a power cut can leave one renamed but empty or cut short.
    d, out = tmp_path / "in", tmp_path / "out"
    make_folder(d, n=3)
    run([d], out, full=True)
    expected = tables(out)
    read_shard = sorted((out / "state" / "read").glob("*.arrow"))[0]
    read_shard.write_bytes(read_shard.read_bytes()[:100])
    extract_shard = sorted((out / "state" / "extract").iterdir())[-1] / "actions.arrow"
    extract_shard.write_bytes(b"")
    (d / "new.txt").write_text(story(9))  # a change, so the run is not skipped as unchanged
    again = run([d], out)
    assert again.read_files == 2 and again.reused_files == 3  # the new file and the torn shard's input
    assert extract_shard.stat().st_size > 0
    new = tables(out)
    for t in ("actions", "mentions"):
        kept = new[t][new[t].article_id.isin(expected[t].article_id)].reset_index(drop=True)
        pd.testing.assert_frame_equal(kept, expected[t], obj=t)


def test_a_torn_stat_cache_means_hashing_again_not_a_wrong_row(tmp_path):
    import sqlite3

    d, out = tmp_path / "in", tmp_path / "out"
    make_folder(d, n=2)
    run([d], out)
    expected = tables(out)
    (out / "state" / "inputs.sqlite").write_bytes(b"not a database " * 100)
    again = run([d], out)  # every input hashed again: same bytes, so its shards are still right
    assert again.read_files == 0 and again.reused_files == 3
    for t in TABLES:
        pd.testing.assert_frame_equal(tables(out)[t], expected[t], obj=t)
    with sqlite3.connect(out / "state" / "inputs.sqlite") as db:  # the stat cache is whole again
        assert db.execute("SELECT count(*) FROM inputs WHERE sha256 IS NOT NULL").fetchone()[0] == 3


def test_a_second_run_into_the_same_folder_is_refused_while_one_runs(tmp_path):
    from pipeline.state import Locked, State

    with State(tmp_path / "out" / "state"), pytest.raises(Locked):
        run([tmp_path], tmp_path / "out")


def _kill_when(cmd: list[str], ready, timeout: float = 120) -> bool:
    """Start ``cmd``, SIGKILL it as soon as ``ready()`` holds; False when it finished first."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if ready():
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.002)
    proc.wait()
    return False


def test_killed_runs_leave_readable_outputs_and_the_next_run_finishes_them(tmp_path):
    d, out, ref = tmp_path / "in", tmp_path / "out", tmp_path / "ref"
    make_folder(d, n=4)
    run([d], out)  # the previous outputs
    before = tables(out)
    for i in range(4, 10):  # then new inputs arrive
        (d / f"s{i:02}.txt").write_text(f"Title: Store{i} fined\n\n{story(i)}\n")
    (d / "s00.txt").unlink()
    run([d], ref)  # what an uninterrupted run writes

    cmd = [sys.executable, "-m", "pipeline", "run", str(d), "--out", str(out), "-q", "--batch-articles", "2"]
    read_dir, extract_dir = out / "state" / "read", out / "state" / "extract"
    n_read = len(list(read_dir.iterdir()))
    n_extract = len(list(extract_dir.iterdir()))
    points = {
        "while reading": lambda: len(list(read_dir.iterdir())) > n_read,
        "while extracting": lambda: len(list(extract_dir.iterdir())) > n_extract + 1,
        "while writing the tables": lambda: any(out.glob(".*.parquet.*.tmp")),
    }
    killed = []
    for name, ready in points.items():
        if _kill_when(cmd, ready):
            killed.append(name)
        for t, df in tables(out).items():  # readable after every kill: the old tables or the new ones
            assert df.columns.tolist() == before[t].columns.tolist()
    assert killed, "the run finished before any kill point"
    run([d], out, batch_articles=2)  # the next run (in this process, where the model is loaded already)
    assert_same_tables(out, ref)
    assert not list(out.glob(".*.tmp")) and not list(extract_dir.glob(".*"))


def test_an_unchanged_rerun_rewrites_nothing_and_reports_the_same(tmp_path):
    d, out = tmp_path / "in", tmp_path / "out"
    make_folder(d)
    first = run([d], out)
    stamps = {t: (out / f"{t}.parquet").stat().st_mtime_ns for t in TABLES}
    again = run([d], out)
    assert {t: (out / f"{t}.parquet").stat().st_mtime_ns for t in TABLES} == stamps
    assert (again.read_files, again.reused_files) == (0, first.input_files)
    assert (again.inputs, again.actions, again.mentions, again.events, again.by_status) == \
        (first.inputs, first.actions, first.mentions, first.events, first.by_status)
    (out / "actions.parquet").write_bytes(b"damaged")  # tables not the last run's: a real run repairs them
    repaired = run([d], out)
    assert repaired.actions == first.actions and pd.read_parquet(out / "actions.parquet").shape[0] == first.actions
