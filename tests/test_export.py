"""Spreadsheets: the XLSX workbook and CSV files read back as an analyst's tools read them."""

import csv
import datetime as dt
import json
import shutil
import subprocess
from decimal import Decimal

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.dictionary import COLUMNS
from pipeline.export import FORMULA_STARTS, TABLES, export_tables


@pytest.fixture(scope="module")
def exported(corpus_run, tmp_path_factory):
    _, tables = corpus_run
    out = tmp_path_factory.mktemp("export")
    export_tables(tables, out)
    return tables, out


def test_workbook_has_a_sheet_per_table_and_a_dictionary(exported):
    tables, out = exported
    wb = load_workbook(out / "enforcement.xlsx")
    assert wb.sheetnames == list(TABLES) + ["dictionary"]
    for name in TABLES:
        ws = wb[name]
        assert [c.value for c in ws[1]] == list(tables[name].columns)
        assert ws.max_row == len(tables[name]) + 1
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
        assert all(ws.column_dimensions[c.column_letter].width >= 8 for c in ws[1])
    listed = {(r[0], r[1]) for r in wb["dictionary"].iter_rows(min_row=2, values_only=True) if r[2]}
    assert listed == {(n, c) for n in TABLES for c in tables[n].columns}


def test_every_column_has_a_meaning(corpus_run):
    _, tables = corpus_run
    for name in TABLES:
        assert set(tables[name].columns) <= set(COLUMNS[name]), name


def test_amounts_are_numbers_with_currency_beside_and_dates_are_dates(exported):
    tables, out = exported
    wb = load_workbook(out / "enforcement.xlsx")
    ws = wb["actions"]
    header = [c.value for c in ws[1]]
    i_amount, i_cur, i_fx = header.index("amount"), header.index("currency"), header.index("fx_date")
    assert i_cur == i_amount + 1
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    for row, (_, src) in zip(rows, tables["actions"].iterrows(), strict=True):
        if src.amount is None:
            assert row[i_amount] is None
        else:
            assert isinstance(row[i_amount], (int, float)) and Decimal(str(row[i_amount])) == src.amount
            assert row[i_cur] == (None if pd.isna(src.currency) else src.currency)
        if src.fx_date is not None and not pd.isna(src.fx_date):
            assert isinstance(row[i_fx], dt.datetime) and row[i_fx].date() == src.fx_date
    ev = wb["events"]
    head = [c.value for c in ev[1]]
    first_seen = [r[head.index("first_seen")] for r in ev.iter_rows(min_row=2, values_only=True)]
    assert any(isinstance(v, dt.datetime) for v in first_seen)


def test_pandas_reads_the_workbook_and_csv_back(exported):
    tables, out = exported
    actions = pd.read_excel(out / "enforcement.xlsx", sheet_name="actions", engine="openpyxl")
    assert len(actions) == len(tables["actions"])
    assert pd.api.types.is_numeric_dtype(actions["amount"])
    assert pd.api.types.is_datetime64_any_dtype(actions["fx_date"])
    raw = (out / "csv" / "actions.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(out / "csv" / "actions.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(back.columns) == list(tables["actions"].columns)
    exact = [Decimal(a) for a in back.amount if a]
    assert exact == [Decimal(a) for a in tables["actions"].amount if a is not None]
    events = pd.read_csv(out / "csv" / "events.csv", encoding="utf-8-sig")
    assert len(events) == len(tables["events"]) and events.n_articles.max() >= 3


@pytest.fixture(scope="module")
def injected(tmp_path_factory):
    """A run over a feed whose every field tries to become a spreadsheet formula."""
    from pipeline.export import export
    from pipeline.run import run

    d = tmp_path_factory.mktemp("inject")
    record = {"id": "=1+1", "title": '=HYPERLINK("http://evil.example/x","click me")', "url": "@SUM(A1:A9)",
              "published": "2023-03-10",
              "text": "=cmd|' /C calc'!A0 The Dutch data protection authority fined the retailer Acme Stores "
                      "€2 million on Tuesday, saying the company had kept customer data for too long.\n\n"
                      "+SUM(1,2) The regulator ordered Acme Stores to delete the data within two months.\n\n"
                      "-2+3 The company said it would appeal."}
    (d / "feed.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    out = d / "out"
    run([d / "feed.jsonl"], out)
    export(out)
    return out


def test_no_exported_cell_can_run_as_a_formula(injected):
    wb = load_workbook(injected / "enforcement.xlsx")
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
                    assert not cell.value.startswith(FORMULA_STARTS), (ws.title, cell.coordinate, cell.value)
    assert "'" + '=HYPERLINK("http://evil.example/x","click me")' in texts and "'=1+1" in texts
    assert "'@SUM(A1:A9)" in texts
    for path in (injected / "csv").glob("*.csv"):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.reader(fh):
                assert not any(v.startswith(FORMULA_STARTS) for v in row), (path.name, row)


def test_export_without_a_run_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(app, ["export", str(tmp_path)])
    assert result.exit_code == 2 and "run the pipeline first" in result.output


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; the headless conversion "
                                            "check runs where it is")
def test_libreoffice_keeps_the_numbers(exported, tmp_path):
    tables, out = exported
    shutil.copy(out / "enforcement.xlsx", tmp_path / "enforcement.xlsx")
    # The first sheet (events) converts to CSV; its amounts must come out as the same numbers.
    subprocess.run([SOFFICE, "--headless",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false",
                    "--outdir", str(tmp_path), str(tmp_path / "enforcement.xlsx")],
                   check=True, capture_output=True, timeout=120)
    converted = pd.read_csv(tmp_path / "enforcement.csv", dtype=str, keep_default_na=False)
    got = [Decimal(a.replace(",", "")) for a in converted.amount if a]
    assert got == [Decimal(str(a)) for a in tables["events"].amount if a is not None]
