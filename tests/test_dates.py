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
