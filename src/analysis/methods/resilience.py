"""Counterfactual resilience of each OPD to the 2020 cut: the imputation estimator (Borusyak,
Jaravel & Spiess) fitted on untreated rows, with a stratified cluster bootstrap and rank
intervals. See ``docs/methods.md``."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from analysis.methods.fe import EVENT_YEAR, _formula, add_model_columns

# =================================================================================================
# resilience
# =================================================================================================

RESILIENCE_SPECS = {
    # counterfactual (untreated) model of each outcome: family and time-varying covariates;
    # the unit and year effects are always in
    "innovations": ("poisson", ("dlog_budget", "acting_share")),
    "ikm": ("ols", ("dlog_budget_lag1", "acting_share")),
}
RESILIENCE_BOOT = 99
RESILIENCE_UNITS = {"innovations": ("inovasi per tahun", "innovations per year"),
                    "ikm": ("poin IKM", "IKM points")}


def _cluster_draws(d: pd.DataFrame, cluster: str, n_boot: int, seed: int,
                   strata: pd.Series | None = None):
    """Pairs cluster bootstrap: yields ``(b, frame)`` where ``frame`` holds the rows of G
    clusters drawn with replacement, each copy relabelled ``"<cluster>#<k>"`` so that a unit
    drawn twice gets two fixed effects, and a column ``_orig`` with the original label.
    ``strata`` (a label per cluster) draws within each stratum, keeping their sizes (e.g. cut
    and not-cut units)."""
    rng = np.random.default_rng(seed)
    labels = d[cluster].astype(str).to_numpy()
    groups = pd.Series(np.arange(len(d))).groupby(labels).apply(lambda x: x.to_numpy())
    keys = groups.index.to_numpy()
    if strata is None:
        pools = [np.arange(len(keys))]
    else:
        lab = pd.Series(strata).reindex(keys).to_numpy()
        pools = [np.flatnonzero(lab == v) for v in pd.unique(lab)]
    for b in range(n_boot):
        draw = np.concatenate([rng.choice(pool, len(pool)) for pool in pools])
        rows = np.concatenate([groups.iloc[i] for i in draw])
        sizes = [len(groups.iloc[i]) for i in draw]
        lab = np.repeat([f"{keys[i]}#{k}" for k, i in enumerate(draw)], sizes)
        yield b, d.iloc[rows].assign(**{cluster: lab, "_orig": keys[np.repeat(draw, sizes)]})


def _imputation_fit(d0: pd.DataFrame, y: str, regs, family: str):
    """The counterfactual model: unit and year effects plus covariates, fitted by pyfixest on
    untreated rows only."""
    import pyfixest as pf

    fml = _formula(y, " + ".join(regs), ("unit_id", "year")) if regs else \
        f"{y} ~ 1 | unit_id + year"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if family == "poisson":
            return pf.fepois(fml, data=d0, vcov="iid")
        return pf.feols(fml, data=d0, vcov="iid")


def _predict0(fit, new: pd.DataFrame, family: str) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if family == "poisson":
            return np.asarray(fit.predict(newdata=new, type="response"), float)
        return np.asarray(fit.predict(newdata=new), float)


def resilience(panel: pd.DataFrame, outcomes=("innovations", "ikm"), specs=None,
               event_year: int = EVENT_YEAR, alpha: float = 0.05, n_boot: int = RESILIENCE_BOOT,
               seed: int = 0) -> pd.DataFrame:
    """Which OPDs held up after the 2020 cut: each cut unit's outcomes from ``event_year`` on
    against a counterfactual from a model fitted on untreated observations only (the
    imputation estimator of Borusyak, Jaravel & Spiess 2024).

    Untreated rows are every unit before ``event_year`` and the units not cut in 2020
    (``cut_2020 >= 0``) after it. The counterfactual model (``RESILIENCE_SPECS``: unit and year
    effects, the unit's own budget change and acting heads; Poisson for innovations, OLS for
    IKM) is fitted on them with pyfixest and predicts each cut unit's post-2020 years had it not
    been cut. ``effect`` = mean over those years of observed - counterfactual, in the outcome's
    units (innovations per year; IKM points); negative = below its counterfactual.

    Uncertainty has two independent parts, added as variances: (1) the unit's own year noise,
    a two-sample comparison of its post-2020 gaps with its pre-2020 residuals (statsmodels
    ``CompareMeans``, pooled within-unit variance, n_pre + n_post - 2 degrees of freedom; this
    carries the error of the unit's own level, which is estimated from its pre-2020 years); (2) the counterfactual model's uncertainty (year
    effects and covariate slopes), from a pairs cluster bootstrap over units, stratified by
    cut / not cut so that every draw keeps the number of comparison units (``n_boot`` draws; the model is refitted on each draw and the unit's effect recomputed whenever the
    unit is drawn; the spread is the interquartile range / 1.349, robust to the rare draw whose
    Poisson refit predicts absurd counts). Intervals use t(n_pre + n_post - 2). Years within a unit are
    treated as independent given the model. ``rank`` (1 = highest effect) comes with a 95 %
    interval ``rank_low``-``rank_high`` from 4000 normal draws of every unit's effect: two
    units are ordered only if their rank intervals do not overlap. ``verdict`` is "below" /
    "above" (interval entirely below / above 0) or "indistinguishable".

    Columns: outcome, unit_id, cut_2020, effect, std_error, ci_low, ci_high, observed_mean,
    counterfactual_mean, se_year, se_model, df, n_post, n_pre, rank, rank_low, rank_high,
    verdict, note, model_note, n_untreated_units, n_boot (plus ``score`` = effect and
    ``n_years`` = n_post, the names used before).
    """
    from scipy import stats
    from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

    specs = {**RESILIENCE_SPECS, **(specs or {})}
    p = add_model_columns(panel, event_year)
    if "cut_2020" not in p:
        raise ValueError("panel has no cut_2020 column")
    cut_by_unit = p.groupby("unit_id")["cut_2020"].first()
    cut_units = set(cut_by_unit[cut_by_unit < 0].index)
    if not cut_units:
        raise ValueError("no unit has cut_2020 < 0: no unit was cut in 2020, nothing to score")
    out = []
    for y in outcomes:
        if y not in specs:
            raise ValueError(f"no resilience specification for {y!r}; pass specs={{...}}")
        if y not in p.columns:
            raise ValueError(f"panel has no outcome column {y!r}")
        family, regs = specs[y]
        regs = list(regs)
        d = p[["unit_id", "year", y, *regs]].copy()
        for c in [y, *regs]:
            d[c] = pd.to_numeric(d[c], errors="coerce").astype(float)
        d = d.replace([np.inf, -np.inf], np.nan).dropna().reset_index(drop=True)
        d["_treated"] = d["unit_id"].isin(cut_units) & (d["year"] >= event_year)
        d0, d1 = d[~d["_treated"]], d[d["_treated"]]
        untreated_after = d0.loc[d0["year"] >= event_year, "unit_id"].nunique()
        has_data = set(d["unit_id"]) & cut_units
        if d1.empty or untreated_after < 2:
            for uid in sorted(has_data):
                out.append({"outcome": y, "unit_id": uid, "verdict": "not estimable",
                            "note": f"not estimable: {untreated_after} unit(s) not cut with "
                                    f"data after {event_year}; the counterfactual year effects "
                                    "need at least 2", "n_untreated_units": untreated_after})
            continue
        fit0 = _imputation_fit(d0, y, regs, family)
        y0 = _predict0(fit0, d1, family)
        gaps = d1.assign(_y0=y0, _gap=d1[y].to_numpy(float) - y0)
        # in-sample residuals of the untreated rows (units a Poisson FE fit dropped get none)
        resid0 = d0.assign(_res=d0[y].to_numpy(float) - _predict0(fit0, d0, family)
                           ).dropna(subset=["_res"])
        used0 = resid0
        # (2) model uncertainty: pairs cluster bootstrap over units
        boot = {u: [] for u in has_data}
        strata = pd.Series({u: u in cut_units for u in d["unit_id"].astype(str).unique()})
        for _, db in _cluster_draws(d, "unit_id", n_boot, seed, strata=strata):
            b0, b1 = db[~db["_treated"]], db[db["_treated"]]
            if b1.empty or b0.loc[b0["year"] >= event_year, "_orig"].nunique() < 2:
                continue
            try:
                fb = _imputation_fit(b0, y, regs, family)
                yb = _predict0(fb, b1, family)
            except Exception:  # noqa: BLE001 - a failed replicate is skipped, and counted below
                continue
            gb = b1.assign(_gap=b1[y].to_numpy(float) - yb).dropna(subset=["_gap"])
            first = gb.groupby("_orig")["unit_id"].transform("first") == gb["unit_id"]
            for u, v in gb[first].groupby("_orig")["_gap"].mean().items():
                boot[u].append(float(v))
        model_note = (f"counterfactual: {family} FE model ({' + '.join(regs) or 'no covariates'}"
                      f" | unit_id + year) on {len(used0)} untreated rows of "
                      f"{used0['unit_id'].nunique()} units ({untreated_after} not cut, observed "
                      f"after {event_year}); pairs cluster bootstrap, {n_boot} draws")
        for uid in sorted(has_data):
            g = gaps[(gaps["unit_id"] == uid)].dropna(subset=["_gap"])
            pre = resid0.loc[resid0["unit_id"] == uid, "_res"].to_numpy(float)
            rec = {"outcome": y, "unit_id": uid, "cut_2020": float(cut_by_unit[uid]),
                   "n_post": len(g), "n_pre": len(pre), "model_note": model_note,
                   "n_untreated_units": untreated_after, "n_boot": len(boot[uid])}
            if g.empty or len(pre) < 2:
                rec.update(verdict="not estimable",
                           note="not estimable: the unit's own level cannot be estimated "
                                f"(fewer than 2 usable years before {event_year}, or no events "
                                "before it for a count outcome)")
                out.append(rec)
                continue
            gap = g["_gap"].to_numpy(float)
            effect = float(gap.mean())
            if len(gap) + len(pre) >= 4 and (np.std(gap) > 0 or np.std(pre) > 0):
                # pooled within-unit variance (pre residuals have mean 0 by the unit effect):
                # n_pre + n_post - 2 degrees of freedom, stable with 2-3 pre years
                cm = CompareMeans(DescrStatsW(gap), DescrStatsW(pre))
                se_year = float(cm.std_meandiff_pooledvar)
                df = float(len(gap) + len(pre) - 2)
            else:
                se_year, df = np.nan, np.nan
            # robust spread (IQR / 1.349, the sd for normal draws): a Poisson refit on a draw
            # with few comparison units can predict absurd counts for one unit, and one such
            # draw would otherwise dominate the standard deviation
            if len(boot[uid]) >= 10:
                q1, q3 = np.percentile(boot[uid], [25, 75])
                se_model = float((q3 - q1) / 1.349)
            else:
                se_model = np.nan
            se = float(np.sqrt(se_year ** 2 + se_model ** 2))
            if np.isfinite(se) and se > 0 and np.isfinite(df):
                crit = float(stats.t.ppf(1 - alpha / 2, max(df, 1.0)))
                lo, hi = effect - crit * se, effect + crit * se
            else:
                lo = hi = np.nan
            if np.isnan(lo):
                verdict, note = "indistinguishable", ("too few years for an interval: treat as "
                                                      "indistinguishable")
            elif hi < 0:
                verdict, note = "below", ("di bawah kontrafaktual / below its counterfactual")
            elif lo > 0:
                verdict, note = "above", ("di atas kontrafaktual / above its counterfactual")
            else:
                verdict, note = "indistinguishable", (
                    "tidak dapat dibedakan dari kontrafaktual / indistinguishable from its "
                    "counterfactual")
            rec.update(effect=effect, std_error=se, ci_low=lo, ci_high=hi,
                       observed_mean=float(g[y].mean()), counterfactual_mean=float(g["_y0"].mean()),
                       se_year=se_year, se_model=se_model, df=df, verdict=verdict, note=note)
            out.append(rec)
    df_out = pd.DataFrame(out)
    cols = ["outcome", "unit_id", "cut_2020", "effect", "std_error", "ci_low", "ci_high",
            "observed_mean", "counterfactual_mean", "se_year", "se_model", "df", "n_post",
            "n_pre", "rank", "rank_low", "rank_high", "verdict", "note", "model_note",
            "n_untreated_units", "n_boot"]
    for c in cols:
        if c not in df_out:
            df_out[c] = np.nan
    df_out = _rank_intervals(df_out, seed=seed, alpha=alpha)
    df_out["score"] = df_out["effect"]
    df_out["n_years"] = df_out["n_post"]
    return df_out[[*cols, "score", "n_years"]].sort_values(
        ["outcome", "rank", "unit_id"]).reset_index(drop=True)


def _rank_intervals(df: pd.DataFrame, seed: int = 0, alpha: float = 0.05, draws: int = 4000
                    ) -> pd.DataFrame:
    """Rank (1 = highest effect) and its (1 - alpha) interval within each outcome, from normal
    draws of every unit's effect with its standard error (ties share the lower rank)."""
    rng = np.random.default_rng(seed)
    df = df.copy()
    for c in ("rank", "rank_low", "rank_high"):
        df[c] = pd.array([pd.NA] * len(df), dtype="Int64")
    for _, g in df.groupby("outcome"):
        ok = g["effect"].notna() & g["std_error"].notna()
        if not ok.any():
            continue
        e = g.loc[ok, "effect"].to_numpy(float)
        se = g.loc[ok, "std_error"].to_numpy(float)
        sim = e[None, :] + rng.standard_normal((draws, len(e))) * se[None, :]
        ranks = (-sim).argsort(axis=1).argsort(axis=1) + 1
        idx = g.index[ok]
        df.loc[idx, "rank"] = pd.Series(-e).rank(method="min").astype(int).to_numpy()
        df.loc[idx, "rank_low"] = np.quantile(ranks, alpha / 2, axis=0,
                                              method="inverted_cdf").astype(int)
        df.loc[idx, "rank_high"] = np.quantile(ranks, 1 - alpha / 2, axis=0,
                                               method="inverted_cdf").astype(int)
    return df
