"""The DuckDB queries of docs/outputs.md, run as written over a run's Parquet outputs."""

import re

import pytest

from conftest import ROOT

duckdb = pytest.importorskip("duckdb")


def documented_queries() -> list[str]:
    text = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    section = text.split("## DuckDB", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.S)


@pytest.fixture(scope="module")
def results(corpus_run):
    summary, _ = corpus_run
    folder = summary.files[0].parent
    con = duckdb.connect()
    return [con.sql(q.replace("'outputs/", f"'{folder}/")).df() for q in documented_queries()]


def test_the_docs_have_three_queries():
    assert len(documented_queries()) == 3


def test_money_by_country(results):
    by_country = results[0].set_index("regulator_country")
    assert 0 < len(by_country) <= 10
    assert by_country.loc["IE", "eur_millions"] >= 1200 and by_country.loc["LU", "events"] == 1


def test_case_timelines(results):
    cases = results[1]
    assert (cases.events > 1).all()
    clearview = cases[(cases.target == "Clearview AI") & cases.timeline.str.contains("penalty imposed 5200000 EUR")]
    assert len(clearview) == 1
    timeline = clearview.timeline.iloc[0]  # in time order: the 2022 fine comes before the 2023 overdue penalty
    assert timeline.index("fine imposed 20000000 EUR") < timeline.index("penalty imposed 5200000 EUR")


def test_events_reported_by_several_articles(results):
    rows = results[2]
    assert rows.groupby("event_id").size().min() >= 2
    titles = " ".join(rows.title.dropna())
    assert "EUR 1.2 billion" in titles and "EUR15m" in titles
