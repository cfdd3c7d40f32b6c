"""Table-driven cases for the normalisers. Cases written by the team unless marked otherwise."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline.normalise import add_duration, find_money, parse_currency, parse_date, parse_duration, parse_money, to_eur

CASES = Path(__file__).parent / "cases"


def _money_rows():
    lines = [line.rstrip("\n") for line in (CASES / "money.tsv").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]


MONEY_ROWS = _money_rows()


def _d(s):
    return Decimal(s) if s else None


def test_money_table_is_large_enough():
    assert len(MONEY_ROWS) >= 150


@pytest.mark.parametrize("row", MONEY_ROWS, ids=[r["text"] for r in MONEY_ROWS])
def test_money(row):
    m = parse_money(row["text"])
    assert m is not None, row["text"]
    assert m.amount == _d(row["amount"])
    assert (m.currency or "") == row["currency"]
    assert m.amount_min == _d(row["amount_min"])
    assert m.amount_max == _d(row["amount_max"])
    assert (m.per_period or "") == row["per_period"]


@pytest.mark.parametrize("text", [
    "in 2021 the company", "4% of annual turnover", "the 27 member states", "Article 83(5)", "a dozen firms",
    "kroner", "Series B", "COVID-19", "page 20", "1.2 million users",
])
def test_no_money_in_text_without_currency(text):
    assert find_money(text) == []


def test_amounts_are_exact_decimals():
    m = parse_money("€4.125 billion")
    assert isinstance(m.amount, Decimal) and m.amount == Decimal("4125000000")


def test_reduction_is_two_amounts_not_a_range():
    found = find_money("cut the fine from €4.34bn to €4.125bn")
    assert [(str(m.amount), m.amount_min) for m in found] == [("4340000000", None), ("4125000000", None)]


@pytest.mark.parametrize("form,dollar,code", [
    ("€", "USD", "EUR"), ("EUR", "USD", "EUR"), ("euros", "USD", "EUR"), ("£", "USD", "GBP"),
    ("sterling", "USD", "GBP"), ("stg", "USD", "GBP"), ("$", "USD", "USD"), ("$", "AUD", "AUD"), ("US$", "AUD", "USD"),
    ("dlrs", "USD", "USD"),
    ("A$", "USD", "AUD"), ("C$", "USD", "CAD"), ("NZ$", "USD", "NZD"), ("HK$", "USD", "HKD"), ("CHF", "USD", "CHF"),
    ("Swiss francs", "USD", "CHF"), ("SEK", "USD", "SEK"), ("kronor", "USD", "SEK"), ("kr", "USD", None),
    ("kroner", "USD", None), ("zł", "USD", "PLN"), ("forint", "USD", "HUF"), ("lei", "USD", "RON"),
    ("CZK", "USD", "CZK"), ("yen", "USD", "JPY"), ("yuan", "USD", "CNY"), ("won", "USD", "KRW"),
    ("rupees", "USD", "INR"), ("R$", "USD", "BRL"), ("lira", "USD", "TRY"), ("ISK", "USD", "ISK"),
    ("doubloons", "USD", None), ("", "USD", None),
])
def test_currency(form, dollar, code):
    assert parse_currency(form, dollar=dollar) == code


PUB = date(2023, 5, 25)  # a Thursday


@pytest.mark.parametrize("text,published,value,precision", [
    ("In October 2022", None, "2022-10", "month"),
    ("October 2022", PUB, "2022-10", "month"),
    ("17 October 2022", None, "2022-10-17", "day"),
    ("October 17, 2022", None, "2022-10-17", "day"),
    ("2022-10-17", None, "2022-10-17", "day"),
    ("2021", None, "2021", "year"),
    ("in 2019", PUB, "2019", "year"),
    ("on Tuesday", PUB, "2023-05-23", "day"),
    ("Tuesday", None, None, None),
    ("last month", PUB, "2023-04", "month"),
    ("last month", None, None, None),
    ("in March", PUB, "2023-03", "month"),
    ("in March", None, None, None),
    ("yesterday", PUB, "2023-05-24", "day"),
    ("two months", PUB, None, None),
    ("90 days", None, None, None),
    ("annual", PUB, None, None),
    ("several years", PUB, None, None),
])
def test_date(text, published, value, precision):
    d = parse_date(text, published)
    if value is None:
        assert d is None
    else:
        assert (d.value, d.precision) == (value, precision)


@pytest.mark.parametrize("text,iso", [
    ("within two months", "P2M"), ("within 90 days", "P90D"), ("in six weeks", "P6W"), ("within one year", "P1Y"),
    ("within three months", "P3M"), ("within 30 business days", "P30D"), ("a six-month campaign", "P6M"),
    ("within twenty-one days", "P21D"), ("by 31 March 2024", None), ("immediately", None),
])
def test_duration(text, iso):
    assert parse_duration(text) == iso


def test_add_duration_clamps_month_end():
    assert add_duration(date(2023, 1, 31), "P1M") == date(2023, 2, 28)


def test_eur_equivalent_uses_ecb_rate_offline():
    assert to_eur(Decimal("100"), "EUR", date(2020, 1, 1)) == Decimal("100")
    gbp = to_eur(Decimal("20000000"), "GBP", date(2020, 10, 16))
    assert Decimal("21000000") < gbp < Decimal("23000000")
    assert to_eur(Decimal("1"), "USD", None) is None
    assert to_eur(Decimal("1"), None, date(2020, 1, 1)) is None
