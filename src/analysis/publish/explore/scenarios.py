"""Notebook 5.0 (planning scenarios)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.narrative.sentences import claim_of, scenario_sentence
from analysis.publish import plots
from analysis.publish.explore.context import (
    Context,
    Result,
    bullets,
    caveats,
    is_simulated,
    table_html,
)
from analysis.publish.explore.evidence import (
    _ci,
    evidence_phrase,
    fit_scope,
    ledger_beside,
    n_tests,
)


def scenario_unit(ctx: Context, pu: pd.DataFrame) -> Result:
    """The unit the scenario is about (``pu``: its panel rows, the notebook's selection): its
    latest budget, innovations and IKM."""
    sim = is_simulated(pu)
    pu = pu.sort_values("year")
    last = pu.iloc[-1]
    ikm = pu.dropna(subset=["ikm"])
    text = ctx.t("explore.scenarios.scenario_unit.profile", name=last["name"],
                 unit=ctx.unit_id, year=int(last["year"]), spent=ctx.rp(last["budget_realisasi"]),
                 new=int(last["innovations"]), mean=ctx.num(pu["innovations"].mean(), 1),
                 span=ctx.span) + " " + (
        ctx.t("explore.scenarios.scenario_unit.ikm", year=int(ikm["year"].iloc[-1]),
              ikm=ctx.num(ikm["ikm"].iloc[-1])) if len(ikm)
        else ctx.t("explore.scenarios.scenario_unit.no_ikm"))
    fig = plots.budget_path(
        pu.melt(id_vars=["year", "provenance"], value_vars=["budget_murni", "budget_perubahan",
                                                             "budget_realisasi"],
                var_name="stage", value_name="amount_idr").assign(
            stage=lambda d: d["stage"].str.removeprefix("budget_")),
        lang=ctx.lang, simulated=sim)
    fig.axes[0].set_title(str(last["name"]))
    return Result(ctx.t("explore.scenarios.scenario_unit.unit"), text, [fig], simulated=sim,
                  facts={"mean_innovations": float(pu["innovations"].mean()),
                         "has_ikm": bool(len(ikm))})


def scenario_result(ctx: Context, model_results: pd.DataFrame, panel: pd.DataFrame,
                    cut_pct: float) -> Result:
    """``scenario.scenario``: predicted effects of cutting the unit's budget by cut_pct %."""
    import matplotlib.pyplot as plt

    from analysis.methods.scenario import scenario

    sim = is_simulated(model_results)
    title = ctx.t("explore.scenarios.scenario_result.title",
                  cut_pct=ctx.num(cut_pct, 1))
    try:
        sc = scenario(model_results, ctx.unit_id, cut_pct, panel)
    except ValueError as exc:
        return Result(title, bullets([ctx.t("explore.scenarios.scenario_result.scenario_cannot_be_computed",
                                            exc=exc),
                                      fit_scope(ctx, model_results)]), simulated=sim,
                      facts={"evidence": {}})
    with plots.style_context():
        fig, axes = plt.subplots(1, len(sc), figsize=(9, 3.0))
    for ax, r in zip(np.atleast_1d(axes), sc.itertuples(), strict=True):
        plots.coef_plot(pd.DataFrame({"term": [""], "estimate": [r.estimate],
                                      "ci_low": [r.ci_low], "ci_high": [r.ci_high]}),
                        lang=ctx.lang, ax=ax, simulated=sim)
        ax.set_title(ctx.label(r.outcome))
        ax.set_xlabel(ctx.t("explore.scenarios.scenario_result.change_innovations")
                      if r.measure == "pct_change" else
                      ctx.t("explore.scenarios.scenario_result.ikm_points_following_year"))
    if sim:
        plots.mark_simulated(fig, ctx.lang)
    head = [ctx.t("explore.scenarios.scenario_result.outcome"), ctx.t("explore.scenarios.scenario_result.estimate"),
            ctx.t("explore.scenarios.scenario_result.95_interval"), ctx.t("explore.scenarios.scenario_result.latest_level"),
            ctx.t("explore.scenarios.scenario_result.evidence"), "n", ctx.t("explore.scenarios.scenario_result.opds")]
    ev_word = {"thin": ctx.t("explore.scenarios.scenario_result.thin"), "adequate": ctx.t("explore.scenarios.scenario_result.adequate")}
    rows = []
    for r in sc.itertuples():
        unit = "%" if r.measure == "pct_change" else ctx.t("explore.scenarios.scenario_result.points")
        rows.append([ctx.label(r.outcome), f"{ctx.num(r.estimate, 1)}{unit}",
                     _ci(ctx, r.ci_low, r.ci_high, 1), ctx.num(r.baseline, 2),
                     ev_word.get(r.evidence, r.evidence), int(r.n), int(r.n_clusters)])
    # the sentences: sentences.scenario_sentence on scenario.scenario's numbers (one wording)
    lines = [scenario_sentence(r, ctx.lang, simulated=r.dataset == "simulated") for r in sc.itertuples()]
    k = n_tests(model_results)
    for r in sc.itertuples():
        coef = model_results[(model_results["outcome"] == r.outcome)
                             & (model_results["term"] == r.coef_term)
                             & ~model_results["model"].str.startswith("leadership")]
        if coef.empty:
            continue
        c = next(coef.itertuples())
        extra = ctx.t("explore.scenarios.scenario_result.coefficient",
                      outcome=ctx.label(r.outcome), coef_term=ctx.label(r.coef_term),
                      c=evidence_phrase(ctx, c, k))
        if claim_of(c) != "yes" and r.evidence == "adequate":
            extra += ctx.t("explore.scenarios.scenario_result.so_this_scenario_estimate")
        lines.append(extra + ".")
    used = model_results[model_results["term"].isin(set(sc["coef_term"]))
                         & ~model_results["model"].str.startswith("leadership")]
    lines.append(fit_scope(ctx, model_results, used))
    if "formula" in model_results.columns:
        lines.extend(ledger_beside(ctx, used))
    inn = sc[sc["outcome"] == "innovations"]
    if len(inn) and not pd.isna(inn["baseline"].iloc[0]):
        b = float(inn["baseline"].iloc[0])
        r = inn.iloc[0]
        lines.append(ctx.t("explore.scenarios.scenario_result.from_innovations_that_about",
                           baseline=ctx.num(b, 0), baseline_year=r['baseline_year'],
                           change=ctx.num(b * r['estimate'] / 100, 2),
                           interval=_ci(ctx, b * r['ci_low'] / 100, b * r['ci_high'] / 100)))
    cap = ctx.t("explore.scenarios.scenario_result.caption", unit_id=ctx.unit_id,
                cut_pct=ctx.num(cut_pct, 1))
    return Result(ctx.t("explore.scenarios.scenario_result.title",
                        cut_pct=ctx.num(cut_pct, 1)),
                  bullets(lines), [fig], table_html(head, rows, ctx, cap, sim), sc, sim,
                  {"evidence": dict(zip(sc["outcome"], sc["evidence"], strict=True))})


def scenario_grid(ctx: Context, model_results: pd.DataFrame, panel: pd.DataFrame,
                  cuts: Sequence[float]) -> Result:
    """The same scenario for several cut sizes: how the predicted effect and its interval
    grow with the cut."""
    import matplotlib.pyplot as plt

    from analysis.methods.scenario import scenario

    sim = is_simulated(model_results)
    try:
        sc = pd.concat([scenario(model_results, ctx.unit_id, c, panel) for c in cuts],
                       ignore_index=True).sort_values(["outcome", "cut_pct"])
    except ValueError as exc:
        return Result(ctx.t("explore.scenarios.scenario_grid.several_cut_sizes"),
                      ctx.t("explore.scenarios.scenario_result.scenario_cannot_be_computed",
                            exc=exc), simulated=sim,
                      facts={"thin": {}})
    outcomes = list(dict.fromkeys(sc["outcome"]))
    with plots.style_context():
        fig, axes = plt.subplots(1, len(outcomes), figsize=(9, 3.4))
        for ax, o in zip(np.atleast_1d(axes), outcomes, strict=True):
            d = sc[sc["outcome"] == o]
            ax.axhline(0, color="#555555", linewidth=1)
            ax.fill_between(d["cut_pct"], d["ci_low"], d["ci_high"], alpha=0.2, linewidth=0)
            ax.plot(d["cut_pct"], d["estimate"], marker="o")
            ax.set_title(ctx.label(o))
            ax.set_xlabel(ctx.t("explore.scenarios.scenario_grid.cut_axis_pct"))
            ax.set_ylabel(ctx.t("explore.scenarios.scenario_grid.change") if d["measure"].iloc[0]
                          == "pct_change" else ctx.t("explore.scenarios.scenario_grid.ikm_points"))
    if sim:
        plots.mark_simulated(fig, ctx.lang)
    head = [ctx.t("explore.scenarios.scenario_grid.cut_column"), ctx.t("explore.scenarios.scenario_result.outcome"),
            ctx.t("explore.scenarios.scenario_result.estimate"), ctx.t("explore.scenarios.scenario_result.95_interval"),
            ctx.t("explore.scenarios.scenario_result.evidence")]
    rows = [[f"{ctx.num(r.cut_pct, 1)}%", ctx.label(r.outcome), ctx.num(r.estimate, 1),
             _ci(ctx, r.ci_low, r.ci_high, 1),
             {"thin": ctx.t("explore.scenarios.scenario_result.thin"), "adequate": ctx.t("explore.scenarios.scenario_result.adequate")}.get(
                 r.evidence, r.evidence)] for r in sc.itertuples()]
    thin = sc.groupby("outcome")["evidence"].apply(lambda s: bool((s == "thin").all()))
    text = ctx.t("explore.scenarios.scenario_grid.grows", evidence=", ".join(
        ctx.t("explore.scenarios.scenario_grid." + ("thin" if t else "adequate"),
              outcome=ctx.label(o)) for o, t in thin.items()))
    cap = ctx.t("explore.scenarios.scenario_grid.scenarios_for_several_cut")
    return Result(ctx.t("explore.scenarios.scenario_grid.several_cut_sizes"), text, [fig],
                  table_html(head, rows, ctx, cap, sim), sc, sim,
                  {"thin": thin.to_dict()})


def scenario_caveats(ctx: Context, res: Result, panel: pd.DataFrame) -> Result:
    extra = [
        ctx.t("explore.scenarios.scenario_caveats.scenario_uses_coefficients_averaged"),
        ctx.t("explore.scenarios.scenario_caveats.this_association_from_past"),
    ]
    return caveats(ctx, res.simulated, panel["unit_id"].nunique(), panel["year"].nunique(),
                   extra)
