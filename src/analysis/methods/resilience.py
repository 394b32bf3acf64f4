"""Counterfactual resilience of each OPD to the 2020 cut: the imputation estimator (Borusyak,
Jaravel & Spiess) fitted on untreated rows, with a stratified cluster bootstrap and rank
intervals. See ``docs/methods.md``."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from analysis.methods.fe import EVENT_YEAR, MAIN_SPECS, add_model_columns, fe_formula
from analysis.methods.inference import cluster_draws, office_verdicts, rankable

# =================================================================================================
# resilience
# =================================================================================================

RESILIENCE_SPECS = {
    # counterfactual model of each outcome: family and the time-varying covariates whose slopes
    # are taken from the outcome's main model (MAIN_SPECS, fitted on every row) and carried as
    # an offset; the unit and year effects are fitted on untreated rows only
    "innovations": ("poisson", ("dlog_budget", "acting_share")),
    "ikm": ("ols", ("dlog_budget_lag1", "acting_share")),
}
RESILIENCE_BOOT = 99
RESILIENCE_UNITS = {"innovations": ("inovasi per tahun", "innovations per year"),
                    "ikm": ("poin IKM", "IKM points")}


# One reading of the resilience table (:func:`resilience`) for the notebooks, the per-unit
# reports, the deck and the brief; the words are in the catalog and the sentences in
# analysis.narrative.sentences.

RESILIENCE_COLUMNS = ("outcome", "unit_id", "effect", "ci_low", "ci_high", "rank", "rank_low",
                      "rank_high", "verdict")
VERDICTS = ("above", "indistinguishable", "below", "not estimable")


def check_resilience(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` if it has the counterfactual resilience columns; a ValueError naming the missing
    ones otherwise (data built before the counterfactual resilience: rebuild)."""
    missing = [c for c in RESILIENCE_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"the resilience table lacks {missing}: it was built before the "
                         "counterfactual resilience (methods/resilience.py); rebuild the data with "
                         "`python -m analysis build`")
    return df


def _main_spec(outcome: str):
    for model, y, regs in MAIN_SPECS:
        if y == outcome:
            return ("poisson" if model == "fe_poisson" else "ols"), list(regs)
    raise ValueError(f"no main model for {outcome!r} to take the covariate slopes from")


def _slopes(d: pd.DataFrame, y: str, regs, family: str) -> dict[str, float]:
    """The slopes of the covariates ``regs`` and the year effects (key ``"_year"``: year ->
    effect, 0 for the first year) of the outcome's main model (all rows, treated ones included,
    with its treatment term; pyfixest, point estimates only: their uncertainty is carried by
    refitting on every bootstrap draw). Fitted on untreated rows alone the budget slope of
    innovations is badly attenuated (0.03 against a planted 1.0 in the default build), and the
    post-2020 year effects rest on the few units not cut (see ``docs/methods.md``)."""
    import pyfixest as pf

    fam, main_regs = _main_spec(y)
    cols = [c for c in main_regs if c in d.columns]
    fml = fe_formula(y, " + ".join(cols), ("unit_id", "year"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = (pf.fepois if fam == "poisson" else pf.feols)(fml, data=d, vcov="iid")
    coef = fit.coef()
    out = {r: float(coef.get(r, 0.0)) for r in regs}
    # pyfixest reports the year effects against the first year of the sample (0)
    fx = {int(float(k)): float(v) for k, v in fit.fixef()["C(year)"].items()}
    years = sorted(int(v) for v in pd.unique(d["year"]))
    out["_year"] = {yr: fx.get(yr, 0.0 if yr == years[0] else np.nan) for yr in years}
    return out


def _imputation_fit(d0: pd.DataFrame, y: str, regs, family: str, slopes: dict[str, float]):
    """The counterfactual model: unit effects fitted on untreated rows only, the year effects
    and the covariates entering with the main model's values (an offset). OLS through pyfixest (the
    outcome net of the offset); Poisson through statsmodels' GLM with ``offset=``, because
    pyfixest 0.60 predicts fixed-effects-only Poisson models wrongly on new data
    (py-econometrics/pyfixest#1538: it exponentiates response-scale group means). A unit with
    no event in any untreated year has the maximum-likelihood rate 0 (its unit effect is minus
    infinity): it is left out of the GLM, which cannot fit that, and its counterfactual is 0.
    Leaving such units out of the *results* instead (as pyfixest's ``fepois`` drops them)
    biases the mean office effect downwards: the units kept are those whose pre-2020 counts
    happened to be high, whose counterfactual is then too high (-0.27 innovations a year over
    40 seeds, against a planted office spread of 0.31)."""
    import pyfixest as pf

    d0 = _with_offset(d0, regs, slopes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if family == "poisson":
            import statsmodels.api as sm
            import statsmodels.formula.api as smf

            keep = d0.groupby("unit_id")[y].transform("sum") > 0
            zero_units = set(d0.loc[~keep, "unit_id"])
            d0 = d0[keep]
            fit = smf.glm(f"{y} ~ 0 + C(unit_id)", data=d0, family=sm.families.Poisson(),
                          offset=d0["_offset"]).fit()
            fit._units, fit._zero_units = set(d0["unit_id"]), zero_units
            return fit
        return pf.feols("_ynet ~ 1 | unit_id", data=d0.assign(_ynet=d0[y] - d0["_offset"]),
                        vcov="iid")


def _with_offset(d: pd.DataFrame, regs, slopes: dict[str, float]) -> pd.DataFrame:
    off = np.zeros(len(d))
    if "_year" in slopes:  # absent only for a caller that passes no main-model values
        off = off + d["year"].astype(int).map(slopes["_year"]).to_numpy(float)
    for r in regs:
        off = off + slopes.get(r, 0.0) * d[r].to_numpy(float)
    return d.assign(_offset=off)


def _predict0(fit, new: pd.DataFrame, family: str, regs=(), slopes=None) -> np.ndarray:
    """Counterfactual prediction for ``new``: unit and year effects plus the covariates at the
    main model's slopes (0 for a unit with no untreated event: its rate estimate)."""
    new = _with_offset(new, regs, slopes or {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if family == "poisson":
            out = np.where(new["unit_id"].isin(fit._zero_units).to_numpy(), 0.0, np.nan)
            known = new["unit_id"].isin(fit._units).to_numpy()
            if known.any():
                sub = new[known]
                out[known] = np.asarray(fit.predict(sub, offset=sub["_offset"]), float)
            return out
        return np.asarray(fit.predict(newdata=new), float) + new["_offset"].to_numpy(float)


def resilience(panel: pd.DataFrame, outcomes=("innovations", "ikm"), specs=None,
               event_year: int = EVENT_YEAR, alpha: float = 0.05, n_boot: int = RESILIENCE_BOOT,
               seed: int = 0) -> pd.DataFrame:
    """Which OPDs held up after the 2020 cut: each cut unit's outcomes from ``event_year`` on
    against a counterfactual from a model fitted on untreated observations only (the
    imputation estimator of Borusyak, Jaravel & Spiess 2024).

    Untreated rows are every unit before ``event_year`` and the units not cut in 2020
    (``cut_2020 >= 0``) after it. The counterfactual model (``RESILIENCE_SPECS``) has unit and
    year effects fitted on them with pyfixest (Poisson for innovations, OLS for IKM); the
    unit's own budget change and acting heads enter with the slopes of the outcome's main
    model (``MAIN_SPECS``, all rows, the 2020 treatment term included), because fitted on the
    untreated rows alone those slopes are badly attenuated and the counterfactual would then
    miss the budget response (the issue "One voice for every finding"). It predicts each cut
    unit's post-2020 years had it not been cut. ``effect`` = mean over those years of
    observed - counterfactual, in the outcome's units (innovations per year; IKM points);
    negative = below its counterfactual.

    Uncertainty has two independent parts, added as variances: (1) the unit's own year noise,
    a two-sample comparison of its post-2020 gaps with its pre-2020 residuals (statsmodels
    ``CompareMeans``, pooled within-unit variance, n_pre + n_post - 2 degrees of freedom; this
    carries the error of the unit's own level, which is estimated from its pre-2020 years);
    (2) the counterfactual model's uncertainty (year effects and the main model's slopes), from
    a pairs cluster bootstrap over units, stratified by cut / not cut so that every draw keeps
    the number of comparison units (``n_boot`` draws; the main model and the counterfactual
    model are refitted on each draw and the unit's effect recomputed whenever the unit is
    drawn; the spread is the interquartile range / 1.349, robust to the rare draw whose Poisson
    refit predicts absurd counts). ``p_value`` and the pointwise interval use t(n_pre + n_post
    - 2). Years within a unit are treated as independent given the model.

    The verdicts are about many offices at once, so they come from
    :func:`analysis.methods.inference.office_verdicts`: Bonferroni-simultaneous intervals over
    the offices of an outcome (``ci_low``/``ci_high``; pointwise ones in
    ``ci_low_pointwise``/``ci_high_pointwise``), ``verdict`` "below" / "above" /
    "indistinguishable" from them, joint rank intervals only for outcomes the recovery study
    shows can be ranked (``inference.rankable``).

    Columns: outcome, unit_id, cut_2020, effect, std_error, p_value, p_adjusted, ci_low,
    ci_high, ci_low_pointwise, ci_high_pointwise, ci_level, n_offices, observed_mean,
    counterfactual_mean, se_year, se_model, df, n_post, n_pre, rank, rank_low, rank_high,
    rankable, verdict, note, model_note, n_untreated_units, n_boot, slopes (plus ``score`` =
    effect and ``n_years`` = n_post, the names used before).
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
        _, main_regs = _main_spec(y)
        cols = list(dict.fromkeys([*regs, *[r for r in main_regs if r in p.columns]]))
        d = p[["unit_id", "year", y, *cols]].copy()
        for c in [y, *cols]:
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
        slopes = _slopes(d, y, regs, family)
        fit0 = _imputation_fit(d0, y, regs, family, slopes)
        y0 = _predict0(fit0, d1, family, regs, slopes)
        gaps = d1.assign(_y0=y0, _gap=d1[y].to_numpy(float) - y0)
        # in-sample residuals of the untreated rows (units a Poisson FE fit dropped get none)
        resid0 = d0.assign(_res=d0[y].to_numpy(float) - _predict0(fit0, d0, family, regs, slopes)
                           ).dropna(subset=["_res"])
        used0 = resid0
        # (2) model uncertainty: pairs cluster bootstrap over units
        boot = {u: [] for u in has_data}
        strata = pd.Series({u: u in cut_units for u in d["unit_id"].astype(str).unique()})
        for _, db in cluster_draws(d, "unit_id", n_boot, seed, strata=strata):
            b0, b1 = db[~db["_treated"]], db[db["_treated"]]
            if b1.empty or b0.loc[b0["year"] >= event_year, "_orig"].nunique() < 2:
                continue
            try:
                sb = _slopes(db, y, regs, family)
                fb = _imputation_fit(b0, y, regs, family, sb)
                yb = _predict0(fb, b1, family, regs, sb)
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
                pval = float(2 * stats.t.sf(abs(effect / se), max(df, 1.0)))
                note = ""
            else:
                lo = hi = pval = np.nan
                note = "too few years for an interval: treated as indistinguishable"
            rec.update(effect=effect, std_error=se, ci_low=lo, ci_high=hi, p_value=pval,
                       observed_mean=float(g[y].mean()), counterfactual_mean=float(g["_y0"].mean()),
                       se_year=se_year, se_model=se_model, df=df, note=note,
                       slopes=", ".join(f"{k} {v:.3f}" for k, v in slopes.items() if k != "_year"))
            out.append(rec)
    df_out = pd.DataFrame(out)
    cols = ["outcome", "unit_id", "cut_2020", "effect", "std_error", "p_value", "ci_low",
            "ci_high", "observed_mean", "counterfactual_mean", "se_year", "se_model", "df",
            "n_post", "n_pre", "verdict", "note", "model_note", "n_untreated_units", "n_boot",
            "slopes"]
    for c in cols:
        if c not in df_out:
            df_out[c] = np.nan
    df_out = df_out[cols]
    df_out["verdict"] = df_out["verdict"].astype(object).where(df_out["verdict"].notna(),
                                                               "indistinguishable")
    df_out["note"] = df_out["note"].fillna("")
    df_out = office_verdicts(df_out, alpha=alpha, rankable=rankable())
    df_out["score"] = df_out["effect"]
    df_out["n_years"] = df_out["n_post"]
    order = ["outcome", "unit_id", "cut_2020", "effect", "std_error", "p_value", "p_adjusted",
             "ci_low", "ci_high", "ci_low_pointwise", "ci_high_pointwise", "ci_level",
             "n_offices", "observed_mean", "counterfactual_mean", "se_year", "se_model", "df",
             "n_post", "n_pre", "rank", "rank_low", "rank_high", "rankable", "verdict", "note",
             "model_note", "n_untreated_units", "n_boot", "slopes", "adjust_method", "score",
             "n_years"]
    return df_out[order].sort_values(["outcome", "effect", "unit_id"], ascending=[True, False, True]
                                     ).reset_index(drop=True)
