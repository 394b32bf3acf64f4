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
        fig.axes[0].set_title(ctx.t("Belanja daerah (total): APBD dan LRA",
                                    "Total regional spending: APBD and LRA"))
        figs.append(fig)
    key_label = {"belanja_total": ctx.t("Belanja (total)", "Spending (total)"),
                 "pendapatan_total": ctx.t("Pendapatan (total)", "Revenue (total)")}
    head = [ctx.label("year"), ctx.label("stage"), ctx.t("Indikator", "Indicator"),
            ctx.t("Nilai", "Value"), ctx.t("Dokumen", "Document"),
            ctx.t("Ketelitian", "Precision"), ctx.t("Sumber", "Source")]
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
        lines.append(ctx.t(
            f"Realisasi pendapatan daerah 2020 {ctx.rp(rev20)}, {ctx.pct(rev20 / rev19 - 1)} "
            f"dibanding 2019 ({ctx.rp(rev19)}).",
            f"Realised regional revenue 2020 was {ctx.rp(rev20)}, {ctx.pct(rev20 / rev19 - 1)} "
            f"against 2019 ({ctx.rp(rev19)})."))
    p19, r20 = get("belanja_total", "perubahan", 2019), get("belanja_total", "realisasi", 2020)
    if not np.isnan(p19 + r20):
        lines.append(ctx.t(
            f"Realisasi belanja 2020 {ctx.rp(r20)}: {ctx.pct(r20 / p19 - 1)} terhadap APBD-P "
            f"2019 ({ctx.rp(p19)}; dokumen berbeda tahap, bukan perbandingan realisasi dengan "
            "realisasi).",
            f"Realised spending 2020 was {ctx.rp(r20)}: {ctx.pct(r20 / p19 - 1)} against the "
            f"2019 revised budget ({ctx.rp(p19)}; different stages, not actual against "
            "actual)."))
    r21 = get("belanja_total", "realisasi", 2021)
    if not np.isnan(r20 + r21):
        lines.append(ctx.t(f"Realisasi belanja 2021 {ctx.rp(r21)} "
                           f"({ctx.pct(r21 / r20 - 1)} terhadap 2020).",
                           f"Realised spending 2021 was {ctx.rp(r21)} "
                           f"({ctx.pct(r21 / r20 - 1)} on 2020)."))
    m = spend[spend["stage"] == "murni"].set_index("year")["value_idr"]
    if len(m) >= 2:
        lines.append(ctx.t(
            f"APBD murni belanja: {ctx.rp(m.iloc[0])} ({m.index[0]}) hingga "
            f"{ctx.rp(m.iloc[-1])} ({m.index[-1]}).",
            f"Original budget (murni) spending: {ctx.rp(m.iloc[0])} ({m.index[0]}) to "
            f"{ctx.rp(m.iloc[-1])} ({m.index[-1]})."))
    missing = [y for y in range(ctx.years[0], ctx.years[1] + 1) if y not in set(spend["year"])]
    if missing:
        lines.append(ctx.t(f"Tanpa angka belanja publik: {', '.join(map(str, missing))}.",
                           f"No public spending figure for: {', '.join(map(str, missing))}."))
    cap = ctx.t("APBD dan LRA Kabupaten (data publik, bersumber; satu dokumen per tahun dan tahap)",
                "Regency APBD and LRA (public, cited data; one document per year and stage)")
    return Result(ctx.t("APBD dan realisasi", "APBD and realisation"), bullets(lines), figs,
                  table_html(head, rows, ctx, cap, False), best, False,
                  {"rev_change_2020": (rev20 / rev19 - 1) if rev19 else np.nan,
                   "missing_years": missing})


def _owner(ctx: Context, r, names: pd.Series) -> str:
    if isinstance(r.unit_id, str):
        return _name(names, r.unit_id)
    return ctx.t("Akun tanpa atribusi OPD", "Account not attributed to an OPD")


def _no_public_profiles(ctx: Context, title: str, n: int) -> Result:
    """A section with no public innovation profile in the notebook's years (the IID profiles
    are reported in 2021: a range without 2021 has none)."""
    return Result(title, ctx.t(
        f"Tidak ada profil inovasi publik dalam {ctx.span} ({n} baris; profil IID dilaporkan "
        "pada 2021, jadi rentang tahun tanpa 2021 tidak memuatnya).",
        f"No public innovation profile in {ctx.span} ({n} rows; the IID profiles are reported "
        "in 2021, so a year range without 2021 holds none)."), simulated=False,
        facts={"profiles": n, "kept": 0})


def public_innovations_by_opd(ctx: Context, innovations: pd.DataFrame,
                              profiles: pd.DataFrame) -> Result:
    """The IID 2021 innovation profiles by OPD, stage and digital: ``profiles`` is the
    notebook's selection of ``innovations`` (duplicates left out)."""
    inn = require_public(innovations, "public_innovations_by_opd")
    names = unit_names(ctx)
    d = require_public(profiles, "public_innovations_by_opd").copy()
    if d.empty:
        return _no_public_profiles(ctx, ctx.t("Inovasi 2021 per OPD", "2021 innovations by OPD"),
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
    text = ctx.t(
        f"{len(inn)} profil inovasi IID 2021; {n_dup} kemungkinan duplikat disisihkan, sisa "
        f"{len(d)} dari {attributed['unit_id'].nunique()} unit. Terbanyak: {g.index[0]} "
        f"({int(g['total'].iloc[0])}). {ctx.pct(d['digital'].mean())} digital; "
        f"{ctx.pct((d['stage'] == 'implementasi').mean())} sudah tahap implementasi.",
        f"{len(inn)} IID 2021 innovation profiles; {n_dup} possible duplicates set aside, "
        f"leaving {len(d)} from {attributed['unit_id'].nunique()} units. Most: {g.index[0]} "
        f"({int(g['total'].iloc[0])}). {ctx.pct(d['digital'].mean())} are digital; "
        f"{ctx.pct((d['stage'] == 'implementasi').mean())} are at the implementation stage.")
    cap = ctx.t("Profil inovasi IID 2021 per unit (data publik, bersumber)",
                "IID 2021 innovation profiles by unit (public, cited data)")
    return Result(ctx.t("Inovasi 2021 per OPD", "2021 innovations by OPD"), text, [],
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
        return _no_public_profiles(ctx, ctx.t("Bentuk, digital dan tahun implementasi",
                                              "Form, digital and year of implementation"),
                                   len(inn))
    fig = plots.counts_stacked(dd, lang=ctx.lang, simulated=False, category="form",
                               year="impl_year")
    fig.axes[0].set_xlabel(ctx.t("Tahun implementasi", "Year of implementation"))
    fig.axes[0].set_title(ctx.t("Profil IID 2021 menurut bentuk", "IID 2021 profiles by form"))
    g = d.groupby("form").agg(n=("innovation_id", "size"), digital=("digital", "sum"))
    years = dd.groupby("impl_year").size()
    head = [ctx.t("Bentuk", "Form"), ctx.label("count"), ctx.label("innovations_digital"),
            ctx.t("Porsi digital", "Digital share")]
    rows = [[ctx.label(f), int(r.n), int(r.digital), ctx.pct(r.digital / r.n)]
            for f, r in g.sort_values("n", ascending=False).iterrows()]
    top = g["n"].idxmax()
    text = ctx.t(
        f"Bentuk terbanyak: {ctx.label(top).lower()} ({int(g.loc[top, 'n'])} dari {len(d)}). "
        f"Tahun implementasi {int(years.index.min())}–{int(years.index.max())}, terbanyak "
        f"{int(years.idxmax())} ({int(years.max())}). Tahun implementasi berasal dari profil "
        "yang dilaporkan pada 2021, jadi inovasi yang berhenti sebelum 2021 tidak tercatat.",
        f"Most common form: {ctx.label(top).lower()} ({int(g.loc[top, 'n'])} of {len(d)}). "
        f"Implementation years {int(years.index.min())}–{int(years.index.max())}, most in "
        f"{int(years.idxmax())} ({int(years.max())}). Implementation years come from profiles "
        "reported in 2021, so innovations that stopped before 2021 are not recorded.")
    cap = ctx.t("Profil IID 2021 menurut bentuk dan digital (data publik)",
                "IID 2021 profiles by form and digital (public data)")
    return Result(ctx.t("Bentuk, digital dan tahun implementasi",
                        "Form, digital and year of implementation"), text, [fig],
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
    head = [ctx.label("year"), ctx.t("Entitas", "Entity"), ctx.label("ombudsman_score"),
            ctx.t("Sumber", "Source")]
    rows = rows_df.to_numpy().tolist()
    reg = svc[svc["unit_id"].isna()].set_index("year")["value"].sort_index()
    units = svc[svc["unit_id"].notna()]
    lines = []
    if len(reg):
        lines.append(ctx.t(
            "Skor kabupaten: " + ", ".join(f"{ctx.num(v)} ({y})" for y, v in reg.items()) + ".",
            "Regency score: " + ", ".join(f"{ctx.num(v)} ({y})" for y, v in reg.items()) + "."))
    if len(units):
        best = units.loc[units["value"].idxmax()]
        lines.append(ctx.t(
            f"{len(units)} unit layanan dinilai ({', '.join(map(str, sorted(units['year'].unique())))}"
            f"); tertinggi {best['entity']} ({ctx.num(best['value'])}), terendah "
            f"{ctx.num(units['value'].min())}.",
            f"{len(units)} service units scored ({', '.join(map(str, sorted(units['year'].unique())))}"
            f"); highest {best['entity']} ({ctx.num(best['value'])}), lowest "
            f"{ctx.num(units['value'].min())}."))
    if len(cat):
        lines.append(ctx.t("Tahun sebelumnya hanya punya kategori (zona/predikat), bukan skor.",
                           "Earlier years have only a category (zone/predicate), not a score."))
    if not lines:
        lines.append(ctx.t(f"Tidak ada catatan Ombudsman dalam {ctx.span}.",
                           f"No Ombudsman record in {ctx.span}."))
    cap = ctx.t("Kepatuhan standar pelayanan publik, Ombudsman RI (data publik, bersumber)",
                "Compliance with public-service standards, Ombudsman RI (public, cited data)")
    return Result(ctx.t("Kepatuhan Ombudsman", "Ombudsman compliance"), bullets(lines), [],
                  table_html(head, rows, ctx, cap, False), rows_df, False,
                  {"n_scores": len(svc)})


def public_source_list(ctx: Context, *frames: pd.DataFrame) -> Result:
    """Every source cited in the public record, with the number of rows it supports."""
    for i, df in enumerate(frames):
        require_public(df, f"public_source_list (table {i + 1})")
    src = pd.concat([df["source"] for df in frames]).value_counts()
    head = [ctx.t("Sumber", "Source"), ctx.t("Baris", "Rows")]
    rows = [[s, int(n)] for s, n in src.items()]
    text = ctx.t(f"{len(src)} sumber berbeda mendukung angka di notebook ini.",
                 f"{len(src)} distinct sources support the figures in this notebook.")
    cap = ctx.t("Sumber yang dikutip", "Sources cited")
    return Result(ctx.t("Sumber", "Sources"), text, [], table_html(head, rows, ctx, cap, False),
                  src.rename_axis("source").reset_index(name="rows"), False,
                  {"n_sources": len(src)})


def public_conclusions(ctx: Context, *results: Result) -> Result:
    """Conclusions of notebook 4.0, from the facts of its sections (all public)."""
    f = _facts(*results)
    lines = []
    if not np.isnan(f.get("rev_change_2020", np.nan)):
        lines.append(ctx.t(f"Pendapatan daerah yang terealisasi berubah "
                           f"{ctx.pct(f['rev_change_2020'])} dari 2019 ke 2020: dasar nyata "
                           "dari pemotongan.",
                           f"Realised regional revenue changed {ctx.pct(f['rev_change_2020'])} "
                           "from 2019 to 2020: the real ground of the cuts."))
    if f.get("kept") and "top_form" in f:
        lines.append(ctx.t(
              f"{f['kept']} profil inovasi 2021 (tanpa duplikat), "
              f"{ctx.pct(f['digital_share'])} digital; bentuk terbanyak "
              f"{ctx.label(f['top_form']).lower()}; puncak implementasi {f['peak_year']}.",
              f"{f['kept']} innovation profiles of 2021 (duplicates removed), "
              f"{ctx.pct(f['digital_share'])} digital; most common form "
              f"{ctx.label(f['top_form']).lower()}; implementations peak in {f['peak_year']}."))
    else:
        lines.append(ctx.t(f"Tidak ada profil inovasi publik dalam {ctx.span}.",
                           f"No public innovation profile in {ctx.span}."))
    lines += [
        ctx.t(f"Tidak ada data publik per OPD per tahun untuk anggaran, IKM atau pengaduan; "
              f"karena itu notebook lain memakai panel simulasi. {f['n_sources']} sumber dikutip.",
              "There is no public per-OPD per-year data on budgets, IKM or complaints; that is "
              f"why the other notebooks use a simulated panel. {f['n_sources']} sources cited."),
    ]
    return Result(ctx.t("Kesimpulan", "Conclusions"), bullets(lines), facts=f)
