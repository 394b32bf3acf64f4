"""The findings ledger and the rules of inference it applies: one verdict per finding, every
family declared, office verdicts under simultaneous inference, no ranking where the recovery
study says the method cannot rank, and every view's verdict equal to the ledger's."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.data import store
from analysis.methods import inference, ledger
from analysis.narrative import sentences

ROOT = Path(__file__).resolve().parents[1]


def test_office_verdicts_use_simultaneous_intervals():
    # 20 offices, one clearly below: its pointwise and simultaneous intervals exclude 0;
    # one at t = 2.5 excludes 0 pointwise only, so it is not named
    k = 20
    e = np.zeros(k)
    e[0], e[1] = -10.0, 2.5
    res = pd.DataFrame({"outcome": "ikm", "unit_id": [f"u{i}" for i in range(k)],
                        "effect": e, "std_error": 1.0, "df": 8.0, "p_value": np.nan,
                        "ci_low": e - 2.3, "ci_high": e + 2.3, "verdict": "indistinguishable"})
    out = inference.office_verdicts(res, rankable={"ikm": True}).set_index("unit_id")
    crit = stats.t.ppf(1 - 0.05 / (2 * k), 8)
    assert out.loc["u0", "ci_high"] == pytest.approx(-10 + crit)
    assert out.loc["u0", "verdict"] == "below"
    assert out.loc["u1", "verdict"] == "indistinguishable"
    assert out.loc["u1", "ci_low_pointwise"] > 0          # pointwise would have named it
    assert (out["n_offices"] == k).all()
    assert out.loc["u1", "p_adjusted"] == pytest.approx(min(1, k * out.loc["u1", "p_value"]))
    # the verdict follows from the interval printed beside it
    for r in out.itertuples():
        assert (r.verdict == "below") == (r.ci_high < 0)
        assert (r.verdict == "above") == (r.ci_low > 0)
    # joint rank intervals: u0 is surely below every office whose interval is above its own
    assert out.loc["u0", "rank_high"] == k
    assert out.loc["u0", "rank_low"] == 1 + int((out["ci_low"] > out.loc["u0", "ci_high"]).sum())


def test_no_ranks_for_an_outcome_that_cannot_be_ranked():
    res = pd.DataFrame({"outcome": "innovations", "unit_id": ["a", "b", "c"],
                        "effect": [-9.0, 0.0, 9.0], "std_error": 0.5, "df": 6.0,
                        "p_value": np.nan, "verdict": "indistinguishable"})
    out = inference.office_verdicts(res, rankable={"innovations": False})
    assert out["rank"].isna().all() and out["rank_low"].isna().all()
    assert not out["rankable"].any()
    text = sentences.ranking_words(out, "en")
    assert "not ranked" in text and "0.20" in text
    assert sentences.ordered_pairs(out) == (0, 3)


def test_joint_rank_intervals_and_ordered_pairs():
    lo, hi = np.array([0.0, 2.0, 2.5]), np.array([1.0, 3.0, 4.0])
    low, high = inference.joint_rank_intervals(lo, hi)
    assert list(low) == [3, 1, 1] and list(high) == [3, 2, 2]
    assert inference.ordered_pairs(lo, hi) == (2, 3)


def test_term_verdict_is_the_sentence_rule():
    for p, pa in [(0.01, 0.02), (0.01, 0.3), (0.2, 1.0), (np.nan, np.nan)]:
        v = inference.term_verdict(p, pa)
        assert {"claimed": "yes", "raw only": "raw", "not claimed": "no"}[v] == \
            sentences.claim(p, pa)


def test_recovery_spearman_in_step_with_the_recovery_study():
    """The ranking rule reads the recovery study's Spearman correlations; the constants in
    ``inference`` must be the ones ``validation/recovery.py`` last wrote."""
    summary = json.loads((ROOT / "validation" / "recovery_summary.json").read_text())
    for outcome, rho in inference.RECOVERY_SPEARMAN.items():
        assert summary["spearman"][outcome] == pytest.approx(rho, abs=0.005), outcome
        assert inference.rankable(outcome) == (summary["spearman"][outcome] >= 0.6)


def test_ledger_rows_declared_and_consistent_with_every_table(built_data_dir):
    """Every finding is in a declared family with its size and adjustment, and the tables the
    views read (model_results, lag_results, resilience, event_study) state the same verdict."""
    data_dir = built_data_dir
    book = store.load_table("findings", data_dir)
    assert set(book["family"]) <= set(ledger.FAMILIES)
    # the regency's findings are the simulated panel's; the national 2020 family is real data
    assert set(book.loc[book["family"] != "national_2020", "provenance"]) == {"simulated"}
    assert set(book.loc[book["family"] == "national_2020", "provenance"]) <= {"public"}
    terms = book[book["family"] == "model_terms"]
    assert terms["family_size"].nunique() == 1 and terms["family_size"].iloc[0] == len(terms)
    for name in ("model_results", "lag_results"):
        t = store.load_table(name, data_dir)
        for r in t.dropna(subset=["p_value"]).itertuples():
            row = ledger.lookup(book, r.outcome, r.term, r.model)
            assert row is not None, (name, r.outcome, r.term)
            assert {"yes": "claimed", "raw": "raw only", "no": "not claimed"}[
                sentences.claim_of(r)] == row["verdict"]
    res = store.load_table("resilience", data_dir).dropna(subset=["effect"])
    for r in res.itertuples():
        row = ledger.office(book, r.outcome, r.unit_id)
        assert row is not None and row["verdict"] == r.verdict
        assert row["family_size"] == (res["outcome"] == r.outcome).sum()
    es = store.load_table("event_study", data_dir)
    pt = book[book["kind"] == "pretrend"].iloc[0]
    assert bool(es["pretrend_flagged"].iloc[0]) == (pt["verdict"] == "flagged")
    assert (pt["verdict"] == "flagged") == (pt["p_adjusted"] < 0.05)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_deck_and_brief_state_the_ledgers_verdicts(built_data_dir, lang):
    """The presentation's findings (the deck's slides and the brief read them) word every
    effect they show with the ledger's verdict for that term, and name no office the ledger
    does not name."""
    from analysis.narrative.catalog import text
    from analysis.publish import findings

    res = findings.load(built_data_dir, lang=lang)
    book = store.load_table("findings", built_data_dir)
    said = " ".join(f["sentence"] for f in findings.findings(res))
    for outcome, (model, term, _m) in findings.EFFECT_SPECS.items():
        row = ledger.lookup(book, outcome, term, model)
        key = {"claimed": "claimed", "raw only": "raw", "not claimed": "not_claimed"}[
            row["verdict"]]
        phrase = text(f"sent.testing.{key}", lang, p=sentences.peq(row["p_value"], lang),
                      pa=sentences.peq(row["p_adjusted"], lang), k=int(row["family_size"]))
        assert phrase in said, (outcome, phrase)
    offices = book[book["kind"] == "office"]
    for r in offices[~offices["verdict"].isin(["above", "below"])].itertuples():
        assert res.name(r.unit_id) + " +" not in said and res.name(r.unit_id) + " −" not in said
