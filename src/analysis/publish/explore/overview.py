"""Notebook 0.0 (data overview)."""

from __future__ import annotations

import pandas as pd

from analysis.publish import plots
from analysis.publish.explore.context import (
    Context,
    Result,
    _facts,
    _int,
    _public,
    bullets,
    require_public,
    table_html,
)
from analysis.publish.explore.evidence import planted_text


def unit_registry(ctx: Context, u: pd.DataFrame, by_kind: pd.DataFrame) -> Result:
    """The notebook's unit registry (``u``, with an ``in_panel`` flag) and its count by kind
    (``by_kind``: index ``kind``; ``n``, ``front_line``, ``in_panel``), in words."""
    in_panel = set(u.loc[u["in_panel"], "unit_id"])
    g = by_kind.reset_index()
    head = [ctx.t("explore.overview.unit_registry.kind"), ctx.t("explore.overview.unit_registry.units"),
            ctx.t("explore.overview.unit_registry.front_line"), ctx.t("explore.overview.unit_registry.with_panel_data")]
    rows = [[r.kind, r.n, int(r.front_line), int(r.in_panel)] for r in g.itertuples()]
    left_out = u.loc[~u["in_panel"], "kind"].value_counts()
    lo_txt = ", ".join(f"{v} {k}" for k, v in left_out.items()) or "–"
    text = ctx.t("explore.overview.unit_registry.registry_holds_units_opds", u=len(u),
                 in_panel=len(in_panel), span=ctx.span, sum=int(u['front_line'].sum()),
                 lo_txt=lo_txt)
    cap = ctx.t("explore.overview.unit_registry.units_by_kind_unit")
    return Result(ctx.t("explore.overview.unit_registry.units"), text, html=table_html(head, rows, ctx, cap, False),
                  data=g, facts={"n_units": len(u), "n_panel": len(in_panel)})


def coverage(ctx: Context, cov: pd.DataFrame, n_units: int, simulated: bool) -> Result:
    """The notebook's coverage table (one row per measure, one column per year: the share of
    the ``n_units`` panel OPDs with a value) as a heat map, a table and the gaps in words."""
    import matplotlib.pyplot as plt

    cols = list(cov.index)
    sim = simulated
    with plots.style_context():
        fig, ax = plt.subplots(figsize=(8, 0.45 * len(cols) + 1.5))
        im = ax.imshow(cov.to_numpy(float), vmin=0, vmax=1, cmap="Blues", aspect="auto")
        ax.set_xticks(range(cov.shape[1]), [str(y) for y in cov.columns])
        ax.set_yticks(range(len(cols)), [ctx.label(c) for c in cols])
        ax.grid(False)
        fig.colorbar(im, ax=ax, label=ctx.t("explore.overview.coverage.share_opds_with_data"))
        ax.set_xlabel(ctx.label("year"))
    if sim:
        plots.mark_simulated(fig, ctx.lang)
    head = [ctx.t("explore.overview.coverage.measure"), *[str(y) for y in cov.columns]]
    rows = [[ctx.label(c), *[ctx.pct(v, 0) for v in cov.loc[c]]] for c in cols]
    partial = []
    for c in cols:
        full = cov.loc[c]
        if full.min() < 1:
            years_none = [str(y) for y, v in full.items() if v == 0]
            part = ctx.t("explore.overview.coverage.at_most_opds", c=ctx.label(c),
                         max=ctx.pct(full.max(), 0))
            if years_none:
                part += ctx.t("explore.overview.coverage.no_data",
                              years_none=', '.join(years_none))
            partial.append(part)
    text = ctx.t("explore.overview.coverage.panel_opds_years_measures", n_units=n_units,
                 shape=cov.shape[1], span=ctx.span) + "\n\n" + bullets(partial or [ctx.t("explore.overview.coverage.none")])
    cap = ctx.t("explore.overview.coverage.share_opds_with_value")
    return Result(ctx.t("explore.overview.coverage.coverage_gaps"), text, [fig],
                  table_html(head, rows, ctx, cap, sim), cov, sim,
                  {"n_years": cov.shape[1], "partial": len(partial)})


def public_sources(ctx: Context, ref: pd.DataFrame, datasets: pd.DataFrame,
                   innovations: pd.DataFrame, service: pd.DataFrame) -> Result:
    """The public parts: the notebook's count of the reference rows by dataset (``datasets``:
    ``rows``, ``y0``, ``y1``, ``sources``), the IID profiles and the Ombudsman scores."""
    require_public(ref, "reference")
    g = datasets
    inn = _public(innovations)
    svc = _public(service)
    extra = pd.DataFrame({
        "rows": [len(inn), len(svc)],
        "y0": [inn["reporting_year"].min(), svc["year"].min()],
        "y1": [inn["reporting_year"].max(), svc["year"].max()],
        "sources": [inn["source"].nunique(), svc["source"].nunique()]},
        index=[ctx.t("explore.overview.public_sources.iid_2021_innovation_profiles"),
               ctx.t("explore.overview.public_sources.ombudsman_compliance_scores_service")])
    g = pd.concat([g, extra]).sort_values("rows", ascending=False)
    head = [ctx.t("explore.overview.public_sources.dataset"), ctx.t("explore.overview.public_sources.rows"), ctx.t("explore.overview.public_sources.years"),
            ctx.t("explore.overview.public_sources.distinct_sources")]
    rows = [[k, int(r.rows), f"{_int(r.y0)}–{_int(r.y1)}", int(r.sources)]
            for k, r in g.iterrows()]
    text = ctx.t("explore.overview.public_sources.public_data_reference_rows", ref=len(ref),
                 nunique=ref['dataset'].nunique(), inn=len(inn), svc=len(svc))
    cap = ctx.t("explore.overview.public_sources.public_data_by_dataset")
    return Result(ctx.t("explore.overview.public_sources.public_parts"), text,
                  html=table_html(head, rows, ctx, cap, False), data=g,
                  facts={"reference_rows": len(ref), "profiles": len(inn)})


def planted_effects(ctx: Context, eff: pd.DataFrame, truth: dict) -> Result:
    """The effects planted in the simulated panel (``eff``, the truth's ``effects`` as a
    table: what the models should recover)."""
    if eff.empty:
        return Result(ctx.t("explore.overview.planted_effects.planted_effects"),
                      ctx.t("explore.overview.planted_effects.no_simulated_panel"))
    head = [ctx.t("explore.overview.planted_effects.name"), ctx.t("explore.overview.planted_effects.outcome"), ctx.t("explore.overview.planted_effects.regressor"),
            ctx.t("explore.overview.planted_effects.value"), ctx.t("explore.overview.planted_effects.description")]
    rows = [[r.name, ctx.label(r.outcome), r.regressor, planted_text(ctx, r.value),
             r.description] for r in eff.itertuples()]
    text = ctx.t("explore.overview.planted_effects.simulated_panel_seed_plants",
                 seed=truth.get('seed'), n_effects=len(eff))
    cap = ctx.t("explore.overview.planted_effects.effects_planted_simulated_data")
    return Result(ctx.t("explore.overview.planted_effects.planted_effects_simulation_truth"), text,
                  html=table_html(head, rows, ctx, cap, True), data=eff, simulated=True,
                  facts={"n_effects": len(eff)})


def overview_conclusions(ctx: Context, *results: Result) -> Result:
    """Conclusions of notebook 0.0, from the facts of its sections."""
    f = _facts(*results)
    lines = [
        ctx.t("explore.overview.overview_conclusions.units_have_opd_year", n_panel=f['n_panel'],
              n_units=f['n_units'], n_years=f['n_years'], partial=f['partial']),
        ctx.t("explore.overview.overview_conclusions.base_rows_simulated_every",
              share_simulated=ctx.pct(f['share_simulated'])),
        ctx.t("explore.overview.overview_conclusions.real_public_record_reference",
              reference_rows=f['reference_rows'], profiles=f['profiles']),
    ]
    return Result(ctx.t("explore.overview.overview_conclusions.conclusions"), bullets(lines), facts=f)
