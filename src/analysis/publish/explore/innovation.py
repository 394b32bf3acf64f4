"""Notebook 2.0 (innovation and budget)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.narrative import fmt
from analysis.publish import plots
from analysis.publish.explore.context import Context, Result, _facts, bullets, table_html
from analysis.publish.explore.evidence import (
    ALPHA,
    _ci,
    _computed_note,
    _covers,
    _model_rows,
    _p,
    _peq,
    claim,
    estimable,
    evidence_phrase,
    fit_scope,
    n_tests,
    not_estimable_notes,
    planted,
    planted_text,
)
from analysis.publish.explore.loading import is_simulated, pretrend_p


def _panel_innovations(innovations: pd.DataFrame) -> pd.DataFrame:
    from analysis.methods.measures import MODEL_PROVENANCE

    inn = innovations[innovations["provenance"].isin(MODEL_PROVENANCE)
                      & ~innovations["is_duplicate"] & innovations["unit_id"].notna()]
    return inn.assign(digital_label=np.where(inn["digital"], "digital_yes", "digital_no"))


def innovation_trends(ctx: Context, innovations: pd.DataFrame) -> Result:
    """Counts of new innovations per year by stage, form and digital (panel data)."""
    inn = _panel_innovations(innovations)
    sim = is_simulated(inn)
    figs = []
    for cat in ("stage", "form", "digital_label"):
        fig = plots.counts_stacked(inn, lang=ctx.lang, simulated=sim, category=cat,
                                   year="reporting_year", ylabel_key="innovations")
        if cat == "digital_label":
            ax = fig.axes[0]
            ax.legend(ax.get_legend_handles_labels()[0],
                      [ctx.label(t.get_text()) for t in ax.get_legend().get_texts()])
        figs.append(fig)
    g = inn.groupby("reporting_year")
    t = pd.DataFrame({"total": g.size(), "digital": g["digital"].mean()})
    for st in ("inisiatif", "uji_coba", "implementasi"):
        t[st] = g["stage"].apply(lambda s, st=st: int((s == st).sum()))
    t["public_service"] = g["form"].apply(lambda s: float((s == "pelayanan_publik").mean()))
    head = [ctx.label("year"), ctx.label("innovations"), ctx.label("inisiatif"),
            ctx.label("uji_coba"), ctx.label("implementasi"),
            ctx.t("Porsi digital", "Digital share"),
            ctx.t("Porsi pelayanan publik", "Public-service share")]
    rows = [[y, int(r.total), int(r.inisiatif), int(r.uji_coba), int(r.implementasi),
             ctx.pct(r.digital), ctx.pct(r.public_service)] for y, r in t.iterrows()]
    y0, y1 = int(t.index.min()), int(t.index.max())
    pre = t.loc[t.index < 2020, "total"].mean()
    post = t.loc[t.index >= 2020, "total"].mean()
    text = ctx.t(
        f"{int(t['total'].sum())} inovasi baru dari {inn['unit_id'].nunique()} OPD, "
        f"{y0}–{y1}: {int(t.loc[y0, 'total'])} pada {y0}, {int(t.loc[y1, 'total'])} pada {y1}; "
        f"rata-rata {ctx.num(pre, 1)} per tahun sebelum 2020 dan {ctx.num(post, 1)} sejak 2020. "
        f"Porsi digital naik dari {ctx.pct(t.loc[y0, 'digital'])} ke "
        f"{ctx.pct(t.loc[y1, 'digital'])}.",
        f"{int(t['total'].sum())} new innovations from {inn['unit_id'].nunique()} OPDs, "
        f"{y0}–{y1}: {int(t.loc[y0, 'total'])} in {y0}, {int(t.loc[y1, 'total'])} in {y1}; "
        f"on average {ctx.num(pre, 1)} a year before 2020 and {ctx.num(post, 1)} from 2020. "
        f"The digital share went from {ctx.pct(t.loc[y0, 'digital'])} to "
        f"{ctx.pct(t.loc[y1, 'digital'])}.")
    cap = ctx.t("Inovasi baru per tahun menurut tahap, digital dan bentuk",
                "New innovations per year by stage, digital and form")
    return Result(ctx.t("Inovasi menurut tahap, bentuk dan digital",
                        "Innovations by stage, form and digital"), text, figs,
                  table_html(head, rows, ctx, cap, sim), t.reset_index(), sim,
                  {"pre_mean": float(pre), "post_mean": float(post),
                   "digital_first": float(t.loc[y0, "digital"]),
                   "digital_last": float(t.loc[y1, "digital"])})


def innovation_models(ctx: Context, model_results: pd.DataFrame, truth: dict,
                      panel: pd.DataFrame | None = None) -> Result:
    """The Poisson fixed-effects model of innovation counts, with intervals, raw and
    Holm-adjusted p-values, in words; an effect is claimed only when its adjusted p < 0.05."""
    sel = model_results[(model_results["model"] == "fe_poisson")
                        & (model_results["outcome"] == "innovations")]
    mr = estimable(sel)
    sim = is_simulated(model_results)
    title = ctx.t("Model Poisson efek tetap", "Poisson fixed-effects model")
    if mr.empty:
        why = "; ".join(not_estimable_notes(sel)) or ctx.t("tanpa baris", "no rows")
        return Result(title, bullets([ctx.t(f"Model tidak dapat ditaksir: {why}.",
                                            f"The model cannot be estimated: {why}."),
                                      fit_scope(ctx, model_results, sel)]), simulated=sim,
                      data=sel, facts={"n": 0, "n_clusters": 0, "covered": {}, "claims": [],
                                       "budget_ci_spans_zero": None, "n_tests": 0})
    fig = plots.coef_plot(mr, lang=ctx.lang, simulated=sim)
    fig.axes[0].set_title(ctx.t("Poisson efek tetap: jumlah inovasi",
                                "Poisson fixed effects: innovation count"))
    k = n_tests(model_results)
    lines = []
    for r in mr.itertuples():
        ev = evidence_phrase(ctx, r, k)
        if r.term == "dlog_budget":
            f = lambda b: np.exp(b * np.log(1.1)) - 1  # noqa: E731 - 10 % more budget
            lines.append(ctx.t(
                f"Anggaran 10% lebih besar pada tahun yang sama sejalan dengan perubahan "
                f"jumlah inovasi sebesar {ctx.pct(f(r.estimate))} (interval 95%: "
                f"{ctx.pct(f(r.ci_low))} s.d. {ctx.pct(f(r.ci_high))}; {ev}).",
                f"A 10% larger budget in the same year goes with a change of "
                f"{ctx.pct(f(r.estimate))} in the number of innovations (95% interval: "
                f"{ctx.pct(f(r.ci_low))} to {ctx.pct(f(r.ci_high))}; {ev})."))
        elif r.term == "acting_share":
            lines.append(ctx.t(
                f"Setahun penuh di bawah Plt sejalan dengan perubahan jumlah inovasi sebesar "
                f"{ctx.pct(np.expm1(r.estimate))} (interval: {ctx.pct(np.expm1(r.ci_low))} s.d. "
                f"{ctx.pct(np.expm1(r.ci_high))}; {ev}).",
                f"A full year under an acting head goes with a change of "
                f"{ctx.pct(np.expm1(r.estimate))} in the number of innovations (interval: "
                f"{ctx.pct(np.expm1(r.ci_low))} to {ctx.pct(np.expm1(r.ci_high))}; {ev})."))
        elif r.term == "cut_2020_x_post":
            f = lambda b: np.exp(-0.2 * b) - 1  # noqa: E731 - a 20 % deeper 2020 cut
            lines.append(ctx.t(
                f"Sesudah 2020, OPD yang dipotong 0,2 log (~18%) lebih dalam pada 2020 "
                f"mencatat perubahan jumlah inovasi per tahun sebesar {ctx.pct(f(r.estimate))} "
                f"(interval: "
                f"{ctx.pct(min(f(r.ci_low), f(r.ci_high)))} s.d. "
                f"{ctx.pct(max(f(r.ci_low), f(r.ci_high)))}; {ev}).",
                f"After 2020, an OPD cut 0.2 log (~18%) deeper in 2020 records a change of "
                f"{ctx.pct(f(r.estimate))} in innovations a year (interval: "
                f"{ctx.pct(min(f(r.ci_low), f(r.ci_high)))} to "
                f"{ctx.pct(max(f(r.ci_low), f(r.ci_high)))}; {ev})."))
    covered = [(r.term, _covers(r.ci_low, r.ci_high, planted(truth, r.outcome, r.term)))
               for r in mr.itertuples()]
    if sim and truth:
        ok = [ctx.label(t) for t, c in covered if c]
        miss = [ctx.label(t) for t, c in covered if c is False]
        lines.append(ctx.t(
            f"Pemeriksaan simulasi: interval memuat nilai yang ditanam untuk "
            f"{', '.join(ok) or 'tidak satu pun'}"
            + (f"; tidak untuk {', '.join(miss)}" if miss else "") + ".",
            f"Simulation check: the interval covers the planted value for "
            f"{', '.join(ok) or 'none'}" + (f"; not for {', '.join(miss)}" if miss else "")
            + "."))
    n = int(mr["n"].iloc[0])
    g = int(mr["n_clusters"].iloc[0])
    lines.append(ctx.t("Galat baku berkelompok per OPD. ", "Standard errors clustered by OPD. ")
                 + fit_scope(ctx, model_results, mr) + _computed_note(ctx, model_results))
    if k:
        lines.append(family_sentence(ctx, k))
    cap = ctx.t("Poisson efek tetap (OPD dan tahun): koefisien log-laju inovasi",
                "Poisson fixed effects (OPD and year): log innovation-rate coefficients")
    budget = mr[mr["term"] == "dlog_budget"]
    return Result(title, bullets(lines), [fig], _model_rows(ctx, mr, truth, cap, sim), mr, sim,
                  {"n": n, "n_clusters": g, "covered": dict(covered), "n_tests": k,
                   "claims": [(r.outcome, r.term) for r in mr.itertuples() if claim(r) == "yes"],
                   "budget_ci_spans_zero": bool(_covers(budget["ci_low"].iloc[0],
                                                        budget["ci_high"].iloc[0], 0.0))
                   if len(budget) else None})


def family_sentence(ctx: Context, k: int) -> str:
    """How many tests a finding comes from and the rule used to claim an effect."""
    return ctx.t(
        f"Uji berganda: temuan di notebook, dek dan ringkasan berasal dari satu keluarga {k} "
        "uji (model utama, efek Plt, setiap jeda dan efek kumulatif, uji tren awal). p Holm "
        "dikoreksi atas keluarga itu; efek hanya diklaim bila p Holm < 0,05.",
        f"Multiple testing: the findings of the notebooks, the deck and the brief come from "
        f"one family of {k} tests (main models, acting-head terms, every lag and cumulative "
        "effect, the pre-trend test). Holm-adjusted p-values are over that family; an effect "
        "is claimed only when its adjusted p < 0.05.")


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
    adj = (ctx.t(f", p Holm {_peq(ctx, pre_adj)[2:]} atas {k} uji",
                 f", Holm-adjusted p {_peq(ctx, pre_adj)[2:]} over {k} tests")
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


def claims_sentence(ctx: Context, claims: Sequence[tuple[str, str]], k: int) -> str:
    """Which effects are claimed (Holm-adjusted p < 0.05 over the family of k tests)."""
    if not k:
        return ctx.t("Tidak ada p terkoreksi untuk uji berganda, jadi tidak ada efek yang "
                     "diklaim.", "No p-values adjusted for multiple testing are available, so "
                     "no effect is claimed.")
    if not claims:
        return ctx.t(f"Tidak ada efek yang diklaim: tidak satu pun p Holm (atas {k} uji) di "
                     "bawah 0,05.", f"No effect is claimed: no Holm-adjusted p-value (over {k} "
                     "tests) is below 0.05.")
    what = ", ".join(f"{ctx.label(o)} ~ {ctx.label(t)}" for o, t in claims)
    return ctx.t(f"Efek yang diklaim (p Holm < 0,05 atas {k} uji): {what}.",
                 f"Effects claimed (Holm-adjusted p < 0.05 over {k} tests): {what}.")


def innovation_says(ctx: Context, models_res: Result, es_res: Result,
                    trends: Result) -> Result:
    """What the innovation results say and do not say, from their facts."""
    f = _facts(trends, models_res, es_res)
    says = [
        ctx.t(f"Jumlah inovasi rata-rata {ctx.num(f['pre_mean'], 1)} per tahun sebelum 2020 "
              f"dan {ctx.num(f['post_mean'], 1)} sesudahnya.",
              f"Innovation counts averaged {ctx.num(f['pre_mean'], 1)} a year before 2020 and "
              f"{ctx.num(f['post_mean'], 1)} after."),
        ctx.t("Model membandingkan setiap OPD dengan dirinya sendiri dari tahun ke tahun, "
              "setelah guncangan bersama tiap tahun dihapus.",
              "The models compare each OPD with itself over time, after removing shocks "
              "common to all OPDs in a year."),
    ]
    says.append(claims_sentence(ctx, f.get("claims", []), f.get("n_tests", 0)))
    if f.get("budget_ci_spans_zero"):
        says.append(ctx.t("Interval koefisien anggaran memuat nol: data ini tidak cukup untuk "
                          "memastikan arah hubungan anggaran dengan jumlah inovasi tahun yang "
                          "sama.",
                          "The budget coefficient's interval includes zero: this data cannot "
                          "pin down the sign of the same-year budget–innovation link."))
    not_say = [
        ctx.t("Bukan bukti sebab-akibat: pemotongan 2020 tidak acak antar OPD.",
              "Not proof of cause: the 2020 cuts were not random across OPDs."),
        ctx.t("Tidak menilai mutu atau dampak inovasi, hanya jumlahnya.",
              "Nothing about the quality or impact of innovations, only their number."),
        ctx.t(f"Dengan {f['n_clusters']} OPD dan jumlah per OPD yang kecil, interval lebar.",
              f"With {f['n_clusters']} OPDs and small counts per OPD, intervals are wide.")
        if f.get("n_clusters") else
        ctx.t("Tidak ada model yang dapat ditaksir pada tahun ini.",
              "No model could be estimated on these years."),
    ]
    if f.get("pretrend_flagged"):
        not_say.append(ctx.t("Tren awal terdeteksi: studi peristiwa tidak dapat dibaca "
                             "sebagai efek.", "A pre-trend was detected: the event study "
                             "cannot be read as an effect."))
    text = (ctx.t("**Yang dikatakan hasil ini**", "**What the results say**") + "\n\n"
            + bullets(says) + "\n\n" + ctx.t("**Yang tidak dikatakan**",
                                             "**What they do not say**") + "\n\n"
            + bullets(not_say))
    return Result(ctx.t("Kesimpulan", "Conclusions"), text, simulated=models_res.simulated,
                  facts=f)
