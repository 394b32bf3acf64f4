"""Notebook 2.1 (service and budget)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.narrative import fmt
from analysis.narrative.sentences import claim_of
from analysis.publish.explore.context import (
    Context,
    Result,
    _facts,
    _int,
    _line_figure,
    bullets,
    is_simulated,
    table_html,
)
from analysis.publish.explore.evidence import (
    _ci,
    _covers,
    claims_sentence,
    coverage_sentence,
    estimable,
    evidence_phrase,
    ledger_beside,
    live_scope,
    n_tests,
    not_estimable_notes,
    planted_text,
    scale_word,
)


def service_trends(ctx: Context, trend: pd.DataFrame, simulated: bool) -> Result:
    """The per-year service indicators the notebook computed (index ``year``; columns
    ``ikm``, ``n_ikm``, ``ombudsman_score``, ``n_omb``, ``complaints``, ``n_compl`` and
    ``budget``, the median log budget change) as a figure, a table and in words."""
    sim = simulated
    t = trend.reset_index()
    fig = _line_figure(t, "year", ["ikm", "ombudsman_score"], ctx,
                       ctx.t("explore.service.service_trends.mean_over_units_0"), sim)
    head = [ctx.label("year"), ctx.label("ikm"), "n", ctx.label("ombudsman_score"), "n",
            ctx.label("complaints"), "n", ctx.t("explore.service.service_trends.median_budget_change")]
    rows = [[int(r.year), ctx.num(r.ikm), int(r.n_ikm), ctx.num(r.ombudsman_score),
             int(r.n_omb), fmt.number(r.complaints, ctx.lang, 0), int(r.n_compl),
             ctx.pct(np.expm1(r.budget))] for r in t.itertuples()]
    ik = t.dropna(subset=["ikm"]).set_index("year")["ikm"]
    text = ctx.t("explore.service.service_trends.mean_ikm_lowest_ombudsman",
                 ikm_first=ctx.num(ik.iloc[0]), y0=ik.index[0], ikm_last=ctx.num(ik.iloc[-1]),
                 y1=ik.index[-1], ikm_min=ctx.num(ik.min()), y_min=ik.idxmin(),
                 n_omb=int(t['n_omb'].max()))
    cap = ctx.t("explore.service.service_trends.service_indicators_per_year")
    return Result(ctx.t("explore.service.service_trends.service_indicators_over_time"),
                  text, [fig], table_html(head, rows, ctx, cap, sim), t, sim,
                  {"ikm_low_year": int(ik.idxmin()), "n_omb_max": int(t["n_omb"].max())})


def service_by_budget_change(ctx: Context, groups: pd.DataFrame, threshold: float,
                              simulated: bool) -> Result:
    """The mean change of each service indicator by the previous year's budget change, as the
    notebook grouped it (index ``cut``/``stable``/``increase``; columns ``(d_<indicator>,
    "mean")`` and ``(d_<indicator>, "count")``), with the ``threshold`` in the words."""
    thr = ctx.pct(threshold, 0)
    words = {"cut": ctx.t("explore.service.service_by_budget_change.cut_year_before", thr=thr),
             "stable": ctx.t("explore.service.service_by_budget_change.stable", thr=thr),
             "increase": ctx.t("explore.service.service_by_budget_change.up_year_before", thr=thr)}
    cols = [c for c in dict.fromkeys(groups.columns.get_level_values(0))]
    rows = [[words.get(str(k), str(k)),
             *[f"{ctx.num(groups.loc[k, (c, 'mean')])} (n={int(groups.loc[k, (c, 'count')])})"
               for c in cols]] for k in groups.index]
    head = [ctx.t("explore.service.service_by_budget_change.budget_year_before"),
            *[ctx.t("explore.service.service_by_budget_change.change") + ctx.label(c.removeprefix("d_")) for c in cols]]
    cut, up = (groups.loc[k, ("d_ikm", "mean")] if k in groups.index else np.nan
               for k in ("cut", "increase"))
    diff = cut - up
    text = ctx.t("explore.service.service_by_budget_change.year_after_cut_ikm", thr=thr,
                 cut=ctx.num(cut), up=ctx.num(up), diff=ctx.num(diff))
    cap = ctx.t("explore.service.service_by_budget_change.caption")
    return Result(ctx.t("explore.service.service_by_budget_change.after_cut_stable_year"), text, [], table_html(head, rows, ctx, cap, simulated),
                  groups, simulated, {"ikm_cut_minus_increase": float(diff)})


def _lag_term(ctx: Context, term: str, max_lag: int) -> str:
    if term == "cumulative":
        return ctx.t("explore.service.lag_term.cumulative_lags_0", max_lag=max_lag)
    k = int(str(term).rsplit("lag", 1)[1])
    return ctx.t("explore.service.lag_term.same_year") if k == 0 else \
        ctx.t("explore.service.lag_term.lag", k=k)


def lag_labels(ctx: Context, res: pd.DataFrame, max_lag: int) -> pd.DataFrame:
    """``res`` with readable terms ("IKM · lag 1 y") for :func:`plots.coef_plot`."""
    return res.assign(term=[f"{ctx.label(o)} · {_lag_term(ctx, t, max_lag)}"
                            for o, t in zip(res["outcome"], res["term"], strict=True)])


def service_lags(ctx: Context, lag_results: pd.DataFrame, max_lag: int) -> Result:
    """The distributed-lag models the notebook fitted (:func:`analysis.methods.fit.tidy`
    rows of every lag and the ``cumulative`` rows of :func:`analysis.methods.fit.cumulative`,
    Holm-adjusted together): every lag and the cumulative effect with its interval, raw and
    Holm p, the planted value when simulated, in words. No lag is picked by its t statistic:
    every lag is shown, and an effect is claimed only where the adjusted p-value is below
    0.05."""
    lag_results = lag_results.assign(lag=[pd.NA if t == "cumulative" else
                                          int(str(t).rsplit("lag", 1)[1])
                                          for t in lag_results["term"]]).astype({"lag": "Int64"})
    order = {o: i for i, o in enumerate(dict.fromkeys(lag_results["outcome"]))}
    lag_results = (lag_results.assign(_o=lag_results["outcome"].map(order),
                                      _l=lag_results["lag"].fillna(99))
                   .sort_values(["_o", "_l"]).drop(columns=["_o", "_l"]).reset_index(drop=True))
    sim = is_simulated(lag_results)
    title = ctx.t("explore.service.service_lags.budget_service_all_lags")
    ok = estimable(lag_results)
    k_tests = n_tests(lag_results)
    rows, lines, claims, facts_cum = [], [], [], {}
    for r in lag_results.itertuples():
        tv = getattr(r, "planted", np.nan)
        rows.append([ctx.label(r.outcome), _lag_term(ctx, r.term, max_lag) if not pd.isna(
                     r.estimate) else fmt.MISSING, ctx.num(r.estimate, 3),
                     scale_word(ctx, r.outcome, r.model), _ci(ctx, r.ci_low, r.ci_high, 3),
                     fmt.pvalue(r.p_value, ctx.lang), fmt.pvalue(getattr(r, "p_adjusted", np.nan), ctx.lang),
                     _int(getattr(r, "n_tests", np.nan)), int(r.n), int(r.n_clusters),
                     planted_text(ctx, tv) if sim else fmt.MISSING, r.note])
    covered: dict = {}
    for outcome in dict.fromkeys(lag_results["outcome"]):
        g = ok[ok["outcome"] == outcome]
        if g.empty:
            why = "; ".join(not_estimable_notes(lag_results[lag_results["outcome"] == outcome]))
            lines.append(ctx.t("explore.service.service_lags.cannot_be_estimated",
                               outcome=ctx.label(outcome), why=why))
            continue
        unit = scale_word(ctx, outcome, g["model"].iloc[0])
        lags = g[g["term"] != "cumulative"].sort_values("lag")
        each = "; ".join(f"{_lag_term(ctx, x.term, max_lag)} {ctx.num(x.estimate)} "
                         f"{_ci(ctx, x.ci_low, x.ci_high)}" for x in lags.itertuples())
        cum = g[g["term"] == "cumulative"]
        part = ctx.t("explore.service.service_lags.per_unit_log_budget",
                     outcome=ctx.label(outcome), unit=unit, n=int(g['n'].max()),
                     n_clusters=int(g['n_clusters'].max()), each=each)
        if len(cum):
            c = next(cum.itertuples())
            part += ctx.t("explore.service.service_lags.cumulative", estimate=ctx.num(c.estimate),
                          ci_low=_ci(ctx, c.ci_low, c.ci_high), c=evidence_phrase(ctx, c, k_tests))
            facts_cum[outcome] = claim_of(c)
        yes = [x for x in lags.itertuples() if claim_of(x) == "yes"]
        raw = [x for x in lags.itertuples() if claim_of(x) == "raw"]
        if yes:
            part += ctx.t("explore.service.service_lags.lags_claimed",
                          lags=", ".join(_lag_term(ctx, x.term, max_lag) for x in yes))
        else:
            part += ctx.t("explore.service.service_lags.no_lag_claimed")
        if raw:
            part += ctx.t("explore.service.service_lags.lags_raw",
                          lags=", ".join(_lag_term(ctx, x.term, max_lag) for x in raw))
        lines.append(part)
        claims += [(x.outcome, x.term) for x in g.itertuples() if claim_of(x) == "yes"]
        for x in g.itertuples():
            covered[(outcome, x.term)] = _covers(x.ci_low, x.ci_high,
                                                 getattr(x, "planted", np.nan))
    if sim and any(v is not None for v in covered.values()):
        miss = [f"{ctx.label(o)} {_lag_term(ctx, t, max_lag)}" for (o, t), v in covered.items()
                if v is False]
        n_chk = sum(v is not None for v in covered.values())
        lines.append(coverage_sentence(ctx, n_chk - len(miss), n_chk, miss, zeros=True))
    lines.append(ctx.t("explore.service.service_lags.all_lags_one_model"))
    lines.append(live_scope(ctx, ok) + ctx.t("explore.service.service_lags.holm_adjusted_p_over",
                                             k_tests=k_tests))
    figs: list = []
    head = [ctx.t("explore.service.service_lags.outcome"), ctx.t("explore.service.service_lags.lag"), ctx.label("estimate"),
            ctx.t("explore.service.service_lags.unit"), ctx.t("explore.service.service_lags.95_interval"), "p",
            ctx.t("explore.service.service_lags.holm_p"), ctx.t("explore.service.service_lags.tests"), "n", ctx.t("explore.service.service_lags.opds"),
            ctx.t("explore.service.service_lags.planted_simulation"), ctx.t("explore.service.service_lags.note")]
    formulas = " ; ".join(dict.fromkeys(lag_results.get("formula", pd.Series(dtype=str))
                                        .dropna()))
    if "formula" in lag_results.columns:
        lines.extend(ledger_beside(ctx, lag_results))
    cap = ctx.t("explore.service.service_lags.distributed_lag_models_fitted") + formulas
    return Result(title, bullets(lines), figs, table_html(head, rows, ctx, cap, sim),
                  lag_results, sim,
                  {"claims": claims, "cumulative": facts_cum, "n_tests": k_tests,
                   "max_lag": max_lag, "covered": covered,
                   "n_clusters_service": int(ok["n_clusters"].max()) if len(ok) else 0})


def service_conclusions(ctx: Context, *results: Result) -> Result:
    f = _facts(*results)
    lines = []
    word = {"yes": ctx.t("explore.service.service_conclusions.distinguishable_from_zero_after"),
            "raw": ctx.t("explore.service.service_conclusions.excludes_zero_only_without"),
            "no": ctx.t("explore.service.service_conclusions.not_distinguishable_from_zero")}
    for outcome, c in f.get("cumulative", {}).items():
        lines.append(ctx.t("explore.service.service_conclusions.cumulative_effect_budget_change",
                           outcome=ctx.label(outcome), word=word[c]))
    lines.append(claims_sentence(ctx, f.get("claims", []), f.get("n_tests", 0)))
    lines.append(ctx.t("explore.service.service_conclusions.service_indicators_exist_only",
                       n_clusters=f.get('n_clusters_service', 0), n_omb=f.get('n_omb_max', 0)))
    return Result(ctx.t("explore.service.service_conclusions.conclusions"), bullets(lines),
                  simulated=any(r.simulated for r in results), facts=f)
