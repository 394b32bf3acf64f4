"""Notebook 1.0 (budget cuts)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.narrative import fmt
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
            ctx.label("realisasi"), ctx.t("Perubahan vs murni", "Revised vs original"),
            ctx.t("Realisasi vs tahun lalu", "Actual vs previous year")]
    rows = [[y, ctx.rp(r.murni), ctx.rp(r.perubahan), ctx.rp(r.realisasi), ctx.pct(r.refocus),
             ctx.pct(r.yoy)] for y, r in w.iterrows()]
    n_cut, n = int((cuts["cut_pct"] < 0).sum()), int(cuts["cut_pct"].notna().sum())
    facts = {"n_cut": n_cut, "n_units": n,
             "chg_2020": _yoy(w["realisasi"], 2019, 2020),
             "refocus_2020": float(w["refocus"].get(2020, np.nan))}
    if 2020 in w.index:
        text = ctx.t(
            f"Pada 2020 APBD perubahan {ctx.pct(facts['refocus_2020'])} terhadap APBD murni "
            f"(refocusing), dan realisasi berubah {ctx.pct(facts['chg_2020'])} dibanding 2019. "
            f"{n_cut} dari {n} OPD dibelanjakan di bawah tren sebelum 2020.",
            f"In 2020 the revised budget was {ctx.pct(facts['refocus_2020'])} against the "
            f"original (the refocusing), and actual spending changed "
            f"{ctx.pct(facts['chg_2020'])} on 2019. {n_cut} of {n} OPDs spent below their "
            "pre-2020 trend.")
    else:
        text = ctx.t(f"Tahun 2020 di luar rentang {ctx.span}; {n_cut} dari {n} OPD dibelanjakan "
                     "di bawah tren sebelum 2020 pada tahun itu.",
                     f"2020 is outside {ctx.span}; that year {n_cut} of {n} OPDs spent below "
                     "their pre-2020 trend.")
    cap = ctx.t("Total seluruh OPD per tahun dan tahap anggaran",
                "Total over all OPDs per year and budget stage")
    return Result(ctx.t("Anggaran kabupaten dan refocusing 2020",
                        "Regency budget and the 2020 refocusing"), text, [fig],
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
    fig.axes[0].set_xlabel(ctx.label("cut_2020") + ctx.t(" (% terhadap tren)",
                                                         " (% against trend)"))
    fig.set_size_inches(7.5, max(4.0, 0.2 * len(u) + 1))
    top = u.head(top_n)
    head = [ctx.label("unit"), ctx.t("Nama", "Name"), ctx.t("Terhadap tren 2016–2019",
                                                             "Against 2016–2019 trend"),
            ctx.t("APBD-P vs murni 2020", "Revised vs original 2020"),
            ctx.t("Realisasi 2020 vs 2019", "Actual 2020 vs 2019"),
            ctx.t("Porsi penunjang 2019", "Routine share 2019")]
    rows = [[r.Index, r.name, ctx.pct(r.cut_pct), ctx.pct(r.refocus_2020), ctx.pct(r.chg_2020),
             ctx.pct(r.penunjang_2019)] for r in top.itertuples()]
    worst = ", ".join(f"{r.name} ({ctx.pct(r.cut_pct)})" for r in top.head(3).itertuples())
    up = u[u["cut_pct"] > 0]
    text = ctx.t(
        f"Pemotongan terdalam terhadap tren sebelum 2020: {worst}. Median seluruh "
        f"{len(u)} OPD: {ctx.pct(u['cut_pct'].median())}; {len(up)} OPD justru naik "
        f"(antara lain {', '.join(up['name'].head(4))}).",
        f"Deepest cuts against the pre-2020 trend: {worst}. Median of all {len(u)} OPDs: "
        f"{ctx.pct(u['cut_pct'].median())}; {len(up)} OPDs went up instead "
        f"(among them {', '.join(up['name'].head(4))}).")
    if ctx.unit_id in u.index:
        r = u.loc[ctx.unit_id]
        rank = int(u.index.get_loc(ctx.unit_id)) + 1
        text += ctx.t(f" {r['name']} (disorot): {ctx.pct(r['cut_pct'])}, peringkat {rank} "
                      f"dari {len(u)} (1 = terdalam).",
                      f" {r['name']} (highlighted): {ctx.pct(r['cut_pct'])}, rank {rank} of "
                      f"{len(u)} (1 = deepest).")
    cap = ctx.t(f"{top_n} OPD dengan pemotongan 2020 terdalam",
                f"The {top_n} OPDs cut hardest in 2020")
    return Result(ctx.t("OPD mana yang paling dipotong", "Which OPDs were cut hardest"), text,
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
    head = [ctx.t("Jenis belanja", "Spending type"), *[str(c) for c in w.columns],
            "2019→2020", "2020→2021"]
    rows = [[ctx.label(t), *[fmt.number(v / 1e9, ctx.lang, 1) for v in w.loc[t]],
             ctx.pct(chg20[t]), ctx.pct(chg21[t])] for t in w.index]
    if chg20.notna().any():
        lo, hi = chg20.idxmin(), chg20.idxmax()
        text = ctx.t(
            f"Dari 2019 ke 2020 {ctx.label(lo).lower()} turun paling dalam "
            f"({ctx.pct(chg20[lo])}); {ctx.label(hi).lower()} berubah "
            f"{ctx.pct(chg20[hi])}.",
            f"From 2019 to 2020 {ctx.label(lo).lower()} fell most ({ctx.pct(chg20[lo])}); "
            f"{ctx.label(hi).lower()} changed {ctx.pct(chg20[hi])}.")
    else:
        lo = hi = None
        text = ctx.t("Rentang tahun tidak memuat 2019 dan 2020.",
                     "The year range does not include both 2019 and 2020.")
    cap = ctx.t(f"Realisasi menurut jenis belanja ({fmt.rupiah_unit_label(ctx.lang)})",
                f"Actual spending by type ({fmt.rupiah_unit_label(ctx.lang)})")
    return Result(ctx.t("Menurut jenis belanja", "By spending type"), text, [fig],
                  table_html(head, rows, ctx, cap, sim), w, sim,
                  {"fell_most": lo, "rose_most": hi,
                   "chg_2020": chg20.to_dict()})


def later_years(ctx: Context, later: pd.DataFrame, simulated: bool) -> Result:
    """The notebook's count per year of OPDs spending less than the year before (index
    ``year``; ``n``, ``n_cut``, ``med`` the median log change, ``regency`` the regency's),
    in words: the year after 2020 with the most cuts."""
    sim = simulated
    g = later
    head = [ctx.label("year"), ctx.t("OPD dengan realisasi turun", "OPDs with lower spending"),
            ctx.t("Median perubahan OPD", "Median OPD change"),
            ctx.t("Perubahan kabupaten", "Regency change")]
    rows = [[y, f"{int(r.n_cut)}/{int(r.n)}", ctx.pct(np.expm1(r.med)),
             ctx.pct(np.expm1(r.regency))] for y, r in g.iterrows()]
    after = g[g.index > 2020]
    if len(after):
        y = int(after["n_cut"].idxmax())
        text = ctx.t(
            f"Setelah 2020, tahun dengan paling banyak OPD yang realisasinya turun adalah {y} "
            f"({int(after.loc[y, 'n_cut'])} dari {int(after.loc[y, 'n'])} OPD).",
            f"After 2020, the year with most OPDs spending less than the year before was {y} "
            f"({int(after.loc[y, 'n_cut'])} of {int(after.loc[y, 'n'])} OPDs).")
    else:
        y = None
        text = ctx.t("Rentang tahun tidak memuat tahun setelah 2020.",
                     "The year range has no year after 2020.")
    cap = ctx.t("Perubahan realisasi per tahun (log, ditampilkan sebagai %)",
                "Change in actual spending per year (log, shown as %)")
    return Result(ctx.t("Tahun-tahun berikutnya", "Later years"), text, [],
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
            ctx.label("penunjang_share"), ctx.t("Median OPD", "OPD median")]
    rows = [[y, ctx.rp(r.penunjang), ctx.rp(r.urusan), ctx.pct(r.share),
             ctx.pct(r.opd_median)] for y, r in w.iterrows()]
    y0, y1 = int(w.index.min()), int(w.index.max())
    pen20, urs20 = _yoy(w["penunjang"], 2019, 2020), _yoy(w["urusan"], 2019, 2020)
    text = ctx.t(
        f"Porsi program penunjang (rutin) dalam realisasi: {ctx.pct(w.loc[y0, 'share'])} pada "
        f"{y0}, {ctx.pct(w.loc[y1, 'share'])} pada {y1}.",
        f"Share of the routine support programme (penunjang) in actual spending: "
        f"{ctx.pct(w.loc[y0, 'share'])} in {y0}, {ctx.pct(w.loc[y1, 'share'])} in {y1}.")
    if not np.isnan(pen20):
        more = pen20 < urs20
        text += ctx.t(
            f" Dari 2019 ke 2020 belanja rutin berubah {ctx.pct(pen20)} dan program layanan "
            f"{ctx.pct(urs20)}: pemotongan {'lebih' if more else 'kurang'} mengenai belanja "
            "rutin dibanding layanan.",
            f" From 2019 to 2020 routine spending changed {ctx.pct(pen20)} and service "
            f"programmes {ctx.pct(urs20)}: the cut fell {'more' if more else 'less'} on routine "
            "than on service spending.")
    cap = ctx.t("Realisasi program penunjang (rutin) dan program urusan (layanan)",
                "Actual spending on the routine and the service programmes")
    return Result(ctx.t("Belanja rutin (program penunjang)", "Routine spending (penunjang)"),
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
    head = [ctx.label("unit"), ctx.t("Nama", "Name"), ctx.t("Rata-rata", "Mean"),
            str(ctx.years[0]), str(ctx.years[1]), ctx.t("Perubahan (poin %)", "Change (pp)")]
    rows = [[r.Index, r.name, ctx.pct(r.avg), ctx.pct(r.first_share), ctx.pct(r.last_share),
             ctx.num(r.change * 100, 1)] for r in s.head(top_n).itertuples()]
    n_down = int((s["change"] < 0).sum())
    text = ctx.t(
        f"Porsi rutin tertinggi: {s['name'].iloc[0]} ({ctx.pct(s['avg'].iloc[0])} rata-rata "
        f"{ctx.span}). Porsi rutin turun pada {n_down} dari {len(s)} OPD antara "
        f"{ctx.years[0]} dan {ctx.years[1]}.",
        f"Highest routine share: {s['name'].iloc[0]} ({ctx.pct(s['avg'].iloc[0])} on average "
        f"{ctx.span}). The routine share fell in {n_down} of {len(s)} OPDs between "
        f"{ctx.years[0]} and {ctx.years[1]}.")
    cap = ctx.t(f"{top_n} OPD dengan porsi program penunjang terbesar",
                f"The {top_n} OPDs with the largest routine (penunjang) share")
    return Result(ctx.t("Porsi rutin per OPD", "Routine share by OPD"), text, [fig],
                  table_html(head, rows, ctx, cap, sim), s, sim,
                  {"n_down": n_down, "top": s.index[0]})


def budget_conclusions(ctx: Context, *results: Result) -> Result:
    """Conclusions of notebook 1.0, from the facts of its sections."""
    f = _facts(*results)
    lines = [
        ctx.t(f"{f['n_cut']} dari {f['n_units']} OPD dibelanjakan di bawah tren sebelum 2020 "
              f"pada 2020 (median {ctx.pct(f['median_cut'])}); {f['n_up']} OPD naik.",
              f"{f['n_cut']} of {f['n_units']} OPDs spent below their pre-2020 trend in 2020 "
              f"(median {ctx.pct(f['median_cut'])}); {f['n_up']} OPDs went up."),
    ]
    if f.get("fell_most"):
        lines.append(ctx.t(f"Jenis belanja yang paling dipotong 2020: "
                           f"{ctx.label(f['fell_most']).lower()}.",
                           f"Spending type cut most in 2020: "
                           f"{ctx.label(f['fell_most']).lower()}."))
    if not np.isnan(f.get("penunjang_2020", np.nan)):
        lines.append(ctx.t(
            f"Belanja rutin 2020: {ctx.pct(f['penunjang_2020'])}; layanan: "
            f"{ctx.pct(f['urusan_2020'])} (terhadap 2019).",
            f"Routine spending 2020: {ctx.pct(f['penunjang_2020'])}; service programmes: "
            f"{ctx.pct(f['urusan_2020'])} (against 2019)."))
    lines.append(ctx.t(
        f"Porsi rutin kabupaten bergerak dari {ctx.pct(f['share_first'])} ke "
        f"{ctx.pct(f['share_last'])} ({ctx.span}).",
        f"The regency's routine share moved from {ctx.pct(f['share_first'])} to "
        f"{ctx.pct(f['share_last'])} ({ctx.span})."))
    if f.get("worst_later_year"):
        lines.append(ctx.t(f"Sesudah 2020, pemotongan paling luas terjadi pada "
                           f"{f['worst_later_year']}.",
                           f"After 2020, cuts were most widespread in "
                           f"{f['worst_later_year']}."))
    return Result(ctx.t("Kesimpulan", "Conclusions"), bullets(lines),
                  simulated=any(r.simulated for r in results), facts=f)
