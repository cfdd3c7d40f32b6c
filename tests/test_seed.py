"""Golden end-to-end: the seed story the project started from (read from ../shared, never copied here)."""

from decimal import Decimal

import pandas as pd
import pytest

from conftest import SEED

pytestmark = pytest.mark.skipif(not SEED.exists(), reason="shared seed story not present")


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    from pipeline.run import run

    out = tmp_path_factory.mktemp("seed")
    run([SEED], out)
    return pd.read_parquet(out / "actions.parquet"), pd.read_parquet(out / "mentions.parquet")


def _key(row):
    amount = None if pd.isna(row["amount"]) else Decimal(str(row["amount"])).normalize()
    return (row["action_type"], row["status"], row["regulator_country"], amount,
            None if pd.isna(row["currency"]) else row["currency"],
            None if pd.isna(row["per_period"]) else row["per_period"])


def test_seed_actions_with_amounts_are_exactly_these(seed):
    actions, _ = seed
    with_amount = sorted((_key(r) for _, r in actions.iterrows() if not pd.isna(r["amount"])), key=str)
    expected = sorted([
        ("fine", "imposed", "FR", Decimal("2E+7"), "EUR", None),
        ("penalty", "imposed", "FR", Decimal("5.2E+6"), "EUR", None),
        ("penalty", "threatened", "FR", Decimal("1E+5"), "EUR", "day"),
        ("fine", "imposed", "IT", Decimal("2E+7"), "EUR", None),
        ("fine", "imposed", "GR", Decimal("2E+7"), "EUR", None),
        ("fine", "imposed", "GB", Decimal("9E+6"), "EUR", None),
        ("settlement", "imposed", "US", Decimal("3E+5"), "USD", None),
    ], key=str)
    assert with_amount == expected


def test_seed_cnil_fine_details(seed):
    actions, _ = seed
    fine = actions[(actions.regulator_id == "fr-cnil") & (actions.action_type == "fine")].iloc[0]
    assert fine.target == "Clearview AI"
    assert (fine.decision_date, fine.date_precision) == ("2022-10", "month")
    assert "fined Clearview AI" in fine.evidence


def test_seed_order_with_deadline(seed):
    actions, _ = seed
    orders = actions[actions.action_type == "order"]
    assert len(orders) == 1
    order = orders.iloc[0]
    assert order.regulator_id == "fr-cnil" and order.deadline == "P2M"
    assert order.order_text.startswith("stop") and "delete" in order.order_text


def test_seed_settlement_dated_2022(seed):
    actions, _ = seed
    s = actions[actions.action_type == "settlement"].iloc[0]
    assert (s.decision_date, s.date_precision) == ("2022", "year")


def test_seed_registry_bodies_for_country_fines(seed):
    actions, _ = seed
    by_country = dict(zip(actions.regulator_country, actions.regulator_id, strict=True))
    assert by_country["IT"] == "it-garante" and by_country["GR"] == "gr-hdpa" and by_country["GB"] == "gb-ico"


@pytest.mark.parametrize("amount,role", [("100000000", "valuation"), ("30000000", "funding")])
def test_seed_distractors_are_not_actions(seed, amount, role):
    actions, mentions = seed
    m = mentions[(mentions.kind == "money") & (mentions.amount.astype(str).str.rstrip("0").str.rstrip(".") == amount)]
    assert list(m.role) == [role]
    assert m.action_id.isna().all()
    assert not any(str(a).rstrip("0").rstrip(".") == amount for a in actions.amount.dropna())


def test_seed_turnover_range_is_revenue(seed):
    _, mentions = seed
    rng = mentions[(mentions.kind == "money") & mentions.text.str.contains("to \\$5 million")]
    assert list(rng.role) == ["revenue"] and rng.action_id.isna().all()


def test_seed_cnil_decision_and_its_penalties_are_one_case(seed):
    actions, _ = seed
    cnil = actions[actions.regulator_id == "fr-cnil"]
    kinds = {(r.action_type, r.status) for r in cnil.itertuples()}
    assert {("fine", "imposed"), ("order", "imposed"), ("penalty", "threatened"), ("penalty", "imposed")} <= kinds
    assert cnil.case_id.nunique() == 1
    others = actions[actions.regulator_id != "fr-cnil"]
    assert not set(others.case_id) & set(cnil.case_id)
