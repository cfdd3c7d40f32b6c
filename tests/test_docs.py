"""The README and docs/ stay true to the code: the make targets they name exist, the columns they describe are the
ones written (both ways), the statuses and rule files are all explained, links resolve, and the generated parts
are what `make docs` writes today."""

import re
import shlex
import subprocess
import sys

import pytest

from conftest import ROOT
from pipeline import docs
from pipeline.dictionary import COLUMNS, TABLES, written_columns

PAGES = ["usage", "inputs", "outputs", "rules", "accuracy", "performance", "scaling", "install", "model", "README"]
DOCS = [ROOT / "README.md", *(ROOT / "docs" / f"{p}.md" for p in PAGES)]


def _text(path) -> str:
    return path.read_text(encoding="utf-8")


def test_the_readme_fits_on_a_screen_and_starts_with_the_two_commands():
    readme = _text(ROOT / "README.md")
    assert len(readme.splitlines()) <= 150
    first_block = readme.split("```sh\n", 1)[1].split("```", 1)[0]
    assert [line.split()[:2] for line in first_block.splitlines()] == [["make", "run"], ["make", "test"]]


def test_every_page_exists():
    assert sorted(p.name for p in (ROOT / "docs").glob("*.md")) == sorted(f"{p}.md" for p in PAGES)


def _makefile_targets() -> set[str]:
    return set(re.findall(r"^([a-z][\w-]*):", _text(ROOT / "Makefile"), flags=re.M))


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name if p.parent == ROOT else f"docs/{p.name}")
def test_every_make_target_named_exists(path):
    text = _text(path)
    named = set(re.findall(r"`make ([a-z][\w-]*)", text))  # in code spans: `make eval`, `make bench REPEAT=3`
    named |= set(re.findall(r"^make ([a-z][\w-]*)", text, flags=re.M))  # in code blocks
    assert named <= _makefile_targets(), f"{path.name} names make targets the Makefile lacks"


def test_the_readme_lists_every_target():
    readme = _text(ROOT / "README.md")
    documented = set(re.findall(r"^([a-z][\w-]*):.*## ", _text(ROOT / "Makefile"), flags=re.M))
    listed = set(re.findall(r"^\| `make ([a-z][\w-]*)` \|", readme, flags=re.M)) | {"run", "test"}
    assert documented == listed, "README.md's table of targets must list every target `make help` shows"


def test_every_column_written_is_documented_and_every_documented_column_is_written():
    written = written_columns()
    assert list(TABLES) == list(COLUMNS) and set(TABLES) == set(written)
    for table, columns in written.items():
        assert set(columns) - set(COLUMNS[table]) == set(), f"{table}: written but not in pipeline/dictionary.py"
        assert set(COLUMNS[table]) - set(columns) == set(), f"{table}: in pipeline/dictionary.py but not written"
        assert all(COLUMNS[table].values()), f"{table}: a column without a meaning"


def test_every_column_of_the_schemas_is_documented():
    from pipeline.validate import SCHEMAS

    for table, schema in SCHEMAS.items():
        # n_chars rides along with actions and mentions for their offset checks; it is not written
        helper = {"n_chars"} if table in ("actions", "mentions") else set()
        assert set(schema.columns) - helper == set(COLUMNS[table]), table


def test_the_tables_a_run_writes_have_the_documented_columns(corpus_run):
    _, tables = corpus_run
    for table, frame in tables.items():
        assert list(frame.columns) == written_columns()[table], table


def test_every_article_status_is_explained():
    from pipeline.records import STATUSES

    section = _text(ROOT / "docs" / "inputs.md").split("## Statuses", 1)[1].split("\n## ", 1)[0]
    explained = re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.M)
    assert explained == list(STATUSES), "docs/inputs.md's status table must list records.STATUSES, in order"


def test_every_rule_file_is_described():
    described = set(re.findall(r"^\| `([\w.]+)` \|", _text(ROOT / "docs" / "rules.md"), flags=re.M))
    assert {p.name for p in (ROOT / "rules").iterdir() if not p.name.startswith(".")} == described


def _slug(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name if p.parent == ROOT else f"docs/{p.name}")
def test_every_link_resolves(path):
    for target in re.findall(r"\]\(([^)\s]+)\)", _text(path)):
        if re.match(r"[a-z]+:", target):
            continue  # an address outside the project
        file, _, anchor = target.partition("#")
        linked = (path.parent / file).resolve() if file else path
        assert linked.is_file(), f"{path.name}: {target}"
        if anchor:
            headings = re.findall(r"^#+ (.+)$", _text(linked), flags=re.M)
            assert anchor in {_slug(h) for h in headings}, f"{path.name}: {target}"


def test_outputs_md_is_what_make_docs_writes():
    text = _text(docs.OUTPUTS_MD)
    assert docs.outputs_md(text) == text, "docs/outputs.md is stale: run `make docs`"


def test_the_readme_sample_is_what_the_corpus_run_gives(corpus_run):
    summary, _ = corpus_run
    readme = _text(ROOT / "README.md")
    assert docs.readme_with_sample(readme, summary.files[0].parent) == readme, \
        "README.md's sample is not what the corpus run gives: run `make docs`"


def test_the_one_liner_make_run_prints_is_the_readmes_and_runs(corpus_run):
    summary, _ = corpus_run
    readme_line = next(line for line in _text(ROOT / "README.md").splitlines() if "import duckdb" in line)
    makefile_line = next(line for line in _text(ROOT / "Makefile").splitlines() if "import duckdb" in line)
    assert makefile_line.strip().replace("$(PY)", ".venv/bin/python").replace("$(OUT)", "outputs") == readme_line
    argv = shlex.split(readme_line.replace("'outputs/", f"'{summary.files[0].parent}/"))
    result = subprocess.run([sys.executable, *argv[1:]], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "actions" not in result.stderr, result.stderr
    assert result.stdout.count("\n") >= 5 + 4  # five rows in DuckDB's box
