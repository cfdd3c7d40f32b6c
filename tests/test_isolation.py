"""No input can stop a run or vanish: an unexpected exception in any stage, or a worker process that dies, costs
only its article, which becomes a `failed` row naming the stage; the run writes every table. Bugs found by the
fuzzer (pipeline/fuzz.py) are here too, each with our own input."""

import io
import json
import os
import signal
import struct
import subprocess
import sys
import zipfile

import pandas as pd
import pytest

from make_inputs import story
from pipeline.ingest import Limits, read_bytes

TABLES = ("articles", "actions", "mentions", "errors", "events")


def read_tables(out):
    return {t: pd.read_parquet(out / f"{t}.parquet") for t in TABLES}


def folder(d, n=4):
    d.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (d / f"s{i}.txt").write_text(f"Title: Store{i} fined\nPublished: 2023-03-0{i + 1}\n\n{story(i)}\n")
    return d


# --- short HTML is text too ------------------------------------------------------------------------------------

BRIEF = "The SEC fined Omega Partners $4 million on 2 May 2023 for misleading its investors."
LI = ["The firm neither admitted nor denied the findings of the regulator.",
      "It has agreed to hire an independent consultant to review its disclosures."]


def test_a_jsonl_record_holding_one_short_html_paragraph_yields_its_action(tmp_path):
    from pipeline.run import run

    d = tmp_path / "in"
    d.mkdir()
    (d / "feed.jsonl").write_text(json.dumps({"id": "b1", "text": f"<p>{BRIEF}</p>", "published": "2023-05-03"}) + "\n")
    run([d], tmp_path / "out")
    arts = pd.read_parquet(tmp_path / "out" / "articles.parquet")
    acts = pd.read_parquet(tmp_path / "out" / "actions.parquet")
    assert arts.status.tolist() == ["ok"] and arts.extraction.iloc[0] in ("main", "plain")
    assert "<p>" not in arts.title.iloc[0]
    (act,) = acts.itertuples()
    assert (act.action_type, act.target, str(act.amount).rstrip("0").rstrip("."), act.currency) == \
        ("fine", "Omega Partners", "4000000", "USD")


def test_an_html_file_holding_one_short_paragraph_yields_its_action(tmp_path):
    from pipeline.run import run

    d = tmp_path / "in"
    d.mkdir()
    (d / "brief.html").write_text(f"<p>{BRIEF}</p>\n")
    run([d], tmp_path / "out")
    arts = pd.read_parquet(tmp_path / "out" / "articles.parquet")
    acts = pd.read_parquet(tmp_path / "out" / "actions.parquet")
    assert arts.status.tolist() == ["ok"]
    assert acts.target.tolist() == ["Omega Partners"] and acts.currency.tolist() == ["USD"]


@pytest.mark.parametrize("html, extraction, text", [
    (f"<p>{BRIEF}</p>", "main", BRIEF),  # a fragment read as a page: trafilatura's main text has it
    (f"<html><body><table><tr><td>{BRIEF}</td></tr></table></body></html>", "plain", BRIEF),  # tables are not main text
    (f"<html><body><nav><p>{BRIEF}</p></nav></body></html>", "plain", BRIEF),  # nor is navigation
    (f"<div><p>{BRIEF}</p><table><tr><td>{LI[0]}</td></tr><tr><td>{LI[1]}</td></tr></table></div>", "plain",
     "\n".join([BRIEF, *LI])),  # the main text has less than half of it
])
def test_the_visible_text_is_taken_when_the_main_text_misses_a_short_page(html, extraction, text):
    (art,) = read_bytes("a.html", "a.html", html.encode(), Limits())
    assert (art.status, art.extraction, art.text) == ("ok", extraction, text)


def test_a_long_page_keeps_its_main_text_and_empty_is_for_no_visible_text():
    nav = "".join(f"<li><a href='/s{i}'>Section number {i} of the site</a></li>" for i in range(80))
    page = f"<html><body><nav><ul>{nav}</ul></nav><article><p>{BRIEF}</p><p>{story(1)}</p></article></body></html>"
    (art,) = read_bytes("a.html", "a.html", page.encode(), Limits())
    assert art.extraction == "main" and "Section number" not in art.text
    (art,) = read_bytes("b.html", "b.html", b"<html><body><script>var x = 1;</script><!-- c --> </body></html>",
                        Limits())
    assert (art.status, art.error) == ("empty", "no visible text in the HTML page")


# --- the three crash causes, at their root -------------------------------------------------------------------------

def _zip(members, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members:
            zf.writestr(zipfile.ZipInfo(name), data)
    return buf.getvalue()


def _patch_central(data: bytes, entry: int, offset: int, value: int) -> bytes:
    """Set a 2-byte field of the central directory record of member ``entry`` (from 0)."""
    i = -1
    for _ in range(entry + 1):
        i = data.index(b"PK\x01\x02", i + 1)
    return data[:i + offset] + struct.pack("<H", value) + data[i + offset + 2:]


def rows(name, data):
    return [(a.source, a.status) for a in read_bytes(name, name, data, Limits())]


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_zip_members_without_a_name_or_with_one_name_twice_are_rows_of_their_own():
    data = _zip([("", story(1).encode()), ("a.txt", story(2).encode()), ("a.txt", story(3).encode())])
    assert rows("b.zip", data) == [("b.zip!(entry 1)", "unsupported_format"), ("b.zip!a.txt", "ok"),
                                   ("b.zip!a.txt (entry 3)", "ok")]


def test_a_zip_member_compressed_with_a_method_zipfile_lacks_is_a_malformed_row_and_the_others_are_read():
    data = _patch_central(_zip([("a.txt", story(1).encode()), ("b.txt", story(2).encode())]), 0, 10, 99)
    assert rows("c.zip", data) == [("c.zip!a.txt", "malformed"), ("c.zip!b.txt", "ok")]
    (bad,) = [a for a in read_bytes("c.zip", "c.zip", data, Limits()) if a.status == "malformed"]
    assert "NotImplementedError" in bad.error and "compression method" in bad.error


def test_a_zip_asking_for_a_version_zipfile_lacks_is_a_malformed_row_not_a_crash():
    data = _patch_central(_zip([("a.txt", story(1).encode())]), 0, 6, 255)  # "zip file version 25.5"
    (art,) = read_bytes("d.zip", "d.zip", data, Limits())
    assert art.status == "malformed" and "zip file version" in art.error


@pytest.mark.parametrize("digit", ["¹", "²", "٣", "३", "３"])
def test_a_digit_of_another_script_before_a_date_word_counts_for_nothing(tmp_path, digit):
    from pipeline.run import run

    d = tmp_path / "in"
    d.mkdir()
    (d / "a.txt").write_text(f"Title: Bank fined\nPublished: 2023-10-20\n\nThe FCA fined Kappa Bank £2 million on "
                             f"{digit} October 2023 for weak controls, the regulator said.\n")
    summary = run([d], tmp_path / "out")
    assert summary.by_status == {"ok": 1}
    acts = pd.read_parquet(tmp_path / "out" / "actions.parquet")
    # the month, or nothing when the model took the digit into the date's span: never a day read from it
    assert acts.target.tolist() == ["Kappa Bank"]
    assert acts.decision_date.fillna("none").tolist()[0] in ("2023-10", "none")


@pytest.mark.parametrize("text", ["٣ million", "٢٬٥٠٠", "３ million", "²⁰ million"])
def test_only_ascii_digits_are_amounts_dates_or_durations(text):
    from pipeline.normalise import find_money, parse_date, parse_duration

    assert find_money(f"fined €{text} and {text} dollars") == []
    assert parse_date(text.replace("million", "March 2023")) is None
    assert parse_duration(text.replace("million", "days")) is None
    from pipeline.ingest import parse_published

    assert parse_published("٢٠٢٣-٠٣-٠٧") is None


# --- per-article isolation ---------------------------------------------------------------------------------------

def _raise_on(marker, error=RuntimeError):
    def check(text):
        if marker in text:
            raise error(f"injected fault on {marker}")
    return check


def test_an_article_that_raises_inside_extraction_fails_alone_and_every_table_is_written(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from pipeline import extract
    from pipeline.cli import app
    from pipeline.run import run

    d = folder(tmp_path / "in")
    real = extract.Extractor.__call__
    poison = _raise_on("Store2 Holdings")

    def faulty(self, doc, art):
        poison(art.text)
        return real(self, doc, art)

    monkeypatch.setattr(extract.Extractor, "__call__", faulty)
    out = tmp_path / "out"
    summary = run([d], out)
    assert summary.by_status == {"ok": 3, "failed": 1}
    t = read_tables(out)
    failed = t["articles"][t["articles"].status == "failed"]
    assert failed.source.tolist() == [str(d / "s2.txt")]
    assert failed.error.iloc[0] == (f"extraction failed: RuntimeError: injected fault on Store2 Holdings "
                                    f"(source: {d / 's2.txt'})")
    assert failed.n_chars.iloc[0] > 0 and failed.article_id.iloc[0] not in set(t["actions"].article_id)
    ok = t["articles"][t["articles"].status == "ok"]
    assert set(t["actions"].article_id) == set(ok.article_id)  # every other article has its actions
    assert len(t["events"]) and len(t["mentions"])
    status = CliRunner().invoke(app, ["status", str(out)])
    assert status.exit_code == 0 and "failed" in status.output and status.output.split("failed")[1].split()[0] == "1"

    # --strict: exit 5, with every table written; without it: 0, as for any rejected input
    for flags, code in (([], 0), (["--strict"], 5)):
        result = CliRunner().invoke(app, ["run", str(d), "--out", str(tmp_path / f"cli{code}"), "-q", *flags])
        assert result.exit_code == code, result.output
        assert all((tmp_path / f"cli{code}" / f"{t}.parquet").exists() for t in TABLES)

    # a failed article is kept in no shard: the next run tries it again, and with the bug gone it is ok
    monkeypatch.setattr(extract.Extractor, "__call__", real)
    (d / "new.txt").write_text(story(9))
    again = run([d], out)
    assert again.by_status == {"ok": 5} and again.read_files == 1


@pytest.mark.parametrize("where, stage", [("pipeline.ingest.detect_language", "language detection"),
                                          ("pipeline.ingest.decode", "decoding"),
                                          ("pipeline.run.validated_extraction", "validation")])
def test_a_fault_in_any_stage_fails_only_its_article(tmp_path, monkeypatch, where, stage):
    import importlib

    from pipeline.run import run

    d = folder(tmp_path / "in")
    (d / "feed.jsonl").write_text("\n".join(json.dumps({"text": story(20 + i)}) for i in range(3)))
    module, name = where.rsplit(".", 1)
    module = importlib.import_module(module)
    real = getattr(module, name)
    marker = "Store21 Holdings"

    def faulty(*args, **kwargs):
        first = args[0]
        text = first.decode("utf-8", "replace") if isinstance(first, bytes) else \
            " ".join(a.text for a in first) if isinstance(first, list) else first
        _raise_on(marker, ValueError)(text)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, faulty)
    summary = run([d], tmp_path / "out")
    arts = pd.read_parquet(tmp_path / "out" / "articles.parquet")
    failed = arts[arts.status == "failed"]
    # decoding: the whole JSONL file is decoded at once, so its three records are one failed row
    assert failed.source.tolist() == [str(d / "feed.jsonl") + ("" if stage == "decoding" else ":2")]
    assert failed.error.iloc[0].startswith(f"{stage} failed: ValueError: injected fault on {marker}")
    assert summary.by_status["failed"] == 1 and summary.by_status["ok"] >= 4


def poisoned_worker(scope, batch_size):
    """A worker whose extractor kills its own process on one article, as a segfault or the OOM killer would."""
    from pipeline import run

    run._init_worker(scope, batch_size)
    nlp, ner, extractor, size, sc = run._worker

    def call(doc, art):
        if "Store2 Holdings" in art.text:
            os.kill(os.getpid(), signal.SIGKILL)
        return extractor(doc, art)

    run._worker = (nlp, ner, call, size, sc)


def test_a_worker_that_dies_costs_only_its_article_and_the_run_goes_on(tmp_path, monkeypatch):
    from pipeline import run as module

    d = folder(tmp_path / "in", n=6)
    monkeypatch.setattr(module, "_init_worker", poisoned_worker)  # the workers are started with it
    summary = module.run([d], tmp_path / "out", workers=2)
    assert summary.by_status == {"ok": 5, "failed": 1}
    t = read_tables(tmp_path / "out")
    failed = t["articles"][t["articles"].status == "failed"]
    assert failed.source.tolist() == [str(d / "s2.txt")]
    assert "the worker process died (signal SIGKILL)" in failed.error.iloc[0]
    assert str(d / "s2.txt") in failed.error.iloc[0]
    assert set(t["actions"].article_id) == set(t["articles"][t["articles"].status == "ok"].article_id)


def test_a_file_whose_name_is_not_utf8_is_read_under_its_escaped_name(tmp_path):
    from pipeline.run import run

    d = tmp_path / "in"
    d.mkdir()
    with open(os.fsencode(d) + b"/caf\xe9.txt", "wb") as fh:  # a Latin-1 name, as an old archive may hold
        fh.write(story(1).encode())
    summary = run([d], tmp_path / "out")
    assert summary.by_status == {"ok": 1}
    arts = pd.read_parquet(tmp_path / "out" / "articles.parquet")
    assert arts.source.tolist() == [f"{d}/caf\\xe9.txt"]
    assert run([d], tmp_path / "out").reused_files == 1  # and a rerun knows it


# --- outputs others can read ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("mask, file_mode, dir_mode", [(0o022, 0o644, 0o755), (0o027, 0o640, 0o750)])
def test_every_file_a_run_writes_has_the_mode_the_umask_gives(tmp_path, mask, file_mode, dir_mode):
    d = folder(tmp_path / "in", n=2)
    out = tmp_path / "out"
    code = f"import os; os.umask({mask}); from pipeline.cli import main; main()"
    proc = subprocess.run([sys.executable, "-c", code, "run", str(d), "--out", str(out), "-q"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    modes = {p.relative_to(out).as_posix(): p.stat().st_mode & 0o777 for p in out.rglob("*")}
    assert "articles.parquet" in modes and "state/manifest.json" in modes and "state/inputs.sqlite" in modes
    assert any(k.startswith("state/extract/") for k in modes)
    wrong = {k: oct(m) for k, m in modes.items()
             if m != (dir_mode if (out / k).is_dir() else file_mode)}
    assert wrong == {}
