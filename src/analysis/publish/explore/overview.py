"""Notebook 0.0 (data overview)."""

from __future__ import annotations

import pandas as pd

from analysis.publish import plots
from analysis.publish.explore.context import (
    Context,
    Result,
    _facts,
    _int,
    bullets,
    require_public,
    table_html,
)
from analysis.publish.explore.evidence import planted_text


def unit_registry(ctx: Context, by_kind: pd.DataFrame) -> Result:
    """The notebook's count of the unit registry by kind (``by_kind``: index ``kind``; ``n``,
    ``front_line``, ``in_panel``, ``without_panel``), in words."""
    g = by_kind.reset_index()
    head = [ctx.t("explore.overview.unit_registry.kind"), ctx.t("explore.overview.unit_registry.units"),
            ctx.t("explore.overview.unit_registry.front_line"), ctx.t("explore.overview.unit_registry.with_panel_data")]
    rows = [[r.kind, r.n, int(r.front_line), int(r.in_panel)] for r in g.itertuples()]
    left_out = by_kind["without_panel"][by_kind["without_panel"] > 0].sort_values(
        ascending=False, kind="stable")
    lo_txt = ", ".join(f"{v} {k}" for k, v in left_out.items()) or "–"
    n, in_panel = int(by_kind["n"].sum()), int(by_kind["in_panel"].sum())
    text = ctx.t("explore.overview.unit_registry.registry_holds_units_opds", u=n,
                 in_panel=in_panel, span=ctx.span, sum=int(by_kind["front_line"].sum()),
                 lo_txt=lo_txt)
    cap = ctx.t("explore.overview.unit_registry.units_by_kind_unit")
    return Result(ctx.t("explore.overview.unit_registry.units"), text, html=table_html(head, rows, ctx, cap, False),
                  data=g, facts={"n_units": n, "n_panel": in_panel})


def coverage(ctx: Context, cov: pd.DataFrame, gaps: pd.DataFrame, n_units: int,
             simulated: bool) -> Result:
    """The notebook's coverage table (``cov``: one row per measure, one column per year, the
    share of the ``n_units`` panel OPDs with a value) as a heat map and a table, and its
    incomplete measures (``gaps``: index measure; ``max_share``, ``years_without``) in
    words."""
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
    for c, r in gaps.iterrows():
        part = ctx.t("explore.overview.coverage.at_most_opds", c=ctx.label(c),
                     max=ctx.pct(r.max_share, 0))
        if r.years_without:
            part += ctx.t("explore.overview.coverage.no_data",
                          years_none=", ".join(map(str, r.years_without)))
        partial.append(part)
    text = ctx.t("explore.overview.coverage.panel_opds_years_measures", n_units=n_units,
                 shape=cov.shape[1], span=ctx.span) + "\n\n" + bullets(partial or [ctx.t("explore.overview.coverage.none")])
    cap = ctx.t("explore.overview.coverage.share_opds_with_value")
    return Result(ctx.t("explore.overview.coverage.coverage_gaps"), text, [fig],
                  table_html(head, rows, ctx, cap, sim), cov, sim,
                  {"n_years": cov.shape[1], "partial": len(partial)})


def public_sources(ctx: Context, ref: pd.DataFrame, datasets: pd.DataFrame) -> Result:
    """The public parts: the notebook's public reference rows (``ref``) and its count of the
    public rows by dataset (``datasets``: ``rows``, ``y0``, ``y1``, ``sources``; one row per
    reference dataset, and the rows ``innovations`` (the IID profiles) and ``service`` (the
    Ombudsman scores) of those tables)."""
    require_public(ref, "reference")
    tables = {"innovations": ctx.t("explore.overview.public_sources.iid_2021_innovation_profiles"),
              "service": ctx.t("explore.overview.public_sources.ombudsman_compliance_scores_service")}
    head = [ctx.t("explore.overview.public_sources.dataset"), ctx.t("explore.overview.public_sources.rows"), ctx.t("explore.overview.public_sources.years"),
            ctx.t("explore.overview.public_sources.distinct_sources")]
    rows = [[tables.get(k, k), int(r.rows), f"{_int(r.y0)}–{_int(r.y1)}", int(r.sources)]
            for k, r in datasets.iterrows()]
    inn, svc = (int(datasets.loc[k, "rows"]) for k in tables)
    text = ctx.t("explore.overview.public_sources.public_data_reference_rows", ref=len(ref),
                 nunique=ref['dataset'].nunique(), inn=inn, svc=svc)
    cap = ctx.t("explore.overview.public_sources.public_data_by_dataset")
    return Result(ctx.t("explore.overview.public_sources.public_parts"), text,
                  html=table_html(head, rows, ctx, cap, False), data=datasets,
                  facts={"reference_rows": len(ref), "profiles": inn})


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
