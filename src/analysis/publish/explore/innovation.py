"""Notebook 2.0 (innovation and budget): wording and figures for what the notebook selects
and fits in its own cells (the counts per year, the live model, the build's event study)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.narrative import fmt
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
    _p,
    _peq,
    claims_sentence,
    estimable,
    fit_scope,
    n_tests,
    not_estimable_notes,
    planted_text,
)
from analysis.publish.explore.loading import pretrend_p


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
            ctx.t("Porsi digital", "Digital share"),
            ctx.t("Porsi pelayanan publik", "Public-service share")]
    rows = [[int(y), int(r["total"]), *[int(r[s]) for s in stages], ctx.pct(r["digital"]),
             ctx.pct(r["public_service"])] for y, r in t.iterrows()]
    y0, y1 = int(t.index.min()), int(t.index.max())
    pre = t.loc[t.index < 2020, "total"].mean()
    post = t.loc[t.index >= 2020, "total"].mean()
    text = ctx.t(
        f"{int(t['total'].sum())} inovasi baru, {y0}–{y1}: {int(t.loc[y0, 'total'])} pada {y0}, "
        f"{int(t.loc[y1, 'total'])} pada {y1}; rata-rata {ctx.num(pre, 1)} per tahun sebelum "
        f"2020 dan {ctx.num(post, 1)} sejak 2020. Porsi digital dari "
        f"{ctx.pct(t.loc[y0, 'digital'])} ke {ctx.pct(t.loc[y1, 'digital'])}.",
        f"{int(t['total'].sum())} new innovations, {y0}–{y1}: {int(t.loc[y0, 'total'])} in "
        f"{y0}, {int(t.loc[y1, 'total'])} in {y1}; on average {ctx.num(pre, 1)} a year before "
        f"2020 and {ctx.num(post, 1)} from 2020. The digital share went from "
        f"{ctx.pct(t.loc[y0, 'digital'])} to {ctx.pct(t.loc[y1, 'digital'])}.")
    cap = ctx.t("Inovasi baru per tahun menurut tahap, digital dan bentuk",
                "New innovations per year by stage, digital and form")
    return Result(ctx.t("Inovasi menurut tahap, bentuk dan digital",
                        "Innovations by stage, form and digital"), text, [],
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
    title = ctx.t("Studi peristiwa sekitar 2020", "Event study around 2020")
    if es.empty:
        why = "; ".join(not_estimable_notes(event_study)) or ctx.t("tanpa baris", "no rows")
        return Result(title, bullets([
            ctx.t(f"Studi peristiwa tidak dapat ditaksir pada tahun ini: {why}.",
                  f"The event study cannot be estimated on these years: {why}."),
            fit_scope(ctx, event_study, event_study.iloc[0:0])]), simulated=sim,
            data=event_study, facts={"pretrend_p": float("nan"), "pretrend_flagged": False,
                                     "post_sig": 0, "post_n": 0, "estimable": False})
    fig = plots.event_study_plot(es, lang=ctx.lang, simulated=sim, x="rel_year")
    fig.axes[0].set_title(ctx.t("Studi peristiwa: intensitas pemotongan 2020 × tahun",
                                "Event study: 2020 cut intensity × year"))
    ref = int(es["ref_year"].iloc[0])
    tr = truth.get("event_study", {}).get("total_relative_to_reference", {})
    head = [ctx.label("year"), ctx.label("relative_year"), ctx.label("estimate"),
            ctx.t("Interval 95%", "95% interval"), "p",
            ctx.t("Nilai tanam relatif (simulasi)", "Planted, relative (simulation)")]
    rows = [[int(r.year), int(r.rel_year), ctx.num(r.estimate, 3),
             _ci(ctx, r.ci_low, r.ci_high, 3), _p(ctx, r.p_value),
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
    test_word = ctx.t("bootstrap-t berpasangan per OPD" if boot else "uji F Wald berkelompok",
                      "pairs cluster bootstrap-t" if boot else "clustered Wald F test")
    adj = (ctx.t(f", p Holm {_peq(ctx, pre_adj)[2:]} atas {k} uji keluarga temuan build",
                 f", Holm-adjusted p {_peq(ctx, pre_adj)[2:]} over the {k} tests of the "
                 "build's findings family")
           if not pd.isna(pre_adj) else "")
    lines = [
        ctx.t(f"Uji bersama tren sebelum 2020 (tahun acuan {ref}, {test_word}): "
              f"{_peq(ctx, pre_p)}{adj}; "
              + ("**tren awal terdeteksi** (p < 0,05): hasil sesudah 2020 tidak bisa dibaca "
                 "sebagai efek." if flagged else
                 "tidak ada tren awal yang terdeteksi (bukan bukti tidak ada)."),
              f"Joint test of the pre-2020 leads (reference year {ref}, {test_word}): "
              f"{_peq(ctx, pre_p)}{adj}; " + ("**a pre-trend is detected** (p < 0.05): the "
                                            "post-2020 estimates cannot be read as effects."
                                            if flagged else
                                            "no pre-trend detected (not proof of none).")),
        ctx.t(f"Rata-rata koefisien 2020 dan sesudahnya: {ctx.num(post['estimate'].mean(), 2)}; "
              f"{n_sig} dari {len(post)} interval tahunan tidak memuat nol (tanpa koreksi uji "
              "berganda; bukan klaim efek per tahun).",
              f"Mean coefficient from 2020: {ctx.num(post['estimate'].mean(), 2)}; {n_sig} of "
              f"{len(post)} yearly intervals exclude zero (not adjusted for multiple tests; "
              "not a claim of a yearly effect)."),
        ctx.t("Koefisien positif berarti OPD yang dipotong *lebih dalam* (cut_2020 lebih "
              "negatif) mencatat lebih *sedikit* inovasi relatif terhadap tahun acuan.",
              "A positive coefficient means OPDs cut *deeper* (more negative cut_2020) record "
              "*fewer* innovations relative to the reference year."),
        fit_scope(ctx, event_study, es),
    ]
    cap = ctx.t(f"Studi peristiwa Poisson (acuan {ref}, n = {int(es['n'].iloc[0])}, "
                f"{int(es['n_clusters'].iloc[0])} OPD)",
                f"Poisson event study (reference {ref}, n = {int(es['n'].iloc[0])}, "
                f"{int(es['n_clusters'].iloc[0])} OPDs)")
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
        ctx.t(f"Jumlah inovasi rata-rata {ctx.num(f['pre_mean'], 1)} per tahun sebelum 2020 "
              f"dan {ctx.num(f['post_mean'], 1)} sesudahnya.",
              f"Innovation counts averaged {ctx.num(f['pre_mean'], 1)} a year before 2020 and "
              f"{ctx.num(f['post_mean'], 1)} after."),
        ctx.t("Model dengan efek tetap OPD membandingkan setiap OPD dengan dirinya sendiri dari "
              "tahun ke tahun.", "A model with OPD fixed effects compares each OPD with itself "
              "over time."),
        claims_sentence(ctx, f.get("claims", []), f.get("n_tests", 0)),
    ]
    if len(budget) and budget["ci_low"].iloc[0] <= 0 <= budget["ci_high"].iloc[0]:
        out.append(ctx.t("Interval koefisien anggaran memuat nol: data ini tidak cukup untuk "
                         "memastikan arah hubungan anggaran dengan jumlah inovasi.",
                         "The budget coefficient's interval includes zero: this data cannot "
                         "pin down the sign of the budget–innovation link."))
    not_say = [
        ctx.t("Bukan bukti sebab-akibat: pemotongan 2020 tidak acak antar OPD.",
              "Not proof of cause: the 2020 cuts were not random across OPDs."),
        ctx.t("Tidak menilai mutu atau dampak inovasi, hanya jumlahnya.",
              "Nothing about the quality or impact of innovations, only their number."),
        ctx.t(f"Dengan {f.get('n_clusters', 0)} OPD dan jumlah per OPD yang kecil, interval "
              "lebar.", f"With {f.get('n_clusters', 0)} OPDs and small counts per OPD, "
              "intervals are wide."),
    ]
    if f.get("pretrend_flagged"):
        not_say.append(ctx.t("Tren awal terdeteksi: studi peristiwa tidak dapat dibaca "
                             "sebagai efek.", "A pre-trend was detected: the event study "
                             "cannot be read as an effect."))
    text = (ctx.t("**Yang dikatakan hasil ini**", "**What the results say**") + "\n\n"
            + bullets(out) + "\n\n" + ctx.t("**Yang tidak dikatakan**",
                                             "**What they do not say**") + "\n\n"
            + bullets(not_say))
    return Result(ctx.t("Kesimpulan", "Conclusions"), text, simulated=says.simulated, facts=f)
