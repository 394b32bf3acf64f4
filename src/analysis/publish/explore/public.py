"""Notebook 4.0 (public record: real, cited data only)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.publish import plots
from analysis.publish.explore.context import (
    Context,
    Result,
    _facts,
    bullets,
    require_public,
    table_html,
)


def public_finance(ctx: Context, best: pd.DataFrame) -> Result:
    """APBD (murni, perubahan) and LRA realisation totals by year, each row cited: the
    notebook's selection ``best`` of ``belanja_total`` and ``pendapatan_total`` (one document
    per year, stage and indicator: the enacted document before drafts, exact figures before
    derived before rounded), as a figure, a table and words."""
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


def _no_public_profiles(ctx: Context, title: str, n: int) -> Result:
    """A section with no public innovation profile in the notebook's years (the IID profiles
    are reported in 2021: a range without 2021 has none)."""
    return Result(title, ctx.t("explore.public.no_public_profiles.no_public_innovation_profile",
                               span=ctx.span, n=n), simulated=False,
        facts={"profiles": n, "kept": 0})


def public_innovations_by_opd(ctx: Context, innovations: pd.DataFrame,
                              profiles: pd.DataFrame, by_opd: pd.DataFrame) -> Result:
    """The IID 2021 innovation profiles by OPD, stage and digital, in words: ``profiles`` is
    the notebook's selection of ``innovations`` (duplicates left out), ``by_opd`` its count of
    them per owner (index: the OPD's name, missing for a profile no OPD owns; ``total``,
    ``implementasi``, ``uji_coba``, ``inisiatif``, ``digital``)."""
    inn = require_public(innovations, "public_innovations_by_opd")
    d = require_public(profiles, "public_innovations_by_opd")
    title = ctx.t("explore.public.public_innovations_by_opd.2021_innovations_by_opd")
    if d.empty:
        return _no_public_profiles(ctx, title, len(inn))
    unowned = ctx.t("explore.public.owner.account_not_attributed_opd")
    owners = [unowned if pd.isna(k) else k for k in by_opd.index]
    head = [ctx.label("unit"), ctx.label("innovations"), ctx.label("implementasi"),
            ctx.label("uji_coba"), ctx.label("inisiatif"), ctx.label("innovations_digital")]
    rows = [[k, *(int(r[c]) for c in ("total", "implementasi", "uji_coba", "inisiatif",
                                     "digital"))]
            for k, (_, r) in zip(owners, by_opd.iterrows(), strict=True)]
    text = ctx.t("explore.public.public_innovations_by_opd.summary",
                 n_rows=len(inn), n_dup=len(inn) - len(d), n=len(d),
                 n_units=d["unit_id"].nunique(), top=owners[0],
                 top_n=int(by_opd["total"].iloc[0]), digital=ctx.pct(d["digital"].mean()),
                 implemented=ctx.pct((d["stage"] == "implementasi").mean()))
    cap = ctx.t("explore.public.public_innovations_by_opd.caption")
    return Result(title, text, [], table_html(head, rows, ctx, cap, False), by_opd, False,
                  {"profiles": len(inn), "kept": len(d), "digital_share":
                   float(d["digital"].mean())})


def public_innovations_by_form(ctx: Context, innovations: pd.DataFrame,
                               profiles: pd.DataFrame, by_form: pd.DataFrame,
                               by_year: pd.DataFrame) -> Result:
    """The IID 2021 profiles (the notebook's selection ``profiles`` of ``innovations``) by
    form and digital (``by_form``: index form; ``n``, ``digital``, ``digital_share``) and by
    year of implementation and form (``by_year``: one row per year, one column per form), as
    a figure, a table and words."""
    inn = require_public(innovations, "public_innovations_by_form")
    d = require_public(profiles, "public_innovations_by_form")
    title = ctx.t("explore.public.public_innovations_by_form.form_digital_year_implementation")
    if d.empty or by_year.empty:
        return _no_public_profiles(ctx, title, len(inn))
    fig = plots.counts_stacked(by_year.stack().rename("count").reset_index(), lang=ctx.lang,
                               simulated=False, category=by_year.columns.name,
                               year=by_year.index.name)
    fig.axes[0].set_xlabel(ctx.t("explore.public.public_innovations_by_form.year_implementation"))
    fig.axes[0].set_title(ctx.t("explore.public.public_innovations_by_form.figure_title"))
    years = by_year.sum(axis=1)
    head = [ctx.t("explore.public.public_innovations_by_form.form"), ctx.label("count"), ctx.label("innovations_digital"),
            ctx.t("explore.public.public_innovations_by_form.digital_share")]
    rows = [[ctx.label(f), int(r.n), int(r.digital), ctx.pct(r.digital_share)]
            for f, r in by_form.iterrows()]
    top = by_form["n"].idxmax()
    text = ctx.t("explore.public.public_innovations_by_form.most_common_form_implementation",
                 form=ctx.label(top).lower(), n_form=int(by_form.loc[top, 'n']), n=len(d),
                 y0=int(years.index.min()), y1=int(years.index.max()),
                 peak_year=int(years.idxmax()), peak_n=int(years.max()))
    cap = ctx.t("explore.public.public_innovations_by_form.caption")
    return Result(title, text, [fig], table_html(head, rows, ctx, cap, False), by_form, False,
                  {"top_form": top, "peak_year": int(years.idxmax())})


def public_ombudsman(ctx: Context, scores: pd.DataFrame, findings: pd.DataFrame,
                     table: pd.DataFrame) -> Result:
    """Ombudsman compliance, cited, in words: the notebook's selections of numeric ``scores``
    (service table) and category ``findings`` (reference rows without a number), and its
    ``table`` of both (``year``, ``entity``, ``value``, ``source``; newest year first)."""
    svc = require_public(scores, "public_ombudsman")
    cat = require_public(findings, "public_ombudsman")
    head = [ctx.label("year"), ctx.t("explore.public.public_ombudsman.entity"), ctx.label("ombudsman_score"),
            ctx.t("explore.public.public_finance.source")]
    rows = [[r.year, r.entity, r.value if isinstance(r.value, str) else ctx.num(r.value),
             r.source] for r in table.itertuples()]
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
                  table_html(head, rows, ctx, cap, False), table, False,
                  {"n_scores": len(svc)})


def public_source_list(ctx: Context, sources: pd.Series) -> Result:
    """The notebook's count of the rows each cited source supports (``sources``: index
    source, value rows), in words."""
    head = [ctx.t("explore.public.public_finance.source"), ctx.t("explore.public.public_source_list.rows")]
    rows = [[s, int(n)] for s, n in sources.items()]
    text = ctx.t("explore.public.public_source_list.distinct_sources_support_figures",
                 src=len(sources))
    cap = ctx.t("explore.public.public_source_list.sources_cited")
    return Result(ctx.t("explore.public.public_source_list.sources"), text, [], table_html(head, rows, ctx, cap, False),
                  sources.rename_axis("source").reset_index(name="rows"), False,
                  {"n_sources": len(sources)})


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
