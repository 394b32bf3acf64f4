"""Notebook 2.1 (service and budget)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.narrative import fmt
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
    _p,
    claim,
    claims_sentence,
    estimable,
    evidence_phrase,
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
                       ctx.t("Rata-rata unit (0–100)", "Mean over units (0–100)"), sim)
    head = [ctx.label("year"), ctx.label("ikm"), "n", ctx.label("ombudsman_score"), "n",
            ctx.label("complaints"), "n", ctx.t("Median perubahan anggaran",
                                                "Median budget change")]
    rows = [[int(r.year), ctx.num(r.ikm), int(r.n_ikm), ctx.num(r.ombudsman_score),
             int(r.n_omb), fmt.number(r.complaints, ctx.lang, 0), int(r.n_compl),
             ctx.pct(np.expm1(r.budget))] for r in t.itertuples()]
    ik = t.dropna(subset=["ikm"]).set_index("year")["ikm"]
    text = ctx.t(
        f"IKM rata-rata {ctx.num(ik.iloc[0])} ({ik.index[0]}) dan {ctx.num(ik.iloc[-1])} "
        f"({ik.index[-1]}), terendah {ctx.num(ik.min())} pada {ik.idxmin()}. Skor Ombudsman "
        f"tersedia untuk paling banyak {int(t['n_omb'].max())} unit per tahun.",
        f"Mean IKM {ctx.num(ik.iloc[0])} ({ik.index[0]}) and {ctx.num(ik.iloc[-1])} "
        f"({ik.index[-1]}), lowest {ctx.num(ik.min())} in {ik.idxmin()}. Ombudsman scores "
        f"exist for at most {int(t['n_omb'].max())} units a year.")
    cap = ctx.t("Indikator layanan per tahun (unit garis depan)",
                "Service indicators per year (front-line units)")
    return Result(ctx.t("Indikator layanan dari tahun ke tahun", "Service indicators over time"),
                  text, [fig], table_html(head, rows, ctx, cap, sim), t, sim,
                  {"ikm_low_year": int(ik.idxmin()), "n_omb_max": int(t["n_omb"].max())})


def service_by_budget_change(ctx: Context, groups: pd.DataFrame, threshold: float,
                              simulated: bool) -> Result:
    """The mean change of each service indicator by the previous year's budget change, as the
    notebook grouped it (index ``cut``/``stable``/``increase``; columns ``(d_<indicator>,
    "mean")`` and ``(d_<indicator>, "count")``), with the ``threshold`` in the words."""
    thr = ctx.pct(threshold, 0)
    words = {"cut": ctx.t(f"Dipotong >{thr} tahun lalu", f"Cut >{thr} the year before"),
             "stable": ctx.t(f"Stabil (±{thr})", f"Stable (±{thr})"),
             "increase": ctx.t(f"Naik >{thr} tahun lalu", f"Up >{thr} the year before")}
    cols = [c for c in dict.fromkeys(groups.columns.get_level_values(0))]
    rows = [[words.get(str(k), str(k)),
             *[f"{ctx.num(groups.loc[k, (c, 'mean')])} (n={int(groups.loc[k, (c, 'count')])})"
               for c in cols]] for k in groups.index]
    head = [ctx.t("Anggaran tahun lalu", "Budget the year before"),
            *[ctx.t("Perubahan ", "Change in ") + ctx.label(c.removeprefix("d_")) for c in cols]]
    cut, up = (groups.loc[k, ("d_ikm", "mean")] if k in groups.index else np.nan
               for k in ("cut", "increase"))
    diff = cut - up
    text = ctx.t(
        f"Setahun setelah pemotongan >{thr}, IKM berubah rata-rata {ctx.num(cut)} poin; setelah "
        f"kenaikan >{thr}, {ctx.num(up)} poin (selisih {ctx.num(diff)}). Perbandingan mentah "
        "ini belum memisahkan guncangan tahunan bersama; model di bawah melakukannya.",
        f"The year after a >{thr} cut, IKM changed by {ctx.num(cut)} points on average; after "
        f"a >{thr} increase, by {ctx.num(up)} points (difference {ctx.num(diff)}). This raw "
        "comparison does not remove shocks common to a year; the models below do.")
    cap = ctx.t("Perubahan indikator layanan menurut perubahan anggaran tahun sebelumnya",
                "Change in service indicators by the previous year's budget change")
    return Result(ctx.t("Setelah dipotong, stabil atau naik", "After a cut, a stable year or "
                        "an increase"), text, [], table_html(head, rows, ctx, cap, simulated),
                  groups, simulated, {"ikm_cut_minus_increase": float(diff)})


def _lag_term(ctx: Context, term: str, max_lag: int) -> str:
    if term == "cumulative":
        return ctx.t(f"kumulatif (jeda 0–{max_lag})", f"cumulative (lags 0–{max_lag})")
    k = int(str(term).rsplit("lag", 1)[1])
    return ctx.t("tahun yang sama" if k == 0 else f"jeda {k} th",
                 "same year" if k == 0 else f"lag {k} y")


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
    title = ctx.t("Anggaran dan layanan: semua jeda dalam satu model",
                  "Budget and service: all lags in one model")
    ok = estimable(lag_results)
    k_tests = n_tests(lag_results)
    rows, lines, claims, facts_cum = [], [], [], {}
    for r in lag_results.itertuples():
        tv = getattr(r, "planted", np.nan)
        rows.append([ctx.label(r.outcome), _lag_term(ctx, r.term, max_lag) if not pd.isna(
                     r.estimate) else fmt.MISSING, ctx.num(r.estimate, 3),
                     scale_word(ctx, r.outcome, r.model), _ci(ctx, r.ci_low, r.ci_high, 3),
                     _p(ctx, r.p_value), _p(ctx, getattr(r, "p_adjusted", np.nan)),
                     _int(getattr(r, "n_tests", np.nan)), int(r.n), int(r.n_clusters),
                     planted_text(ctx, tv) if sim else fmt.MISSING, r.note])
    covered: dict = {}
    for outcome in dict.fromkeys(lag_results["outcome"]):
        g = ok[ok["outcome"] == outcome]
        if g.empty:
            why = "; ".join(not_estimable_notes(lag_results[lag_results["outcome"] == outcome]))
            lines.append(ctx.t(f"{ctx.label(outcome)}: tidak dapat ditaksir ({why}).",
                               f"{ctx.label(outcome)}: cannot be estimated ({why})."))
            continue
        unit = scale_word(ctx, outcome, g["model"].iloc[0])
        lags = g[g["term"] != "cumulative"].sort_values("lag")
        each = "; ".join(f"{_lag_term(ctx, x.term, max_lag)} {ctx.num(x.estimate)} "
                         f"{_ci(ctx, x.ci_low, x.ci_high)}" for x in lags.itertuples())
        cum = g[g["term"] == "cumulative"]
        part = ctx.t(f"{ctx.label(outcome)} ({unit} per satu satuan log perubahan anggaran; "
                     f"n = {int(g['n'].max())}, {int(g['n_clusters'].max())} OPD): {each}.",
                     f"{ctx.label(outcome)} ({unit} per unit of log budget change; n = "
                     f"{int(g['n'].max())}, {int(g['n_clusters'].max())} OPDs): {each}.")
        if len(cum):
            c = next(cum.itertuples())
            part += ctx.t(f" Kumulatif {ctx.num(c.estimate)} {_ci(ctx, c.ci_low, c.ci_high)} "
                          f"({evidence_phrase(ctx, c, k_tests)}).",
                          f" Cumulative {ctx.num(c.estimate)} {_ci(ctx, c.ci_low, c.ci_high)} "
                          f"({evidence_phrase(ctx, c, k_tests)}).")
            facts_cum[outcome] = claim(c)
        yes = [x for x in lags.itertuples() if claim(x) == "yes"]
        raw = [x for x in lags.itertuples() if claim(x) == "raw"]
        if yes:
            part += ctx.t(" Jeda dengan p Holm < 0,05: "
                          + ", ".join(_lag_term(ctx, x.term, max_lag) for x in yes) + ".",
                          " Lags with Holm-adjusted p < 0.05: "
                          + ", ".join(_lag_term(ctx, x.term, max_lag) for x in yes) + ".")
        else:
            part += ctx.t(" Tidak ada jeda tunggal dengan p Holm < 0,05.",
                          " No single lag has a Holm-adjusted p below 0.05.")
        if raw:
            part += ctx.t(" Interval tanpa koreksi tidak memuat nol pada "
                          + ", ".join(_lag_term(ctx, x.term, max_lag) for x in raw)
                          + ", tetapi itu tidak diklaim.",
                          " Unadjusted intervals exclude zero at "
                          + ", ".join(_lag_term(ctx, x.term, max_lag) for x in raw)
                          + ", which is not claimed.")
        lines.append(part)
        claims += [(x.outcome, x.term) for x in g.itertuples() if claim(x) == "yes"]
        for x in g.itertuples():
            covered[(outcome, x.term)] = _covers(x.ci_low, x.ci_high,
                                                 getattr(x, "planted", np.nan))
    if sim and any(v is not None for v in covered.values()):
        miss = [f"{ctx.label(o)} {_lag_term(ctx, t, max_lag)}" for (o, t), v in covered.items()
                if v is False]
        n_chk = sum(v is not None for v in covered.values())
        lines.append(ctx.t(
            f"Pemeriksaan simulasi: interval memuat nilai yang ditanam (termasuk nol yang "
            f"ditanam) untuk {n_chk - len(miss)} dari {n_chk} koefisien"
            + (f"; tidak untuk {', '.join(miss)}." if miss else "."),
            f"Simulation check: the interval covers the planted value (planted zeros "
            f"included) for {n_chk - len(miss)} of {n_chk} coefficients"
            + (f"; not for {', '.join(miss)}." if miss else ".")))
    lines.append(ctx.t(
        "Semua jeda ada dalam satu model per indikator, sehingga setiap jeda dibaca dengan jeda "
        "lain tetap; perubahan anggaran berkorelasi negatif dari tahun ke tahun, jadi model per "
        "jeda akan menyesatkan. Efek kumulatif adalah jumlah jeda dengan intervalnya sendiri.",
        "All lags are in one model per indicator, so each lag is read holding the others "
        "fixed; budget changes are negatively autocorrelated within an OPD, so one model per "
        "lag would mislead. The cumulative effect is the sum of the lags, with its own "
        "interval."))
    lines.append(live_scope(ctx, ok) + ctx.t(f" p Holm atas {k_tests} uji tabel ini.",
                                             f" Holm-adjusted p over the {k_tests} tests of "
                                             "this table."))
    figs: list = []
    head = [ctx.t("Hasil", "Outcome"), ctx.t("Jeda", "Lag"), ctx.label("estimate"),
            ctx.t("Satuan", "Unit"), ctx.t("Interval 95%", "95% interval"), "p",
            ctx.t("p Holm", "Holm p"), ctx.t("Uji", "Tests"), "n", ctx.t("OPD", "OPDs"),
            ctx.t("Nilai tanam (simulasi)", "Planted (simulation)"), ctx.t("Catatan", "Note")]
    formulas = " ; ".join(dict.fromkeys(lag_results.get("formula", pd.Series(dtype=str))
                                        .dropna()))
    cap = ctx.t("Model jeda terdistribusi yang ditaksir di sel ini: ",
                "Distributed-lag models fitted in this cell: ") + formulas
    return Result(title, bullets(lines), figs, table_html(head, rows, ctx, cap, sim),
                  lag_results, sim,
                  {"claims": claims, "cumulative": facts_cum, "n_tests": k_tests,
                   "max_lag": max_lag, "covered": covered,
                   "n_clusters_service": int(ok["n_clusters"].max()) if len(ok) else 0})


def service_conclusions(ctx: Context, *results: Result) -> Result:
    f = _facts(*results)
    lines = []
    word = {"yes": ctx.t("dapat dibedakan dari nol setelah koreksi uji berganda",
                         "distinguishable from zero after adjusting for multiple tests"),
            "raw": ctx.t("hanya tanpa koreksi tidak memuat nol: tidak diklaim",
                         "excludes zero only without adjustment: not claimed"),
            "no": ctx.t("tidak dapat dibedakan dari nol", "not distinguishable from zero")}
    for outcome, c in f.get("cumulative", {}).items():
        lines.append(ctx.t(f"{ctx.label(outcome)}: efek kumulatif perubahan anggaran "
                           f"{word[c]}.", f"{ctx.label(outcome)}: the cumulative effect of a "
                           f"budget change is {word[c]}."))
    lines.append(claims_sentence(ctx, f.get("claims", []), f.get("n_tests", 0)))
    lines.append(ctx.t(
        f"Indikator layanan hanya ada untuk unit garis depan ({f.get('n_clusters_service', 0)} "
        f"OPD dalam model); skor Ombudsman untuk paling banyak {f.get('n_omb_max', 0)} unit "
        "per tahun, jadi hasil Ombudsman paling rapuh.",
        f"Service indicators exist only for front-line units ({f.get('n_clusters_service', 0)} "
        f"OPDs in the models); Ombudsman scores for at most {f.get('n_omb_max', 0)} units a "
        "year, so the Ombudsman results are the most fragile."))
    return Result(ctx.t("Kesimpulan", "Conclusions"), bullets(lines),
                  simulated=any(r.simulated for r in results), facts=f)
