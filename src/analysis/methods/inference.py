"""Rules of inference, once: how a family of tests is adjusted, and how a verdict about many
offices at once is reached. The findings ledger (:mod:`analysis.methods.ledger`) applies them;
no view decides a verdict itself.

Two families of rules:

- **Model terms** (budget, acting-head, lag and pre-trend tests): Holm's step-down procedure
  over the declared family (Holm 1979), which keeps the family-wise error rate at ``ALPHA``
  under any dependence between the tests (``statsmodels.stats.multitest.multipletests``).
- **Offices** (which cut OPD is above or below its counterfactual, and which pairs can be
  ordered): Bonferroni-simultaneous intervals over the K offices of an outcome (Dunn 1961),
  each office's interval at level ``1 - ALPHA / K`` with its own t degrees of freedom. An office
  is named "above" / "below" only when its simultaneous interval excludes zero, so the
  interval printed beside a verdict is the one the verdict follows from, and the chance that a
  build names *any* office wrongly is at most ``ALPHA``. The same intervals give joint rank
  intervals (Klein, Wright & Wieczorek 2020, *JRSS C* 69(3), 589-606): the best rank of office
  i is 1 + the number of offices whose interval lies entirely above i's, the worst K minus
  the number entirely below, and two offices are ordered only when their intervals do not
  overlap; with probability at least ``1 - ALPHA`` every stated order is right at once.

And the one resampling scheme of the estimators: the pairs cluster bootstrap
(:func:`cluster_draws`), used by the event study's pre-trend test and the resilience intervals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ALPHA = 0.05
"""The family-wise error rate every verdict is held to."""

OFFICE_ADJUSTMENT = "bonferroni-simultaneous"
TERM_ADJUSTMENT = "holm"


def adjust_pvalues(df: pd.DataFrame, method: str = TERM_ADJUSTMENT, p_col: str = "p_value"
                   ) -> pd.DataFrame:
    """Adjusted p-values over the rows given, taken as one family of tests
    (``statsmodels.stats.multitest.multipletests``; Holm by default, "fdr_bh" for
    Benjamini-Hochberg). Adds ``p_adjusted``, ``n_tests`` (the family size: rows with a
    p-value) and ``adjust_method``. Rows without a p-value keep NaN."""
    from statsmodels.stats.multitest import multipletests

    out = df.copy()
    p = pd.to_numeric(out[p_col], errors="coerce")
    ok = p.notna()
    out["p_adjusted"] = np.nan
    if ok.any():
        out.loc[ok, "p_adjusted"] = multipletests(p[ok].to_numpy(float), method=method)[1]
    out["n_tests"] = int(ok.sum())
    out["adjust_method"] = method
    return out


def term_verdict(p_value: float, p_adjusted: float, alpha: float = ALPHA) -> str:
    """The verdict on a model term: ``"claimed"`` when the family-adjusted p is below
    ``alpha``, ``"raw only"`` when only the unadjusted p is, ``"not claimed"`` otherwise."""
    if p_adjusted is not None and np.isfinite(p_adjusted) and p_adjusted < alpha:
        return "claimed"
    if p_value is not None and np.isfinite(p_value) and p_value < alpha:
        return "raw only"
    return "not claimed"


def scenario_evidence(p_value: float, p_adjusted: float, n_clusters: int,
                      few_clusters: int = 30) -> str:
    """The evidence label of a planning scenario, the one rule every view reads: "adequate"
    only when the budget coefficient it rests on is claimed (:func:`term_verdict`) and the
    model has at least ``few_clusters`` OPDs; "thin" otherwise (also for an exploratory refit,
    which carries no adjusted p-value)."""
    ok = term_verdict(p_value, p_adjusted) == "claimed" and int(n_clusters) >= few_clusters
    return "adequate" if ok else "thin"



def office_verdicts(res: pd.DataFrame, alpha: float = ALPHA,
                    rankable: dict[str, bool] | None = None) -> pd.DataFrame:
    """Simultaneous inference across the offices of each outcome of a resilience table
    (columns ``outcome, effect, std_error, df, p_value``; :func:`analysis.methods.resilience.
    resilience`).

    Per outcome with K estimable offices: ``ci_low``/``ci_high`` become the Bonferroni-
    simultaneous interval (t(df) at ``1 - alpha / (2K)``; the pointwise 95 % interval stays in
    ``ci_low_pointwise``/``ci_high_pointwise``), ``p_adjusted`` = min(1, K p), ``verdict`` =
    "below" / "above" when the simultaneous interval lies entirely below / above 0, else
    "indistinguishable" (offices without an estimate keep "not estimable"), and the joint rank
    interval ``rank_low``-``rank_high`` (1 = highest effect) of Klein, Wright & Wieczorek
    (2020). ``rankable`` (outcome -> bool) says whether the outcome's office estimates can
    order offices at all (the ledger's recovery rule); where it is False, ``rank``,
    ``rank_low`` and ``rank_high`` are left empty."""
    from scipy import stats

    out = res.copy()
    for c in ("ci_low_pointwise", "ci_high_pointwise"):
        if c not in out:
            out[c] = out.get(c[:-len("_pointwise")], np.nan)
    for c in ("rank", "rank_low", "rank_high"):
        out[c] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["n_offices"] = 0
    out["ci_level"] = np.nan
    out["p_adjusted"] = np.nan
    out["rankable"] = False
    out["adjust_method"] = OFFICE_ADJUSTMENT
    if "verdict" not in out:
        out["verdict"] = "not estimable"
    for outcome, g in out.groupby("outcome", sort=False):
        ok = g["effect"].notna() & g["std_error"].notna() & g["df"].notna() & \
            (g["std_error"] > 0)
        idx = g.index[ok]
        k = int(ok.sum())
        out.loc[g.index, "n_offices"] = k
        out.loc[g.index[~ok & g["effect"].notna()], "verdict"] = "indistinguishable"
        if k == 0:
            continue
        e = g.loc[ok, "effect"].to_numpy(float)
        se = g.loc[ok, "std_error"].to_numpy(float)
        dfs = np.maximum(g.loc[ok, "df"].to_numpy(float), 1.0)
        crit = stats.t.ppf(1 - alpha / (2 * k), dfs)
        lo, hi = e - crit * se, e + crit * se
        p = 2 * stats.t.sf(np.abs(e / se), dfs)
        out.loc[idx, "ci_low"] = lo
        out.loc[idx, "ci_high"] = hi
        out.loc[idx, "ci_level"] = 1 - alpha / k
        out.loc[idx, "p_value"] = p
        out.loc[idx, "p_adjusted"] = np.minimum(1.0, k * p)
        out.loc[idx, "verdict"] = np.where(hi < 0, "below",
                                           np.where(lo > 0, "above", "indistinguishable"))
        can_rank = bool((rankable or {}).get(outcome, False))
        out.loc[g.index, "rankable"] = can_rank
        if can_rank:
            r_low, r_high = joint_rank_intervals(lo, hi)
            out.loc[idx, "rank"] = pd.Series(-e).rank(method="min").astype(int).to_numpy()
            out.loc[idx, "rank_low"] = r_low
            out.loc[idx, "rank_high"] = r_high
    return out


def joint_rank_intervals(lo, hi) -> tuple[np.ndarray, np.ndarray]:
    """Joint rank intervals (1 = highest) from simultaneous intervals ``[lo, hi]`` (Klein,
    Wright & Wieczorek 2020): best rank = 1 + #{j: lo_j > hi_i}, worst = K - #{j: hi_j < lo_i}."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    above = (lo[None, :] > hi[:, None]).sum(axis=1)   # offices surely higher than i
    below = (hi[None, :] < lo[:, None]).sum(axis=1)   # offices surely lower than i
    return (1 + above).astype(int), (len(lo) - below).astype(int)


def ordered_pairs(lo, hi) -> tuple[int, int]:
    """(pairs of offices whose simultaneous intervals do not overlap, all pairs)."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    ok = np.isfinite(lo) & np.isfinite(hi)
    lo, hi = lo[ok], hi[ok]
    n = len(lo)
    sep = (lo[None, :] > hi[:, None]) | (hi[None, :] < lo[:, None])
    return int(np.triu(sep, 1).sum()), n * (n - 1) // 2


RANK_MIN_SPEARMAN = 0.6
"""An outcome's offices are ranked only if, in the recovery study, the office estimates recover
the planted order with a mean Spearman correlation of at least this."""

RECOVERY_SPEARMAN = {"ikm": 0.80, "innovations": 0.20}
"""Mean Spearman correlation of estimated and planted office effects per outcome, from
``validation/recovery_results.md`` (``validation/recovery_summary.json``, which
``make recovery`` rewrites; ``tests/test_ledger.py`` keeps these numbers in step with it)."""


def rankable(outcome: str | None = None):
    """Whether the offices of ``outcome`` may be ranked (``RECOVERY_SPEARMAN`` at least
    ``RANK_MIN_SPEARMAN``); without an outcome, the mapping for every outcome studied."""
    ok = {k: v >= RANK_MIN_SPEARMAN for k, v in RECOVERY_SPEARMAN.items()}
    return ok if outcome is None else ok.get(outcome, False)


def cluster_draws(d: pd.DataFrame, cluster: str, n_boot: int, seed: int,
                  strata: pd.Series | None = None):
    """Pairs cluster bootstrap (the event study's pre-trend test and the resilience intervals
    resample with it): yields ``(b, frame)`` where ``frame`` holds the rows of G
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
