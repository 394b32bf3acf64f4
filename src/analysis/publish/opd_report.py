"""Everything the per-OPD report template shows, so the template stays thin: the report's
parameters and its slice of the tables (:func:`load`), one function per section, and the
columns of the reports' index page (:func:`index_summary`).

The template (``notebooks/reports/opd_report.ipynb``) calls :func:`load` with its parameters
and then one function per section. Nothing here fits a model: the models were fitted once by
the build; a report only reads its slice of the processed tables and draws.

Words come from the catalog (:mod:`analysis.narrative.catalog`, ``words/report.toml``),
sentences from :mod:`analysis.narrative.sentences`, HTML from the Jinja2 templates of
:mod:`analysis.publish.markup` (autoescape: names never become raw HTML); unit ids are
checked against the registry before anything is read. The build's summary tables it reads
(``unit_summary``, ``regency_year``) are made by :mod:`analysis.publish.summaries`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import config
from analysis.data import store
from analysis.narrative import fmt, sentences
from analysis.narrative.catalog import category, text
from analysis.narrative.labels import label
from analysis.publish import markup, plots
from analysis.publish import params as checks
from analysis.publish.display import show_figures
from analysis.publish.params import ParameterError


class ReportParameterError(ParameterError):
    """A report parameter is invalid; the message says which and what is allowed (the checks of
    :mod:`analysis.publish.params`; the name is what a failed report's manifest row shows)."""


@dataclass
class UnitReport:
    unit: pd.Series
    lang: str
    years: tuple[int, int]
    panel: pd.DataFrame
    summary: pd.DataFrame          # one row per unit (peers)
    regency: pd.DataFrame          # totals per year over all units
    innovations: pd.DataFrame
    leadership: pd.DataFrame
    public_service: pd.DataFrame
    provenances: set[str] = field(default_factory=set)
    model_years: int = 0           # years in the panel the models were fitted on
    indicators: pd.DataFrame | None = None   # imported performance indicators (never simulated)
    models_older: dict | None = None   # the build's fits_note: model results older than the data

    @property
    def simulated(self) -> bool:
        return "simulated" in self.provenances

    @property
    def unit_id(self) -> str:
        return str(self.unit["unit_id"])


def validate_params(unit_id: str, lang: str, years, units: pd.DataFrame) -> tuple[int, int]:
    """Check the template parameters; raise ReportParameterError with a clear message."""
    checks.check_lang(lang, ReportParameterError)
    known = units.loc[units["is_opd"], "unit_id"].tolist()
    checks.check_known(unit_id, known, "unit id", error=ReportParameterError,
                       tail=f" (known: {len(known)} units in data/processed/units.parquet)")
    return checks.check_years(years, 1990, 2100, "a report (plausible years)",
                              error=ReportParameterError)


def load(unit_id: str, data_dir: str | Path | None = None, years=config.DEFAULT_YEARS,
         lang: str = "id") -> UnitReport:
    """Validate the parameters and read this unit's slice of the processed tables."""
    data_dir = data_dir or None
    units = store.load_table("units", data_dir)
    y0, y1 = validate_params(unit_id, lang, years, units)
    f = [("unit_id", "==", unit_id)]
    panel = store.load_table("panel", data_dir, filters=f)
    panel = panel[panel["year"].between(y0, y1)]
    if panel.empty:
        raise ReportParameterError(f"no panel rows for {unit_id!r} in {y0}-{y1}")
    summary = store.load_table("unit_summary", data_dir)
    regency = store.load_table("regency_year", data_dir)
    inn = store.load_table("innovations", data_dir, filters=f)
    lead = store.load_table("leadership", data_dir, filters=f)
    svc = store.load_table("service", data_dir, filters=f)
    try:   # a build older than the indicators table: the section says nothing was imported
        ind = store.load_table("indicators", data_dir, filters=f)
    except store.NotBuiltError:
        ind = None
    provs = set(panel["provenance"]) | set(inn["provenance"]) | set(lead["provenance"])
    return UnitReport(units.set_index("unit_id").loc[unit_id].rename(unit_id).to_frame().T
                      .reset_index(names="unit_id").iloc[0], lang, (y0, y1), panel,
                      summary, regency[regency["year"].between(y0, y1)], inn, lead,
                      svc[svc["provenance"] == "public"], provs,
                      int(regency["year"].nunique()), ind, markup.models_note(data_dir))


# ---------------------------------------------------------------------------------------------
# text helpers

def heading(key: str, lang: str) -> str:
    return f"## {text('report.section.' + key, lang)}"


def banner_html(rep: UnitReport) -> str:
    """The page banner: says plainly when any part of the report is simulated, and when its
    model results (peers' typology, resilience) are older than its data (an import deferred
    the refits and the report was rendered with ``--no-refit``)."""
    older = str(markup.models_older(rep.lang, rep.models_older))
    if not rep.simulated:
        return older
    return older + str(markup.banner(rep.lang, note=text("report.banner_note", rep.lang),
                                     inline=True))


def title_html(rep: UnitReport) -> str:
    u = rep.unit
    abbr = u["abbreviation"] if isinstance(u["abbreviation"], str) else ""
    return str(markup.render("report_title.html.j2", lang=rep.lang, name=u["name"],
                             abbreviation=abbr, kind=category("kind", u["kind"], rep.lang),
                             first=rep.years[0], last=rep.years[1], unit_id=rep.unit_id))


def who_html(rep: UnitReport) -> str:
    u, lang = rep.unit, rep.lang
    rows = [("name", u["name"]), ("kind", category("kind", u["kind"], lang)),
            ("sector", category("sector", u["sector"], lang)),
            ("front_line", category("bool", str(bool(u["front_line"])).lower(), lang)),
            ("kemendagri_code", u.get("kemendagri_code")), ("source", u.get("source"))]
    return str(markup.kv_table((text(f"report.who.{k}", lang), v) for k, v in rows))


# ---------------------------------------------------------------------------------------------
# budget

def _described(fig, key: str, rep: UnitReport):
    """Give ``fig`` its alt text (catalog ``report.alt.<key>``) as its label, which
    :func:`plots.figure_alt` reads."""
    fig.set_label(text(f"report.alt.{key}", rep.lang, unit=str(rep.unit["name"]),
                       first=rep.years[0], last=rep.years[1]))
    return fig


def budget_figure(rep: UnitReport):
    long = rep.panel.melt(id_vars=["year"], value_vars=["budget_murni", "budget_perubahan",
                                                        "budget_realisasi"],
                          var_name="stage", value_name="amount_idr")
    long["stage"] = long["stage"].str.removeprefix("budget_")
    return _described(plots.budget_path(long, lang=rep.lang, simulated=rep.simulated),
                      "budget", rep)


def missing_text(rep: UnitReport) -> str:
    """What this unit's budget lacks (years and stages without figures), and which years'
    regency totals mix imported and simulated figures; empty when nothing to say."""
    lang = rep.lang
    names = {"budget_murni": "murni", "budget_perubahan": "perubahan",
             "budget_realisasi": "realisasi"}
    gaps = []
    for row in rep.panel.itertuples():
        miss = [n for c, n in names.items() if pd.isna(getattr(row, c, np.nan))]
        if miss:
            gaps.append(f"{row.year} ({', '.join(miss)})")
    out = []
    if gaps:
        out.append(text("report.missing.budget", lang, gaps="; ".join(gaps)))
    if "mixed" in rep.regency:
        mixed = [str(y) for y in rep.regency.loc[rep.regency["mixed"].fillna(False)
                                                 .astype(bool), "year"]]
        if mixed:
            out.append(text("report.missing.mixed", lang, years=", ".join(mixed)))
    return " ".join(out)


def budget_text(rep: UnitReport) -> str:
    """Sentences on the 2020 cut, built from the numbers, and what is missing."""
    s = rep.summary.set_index("unit_id")
    cuts = s["cut_2020_pct"]
    cut = cuts.get(rep.unit_id, np.nan)
    rank = int(cuts.rank(method="min")[rep.unit_id]) if not pd.isna(cut) else None
    out = sentences.cut_2020_sentence(cut, float(cuts.median()), rank,
                                      int(cuts.notna().sum()), rep.lang)
    extra = missing_text(rep)
    return f"{out} {extra}" if extra else out


def budget_table(rep: UnitReport) -> str:
    lang = rep.lang
    r = rep.regency.set_index("year")
    head = [label("year", lang)] + [text(f"report.col.{k}", lang) for k in (
        "murni", "perubahan", "realisasi")] + [label("realisation_rate", lang),
                                               text("report.col.change", lang),
                                               text("report.col.change_regency", lang)]
    rows = []
    for row in rep.panel.itertuples():
        rows.append([row.year, fmt.rupiah(row.budget_murni, lang),
                     fmt.rupiah(row.budget_perubahan, lang),
                     fmt.rupiah(row.budget_realisasi, lang),
                     (text("report.mixed_sources", lang)
                      if bool(getattr(row, "realisation_rate_mixed", False))
                      else fmt.percent(row.realisation_rate, lang)),
                     fmt.percent(np.expm1(row.dlog_budget), lang),
                     fmt.percent(np.expm1(r["dlog_budget"].get(row.year, np.nan)), lang)])
    return _html_table(head, rows, rep.simulated, lang)


def _legend_name(rep: UnitReport) -> str:
    """The unit's short name for a legend: its abbreviation, else its name ("Kec. X" for a
    kecamatan), else its id. A missing abbreviation is NaN, which ``or`` would keep ("nan")."""
    for key in ("abbreviation", "name"):
        v = rep.unit.get(key)
        if isinstance(v, str) and v.strip():
            return v.strip().replace("Kecamatan ", "Kec. ")
    return str(rep.unit_id)


def routine_figure(rep: UnitReport):
    """This unit's routine (penunjang) share of actual spending against the median unit."""
    df = rep.panel[["year", "penunjang_share"]].merge(rep.regency[["year", "penunjang_median"]],
                                                      on="year", how="left")
    names = {"penunjang_share": _legend_name(rep),
             "penunjang_median": text("report.median_units", rep.lang)}
    return _described(plots.year_lines(df, names, lang=rep.lang, simulated=rep.simulated,
                                       ylabel_key="penunjang_share", percent=True),
                      "routine", rep)


# ---------------------------------------------------------------------------------------------
# innovation

def innovation_figure(rep: UnitReport):
    inn = rep.innovations[(rep.innovations["provenance"] != "public")
                          & ~rep.innovations["is_duplicate"]]
    inn = inn[inn["reporting_year"].between(*rep.years)]
    if inn.empty:
        return None
    return _described(plots.counts_stacked(inn.assign(provenance=inn["provenance"]),
                                           lang=rep.lang, category="stage",
                                           year="reporting_year", simulated=rep.simulated),
                      "innovation", rep)


def innovation_table(rep: UnitReport) -> str:
    lang = rep.lang
    p = rep.panel
    head = [label(k, lang) for k in ("year", "innovations", "inisiatif", "uji_coba",
                                     "implementasi", "innovations_digital")]
    rows = [[r.year, r.innovations, r.innov_inisiatif, r.innov_uji_coba, r.innov_implementasi,
             r.innov_digital] for r in p.itertuples()]
    return _html_table(head, rows, rep.simulated, lang)


def innovation_text(rep: UnitReport) -> str:
    p = rep.panel
    total = int(p["innovations"].sum())
    dig = int(p["innov_digital"].sum())
    pre = p.loc[p["year"] < 2020, "innovations"].mean()
    post = p.loc[p["year"] >= 2020, "innovations"].mean()
    lang = rep.lang
    return text("report.innovation.text", lang, total=total, first=rep.years[0],
                last=rep.years[1], digital=dig, pre=fmt.number(pre, lang, 1),
                post=fmt.number(post, lang, 1))


# ---------------------------------------------------------------------------------------------
# service

def service_table(rep: UnitReport) -> str | None:
    lang = rep.lang
    p = rep.panel
    cols = [c for c in ("ikm", "ombudsman_score", "complaints", "service_days") if c in p]
    if not rep.unit["front_line"] or p[cols].isna().all().all():
        return None
    head = [label("year", lang)] + [label(c, lang) for c in cols]
    head.insert(2, text("report.col.grade", lang))
    rows = []
    for r in p.itertuples():
        vals = [fmt.number(getattr(r, c), lang, 2 if c != "complaints" else 0) for c in cols]
        grade = getattr(r, "ikm_grade", None)
        vals.insert(1, grade if isinstance(grade, str) else "–")
        n = getattr(r, "ikm_n", np.nan)
        if not pd.isna(n):
            vals[0] += f" (n={int(n)})"
        rows.append([r.year, *vals])
    return _html_table(head, rows, rep.simulated, lang)


def service_text(rep: UnitReport) -> str:
    lang = rep.lang
    if not rep.unit["front_line"]:
        return text("report.service.not_front_line", lang)
    p = rep.panel.dropna(subset=["ikm"]) if "ikm" in rep.panel else rep.panel.iloc[0:0]
    if p.empty:
        return text("report.service.no_ikm", lang)
    first, last = p.iloc[0], p.iloc[-1]
    return text("report.service.ikm", lang, y0=int(first.year), v0=fmt.number(first.ikm, lang),
                g0=first.ikm_grade, y1=int(last.year), v1=fmt.number(last.ikm, lang),
                g1=last.ikm_grade)


def indicators_html(rep: UnitReport) -> str:
    """The unit's imported performance indicators against their targets (latest year first),
    with a sentence counting how many of the latest year's targets were met."""
    from analysis.methods.indicators import against_target

    lang = rep.lang
    ind = rep.indicators
    t = (against_target(ind, rep.unit_id, rep.years) if ind is not None and len(ind)
         else pd.DataFrame())
    if t.empty:
        return str(markup.render("para.html.j2", text=text("report.indicators.none", lang)))
    latest = t[t["year"] == t["year"].max()]
    judged = latest["met"].dropna()
    if len(judged):
        words = text("report.indicators.summary", lang, n=len(judged), year=int(latest["year"]
                     .iloc[0]), met=int(judged.sum()), missed=int((~judged.astype(bool)).sum()))
    else:
        words = text("report.indicators.no_target", lang, n=len(latest),
                     year=int(latest["year"].iloc[0]))
    head = [label("year", lang), text("report.col.framework", lang),
            text("report.col.indicator", lang), text("report.col.measure_unit", lang),
            text("report.col.direction", lang), text("report.col.target", lang),
            text("report.col.value", lang), text("report.col.achievement", lang),
            text("report.col.met", lang), text("report.col.source", lang)]
    rows = [[r.year, category("framework", r.framework, lang), r.indicator,
             r.measure_unit or "", category("direction", r.direction, lang),
             fmt.number(r.target, lang, 2), fmt.number(r.value, lang, 2),
             fmt.number(r.achievement_pct, lang, 1),
             "–" if pd.isna(r.met) else ("✓" if r.met else "✗"), r.source]
            for r in t.itertuples()]
    return (str(markup.render("para.html.j2", text=words))
            + _html_table(head, rows, False, lang))


# ---------------------------------------------------------------------------------------------
# peers, leadership, public record

def peers_figure(rep: UnitReport):
    series = rep.summary.dropna(subset=["cut_2020_pct"]).set_index("unit_id")["cut_2020_pct"]
    # a unit whose cut cannot be computed (partial data) is simply not highlighted
    fig = plots.bar_ranked(series, lang=rep.lang, simulated=rep.simulated,
                           highlight=rep.unit_id if rep.unit_id in series.index else None,
                           xlabel_key="cut_2020")
    fig.axes[0].set_xlabel(text("report.index.cut", rep.lang))
    fig.set_size_inches(7, 8)
    return _described(fig, "peers", rep)


def peers_table(rep: UnitReport) -> str:
    lang = rep.lang
    s = rep.summary.set_index("unit_id")
    if rep.unit_id not in s.index:
        return ""
    row = s.loc[rep.unit_id]
    items = [(text("report.peers.cut", lang), fmt.signed(row["cut_2020_pct"], lang, 1, "%"))]
    if isinstance(row.get("cluster_label_" + lang), str):
        items.append((text("report.peers.cluster", lang),
                      f"{int(row['cluster'])}: {row['cluster_label_' + lang]}"))
    assessed = False
    for outcome in ("innovations", "ikm"):
        pre = f"resilience_{outcome}_"
        if pre + "effect" not in s or pd.isna(row.get(pre + "effect")):
            continue
        assessed = True
        cell = {k: row.get(pre + k) for k in ("effect", "ci_low", "ci_high", "verdict", "rank",
                                              "rank_low", "rank_high")}
        items.append((text("report.peers.resilience", lang, what=label(outcome, lang),
                           unit=category("resilience_unit", outcome, lang)),
                      sentences.resilience_unit(cell, int(s[pre + "effect"].notna().sum()),
                                                lang)))
    if not assessed:
        items.append((text("report.peers.resilience_none", lang),
                      text("report.peers.not_assessed", lang)))
    return str(markup.kv_table(items))


def leadership_table(rep: UnitReport) -> str:
    lang = rep.lang
    ev = rep.leadership.sort_values("date")
    if ev.empty:
        return text("report.leadership.none", lang)
    head = [text("report.col.date", lang), text("report.col.event", lang)]
    rows = [[r.date.strftime("%Y-%m-%d"), label(r.event, lang)] for r in ev.itertuples()]
    return _html_table(head, rows, "simulated" in set(ev["provenance"]), lang)


def public_record_html(rep: UnitReport) -> str:
    lang = rep.lang
    pub = rep.innovations[rep.innovations["provenance"] == "public"]
    parts = []
    if not pub.empty:
        head = [text("report.col.innovation_iid", lang), label("stage", lang),
                text("report.col.form", lang), label("digital_yes", lang),
                text("report.col.maturity", lang), text("report.col.source", lang)]
        rows = [[r.name + (" *" if r.is_duplicate else ""), category("stage", r.stage, lang),
                 category("form", r.form, lang), "✓" if r.digital else "–",
                 fmt.number(r.maturity, lang, 0), r.source] for r in pub.itertuples()]
        parts.append(_html_table(head, rows, False, lang))
        if pub["is_duplicate"].any():
            parts.append(str(markup.render("para.html.j2",
                                           text=text("report.public.duplicate", lang))))
    svc = rep.public_service
    if not svc.empty:
        head = [label("year", lang), label("ombudsman_score", lang),
                text("report.col.entity", lang), text("report.col.source", lang)]
        rows = [[r.year, fmt.number(r.value, lang), r.entity, r.source] for r in svc.itertuples()]
        parts.append(_html_table(head, rows, False, lang))
    if not parts:
        return str(markup.render("para.html.j2", text=text("report.public.none", lang)))
    return "".join(parts)


def caveats_md(rep: UnitReport) -> str:
    """The caveats as Markdown bullets; the model's size is read from the data."""
    lang = rep.lang
    lines = [text("report.caveat.clusters", lang, units=len(rep.summary),
                  years=rep.model_years), text("report.caveat.causation", lang)]
    if rep.simulated:
        lines.insert(0, text("report.caveat.simulated", lang))
    return "\n".join(f"- {line}" for line in lines)


def _html_table(head: list[str], rows: list[list], simulated: bool, lang: str) -> str:
    """A report table; a table of simulated numbers says so in its caption, in the page's
    language."""
    cap = label("simulated_banner", lang) if simulated else ""
    return str(markup.table(head, rows, caption=cap))


def show(fig, dpi: int = 100) -> None:
    """Display a figure once as PNG at ``dpi``, with its description as alt text, and release
    it (:func:`analysis.publish.display.show_figures`, the notebooks' display path too);
    nothing for ``None``."""
    show_figures(fig, dpi=dpi)


def index_summary(data_dir: str | Path | None = None, lang: str = "id") -> dict[str, dict]:
    """Columns of the index page per unit (numbers, so the browser sorts them)."""
    try:
        s = store.load_table("unit_summary", data_dir or None)
    except store.NotBuiltError:
        return {}
    cols = {k: text(f"report.index.{k}", lang) for k in (
        "cut", "innovations", "ikm", "grade", "cluster", "resilience", "provenance")}
    out: dict[str, dict] = {}
    for r in s.itertuples():
        row = {
            cols["cut"]: None if pd.isna(r.cut_2020_pct) else round(float(r.cut_2020_pct), 1),
            cols["innovations"]: int(r.innovations_total),
            cols["ikm"]: None if pd.isna(r.ikm_last) else round(float(r.ikm_last), 2),
            cols["grade"]: r.ikm_grade_last if isinstance(r.ikm_grade_last, str) else None,
        }
        label_col = f"cluster_label_{lang}"
        if hasattr(r, label_col):
            row[cols["cluster"]] = getattr(r, label_col)
        verdict = getattr(r, "resilience_innovations_verdict", None)
        if isinstance(verdict, str) and verdict:
            row[cols["resilience"]] = sentences.verdict(verdict, lang, short=True)
        row[cols["provenance"]] = " + ".join(category("provenance", p, lang)
                                             for p in str(r.provenance).split("+"))
        out[str(r.unit_id)] = row
    return out
