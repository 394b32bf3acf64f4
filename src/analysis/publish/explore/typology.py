"""Notebook 3.0 (typology, resilience, leadership)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.narrative import fmt, sentences
from analysis.narrative.catalog import category
from analysis.narrative.sentences import claim_of
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
    estimable,
    evidence_phrase,
    fit_scope,
    ledger_beside,
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
        return Result(ctx.t("explore.typology.typology_choice.choice_number_clusters"),
                      ctx.t("explore.typology.typology_choice.typology_cannot_be_computed",
                            note=note), simulated=sim)
    best = k[k["chosen"]].iloc[0]
    strength = (ctx.t("explore.typology.typology_choice.weak_structure_clusters_useful") if best["silhouette"] < 0.25 else
                ctx.t("explore.typology.typology_choice.moderate_structure") if best["silhouette"] < 0.5 else
                ctx.t("explore.typology.typology_choice.strong_structure"))
    text = ctx.t("explore.typology.typology_choice.k_chosen_for_highest", k=int(best['k']),
                 silhouette=ctx.num(best['silhouette'], 3), n_units=int(best['n_units']),
                 strength=strength) + " " + window_sentence(ctx, typology_k)
    head = ["k", ctx.t("explore.typology.typology_choice.silhouette"), ctx.t("explore.typology.typology_choice.chosen")]
    rows = [[int(r.k), ctx.num(r.silhouette, 3), "✓" if r.chosen else ""]
            for r in k.itertuples()]
    cap = ctx.t("explore.typology.typology_choice.silhouette_by_number_clusters")
    return Result(ctx.t("explore.typology.typology_choice.choice_number_clusters"), text,
                  [], table_html(head, rows, ctx, cap, sim), k, sim,
                  {"k": int(best["k"]), "silhouette": float(best["silhouette"])})


def typology_clusters(ctx: Context, typology: pd.DataFrame) -> Result:
    """The clusters: size, description, members and standardized centres."""
    import matplotlib.pyplot as plt

    sim = is_simulated(typology)
    names = unit_names(ctx)
    zcols = [c for c in typology.columns if c.startswith("z_")]
    cl = sentences.describe_clusters(typology).groupby("cluster").agg(n=("unit_id", "size"),
                                         desc=(f"description_{ctx.lang}", "first"),
                                         members=("unit_id", lambda s: ", ".join(sorted(s))))
    centres = typology.groupby("cluster")[zcols].first()
    with plots.style_context():
        fig, ax = plt.subplots(figsize=(8, 0.6 * len(cl) + 2))
        im = ax.imshow(centres.to_numpy(float), cmap="RdBu_r", vmin=-2, vmax=2, aspect="auto")
        ax.set_xticks(range(len(zcols)), [ctx.label(c[2:]) for c in zcols], rotation=30,
                      ha="right")
        ax.set_yticks(range(len(cl)), [ctx.t("explore.typology.typology_clusters.cluster_n", c=c, n=int(n))
                                       for c, n in cl["n"].items()])
        ax.grid(False)
        fig.colorbar(im, ax=ax, label=ctx.t("explore.typology.typology_clusters.cluster_centre_standard_deviations"))
    if sim:
        plots.mark_simulated(fig, ctx.lang)
    head = [ctx.t("explore.typology.typology_clusters.cluster"), "n", ctx.t("explore.typology.typology_clusters.profile"),
            ctx.t("explore.typology.typology_clusters.members")]
    rows = [[c, int(r.n), r.desc, r.members] for c, r in cl.iterrows()]
    lines = [ctx.t("explore.typology.typology_clusters.cluster_opds", c=c, n=int(r.n), desc=r.desc) for c, r in cl.iterrows()]
    facts = {"n_clusters_typology": len(cl)}
    if ctx.unit_id in set(typology["unit_id"]):
        c = int(typology.loc[typology["unit_id"] == ctx.unit_id, "cluster"].iloc[0])
        lines.append(ctx.t("explore.typology.typology_clusters.unit_in_cluster",
                           names=_name(names, ctx.unit_id), c=c))
        facts["unit_cluster"] = c
    cap = ctx.t("explore.typology.typology_clusters.caption")
    return Result(ctx.t("explore.typology.typology_clusters.typology_opds"), bullets(lines), [fig],
                  table_html(head, rows, ctx, cap, sim), cl.reset_index(), sim, facts)


def resilience_ranking(ctx: Context, resilience: pd.DataFrame, top_n: int = 10,
                       truth: dict | None = None) -> Result:
    """Which OPDs cut in 2020 held up: each cut OPD's post-2020 outcome against its
    counterfactual (a model fitted on untreated observations only), with intervals that include
    that model's uncertainty; OPDs grouped by verdict and ranked only as far as their 95 % rank
    intervals separate them (``resilience.resilience``)."""
    from analysis.methods.resilience import VERDICTS, check_resilience

    sim = is_simulated(resilience)
    title = ctx.t("explore.typology.resilience_ranking.title")
    names = unit_names(ctx)
    notes = not_estimable_notes(resilience)
    if len(resilience) and len(notes) == len(resilience):
        return Result(title, ctx.t("explore.typology.resilience_ranking.resilience_cannot_be_estimated",
                                   notes=notes[0]),
                      simulated=sim, data=resilience, facts={})
    try:
        res = check_resilience(resilience)
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
        unit = category("resilience_unit", outcome, ctx.lang)
        plant = truth_res.get(outcome, {}) if isinstance(truth_res, dict) else {}
        facts["resilience_outcomes"].append(outcome)
        groups = {v: g[g["verdict"] == v] for v in VERDICTS}
        n_ne = len(g_all) - len(g)
        for v in ("above", "below", "indistinguishable"):
            facts[f"{v}_{outcome}"] = len(groups[v])
        if g.empty:
            lines.append(ctx.t("explore.typology.resilience_ranking.none_assessed",
                               outcome=ctx.label(outcome)))
            continue
        show_df = pd.concat([g.head(top_n), g.tail(top_n)]).drop_duplicates("unit_id")
        if ctx.unit_id in set(g["unit_id"]) and ctx.unit_id not in set(show_df["unit_id"]):
            show_df = pd.concat([show_df, g[g["unit_id"] == ctx.unit_id]])
        fig = plots.resilience_plot(show_df, lang=ctx.lang, simulated=sim,
                                    names=names.to_dict(), planted=plant or None,
                                    xlabel=ctx.t("explore.typology.resilience_ranking.difference_from_counterfactual_95",
                                                 unit=unit))
        fig.axes[0].set_title(ctx.label(outcome) + (ctx.t("explore.typology.resilience_ranking.at_each_end",
                                                          top_n=top_n)
                                                    if len(show_df) < len(g) else ""))
        figs.append(fig)
        n_untr = (int(g["n_untreated_units"].max()) if "n_untreated_units" in g.columns
                  and g["n_untreated_units"].notna().any() else None)

        def listing(df):
            return ", ".join(f"{_name(names, x.unit_id)} {ctx.num(x.effect)} "
                             f"{_ci(ctx, x.ci_low, x.ci_high)}" for x in df.itertuples()) or "–"

        lines.append(ctx.t("explore.typology.resilience_ranking.method",
                           outcome=ctx.label(outcome), unit=unit, n=len(g),
                           untreated=ctx.t("explore.typology.resilience_ranking.untreated",
                                           n=n_untr) if n_untr is not None else "")
                     + (" " + ctx.t("explore.typology.resilience_ranking.not_estimable", n=n_ne)
                        if n_ne else ""))
        lines.append(sentences.resilience_sentence(
            {outcome: g.assign(name=[_name(names, u) for u in g["unit_id"]])}, ctx.lang))
        top, bottom = sentences.separated_ends(g)
        facts[f"best_{outcome}"], facts[f"worst_{outcome}"] = top, bottom
        if plant:
            chk = g.assign(_tv=[plant.get(str(u), np.nan) for u in g["unit_id"]])
            chk = chk.dropna(subset=["_tv"])
            if len(chk):
                cov = int(((chk["ci_low"] <= chk["_tv"]) & (chk["_tv"] <= chk["ci_high"])).sum())
                rho = chk["effect"].corr(chk["_tv"], method="spearman") if len(chk) > 2 else np.nan
                lines.append(ctx.t("explore.typology.resilience_ranking.simulation_check_interval_covers",
                                   outcome=ctx.label(outcome), cov=cov, chk=len(chk),
                                   rho=ctx.num(rho, 2)))
                facts[f"coverage_{outcome}"] = cov / len(chk)
        for r in g_all.sort_values("rank", na_position="last").itertuples():
            rows.append([ctx.label(outcome), _name(names, r.unit_id), ctx.num(r.effect),
                         _ci(ctx, r.ci_low, r.ci_high), sentences.rank_text(r, ctx.lang),
                         sentences.verdict(r.verdict, ctx.lang),
                         ctx.num(getattr(r, "observed_mean", np.nan)),
                         ctx.num(getattr(r, "counterfactual_mean", np.nan)),
                         _int(getattr(r, "n_post", np.nan)),
                         planted_text(ctx, plant.get(str(r.unit_id), np.nan)) if plant
                         else fmt.MISSING, r.note])
    if ctx.unit_id is not None:
        mine = ok[ok["unit_id"] == ctx.unit_id]
        if mine.empty:
            lines.append(ctx.t("explore.typology.resilience_ranking.not_assessed_not_cut",
                               names=_name(names, ctx.unit_id)))
        for r in mine.itertuples():
            n_cut = int((ok["outcome"] == r.outcome).sum())
            lines.append(ctx.t("explore.typology.resilience_ranking.unit",
                               name=_name(names, r.unit_id), outcome=ctx.label(r.outcome),
                               words=sentences.resilience_unit(r, n_cut, ctx.lang)))
    lines.append(ctx.t("explore.typology.resilience_ranking.intervals_include_counterfactual_model"))
    head = [ctx.t("explore.typology.resilience_ranking.outcome"), ctx.label("unit"),
            ctx.t("explore.typology.resilience_ranking.difference_from_counterfactual"),
            ctx.t("explore.typology.resilience_ranking.95_interval"), ctx.t("explore.typology.resilience_ranking.rank"),
            ctx.t("explore.typology.resilience_ranking.verdict"), ctx.t("explore.typology.resilience_ranking.observed_mean"),
            ctx.t("explore.typology.resilience_ranking.counterfactual_mean"),
            ctx.t("explore.typology.resilience_ranking.post_years"),
            ctx.t("explore.typology.resilience_ranking.planted_simulation"), ctx.t("explore.typology.resilience_ranking.note")]
    cap = ctx.t("explore.typology.resilience_ranking.resilience_mean_observed_minus")
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
    text = ctx.t("explore.typology.leadership_events.changes_head_first_heads",
                 changes=len(changes), span=ctx.span, acting=int(t['acting'].sum()),
                 rotation=int(t['rotation'].sum()), definitive=int(t['definitive'].sum()), n_acting=n_acting,
                 n_units=panel['unit_id'].nunique(),
                 months=ctx.num(acting[acting > 0].mean() * 12, 1))
    cap = ctx.t("explore.typology.leadership_events.changes_head_per_year")
    return Result(ctx.t("explore.typology.leadership_events.changes_head"), text, [fig],
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
            lines.append(ctx.t("explore.typology.leadership_followup.cannot_be_estimated",
                               outcome=ctx.label(r.outcome), note=r.note))
            continue
        tv = getattr(r, "planted", np.nan) if sim else np.nan
        plant = (ctx.t("explore.typology.leadership_followup.planted", tv=planted_text(ctx, tv)) if not pd.isna(tv) else "")
        lines.append(ctx.t("explore.typology.leadership_followup.opds_n",
                           outcome=ctx.label(r.outcome), term=ctx.label(r.term),
                           estimate=ctx.num(r.estimate),
                           unit=scale_word(ctx, r.outcome, r.model),
                           interval=_ci(ctx, r.ci_low, r.ci_high), n_clusters=int(r.n_clusters),
                           n=int(r.n), plant=plant, evidence=evidence_phrase(ctx, r, k)))
    p = panel.assign(acting=panel["acting_share"] > 0)
    ever = p.groupby("unit_id")["acting"].transform("any")
    comp = p[ever].groupby("acting")[["innovations", "ikm"]].mean()
    if len(comp) == 2:
        lines.append(ctx.t("explore.typology.leadership_followup.plain_comparison_within_opds",
                           acting=ctx.num(comp.loc[True, 'innovations'], 2),
                           definitive=ctx.num(comp.loc[False, 'innovations'], 2)))
    lines.append(ctx.t("explore.typology.leadership_followup.acting_heads_often_appointed"))
    table = model_table(ctx, res)
    lines.append(fit_scope(ctx, res, ok) + " " + table.text.splitlines()[-1].removeprefix("- "))
    if "formula" in res.columns:
        lines.extend(ledger_beside(ctx, ok))
    return Result(ctx.t("explore.typology.leadership_followup.what_followed_acting_head"),
                  bullets(lines), [], table.html, res, sim,
                  {"acting_claims": [r.outcome for r in ok.itertuples() if claim_of(r) == "yes"],
                   "acting_raw": [r.outcome for r in ok.itertuples() if claim_of(r) == "raw"],
                   "claims": [(r.outcome, r.term) for r in ok.itertuples()
                              if claim_of(r) == "yes"], "n_tests": k})


def typology_conclusions(ctx: Context, *results: Result) -> Result:
    f = _facts(*results)
    lines = [
        ctx.t("explore.typology.typology_conclusions.clusters_opds_silhouette",
              n_clusters=f.get('n_clusters_typology', 0), silhouette=ctx.num(f.get('silhouette', np.nan), 3)),
        ctx.t("explore.typology.typology_conclusions.innovation_resilience_against_counterfactual",
              inn_above=f.get('above_innovations', 0), inn_below=f.get('below_innovations', 0),
              inn_ind=f.get('indistinguishable_innovations', 0), ikm_above=f.get('above_ikm', 0),
              ikm_below=f.get('below_ikm', 0), ikm_ind=f.get('indistinguishable_ikm', 0)),
        ctx.t("explore.typology.typology_conclusions.acting",
              n=f.get("n_acting_units", 0), k=f.get("n_tests", 0),
              claims=", ".join(ctx.label(o) for o in f.get("acting_claims", []))
              or ctx.t("explore.typology.typology_conclusions.none"),
              raw=ctx.t("explore.typology.typology_conclusions.acting_raw",
                        outcomes=", ".join(ctx.label(o) for o in f["acting_raw"]))
              if f.get("acting_raw") else ""),
    ]
    return Result(ctx.t("explore.typology.typology_conclusions.conclusions"), bullets(lines),
                  simulated=any(r.simulated for r in results), facts=f)
