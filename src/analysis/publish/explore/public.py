"""Notebook 4.0 (public record: real, cited data only)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.publish import plots
from analysis.publish.explore.context import (
    Context,
    Result,
    _facts,
    _name,
    bullets,
    require_public,
    table_html,
    unit_names,
)


def best_documents(rf: pd.DataFrame) -> pd.DataFrame:
    """One row per (year, stage, indicator_key): the enacted document before drafts, exact
    figures before derived before rounded (as public.calibration_targets does)."""
    from analysis.data.public import DOCUMENT_RANK, PRECISION_RANK

    t = rf.assign(_d=rf["document"].map(DOCUMENT_RANK).fillna(9),
                  _p=rf["precision"].map(PRECISION_RANK))
    t = t.sort_values(["year", "stage", "indicator_key", "_d", "_p"])
    return t.drop_duplicates(["year", "stage", "indicator_key"]).drop(columns=["_d", "_p"])


def public_finance(ctx: Context, best: pd.DataFrame) -> Result:
    """APBD (murni, perubahan) and LRA realisation totals by year, each row cited: the
    notebook's selection ``best`` (one document per year, stage and indicator,
    :func:`best_documents`) of ``belanja_total`` and ``pendapatan_total``."""
    best = require_public(best, "public_finance")
    spend = best[best["indicator_key"] == "belanja_total"]
    figs = []
    if len(spend):
        fig = plots.budget_path(spend.rename(columns={"value_idr": "amount_idr"}),
                                lang=ctx.lang, simulated=False)
        fig.axes[0].set_title(ctx.t("explore.public.public_finance.total_regional_spending_apbd"))
        figs.append(fig)
    key_label = {"belanja_total": ctx.t("explore.public.public_finance.spending_total"),
                 "pendapatan_total": ctx.t("explore.public.public_finance.revenue_total")}
    head = [ctx.label("year"), ctx.label("stage"), ctx.t("explore.public.public_finance.indicator"),
            ctx.t("explore.public.public_finance.value"), ctx.t("explore.public.public_finance.document"),
            ctx.t("explore.public.public_finance.precision"), ctx.t("explore.public.public_finance.source")]
    rows = [[r.year, ctx.label(r.stage), key_label[r.indicator_key], ctx.rp(r.value_idr),
             r.document, r.precision, r.source]
            for r in best.sort_values(["indicator_key", "year", "stage"]).itertuples()]
    v = best.set_index(["indicator_key", "stage", "year"])["value_idr"]

    def get(k, s, y):
        return float(v.get((k, s, y), np.nan))

    lines = []
    rev19, rev20 = get("pendapatan_total", "realisasi", 2019), get("pendapatan_total",
                                                                      "realisasi", 2020)
    if not np.isnan(rev19 + rev20):
        lines.append(ctx.t("explore.public.public_finance.realised_regional_revenue_2020",
                           rev20=ctx.rp(rev20), change=ctx.pct(rev20 / rev19 - 1),
                           rev19=ctx.rp(rev19)))
    p19, r20 = get("belanja_total", "perubahan", 2019), get("belanja_total", "realisasi", 2020)
    if not np.isnan(p19 + r20):
        lines.append(ctx.t("explore.public.public_finance.spending_2020",
                           r20=ctx.rp(r20), change=ctx.pct(r20 / p19 - 1), p19=ctx.rp(p19)))
    r21 = get("belanja_total", "realisasi", 2021)
    if not np.isnan(r20 + r21):
        lines.append(ctx.t("explore.public.public_finance.spending_2021",
                           r21=ctx.rp(r21), change=ctx.pct(r21 / r20 - 1)))
    m = spend[spend["stage"] == "murni"].set_index("year")["value_idr"]
    if len(m) >= 2:
        lines.append(ctx.t("explore.public.public_finance.original_budget_murni_spending",
                           first=ctx.rp(m.iloc[0]), y0=m.index[0], last=ctx.rp(m.iloc[-1]),
                           y1=m.index[-1]))
    missing = [y for y in range(ctx.years[0], ctx.years[1] + 1) if y not in set(spend["year"])]
    if missing:
        lines.append(ctx.t("explore.public.public_finance.no_public_spending_figure",
                           years=', '.join(map(str, missing))))
    cap = ctx.t("explore.public.public_finance.regency_apbd_lra_public")
    return Result(ctx.t("explore.public.public_finance.apbd_realisation"), bullets(lines), figs,
                  table_html(head, rows, ctx, cap, False), best, False,
                  {"rev_change_2020": (rev20 / rev19 - 1) if rev19 else np.nan,
                   "missing_years": missing})


def _owner(ctx: Context, r, names: pd.Series) -> str:
    if isinstance(r.unit_id, str):
        return _name(names, r.unit_id)
    return ctx.t("explore.public.owner.account_not_attributed_opd")


def _no_public_profiles(ctx: Context, title: str, n: int) -> Result:
    """A section with no public innovation profile in the notebook's years (the IID profiles
    are reported in 2021: a range without 2021 has none)."""
    return Result(title, ctx.t("explore.public.no_public_profiles.no_public_innovation_profile",
                               span=ctx.span, n=n), simulated=False,
        facts={"profiles": n, "kept": 0})


def public_innovations_by_opd(ctx: Context, innovations: pd.DataFrame,
                              profiles: pd.DataFrame) -> Result:
    """The IID 2021 innovation profiles by OPD, stage and digital: ``profiles`` is the
    notebook's selection of ``innovations`` (duplicates left out)."""
    inn = require_public(innovations, "public_innovations_by_opd")
    names = unit_names(ctx)
    d = require_public(profiles, "public_innovations_by_opd").copy()
    if d.empty:
        return _no_public_profiles(ctx, ctx.t("explore.public.public_innovations_by_opd.2021_innovations_by_opd"),
                                   len(inn))
    d["owner"] = [_owner(ctx, r, names) for r in d.itertuples()]
    g = d.groupby("owner").agg(total=("innovation_id", "size"),
                               impl=("stage", lambda s: int((s == "implementasi").sum())),
                               trial=("stage", lambda s: int((s == "uji_coba").sum())),
                               init=("stage", lambda s: int((s == "inisiatif").sum())),
                               digital=("digital", "sum")).sort_values("total", ascending=False)
    head = [ctx.label("unit"), ctx.label("innovations"), ctx.label("implementasi"),
            ctx.label("uji_coba"), ctx.label("inisiatif"), ctx.label("innovations_digital")]
    rows = [[k, int(r.total), int(r.impl), int(r.trial), int(r.init), int(r.digital)]
            for k, r in g.iterrows()]
    n_dup = len(inn) - len(d)
    attributed = d[d["unit_id"].notna()]
    text = ctx.t("explore.public.public_innovations_by_opd.summary",
                 n_rows=len(inn), n_dup=n_dup, n=len(d), n_units=attributed['unit_id'].nunique(),
                 top=g.index[0], top_n=int(g['total'].iloc[0]), digital=ctx.pct(d['digital'].mean()),
                 implemented=ctx.pct((d['stage'] == 'implementasi').mean()))
    cap = ctx.t("explore.public.public_innovations_by_opd.caption")
    return Result(ctx.t("explore.public.public_innovations_by_opd.2021_innovations_by_opd"), text, [],
                  table_html(head, rows, ctx, cap, False), g.reset_index(), False,
                  {"profiles": len(inn), "kept": len(d), "digital_share":
                   float(d["digital"].mean())})


def public_innovations_by_form(ctx: Context, innovations: pd.DataFrame,
                               profiles: pd.DataFrame) -> Result:
    """IID 2021 profiles (the notebook's selection ``profiles`` of ``innovations``) by form,
    digital or not, and year of implementation."""
    inn = require_public(innovations, "public_innovations_by_form")
    d = require_public(profiles, "public_innovations_by_form").copy()
    d["impl_year"] = d["implementation_date"].dt.year
    dd = d.dropna(subset=["impl_year"]).astype({"impl_year": int})
    if d.empty or dd.empty:
        return _no_public_profiles(ctx, ctx.t("explore.public.public_innovations_by_form.form_digital_year_implementation"),
                                   len(inn))
    fig = plots.counts_stacked(dd, lang=ctx.lang, simulated=False, category="form",
                               year="impl_year")
    fig.axes[0].set_xlabel(ctx.t("explore.public.public_innovations_by_form.year_implementation"))
    fig.axes[0].set_title(ctx.t("explore.public.public_innovations_by_form.figure_title"))
    g = d.groupby("form").agg(n=("innovation_id", "size"), digital=("digital", "sum"))
    years = dd.groupby("impl_year").size()
    head = [ctx.t("explore.public.public_innovations_by_form.form"), ctx.label("count"), ctx.label("innovations_digital"),
            ctx.t("explore.public.public_innovations_by_form.digital_share")]
    rows = [[ctx.label(f), int(r.n), int(r.digital), ctx.pct(r.digital / r.n)]
            for f, r in g.sort_values("n", ascending=False).iterrows()]
    top = g["n"].idxmax()
    text = ctx.t("explore.public.public_innovations_by_form.most_common_form_implementation",
                 form=ctx.label(top).lower(), n_form=int(g.loc[top, 'n']), n=len(d),
                 y0=int(years.index.min()), y1=int(years.index.max()),
                 peak_year=int(years.idxmax()), peak_n=int(years.max()))
    cap = ctx.t("explore.public.public_innovations_by_form.caption")
    return Result(ctx.t("explore.public.public_innovations_by_form.form_digital_year_implementation"), text, [fig],
                  table_html(head, rows, ctx, cap, False), g.reset_index(), False,
                  {"top_form": top, "peak_year": int(years.idxmax())})


def public_ombudsman(ctx: Context, scores: pd.DataFrame, findings: pd.DataFrame) -> Result:
    """Ombudsman compliance, cited: the notebook's selections of numeric ``scores`` (service
    table) and category ``findings`` (reference rows without a number)."""
    svc = require_public(scores, "public_ombudsman")
    cat = require_public(findings, "public_ombudsman")
    rows_df = pd.concat([
        pd.DataFrame({"year": svc["year"], "entity": svc["entity"],
                      "value": [ctx.num(x) for x in svc["value"]], "source": svc["source"]}),
        pd.DataFrame({"year": cat["year"], "entity": cat["entity"], "value": cat["value"],
                      "source": cat["source"]})]).sort_values(["year", "entity"],
                                                              ascending=[False, True])
    head = [ctx.label("year"), ctx.t("explore.public.public_ombudsman.entity"), ctx.label("ombudsman_score"),
            ctx.t("explore.public.public_finance.source")]
    rows = rows_df.to_numpy().tolist()
    reg = svc[svc["unit_id"].isna()].set_index("year")["value"].sort_index()
    units = svc[svc["unit_id"].notna()]
    lines = []
    if len(reg):
        lines.append(ctx.t("explore.public.public_ombudsman.regency_score",
                           scores=", ".join(f"{ctx.num(v)} ({y})" for y, v in reg.items())))
    if len(units):
        best = units.loc[units["value"].idxmax()]
        lines.append(ctx.t("explore.public.public_ombudsman.service_units_scored_highest",
                           units=len(units),
                           years=', '.join(map(str, sorted(units['year'].unique()))),
                           entity=best['entity'], value=ctx.num(best['value']),
                           min=ctx.num(units['value'].min())))
    if len(cat):
        lines.append(ctx.t("explore.public.public_ombudsman.earlier_years_have_only"))
    if not lines:
        lines.append(ctx.t("explore.public.public_ombudsman.no_ombudsman_record", span=ctx.span))
    cap = ctx.t("explore.public.public_ombudsman.compliance_with_public_service")
    return Result(ctx.t("explore.public.public_ombudsman.ombudsman_compliance"), bullets(lines), [],
                  table_html(head, rows, ctx, cap, False), rows_df, False,
                  {"n_scores": len(svc)})


def public_source_list(ctx: Context, *frames: pd.DataFrame) -> Result:
    """Every source cited in the public record, with the number of rows it supports."""
    for i, df in enumerate(frames):
        require_public(df, f"public_source_list (table {i + 1})")
    src = pd.concat([df["source"] for df in frames]).value_counts()
    head = [ctx.t("explore.public.public_finance.source"), ctx.t("explore.public.public_source_list.rows")]
    rows = [[s, int(n)] for s, n in src.items()]
    text = ctx.t("explore.public.public_source_list.distinct_sources_support_figures",
                 src=len(src))
    cap = ctx.t("explore.public.public_source_list.sources_cited")
    return Result(ctx.t("explore.public.public_source_list.sources"), text, [], table_html(head, rows, ctx, cap, False),
                  src.rename_axis("source").reset_index(name="rows"), False,
                  {"n_sources": len(src)})


def public_conclusions(ctx: Context, *results: Result) -> Result:
    """Conclusions of notebook 4.0, from the facts of its sections (all public)."""
    f = _facts(*results)
    lines = []
    if not np.isnan(f.get("rev_change_2020", np.nan)):
        lines.append(ctx.t("explore.public.public_conclusions.realised_regional_revenue_changed",
                           rev_change_2020=ctx.pct(f['rev_change_2020'])))
    if f.get("kept") and "top_form" in f:
        lines.append(ctx.t("explore.public.public_conclusions.innovation_profiles_2021_duplicates",
                           kept=f['kept'], digital_share=ctx.pct(f['digital_share']),
                           lower=ctx.label(f['top_form']).lower(), peak_year=f['peak_year']))
    else:
        lines.append(ctx.t("explore.public.public_conclusions.no_public_innovation_profile",
                           span=ctx.span))
    lines += [
        ctx.t("explore.public.public_conclusions.why_simulated", n_sources=f['n_sources']),
    ]
    return Result(ctx.t("explore.public.public_conclusions.conclusions"), bullets(lines), facts=f)
