"""Accuracy on real text nobody here wrote holds its floors, so no change lands below them.

The sets are read from ``../shared/eval`` beside the clone (CI has it there) and never copied into the project; a
test skips when its set is absent.
"""

from pathlib import Path

import pytest

from conftest import ROOT
from pipeline import realtext

SHARED = ROOT.parent / "shared" / "eval"
PRIVACYAFFAIRS = SHARED / "gdpr_fines_privacyaffairs" / "gdpr_violations.tsv"
REUTERS = SHARED / "reuters_dev"
DUCKLING = SHARED / "duckling_money" / "amountofmoney_en.jsonl"


def _needs(path: Path):
    return pytest.mark.skipif(not path.exists(), reason=f"{path} not present")


def _assert_floors(set_name: str, figures: dict[str, float]) -> None:
    assert {f.figure for f in realtext.FLOORS if f.set == set_name} == set(figures)
    failed = realtext.below({set_name: figures})
    assert not failed, [(f.figure, round(v, 3), f.floor) for f, v in failed]


@_needs(PRIVACYAFFAIRS)
def test_privacyaffairs_summaries_hold_their_floors(tmp_path):
    scores = realtext.evaluate_external(PRIVACYAFFAIRS, tmp_path)
    # Measured on enough stated values to mean something.
    assert scores["target"]["tp"] + scores["target"]["fn"] >= 15 and scores["amount"]["tp"] >= 30
    _assert_floors("PrivacyAffairs", realtext.privacyaffairs_figures(scores))


@_needs(REUTERS / "gold.json")
def test_reuters_stories_hold_their_floors(tmp_path):
    scores = realtext.evaluate_wire(REUTERS, tmp_path)
    assert scores["fields_asked"] >= 80 and scores["amounts_asked"] >= 9
    _assert_floors("Reuters dev", realtext.wire_figures(scores))


@_needs(DUCKLING)
def test_duckling_money_expressions_hold_their_floors():
    scores, left_out = realtext.evaluate_money(DUCKLING)
    # The floors are measured on enough expressions, and the left-out ones are accounted for.
    assert scores["value"]["tp"] + scores["value"]["fn"] >= 120
    assert sum(left_out.values()) + scores["value"]["tp"] + scores["value"]["fn"] >= 200
    _assert_floors("Duckling money", realtext.money_figures(scores))


def test_a_missing_set_fails_no_floor_and_says_so():
    assert realtext.below({}) == []
    assert "not scored" in realtext.summary({})


def test_a_count_of_errors_fails_above_its_floor():
    figures = {"required fields right": 0.95, "required amounts right": 1.0, "forbidden amounts reported": 1}
    assert [f.figure for f, _ in realtext.below({"Reuters dev": figures})] == ["forbidden amounts reported"]
