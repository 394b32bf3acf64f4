"""The headline figures of the deck and the brief (PNG 300 dpi and SVG, one per finding) and
their captions file, in the shared style of :mod:`analysis.publish.plots`.

Every figure drawn from simulated data carries the simulated mark (``plots.mark_simulated``);
:func:`export_figures` refuses to save one that does not. Words come from the catalog
(``words/present.toml``, ``present.fig.*`` and ``present.caption.*``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.methods.typology import unit_features
from analysis.narrative import fmt, sentences
from analysis.narrative.catalog import category
from analysis.narrative.labels import label
from analysis.publish import plots
from analysis.publish.findings import (
    Results,
    effects_of_cut,
    resilience_frame,
    scenario_curve,
    t,
)


def public_spending(res: Results) -> pd.DataFrame:
    """The real total spending per year and stage (the enacted document first), with source."""
    from analysis.data import public

    rf = res.region_finance
    rf = rf[rf["provenance"] == "public"]
    targets = public.calibration_targets(rf)
    return targets[targets["year"].between(2019, 2026)].reset_index(drop=True)


def public_sources(res: Results) -> list[str]:
    d = public_spending(res)
    out = []
    for r in d.sort_values(["year", "stage"]).itertuples():
        out.append(f"{r.year} {r.stage} ({r.document}, {r.precision}): "
                   f"{fmt.rupiah(r.value_idr, res.lang)} — {r.source}")
    return out


def _room_for_mark(fig):
    """Keep the corner note of the simulated mark clear of the x label (an empty
    ``supxlabel`` makes constrained layout reserve a line at the bottom)."""
    if plots.is_simulated(fig):
        fig.supxlabel("\u00a0", fontsize=8)
    return fig


def fig_public_spending(res: Results):
    lang = res.lang
    d = public_spending(res).rename(columns={"value_idr": "amount_idr"})
    fig = plots.budget_path(d, lang=lang, simulated=False)
    ax = fig.axes[0]
    _title(ax, t("public_title", lang))
    rounded = sorted({int(y) for y in d.loc[d["precision"] != "exact", "year"]})
    note = t("fig.public_note", lang)
    if rounded:
        note += t("fig.public_rounded", lang, years=", ".join(map(str, rounded)))
    fig.text(0.01, -0.02, note, ha="left", va="top", fontsize=7.5, color="#444444", wrap=True)
    return fig


def _cut_series(res: Results) -> pd.Series:
    """The 2020 cut per OPD in percent (``cut_2020_pct``), indexed by short name."""
    s = res.summary.dropna(subset=["cut_2020_pct"])
    return pd.Series(s["cut_2020_pct"].to_numpy(float),
                     index=[res.name(u) for u in s["unit_id"]], name="cut_pct")


def _title(ax, text: str) -> None:
    ax.set_title(text, loc="left", fontweight="bold", fontsize=11.5)


def fig_cuts(res: Results, top: int | None = None):
    """2020 actual spending against each OPD's pre-2020 trend (%), deepest cut on top;
    ``top`` keeps only the deepest ``top`` (for a slide)."""
    lang = res.lang
    s = _cut_series(res).sort_values()
    if top:
        s = s.head(top)
    deepest = list(s.index[:5])
    fig = plots.bar_ranked(s, lang=lang, simulated=res.simulated, highlight=deepest)
    ax = fig.axes[0]
    ax.invert_yaxis()  # bar_ranked puts the largest value on top; here the deepest cut is
    ax.xaxis.set_major_formatter(plots.plt.FuncFormatter(lambda v, _p: fmt.number(v, lang, 0)))
    ax.set_xlabel(t("cut_pct_axis", lang))
    med = float(_cut_series(res).median())
    ax.axvline(med, color="#555555", linestyle="--", linewidth=1,
               label=f"{t('median_opd', lang)}: {fmt.percent(med, lang, fraction=False)}")
    ax.axvline(0, color="#555555", linewidth=1)
    ax.legend(loc="lower right" if not top else "lower left", fontsize=9)
    _title(ax, t("fig.cuts_title", lang) + (t("fig.cuts_top", lang, n=len(s)) if top else ""))
    if top:
        fig.set_size_inches(7.5, max(3.0, 1.4 + 0.3 * len(s)))
    return fig


def fig_routine_share(res: Results):
    lang = res.lang
    df = res.regency[["year", "penunjang_median", "provenance"]]
    fig = plots.year_lines(df, {"penunjang_median": t("median_opd", lang)}, lang=lang,
                           simulated=res.simulated, ylabel_key="penunjang_share", percent=True)
    _title(fig.axes[0], t("routine_share", lang))
    return fig


def fig_effects(res: Results):
    import matplotlib.pyplot as plt

    lang = res.lang
    eff = effects_of_cut(res, 10.0)
    with plots.style_context():
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.1))
        for ax, measure, key in zip(axes, ("pct", "pts"), ("effect_pct", "effect_pts"),
                                    strict=True):
            e = eff[eff["measure"] == measure]
            tidy = pd.DataFrame({"term": [category("outcome_short", o, lang)
                                          + f" (n={g})" for o, g in
                                          zip(e["outcome"], e["n_clusters"], strict=True)],
                                 "estimate": e["estimate"], "ci_low": e["ci_low"],
                                 "ci_high": e["ci_high"]})
            plots.coef_plot(tidy, lang=lang, ax=ax, simulated=False)
            ax.set_xlabel(t(key, lang))
            ax.xaxis.set_major_formatter(plt.FuncFormatter(
                lambda v, _p, d=(0 if measure == "pct" else 1): fmt.number(v, lang, d)))
        fig.suptitle(t("fig.effects_title", lang), fontsize=11, x=0.01, ha="left")
    return plots.mark_simulated(fig, lang) if res.simulated else fig


def fig_event_study(res: Results):
    lang = res.lang
    es = res.event_study
    if es.empty or "rel_year" not in es:
        return None
    fig = plots.event_study_plot(es, lang=lang, x="rel_year", reference=-1,
                                 simulated=res.simulated)
    ax = fig.axes[0]
    ax.yaxis.set_major_formatter(plots.plt.FuncFormatter(lambda v, _p: fmt.number(v, lang, 1)))
    _title(ax, t("fig.event_title", lang))
    return fig


def fig_typology(res: Results):
    import matplotlib.pyplot as plt

    lang = res.lang
    if res.typology.empty:
        return None
    feats = unit_features(res.panel).merge(res.typology[["unit_id", "cluster"]],
                                                  on="unit_id")
    feats = feats.merge(res.summary[["unit_id", "cut_2020_pct"]], on="unit_id", how="left")
    col = "description_" + lang
    desc = sentences.describe_clusters(res.typology).groupby("cluster")[col].first()
    with plots.style_context():
        fig, ax = plt.subplots(figsize=(7.5, 4.8))
        for i, (cl, g) in enumerate(feats.groupby("cluster", sort=True)):
            ax.scatter(g["cut_2020_pct"], g["innovation_trend"], s=36,
                       color=f"C{i}", label=f"{cl}: {desc.get(cl, '')} ({len(g)})")
        ax.axvline(0, color="#555555", linewidth=1)
        ax.axhline(0, color="#555555", linewidth=1)
        ax.set_xlabel(t("typ_x", lang))
        ax.set_ylabel(t("typ_y", lang))
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _p: fmt.number(v, lang, 0)))
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _p: fmt.number(v, lang, 1)))
        ax.legend(title=t("cluster", lang), loc="upper left", bbox_to_anchor=(0, -0.15),
                  fontsize=8.5, title_fontsize=9)
        ax.set_title(t("fig.typology_title", lang))
    return plots.mark_simulated(fig, lang) if res.simulated else fig


def fig_resilience(res: Results):
    lang = res.lang
    r = resilience_frame(res, "innovations")
    if r.empty:
        return None
    fig = plots.resilience_plot(r, lang=lang, simulated=res.simulated,
                                names=dict(zip(r["unit_id"], r["name"], strict=True)),
                                xlabel=t("res_axis", lang))
    fig.axes[0].set_title(t("fig.resilience_title", lang), fontsize=11)
    return fig


def fig_scenario(res: Results):
    import matplotlib.pyplot as plt

    lang = res.lang
    cur = scenario_curve(res)
    if cur.empty:
        return None
    with plots.style_context():
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.3))
        for ax, outcome, key in zip(axes, ("innovations", "ikm"),
                                    ("scen_innov_axis", "scen_ikm_axis"), strict=True):
            d = cur[cur["outcome"] == outcome]
            if d.empty:
                ax.set_visible(False)
                continue
            ax.fill_between(d["cut_pct"], d["ci_low"], d["ci_high"], color="C0", alpha=0.2,
                            linewidth=0, label=label("estimate_ci", lang))
            ax.plot(d["cut_pct"], d["estimate"], color="C0")
            ax.axhline(0, color="#555555", linewidth=1)
            ax.axvline(res.scenario_cut_pct, color="#D55E00", linestyle="--", linewidth=1.2,
                       label=f"{t('default_cut', lang)}: {fmt.number(res.scenario_cut_pct, lang, 0)}%")
            ax.set_xlabel(t("scen_cut_axis", lang))
            ax.set_ylabel(t(key, lang))
            digits = 0 if outcome == "innovations" else 1
            ax.yaxis.set_major_formatter(plt.FuncFormatter(
                lambda v, _p, d=digits: fmt.number(v, lang, d)))
            ax.legend(fontsize=8.5, loc="lower left")
        fig.suptitle(t("fig.scenario_title", lang), fontsize=11, x=0.01, ha="left")
    return plots.mark_simulated(fig, lang) if res.simulated else fig


# number, file slug, drawing function, from simulated data? (caption: catalog
# present.caption.<number>)
FIGURES = [
    ("01", "apbd-spending-2019-2026-public", fig_public_spending, False),
    ("02", "budget-cut-2020-by-opd", fig_cuts, True),
    ("03", "routine-share-by-year", fig_routine_share, True),
    ("04", "effect-of-10pct-budget-cut", fig_effects, True),
    ("05", "event-study-innovations-2020", fig_event_study, True),
    ("06", "typology-of-opds", fig_typology, True),
    ("07", "resilience-ranking-innovations", fig_resilience, True),
    ("08", "scenario-next-year-cut", fig_scenario, True),
]


def figure_name(number: str, slug: str, lang: str) -> str:
    """``02-budget-cut-2020-by-opd.id``: sorts by number, says what and in which language."""
    return f"{number}-{slug}.{lang}"


def export_figures(res: Results, out_dir: str | Path, formats=("png", "svg")) -> list[dict]:
    """Draw every headline figure and save it as PNG (300 dpi, the style's savefig.dpi) and
    SVG into ``out_dir``; write ``captions.<lang>.md``. Returns one record per figure."""
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    lang = res.lang
    records = []
    for number, slug, func, from_sim in FIGURES:
        fig = func(res)
        if fig is not None:
            _room_for_mark(fig)
        if fig is None:
            records.append({"figure": figure_name(number, slug, lang), "files": [],
                            "skipped": "no data"})
            continue
        simulated = plots.is_simulated(fig)
        if from_sim and res.simulated and not simulated:
            raise AssertionError(f"figure {slug} shows simulated data but has no mark")
        # save_figure swaps the last suffix for each format: keep ".<lang>" before it
        files = plots.save_figure(fig, out_dir / (figure_name(number, slug, lang) + ".png"),
                                  formats, lang)
        plt.close(fig)
        records.append({"figure": figure_name(number, slug, lang),
                        "files": [f.name for f in files], "simulated": simulated,
                        "caption": t(f"caption.{number}", lang)})
    lines = [f"# {t('captions_heading', lang)} ({lang})", ""]
    for r in records:
        if not r["files"]:
            continue
        kind = (label("simulated_banner", lang) if r["simulated"] else t("public_badge", lang))
        lines += [f"## {r['figure']}", "", r["caption"], "", f"*{kind}*", "",
                  f"{t('files', lang)}: " + ", ".join(f"`{f}`" for f in r["files"]), ""]
        if r["figure"].startswith("01-"):
            lines += [f"{t('source', lang)}:", ""] + [f"- {s}" for s in public_sources(res)] + [""]
    (out_dir / f"captions.{lang}.md").write_text("\n".join(lines), encoding="utf-8")
    return records


def fig_real_path(ev, lang: str):
    """Batang's total spending outturn per year (real evidence, public: no simulated mark),
    2020 from the audited LRA, other years from DJPK; bars in Rp trillion."""
    import matplotlib.pyplot as plt

    d = ev.path
    fig, ax = plt.subplots(figsize=(6.0, 3.4), layout="constrained")
    colors = ["#c0392b" if y == 2020 else "#1f4e79" for y in d["year"]]
    ax.bar(d["year"].astype(str), d["value_idr"] / 1e12, color=colors)
    for x, v in zip(d["year"].astype(str), d["value_idr"] / 1e12, strict=True):
        ax.annotate(fmt.number(v, lang, 2), (x, v), ha="center", va="bottom", fontsize=9,
                    xytext=(0, 2), textcoords="offset points")
    ax.set_ylabel(t("real.fig_path_axis", lang))
    ax.set_ylim(0, float(d["value_idr"].max() / 1e12) * 1.15)
    _title(ax, t("real.fig_path_title", lang))
    return fig


def fig_national_event(data_dir, lang: str, outcome: str = "ln_real_capital"):
    """The national event study of one outcome (2019 = 0), real data, from the build's
    ``national_2020_event_study`` (:func:`analysis.publish.national_2020.event_figure`)."""
    from analysis.data import store
    from analysis.publish import national_2020
    from analysis.publish.explore import Context

    es = store.load_table("national_2020_event_study", data_dir)
    ctx = Context(str(data_dir) if data_dir else None, "33.25", (2016, 2024), lang)
    return national_2020.event_figure(ctx, es, outcome)
