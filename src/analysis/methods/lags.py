"""Distributed lags of the budget change (all lags in one model; the cumulative effect
through the equivalent reparametrisation, so its standard error is pyfixest's)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.methods.fe import (
    DEFAULT_VCOV,
    TIDY_COLUMNS,
    add_model_columns,
    fe_ols,
    fe_poisson,
    is_count,
)

# =================================================================================================
# distributed lags
# =================================================================================================

def add_lags(panel: pd.DataFrame, max_lag: int, regressor: str = "dlog_budget") -> pd.DataFrame:
    """``<regressor>_lag0..max_lag`` (lag 0 = the same year), within unit, NaN across gaps in
    the years (a lag is never taken from a year that is not exactly k years before)."""
    if max_lag < 0:
        raise ValueError("max_lag must be 0 or more")
    keys = [c for c in ("region_code", "unit_id") if c in panel.columns]
    p = panel.sort_values([*keys, "year"]).copy()
    g = p.groupby(keys, sort=False)
    for k in range(max_lag + 1):
        shifted = g[regressor].shift(k)
        year_ok = g["year"].shift(k) == p["year"] - k
        p[f"{regressor}_lag{k}"] = shifted.where(year_ok)
    return p


def distributed_lags(panel: pd.DataFrame, outcome: str, max_lag: int = 2,
                     regressor: str = "dlog_budget", controls=(), fe=("unit_id", "year"),
                     cluster: str = "unit_id", alpha: float = 0.05,
                     vcov: str = DEFAULT_VCOV) -> pd.DataFrame:
    """All lags in one model: ``outcome ~ x_lag0 + ... + x_lagK [+ controls] | unit + year``
    (Poisson for counts, OLS otherwise), never one model per lag.

    Returns the tidy rows of every lag (``lag`` = k) and a ``cumulative`` row, the sum of the
    lag effects with its own interval. The cumulative effect is estimated by the equivalent
    reparametrisation ``outcome ~ c*x_lag0 + b1*(x_lag1 - x_lag0) + ... | fe`` whose coefficient
    c is the sum of the lags, so its standard error comes from pyfixest like any other
    coefficient (same rows, same vcov)."""
    if max_lag < 0:
        raise ValueError("max_lag must be 0 or more")
    p = add_lags(add_model_columns(panel), max_lag, regressor)
    terms = [f"{regressor}_lag{k}" for k in range(max_lag + 1)]
    count = is_count(p, outcome)
    fn = fe_poisson if count else fe_ols
    model = "dist_lag_" + ("poisson" if count else "ols")
    res = fn(p, outcome, [*terms, *controls], fe=fe, cluster=cluster, alpha=alpha,
             model=model, vcov=vcov)
    res = res[res["term"].isin(terms)].copy()
    res["lag"] = [int(t.rsplit("lag", 1)[1]) for t in res["term"]]
    if max_lag > 0:
        q = p.copy()
        diffs = []
        for k in range(1, max_lag + 1):
            q[f"_d{k}"] = q[terms[k]] - q[terms[0]]
            diffs.append(f"_d{k}")
        # same complete rows as the lag model (the differences are missing exactly where a lag is)
        cum = fn(q, outcome, [terms[0], *diffs, *controls], fe=fe, cluster=cluster, alpha=alpha,
                 model=model, vcov=vcov)
        cum = cum[cum["term"] == terms[0]].assign(term="cumulative", lag=pd.NA)
        cum["note"] = cum["note"] + f"; sum of lags 0-{max_lag}"
        res = pd.concat([res, cum], ignore_index=True)
    res["lag"] = res["lag"].astype("Int64")
    return res.reset_index(drop=True)


LAG_OUTCOMES = ("ikm", "complaints", "ombudsman_score", "log_service_days")


def lag_models(panel: pd.DataFrame, outcomes=LAG_OUTCOMES, max_lag: int = 2,
               vcov: str = DEFAULT_VCOV) -> pd.DataFrame:
    """:func:`distributed_lags` for each service outcome, stacked; an outcome that cannot be
    estimated gets one row whose note begins with "not estimable:"."""
    out = []
    for y in outcomes:
        try:
            out.append(distributed_lags(panel, y, max_lag=max_lag, vcov=vcov))
        except ValueError as exc:
            out.append(pd.DataFrame([{"model": "dist_lag", "outcome": y, "term": "cumulative",
                                      "estimate": np.nan, "std_error": np.nan,
                                      "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan,
                                      "n": 0, "n_clusters": 0, "lag": pd.NA,
                                      "note": f"not estimable: {exc}"}]))
    res = pd.concat(out, ignore_index=True)
    res["lag"] = res["lag"].astype("Int64")
    return res[[*TIDY_COLUMNS, "lag"]]
