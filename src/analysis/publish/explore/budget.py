"""Notebook 1.0 (budget cuts)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.narrative import fmt, sentences
from analysis.publish import plots
from analysis.publish.explore.context import (
    Context,
    Result,
    _facts,
    _to_bn,
    _yoy,
    bullets,
    is_simulated,
    table_html,
)
from analysis.publish.explore.loading import load


def regency_budget(ctx: Context, totals: pd.DataFrame, budget: pd.DataFrame,
                   cuts: pd.DataFrame) -> Result:
    """The regency totals the notebook computed (index ``year``; columns ``murni``,
    ``perubahan``, ``realisasi``, ``refocus``, ``yoy``) with the budget path figure and the
    2020 refocusing in words; ``cuts`` (one row per OPD, ``cut_pct``) for the count of OPDs
    below trend."""
    sim = is_simulated(budget)
    w = totals
    fig = plots.budget_path(budget, lang=ctx.lang, simulated=sim)
    head = [ctx.label("year"), ctx.label("murni"), ctx.label("perubahan"),
            ctx.label("realisasi"), ctx.t("explore.budget.regency_budget.revised_vs_original"),
            ctx.t("explore.budget.regency_budget.actual_vs_previous_year")]
    rows = [[y, ctx.rp(r.murni), ctx.rp(r.perubahan), ctx.rp(r.realisasi), ctx.pct(r.refocus),
             ctx.pct(r.yoy)] for y, r in w.iterrows()]
    n_cut, n = int((cuts["cut_pct"] < 0).sum()), int(cuts["cut_pct"].notna().sum())
    facts = {"n_cut": n_cut, "n_units": n,
             "chg_2020": _yoy(w["realisasi"], 2019, 2020),
             "refocus_2020": float(w["refocus"].get(2020, np.nan))}
    if 2020 in w.index:
        text = ctx.t("explore.budget.regency_budget.summary_2020",
                     refocus_2020=ctx.pct(facts['refocus_2020']),
                     chg_2020=ctx.pct(facts['chg_2020']), n_cut=n_cut, n=n)
    else:
        text = ctx.t("explore.budget.regency_budget.2020_outside_that_year", span=ctx.span,
                     n_cut=n_cut, n=n)
    cap = ctx.t("explore.budget.regency_budget.total_over_all_opds")
    return Result(ctx.t("explore.budget.regency_budget.regency_budget_2020_refocusing"), text, [fig],
                  table_html(head, rows, ctx, cap, sim), w.reset_index(), sim, facts)


def cuts_by_opd(ctx: Context, cuts: pd.DataFrame, top_n: int, simulated: bool) -> Result:
    """The notebook's table of 2020 cuts (one row per OPD, sorted deepest first: ``name``,
    ``cut_pct`` against the OPD's pre-2020 trend, ``refocus_2020``, ``chg_2020``,
    ``penunjang_2019``) as a ranked figure, the top rows and words."""
    sim = simulated
    u = cuts
    fig = plots.bar_ranked(u["cut_pct"] * 100, lang=ctx.lang, simulated=sim,
                           highlight=ctx.unit_id if ctx.unit_id in u.index else None,
                           xlabel_key="cut_2020")
    fig.axes[0].set_xlabel(ctx.label("cut_2020") + ctx.t("explore.budget.cuts_by_opd.against_trend"))
    fig.set_size_inches(7.5, max(4.0, 0.2 * len(u) + 1))
    top = u.head(top_n)
    head = [ctx.label("unit"), ctx.t("explore.budget.cuts_by_opd.name"), ctx.t("explore.budget.cuts_by_opd.against_2016_2019_trend"),
            ctx.t("explore.budget.cuts_by_opd.revised_vs_original_2020"),
            ctx.t("explore.budget.cuts_by_opd.actual_2020_vs_2019"),
            ctx.t("explore.budget.cuts_by_opd.routine_share_2019")]
    rows = [[r.Index, r.name, ctx.pct(r.cut_pct), ctx.pct(r.refocus_2020), ctx.pct(r.chg_2020),
             ctx.pct(r.penunjang_2019)] for r in top.itertuples()]
    worst = ", ".join(f"{r.name} ({ctx.pct(r.cut_pct)})" for r in top.head(3).itertuples())
    up = u[u["cut_pct"] > 0]
    text = ctx.t("explore.budget.cuts_by_opd.deepest_cuts_against_pre", worst=worst, u=len(u),
                 median=ctx.pct(u['cut_pct'].median()), up=len(up),
                 head=', '.join(up['name'].head(4)))
    if ctx.unit_id in u.index:
        r = u.loc[ctx.unit_id]
        rank = int(u.index.get_loc(ctx.unit_id)) + 1
        text += ctx.t("explore.budget.cuts_by_opd.highlighted_rank_1_deepest", name=r['name'],
                      cut_pct=ctx.pct(r['cut_pct']), rank=rank, u=len(u))
    cap = ctx.t("explore.budget.cuts_by_opd.opds_cut_hardest_2020", top_n=top_n)
    return Result(ctx.t("explore.budget.cuts_by_opd.which_opds_were_cut"), text,
                  [fig], table_html(head, rows, ctx, cap, sim), u, sim,
                  {"median_cut": float(u["cut_pct"].median()), "n_up": len(up),
                   "hardest": list(top.index[:3])})


def cuts_by_type(ctx: Context, by_type: pd.DataFrame, real: pd.DataFrame) -> Result:
    """The notebook's spending by type (index ``spending_type``, one column per year) with a
    stacked figure of the selected rows ``real``; which types fell in 2020, in words."""
    sim = is_simulated(real)
    real = _to_bn(real)
    w = by_type
    fig = plots.counts_stacked(real, lang=ctx.lang, simulated=sim, category="spending_type",
                               value="amount_bn", ylabel_key="realisasi")
    fig.axes[0].set_ylabel(f"{ctx.label('realisasi')} ({fmt.rupiah_unit_label(ctx.lang)})")
    chg20 = w.apply(lambda s: _yoy(s, 2019, 2020), axis=1)
    chg21 = w.apply(lambda s: _yoy(s, 2020, 2021), axis=1)
    head = [ctx.t("explore.budget.cuts_by_type.spending_type"), *[str(c) for c in w.columns],
            "2019→2020", "2020→2021"]
    rows = [[ctx.label(t), *[fmt.number(v / 1e9, ctx.lang, 1) for v in w.loc[t]],
             ctx.pct(chg20[t]), ctx.pct(chg21[t])] for t in w.index]
    if chg20.notna().any():
        lo, hi = chg20.idxmin(), chg20.idxmax()
        text = ctx.t("explore.budget.cuts_by_type.from_2019_2020_fell",
                     low=ctx.label(lo).lower(), low_change=ctx.pct(chg20[lo]),
                     high=ctx.label(hi).lower(), high_change=ctx.pct(chg20[hi]))
    else:
        lo = hi = None
        text = ctx.t("explore.budget.cuts_by_type.needs_2019_and_2020")
    cap = ctx.t("explore.budget.cuts_by_type.actual_spending_by_type",
                lang=fmt.rupiah_unit_label(ctx.lang))
    return Result(ctx.t("explore.budget.cuts_by_type.by_spending_type"), text, [fig],
                  table_html(head, rows, ctx, cap, sim), w, sim,
                  {"fell_most": lo, "rose_most": hi,
                   "chg_2020": chg20.to_dict()})


def later_years(ctx: Context, later: pd.DataFrame, simulated: bool) -> Result:
    """The notebook's count per year of OPDs spending less than the year before (index
    ``year``; ``n``, ``n_cut``, ``med`` the median log change, ``regency`` the regency's),
    in words: the year after 2020 with the most cuts."""
    sim = simulated
    g = later
    head = [ctx.label("year"), ctx.t("explore.budget.later_years.opds_with_lower_spending"),
            ctx.t("explore.budget.later_years.median_opd_change"),
            ctx.t("explore.budget.later_years.regency_change")]
    rows = [[y, f"{int(r.n_cut)}/{int(r.n)}", ctx.pct(np.expm1(r.med)),
             ctx.pct(np.expm1(r.regency))] for y, r in g.iterrows()]
    after = g[g.index > 2020]
    if len(after):
        y = int(after["n_cut"].idxmax())
        text = ctx.t("explore.budget.later_years.most_cuts_year", y=y,
                     n_cut=int(after.loc[y, 'n_cut']), n=int(after.loc[y, 'n']))
    else:
        y = None
        text = ctx.t("explore.budget.later_years.no_year_after_2020")
    cap = ctx.t("explore.budget.later_years.caption")
    return Result(ctx.t("explore.budget.later_years.later_years"), text, [],
                  table_html(head, rows, ctx, cap, sim), g.reset_index(), sim,
                  {"worst_later_year": y})


def routine_share(ctx: Context, routine: pd.DataFrame, real: pd.DataFrame) -> Result:
    """The notebook's routine (program penunjang) against service (urusan) spending per year
    (index ``year``; ``penunjang``, ``urusan``, ``share``, ``opd_median``) with a stacked
    figure of ``real``: the share and how it moved, in words."""
    sim = is_simulated(real)
    real = _to_bn(real)
    w = routine
    fig = plots.counts_stacked(real, lang=ctx.lang, simulated=sim, category="programme_class",
                               value="amount_bn", ylabel_key="realisasi")
    fig.axes[0].set_ylabel(f"{ctx.label('realisasi')} ({fmt.rupiah_unit_label(ctx.lang)})")
    head = [ctx.label("year"), ctx.label("penunjang"), ctx.label("urusan"),
            ctx.label("penunjang_share"), ctx.t("explore.budget.routine_share.opd_median")]
    rows = [[y, ctx.rp(r.penunjang), ctx.rp(r.urusan), ctx.pct(r.share),
             ctx.pct(r.opd_median)] for y, r in w.iterrows()]
    y0, y1 = int(w.index.min()), int(w.index.max())
    pen20, urs20 = _yoy(w["penunjang"], 2019, 2020), _yoy(w["urusan"], 2019, 2020)
    text = ctx.t("explore.budget.routine_share.share_routine_support_programme",
                 share_first=ctx.pct(w.loc[y0, 'share']), y0=y0, share_last=ctx.pct(w.loc[y1, 'share']), y1=y1)
    # where the 2020 cut fell: the one sentence every view uses, from the build's regency totals
    composition, _ = sentences.cut_composition(load(ctx, "regency_year")["regency_year"],
                                               ctx.lang)
    if composition:
        text += " " + composition + "."
    cap = ctx.t("explore.budget.routine_share.actual_spending_on_routine")
    return Result(ctx.t("explore.budget.routine_share.routine_spending_penunjang"),
                  text, [fig], table_html(head, rows, ctx, cap, sim), w.reset_index(), sim,
                  {"share_first": float(w.loc[y0, "share"]),
                   "share_last": float(w.loc[y1, "share"]), "penunjang_2020": pen20,
                   "urusan_2020": urs20})


def routine_by_opd(ctx: Context, by_opd: pd.DataFrame, top_n: int, simulated: bool) -> Result:
    """The notebook's routine share per OPD (sorted largest first: ``name``, ``avg``,
    ``first_share``, ``last_share``, ``change``) as a ranked figure, the top rows and words."""
    sim = simulated
    s = by_opd
    fig = plots.bar_ranked(s["avg"].head(max(top_n, 15)) * 100, lang=ctx.lang, simulated=sim,
                           highlight=ctx.unit_id if ctx.unit_id in s.index[:max(top_n, 15)]
                           else None, xlabel_key="penunjang_share")
    fig.axes[0].set_xlabel(ctx.label("penunjang_share") + " (%)")
    head = [ctx.label("unit"), ctx.t("explore.budget.cuts_by_opd.name"), ctx.t("explore.budget.routine_by_opd.mean"),
            str(ctx.years[0]), str(ctx.years[1]), ctx.t("explore.budget.routine_by_opd.change_pp")]
    rows = [[r.Index, r.name, ctx.pct(r.avg), ctx.pct(r.first_share), ctx.pct(r.last_share),
             ctx.num(r.change * 100, 1)] for r in s.head(top_n).itertuples()]
    n_down = int((s["change"] < 0).sum())
    text = ctx.t("explore.budget.routine_by_opd.summary", name=s['name'].iloc[0],
                 share=ctx.pct(s['avg'].iloc[0]), span=ctx.span, n_down=n_down, n=len(s),
                 y0=ctx.years[0], y1=ctx.years[1])
    cap = ctx.t("explore.budget.routine_by_opd.opds_with_largest_routine", top_n=top_n)
    return Result(ctx.t("explore.budget.routine_by_opd.routine_share_by_opd"), text, [fig],
                  table_html(head, rows, ctx, cap, sim), s, sim,
                  {"n_down": n_down, "top": s.index[0]})


def budget_conclusions(ctx: Context, *results: Result) -> Result:
    """Conclusions of notebook 1.0, from the facts of its sections."""
    f = _facts(*results)
    lines = [
        ctx.t("explore.budget.budget_conclusions.opds_spent_below_their", n_cut=f['n_cut'],
              n_units=f['n_units'], median_cut=ctx.pct(f['median_cut']), n_up=f['n_up']),
    ]
    if f.get("fell_most"):
        lines.append(ctx.t("explore.budget.budget_conclusions.spending_type_cut_most",
                           lower=ctx.label(f['fell_most']).lower()))
    if not np.isnan(f.get("penunjang_2020", np.nan)):
        lines.append(ctx.t("explore.budget.budget_conclusions.routine_spending_2020_service",
                           penunjang_2020=ctx.pct(f['penunjang_2020']),
                           urusan_2020=ctx.pct(f['urusan_2020'])))
    lines.append(ctx.t("explore.budget.budget_conclusions.regency_routine_share_moved",
                       share_first=ctx.pct(f['share_first']), share_last=ctx.pct(f['share_last']),
                       span=ctx.span))
    if f.get("worst_later_year"):
        lines.append(ctx.t("explore.budget.budget_conclusions.widest_later_cuts",
                           worst_later_year=f['worst_later_year']))
    return Result(ctx.t("explore.budget.budget_conclusions.conclusions"), bullets(lines),
                  simulated=any(r.simulated for r in results), facts=f)
