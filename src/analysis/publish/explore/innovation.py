"""Notebook 2.0 (innovation and budget): wording and figures for what the notebook selects
and fits in its own cells (the counts per year, the live model, the build's event study)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.narrative import fmt, sentences
from analysis.publish import plots
from analysis.publish.explore.context import (
    Context,
    Result,
    _facts,
    bullets,
    is_simulated,
    table_html,
)
from analysis.publish.explore.evidence import (
    ALPHA,
    _ci,
    claims_sentence,
    estimable,
    fit_scope,
    n_tests,
    not_estimable_notes,
    planted_text,
)
from analysis.publish.explore.refits import pretrend_p


def innovation_figures(ctx: Context, inn: pd.DataFrame, simulated: bool) -> list:
    """Stacked bars of new innovations per year by stage, form and digital (marked simulated
    when the rows are)."""
    figs = []
    inn = inn.assign(digital_label=np.where(inn["digital"], "digital_yes", "digital_no"))
    for cat in ("stage", "form", "digital_label"):
        fig = plots.counts_stacked(inn, lang=ctx.lang, simulated=simulated, category=cat,
                                   year="reporting_year", ylabel_key="innovations")
        if cat == "digital_label":
            ax = fig.axes[0]
            ax.legend(ax.get_legend_handles_labels()[0],
                      [ctx.label(t.get_text()) for t in ax.get_legend().get_texts()])
        figs.append(fig)
    return figs


def innovation_trends(ctx: Context, per_year: pd.DataFrame, simulated: bool) -> Result:
    """The counts per year the notebook computed (index: year; columns ``total``, ``digital``
    share, ``public_service`` share and one count per stage) as a table and in words."""
    t = per_year
    stages = [c for c in ("inisiatif", "uji_coba", "implementasi") if c in t.columns]
    head = [ctx.label("year"), ctx.label("innovations"), *[ctx.label(s) for s in stages],
            ctx.t("explore.innovation.innovation_trends.digital_share"),
            ctx.t("explore.innovation.innovation_trends.public_service_share")]
    rows = [[int(y), int(r["total"]), *[int(r[s]) for s in stages], ctx.pct(r["digital"]),
             ctx.pct(r["public_service"])] for y, r in t.iterrows()]
    y0, y1 = int(t.index.min()), int(t.index.max())
    pre = t.loc[t.index < 2020, "total"].mean()
    post = t.loc[t.index >= 2020, "total"].mean()
    text = ctx.t("explore.innovation.innovation_trends.new_innovations_on_average",
                 total=int(t['total'].sum()), y0=y0, y1=y1, n_first=int(t.loc[y0, 'total']),
                 n_last=int(t.loc[y1, 'total']), pre=ctx.num(pre, 1), post=ctx.num(post, 1),
                 digital_first=ctx.pct(t.loc[y0, 'digital']), digital_last=ctx.pct(t.loc[y1, 'digital']))
    cap = ctx.t("explore.innovation.innovation_trends.new_innovations_per_year")
    return Result(ctx.t("explore.innovation.innovation_trends.innovations_by_stage_form"), text, [],
                  table_html(head, rows, ctx, cap, simulated), t.reset_index(), simulated,
                  {"pre_mean": float(pre), "post_mean": float(post),
                   "digital_first": float(t.loc[y0, "digital"]),
                   "digital_last": float(t.loc[y1, "digital"])})


def event_study_result(ctx: Context, event_study: pd.DataFrame, truth: dict) -> Result:
    """The event study around 2020 (cut intensity x year), with the pre-trend test (raw and
    Holm-adjusted p-value in the family of reported tests)."""
    es = estimable(event_study)
    es = es.sort_values("year") if "year" in es.columns else es
    sim = is_simulated(event_study)
    title = ctx.t("explore.innovation.event_study_result.event_study_around_2020")
    if es.empty:
        why = "; ".join(not_estimable_notes(event_study)) or ctx.t("explore.innovation.event_study_result.no_rows")
        return Result(title, bullets([
            ctx.t("explore.innovation.event_study_result.not_estimable", why=why),
            fit_scope(ctx, event_study, event_study.iloc[0:0])]), simulated=sim,
            data=event_study, facts={"pretrend_p": float("nan"), "pretrend_flagged": False,
                                     "post_sig": 0, "post_n": 0, "estimable": False})
    fig = plots.event_study_plot(es, lang=ctx.lang, simulated=sim, x="rel_year")
    fig.axes[0].set_title(ctx.t("explore.innovation.event_study_result.event_study_2020_cut"))
    ref = int(es["ref_year"].iloc[0])
    tr = truth.get("event_study", {}).get("total_relative_to_reference", {})
    head = [ctx.label("year"), ctx.label("relative_year"), ctx.label("estimate"),
            ctx.t("explore.innovation.event_study_result.95_interval"), "p",
            ctx.t("explore.innovation.event_study_result.planted_relative_simulation")]
    rows = [[int(r.year), int(r.rel_year), ctx.num(r.estimate, 3),
             _ci(ctx, r.ci_low, r.ci_high, 3), fmt.pvalue(r.p_value, ctx.lang),
             planted_text(ctx, tr.get(str(int(r.year)), np.nan)) if sim and tr else fmt.MISSING]
            for r in es.itertuples()]
    pre_p = pretrend_p(event_study)
    pre_adj = (float(es["pretrend_p_adjusted"].iloc[0]) if "pretrend_p_adjusted" in es.columns
               else float("nan"))
    boot = "pretrend_p_f" in event_study.columns
    flagged = (bool(es["pretrend_flagged"].iloc[0]) if "pretrend_flagged" in es.columns
               else bool(pre_p < ALPHA))
    k = n_tests(event_study)
    post = es[es["year"] >= 2020]
    n_sig = int(((post["ci_low"] > 0) | (post["ci_high"] < 0)).sum())
    test_word = ctx.t("explore.innovation.event_study_result."
                      + ("bootstrap" if boot else "wald"))
    adj = (ctx.t("explore.innovation.event_study_result.holm_adjusted_p_over",
                 pre_adj=sentences.peq(pre_adj, ctx.lang), k=k)
           if not pd.isna(pre_adj) else "")
    lines = [
        ctx.t("explore.innovation.event_study_result.pretrend",
              ref=ref, test=test_word, p=sentences.peq(pre_p, ctx.lang), adj=adj,
              verdict=ctx.t("explore.innovation.event_study_result."
                            + ("pretrend_detected" if flagged else "no_pretrend"))),
        ctx.t("explore.innovation.event_study_result.mean_coefficient_from_2020",
              mean=ctx.num(post['estimate'].mean(), 2), n_sig=n_sig, post=len(post)),
        ctx.t("explore.innovation.event_study_result.positive_coefficient_means_opds"),
        fit_scope(ctx, event_study, es),
    ]
    cap = ctx.t("explore.innovation.event_study_result.poisson_event_study_reference", ref=ref,
                n=int(es['n'].iloc[0]), n_clusters=int(es['n_clusters'].iloc[0]))
    return Result(title, bullets(lines), [fig], table_html(head, rows, ctx, cap, sim), es, sim,
                  {"pretrend_p": pre_p, "pretrend_p_adjusted": pre_adj,
                   "pretrend_flagged": flagged, "post_sig": n_sig, "post_n": len(post),
                   "estimable": True})


def innovation_says(ctx: Context, says: Result, es_res: Result, trends: Result) -> Result:
    """What the innovation results say and do not say, from the facts of the counts
    (:func:`innovation_trends`), the live model (:func:`~.evidence.model_says`) and the event
    study (:func:`event_study_result`)."""
    f = _facts(trends, es_res, says)
    res = says.data if says.data is not None else pd.DataFrame()
    budget = res[res["term"] == "dlog_budget"] if len(res) else res
    out = [
        ctx.t("explore.innovation.innovation_says.innovation_counts_averaged_year",
              pre_mean=ctx.num(f['pre_mean'], 1), post_mean=ctx.num(f['post_mean'], 1)),
        ctx.t("explore.innovation.innovation_says.model_with_opd_fixed"),
        claims_sentence(ctx, f.get("claims", []), f.get("n_tests", 0)),
    ]
    if len(budget) and budget["ci_low"].iloc[0] <= 0 <= budget["ci_high"].iloc[0]:
        out.append(ctx.t("explore.innovation.innovation_says.budget_coefficient_interval_includes"))
    not_say = [
        ctx.t("explore.innovation.innovation_says.not_proof_cause_2020"),
        ctx.t("explore.innovation.innovation_says.count_not_quality"),
        ctx.t("explore.innovation.innovation_says.with_opds_small_counts",
              n_clusters=f.get('n_clusters', 0)),
    ]
    if f.get("pretrend_flagged"):
        not_say.append(ctx.t("explore.innovation.innovation_says.pre_trend_was_detected"))
    text = (ctx.t("explore.innovation.innovation_says.what_results_say") + "\n\n"
            + bullets(out) + "\n\n" + ctx.t("explore.innovation.innovation_says.limits_heading") + "\n\n"
            + bullets(not_say))
    return Result(ctx.t("explore.innovation.innovation_says.conclusions"), text, simulated=says.simulated, facts=f)
