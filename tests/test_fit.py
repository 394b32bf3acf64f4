"""analysis.methods.fit: a formula in, a pyfixest model out, a tidy table for coef_plot."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.methods import fe, lags, measures
from analysis.methods import fit as F
from analysis.publish import plots

MAIN = "innovations ~ dlog_budget + acting_share + cut_2020_x_post | unit_id + year"


@pytest.fixture(scope="module")
def sim():
    panel, truth = measures.simulated_panel(7, with_truth=True)
    return lags.add_lags(fe.add_model_columns(panel), 2), truth


def test_planted_effects_are_recovered(sim):
    panel, truth = sim
    res = F.tidy(F.fit(MAIN, panel), truth)
    assert list(res["term"]) == ["dlog_budget", "acting_share", "cut_2020_x_post"]
    assert set(res["model"]) == {"fe_poisson"}  # a count: Poisson chosen
    assert res.loc[0, "planted"] == F.planted(truth, "innovations", "dlog_budget") != 0
    assert res["covers"].all(), res[["term", "estimate", "ci_low", "ci_high", "planted"]]
    ikm = F.tidy(F.fit("ikm ~ dlog_budget_lag1 + acting_share | unit_id + year", panel), truth)
    assert set(ikm["model"]) == {"fe_ols"}
    row = ikm.set_index("term").loc["dlog_budget_lag1"]
    assert row["planted"] > 0 and row["ci_low"] > 0 and row["covers"]


@pytest.mark.parametrize("vcov", [None, "CRV1"])
def test_same_numbers_as_the_package_estimator(sim, vcov):
    """The default (None) is the build's: CRV3 cluster jackknife with t(G-1)."""
    panel, _ = sim
    mine = F.tidy(F.fit(MAIN, panel, vcov={vcov: "unit_id"} if vcov else None))
    regs = ["dlog_budget", "acting_share", "cut_2020_x_post"]
    ref = (fe.fe_poisson(panel, "innovations", regs, vcov=vcov) if vcov else
           fe.fe_poisson(panel, "innovations", regs))
    for col in ("estimate", "std_error", "ci_low", "ci_high", "p_value", "n", "n_clusters"):
        np.testing.assert_allclose(mine[col].to_numpy(float), ref[col].to_numpy(float))
    assert (mine["n_obs"] == mine["n"]).all()
    assert mine["note"].iloc[0].startswith("CRV3" if vcov is None else "CRV1")


def test_tidy_columns_no_verdict_and_coef_plot(sim):
    panel, _ = sim
    res = F.tidy(F.fit(MAIN, panel))
    for col in ("term", "estimate", "std_error", "ci_low", "ci_high", "p_value", "n_obs",
                "n_clusters", "provenance"):
        assert col in res.columns
    # a live refit is exploration: raw p-values only, no family adjustment, no verdict
    assert not {"p_adjusted", "n_tests", "verdict"} & set(res.columns)
    assert ((res["n_clusters"] > 0) & (res["n_clusters"] <= panel["unit_id"].nunique())).all()
    assert "planted" not in res.columns  # no truth given
    assert set(res["provenance"]) == {"simulated"}
    fig = plots.coef_plot(res, lang="en")
    assert any("SIMULATED" in t.get_text().upper() for t in fig.texts)


def test_a_changed_formula_changes_the_result(sim):
    panel, _ = sim
    a = F.tidy(F.fit(MAIN, panel))
    b = F.tidy(F.fit(MAIN.replace("| unit_id + year", "| unit_id + sector^year"), panel))
    assert not np.allclose(a["estimate"], b["estimate"])
    c = F.tidy(F.fit(MAIN, panel, family="ols"))
    assert set(c["model"]) == {"fe_ols"}


def test_vcov_choices(sim):
    panel, _ = sim
    crv3 = F.tidy(F.fit(MAIN, panel, vcov={"CRV3": "unit_id"}))
    crv1 = F.tidy(F.fit(MAIN, panel, vcov={"CRV1": "unit_id"}))
    assert crv3["note"].iloc[0].startswith("CRV3")
    assert (crv3["std_error"] != crv1["std_error"]).all()
    iid = F.tidy(F.fit("ikm ~ dlog_budget_lag1 | unit_id + year", panel, vcov="iid"))
    assert iid["note"].iloc[0].startswith("iid")
    # notes that fit the method: no cluster caveat on unclustered errors, and the OPDs counted
    assert "few clusters" not in iid["note"].iloc[0]
    assert int(iid["n_clusters"].iloc[0]) == panel.dropna(subset=["ikm"])["unit_id"].nunique()
    with pytest.raises(ValueError, match="vcov type must be one of"):
        F.fit(MAIN, panel, vcov={"CRV9": "unit_id"})
    with pytest.raises(ValueError, match="unknown column.*in vcov: opd"):
        F.fit(MAIN, panel, vcov={"CRV1": "opd"})


def test_missing_rows_are_counted_in_the_note(sim):
    panel, _ = sim
    res = F.tidy(F.fit("ikm ~ dlog_budget_lag2 | unit_id + year", panel))
    n_missing = int(panel[["ikm", "dlog_budget_lag2"]].isna().any(axis=1).sum())
    assert n_missing and f"{n_missing} row(s) with a missing value dropped" in res["note"][0]


@pytest.mark.parametrize("formula, message", [
    ("innovations ~ dlog_budgt | unit_id + year",
     "unknown column(s) in formula: dlog_budgt (did you mean dlog_budget"),
    ("innovations ~ dlog_budget | unit_id + tahun", "unknown column(s) in formula: tahun"),
    ("inovasi ~ dlog_budget", "unknown column(s) in formula: inovasi"),
    ("innovations dlog_budget", "a formula is 'outcome ~ regressors | fixed effects'"),
])
def test_bad_formula_names_the_problem(sim, formula, message):
    panel, _ = sim
    with pytest.raises(ValueError) as err:
        F.fit(formula, panel)
    assert message in str(err.value)


def test_formula_columns_skip_functions_and_keywords():
    cols = F.formula_columns("innovations ~ i(year, cut_depth_2020, ref=2019) + "
                             "np.log(x1) + C(kind) | unit_id + sector^year")
    assert cols == {"outcome": ["innovations"], "rhs": ["year", "cut_depth_2020", "x1", "kind"],
                    "fe": ["unit_id", "sector", "year"]}


def test_bad_family_and_negative_counts(sim):
    panel, _ = sim
    with pytest.raises(ValueError, match="family must be one of"):
        F.fit(MAIN, panel, family="logit")
    neg = panel.assign(y=-panel["innovations"])
    with pytest.raises(ValueError, match="negative values"):
        F.fit("y ~ dlog_budget | unit_id + year", neg, family="poisson")


def test_tidy_refuses_foreign_models(sim):
    with pytest.raises(ValueError, match="analysis.methods.fit.fit"):
        F.tidy(pd.DataFrame())


def test_cumulative_matches_the_reparametrised_lag_model(sim):
    panel, truth = sim
    terms = ["dlog_budget_lag0", "dlog_budget_lag1", "dlog_budget_lag2"]
    model = F.fit(f"ikm ~ {' + '.join(terms)} | unit_id + year", panel,
                  vcov={"CRV1": "unit_id"})
    mine = F.cumulative(model, terms, truth).iloc[0]
    ref = lags.distributed_lags(panel, "ikm", 2, vcov="CRV1")
    ref = ref[ref["term"] == "cumulative"].iloc[0]
    for col in ("estimate", "std_error", "ci_low", "ci_high", "p_value"):
        assert np.isclose(mine[col], ref[col]), col
    assert mine["planted"] == F.planted(truth, "ikm", "cumulative", 2) and mine["covers"]
    with pytest.raises(ValueError, match="not in the model: dlog_budget_lag3"):
        F.cumulative(model, ["dlog_budget_lag3"])


def test_cumulative_with_the_default_jackknife_matches_the_build(sim):
    """The jackknife variance of a sum is 1'V1 of the jackknife covariance: the same as the
    build's reparametrised model with CRV3."""
    panel, _ = sim
    terms = ["dlog_budget_lag0", "dlog_budget_lag1", "dlog_budget_lag2"]
    mine = F.cumulative(F.fit(f"ikm ~ {' + '.join(terms)} | unit_id + year", panel),
                        terms).iloc[0]
    ref = lags.distributed_lags(panel, "ikm", 2)
    ref = ref[ref["term"] == "cumulative"].iloc[0]
    assert str(ref["note"]).startswith("CRV3") and mine["note"].startswith("CRV3")
    for col in ("estimate", "std_error", "ci_low", "ci_high", "p_value"):
        assert np.isclose(mine[col], ref[col]), (col, mine[col], ref[col])


def test_one_estimation_api_no_private_calls_into_fe():
    """Every estimator fits and reports through analysis.methods.fe's public functions: no
    module of the package imports a private name of fe or uses one through the module."""
    import ast

    from analysis import config

    root = config.project_root() / "src" / "analysis"
    bad = []
    for path in sorted(root.rglob("*.py")):
        if path == root / "methods" / "fe.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = set()   # names the module fe is bound to
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "analysis.methods.fe":
                bad += [f"{path.name}:{node.lineno} imports {a.name}" for a in node.names
                        if a.name.startswith("_")]
            elif isinstance(node, ast.ImportFrom) and node.module == "analysis.methods":
                aliases |= {a.asname or a.name for a in node.names if a.name == "fe"}
            elif isinstance(node, ast.Import):
                aliases |= {a.asname for a in node.names
                            if a.name == "analysis.methods.fe" and a.asname}
        bad += [f"{path.name}:{node.lineno} uses fe.{node.attr}" for node in ast.walk(tree)
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in aliases and node.attr.startswith("_")]
    assert not bad, bad
