"""The command line as a user meets it: help, usage errors, bad inputs accounted for, outputs written."""

import json
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["eval", "--help"]])
def test_every_command_has_help(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 0
    assert "Usage" in result.output and len(result.output) > 200


def test_every_option_is_documented():
    import click
    import typer.main

    cmd = typer.main.get_command(app)
    for name, sub in cmd.commands.items():
        assert sub.help, name
        for param in sub.params:
            if isinstance(param, (click.Option, click.Argument)):
                assert getattr(param, "help", None), f"{name} {param.name}"


def test_missing_input_is_a_usage_error(tmp_path):
    result = runner.invoke(app, ["run", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2


@pytest.fixture
def messy_folder(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    story = ("Title: Regulator fines retailer\nPublished: 2023-03-10\nURL: https://example.org/a\n\n"
             "The Dutch data protection authority fined the retailer Acme Stores €2 million on Tuesday, "
             "saying the company had kept customer data for too long.\n")
    (d / "good.txt").write_text(story, encoding="utf-8")
    (d / "copy.txt").write_text(story, encoding="utf-8")
    (d / "empty.txt").write_text("   \n", encoding="utf-8")
    (d / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (d / "notes.docx").write_bytes(b"PK\x03\x04")
    (d / "latin1.txt").write_bytes("The CNIL fined the café operator €50,000 for failing to secure data, "
                                   "the regulator said in a statement on its website.".encode("cp1252"))
    records = [{"id": "r1", "title": "t",
                "text": "The FTC said it fined Widget Corp $1.5 million for deceiving buyers.",
                "published": "2022-01-05"}, {"id": "r2", "title": "no text"}]
    lines = [json.dumps(r) for r in records] + ["{not json"]
    (d / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (d / ".hidden.txt").write_text("ignored", encoding="utf-8")
    return d


def test_every_input_is_accounted_for(messy_folder, tmp_path):
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "pipeline", "run", str(messy_folder), "--out", str(out), "-q"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "inputs read: 9" in result.stderr and "articles ok: 3" in result.stderr
    arts = pd.read_parquet(out / "articles.parquet")
    status = {s.split("/")[-1]: st for s, st in zip(arts.source, arts.status, strict=True)}
    # files are read in sorted order, so the later copy is good.txt
    assert status == {"copy.txt": "ok", "good.txt": "duplicate", "empty.txt": "empty", "binary.txt": "undecodable",
                      "notes.docx": "unsupported_format", "latin1.txt": "ok", "feed.jsonl:1": "ok",
                      "feed.jsonl:2": "empty", "feed.jsonl:3": "malformed"}
    assert arts[arts.status != "ok"].error.notna().all()
    assert "copy.txt" in arts[arts.status == "duplicate"].error.iloc[0]
    assert "line 3" in arts[arts.status == "malformed"].error.iloc[0]
    assert arts.article_id.is_unique
    acts = pd.read_parquet(out / "actions.parquet")
    acme = acts[acts.target == "Acme Stores"].iloc[0]
    assert (acme.regulator_id, str(acme.amount).rstrip("0").rstrip("."), acme.currency) == ("nl-ap", "2000000", "EUR")
    assert (acme.decision_date, acme.date_precision) == ("2023-03-07", "day")
    assert set(acts.article_id) <= set(arts.article_id)


def test_no_publication_date_leaves_relative_dates_null(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "a.txt").write_text("Watchdog fines bank\n\nThe FCA fined Northside Bank £3m on Tuesday for weak "
                             "anti-money-laundering controls, the regulator said.\n", encoding="utf-8")
    from pipeline.run import run

    run([d], tmp_path / "out")
    acts = pd.read_parquet(tmp_path / "out" / "actions.parquet")
    assert len(acts) == 1 and acts.decision_date.isna().all() and acts.fx_date.isna().all()
    assert acts.amount_eur.isna().all()  # no date at all: no rate is guessed


def test_same_input_gives_same_ids(messy_folder, tmp_path):
    from pipeline.run import run

    run([messy_folder], tmp_path / "a")
    run([messy_folder], tmp_path / "b")
    for t in ("articles", "actions", "mentions"):
        a = pd.read_parquet(tmp_path / "a" / f"{t}.parquet")
        b = pd.read_parquet(tmp_path / "b" / f"{t}.parquet")
        pd.testing.assert_frame_equal(a, b)
