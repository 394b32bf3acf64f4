"""Notebook 3.0 (typology, resilience, leadership)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.narrative import fmt
from analysis.publish import plots
from analysis.publish.explore.context import (
    Context,
    Result,
    _facts,
    _int,
    _name,
    bullets,
    is_simulated,
    table_html,
    unit_names,
)
from analysis.publish.explore.evidence import (
    _ci,
    claim,
    estimable,
    evidence_phrase,
    fit_scope,
    model_table,
    n_tests,
    not_estimable_notes,
    planted_text,
    scale_word,
    window_sentence,
)


def typology_choice(ctx: Context, typology_k: pd.DataFrame) -> Result:
    """The choice of k for the clusters, with its silhouette."""
    sim = is_simulated(typology_k)
    k = typology_k.dropna(subset=["silhouette"])
    if k.empty:
        note = typology_k["note"].iloc[0] if "note" in typology_k else ""
        return Result(ctx.t("Pilihan jumlah kelompok", "Choice of the number of clusters"),
                      ctx.t(f"Tipologi tidak dapat dihitung: {note}",
                            f"The typology cannot be computed: {note}"), simulated=sim)
    best = k[k["chosen"]].iloc[0]
    strength = (ctx.t("struktur lemah: kelompok adalah ringkasan yang berguna, bukan kelompok "
                      "alami", "weak structure: the clusters are a useful summary, not natural "
                      "groups") if best["silhouette"] < 0.25 else
                ctx.t("struktur sedang", "moderate structure") if best["silhouette"] < 0.5 else
                ctx.t("struktur kuat", "strong structure"))
    text = ctx.t(
        f"k = {int(best['k'])} dipilih karena siluetnya tertinggi ({ctx.num(best['silhouette'], 3)}"
        f", {int(best['n_units'])} OPD): {strength}. KMeans pada ciri lintasan yang "
        "dibakukan (pemotongan 2020, pertumbuhan anggaran, tren inovasi, tingkat dan tren IKM, "
        "porsi rutin).",
        f"k = {int(best['k'])} is chosen for the highest silhouette "
        f"({ctx.num(best['silhouette'], 3)}, {int(best['n_units'])} OPDs): {strength}. KMeans "
        "on standardized trajectory features (2020 cut, budget growth, innovation trend, IKM "
        "level and trend, routine share).") + " " + window_sentence(ctx, typology_k)
    head = ["k", ctx.t("Siluet", "Silhouette"), ctx.t("Dipilih", "Chosen")]
    rows = [[int(r.k), ctx.num(r.silhouette, 3), "✓" if r.chosen else ""]
            for r in k.itertuples()]
    cap = ctx.t("Siluet menurut jumlah kelompok k", "Silhouette by number of clusters k")
    return Result(ctx.t("Pilihan jumlah kelompok", "Choice of the number of clusters"), text,
                  [], table_html(head, rows, ctx, cap, sim), k, sim,
                  {"k": int(best["k"]), "silhouette": float(best["silhouette"])})


def typology_clusters(ctx: Context, typology: pd.DataFrame) -> Result:
    """The clusters: size, description, members and standardized centres."""
    import matplotlib.pyplot as plt

    sim = is_simulated(typology)
    names = unit_names(ctx)
    zcols = [c for c in typology.columns if c.startswith("z_")]
    cl = typology.groupby("cluster").agg(n=("unit_id", "size"),
                                         desc=(f"description_{ctx.lang}", "first"),
                                         members=("unit_id", lambda s: ", ".join(sorted(s))))
    centres = typology.groupby("cluster")[zcols].first()
    with plots.style_context():
        fig, ax = plt.subplots(figsize=(8, 0.6 * len(cl) + 2))
        im = ax.imshow(centres.to_numpy(float), cmap="RdBu_r", vmin=-2, vmax=2, aspect="auto")
        ax.set_xticks(range(len(zcols)), [ctx.label(c[2:]) for c in zcols], rotation=30,
                      ha="right")
        ax.set_yticks(range(len(cl)), [f"{ctx.t('Kelompok', 'Cluster')} {c} (n={int(n)})"
                                       for c, n in cl["n"].items()])
        ax.grid(False)
        fig.colorbar(im, ax=ax, label=ctx.t("Pusat kelompok (simpangan baku)",
                                            "Cluster centre (standard deviations)"))
    if sim:
        plots.mark_simulated(fig, ctx.lang)
    head = [ctx.t("Kelompok", "Cluster"), "n", ctx.t("Ciri", "Profile"),
            ctx.t("Anggota", "Members")]
    rows = [[c, int(r.n), r.desc, r.members] for c, r in cl.iterrows()]
    lines = [ctx.t(f"Kelompok {c} ({int(r.n)} OPD): {r.desc}.",
                   f"Cluster {c} ({int(r.n)} OPDs): {r.desc}.") for c, r in cl.iterrows()]
    facts = {"n_clusters_typology": len(cl)}
    if ctx.unit_id in set(typology["unit_id"]):
        c = int(typology.loc[typology["unit_id"] == ctx.unit_id, "cluster"].iloc[0])
        lines.append(ctx.t(f"{_name(names, ctx.unit_id)} ada di kelompok {c}.",
                           f"{_name(names, ctx.unit_id)} is in cluster {c}."))
        facts["unit_cluster"] = c
    cap = ctx.t("Kelompok OPD (KMeans pada ciri lintasan yang dibakukan)",
                "Clusters of OPDs (KMeans on standardized trajectory features)")
    return Result(ctx.t("Tipologi OPD", "Typology of OPDs"), bullets(lines), [fig],
                  table_html(head, rows, ctx, cap, sim), cl.reset_index(), sim, facts)


def resilience_ranking(ctx: Context, resilience: pd.DataFrame, top_n: int = 10,
                       truth: dict | None = None) -> Result:
    """Which OPDs cut in 2020 held up: each cut OPD's post-2020 outcome against its
    counterfactual (a model fitted on untreated observations only), with intervals that include
    that model's uncertainty; OPDs grouped by verdict and ranked only as far as their 95 % rank
    intervals separate them (``models.resilience``)."""
    from analysis.publish import report

    sim = is_simulated(resilience)
    title = ctx.t("Ketahanan OPD yang dipotong", "Resilience of the OPDs that were cut")
    names = unit_names(ctx)
    notes = not_estimable_notes(resilience)
    if len(resilience) and len(notes) == len(resilience):
        return Result(title, ctx.t(f"Ketahanan tidak dapat ditaksir: {notes[0]}.",
                                   f"Resilience cannot be estimated: {notes[0]}."),
                      simulated=sim, data=resilience, facts={})
    try:
        res = report.check_resilience(resilience)
    except ValueError as exc:
        return Result(title, str(exc), simulated=sim, data=resilience, facts={})
    ok = res.dropna(subset=["effect"])
    truth_res = (truth or {}).get("resilience", {}) if sim else {}
    figs, rows, lines = [], [], []
    facts: dict = {"resilience_outcomes": []}
    for outcome in [o for o in ("innovations", "ikm") if o in set(res["outcome"])] + sorted(
            set(res["outcome"].dropna()) - {"innovations", "ikm", ""}):
        g_all = res[res["outcome"] == outcome]
        g = ok[ok["outcome"] == outcome].sort_values("effect", ascending=False)
        unit = report.RESILIENCE_UNITS.get(outcome, {}).get(ctx.lang, "")
        plant = truth_res.get(outcome, {}) if isinstance(truth_res, dict) else {}
        facts["resilience_outcomes"].append(outcome)
        groups = {v: g[g["verdict"] == v] for v in report.VERDICTS}
        n_ne = len(g_all) - len(g)
        for v in ("above", "below", "indistinguishable"):
            facts[f"{v}_{outcome}"] = len(groups[v])
        if g.empty:
            lines.append(ctx.t(f"{ctx.label(outcome)}: tidak ada OPD yang dapat dinilai.",
                               f"{ctx.label(outcome)}: no OPD can be assessed."))
            continue
        show_df = pd.concat([g.head(top_n), g.tail(top_n)]).drop_duplicates("unit_id")
        if ctx.unit_id in set(g["unit_id"]) and ctx.unit_id not in set(show_df["unit_id"]):
            show_df = pd.concat([show_df, g[g["unit_id"] == ctx.unit_id]])
        fig = plots.resilience_plot(show_df, lang=ctx.lang, simulated=sim,
                                    names=names.to_dict(), planted=plant or None,
                                    xlabel=ctx.t(f"Selisih terhadap kontrafaktual: {unit} "
                                                 "(interval 95%)",
                                                 f"Difference from the counterfactual: {unit} "
                                                 "(95% interval)"))
        fig.axes[0].set_title(ctx.label(outcome) + (ctx.t(f" ({top_n} teratas dan terbawah)",
                                                          f" ({top_n} at each end)")
                                                    if len(show_df) < len(g) else ""))
        figs.append(fig)
        n_untr = (int(g["n_untreated_units"].max()) if "n_untreated_units" in g.columns
                  and g["n_untreated_units"].notna().any() else None)

        def listing(df):
            return ", ".join(f"{_name(names, x.unit_id)} {ctx.num(x.effect)} "
                             f"{_ci(ctx, x.ci_low, x.ci_high)}" for x in df.itertuples()) or "–"

        lines.append(ctx.t(
            f"{ctx.label(outcome)} ({unit}): {len(g)} OPD yang dipotong pada 2020 dibandingkan "
            "dengan kontrafaktualnya, yaitu prediksi model yang ditaksir hanya pada pengamatan "
            "tanpa perlakuan (semua OPD sebelum 2020"
            + (f", {n_untr} OPD yang tidak dipotong sesudahnya" if n_untr is not None else "")
            + "). " + f"Di atas kontrafaktual (interval di atas 0): {len(groups['above'])} "
            f"({listing(groups['above'])}); di bawah (interval di bawah 0): "
            f"{len(groups['below'])} ({listing(groups['below'])}); tidak dapat dibedakan "
            f"(interval memuat 0): {len(groups['indistinguishable'])}"
            + (f"; tidak dapat ditaksir: {n_ne}" if n_ne else "") + ".",
            f"{ctx.label(outcome)} ({unit}): {len(g)} OPDs cut in 2020 compared with their "
            "counterfactual, the prediction of a model fitted on untreated observations only "
            "(every OPD before 2020"
            + (f", {n_untr} OPDs not cut afterwards" if n_untr is not None else "") + "). "
            f"Above the counterfactual (interval above 0): {len(groups['above'])} "
            f"({listing(groups['above'])}); below (interval below 0): {len(groups['below'])} "
            f"({listing(groups['below'])}); indistinguishable (interval contains 0): "
            f"{len(groups['indistinguishable'])}" + (f"; not estimable: {n_ne}" if n_ne else "")
            + "."))
        lines.append(ctx.label(outcome) + ": "
                     + report.resilience_ranking_words(g, ctx.lang, names.to_dict()))
        top, bottom = report.separated_ends(g)
        facts[f"best_{outcome}"], facts[f"worst_{outcome}"] = top, bottom
        if plant:
            chk = g.assign(_tv=[plant.get(str(u), np.nan) for u in g["unit_id"]])
            chk = chk.dropna(subset=["_tv"])
            if len(chk):
                cov = int(((chk["ci_low"] <= chk["_tv"]) & (chk["_tv"] <= chk["ci_high"])).sum())
                rho = chk["effect"].corr(chk["_tv"], method="spearman") if len(chk) > 2 else np.nan
                lines.append(ctx.t(
                    f"Pemeriksaan simulasi ({ctx.label(outcome)}): interval memuat nilai "
                    f"ketahanan yang ditanam untuk {cov} dari {len(chk)} OPD; korelasi Spearman "
                    f"perkiraan dengan nilai tanam {ctx.num(rho, 2)}.",
                    f"Simulation check ({ctx.label(outcome)}): the interval covers the planted "
                    f"resilience for {cov} of {len(chk)} OPDs; Spearman correlation of estimate "
                    f"and planted value {ctx.num(rho, 2)}."))
                facts[f"coverage_{outcome}"] = cov / len(chk)
        for r in g_all.sort_values("rank", na_position="last").itertuples():
            rows.append([ctx.label(outcome), _name(names, r.unit_id), ctx.num(r.effect),
                         _ci(ctx, r.ci_low, r.ci_high), report.rank_text(r, ctx.lang),
                         report.VERDICT_WORDS.get(r.verdict, {}).get(ctx.lang, str(r.verdict)),
                         ctx.num(getattr(r, "observed_mean", np.nan)),
                         ctx.num(getattr(r, "counterfactual_mean", np.nan)),
                         _int(getattr(r, "n_post", np.nan)),
                         planted_text(ctx, plant.get(str(r.unit_id), np.nan)) if plant
                         else fmt.MISSING, r.note])
    if ctx.unit_id is not None:
        mine = ok[ok["unit_id"] == ctx.unit_id]
        if mine.empty:
            lines.append(ctx.t(f"{_name(names, ctx.unit_id)} tidak dinilai (tidak dipotong "
                               "pada 2020 atau tanpa data).",
                               f"{_name(names, ctx.unit_id)} is not assessed (not cut in 2020 "
                               "or no data)."))
        for r in mine.itertuples():
            verdict = report.VERDICT_WORDS.get(r.verdict, {}).get(ctx.lang, str(r.verdict))
            lines.append(ctx.t(f"{_name(names, r.unit_id)}, {ctx.label(r.outcome)}: "
                               f"{ctx.num(r.effect)} {_ci(ctx, r.ci_low, r.ci_high)}, {verdict}; "
                               f"{report.rank_text(r, ctx.lang)}.",
                               f"{_name(names, r.unit_id)}, {ctx.label(r.outcome)}: "
                               f"{ctx.num(r.effect)} {_ci(ctx, r.ci_low, r.ci_high)}, {verdict}; "
                               f"{report.rank_text(r, ctx.lang)}."))
    lines.append(ctx.t(
        "Interval mencakup ketidakpastian model kontrafaktual (bootstrap berkelompok per OPD), "
        "bukan hanya keragaman antar tahun. Peringkat hanya dibaca sejauh interval peringkat "
        "95% tidak tumpang tindih.",
        "Intervals include the counterfactual model's own uncertainty (a cluster bootstrap "
        "over OPDs), not only year-to-year noise. Ranks are read only as far as the 95% rank "
        "intervals do not overlap."))
    head = [ctx.t("Hasil", "Outcome"), ctx.label("unit"),
            ctx.t("Selisih thd kontrafaktual", "Difference from counterfactual"),
            ctx.t("Interval 95%", "95% interval"), ctx.t("Peringkat", "Rank"),
            ctx.t("Putusan", "Verdict"), ctx.t("Rata-rata nyata", "Observed mean"),
            ctx.t("Rata-rata kontrafaktual", "Counterfactual mean"),
            ctx.t("Tahun sesudah", "Post years"),
            ctx.t("Nilai tanam (simulasi)", "Planted (simulation)"), ctx.t("Catatan", "Note")]
    cap = ctx.t("Ketahanan: rata-rata hasil nyata dikurangi kontrafaktual sejak 2020 (1 = "
                "selisih tertinggi; interval peringkat 95%)",
                "Resilience: mean observed minus counterfactual from 2020 (1 = highest "
                "difference; 95% rank interval)")
    return Result(title, bullets(lines), figs, table_html(head, rows, ctx, cap, sim), res, sim,
                  facts)


def leadership_events(ctx: Context, changes: pd.DataFrame, per_year: pd.DataFrame,
                      panel: pd.DataFrame) -> Result:
    """The changes of head the notebook selected (``changes``: one row per change, first heads
    left out; ``per_year``: counts by year and kind) as a figure, a table and in words, with
    how long OPDs were under acting heads (``panel``)."""
    sim = is_simulated(changes)
    t = per_year.reindex(columns=["definitive", "acting", "rotation"], fill_value=0)
    fig = plots.counts_stacked(changes, lang=ctx.lang, simulated=sim, category="event",
                               year="year", ylabel_key="count")
    fig.axes[0].set_ylabel(ctx.label("head_changes"))
    acting = panel.groupby("unit_id")["acting_share"].sum()
    n_acting = int((acting > 0).sum())
    head = [ctx.label("year"), ctx.label("definitive"), ctx.label("acting"),
            ctx.label("rotation")]
    rows = [[y, *map(int, r)] for y, r in t.iterrows()]
    text = ctx.t(
        f"{len(changes)} pergantian kepala {ctx.span} (tidak termasuk kepala awal): "
        f"{int(t['acting'].sum())} Plt, {int(t['rotation'].sum())} rotasi, "
        f"{int(t['definitive'].sum())} pengangkatan definitif. {n_acting} dari "
        f"{panel['unit_id'].nunique()} OPD pernah dipimpin Plt, rata-rata "
        f"{ctx.num(acting[acting > 0].mean() * 12, 1)} bulan.",
        f"{len(changes)} changes of head {ctx.span} (first heads not counted): "
        f"{int(t['acting'].sum())} acting, {int(t['rotation'].sum())} rotations, "
        f"{int(t['definitive'].sum())} definitive appointments. {n_acting} of "
        f"{panel['unit_id'].nunique()} OPDs had an acting head, for "
        f"{ctx.num(acting[acting > 0].mean() * 12, 1)} months on average.")
    cap = ctx.t("Pergantian kepala per tahun menurut jenis", "Changes of head per year by kind")
    return Result(ctx.t("Pergantian pimpinan", "Changes of head"), text, [fig],
                  table_html(head, rows, ctx, cap, sim), t.reset_index(), sim,
                  {"n_acting_units": n_acting, "n_changes": len(changes)})


def leadership_followup(ctx: Context, res: pd.DataFrame, panel: pd.DataFrame) -> Result:
    """What followed an acting head: the within-OPD models the notebook fitted (one
    :func:`analysis.methods.fit.tidy` row per outcome for ``acting_share``, Holm-adjusted
    together, planted values when simulated) in words, and a plain comparison."""
    sim = is_simulated(res)
    ok = estimable(res)
    k = n_tests(res)
    lines = []
    for r in res.itertuples():
        if pd.isna(r.estimate):
            lines.append(ctx.t(f"{ctx.label(r.outcome)}: tidak dapat ditaksir ({r.note}).",
                               f"{ctx.label(r.outcome)}: cannot be estimated ({r.note})."))
            continue
        tv = getattr(r, "planted", np.nan) if sim else np.nan
        plant = (ctx.t(f"; nilai tanam {planted_text(ctx, tv)}",
                       f"; planted {planted_text(ctx, tv)}") if not pd.isna(tv) else "")
        lines.append(ctx.t(
            f"{ctx.label(r.outcome)}: {ctx.label(r.term)} {ctx.num(r.estimate)} "
            f"{scale_word(ctx, r.outcome, r.model)} {_ci(ctx, r.ci_low, r.ci_high)} "
            f"({int(r.n_clusters)} OPD, n = {int(r.n)}{plant}); {evidence_phrase(ctx, r, k)}.",
            f"{ctx.label(r.outcome)}: {ctx.label(r.term)} {ctx.num(r.estimate)} "
            f"{scale_word(ctx, r.outcome, r.model)} {_ci(ctx, r.ci_low, r.ci_high)} "
            f"({int(r.n_clusters)} OPDs, n = {int(r.n)}{plant}); {evidence_phrase(ctx, r, k)}."))
    p = panel.assign(acting=panel["acting_share"] > 0)
    ever = p.groupby("unit_id")["acting"].transform("any")
    comp = p[ever].groupby("acting")[["innovations", "ikm"]].mean()
    if len(comp) == 2:
        lines.append(ctx.t(
            f"Perbandingan sederhana pada OPD yang pernah dipimpin Plt: rata-rata "
            f"{ctx.num(comp.loc[True, 'innovations'], 2)} inovasi pada tahun dengan Plt, "
            f"{ctx.num(comp.loc[False, 'innovations'], 2)} pada tahun lain.",
            f"Plain comparison within OPDs that ever had an acting head: "
            f"{ctx.num(comp.loc[True, 'innovations'], 2)} innovations on average in years with "
            f"one, {ctx.num(comp.loc[False, 'innovations'], 2)} in other years."))
    lines.append(ctx.t("Plt sering ditunjuk karena masalah yang sudah ada; hubungan ini bukan "
                       "bukti bahwa Plt menyebabkan penurunan.",
                       "Acting heads are often appointed because of existing problems; this "
                       "link is not proof that acting heads cause a decline."))
    table = model_table(ctx, res)
    lines.append(fit_scope(ctx, res, ok) + " " + table.text.splitlines()[-1].removeprefix("- "))
    return Result(ctx.t("Apa yang terjadi sesudah Plt", "What followed an acting head"),
                  bullets(lines), [], table.html, res, sim,
                  {"acting_claims": [r.outcome for r in ok.itertuples() if claim(r) == "yes"],
                   "acting_raw": [r.outcome for r in ok.itertuples() if claim(r) == "raw"],
                   "claims": [(r.outcome, r.term) for r in ok.itertuples()
                              if claim(r) == "yes"], "n_tests": k})


def typology_conclusions(ctx: Context, *results: Result) -> Result:
    f = _facts(*results)
    lines = [
        ctx.t(f"{f.get('n_clusters_typology', 0)} kelompok OPD (siluet "
              f"{ctx.num(f.get('silhouette', np.nan), 3)}).",
              f"{f.get('n_clusters_typology', 0)} clusters of OPDs (silhouette "
              f"{ctx.num(f.get('silhouette', np.nan), 3)})."),
        ctx.t(f"Ketahanan inovasi (terhadap kontrafaktual): {f.get('above_innovations', 0)} OPD "
              f"di atas (interval di atas 0), {f.get('below_innovations', 0)} di bawah, "
              f"{f.get('indistinguishable_innovations', 0)} tidak dapat dibedakan; IKM: "
              f"{f.get('above_ikm', 0)} di atas, {f.get('below_ikm', 0)} di bawah, "
              f"{f.get('indistinguishable_ikm', 0)} tidak dapat dibedakan.",
              f"Innovation resilience (against the counterfactual): "
              f"{f.get('above_innovations', 0)} OPDs above (interval above 0), "
              f"{f.get('below_innovations', 0)} below, "
              f"{f.get('indistinguishable_innovations', 0)} indistinguishable; IKM: "
              f"{f.get('above_ikm', 0)} above, {f.get('below_ikm', 0)} below, "
              f"{f.get('indistinguishable_ikm', 0)} indistinguishable."),
        ctx.t(f"{f.get('n_acting_units', 0)} OPD pernah dipimpin Plt; efek Plt yang diklaim "
              f"(p Holm < 0,05 atas {f.get('n_tests', 0)} uji): "
              f"{', '.join(ctx.label(o) for o in f.get('acting_claims', [])) or 'tidak ada'}"
              + (f"; hanya tanpa koreksi (tidak diklaim): "
                 f"{', '.join(ctx.label(o) for o in f['acting_raw'])}"
                 if f.get("acting_raw") else "") + ".",
              f"{f.get('n_acting_units', 0)} OPDs had an acting head; acting-head effects "
              f"claimed (Holm-adjusted p < 0.05 over {f.get('n_tests', 0)} tests): "
              f"{', '.join(ctx.label(o) for o in f.get('acting_claims', [])) or 'none'}"
              + (f"; unadjusted only (not claimed): "
                 f"{', '.join(ctx.label(o) for o in f['acting_raw'])}"
                 if f.get("acting_raw") else "") + "."),
    ]
    return Result(ctx.t("Kesimpulan", "Conclusions"), bullets(lines),
                  simulated=any(r.simulated for r in results), facts=f)
