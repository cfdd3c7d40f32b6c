"""Every way of writing an amount that issue 15 lists, one table per kind of form. Sentences written by the team.

Each case is a sentence and the money expressions ``find_money`` must read in it, as (span, value, currency):
the value is ``Money.value_text`` ("20000000", a range "1000000-5000000", a bound "<=20000000" or ">=1000000").
"""

import shutil
from decimal import Decimal

import pytest

from pipeline.normalise import find_money, parse_currency, parse_money
from pipeline.rules import RULES_DIR, RulesError, load_rules


def _read(text, dollar="USD"):
    return [(m.text, m.value_text, m.currency) for m in find_money(text, dollar)]


PREFIXED_DOLLARS = [
    ("The court ordered it to pay C$40 million.", [("C$40 million", "40000000", "CAD")]),
    ("a settlement of CA$ 12,000 with the bureau", [("CA$ 12,000", "12000", "CAD")]),
    ("the ACCC secured A$3.5m in penalties", [("A$3.5m", "3500000", "AUD")]),
    ("penalties of AU$ 950,000 were imposed", [("AU$ 950,000", "950000", "AUD")]),
    ("fined NZ$120,000 by the commission", [("NZ$120,000", "120000", "NZD")]),
    ("the regulator fined it nz $ 7 million .", [("nz $ 7 million", "7000000", "NZD")]),
    ("a penalty of NZ $ 2.1 million", [("NZ $ 2.1 million", "2100000", "NZD")]),
    ("the SFC fined the broker HK$ 4.5 million", [("HK$ 4.5 million", "4500000", "HKD")]),
    ("hk $ 900,000 in fines", [("hk $ 900,000", "900000", "HKD")]),
    ("the PDPC imposed S$750,000", [("S$750,000", "750000", "SGD")]),
    ("the bank paid US$ 1.2 billion", [("US$ 1.2 billion", "1200000000", "USD")]),
    ("the bank paid us$ 300 million", [("us$ 300 million", "300000000", "USD")]),
    ("a U.S. $ 5 million settlement", [("U.S. $ 5 million", "5000000", "USD")]),
    ("a U.S.$5 million settlement", [("U.S.$5 million", "5000000", "USD")]),
    ("c$ 75,000 for each breach", [("c$ 75,000", "75000", "CAD")]),
    # "a" and "us" are words: a spaced one-letter prefix or a lower-case "us $" is not a prefixed dollar.
    ("it will cost us $5 million", [("$5 million", "5000000", "CAD")]),
    ("a $3 million fine", [("$3 million", "3000000", "CAD")]),
]

COUNTRY_WORDS = [
    ("an award of 10 million US dollars", [("10 million US dollars", "10000000", "USD")]),
    ("a fee of one US dollar per record", [("one US dollar", "1", "USD")]),
    ("350,000 Canadian dollars in penalties", [("350,000 Canadian dollars", "350000", "CAD")]),
    ("a 12 Canadian dollar surcharge", [("12 Canadian dollar", "12", "CAD")]),
    ("fined 500,000 Chinese yuan", [("500,000 Chinese yuan", "500000", "CNY")]),
    ("confiscated 2.5 million renminbi", [("2.5 million renminbi", "2500000", "CNY")]),
    ("a fine of 80 million rmb", [("80 million rmb", "80000000", "CNY")]),
    ("RMB 3 billion in penalties", [("RMB 3 billion", "3000000000", "CNY")]),
    ("fined 182 billion yuan", [("182 billion yuan", "182000000000", "CNY")]),
    ("fined 4 million Swiss francs", [("4 million Swiss francs", "4000000", "CHF")]),
    ("a 1 Swiss franc coin", [("1 Swiss franc", "1", "CHF")]),
    ("fined 3,000 lei", [("3,000 lei", "3000", "RON")]),
    ("fined 1.4 million zloty", [("1.4 million zloty", "1400000", "PLN")]),
    ("fined 30 million forint", [("30 million forint", "30000000", "HUF")]),
    ("fined 65 million kroner", [("65 million kroner", "65000000", None)]),  # NOK or DKK: the article decides
    ("fined 58 million kronor", [("58 million kronor", "58000000", "SEK")]),
    ("fined 7 million krona", [("7 million krona", "7000000", None)]),  # SEK or ISK
    ("fined 2 million Swedish krona", [("2 million Swedish krona", "2000000", "SEK")]),
    ("fined 900,000 Danish krone", [("900,000 Danish krone", "900000", "DKK")]),
    ("fined 10 million riyals", [("10 million riyals", "10000000", None)]),  # never guessed
    ("fined 10 million Saudi riyals", [("10 million Saudi riyals", "10000000", "SAR")]),
]

SYMBOLS = [
    ("€ 5,000 and 5,000 € and 5000€",
     [("€ 5,000", "5000", "EUR"), ("5,000 €", "5000", "EUR"), ("5000€", "5000", "EUR")]),
    ("£80,000 then 80,000£", [("£80,000", "80000", "GBP"), ("80,000£", "80000", "GBP")]),
    ("¥3 billion or 3 billion ¥", [("¥3 billion", "3000000000", "JPY"), ("3 billion ¥", "3000000000", "JPY")]),
    ("罚款 500万 is not read, but 500元 is", [("500元", "500", "CNY")]),
    ("₹2.5 crore and 40 lakh ₹", [("₹2.5 crore", "25000000", "INR"), ("40 lakh ₹", "4000000", "INR")]),
    ("₩6.4 billion", [("₩6.4 billion", "6400000000", "KRW")]),
    ("₽ 3 million, 500 ₽", [("₽ 3 million", "3000000", "RUB"), ("500 ₽", "500", "RUB")]),
    ("₺2.6 million", [("₺2.6 million", "2600000", "TRY")]),
    ("₪1.5 million", [("₪1.5 million", "1500000", "ILS")]),
    ("₱ 50,000", [("₱ 50,000", "50000", "PHP")]),
    ("₫200 million", [("₫200 million", "200000000", "VND")]),
    ("₴ 17,000", [("₴ 17,000", "17000", "UAH")]),
    ("₦1.2 billion", [("₦1.2 billion", "1200000000", "NGN")]),
    ("₡ 40 million", [("₡ 40 million", "40000000", "CRC")]),
    ("₾ 30,000", [("₾ 30,000", "30000", "GEL")]),
    ("₭ 9 million", [("₭ 9 million", "9000000", "LAK")]),
    ("₮ 20 million", [("₮ 20 million", "20000000", "MNT")]),
    ("฿1.5 million and 300 ฿", [("฿1.5 million", "1500000", "THB"), ("300 ฿", "300", "THB")]),
    ("a 20$ fee and a 10k$ bond", [("20$", "20", "USD"), ("10k$", "10000", "USD")]),
    # A sign between two numbers belongs to the one after it.
    ("In 2019 €5 million was paid", [("€5 million", "5000000", "EUR")]),
    ("By 2021 £ 3m had been recovered", [("£ 3m", "3000000", "GBP")]),
]

CODES = [
    ("a fine of EUR 5,000", [("EUR 5,000", "5000", "EUR")]),
    ("a fine of EUR. 5,000", [("EUR. 5,000", "5000", "EUR")]),
    ("a fine of EUR.5,000", [("EUR.5,000", "5000", "EUR")]),
    ("a fine of 5,000 EUR.", [("5,000 EUR", "5000", "EUR")]),
    ("USD. 250,000 was paid", [("USD. 250,000", "250000", "USD")]),
    ("a fine of CHF 1.2 million", [("CHF 1.2 million", "1200000", "CHF")]),
    ("a fine of 1.2 million CHF", [("1.2 million CHF", "1200000", "CHF")]),
    ("usd 5 million and 3 mln gbp", [("usd 5 million", "5000000", "USD"), ("3 mln gbp", "3000000", "GBP")]),
    ("THB 2 million", [("THB 2 million", "2000000", "THB")]),
    # Codes that are English words stay exact: "try" and "cad" are not currencies.
    ("they try 5 times", []),
    ("sent 3 cad drawings", []),
]

NEWSWIRE = [
    ("a penalty of 200,000 dlrs", [("200,000 dlrs", "200000", "USD")]),
    ("fined 5 mln dlrs", [("5 mln dlrs", "5000000", "USD")]),
    ("a 25,000 dlr fine", [("25,000 dlr", "25000", "USD")]),
    ("a 1.2 bln Canadian dlr issue", [("1.2 bln Canadian dlr", "1200000000", "CAD")]),
    ("damages of 12.5 mln marks", [("12.5 mln marks", "12500000", None)]),  # German or Finnish: the article decides
    ("a 40 mln West German marks loan", [("40 mln West German marks", "40000000", "DEM")]),
    ("refunds of 3.5 mln Ecus", [("3.5 mln Ecus", "3500000", "XEU")]),
    ("fines of 500,000 bolivars", [("500,000 bolivars", "500000", None)]),  # VEB, VEF or VES by the date
    ("a 2.3 bln dlrs settlement", [("2.3 bln dlrs", "2300000000", "USD")]),
    ("fines of 12 mln stg", [("12 mln stg", "12000000", "GBP")]),
    ("a 1.5 billion stg claim", [("1.5 billion stg", "1500000000", "GBP")]),
    ("a 2bn stg claim", [("2bn stg", "2000000000", "GBP")]),
    ("paid 5m dlrs and 20k dlrs", [("5m dlrs", "5000000", "USD"), ("20k dlrs", "20000", "USD")]),
    ("a 40 mln Australian dlrs fine", [("40 mln Australian dlrs", "40000000", "AUD")]),
]

WORDS_AND_CENTS = [
    ("the board rejected a one-dollar bid", [("one-dollar", "1", "USD")]),
    ("Pay me twelve dollars", [("twelve dollars", "12", "USD")]),
    ("a penalty of three billion dlrs", [("three billion dlrs", "3000000000", "USD")]),
    ("a fine of twenty-five thousand euros", [("twenty-five thousand euros", "25000", "EUR")]),
    ("shares sold at 4 dollars 25 cents", [("4 dollars 25 cents", "4.25", "USD")]),
    ("a fee of twenty dollars and ten cents", [("twenty dollars and ten cents", "20.1", "USD")]),
    ("a ticket of $20 and 43c", [("$20 and 43c", "20.43", "USD")]),
    ("£3 and 50p a month", [("£3 and 50p", "3.5", "GBP")]),
    ("45 ringgit and 20 sen", [("45 ringgit and 20 sen", "45.2", "MYR")]),
    ("5 dlrs 25 cts", [("5 dlrs 25 cts", "5.25", "USD")]),
    # Cents without a unit only close a sentence: "$20 43 times" is twenty dollars, then a count.
    ("The fee came to $20 43.", [("$20 43", "20.43", "USD")]),
    ("He paid $20 43 times", [("$20", "20", "USD")]),
    ("paid $5 million 25 cents", [("$5 million", "5000000", "USD")]),
    # Cents alone are a price, not an amount the pipeline reads.
    ("earnings of 25 cents a share", []),
]

RANGES_AND_BOUNDS = [
    ("fines of up to €20 million or 4% of turnover", [("€20 million", "<=20000000", "EUR")]),
    ("between $1m and $5m", [("$1m and $5m", "1000000-5000000", "USD")]),
    ("from 10 dollars to 20 dollars", [("10 dollars to 20 dollars", "10-20", "USD")]),
    ("between 3 million euros and 4 million euros",
     [("3 million euros and 4 million euros", "3000000-4000000", "EUR")]),
    ("at least $1.4 million", [("$1.4 million", ">=1400000", "USD")]),
    ("more than £2bn in redress", [("£2bn", ">=2000000000", "GBP")]),
    ("no more than 7 euros", [("7 euros", "<=7", "EUR")]),
    ("not less than CHF 100,000", [("CHF 100,000", ">=100000", "CHF")]),
    ("a maximum of A$50 million", [("A$50 million", "<=50000000", "AUD")]),
    ("penalties capped at £17.5m", [("£17.5m", "<=17500000", "GBP")]),
    ("fined over £1m", [("£1m", ">=1000000", "GBP")]),
    ("under $500 a day", [("$500", "<=500", "USD")]),
    ("in excess of €3m", [("€3m", ">=3000000", "EUR")]),
    # A bound word is a word: "takeover" holds "over", "a dispute over a $5m fee" has "a" between.
    ("a takeover $5m deal", [("$5m", "5000000", "USD")]),
    ("a dispute over a $5m fee", [("$5m", "5000000", "USD")]),
    # A falling pair and a pair in two currencies are two amounts, not a range.
    ("cut from €10m to €8m", [("€10m", "10000000", "EUR"), ("€8m", "8000000", "EUR")]),
    ("€10 to $20", [("€10", "10", "EUR"), ("$20", "20", "USD")]),
]

TOKENISED = [
    ("net profit rose to $ 2.45 billion .", [("$ 2.45 billion", "2450000000", "USD")]),
    ("the fine was $ 3 . 4 million , the agency said", [("$ 3 . 4 million", "3400000", "USD")]),
    ("sales rose to 3 . 4 billion dlrs from 2 . 9 billion dlrs .",
     [("3 . 4 billion dlrs", "3400000000", "USD"), ("2 . 9 billion dlrs", "2900000000", "USD")]),
    ("shares closed at $ 23 . 50 .", [("$ 23 . 50", "23.5", "USD")]),
    ("output fell 3 . 4 % to 1 . 2 mln tonnes", []),  # a percentage and a quantity: no money
    ("the price was $ 3 . 4 analysts said", [("$ 3", "3", "USD")]),  # "3 . 4 analysts": a full stop
    ("a fine of stg 5 mln ; a fine of 5 mln stg", [("5 mln stg", "5000000", "GBP")]),
]

WORDS_BEFORE = [
    ("a penalty of Rupees 5 crore", [("Rupees 5 crore", "50000000", "INR")]),
    ("the Rs 500 crore penalty", [("Rs 500 crore", "5000000000", "INR")]),
    ("fined ringgit 42,000", [("ringgit 42,000", "42000", "MYR")]),
    # An exchange rate is not money.
    ("the ringgit 4.7 against the dollar", []),
    ("with rupees 83 to the dollar", []),
    ("Euro 2024 tickets", []),
]

NOT_MONEY = [
    ("Article 83(5) allows it", []),
    ("one one one one one one one one one", []),
    ("a quarter of its revenue", []),
    ("a grand jury heard the case", []),
    ("25 cents", []),
    ("sixth-form pupils", []),
]


@pytest.mark.parametrize("text,expected", PREFIXED_DOLLARS, ids=[c[0] for c in PREFIXED_DOLLARS])
def test_prefixed_dollars(text, expected):
    assert _read(text, dollar="CAD") == expected


@pytest.mark.parametrize("text,expected", COUNTRY_WORDS + SYMBOLS + CODES + NEWSWIRE + WORDS_AND_CENTS
                         + RANGES_AND_BOUNDS + TOKENISED + WORDS_BEFORE + NOT_MONEY,
                         ids=[c[0] for c in COUNTRY_WORDS + SYMBOLS + CODES + NEWSWIRE + WORDS_AND_CENTS
                              + RANGES_AND_BOUNDS + TOKENISED + WORDS_BEFORE + NOT_MONEY])
def test_money_forms(text, expected):
    assert _read(text) == expected


def test_bare_dollar_is_what_the_caller_says():
    assert _read("$35") == [("$35", "35", "USD")]
    assert _read("$35", dollar="AUD") == [("$35", "35", "AUD")]
    assert _read("US$35", dollar="AUD") == [("US$35", "35", "USD")]


def test_a_bound_is_an_open_range():
    m = parse_money("fines of up to €20 million")
    assert (m.amount, m.amount_min, m.amount_max, m.text) == (None, None, Decimal("20000000"), "€20 million")
    m = parse_money("at least $1m a day")
    assert (m.amount, m.amount_min, m.amount_max, m.per_period) == (None, Decimal("1000000"), None, "day")
    # The figure as stated, for a table with one amount column (mentions); a two-ended range has none.
    assert m.figure == Decimal("1000000") and parse_money("$1m to $2m").figure is None
    assert parse_money("$3m").figure == Decimal("3000000")


@pytest.mark.parametrize("text", [
    "a fine of €²⁰ million", "a fine of €２０ million", "a fine of €٢٠ million", "fined ⁵ dollars", "₹१० crore",
])
def test_only_ascii_digits_are_digits(text):
    # Superscripts, full-width, Arabic-Indic and Devanagari digits never reach Decimal: no number is read.
    assert find_money(text) == [] and parse_money(text) is None


def test_ambiguous_forms_stay_null_unless_a_code_says():
    assert [parse_currency(f) for f in ("kroner", "krone", "krona", "kr", "riyals", "rials", "dinars", "pesos")] == \
        [None] * 8
    assert parse_currency("kronor") == "SEK"


@pytest.mark.parametrize("text", [
    "one " * 5000, "a " * 5000 + "million", "1 " * 5000, "1,000," * 2000, "$ " * 5000, "between 1 and " * 1000,
    "EUR. " * 2000, "1 . " * 3000, "us $ " * 2000, "10 dollars and " * 1000 + "5 cents", "€" * 5000 + "5",
])
def test_long_adversarial_text_is_read(text):
    # Each of these took seconds to minutes when a run of number words was rescanned from every position; the
    # answer must simply come back, and be one small list.
    found = find_money(text)
    assert all(m.end - m.start < 200 for m in found)


def test_bad_bounds_file_stops_with_clear_error(tmp_path):
    for p in RULES_DIR.glob("*.*"):
        shutil.copy(p, tmp_path / p.name)
    with (tmp_path / "bounds.tsv").open("a", encoding="utf-8") as fh:
        fh.write("roughly\tabout\n")
    with pytest.raises(RulesError, match="bound must be max or min"):
        load_rules.__wrapped__(tmp_path)


def test_superscript_digits_never_reach_int(tmp_path):
    # "²" is str.isdigit() but not a number int() reads: before a month it stopped the whole run.
    import pandas as pd

    from pipeline.run import run

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("Title: t\nPublished: 2023-01-10\n\nThe CNIL fined Clearview AI 20 million "
                                           "euros on ² October 2022 for breaches of the GDPR, the regulator said.\n",
                                           encoding="utf-8")
    run([tmp_path / "in"], tmp_path / "out")
    actions = pd.read_parquet(tmp_path / "out" / "actions.parquet")
    assert list(actions.amount.astype(str).str.rstrip("0").str.rstrip(".")) == ["20000000"]
