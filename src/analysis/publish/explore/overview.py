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
    head = [ctx.t("Jenis", "Kind"), ctx.t("Unit", "Units"),
            ctx.t("Layanan garis depan", "Front-line"), ctx.t("Dengan data panel",
                                                                "With panel data")]
    rows = [[r.kind, r.n, int(r.front_line), int(r.in_panel)] for r in g.itertuples()]
    left_out = u.loc[~u["in_panel"], "kind"].value_counts()
    lo_txt = ", ".join(f"{v} {k}" for k, v in left_out.items()) or "–"
    text = ctx.t(
        f"Registri memuat {len(u)} unit; {len(in_panel)} OPD punya data panel "
        f"{ctx.span}, {int(u['front_line'].sum())} ditandai layanan garis depan (survei SKM). "
        f"Tanpa data panel: {lo_txt}.",
        f"The registry holds {len(u)} units; {len(in_panel)} OPDs have panel data "
        f"{ctx.span}, {int(u['front_line'].sum())} are flagged front-line (SKM surveys). "
        f"Without panel data: {lo_txt}.")
    cap = ctx.t("Unit menurut jenis (registri unit: data publik)",
                "Units by kind (unit registry: public data)")
    return Result(ctx.t("Unit", "Units"), text, html=table_html(head, rows, ctx, cap, False),
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
        fig.colorbar(im, ax=ax, label=ctx.t("Porsi OPD dengan data", "Share of OPDs with data"))
        ax.set_xlabel(ctx.label("year"))
    if sim:
        plots.mark_simulated(fig, ctx.lang)
    head = [ctx.t("Ukuran", "Measure"), *[str(y) for y in cov.columns]]
    rows = [[ctx.label(c), *[ctx.pct(v, 0) for v in cov.loc[c]]] for c in cols]
    partial = []
    for c in cols:
        full = cov.loc[c]
        if full.min() < 1:
            years_none = [str(y) for y, v in full.items() if v == 0]
            part = ctx.t(f"{ctx.label(c)}: paling banyak {ctx.pct(full.max(), 0)} OPD",
                         f"{ctx.label(c)}: at most {ctx.pct(full.max(), 0)} of OPDs")
            if years_none:
                part += ctx.t(f", tidak ada data {', '.join(years_none)}",
                              f", no data in {', '.join(years_none)}")
            partial.append(part)
    text = ctx.t(
        f"Panel: {n_units} OPD × {cov.shape[1]} tahun ({ctx.span}). Ukuran yang tidak lengkap "
        "(indikator layanan hanya ada untuk unit garis depan; skor Ombudsman hanya untuk "
        "sebagian unit dan tahun):",
        f"Panel: {n_units} OPDs × {cov.shape[1]} years ({ctx.span}). Measures that are not "
        "complete (service indicators exist only for front-line units; Ombudsman scores only "
        "for some units and years):") + "\n\n" + bullets(partial or [ctx.t("tidak ada",
                                                                             "none")])
    cap = ctx.t("Porsi OPD dengan nilai, per ukuran dan tahun",
                "Share of OPDs with a value, per measure and year")
    return Result(ctx.t("Cakupan dan celah", "Coverage and gaps"), text, [fig],
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
        index=[ctx.t("Profil inovasi IID 2021 (tabel innovations)",
                     "IID 2021 innovation profiles (innovations table)"),
               ctx.t("Skor kepatuhan Ombudsman (tabel service)",
                     "Ombudsman compliance scores (service table)")])
    g = pd.concat([g, extra]).sort_values("rows", ascending=False)
    head = [ctx.t("Set data", "Dataset"), ctx.t("Baris", "Rows"), ctx.t("Tahun", "Years"),
            ctx.t("Sumber berbeda", "Distinct sources")]
    rows = [[k, int(r.rows), f"{_int(r.y0)}–{_int(r.y1)}", int(r.sources)]
            for k, r in g.iterrows()]
    text = ctx.t(
        f"Data publik: {len(ref)} baris rujukan dalam {ref['dataset'].nunique()} set data, "
        f"{len(inn)} profil inovasi IID 2021 dan {len(svc)} skor Ombudsman, masing-masing "
        "dengan sumbernya. Hanya bagian ini (dan notebook 4.0) yang berisi angka nyata.",
        f"Public data: {len(ref)} reference rows in {ref['dataset'].nunique()} datasets, "
        f"{len(inn)} IID 2021 innovation profiles and {len(svc)} Ombudsman scores, each with "
        "its source. Only this part (and notebook 4.0) holds real figures.")
    cap = ctx.t("Data publik menurut set data (provenance = public)",
                "Public data by dataset (provenance = public)")
    return Result(ctx.t("Bagian publik", "Public parts"), text,
                  html=table_html(head, rows, ctx, cap, False), data=g,
                  facts={"reference_rows": len(ref), "profiles": len(inn)})


def planted_effects(ctx: Context, eff: pd.DataFrame, truth: dict) -> Result:
    """The effects planted in the simulated panel (``eff``, the truth's ``effects`` as a
    table: what the models should recover)."""
    if eff.empty:
        return Result(ctx.t("Efek yang ditanam", "Planted effects"),
                      ctx.t("Data ini tidak memuat panel simulasi.",
                            "This data has no simulated panel."))
    head = [ctx.t("Nama", "Name"), ctx.t("Hasil", "Outcome"), ctx.t("Regresor", "Regressor"),
            ctx.t("Nilai", "Value"), ctx.t("Keterangan", "Description")]
    rows = [[r.name, ctx.label(r.outcome), r.regressor, planted_text(ctx, r.value),
             r.description] for r in eff.itertuples()]
    text = ctx.t(
        f"Panel simulasi (benih {truth.get('seed')}) menanam {len(eff)} efek yang diketahui; "
        "notebook 2.0, 2.1 dan 3.0 memeriksa apakah model menemukannya kembali.",
        f"The simulated panel (seed {truth.get('seed')}) plants {len(eff)} known effects; "
        "notebooks 2.0, 2.1 and 3.0 check whether the models recover them.")
    cap = ctx.t("Efek yang ditanam pada data simulasi (simulation_truth.json)",
                "Effects planted in the simulated data (simulation_truth.json)")
    return Result(ctx.t("Efek yang ditanam (kebenaran simulasi)",
                        "Planted effects (simulation truth)"), text,
                  html=table_html(head, rows, ctx, cap, True), data=eff, simulated=True,
                  facts={"n_effects": len(eff)})


def overview_conclusions(ctx: Context, *results: Result) -> Result:
    """Conclusions of notebook 0.0, from the facts of its sections."""
    f = _facts(*results)
    lines = [
        ctx.t(f"{f['n_panel']} dari {f['n_units']} unit punya panel OPD × tahun "
              f"({f['n_years']} tahun); {f['partial']} ukuran tidak lengkap.",
              f"{f['n_panel']} of {f['n_units']} units have an OPD × year panel "
              f"({f['n_years']} years); {f['partial']} measures are incomplete."),
        ctx.t(f"{ctx.pct(f['share_simulated'])} baris data dasar adalah simulasi: setiap "
              "gambar dan tabel dari baris tersebut diberi tanda.",
              f"{ctx.pct(f['share_simulated'])} of the base rows are simulated: every figure "
              "and table drawn from them is marked."),
        ctx.t(f"Catatan publik nyata: {f['reference_rows']} baris rujukan dan "
              f"{f['profiles']} profil inovasi, dirangkum di notebook 4.0.",
              f"Real public record: {f['reference_rows']} reference rows and {f['profiles']} "
              "innovation profiles, summarised in notebook 4.0."),
    ]
    return Result(ctx.t("Kesimpulan", "Conclusions"), bullets(lines), facts=f)
