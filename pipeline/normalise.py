"""Pure normalisers: money, currency, dates, durations and EUR equivalents.

Every function takes text (and, for dates, the reference date) and returns a value with its precision and the raw
text, or ``None`` when the text does not say. Nothing here guesses: a number without a currency keeps a null
currency, a month without a day keeps month precision.

>>> parse_money("fined Clearview AI €20 million").amount
Decimal('20000000')
>>> parse_money("€5.2M").amount, parse_money("£7.5m").currency
(Decimal('5200000'), 'GBP')
>>> m = parse_money("turnover of $1 to $5 million"); (m.amount, m.amount_min, m.amount_max)
(None, Decimal('1000000'), Decimal('5000000'))
>>> parse_money("€100,000 per day").per_period
'day'
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING

from price_parser import Price

from .rules import Rules, load_rules

if TYPE_CHECKING:
    from currency_converter import CurrencyConverter
    from dateparser.date import DateDataParser

PERIODS = {"day": "day", "daily": "day", "week": "week", "weekly": "week", "month": "month", "monthly": "month"}
_UNIT_CODE = {"day": "D", "week": "W", "month": "M", "year": "Y"}


@dataclass(frozen=True)
class Money:
    """A parsed money expression: ``amount`` for a single value, ``amount_min`` and ``amount_max`` for a range.

    A bound is a range open at one end, with ``amount`` null: "up to €20m", "less than", "at most" give
    ``amount_max`` only; "at least $1m", "more than", "over" give ``amount_min`` only (``rules/bounds.tsv``). The
    span (``text``, ``start``, ``end``) is the amount as written, without the bound's words, so the extractor's role
    cues still see "up to" before it. ``currency`` is null when the text names no currency or only an ambiguous one;
    ``currency_form`` keeps the form as written ("kroner") so an article that writes one of its codes elsewhere can
    resolve it.
    """

    text: str
    start: int
    end: int
    amount: Decimal | None
    currency: str | None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    per_period: str | None = None
    currency_form: str | None = None

    @property
    def figure(self) -> Decimal | None:
        """The one figure the text states: ``amount``, or a bound's end ("up to €20m": 20000000); null for a range."""
        if self.amount is not None or self.amount_min is not None and self.amount_max is not None:
            return self.amount
        return self.amount_min if self.amount_min is not None else self.amount_max

    @property
    def value_text(self) -> str:
        """The value as plain text: "20000000", a range "1000000-5000000", a bound "<=20000000" or ">=1000000"."""
        if self.amount is not None:
            return str(self.amount)
        if self.amount_min is not None and self.amount_max is not None:
            return f"{self.amount_min}-{self.amount_max}"
        return f"<={self.amount_max}" if self.amount_max is not None else f">={self.amount_min}"


@dataclass(frozen=True)
class DateValue:
    """A calendar date at the precision the text gives: ``value`` is YYYY-MM-DD, YYYY-MM or YYYY."""

    value: str
    precision: str  # day | month | year
    start_date: date  # first day of the period, for arithmetic and FX look-ups


# --- grammar built from the rule files -------------------------------------------------------------------------

def _alt(forms: list[tuple[str, bool]], code_dot: bool = False) -> str:
    """Regex alternation of literal forms, exact-case forms as written, the others any case, longest first.

    Built as a trie (common prefixes shared, one branch per next character), since the money regex tries these
    alternations at every position of every article: "EUR|EGP|euro|euros" becomes "(?i:e(?:gp|ur(?:o(?:s)?)?))"
    and a word start that is not an "e" costs one comparison, not four. With ``code_dot`` a three-letter code may
    carry a trailing dot ("EUR. 5,000"). A space matches any run of spaces.

    >>> _alt([("EUR", False), ("euros", False), ("euro", False), ("EGP", False), ("M", True)])
    '(?i:e(?:gp|ur(?:o(?:s)?)?))|M'
    """
    parts = []
    for exact in (False, True):
        words = set()
        for form, ex in forms:
            if ex != exact:
                continue
            words.add(form if exact else form.lower())
            if code_dot and re.fullmatch(r"[A-Z]{3}", form):
                words.add(f"{form}." if exact else f"{form.lower()}.")
        if words:
            trie = _trie(sorted(words))
            parts.append(trie if exact else f"(?i:{trie})")
    return "|".join(parts) or "(?!)"


def _trie(words: list[str]) -> str:
    root: dict = {}
    for w in words:
        node = root
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        branches = [(r"\s+" if ch == " " else re.escape(ch)) + emit(child) for ch, child in node.items() if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body  # greedy: the longer form first

    return emit(root)


def _currency_alt(forms: list[tuple[str, bool]], place: str, sign_end: str = "") -> str:
    """The currency forms that stand ``before`` or ``after`` a number, as one alternation.

    A form that starts with a letter is never read inside a word ("neur" is not "EUR"); before a number, a currency
    word is not read after "the" (an exchange rate: "the ringgit 4.7"); after a number, a form that ends in a sign
    is not read when a number follows (in "in 2019 €5m" the "€" belongs to "5m"; ``sign_end`` is that condition).
    Each condition is checked once for its group of forms, not once per form: the regex tries this alternation
    at every position of every article.
    """
    groups: dict[tuple[bool, bool, bool], list[tuple[str, bool]]] = {}
    for form, exact in forms:
        word = place == "before" and bool(_WORD_FORM.fullmatch(form))
        sign = place == "after" and not form[-1:].isalpha()
        groups.setdefault((form[:1].isalpha(), word, sign), []).append((form, exact))
    parts = []
    for (letter, word, sign), group in sorted(groups.items()):
        alt = f"(?:{_alt(group, code_dot=place == 'before')})"
        alt = (r"(?<![^\W\d_])" if letter else "") + (r"(?<![Tt]he\s)" if word else "") + alt
        parts.append(alt + (sign_end if sign else ""))
    return "|".join(parts)


# A currency word of four letters or more ("ringgit", "Malaysian ringgit"), as opposed to a code or a sign. Before a
# number it is money only outside an exchange rate ("the ringgit 4.7 against the dollar", "rupees 83 to the dollar").
_WORD_FORM = re.compile(r"[A-Za-z][a-z]{3,}(?: [A-Za-z][a-z]+)*")
_RATE_AFTER = re.compile(r"\s*(?:%|per\s?cent\b|percent\b|against\b|to\s+(?:the|one|a)\b|versus\b|vs\b)", re.I)
_MAX_WORDS = 12  # number words in one amount; bounds the scan of a long run of words ("one one one ...")


@dataclass(frozen=True)
class _Grammar:
    money: re.Pattern
    singles: re.Pattern
    bare: re.Pattern
    minor: re.Pattern
    bare_minor: re.Pattern
    bound: re.Pattern | None
    bounds: dict[str, str]
    number_words: dict[str, tuple[Decimal, str]]
    exact_number_words: dict[str, tuple[Decimal, str]]
    currency_exact: dict[str, str | None]
    currency_any: dict[str, str | None]
    duration: re.Pattern


@lru_cache(maxsize=4)
def _grammar(rules: Rules) -> _Grammar:
    before = [(c.form, c.exact_case) for c in rules.currencies if c.position in ("before", "both")]
    after = [(c.form, c.exact_case) for c in rules.currencies if c.position in ("after", "both")]
    scales = [(n.word, n.exact_case) for n in rules.numbers if n.kind == "scale"]
    words = [(n.word, n.exact_case) for n in rules.numbers if n.kind in ("unit", "tens", "hundred", "article")]
    minors = [(n.word, n.exact_case) for n in rules.numbers if n.kind == "minor"]
    numeral = _alt([(n.word, n.exact_case) for n in rules.numbers if n.kind in ("unit", "tens", "hundred")])
    small = _alt([(n.word, n.exact_case) for n in rules.numbers if n.kind in ("unit", "tens")])
    small_seq = rf"(?:{small})(?:[\s-]+(?:{small}))?"  # "ten", "forty-two": a number of cents
    minor = f"(?:{_alt(minors)})(?![A-Za-z])"
    minor_part = rf"[\s,]*(?:(?i:and)\s+)?(?P<n>[0-9]{{1,2}}|{small_seq})[\s-]?(?P<u>{minor})"
    # After a number, a sign followed on the same line by a number belongs to that number ("in 2019 €5m"),
    # unless cents follow ("3 GBP 4 pence").
    sign_end = rf"(?:(?={minor_part.replace('(?P<n>', '(?:').replace('(?P<u>', '(?:')})|(?![ \t\u00a0\u202f]?[0-9]))"
    cur_before = f"(?:{_currency_alt(before, 'before')})"
    cur_after = f"(?:{_currency_alt(after, 'after', sign_end)})(?![A-Za-z])"
    scale = f"(?:{_alt(scales)})(?![A-Za-z])"
    # "3 . 4" is a decimal in text tokenised with spaces around punctuation, but only where money follows or the
    # sentence ends: "fell 3 . 4 % to" is a percentage and "$ 3 . 4 analysts" two sentences.
    # Only ASCII digits are digits: \d would also take "٣" and other scripts' digits to Decimal.
    spaced = rf"[0-9]+ \. [0-9]+(?=\s+(?:{scale}|(?:{_alt(after)})(?![A-Za-z]))|\s*(?:[.,;:!?)]|$))"
    num = (r"(?:[0-9]{1,3}(?:,[0-9]{2})+,[0-9]{3}|[0-9]{1,3}(?:[,.](?=[0-9]{3}(?![0-9]))[0-9]{3})+(?:[.,][0-9]+)?"
           rf"|[0-9]{{1,3}}(?:[ \u00a0\u202f][0-9]{{3}})+(?:[.,][0-9]+)?|{spaced}|[0-9]+(?:[.,][0-9]+)?)")
    word = f"(?:{_alt(words)})"
    more = rf"(?:[\s-]+(?:and\s+|of\s+)?{word}){{0,{_MAX_WORDS}}}"
    words_seq = rf"{word}{more}"
    numerals_seq = rf"(?:{numeral}){more}"
    # A scale needs a number word before it ("a million", "two billion"): "M" alone is the end of "H&M".
    word_num = rf"(?:{words_seq}(?:\s+{scale})+|(?:{word}[\s-]+){{1,{_MAX_WORDS}}}{scale}(?:\s+{scale})*)"
    digit_amount = rf"{num}(?:\s?{scale})*"
    amount = rf"(?:{digit_amount}|(?<![\w$€£¥₩₹])(?:{word_num}))"
    sep = r"-|–|—|(?i:to)|(?i:and)"
    single_b = rf"(?P<cb>{cur_before})\s?(?P<a1>{amount})(?:\s?(?P<ca1>{cur_after}))?"
    # Before a currency word, plain number words are money too ("one hundred dollars", "a one-dollar bid").
    single_a = rf"(?P<a2>{amount}|(?<![\w$€£¥₩₹])(?i:{numerals_seq}))[\s-]?(?P<ca2>{cur_after})"
    range_b = (rf"(?P<between>(?i:between)\s+)?(?P<rcb>{cur_before})\s?(?P<r1>{digit_amount})\s?"
               rf"(?P<sep>{sep})\s?(?P<rcb2>{cur_before})?\s?(?P<r2>{digit_amount})(?:\s?(?P<rca>{cur_after}))?")
    range_a = (rf"(?P<between2>(?i:between)\s+)?(?P<r3>{digit_amount})(?:\s?(?P<rca3>{cur_after}))?\s?"
               rf"(?P<sep2>{sep})\s?(?P<r4>{digit_amount})\s?(?P<rca2>{cur_after})")
    # Ranges first: "$1 to $5 million" is one range, not "$1" and "$5 million".
    money = re.compile(rf"(?<![\w.]){range_b}|(?<![\w.]){range_a}|{single_b}|(?<![\w.,]){single_a}")
    singles = re.compile(rf"{single_b}|(?<![\w.,]){single_a}")
    bare = re.compile(rf"(?<![\w.])(?P<between2>(?i:between)\s+)?(?P<r3>{num})\s?(?P<sep2>{sep})\s?"
                      rf"(?P<r4>{digit_amount})|(?<![\w.,])(?P<a1>{amount})")
    # "$20 43" and "twenty dollars and 43": cents without their unit, only where the text ends right after them.
    bare_minor = re.compile(rf"\s+(?:(?i:and)\s+)?(?P<n>[0-9]{{2}}|{small_seq})(?=\s*(?:[.;:!?)]\s|[.;:!?)]?$))")
    bounds = {re.sub(r"\s+", " ", p.casefold()): b for p, b in rules.bounds}
    bound = (re.compile(rf"(?<![^\W\d_])(?P<b>{_alt([(p, False) for p in bounds])})\s+$")
             if bounds else None)
    number_words = {n.word.lower(): (n.value, n.kind) for n in rules.numbers if not n.exact_case}
    exact_number_words = {n.word: (n.value, n.kind) for n in rules.numbers if n.exact_case}
    cur_exact = {c.form: c.code for c in rules.currencies if c.exact_case}
    cur_any = {re.sub(r"\s+", " ", c.form.lower()): c.code for c in rules.currencies if not c.exact_case}
    unit_words = "|".join(sorted({n.word for n in rules.numbers if n.kind in ("unit", "tens")}, key=len, reverse=True))
    duration = re.compile(rf"(?i)\b(?P<n>[0-9]+|(?:{unit_words})(?:[\s-](?:{unit_words}))?)[\s-]+"
                          rf"(?:(?:business|working|calendar)\s+)?(?P<unit>day|week|month|year)s?\b")
    return _Grammar(money, singles, bare, re.compile(minor_part), bare_minor, bound, bounds, number_words,
                    exact_number_words, cur_exact, cur_any, duration)


# --- numbers -----------------------------------------------------------------------------------------------------

def _word_value(g: _Grammar, token: str) -> tuple[Decimal, str] | None:
    return g.exact_number_words.get(token) or g.number_words.get(token.lower())


def _digits(num: str, scaled: bool) -> Decimal:
    """The value of a digit string, deciding which separator is the decimal one."""
    num = re.sub(r"[ \u00a0\u202f]", "", num)  # also joins a tokenised "3 . 4"
    if re.fullmatch(r"[0-9]{1,3}(?:,[0-9]{2})+,[0-9]{3}", num):  # Indian grouping: 2,50,000
        return Decimal(num.replace(",", ""))
    seps = [c for c in num if c in ",."]
    if not seps:
        return Decimal(num)
    if len(set(seps)) == 2:
        decimal_sep = num[max(num.rfind(","), num.rfind("."))]
    elif len(seps) > 1:
        decimal_sep = None  # 1.200.000 or 1,200,000: thousands only
    else:
        sep = seps[0]
        tail = num.split(sep)[1]
        # "4.125 billion" is a decimal; "20,000" and "1.200" without a scale word are thousands.
        decimal_sep = None if len(tail) == 3 and not (scaled and sep == ".") else sep
    if decimal_sep is None:
        return Decimal(num.replace(",", "").replace(".", ""))
    parsed = Price.fromstring(num, decimal_separator=decimal_sep).amount
    if parsed is None:  # pragma: no cover - the regex only lets digits and separators through
        raise ValueError(num)
    return parsed


def parse_amount(text: str, rules: Rules | None = None) -> Decimal | None:
    """The value of a number with optional scale words, or ``None`` when ``text`` is not a number.

    >>> parse_amount("1.2 billion"), parse_amount("20 000"), parse_amount("1.200.000")
    (Decimal('1200000000'), Decimal('20000'), Decimal('1200000'))
    >>> parse_amount("2,5 million"), parse_amount("1,337.76 crore"), parse_amount("half a million")
    (Decimal('2500000'), Decimal('13377600000'), Decimal('500000'))
    >>> parse_amount("five hundred thousand"), parse_amount("two million"), parse_amount("about")
    (Decimal('500000'), Decimal('2000000'), None)
    >>> parse_amount("one and a half million"), parse_amount("a quarter of a million")
    (Decimal('1500000'), Decimal('250000'))
    """
    g = _grammar(rules or load_rules())
    text = text.strip()
    m = re.match(r"[0-9][0-9,. \u00a0\u202f]*[0-9]|[0-9]", text)
    if m:
        rest = text[m.end():]
        tokens = re.findall(r"[A-Za-z]+", rest)
        scales = [_word_value(g, t) for t in tokens]
        factors = [s[0] for s in scales if s is not None and s[1] == "scale"]
        if len(factors) != len(scales):
            return None
        value = _digits(m.group(0), scaled=bool(scales))
        for factor in factors:
            value *= factor
        return _clean(value)
    total, current, seen = Decimal(0), Decimal(0), False
    tokens = re.findall(r"[A-Za-z]+", text)
    for i, tok in enumerate(tokens):
        if tok.lower() in ("and", "of"):
            continue
        wv = _word_value(g, tok)
        if wv is None:
            return None
        value, kind = wv
        seen = True
        if kind == "article":
            nxt = _word_value(g, tokens[i + 1]) if i + 1 < len(tokens) else None
            # "a million" is one million; the "a" of "half a million" or "one and a half" counts nothing.
            if nxt is not None and nxt[1] in ("scale", "hundred") and not (0 < current < 1):
                current += value
        elif kind in ("unit", "tens"):
            current += value
        elif kind == "hundred":
            current = (current or 1) * value
        else:
            total += (current or 1) * value
            current = Decimal(0)
    return _clean(total + current) if seen else None


def _clean(value: Decimal) -> Decimal:
    """Exact decimal without exponent or trailing zeros: Decimal('5.2E+6') -> Decimal('5200000')."""
    value = value.normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


# --- currency ----------------------------------------------------------------------------------------------------

def parse_currency(form: str | None, dollar: str = "USD", rules: Rules | None = None) -> str | None:
    """ISO 4217 code of a currency form, ``None`` when unknown or ambiguous.

    ``dollar`` is what a bare "$" means in this article (USD unless the story is about another dollar).

    >>> [parse_currency(f) for f in ["€", "EUR", "euros", "£", "stg", "US$", "$", "dlrs", "A$", "kronor", "kr", "zł"]]
    ['EUR', 'EUR', 'EUR', 'GBP', 'GBP', 'USD', 'USD', 'USD', 'AUD', 'SEK', None, 'PLN']
    >>> [parse_currency(f) for f in ["nz  $", "U.S. $", "EUR.", "usd", "元", "₽", "฿", "krona", "kroner", "riyals"]]
    ['NZD', 'USD', 'EUR', 'USD', 'CNY', 'RUB', 'THB', None, None, None]
    >>> parse_currency("$", dollar="CAD"), parse_currency("doubloons")
    ('CAD', None)
    """
    if not form:
        return None
    g = _grammar(rules or load_rules())
    form = re.sub(r"\s+", " ", form.strip())
    if form == "$":
        return dollar
    for f in (form, form[:-1]) if form.endswith(".") else (form,):  # "EUR." is EUR, "Rs." a form of its own
        if f in g.currency_exact:
            return g.currency_exact[f]
        if f.lower() in g.currency_any:
            return g.currency_any[f.lower()]
    return None


# --- money -------------------------------------------------------------------------------------------------------

_PERIOD_AFTER = re.compile(r"\s*(?:(?:per|a|an|each|every|for\s+each|for\s+every)\s+(?P<p>day|week|month)\b"
                           r"|(?P<q>daily|weekly|monthly)\b)", re.I)
_PERIOD_BEFORE = re.compile(r"\b(?P<p>daily|weekly|monthly)\b(?:\s+\w+){0,3}\s*$", re.I)


def find_money(text: str, dollar: str = "USD", rules: Rules | None = None) -> list[Money]:
    """Every money expression in ``text`` with its offsets.

    >>> [(m.text, str(m.amount), m.currency) for m in find_money("fines of €20m from Italy (and £7.5m from the UK)")]
    [('€20m', '20000000', 'EUR'), ('£7.5m', '7500000', 'GBP')]
    >>> [(m.text, m.per_period) for m in find_money("could face €100,000 a day, on top of NOK 1,000,000")]
    [('€100,000', 'day'), ('NOK 1,000,000', None)]
    >>> [(m.text, m.value_text, m.currency) for m in find_money("up to €20 million or 4% of turnover")]
    [('€20 million', '<=20000000', 'EUR')]
    >>> [(m.value_text, m.currency) for m in find_money("rose to nz $ 3 . 4 billion . in 2019 €5m went")]
    [('3400000000', 'NZD'), ('5000000', 'EUR')]
    >>> find_money("in 2021 it raised funds") == []
    True
    """
    rules = rules or load_rules()
    g = _grammar(rules)
    out = []
    for m in g.money.finditer(text):
        money = _from_match(m, text, dollar, rules)
        if money is not None:
            out.append(money)
        elif m.group("r1") or m.group("r3"):  # not a range after all: read its two amounts one by one
            out.extend(x for x in (_from_match(s, text, dollar, rules)
                                   for s in g.singles.finditer(text, m.start(), m.end()))
                       if x is not None)
    return out


def _scaled(g: _Grammar, amount_text: str) -> bool:
    return any((_word_value(g, t) or (0, ""))[1] == "scale" for t in re.findall(r"[A-Za-z]+", amount_text))


def _with_cents(g: _Grammar, text: str, amount: Decimal, end: int, rules: Rules) -> tuple[Decimal, int]:
    """A whole amount and the cents after it ("4 dollars 25 cents", "$20 and 43c"), and where they end.

    Cents without their unit ("$20 43") count only as two digits or a number word of ten or more, and only at the
    end of a sentence: "paid $20 43 times" is not $20.43.
    """
    m = g.minor.match(text, end)
    floor = 1
    if m is None:
        m, floor = g.bare_minor.match(text, end), 10
    if m is None:
        return amount, end
    value = parse_amount(m.group("n").replace("-", " "), rules)
    if value is None or not floor <= value < 100 or value != value.to_integral_value():
        return amount, end
    return _clean(amount + value / 100), m.end()


def _from_match(m: re.Match, text: str, dollar: str, rules: Rules) -> Money | None:
    gd = m.groupdict()
    g = _grammar(rules)
    start, end = m.span()
    amount = amin = amax = None
    if gd.get("r1") or gd.get("r3"):
        low_text, high_text = (gd["r1"], gd["r2"]) if gd.get("r1") else (gd["r3"], gd["r4"])
        sep = (gd.get("sep") or gd.get("sep2") or "").lower()
        between = gd.get("between") or gd.get("between2")
        high = parse_amount(high_text, rules)
        high_scale = re.sub(r"^[0-9,. \u00a0\u202f]+", "", high_text)
        low_scaled = bool(re.search(r"[A-Za-z]", low_text))
        low = parse_amount(low_text if low_scaled else f"{low_text} {high_scale}", rules)
        form = gd.get("rcb") or gd.get("rca") or gd.get("rca2")
        other = gd.get("rcb2") or gd.get("rca3")
        # "from €183m to €20m" is a reduction, two amounts: only a rising pair in one currency is a range.
        is_range = ((sep != "and" or between) and low is not None and high is not None and low < high
                    and (other is None or parse_currency(other, dollar, rules) == parse_currency(form, dollar, rules)))
        if not is_range:
            return None
        amin, amax = low, high
    else:
        amount_text = gd.get("a1") or gd["a2"]  # one of the two holds the amount when no range matched
        amount = parse_amount(amount_text, rules)
        if amount is None or amount == 0:
            return None
        form = gd.get("cb") or gd.get("ca1") or gd.get("ca2")
        if gd.get("cb") and _WORD_FORM.fullmatch(re.sub(r"\s+", " ", gd["cb"])) and _RATE_AFTER.match(text, end):
            return None  # "ringgit 4.7 against the dollar" is an exchange rate
        if form and amount == amount.to_integral_value() and not _scaled(g, amount_text):
            amount, end = _with_cents(g, text, amount, end, rules)
        if g.bound is not None:
            bound = g.bound.search(text, max(0, start - 30), start)
            if bound:
                kind = g.bounds[re.sub(r"\s+", " ", bound.group("b").casefold())]
                amin, amax = (amount, None) if kind == "min" else (None, amount)
                amount = None
    if between_text := gd.get("between") or gd.get("between2"):
        start += len(between_text)
    per_period = None
    after = _PERIOD_AFTER.match(text, end)
    if after:
        per_period = PERIODS[(after.group("p") or after.group("q")).lower()]
    else:
        before = _PERIOD_BEFORE.search(text[max(0, start - 40):start])
        if before:
            per_period = PERIODS[before.group("p").lower()]
    return Money(text[start:end], start, end, amount, parse_currency(form, dollar, rules), amin, amax, per_period, form)


def parse_money(text: str, dollar: str = "USD", rules: Rules | None = None) -> Money | None:
    """The first money expression in ``text``, or ``None``.

    >>> m = parse_money("penalties of 200,000 dlrs each"); (str(m.amount), m.currency)
    ('200000', 'USD')
    >>> m = parse_money("SEK 58 million"); (str(m.amount), m.currency)
    ('58000000', 'SEK')
    >>> m = parse_money("Rs 1,337.76 crore"); (str(m.amount), m.currency)
    ('13377600000', 'INR')
    >>> m = parse_money("20 million"); (str(m.amount), m.currency)
    ('20000000', None)
    """
    rules = rules or load_rules()
    found = find_money(text, dollar, rules)
    if found:
        return found[0]
    m = _grammar(rules).bare.search(text)  # an amount with no currency: the currency stays null
    return _from_match(m, text, dollar, rules) if m else None


# --- dates and durations -----------------------------------------------------------------------------------------

_HAS_YEAR = re.compile(r"\b(1[89][0-9][0-9]|20[0-9][0-9])\b")
_DATE_NOISE = re.compile(r"^(?:in|on|since|from|by|during|at|around|as of|early|late|mid-?|the|of|same)\s+", re.I)


@lru_cache(maxsize=64)
def _date_parser(base: date | None) -> DateDataParser:
    from dateparser.date import DateDataParser

    settings = {"PREFER_DATES_FROM": "past", "RETURN_TIME_AS_PERIOD": True}
    if base is not None:
        settings["RELATIVE_BASE"] = datetime.combine(base, datetime.min.time())
    return DateDataParser(languages=["en"], settings=settings)


# Texts without a digit that dateparser could not read ("quarter", "annual", "a year earlier"), whatever the
# reference date: the model tags many such DATE spans, each story has its own reference date so the cache of
# parse_date misses, and each costs dateparser ≈3 ms to fail again. Without digits no day-of-month can be
# invalid in one year and valid in another, so failing once means failing for every reference date.
_NOT_DATES: set[str] = set()


@lru_cache(maxsize=4096)
def parse_date(text: str, published: date | None = None) -> DateValue | None:
    """A point in time at its stated precision, or ``None`` (durations, vague words, unresolvable relatives).

    Relative expressions ("on Tuesday", "last month", "in March") need ``published`` as the reference; without it
    they stay ``None`` rather than borrow today's date.

    >>> parse_date("In October 2022")
    DateValue(value='2022-10', precision='month', start_date=datetime.date(2022, 10, 1))
    >>> parse_date("2022").value, parse_date("20 October 2022").value
    ('2022', '2022-10-20')
    >>> parse_date("on Tuesday") is None, parse_date("on Tuesday", date(2023, 5, 25)).value
    (True, '2023-05-23')
    >>> parse_date("last month", date(2023, 5, 25)).value, parse_date("in March", date(2023, 5, 25)).value
    ('2023-04', '2023-03')
    >>> parse_date("on Friday", date(2020, 10, 16)).value, parse_date("earlier this month", date(2023, 5, 22)).value
    ('2020-10-16', '2023-05')
    >>> (parse_date("July last year", date(2020, 10, 16)).value,
    ...  parse_date("the same 17 October", date(2022, 10, 20)).value)
    ('2019-07', '2022-10-17')
    >>> (parse_date("two months") is None, parse_date("annual") is None,
    ...  parse_date("a decade", date(2018, 9, 30)) is None)
    (True, True, True)
    """
    raw = text.strip()
    if not raw.isascii() and any(c.isdigit() and not c.isascii() for c in raw):
        return None  # only ASCII digits are digits: dateparser would read "٢٠٢٤" or "¹⁴" as numbers
    cleaned = raw
    while True:
        nxt = _DATE_NOISE.sub("", cleaned)
        if nxt == cleaned:
            break
        cleaned = nxt
    if re.search(r"\b(?:decades?|centur(?:y|ies))\b", cleaned, re.I) and not _HAS_YEAR.search(cleaned):
        return None  # "for a decade", "half a century": a length of time, not a point in it
    if not cleaned or parse_duration(cleaned) and \
            not re.search(r"\b(ago|last|next|this|earlier|later)\b", cleaned, re.I):
        return None
    has_year = bool(_HAS_YEAR.search(cleaned))
    relative = _relative_date(cleaned, published)
    if relative is not None:
        return relative
    if not has_year and published is None:
        return None
    if re.fullmatch(r"(?:1[89]|20)[0-9][0-9]", cleaned):
        y = int(cleaned)
        return DateValue(cleaned, "year", date(y, 1, 1))
    fast = _plain_date(cleaned)
    if fast is not None:
        return fast
    key = cleaned.casefold()
    if key in _NOT_DATES:
        return None
    data = _date_parser(published).get_date_data(cleaned)
    if data is None or data.date_obj is None:
        if not any(c.isdigit() for c in cleaned) and len(_NOT_DATES) < 50_000:
            _NOT_DATES.add(key)
        return None
    d = data.date_obj.date()
    if published is not None and not has_year and d > published:
        return None  # a weekday or month read into the future of the article is not a decision date
    period = data.period
    if period in ("day", "time"):
        return DateValue(d.isoformat(), "day", d)
    if period == "month":
        return DateValue(f"{d.year:04d}-{d.month:02d}", "month", date(d.year, d.month, 1))
    if period == "year":
        return DateValue(f"{d.year:04d}", "year", date(d.year, 1, 1))
    return None  # a week is not a precision the table offers


_MONTHS = {m: i for i, m in enumerate(["january", "february", "march", "april", "may", "june", "july", "august",
                                        "september", "october", "november", "december"], 1)}
_MONTH = "(?P<month>" + "|".join(_MONTHS) + ")"
_PLAIN_DATES = [re.compile(p, re.I) for p in (
    rf"(?P<day>[0-9]{{1,2}})\s+{_MONTH},?\s+(?P<year>(?:1[89]|20)[0-9][0-9])",     # 14 March 2023
    rf"{_MONTH}\s+(?P<day>[0-9]{{1,2}}),?\s+(?P<year>(?:1[89]|20)[0-9][0-9])",     # March 14, 2023
    rf"{_MONTH},?\s+(?P<year>(?:1[89]|20)[0-9][0-9])",                            # March 2023
)]


def _plain_date(text: str) -> DateValue | None:
    """The commonest written dates, read without dateparser (≈1 ms a call, most of the extractor's time).

    Only full month names with a four-digit year: exactly what dateparser makes of them (tests/test_dates.py
    checks), so the table does not change; anything else, or an impossible day, goes to dateparser.

    >>> _plain_date("14 March 2023"), _plain_date("March 2023").value, _plain_date("31 February 2023")
    (DateValue(value='2023-03-14', precision='day', start_date=datetime.date(2023, 3, 14)), '2023-03', None)
    """
    for pattern in _PLAIN_DATES:
        m = pattern.fullmatch(text)
        if m is None:
            continue
        year, month = int(m.group("year")), _MONTHS[m.group("month").lower()]
        if "day" not in m.groupdict():
            return DateValue(f"{year:04d}-{month:02d}", "month", date(year, month, 1))
        try:
            d = date(year, month, int(m.group("day")))
        except ValueError:
            return None
        return DateValue(d.isoformat(), "day", d)
    return None


_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTH_OF_YEAR = re.compile(rf"^({'|'.join(_MONTHS)})\s+(this|last)\s+year$", re.I)
_THIS = re.compile(r"^(?:(?:earlier|later|early|late)\s+)?(this|last|next)\s+(month|year)$", re.I)


def _relative_date(text: str, published: date | None) -> DateValue | None:
    """Weekdays and "this/last month/year", which news uses relative to the publication day.

    A weekday is the most recent one on or before publication ("on Friday" in a Friday paper is that day).
    """
    if published is None:
        return None
    t = text.strip().lower().rstrip(".")
    if t in _WEEKDAYS:
        d = published - timedelta(days=(published.weekday() - _WEEKDAYS.index(t)) % 7)
        return DateValue(d.isoformat(), "day", d)
    m = _MONTH_OF_YEAR.match(t)
    if m:  # "July last year" in an October 2020 paper is 2019-07
        mo = _MONTHS[m.group(1).lower()]
        y = published.year - (m.group(2) == "last")
        return DateValue(f"{y:04d}-{mo:02d}", "month", date(y, mo, 1))
    m = _THIS.match(t)
    if m:
        which, unit = m.group(1).lower(), m.group(2).lower()
        if which == "next":
            return None
        if unit == "year":
            y = published.year - (which == "last")
            return DateValue(f"{y:04d}", "year", date(y, 1, 1))
        y, mo = published.year, published.month - (which == "last")
        if mo == 0:
            y, mo = y - 1, 12
        return DateValue(f"{y:04d}-{mo:02d}", "month", date(y, mo, 1))
    return None


def parse_duration(text: str, rules: Rules | None = None) -> str | None:
    """ISO 8601 duration of "within two months" style text, or ``None``.

    >>> parse_duration("within two months"), parse_duration("90 days"), parse_duration("six-week")
    ('P2M', 'P90D', 'P6W')
    >>> parse_duration("by 31 March 2024") is None
    True
    """
    g = _grammar(rules or load_rules())
    m = g.duration.search(text)
    if not m:
        return None
    n = m.group("n")
    if n.isdigit():
        value = int(n)
    else:
        parsed = parse_amount(n.replace("-", " "), rules)
        if parsed is None:
            return None
        value = int(parsed)
    return f"P{value}{_UNIT_CODE[m.group('unit').lower()]}"


def add_duration(start: date, duration: str) -> date | None:
    """``start`` plus an ISO 8601 duration of one unit, with month ends clamped.

    >>> add_duration(date(2022, 10, 17), "P2M"), add_duration(date(2024, 1, 31), "P1M")
    (datetime.date(2022, 12, 17), datetime.date(2024, 2, 29))
    """
    m = re.fullmatch(r"P([0-9]+)([DWMY])", duration)
    if not m:
        return None
    n, unit = int(m.group(1)), m.group(2)
    if unit == "D":
        return start + timedelta(days=n)
    if unit == "W":
        return start + timedelta(weeks=n)
    months = n * (12 if unit == "Y" else 1)
    y, mo = divmod(start.month - 1 + months, 12)
    year, month = start.year + y, mo + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


# --- EUR equivalent ----------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _converter() -> CurrencyConverter:
    from currency_converter import CurrencyConverter  # its ECB rates ship in the package: nothing is downloaded

    return CurrencyConverter(fallback_on_missing_rate=True, fallback_on_missing_rate_method="last_known",
                             fallback_on_wrong_date=False)


def to_eur(amount: Decimal | None, currency: str | None, on: date | None) -> Decimal | None:
    """``amount`` in EUR at the ECB reference rate of ``on`` (the last published rate on or before it).

    Offline: the rates ship with the ``currencyconverter`` package. ``None`` when there is no amount, no currency,
    no date or no ECB rate for that currency and date.

    >>> to_eur(Decimal("20000000"), "EUR", date(2022, 10, 20))
    Decimal('20000000')
    >>> to_eur(Decimal("1000"), "USD", date(2022, 10, 20))
    Decimal('1019.26')
    >>> to_eur(Decimal("1000"), "XXX", date(2022, 10, 20)) is None
    True
    """
    if amount is None or currency is None or on is None:
        return None
    if currency == "EUR":
        return amount
    conv = _converter()
    if currency not in conv.currencies:
        return None
    try:
        rate = Decimal(str(conv.convert(1, currency, "EUR", date=on)))
    except Exception:  # RateNotFoundError and friends: outside the ECB series for this currency
        return None
    return (amount * rate).quantize(Decimal("0.01"))
