"""Everything the per-unit report template shows, so the template stays thin.

The template (``notebooks/reports/opd_report.ipynb``) calls :func:`load` with its parameters
and then one function per section. Nothing here fits a model: the models were fitted once by
the build; a report only reads its slice of the processed tables and draws.

All text from data goes through :func:`html.escape` (names never become raw HTML); unit ids are
checked against the registry before anything is read.
"""

from __future__ import annotations

import difflib
import html
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import config
from analysis.data import store
from analysis.narrative import fmt
from analysis.narrative.labels import check_lang, label
from analysis.publish import plots

SECTIONS = {
    "who": {"id": "Profil unit", "en": "About the unit"},
    "budget": {"id": "Anggaran dan pemotongan 2020", "en": "Budget and the 2020 cut"},
    "routine": {"id": "Belanja rutin (program penunjang)",
                "en": "Routine spending (support programme)"},
    "innovation": {"id": "Inovasi daerah", "en": "Regional innovations"},
    "service": {"id": "Indikator pelayanan", "en": "Service indicators"},
    "peers": {"id": "Posisi di antara OPD lain", "en": "Standing among peers"},
    "leadership": {"id": "Pergantian pimpinan", "en": "Changes of head"},
    "public": {"id": "Catatan publik (data nyata, bersumber)",
               "en": "Public record (real, cited data)"},
    "caveats": {"id": "Catatan dan keterbatasan", "en": "Caveats"},
}
KIND_LABEL = {
    "sekretariat": ("Sekretariat", "Secretariat"), "inspektorat": ("Inspektorat", "Inspectorate"),
    "dinas": ("Dinas", "Agency (dinas)"), "badan": ("Badan", "Board (badan)"),
    "lembaga": ("Lembaga teknis", "Technical unit"), "rsud": ("RSUD", "Regional hospital"),
    "kecamatan": ("Kecamatan", "District (kecamatan)"),
}


# ----------------------------------------------------------------------- resilience, shared
# One reading of the counterfactual resilience table (models.resilience) for the notebooks,
# the per-unit reports, the deck and the brief, so their words cannot drift apart.

RESILIENCE_COLUMNS = ("outcome", "unit_id", "effect", "ci_low", "ci_high", "rank", "rank_low",
                      "rank_high", "verdict")
VERDICTS = ("above", "indistinguishable", "below", "not estimable")
VERDICT_WORDS = {
    "above": {"id": "di atas kontrafaktual (interval di atas 0)",
              "en": "above its counterfactual (interval above 0)"},
    "below": {"id": "di bawah kontrafaktual (interval di bawah 0)",
              "en": "below its counterfactual (interval below 0)"},
    "indistinguishable": {"id": "tidak dapat dibedakan dari kontrafaktual (interval memuat 0)",
                          "en": "indistinguishable from its counterfactual (interval "
                                "contains 0)"},
    "not estimable": {"id": "tidak dapat ditaksir", "en": "not estimable"},
}
RESILIENCE_UNITS = {"innovations": {"id": "inovasi per tahun", "en": "innovations a year"},
                    "ikm": {"id": "poin IKM", "en": "IKM points"}}


def check_resilience(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` if it has the counterfactual resilience columns; a ValueError naming the missing
    ones otherwise (data built before the counterfactual resilience: rebuild)."""
    missing = [c for c in RESILIENCE_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"the resilience table lacks {missing}: it was built before the "
                         "counterfactual resilience (models.resilience); rebuild the data with "
                         "`python -m analysis build`")
    return df


def rank_text(row, lang: str) -> str:
    """"rank 3 (95%: 1–7)" / "peringkat 3 (95%: 1–7)"."""
    r, lo, hi = (getattr(row, k, np.nan) if not isinstance(row, dict) else row.get(k, np.nan)
                 for k in ("rank", "rank_low", "rank_high"))
    if pd.isna(r):
        return fmt.MISSING
    word = {"id": "peringkat", "en": "rank"}[lang]
    if pd.isna(lo) or pd.isna(hi):
        return f"{word} {int(r)}"
    return f"{word} {int(r)} (95%: {int(lo)}–{int(hi)})"


def separated_ends(g: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Units of one outcome whose 95 % rank interval lies entirely above (top) or below
    (bottom) every other unit's: the only ones that may be called best or worst."""
    g = g.dropna(subset=["rank_low", "rank_high"])
    top, bottom = [], []
    for r in g.itertuples():
        others = g[g["unit_id"] != r.unit_id]
        if others.empty:
            continue
        if r.rank_high < others["rank_low"].min():
            top.append(r.unit_id)
        if r.rank_low > others["rank_high"].max():
            bottom.append(r.unit_id)
    return top, bottom


def ordered_pairs(g: pd.DataFrame) -> tuple[int, int]:
    """(pairs of units whose rank intervals do not overlap, all pairs) within one outcome."""
    g = g.dropna(subset=["rank_low", "rank_high"])
    lo, hi = g["rank_low"].to_numpy(float), g["rank_high"].to_numpy(float)
    n = len(g)
    sep = sum(1 for i in range(n) for j in range(i + 1, n) if hi[i] < lo[j] or hi[j] < lo[i])
    return sep, n * (n - 1) // 2


def resilience_ranking_words(g: pd.DataFrame, lang: str, names=None) -> str:
    """The sentence on ranking for one outcome: which units (if any) are separated from all
    others by their rank intervals, and how many pairs can be ordered at all."""
    names = names if names is not None else {}
    top, bottom = separated_ends(g)
    sep, total = ordered_pairs(g)

    def nm(u):
        return str(names.get(u, u))

    parts = []
    if top:
        parts.append({"id": f"interval peringkat {', '.join(map(nm, top))} berada di atas semua "
                            "OPD lain (paling tahan)",
                      "en": f"the rank interval of {', '.join(map(nm, top))} lies above every "
                            "other OPD's (held up best)"}[lang])
    if bottom:
        parts.append({"id": f"interval peringkat {', '.join(map(nm, bottom))} berada di bawah "
                            "semua OPD lain (paling tidak tahan)",
                      "en": f"the rank interval of {', '.join(map(nm, bottom))} lies below "
                            "every other OPD's (held up worst)"}[lang])
    if not parts:
        parts.append({"id": "tidak ada OPD yang interval peringkatnya terpisah dari semua OPD "
                            "lain, jadi tidak ada yang disebut paling atau paling tidak tahan",
                      "en": "no OPD's rank interval is separate from all others, so none is "
                            "called the best or the worst"}[lang])
    pairs = {"id": f"{sep} dari {total} pasangan OPD dapat diurutkan (interval peringkat tidak "
                   "tumpang tindih)",
             "en": f"{sep} of {total} pairs of OPDs can be ordered (their rank intervals do "
                   "not overlap)"}[lang]
    return "; ".join(parts) + "; " + pairs + "."


class ReportParameterError(ValueError):
    """A report parameter is invalid; the message says which and what is allowed."""


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

    @property
    def simulated(self) -> bool:
        return "simulated" in self.provenances

    @property
    def unit_id(self) -> str:
        return str(self.unit["unit_id"])


def validate_params(unit_id: str, lang: str, years, units: pd.DataFrame) -> tuple[int, int]:
    """Check the template parameters; raise ReportParameterError with a clear message."""
    try:
        check_lang(lang)
    except ValueError as exc:
        raise ReportParameterError(str(exc)) from None
    known = units.loc[units["is_opd"], "unit_id"].tolist()
    if unit_id not in known:
        close = difflib.get_close_matches(str(unit_id), known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ReportParameterError(f"unknown unit id {unit_id!r}{hint} (known: {len(known)} "
                                   "units in data/processed/units.parquet)")
    try:
        y0, y1 = (int(y) for y in years)
    except (TypeError, ValueError):
        raise ReportParameterError(f"years must be [first, last], got {years!r}") from None
    if not (1990 <= y0 <= y1 <= 2100):
        raise ReportParameterError(f"years must be increasing and plausible, got {years!r}")
    return y0, y1


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
    provs = set(panel["provenance"]) | set(inn["provenance"]) | set(lead["provenance"])
    return UnitReport(units.set_index("unit_id").loc[unit_id].rename(unit_id).to_frame().T
                      .reset_index(names="unit_id").iloc[0], lang, (y0, y1), panel,
                      summary, regency[regency["year"].between(y0, y1)], inn, lead,
                      svc[svc["provenance"] == "public"], provs)


# ---------------------------------------------------------------------------------------------
# text helpers

def heading(key: str, lang: str) -> str:
    return f"## {SECTIONS[key][lang]}"


def esc(x: object) -> str:
    return html.escape("" if x is None or (isinstance(x, float) and np.isnan(x)) else str(x))


def banner_html(rep: UnitReport) -> str:
    """The page banner: says plainly when any part of the report is simulated."""
    if not rep.simulated:
        return ""
    text = label("simulated_banner", rep.lang)
    extra = {"id": "Angka anggaran, inovasi per tahun, IKM, pengaduan dan pimpinan pada laporan "
                   "ini berasal dari panel simulasi yang dikalibrasi ke total APBD nyata. "
                   "Hanya bagian 'Catatan publik' yang berisi data nyata.",
             "en": "Budget figures, yearly innovation counts, IKM, complaints and heads in this "
                   "report come from a simulated panel calibrated to the real APBD totals. Only "
                   "the 'Public record' section holds real data."}[rep.lang]
    return (f'<div class="batang-banner" style="border:3px solid #b00;background:#fff3f3;'
            f'padding:8px 12px;margin:8px 0;font-weight:bold;color:#900">{esc(text)}'
            f'<div style="font-weight:normal;color:#333">{esc(extra)}</div></div>')


def title_html(rep: UnitReport) -> str:
    u = rep.unit
    kind = KIND_LABEL.get(u["kind"], (u["kind"], u["kind"]))[0 if rep.lang == "id" else 1]
    sub = {"id": "Laporan unit", "en": "Unit report"}[rep.lang]
    abbr = f" ({esc(u['abbreviation'])})" if isinstance(u["abbreviation"], str) else ""
    return (f"<h1>{esc(u['name'])}{abbr}</h1><p>{sub} · {esc(kind)} · "
            f"{rep.years[0]}–{rep.years[1]} · id <code>{esc(rep.unit_id)}</code></p>")


def who_html(rep: UnitReport) -> str:
    u = rep.unit
    fl = {"id": ("Ya", "Tidak"), "en": ("Yes", "No")}[rep.lang]
    rows = [
        ({"id": "Nama", "en": "Name"}, u["name"]),
        ({"id": "Jenis", "en": "Kind"}, u["kind"]),
        ({"id": "Sektor", "en": "Sector"}, u["sector"]),
        ({"id": "Layanan garis depan (survei SKM)", "en": "Front-line service (SKM survey)"},
         fl[0] if u["front_line"] else fl[1]),
        ({"id": "Kode Kemendagri", "en": "Kemendagri code"}, u.get("kemendagri_code")),
        ({"id": "Sumber daftar unit", "en": "Source of the unit list"}, u.get("source")),
    ]
    body = "".join(f"<tr><th>{esc(k[rep.lang])}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    return f'<table class="batang-kv">{body}</table>'


# ---------------------------------------------------------------------------------------------
# budget

def budget_figure(rep: UnitReport):
    long = rep.panel.melt(id_vars=["year"], value_vars=["budget_murni", "budget_perubahan",
                                                        "budget_realisasi"],
                          var_name="stage", value_name="amount_idr")
    long["stage"] = long["stage"].str.removeprefix("budget_")
    return plots.budget_path(long, lang=rep.lang, simulated=rep.simulated)


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
        out.append({"id": "Data anggaran tidak tersedia untuk: ",
                    "en": "No budget figures for: "}[lang] + "; ".join(gaps) + ".")
    if "mixed" in rep.regency:
        mixed = [str(y) for y in rep.regency.loc[rep.regency["mixed"].fillna(False)
                                                 .astype(bool), "year"]]
        if mixed:
            out.append({"id": "Total kabupaten tahun " + ", ".join(mixed) + " menggabungkan "
                              "angka impor (user) dan angka simulasi.",
                        "en": "Regency totals for " + ", ".join(mixed) + " combine imported "
                              "(user) and simulated figures."}[lang])
    return " ".join(out)


def budget_text(rep: UnitReport) -> str:
    """Sentences on the 2020 cut, built from the numbers, and what is missing."""
    text = _cut_text(rep)
    extra = missing_text(rep)
    return f"{text} {extra}" if extra else text


def _cut_text(rep: UnitReport) -> str:
    lang = rep.lang
    s = rep.summary.set_index("unit_id")
    cut = s.loc[rep.unit_id, "cut_2020"] if rep.unit_id in s.index else np.nan
    if pd.isna(cut):
        return {"id": "Pemotongan 2020 tidak dapat dihitung untuk unit ini (data sebelum 2020 "
                      "tidak lengkap).",
                "en": "The 2020 cut cannot be computed for this unit (incomplete pre-2020 "
                      "data)."}[lang]
    pct = np.expm1(cut)
    med = np.expm1(s["cut_2020"].median())
    rank = int(s["cut_2020"].rank(method="min").loc[rep.unit_id])
    n = int(s["cut_2020"].notna().sum())
    if lang == "id":
        verb = "di bawah" if pct < 0 else "di atas"
        return (f"Realisasi 2020 unit ini {fmt.percent(abs(pct), 'id')} {verb} tren "
                f"sebelum 2020 (median seluruh unit: {fmt.percent(med, 'id')}). Peringkat "
                f"pemotongan: {rank} dari {n} (1 = dipotong paling dalam).")
    verb = "below" if pct < 0 else "above"
    return (f"The unit's 2020 spending was {fmt.percent(abs(pct), 'en')} {verb} its pre-2020 "
            f"trend (median of all units: {fmt.percent(med, 'en')}). Cut rank: {rank} of {n} "
            "(1 = deepest cut).")


def budget_table(rep: UnitReport) -> str:
    lang = rep.lang
    p = rep.panel
    r = rep.regency.set_index("year")
    cols = {
        "year": {"id": "Tahun", "en": "Year"},
        "murni": {"id": "APBD murni", "en": "Original"},
        "perubahan": {"id": "APBD perubahan", "en": "Revised"},
        "realisasi": {"id": "Realisasi", "en": "Actual"},
        "rate": {"id": "Tingkat realisasi", "en": "Realisation rate"},
        "chg": {"id": "Perubahan realisasi", "en": "Change in actual"},
        "reg": {"id": "Perubahan kabupaten", "en": "Change, regency"},
    }
    rows = []
    for row in p.itertuples():
        rows.append([row.year, fmt.rupiah(row.budget_murni, lang),
                     fmt.rupiah(row.budget_perubahan, lang),
                     fmt.rupiah(row.budget_realisasi, lang),
                     fmt.percent(row.realisation_rate, lang),
                     fmt.percent(np.expm1(row.dlog_budget), lang),
                     fmt.percent(np.expm1(r["dlog_budget"].get(row.year, np.nan)), lang)])
    return _html_table([c[lang] for c in cols.values()], rows, rep.simulated)


def routine_figure(rep: UnitReport):
    """This unit's routine (penunjang) share of actual spending against the median unit."""
    df = rep.panel[["year", "penunjang_share"]].merge(rep.regency[["year", "penunjang_median"]],
                                                      on="year", how="left")
    names = {"penunjang_share": str(rep.unit.get("abbreviation") or rep.unit_id),
             "penunjang_median": {"id": "Median semua unit", "en": "Median of all units"}[
                 rep.lang]}
    return plots.year_lines(df, names, lang=rep.lang, simulated=rep.simulated,
                            ylabel_key="penunjang_share", percent=True)


# ---------------------------------------------------------------------------------------------
# innovation

def innovation_figure(rep: UnitReport):
    inn = rep.innovations[(rep.innovations["provenance"] != "public")
                          & ~rep.innovations["is_duplicate"]]
    inn = inn[inn["reporting_year"].between(*rep.years)]
    if inn.empty:
        return None
    return plots.counts_stacked(inn.assign(provenance=inn["provenance"]), lang=rep.lang,
                                category="stage", year="reporting_year",
                                simulated=rep.simulated)


def innovation_table(rep: UnitReport) -> str:
    lang = rep.lang
    p = rep.panel
    head = [label(k, lang) if k != "year" else {"id": "Tahun", "en": "Year"}[lang] for k in
            ("year", "innovations", "inisiatif", "uji_coba", "implementasi", "innovations_digital")]
    rows = [[r.year, r.innovations, r.innov_inisiatif, r.innov_uji_coba, r.innov_implementasi,
             r.innov_digital] for r in p.itertuples()]
    return _html_table(head, rows, rep.simulated)


def innovation_text(rep: UnitReport) -> str:
    p = rep.panel
    total = int(p["innovations"].sum())
    dig = int(p["innov_digital"].sum())
    pre = p.loc[p["year"] < 2020, "innovations"].mean()
    post = p.loc[p["year"] >= 2020, "innovations"].mean()
    if rep.lang == "id":
        return (f"{total} inovasi tercatat {rep.years[0]}–{rep.years[1]}, {dig} di antaranya "
                f"digital. Rata-rata per tahun: {fmt.number(pre, 'id', 1)} sebelum 2020, "
                f"{fmt.number(post, 'id', 1)} sejak 2020.")
    return (f"{total} innovations recorded {rep.years[0]}–{rep.years[1]}, {dig} of them digital. "
            f"Mean per year: {fmt.number(pre, 'en', 1)} before 2020, "
            f"{fmt.number(post, 'en', 1)} from 2020.")


# ---------------------------------------------------------------------------------------------
# service

def service_table(rep: UnitReport) -> str | None:
    lang = rep.lang
    p = rep.panel
    cols = [c for c in ("ikm", "ombudsman_score", "complaints", "service_days") if c in p]
    if not rep.unit["front_line"] or p[cols].isna().all().all():
        return None
    head = [{"id": "Tahun", "en": "Year"}[lang]] + [label(c, lang) for c in cols]
    head.insert(2, {"id": "Mutu (SKM)", "en": "Grade (SKM)"}[lang])
    rows = []
    for r in p.itertuples():
        vals = [fmt.number(getattr(r, c), lang, 2 if c != "complaints" else 0) for c in cols]
        grade = getattr(r, "ikm_grade", None)
        vals.insert(1, grade if isinstance(grade, str) else "–")
        n = getattr(r, "ikm_n", np.nan)
        if not pd.isna(n):
            vals[0] += f" (n={int(n)})"
        rows.append([r.year, *vals])
    return _html_table(head, rows, rep.simulated)


def service_text(rep: UnitReport) -> str:
    lang = rep.lang
    if not rep.unit["front_line"]:
        return {"id": "Unit ini tidak tercatat sebagai unit layanan garis depan; indikator "
                      "SKM/IKM tidak tersedia.",
                "en": "This unit is not recorded as a front-line service unit; no SKM/IKM "
                      "indicators."}[lang]
    p = rep.panel.dropna(subset=["ikm"]) if "ikm" in rep.panel else rep.panel.iloc[0:0]
    if p.empty:
        return {"id": "Tidak ada data IKM.", "en": "No IKM data."}[lang]
    first, last = p.iloc[0], p.iloc[-1]
    if lang == "id":
        return (f"IKM {int(first.year)}: {fmt.number(first.ikm, 'id')} (mutu {first.ikm_grade}); "
                f"{int(last.year)}: {fmt.number(last.ikm, 'id')} (mutu {last.ikm_grade}), "
                "dihitung dari jawaban survei SKM sesuai PermenPANRB 14/2017.")
    return (f"IKM {int(first.year)}: {fmt.number(first.ikm, 'en')} (grade {first.ikm_grade}); "
            f"{int(last.year)}: {fmt.number(last.ikm, 'en')} (grade {last.ikm_grade}), computed "
            "from SKM survey answers as PermenPANRB 14/2017 defines.")


# ---------------------------------------------------------------------------------------------
# peers, leadership, public record

def peers_figure(rep: UnitReport):
    s = rep.summary.dropna(subset=["cut_2020"]).set_index("unit_id")["cut_2020"]
    series = np.expm1(s) * 100
    # a unit whose cut cannot be computed (partial data) is simply not highlighted
    fig = plots.bar_ranked(series, lang=rep.lang, simulated=rep.simulated,
                           highlight=rep.unit_id if rep.unit_id in series.index else None,
                           xlabel_key="cut_2020")
    fig.axes[0].set_xlabel(label("cut_2020", rep.lang) + " (%)")
    fig.set_size_inches(7, 8)
    return fig


def peers_table(rep: UnitReport) -> str:
    lang = rep.lang
    s = rep.summary.set_index("unit_id")
    if rep.unit_id not in s.index:
        return ""
    row = s.loc[rep.unit_id]
    items = [({"id": "Pemotongan 2020", "en": "2020 cut"}, fmt.percent(np.expm1(row["cut_2020"]),
                                                                     lang))]
    if isinstance(row.get("cluster_label_" + lang), str):
        items.append(({"id": "Kelompok (tipologi)", "en": "Cluster (typology)"},
                      f"{int(row['cluster'])}: {row['cluster_label_' + lang]}"))
    for outcome in ("innovations", "ikm"):
        col = f"resilience_{outcome}_effect"
        if col not in s or pd.isna(row.get(col)):
            continue
        n = int(s[col].notna().sum())
        what = label(outcome, lang)
        unit = RESILIENCE_UNITS[outcome][lang]
        pre = f"resilience_{outcome}_"
        verdict = VERDICT_WORDS.get(row.get(pre + "verdict"), {}).get(lang, "")
        rank = rank_text({"rank": row.get(pre + "rank"), "rank_low": row.get(pre + "rank_low"),
                          "rank_high": row.get(pre + "rank_high")}, lang)
        items.append(({"id": f"Ketahanan: {what} (selisih terhadap kontrafaktual, {unit}, "
                             "interval 95%)",
                       "en": f"Resilience: {what} (difference from the counterfactual, {unit}, "
                             "95% interval)"},
                      f"{fmt.number(row[col], lang)} [{fmt.number(row[pre + 'ci_low'], lang)}; "
                      f"{fmt.number(row[pre + 'ci_high'], lang)}]: {verdict}; {rank} "
                      + {"id": f"dari {n} OPD yang dipotong", "en": f"of {n} cut OPDs"}[lang]
                      + {"id": " (peringkat hanya bermakna sejauh interval peringkat tidak "
                               "tumpang tindih)",
                         "en": " (a rank means something only where rank intervals do not "
                               "overlap)"}[lang]))
    if not any(str(k["en"]).startswith("Resilience") for k, _ in items):
        items.append(({"id": "Ketahanan", "en": "Resilience"},
                      {"id": "tidak dinilai: unit ini tidak dipotong pada 2020 atau datanya "
                             "kurang",
                       "en": "not assessed: the unit was not cut in 2020 or lacks data"}[lang]))
    body = "".join(f"<tr><th>{esc(k[lang])}</th><td>{esc(v)}</td></tr>" for k, v in items)
    return f'<table class="batang-kv">{body}</table>'


def leadership_table(rep: UnitReport) -> str:
    lang = rep.lang
    ev = rep.leadership.sort_values("date")
    if ev.empty:
        return {"id": "Tidak ada catatan pergantian pimpinan.",
                "en": "No change of head recorded."}[lang]
    head = [{"id": "Tanggal", "en": "Date"}[lang], {"id": "Peristiwa", "en": "Event"}[lang]]
    rows = [[r.date.strftime("%Y-%m-%d"), label(r.event, lang)] for r in ev.itertuples()]
    return _html_table(head, rows, "simulated" in set(ev["provenance"]))


def public_record_html(rep: UnitReport) -> str:
    lang = rep.lang
    pub = rep.innovations[rep.innovations["provenance"] == "public"]
    parts = []
    if not pub.empty:
        head = [{"id": "Inovasi (IID 2021)", "en": "Innovation (IID 2021)"}[lang],
                {"id": "Tahap", "en": "Stage"}[lang], {"id": "Bentuk", "en": "Form"}[lang],
                "Digital", {"id": "Kematangan", "en": "Maturity"}[lang],
                {"id": "Sumber", "en": "Source"}[lang]]
        rows = [[r.name + (" *" if r.is_duplicate else ""), label(r.stage, lang),
                 label(r.form, lang), "✓" if r.digital else "–",
                 fmt.number(r.maturity, lang, 0), r.source] for r in pub.itertuples()]
        parts.append(_html_table(head, rows, False))
        if pub["is_duplicate"].any():
            parts.append(esc({"id": "* kemungkinan duplikat dari profil lain",
                              "en": "* possible duplicate of another profile"}[lang]))
    svc = rep.public_service
    if not svc.empty:
        head = [{"id": "Tahun", "en": "Year"}[lang], label("ombudsman_score", lang),
                {"id": "Entitas", "en": "Entity"}[lang], {"id": "Sumber", "en": "Source"}[lang]]
        rows = [[r.year, fmt.number(r.value, lang), r.entity, r.source] for r in svc.itertuples()]
        parts.append(_html_table(head, rows, False))
    if not parts:
        return esc({"id": "Tidak ada data publik per unit untuk unit ini dalam kumpulan data "
                          "publik.",
                    "en": "No per-unit public data for this unit in the public data set."}[lang])
    return "".join(parts)


def caveats_md(rep: UnitReport) -> str:
    if rep.lang == "id":
        lines = [
            "- Model ditaksir sekali untuk semua unit (44 unit × 9 tahun); galat baku "
            "dikelompokkan per unit. Dengan 44 kelompok, interval bisa terlalu sempit.",
            "- Asosiasi bukan bukti sebab-akibat: pemotongan 2020 tidak acak antar OPD.",
        ]
        if rep.simulated:
            lines.insert(0, "- **Data simulasi**: angka per OPD pada laporan ini bukan temuan "
                            "tentang kantor nyata. Data per OPD yang nyata (SIPD, LRA, SKM) dapat "
                            "diimpor untuk menggantikannya.")
    else:
        lines = [
            "- Models are fitted once for all units (44 units × 9 years); standard errors are "
            "clustered by unit. With 44 clusters, intervals may be too narrow.",
            "- Association is not causation: the 2020 cuts were not random across OPDs.",
        ]
        if rep.simulated:
            lines.insert(0, "- **Simulated data**: the per-OPD numbers in this report are not a "
                            "finding about a real office. Real per-OPD files (SIPD, LRA, SKM) can "
                            "be imported to replace them.")
    return "\n".join(lines)


def _html_table(head: list[str], rows: list[list], simulated: bool) -> str:
    cap = f"<caption>{esc(label('simulated_banner', 'id'))}</caption>" if simulated else ""
    th = "".join(f"<th>{esc(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in r) + "</tr>" for r in rows)
    return f'<table class="batang-table">{cap}<thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


# ---------------------------------------------------------------------------------------------
# derived build step

def summary_tables(tables: dict[str, pd.DataFrame], truth: dict | None = None
                   ) -> dict[str, pd.DataFrame]:
    """Per-unit summary (peers, index page) and regency totals per year, computed once."""
    panel = tables.get("panel")
    if panel is None or panel.empty:
        return {}
    keys = ["region_code", "unit_id"]
    last = panel.sort_values("year").groupby(keys).tail(1).set_index(keys)
    g = panel.groupby(keys)
    s = pd.DataFrame({
        "name": g["name"].first(),
        "kind": g["kind"].first(),
        "cut_2020": g["cut_2020"].first(),
        "innovations_total": g["innovations"].sum(),
        "penunjang_share_mean": g["penunjang_share"].mean(),
        "ikm_last": last["ikm"] if "ikm" in last else np.nan,
        "ikm_grade_last": last["ikm_grade"] if "ikm_grade" in last else None,
        "provenance": g["provenance"].agg(lambda x: "+".join(sorted(set(x)))),
    })
    s["cut_2020"] = pd.to_numeric(s["cut_2020"], errors="coerce").astype(float)
    s["cut_rank"] = s["cut_2020"].rank(method="min")
    typ = tables.get("typology")
    if typ is not None and not typ.empty:
        t = typ.set_index("unit_id")[["cluster", "description_id", "description_en"]]
        t = t.rename(columns={"description_id": "cluster_label_id",
                              "description_en": "cluster_label_en"})
        s = s.join(t, on="unit_id")
    res = tables.get("resilience")
    if res is not None and not res.empty:
        for outcome, r in res.groupby("outcome"):
            if not outcome:
                continue
            cols = [c for c in ("effect", "ci_low", "ci_high", "rank", "rank_low", "rank_high",
                                "verdict", "note") if c in r.columns]
            part = r.set_index("unit_id")[cols]
            s = s.join(part.add_prefix(f"resilience_{outcome}_"), on="unit_id")
    regency = panel.groupby(["region_code", "year"])[["budget_murni", "budget_perubahan",
                                                      "budget_realisasi", "innovations"]].sum(
        min_count=1).reset_index()
    regency = regency.merge(panel.groupby(["region_code", "year"])["penunjang_share"].median()
                            .rename("penunjang_median").reset_index(), on=["region_code", "year"])
    regency = regency.sort_values(["region_code", "year"])
    regency["provenance"] = ("simulated" if (panel["provenance"] == "simulated").any()
                             else "user")
    # which kinds of budget figures a year's regency totals add up: "simulated", "user" or
    # "simulated+user" (mixed: the totals combine imported and simulated units or stages)
    src = panel.groupby(["region_code", "year"])["provenance_budget"].agg(
        lambda x: "+".join(sorted({p for v in x.dropna() for p in str(v).split("+")})))
    regency = regency.merge(src.rename("budget_sources").reset_index(),
                            on=["region_code", "year"], how="left")
    regency["mixed"] = regency["budget_sources"].fillna("").str.contains(r"\+")
    regency["dlog_budget"] = np.log(regency["budget_realisasi"]
                                    / regency.groupby("region_code")["budget_realisasi"].shift(1))
    return {"unit_summary": s.reset_index(), "regency_year": regency}


def show(fig, dpi: int = 100) -> None:
    """Display a figure once as PNG and release it. One draw: the style's constrained layout
    already fits the labels, so the inline backend's second, "tight" draw is not needed."""
    if fig is None:
        return
    import io as _io

    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    buf = _io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches=None)
    plt.close(fig)
    display(Image(data=buf.getvalue(), format="png"))


def index_summary(data_dir: str | Path | None = None, lang: str = "id") -> dict[str, dict]:
    """Columns of the index page per unit (numbers, so the browser sorts them)."""
    try:
        s = store.load_table("unit_summary", data_dir or None)
    except store.NotBuiltError:
        return {}
    cols = {
        "cut": {"id": "Pemotongan 2020 (%)", "en": "2020 cut (%)"}[lang],
        "inn": {"id": "Inovasi (jumlah)", "en": "Innovations (total)"}[lang],
        "ikm": {"id": "IKM terakhir", "en": "Latest IKM"}[lang],
        "grade": {"id": "Mutu", "en": "Grade"}[lang],
        "cluster": {"id": "Kelompok", "en": "Cluster"}[lang],
        "res": {"id": "Ketahanan inovasi (thd kontrafaktual)",
                "en": "Innovation resilience (vs counterfactual)"}[lang],
        "prov": {"id": "Sumber data", "en": "Data"}[lang],
    }
    out: dict[str, dict] = {}
    for r in s.itertuples():
        row = {
            cols["cut"]: None if pd.isna(r.cut_2020) else round(float(np.expm1(r.cut_2020)) * 100, 1),
            cols["inn"]: int(r.innovations_total),
            cols["ikm"]: None if pd.isna(r.ikm_last) else round(float(r.ikm_last), 2),
            cols["grade"]: r.ikm_grade_last if isinstance(r.ikm_grade_last, str) else None,
        }
        label_col = f"cluster_label_{lang}"
        if hasattr(r, label_col):
            row[cols["cluster"]] = getattr(r, label_col)
        verdict = getattr(r, "resilience_innovations_verdict", None)
        if isinstance(verdict, str) and verdict:
            row[cols["res"]] = {"above": {"id": "di atas", "en": "above"},
                                "below": {"id": "di bawah", "en": "below"},
                                "indistinguishable": {"id": "tak terbedakan",
                                                      "en": "indistinguishable"},
                                "not estimable": {"id": "tak dapat ditaksir",
                                                  "en": "not estimable"}}.get(
                verdict, {"id": verdict, "en": verdict})[lang]
        row[cols["prov"]] = r.provenance
        out[str(r.unit_id)] = row
    return out
