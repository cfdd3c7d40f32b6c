"""The money normaliser holds its floors on Duckling's real money expressions (read from ../shared, never copied)."""

from pathlib import Path

import pytest

from pipeline.evaluate import MONEY_FLOORS, below_money_floors, evaluate_money

DUCKLING = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "duckling_money" / "amountofmoney_en.jsonl"

pytestmark = pytest.mark.skipif(not DUCKLING.exists(), reason="shared Duckling money corpus not present")


def test_duckling_money_floors():
    scores, left_out = evaluate_money(DUCKLING)
    assert below_money_floors(scores) == {}, {k: round(v["recall"], 3) for k, v in scores.items()}
    # The floors are measured on enough expressions to mean something, and the left-out ones are accounted for.
    assert scores["value"]["tp"] + scores["value"]["fn"] >= 120
    assert sum(left_out.values()) + scores["value"]["tp"] + scores["value"]["fn"] >= 200
    assert set(MONEY_FLOORS) == {"value", "currency"}
