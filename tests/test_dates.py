"""The fast path for plain written dates gives exactly what dateparser gives (pipeline.normalise._plain_date)."""

import random
from datetime import date

import pytest

from pipeline.normalise import _date_parser, _plain_date, parse_date

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def _cases(n=300, seed=5):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        y, m, d = rng.randint(1990, 2049), rng.choice(MONTHS), rng.randint(1, 31)
        month = rng.choice([m, m.upper(), m.lower()])
        out.append(rng.choice([f"{d} {month} {y}", f"{month} {d}, {y}", f"{month} {d} {y}", f"{month} {y}",
                               f"{d} {month}, {y}", f"{month}, {y}"]))
    return out


@pytest.mark.parametrize("published", [None, date(2023, 5, 25)])
def test_plain_dates_match_dateparser(published):
    for text in _cases():
        fast = _plain_date(text)
        data = _date_parser(published).get_date_data(text)
        if data is None or data.date_obj is None:
            assert fast is None, text
            continue
        d = data.date_obj.date()
        expected = d.isoformat() if data.period == "day" else f"{d.year:04d}-{d.month:02d}"
        assert fast is not None and fast.value == expected, text
        assert parse_date(text, published) == fast


def test_other_dates_still_go_to_dateparser():
    assert _plain_date("Tuesday") is None and _plain_date("Sept 2021") is None and _plain_date("2021-03-04") is None
    assert parse_date("Sept 2021").value == "2021-09"


def test_texts_dateparser_cannot_read_stay_unread_for_every_reference_date():
    # the _NOT_DATES cache must not change what parse_date says, whichever reference date comes first
    from pipeline import normalise

    phrases = ["quarter", "annual", "a year earlier", "next two years", "the end of the period", "daily",
               "last three months", "a year ago", "earlier this year", "the previous quarter", "last week",
               "the end of February", "mid-March", "yesterday", "the same period last year"]
    bases = [None, date(2023, 5, 25), date(2024, 2, 29), date(2020, 12, 31)]

    def direct(text, base):
        normalise._NOT_DATES.clear()
        parse_date.cache_clear()
        return parse_date(text, base)

    expected = {(t, b): direct(t, b) for t in phrases for b in bases}
    normalise._NOT_DATES.clear()
    parse_date.cache_clear()
    for b in reversed(bases):
        for t in phrases:
            assert parse_date(t, b) == expected[(t, b)], (t, b)
