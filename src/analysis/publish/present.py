"""Presenting findings: a slide deck, publication figures and a one-page brief, id or en.

``python -m analysis present [--lang id|en] [--out reports/]`` (and ``make present``) writes::

    reports/figures/NN-<what>.<lang>.png / .svg   every headline figure, 300 dpi PNG and SVG
    reports/figures/captions.<lang>.md            caption, data kind and source of each figure
    reports/deck.<lang>.html                      the slide deck (one self-contained file)
    reports/brief.<lang>.html / .pdf              the one-page brief for the regent (A4)
    reports/present.<lang>.json                   what was written, timings, PDF page count

Everything the deck and the brief show is computed here, from the processed tables the build
wrote (models were fitted once by the build; nothing is refitted). The two notebook templates
in ``notebooks/presentation/`` are thin: parameters, a validation cell, then one call per
slide or section. Sentences are generated from the results with their 95 % intervals; no
number is typed into a template.

The deck is produced by nbconvert's ``SlidesExporter`` (cells become ``<section>`` elements by
their ``slideshow`` metadata) with a template of our own instead of the reveal.js one, whose
page loads reveal.js, require.js and jQuery from a CDN. Ours inlines a small stylesheet and a
few lines of script (arrow keys, space, PageUp/PageDown, Home/End, swipe, ``#3`` addresses a
slide, print = one slide per page), so the deck opens offline, from a USB stick or an e-mail,
with nothing downloaded at render time. See docs/presenting.md for the reasons.

The PDF of the brief is printed by headless Chromium (``--print-to-pdf``). Without a browser the
HTML is still written, the command says that the PDF needs Chromium and exits with status 3
(``--no-pdf`` skips the PDF on purpose and exits 0).
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io as _io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import config
from analysis.data import store
from analysis.methods import models
from analysis.narrative import fmt
from analysis.narrative.labels import LANGS, check_lang, label
from analysis.publish import plots, report

# exit statuses of the command
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NO_PDF = 0, 1, 2, 3

DEFAULT_CUT_PCT = 10.0
"""Default scenario: a 10 % cut (the regency's actual spending fell about 6 % in 2020)."""
DEFAULT_SCENARIO_UNIT = "dinkes"
BRIEF_ROWS = 5
"""OPDs shown at each end of the resilience table of the brief."""
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-pdf-header-footer")
PDF_SCALES = (1.0, 0.93, 0.86, 0.8)
"""Font scales tried in turn until the brief prints on one A4 page."""


class PresentParameterError(ValueError):
    """A presentation parameter is invalid; the message says which and what is allowed."""


# =================================================================================================
# words
# =================================================================================================

TEXT: dict[str, dict[str, str]] = {
    "deck_title": {"id": "Pemotongan anggaran, inovasi dan layanan OPD",
                   "en": "Budget cuts, innovation and service in the OPDs"},
    "deck_sub": {"id": "Kabupaten Batang · temuan untuk Bupati dan DPRD",
                 "en": "Kabupaten Batang · findings for the Regent and the DPRD"},
    "question": {"id": "Pertanyaan: ketika anggaran OPD dipotong (refocusing 2020 dan "
                       "sesudahnya), apakah inovasi dan mutu layanan ikut turun, OPD mana yang "
                       "bertahan, dan apa artinya bagi anggaran tahun depan?",
                 "en": "The question: when an OPD's budget was cut (the 2020 refocusing and "
                       "after), did its innovation and service quality fall with it, which OPDs "
                       "held up, and what does that mean for next year's budget?"},
    "public_title": {"id": "Belanja daerah Kabupaten Batang 2019–2026 (data nyata)",
                     "en": "Kabupaten Batang's total spending 2019–2026 (real data)"},
    "cuts_title": {"id": "Di mana pemotongan 2020 jatuh", "en": "Where the 2020 cuts fell"},
    "effects_title": {"id": "Inovasi dan layanan ketika anggaran dipotong",
                      "en": "Innovation and service when budgets are cut"},
    "event_title": {"id": "Inovasi sebelum dan sesudah 2020", "en": "Innovation before and after 2020"},
    "typology_title": {"id": "Tipologi OPD", "en": "A typology of OPDs"},
    "resilience_title": {"id": "Ketahanan: siapa bertahan meski dipotong",
                         "en": "Resilience: who held up despite the cut"},
    "scenario_title": {"id": "Skenario anggaran tahun depan",
                       "en": "A scenario for next year's budget"},
    "caveats_title": {"id": "Catatan dan keterbatasan", "en": "Caveats"},
    "brief_title": {"id": "Ringkasan untuk Bupati: pemotongan anggaran, inovasi dan layanan OPD",
                    "en": "Brief for the Regent: budget cuts, innovation and service in the OPDs"},
    "five": {"id": "Lima temuan utama", "en": "Five findings that matter most"},
    "table_title": {"id": "Ketahanan terhadap pemotongan 2020: kedua ujung peringkat",
                    "en": "Resilience to the 2020 cuts: both ends of the ranking"},
    "most": {"id": "Selisih tertinggi", "en": "Highest difference"},
    "least": {"id": "Selisih terendah", "en": "Lowest difference"},
    "rank": {"id": "Per. (95%)", "en": "Rank (95%)"},
    "opd": {"id": "OPD", "en": "OPD"},
    "res_innov": {"id": "Inovasi/tahun vs kontrafaktual (95%)",
                  "en": "Innovations/year vs counterfactual (95%)"},
    "res_ikm": {"id": "IKM vs kontrafaktual (95%)", "en": "IKM vs counterfactual (95%)"},
    "public_badge": {"id": "DATA PUBLIK — angka nyata, bersumber",
                     "en": "PUBLIC DATA — real, cited figures"},
    "to": {"id": "s.d.", "en": "to"},
    "source": {"id": "Sumber", "en": "Source"},
    "made": {"id": "Dibuat", "en": "Generated"},
    "nav_hint": {"id": "← → atau spasi untuk berpindah slide", "en": "← → or space to move"},
    "cut_pct_axis": {"id": "Realisasi 2020 terhadap tren sebelum 2020 (%; negatif = dipotong)",
                     "en": "2020 spending against the pre-2020 trend (%; negative = cut)"},
    "effect_pct": {"id": "Perubahan (%) bila anggaran 10% lebih kecil",
                   "en": "Change (%) with a 10% smaller budget"},
    "effect_pts": {"id": "Perubahan (poin) bila anggaran 10% lebih kecil",
                   "en": "Change (points) with a 10% smaller budget"},
    "scen_cut_axis": {"id": "Pemotongan anggaran tahun depan (%)",
                      "en": "Next year's budget cut (%)"},
    "scen_innov_axis": {"id": "Perubahan jumlah inovasi (%)", "en": "Change in innovations (%)"},
    "scen_ikm_axis": {"id": "Perubahan IKM tahun berikutnya (poin)",
                      "en": "Change in next year's IKM (points)"},
    "res_axis": {"id": "Inovasi per tahun di atas (+) / di bawah (−) kontrafaktual, 2020–2024",
                 "en": "Innovations per year above (+) / below (−) the counterfactual, "
                       "2020–2024"},
    "typ_x": {"id": "Pemotongan anggaran 2020 (%)", "en": "2020 budget cut (%)"},
    "typ_y": {"id": "Tren inovasi (per tahun)", "en": "Innovation trend (per year)"},
    "cluster": {"id": "Kelompok", "en": "Cluster"},
    "members": {"id": "Anggota (contoh)", "en": "Members (examples)"},
    "n_units": {"id": "Jumlah OPD", "en": "OPDs"},
    "default_cut": {"id": "skenario", "en": "scenario"},
    "median_opd": {"id": "Median OPD", "en": "Median OPD"},
    "routine_share": {"id": "Porsi program penunjang (rutin), median OPD",
                      "en": "Routine (support programme) share, median OPD"},
}

OUTCOME_WORDS = {
    "innovations": ("jumlah inovasi baru", "new innovations"),
    "ikm": ("IKM tahun berikutnya", "next year's IKM"),
    "complaints": ("jumlah pengaduan", "complaints"),
    "ombudsman_score": ("skor kepatuhan Ombudsman", "the Ombudsman compliance score"),
    "log_service_days": ("waktu layanan", "service time"),
}
SHORT_OUTCOME = {
    "innovations": ("Inovasi", "Innovations"), "ikm": ("IKM (thn berikutnya)", "IKM (next year)"),
    "complaints": ("Pengaduan", "Complaints"), "ombudsman_score": ("Skor Ombudsman",
                                                                  "Ombudsman score"),
    "log_service_days": ("Waktu layanan", "Service time"),
}
# outcome -> (model, term, measure) of the budget effect; measure "pct" or "pts"
EFFECT_SPECS = {
    "innovations": ("fe_poisson", "dlog_budget", "pct"),
    "complaints": ("fe_poisson", "dlog_budget", "pct"),
    "log_service_days": ("fe_ols", "dlog_budget", "pct"),
    "ikm": ("fe_ols", "dlog_budget_lag1", "pts"),
    "ombudsman_score": ("fe_ols", "dlog_budget", "pts"),
}


def t(key: str, lang: str) -> str:
    """A phrase of this module in ``lang``."""
    return TEXT[key][check_lang(lang)]


def esc(x: object) -> str:
    return html.escape("" if x is None else str(x))


def signed(x: float, lang: str, digits: int = 1, suffix: str = "") -> str:
    """A number with an explicit sign: ``+1,4`` / ``−6,5`` (id), ``+1.4`` (en)."""
    if fmt.is_missing(x):
        return fmt.MISSING
    text = fmt.number(x, lang, digits)
    if not text.startswith(fmt.MINUS) and fmt.round_half_up(abs(x), digits) != 0:
        text = "+" + text
    return text + suffix


def interval(lo: float, hi: float, lang: str, digits: int = 1, suffix: str = "") -> str:
    """``95%: −13,8% s.d. +1,4%`` / ``95%: −13.8% to +1.4%``."""
    return (f"95%: {signed(lo, lang, digits, suffix)} {t('to', lang)} "
            f"{signed(hi, lang, digits, suffix)}")


def pct_of_log(x: float) -> float:
    """A log change as a percent change: ``100 * (exp(x) - 1)``."""
    return float(np.expm1(x) * 100)


# =================================================================================================
# results: read once, validated
# =================================================================================================

@dataclass
class Results:
    lang: str
    data_dir: Path | None
    scenario_cut_pct: float
    scenario_unit: str
    units: pd.DataFrame
    panel: pd.DataFrame
    summary: pd.DataFrame
    regency: pd.DataFrame
    model_results: pd.DataFrame
    event_study: pd.DataFrame
    typology: pd.DataFrame
    typology_k: pd.DataFrame
    resilience: pd.DataFrame
    region_finance: pd.DataFrame
    dataset: str
    notes: list[str] = field(default_factory=list)

    @property
    def simulated(self) -> bool:
        return self.dataset == "simulated"

    def name(self, unit_id: str) -> str:
        return short_name(self.units, unit_id)


def validate_params(lang: str = "id", scenario_cut_pct: float = DEFAULT_CUT_PCT,
                    scenario_unit: str = DEFAULT_SCENARIO_UNIT) -> dict:
    """Check the template parameters (papermill only warns about unknown names)."""
    try:
        check_lang(lang)
    except ValueError as exc:
        raise PresentParameterError(str(exc)) from None
    try:
        cut = float(scenario_cut_pct)
    except (TypeError, ValueError):
        raise PresentParameterError(
            f"scenario_cut_pct must be a number of percent, got {scenario_cut_pct!r}") from None
    if not (0 < cut < 100):
        raise PresentParameterError(
            f"scenario_cut_pct must be a cut between 0 and 100 (percent), got {cut:g}")
    if not isinstance(scenario_unit, str) or not scenario_unit:
        raise PresentParameterError("scenario_unit must be a unit id such as 'dinkes'")
    return {"lang": lang, "scenario_cut_pct": cut, "scenario_unit": scenario_unit}


def load(data_dir: str | Path | None = None, lang: str = "id",
         scenario_cut_pct: float = DEFAULT_CUT_PCT,
         scenario_unit: str = DEFAULT_SCENARIO_UNIT) -> Results:
    """Validate the parameters and read every processed table the presentation uses."""
    p = validate_params(lang, scenario_cut_pct, scenario_unit)
    data_dir = Path(data_dir) if data_dir else None
    tables = {name: store.load_table(name, data_dir) for name in (
        "units", "panel", "unit_summary", "regency_year", "model_results", "event_study",
        "typology", "typology_k", "resilience", "region_finance")}
    panel = tables["panel"]
    known = sorted(set(panel["unit_id"]))
    if p["scenario_unit"] not in known:
        import difflib

        close = difflib.get_close_matches(p["scenario_unit"], known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise PresentParameterError(f"unknown scenario_unit {p['scenario_unit']!r}{hint}")
    mr = tables["model_results"]
    dataset = (str(mr["dataset"].iloc[0]) if "dataset" in mr and len(mr)
               else models.dataset_label(panel))
    return Results(p["lang"], data_dir, p["scenario_cut_pct"], p["scenario_unit"],
                   tables["units"], panel, tables["unit_summary"], tables["regency_year"], mr,
                   tables["event_study"], tables["typology"], tables["typology_k"],
                   tables["resilience"], tables["region_finance"], dataset)


def short_name(units: pd.DataFrame, unit_id: str) -> str:
    """A short display name: the abbreviation (first form), else ``Kec. X``, else the id."""
    row = units.loc[units["unit_id"] == unit_id]
    if row.empty:
        return unit_id
    r = row.iloc[0]
    abbr = r.get("abbreviation")
    if isinstance(abbr, str) and abbr.strip():
        return abbr.split(" / ")[0].split(" (")[0].strip()
    name = str(r.get("name") or unit_id)
    return name.replace("Kecamatan ", "Kec. ")


# =================================================================================================
# numbers
# =================================================================================================

def coef(res: Results, model: str, outcome: str, term: str) -> pd.Series | None:
    mr = res.model_results
    hit = mr[(mr["model"] == model) & (mr["outcome"] == outcome) & (mr["term"] == term)]
    if hit.empty or pd.isna(hit["estimate"].iloc[0]):
        return None
    return hit.iloc[0]


def effects_of_cut(res: Results, cut_pct: float = 10.0) -> pd.DataFrame:
    """What a budget ``cut_pct`` % smaller than usual goes with, per outcome, with the 95 %
    interval transformed from the coefficient's (monotone, so the interval stays exact)."""
    x = float(np.log1p(-cut_pct / 100))
    rows = []
    for outcome, (model, term, measure) in EFFECT_SPECS.items():
        c = coef(res, model, outcome, term)
        if c is None:
            continue
        f = (lambda b: 100 * np.expm1(b * x)) if measure == "pct" else (lambda b: b * x)
        lo, hi = sorted([float(f(c["ci_low"])), float(f(c["ci_high"]))])
        rows.append({"outcome": outcome, "measure": measure, "estimate": float(f(c["estimate"])),
                     "ci_low": lo, "ci_high": hi, "n": int(c["n"]),
                     "n_clusters": int(c["n_clusters"]), "spans_zero": lo <= 0 <= hi,
                     "few_clusters": int(c["n_clusters"]) < models.FEW_CLUSTERS,
                     **_pvals(c)})
    return pd.DataFrame(rows)


def cut_summary(res: Results) -> dict:
    s = res.summary.dropna(subset=["cut_2020"]).copy()
    s["pct"] = np.expm1(s["cut_2020"]) * 100
    s = s.sort_values("pct")
    reg = res.regency.set_index("year")
    share = reg["penunjang_median"] if "penunjang_median" in reg else pd.Series(dtype=float)
    return {"n": len(s), "n_cut": int((s["pct"] < 0).sum()), "median": float(s["pct"].median()),
            "q1": float(s["pct"].quantile(0.25)), "q3": float(s["pct"].quantile(0.75)),
            "deepest": [(res.name(u), float(v)) for u, v in zip(s["unit_id"].head(3),
                                                                  s["pct"].head(3), strict=True)],
            "share_2019": float(share.get(2019, np.nan)), "share_2020": float(share.get(2020,
                                                                                      np.nan)),
            "regency_2020": pct_of_log(float(reg["dlog_budget"].get(2020, np.nan)))}


def _pvals(c) -> dict:
    """Raw and Holm-adjusted p-value of a coefficient row and the family size."""
    return {"p_value": float(c.get("p_value", np.nan)),
            "p_adjusted": float(c.get("p_adjusted", np.nan)),
            "n_tests": int(c["n_tests"]) if "n_tests" in c and not pd.isna(c["n_tests"]) else 0}


def claimed(row) -> bool:
    """An effect is claimed only when its Holm-adjusted p-value (over every test the findings
    report) is below 0.05."""
    pa = row.get("p_adjusted", np.nan) if hasattr(row, "get") else np.nan
    return bool(not pd.isna(pa) and pa < 0.05)


def _ptext(p: float, lang: str) -> str:
    if pd.isna(p):
        return fmt.MISSING
    return ("< 0,001" if lang == "id" else "< 0.001") if p < 0.001 else fmt.number(p, lang, 3)


def _testing(row, lang: str) -> str:
    """"p = 0.012; Holm p = 0.25 (30 tests): not claimed" in words."""
    k = int(row.get("n_tests", 0) or 0)
    if not k:
        return {"id": "tanpa p terkoreksi: tidak diklaim",
                "en": "no adjusted p-value: not claimed"}[lang]
    p, pa = _ptext(row.get("p_value", np.nan), lang), _ptext(row["p_adjusted"], lang)

    def eq(x: str) -> str:
        return x if x.startswith("<") else "= " + x

    if claimed(row):
        return {"id": f"p {eq(p)}, p Holm {eq(pa)} atas {k} uji: dapat dibedakan dari nol",
                "en": f"p {eq(p)}, Holm p {eq(pa)} over {k} tests: distinguishable from "
                      "zero"}[lang]
    return {"id": f"p {eq(p)}, p Holm {eq(pa)} atas {k} uji: tidak diklaim sebagai efek",
            "en": f"p {eq(p)}, Holm p {eq(pa)} over {k} tests: not claimed as an effect"}[lang]


def _qualifier(row, lang: str) -> str:
    """Words for an interval that includes zero or rests on few OPDs, and whether the effect
    is claimed after adjusting for the number of tests (Holm p < 0.05)."""
    parts = []
    if "p_adjusted" in row:
        parts.append(_testing(row, lang))
    if row["spans_zero"]:
        parts.append({"id": "selang mencakup nol, jadi belum dapat dibedakan dari tanpa pengaruh",
                      "en": "the interval includes zero, so it cannot be told apart from no "
                            "effect"}[lang])
    if row["few_clusters"]:
        parts.append({"id": f"hanya {row['n_clusters']} OPD dalam model, interval bisa terlalu "
                            "sempit",
                      "en": f"only {row['n_clusters']} OPDs in the model, the interval may be "
                            "too narrow"}[lang])
    return ("; " + "; ".join(parts)) if parts else ""


def _effect_phrase(row, lang: str) -> str:
    if row["measure"] == "pct":
        unit = "%"
        val = signed(row["estimate"], lang, 1, unit)
    else:
        unit = {"id": " poin", "en": " points"}[lang]
        val = signed(row["estimate"], lang, 2) + unit
    digits = 1 if row["measure"] == "pct" else 2
    suf = "%" if row["measure"] == "pct" else ""
    return f"{val} ({interval(row['ci_low'], row['ci_high'], lang, digits, suf)})"


def _leadership_rows(res: Results) -> list[tuple[str, dict]]:
    """The acting-head (Plt) coefficients of the main innovation and IKM models: a full year
    under a Plt, as % change in innovations and IKM points."""
    lang = res.lang
    out = []
    for model, outcome in (("fe_poisson", "innovations"), ("fe_ols", "ikm")):
        c = coef(res, model, outcome, "acting_share")
        if c is None:
            continue
        if model == "fe_poisson":
            row = {"measure": "pct", "estimate": pct_of_log(c["estimate"]),
                   "ci_low": pct_of_log(c["ci_low"]), "ci_high": pct_of_log(c["ci_high"])}
        else:
            row = {"measure": "pts", "estimate": c["estimate"], "ci_low": c["ci_low"],
                   "ci_high": c["ci_high"]}
        row.update(spans_zero=row["ci_low"] <= 0 <= row["ci_high"],
                   few_clusters=int(c["n_clusters"]) < models.FEW_CLUSTERS,
                   n_clusters=int(c["n_clusters"]), **_pvals(c))
        what = {"innovations": ("jumlah inovasi", "innovations"),
                "ikm": ("IKM", "IKM")}[outcome][0 if lang == "id" else 1]
        out.append((what, row))
    return out


def findings(res: Results) -> list[dict]:
    """The five findings that matter most, each one generated sentence with its interval."""
    lang = res.lang
    out = []
    cs = cut_summary(res)
    deep = ", ".join(f"{n} ({fmt.percent(v / 100, lang)})" for n, v in cs["deepest"])
    if lang == "id":
        s1 = (f"Pada 2020, {cs['n_cut']} dari {cs['n']} OPD membelanjakan lebih sedikit dari "
              f"tren sebelum 2020 (median {fmt.percent(cs['median'] / 100, lang)}; separuh OPD "
              f"di antara {fmt.percent(cs['q1'] / 100, lang)} dan "
              f"{fmt.percent(cs['q3'] / 100, lang)}); paling dalam: {deep}. Porsi belanja rutin "
              f"(program penunjang) median OPD naik dari {fmt.percent(cs['share_2019'], lang)} "
              f"(2019) ke {fmt.percent(cs['share_2020'], lang)} (2020): yang dipotong terutama "
              "belanja layanan.")
    else:
        s1 = (f"In 2020, {cs['n_cut']} of {cs['n']} OPDs spent less than their pre-2020 trend "
              f"(median {fmt.percent(cs['median'] / 100, lang)}; the middle half between "
              f"{fmt.percent(cs['q1'] / 100, lang)} and {fmt.percent(cs['q3'] / 100, lang)}); "
              f"deepest: {deep}. The median OPD's routine (support programme) share rose from "
              f"{fmt.percent(cs['share_2019'], lang)} (2019) to "
              f"{fmt.percent(cs['share_2020'], lang)} (2020): the cuts fell mostly on service "
              "spending.")
    out.append({"key": "cuts", "headline": {"id": "Pemotongan 2020",
                                            "en": "The 2020 cuts"}[lang], "sentence": s1})

    eff = effects_of_cut(res, 10.0).set_index("outcome", drop=False)
    if "innovations" in eff.index:
        r = eff.loc["innovations"]
        did = coef(res, "fe_poisson", "innovations", models.CUT_X_POST)
        extra = ""
        if did is not None:
            x = np.log1p(-0.10)
            vals = sorted([100 * np.expm1(did["ci_low"] * x), 100 * np.expm1(did["ci_high"] * x)])
            dr = {"measure": "pct", "estimate": 100 * np.expm1(did["estimate"] * x),
                  "ci_low": vals[0], "ci_high": vals[1], "spans_zero": vals[0] <= 0 <= vals[1],
                  "few_clusters": int(did["n_clusters"]) < models.FEW_CLUSTERS,
                  "n_clusters": int(did["n_clusters"]), **_pvals(did)}
            extra = {"id": " Setelah 2020, OPD yang pemotongan 2020-nya 10% lebih dalam mencatat "
                           f"{_effect_phrase(dr, lang)} inovasi per tahun{_qualifier(dr, lang)}.",
                     "en": " After 2020, OPDs whose 2020 cut was 10% deeper recorded "
                           f"{_effect_phrase(dr, lang)} innovations a year"
                           f"{_qualifier(dr, lang)}."}[lang]
        s2 = {"id": f"Tahun ketika anggaran OPD 10% lebih kecil dari biasanya, jumlah inovasi "
                    f"barunya berubah {_effect_phrase(r, lang)}{_qualifier(r, lang)} "
                    f"({r['n_clusters']} OPD, {r['n']} OPD-tahun).{extra}",
              "en": f"In a year when an OPD's budget was 10% smaller than usual, its number of "
                    f"new innovations changed by {_effect_phrase(r, lang)}"
                    f"{_qualifier(r, lang)} ({r['n_clusters']} OPDs, {r['n']} OPD-years)."
                    f"{extra}"}[lang]
        out.append({"key": "innovation", "headline": {"id": "Inovasi", "en": "Innovation"}[lang],
                    "sentence": s2})

    parts, few = [], []
    for o in ("ikm", "ombudsman_score", "log_service_days", "complaints"):
        if o in eff.index:
            r = eff.loc[o]
            what = OUTCOME_WORDS[o][0 if lang == "id" else 1]
            zero = {"id": ", mencakup nol", "en": ", includes zero"}[lang] if r["spans_zero"] \
                else ""
            parts.append(f"{what} {_effect_phrase(r, lang)}".rstrip(")") + zero + "; "
                         + _testing(r, lang) + ")")
            if r["few_clusters"]:
                simple = {"ikm": ("IKM", "IKM"), "ombudsman_score": ("Ombudsman", "Ombudsman"),
                          "log_service_days": ("waktu layanan", "service time"),
                          "complaints": ("pengaduan", "complaints")}[o][0 if lang == "id" else 1]
                few.append(f"{simple} {r['n_clusters']}")
    if parts:
        lead = {"id": "Dengan anggaran 10% lebih kecil, indikator layanan berubah: ",
                "en": "With a 10% smaller budget, service indicators changed: "}[lang]
        tail = ""
        if few:
            tail = {"id": f" OPD dalam model ({', '.join(few)}) kurang dari 30: interval "
                          "bisa terlalu sempit.",
                    "en": f" OPDs in the models ({', '.join(few)}) are fewer than 30: "
                          "intervals may be too narrow."}[lang]
        out.append({"key": "service", "headline": {"id": "Layanan", "en": "Service"}[lang],
                    "sentence": lead + "; ".join(parts) + "." + tail})

    out.append({"key": "resilience", "headline": {"id": "Ketahanan", "en": "Resilience"}[lang],
                "sentence": resilience_sentence(res)})

    lead_parts = [f"{what} {_effect_phrase(row, lang)}{_qualifier(row, lang)}"
                  for what, row in _leadership_rows(res)]
    if lead_parts:
        s5 = {"id": "Satu tahun penuh di bawah Plt/Pj (kepala pelaksana tugas), dibanding tahun "
                    "dengan kepala definitif di OPD yang sama: " + "; ".join(lead_parts)
                    + ". Rotasi tidak acak, jadi ini asosiasi, bukan bukti sebab.",
              "en": "A full year under an acting head (Plt/Pj), compared with the same OPD's "
                    "years under a definitive head: " + "; ".join(lead_parts)
                    + ". Rotations are not random, so this is an association, not proof of "
                    "cause."}[lang]
        out.append({"key": "leadership", "headline": {"id": "Pimpinan Plt",
                                                      "en": "Acting heads"}[lang],
                    "sentence": s5})
    return out[:5]


def resilience_frame(res: Results, outcome: str = "innovations") -> pd.DataFrame:
    """The cut OPDs with an estimate for ``outcome`` (counterfactual resilience), highest
    difference first, with their names and verdicts."""
    r = res.resilience
    if r.empty or "effect" not in r:
        return pd.DataFrame(columns=["unit_id", "effect", "ci_low", "ci_high", "rank",
                                     "rank_low", "rank_high", "verdict", "name"])
    r = report.check_resilience(r)
    r = r[(r["outcome"] == outcome) & r["effect"].notna()].copy()
    r["name"] = [res.name(u) for u in r["unit_id"]]
    r["above"] = r["verdict"] == "above"
    r["below"] = r["verdict"] == "below"
    return r.sort_values("effect", ascending=False).reset_index(drop=True)


def resilience_sentence(res: Results) -> str:
    """Cut OPDs grouped by verdict against their counterfactual; a unit is called best or
    worst only when its 95 % rank interval is apart from every other unit's."""
    lang = res.lang
    parts = []
    for outcome in ("innovations", "ikm"):
        r = resilience_frame(res, outcome)
        if r.empty:
            continue
        what = {"innovations": ("inovasi", "innovation"), "ikm": ("IKM", "IKM")}[outcome][
            0 if lang == "id" else 1]
        unit = report.RESILIENCE_UNITS[outcome][lang]
        n_ind = int((r["verdict"] == "indistinguishable").sum())

        def names(mask, r=r, unit=unit):
            sub = r[mask]
            return ", ".join(f"{x.name} {signed(x.effect, lang, 2)} {unit} "
                             f"({interval(x.ci_low, x.ci_high, lang, 2)})"
                             for x in sub.itertuples()) or "–"

        if lang == "id":
            parts.append(f"untuk {what}, dari {len(r)} OPD yang dipotong pada 2020: "
                         f"{int(r['above'].sum())} di atas kontrafaktualnya ({names(r['above'])}), "
                         f"{int(r['below'].sum())} di bawah ({names(r['below'])}), {n_ind} tidak "
                         "dapat dibedakan; "
                         + report.resilience_ranking_words(r, lang).rstrip("."))
        else:
            parts.append(f"for {what}, of {len(r)} OPDs cut in 2020: {int(r['above'].sum())} "
                         f"above their counterfactual ({names(r['above'])}), "
                         f"{int(r['below'].sum())} below ({names(r['below'])}), {n_ind} "
                         "indistinguishable; "
                         + report.resilience_ranking_words(r, lang).rstrip("."))
    if not parts:
        return {"id": "Ketahanan tidak dapat dinilai: tidak ada OPD yang dipotong pada 2020.",
                "en": "Resilience cannot be assessed: no OPD was cut in 2020."}[lang]
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def typology_summary(res: Results) -> pd.DataFrame:
    typ = res.typology
    if typ.empty or "cluster" not in typ:
        return pd.DataFrame()
    col = "description_" + res.lang
    rows = []
    for cl, g in typ.groupby("cluster", sort=True):
        names = [res.name(u) for u in g["unit_id"]]
        rows.append({"cluster": int(cl), "n_units": len(g), "description": g[col].iloc[0],
                     "members": ", ".join(names[:6]) + (" …" if len(names) > 6 else "")})
    return pd.DataFrame(rows)


def silhouette_sentence(res: Results) -> str:
    k = res.typology_k
    if k.empty or not k["chosen"].any():
        return ""
    row = k[k["chosen"]].iloc[0]
    sil = fmt.number(row["silhouette"], res.lang, 2)
    weak = row["silhouette"] < 0.25
    if res.lang == "id":
        s = (f"k = {int(row['k'])} kelompok (silhouette tertinggi, {sil}, dari k = "
             f"{int(k['k'].min())}–{int(k['k'].max())}; {int(row['n_units'])} OPD).")
        return s + (" Silhouette di bawah 0,25: kelompok lemah terpisah, pakai sebagai ringkasan, "
                    "bukan tipe alami." if weak else "")
    s = (f"k = {int(row['k'])} clusters (highest silhouette, {sil}, of k = "
         f"{int(k['k'].min())}–{int(k['k'].max())}; {int(row['n_units'])} OPDs).")
    return s + (" A silhouette below 0.25 means weakly separated groups: a convenient summary, "
                "not natural types." if weak else "")


def pretrend_sentence(res: Results) -> str:
    es = res.event_study
    if es.empty or "pretrend_p" not in es or es["pretrend_p"].isna().all():
        return ""
    p = float(es["pretrend_p"].iloc[0])
    flagged = bool(es["pretrend_flagged"].iloc[0])
    pa = float(es["pretrend_p_adjusted"].iloc[0]) if "pretrend_p_adjusted" in es else np.nan
    k = int(res.model_results["n_tests"].iloc[0]) if "n_tests" in res.model_results else 0
    adj = ({"id": f" (p Holm {fmt.number(pa, 'id', 2)} atas {k} uji)",
            "en": f" (Holm p {fmt.number(pa, 'en', 2)} over {k} tests)"}[res.lang]
           if k and not pd.isna(pa) else "")
    if res.lang == "id":
        return (f"Uji tren sebelum 2020 (semua koefisien sebelum 2020 = 0, bootstrap): p = "
                f"{fmt.number(p, 'id', 2)}{adj}; "
                + ("ada tanda tren berbeda, lihat koefisien sebelum 2020." if flagged else
                   "tidak ada tanda tren berbeda (bukan bukti tren sejajar)."))
    return (f"Pre-2020 trend test (all leads = 0, bootstrap): p = {fmt.number(p, 'en', 2)}{adj}; "
            + ("a sign of different trends, look at the leads." if flagged else
               "no sign of different trends (not proof of parallel trends)."))


def scenario_table(res: Results) -> pd.DataFrame:
    return models.scenario(res.model_results, res.scenario_unit, res.scenario_cut_pct, res.panel)


def scenario_curve(res: Results, cuts=None) -> pd.DataFrame:
    cuts = np.arange(0, 31, 1.0) if cuts is None else np.asarray(cuts, float)
    rows = []
    for outcome, model, term, pct in (("innovations", "fe_poisson", "dlog_budget", True),
                                      ("ikm", "fe_ols", "dlog_budget_lag1", False)):
        c = coef(res, model, outcome, term)
        if c is None:
            continue
        x = np.log1p(-cuts / 100)
        f = (lambda b, x=x: 100 * np.expm1(b * x)) if pct else (lambda b, x=x: b * x)
        a, b = f(c["ci_low"]), f(c["ci_high"])
        rows.append(pd.DataFrame({"outcome": outcome, "cut_pct": cuts, "estimate": f(c["estimate"]),
                                  "ci_low": np.minimum(a, b), "ci_high": np.maximum(a, b)}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def scenario_sentences(res: Results) -> list[str]:
    """The scenario in words (from ``models.scenario``), numbers written the ``lang`` way,
    saying plainly when the evidence is thin (interval includes 0, or under 30 OPDs)."""
    lang = res.lang
    sc = scenario_table(res)
    out = []
    for r in sc.itertuples():
        pct = r.measure == "pct_change"
        row = {"measure": "pct" if pct else "pts", "estimate": r.estimate, "ci_low": r.ci_low,
               "ci_high": r.ci_high, "spans_zero": r.ci_low <= 0 <= r.ci_high,
               "few_clusters": r.n_clusters < models.FEW_CLUSTERS, "n_clusters": r.n_clusters}
        what = SHORT_OUTCOME[r.outcome][0 if lang == "id" else 1]
        s = f"{what}: {_effect_phrase(row, lang)}."
        if not pd.isna(r.baseline):
            if pct:
                lvl = r.baseline * (1 + np.array([r.estimate, r.ci_low, r.ci_high]) / 100)
                d, base = 1, fmt.number(r.baseline, lang, 0)
            else:
                lvl = r.baseline + np.array([r.estimate, r.ci_low, r.ci_high])
                d, base = 2, fmt.number(r.baseline, lang, 2)
            s += (f" {res.name(r.unit_id)} ({r.baseline_year}: {base}) → "
                  f"{fmt.number(lvl[0], lang, d)} ({fmt.number(lvl[1], lang, d)} {t('to', lang)} "
                  f"{fmt.number(lvl[2], lang, d)}).")
        if r.evidence == "thin":
            why = _qualifier(row, lang).lstrip("; ")
            s += {"id": f" Bukti terlalu tipis: {why}; jangan dijadikan dasar keputusan tanpa "
                        "data lain.",
                  "en": f" Evidence too thin: {why}; do not base a decision on it alone."}[lang]
        out.append(s)
    return out


def effect_lines(res: Results) -> list[str]:
    """One short line per outcome for a slide: effect of a 10 % smaller budget, interval, and
    a tag when the interval includes zero or rests on fewer than 30 OPDs."""
    lang = res.lang
    lines = []
    for r in effects_of_cut(res, 10.0).to_dict("records"):
        tags = []
        if r["spans_zero"]:
            tags.append({"id": "mencakup nol", "en": "includes zero"}[lang])
        if r["few_clusters"]:
            tags.append({"id": f"hanya {r['n_clusters']} OPD", "en": f"only {r['n_clusters']} "
                                                                    "OPDs"}[lang])
        tags.append(_testing(r, lang))
        tag = f" — {', '.join(tags)}" if tags else ""
        lines.append(f"{SHORT_OUTCOME[r['outcome']][0 if lang == 'id' else 1]}: "
                     f"{_effect_phrase(r, lang)}{tag}")
    return lines


def leadership_line(res: Results) -> str:
    """The acting-head association in one short line (for a slide)."""
    rows = _leadership_rows(res)
    if not rows:
        return ""
    lead = {"id": "Setahun penuh di bawah Plt/Pj", "en": "A full year under an acting head"}[
        res.lang]
    return lead + ": " + "; ".join(f"{w} {_effect_phrase(r, res.lang)}" for w, r in rows) + {
        "id": " (asosiasi; rotasi tidak acak).", "en": " (association; rotations are not "
                                                       "random)."}[res.lang]


def _family(res: Results) -> int:
    mr = res.model_results
    return int(mr["n_tests"].dropna().iloc[0]) if "n_tests" in mr and mr["n_tests"].notna().any() \
        else 0


def caveat_items(res: Results) -> list[str]:
    lang = res.lang
    mr = res.model_results
    g_all = int(mr["n_clusters"].max()) if len(mr) else 0
    g_ikm = coef(res, "fe_ols", "ikm", "dlog_budget_lag1")
    g_omb = coef(res, "fe_ols", "ombudsman_score", "dlog_budget")
    gi = int(g_ikm["n_clusters"]) if g_ikm is not None else 0
    go = int(g_omb["n_clusters"]) if g_omb is not None else 0
    years = (int(res.panel["year"].min()), int(res.panel["year"].max()))
    if lang == "id":
        items = [
            f"Sedikit kelompok: {g_all} OPD dalam model inovasi, {gi} dengan IKM, {go} dengan skor "
            "Ombudsman. Galat baku dikelompokkan per OPD; dengan kelompok sesedikit ini interval "
            "95% bisa terlalu sempit (uji pada 200 panel simulasi: cakupan sekitar 88–96%). "
            "Baca interval 95% kira-kira sebagai interval 90%.",
            "Asosiasi, bukan sebab-akibat: pemotongan 2020 dan rotasi pimpinan tidak acak antar "
            "OPD. Efek tetap OPD dan tahun menghapus perbedaan yang tetap dan guncangan bersama, "
            "bukan semua faktor lain.",
            "Ketahanan = hasil nyata sejak 2020 dikurangi kontrafaktual dari model yang "
            "ditaksir hanya pada pengamatan tanpa perlakuan; intervalnya memuat ketidakpastian "
            "model itu (bootstrap per OPD). OPD hanya diurutkan sejauh interval peringkat 95% "
            "tidak tumpang tindih.",
            f"Uji berganda: temuan berasal dari satu keluarga {_family(res)} uji; p dikoreksi "
            "dengan Holm dan efek hanya diklaim bila p Holm < 0,05.",
            "Skenario adalah ekstrapolasi asosiasi rata-rata ke satu OPD: sajikan sebagai "
            "rentang, bukan angka pasti.",
            f"Periode {years[0]}–{years[1]}. Data belanja daerah total (APBD/LRA) adalah data "
            "publik yang nyata dan bersumber.",
        ]
        if res.simulated:
            items.insert(0, "DATA SIMULASI: semua angka per OPD (anggaran, inovasi per tahun, "
                            "IKM, pengaduan, pimpinan) berasal dari panel simulasi yang "
                            "dikalibrasi ke total APBD nyata, dengan hubungan yang sengaja "
                            "ditanam. Bukan temuan tentang kantor nyata. Impor data OPD yang "
                            "nyata (SIPD/LRA, survei SKM, ekspor IID) untuk menggantinya.")
    else:
        items = [
            f"Few clusters: {g_all} OPDs in the innovation model, {gi} with IKM, {go} with an "
            "Ombudsman score. Standard errors are clustered by OPD; with so few clusters 95% "
            "intervals can be too narrow (over 200 simulated panels they covered the truth "
            "about 88–96% of the time). Read a 95% interval as roughly a 90% one.",
            "Association, not causation: the 2020 cuts and the rotation of heads were not random "
            "across OPDs. Unit and year fixed effects remove fixed differences and shared "
            "shocks, not every other cause.",
            "Resilience = observed outcomes from 2020 minus a counterfactual from a model "
            "fitted on untreated observations only; its interval includes that model's "
            "uncertainty (a bootstrap over OPDs). OPDs are ordered only as far as their 95% "
            "rank intervals do not overlap.",
            f"Multiple testing: the findings come from one family of {_family(res)} tests; "
            "p-values are Holm-adjusted and an effect is claimed only when its adjusted p < "
            "0.05.",
            "The scenario extrapolates an average association to one OPD: present it as a range, "
            "not a point.",
            f"Period {years[0]}–{years[1]}. The regency's total spending (APBD/LRA) is real, "
            "cited public data.",
        ]
        if res.simulated:
            items.insert(0, "SIMULATED DATA: every per-OPD number (budgets, yearly innovations, "
                            "IKM, complaints, heads) comes from a simulated panel calibrated to "
                            "the real APBD totals, with planted relationships. It is not a "
                            "finding about any real office. Import the regency's own per-OPD "
                            "files (SIPD/LRA, SKM surveys, IID exports) to replace it.")
    return items


# =================================================================================================
# figures
# =================================================================================================

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
    note = {"id": "Sumber: Perda APBD, APBD-P dan LRA Kabupaten Batang (salinan publik) dan berita "
                  "resmi; satu titik per dokumen.",
            "en": "Source: Kabupaten Batang APBD, APBD-P and LRA documents (public copies) and "
                  "official news; one point per document."}[lang]
    if rounded:
        note += {"id": " Angka bulat/turunan: ", "en": " Rounded/derived figures: "}[lang] + \
            ", ".join(map(str, rounded)) + "."
    fig.text(0.01, -0.02, note, ha="left", va="top", fontsize=7.5, color="#444444", wrap=True)
    return fig


def _cut_series(res: Results) -> pd.Series:
    s = res.summary.dropna(subset=["cut_2020"])
    return pd.Series(np.expm1(s["cut_2020"].to_numpy()) * 100,
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
               label=f"{t('median_opd', lang)}: {fmt.percent(med / 100, lang)}")
    ax.axvline(0, color="#555555", linewidth=1)
    ax.legend(loc="lower right" if not top else "lower left", fontsize=9)
    _title(ax, {"id": "Realisasi 2020 terhadap tren sebelum 2020, per OPD",
                "en": "2020 actual spending against the pre-2020 trend, by OPD"}[lang]
           + ({"id": f" ({len(s)} terdalam)", "en": f" ({len(s)} deepest)"}[lang] if top else ""))
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
            tidy = pd.DataFrame({"term": [SHORT_OUTCOME[o][0 if lang == "id" else 1]
                                          + f" (n={g})" for o, g in
                                          zip(e["outcome"], e["n_clusters"], strict=True)],
                                 "estimate": e["estimate"], "ci_low": e["ci_low"],
                                 "ci_high": e["ci_high"]})
            plots.coef_plot(tidy, lang=lang, ax=ax, simulated=False)
            ax.set_xlabel(t(key, lang))
            ax.xaxis.set_major_formatter(plt.FuncFormatter(
                lambda v, _p, d=(0 if measure == "pct" else 1): fmt.number(v, lang, d)))
        fig.suptitle({"id": "Asosiasi anggaran 10% lebih kecil dengan inovasi dan layanan "
                            "(interval 95%; n = jumlah OPD)",
                      "en": "A 10% smaller budget: association with innovation and service "
                            "(95% intervals; n = OPDs)"}[lang], fontsize=11, x=0.01, ha="left")
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
    _title(ax, {"id": "Inovasi menurut tahun relatif terhadap 2020, per unit pemotongan 2020",
                "en": "Innovations by year relative to 2020, per unit of 2020 cut"}[lang])
    return fig


def fig_typology(res: Results):
    import matplotlib.pyplot as plt

    lang = res.lang
    if res.typology.empty:
        return None
    feats = models.unit_features(res.panel).merge(res.typology[["unit_id", "cluster"]],
                                                  on="unit_id")
    col = "description_" + lang
    desc = res.typology.groupby("cluster")[col].first()
    with plots.style_context():
        fig, ax = plt.subplots(figsize=(7.5, 4.8))
        for i, (cl, g) in enumerate(feats.groupby("cluster", sort=True)):
            ax.scatter(np.expm1(g["cut_2020"]) * 100, g["innovation_trend"], s=36,
                       color=f"C{i}", label=f"{cl}: {desc.get(cl, '')} ({len(g)})")
        ax.axvline(0, color="#555555", linewidth=1)
        ax.axhline(0, color="#555555", linewidth=1)
        ax.set_xlabel(t("typ_x", lang))
        ax.set_ylabel(t("typ_y", lang))
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _p: fmt.number(v, lang, 0)))
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _p: fmt.number(v, lang, 1)))
        ax.legend(title=t("cluster", lang), loc="upper left", bbox_to_anchor=(0, -0.15),
                  fontsize=8.5, title_fontsize=9)
        ax.set_title({"id": "Tipologi OPD (KMeans pada lintasan terstandardisasi)",
                      "en": "OPD typology (KMeans on standardised trajectories)"}[lang])
    return plots.mark_simulated(fig, lang) if res.simulated else fig


def fig_resilience(res: Results):
    lang = res.lang
    r = resilience_frame(res, "innovations")
    if r.empty:
        return None
    fig = plots.resilience_plot(r, lang=lang, simulated=res.simulated,
                                names=dict(zip(r["unit_id"], r["name"], strict=True)),
                                xlabel=t("res_axis", lang))
    fig.axes[0].set_title({"id": "Ketahanan inovasi OPD yang dipotong 2020 terhadap "
                                 "kontrafaktual (interval 95%)",
                           "en": "Innovation resilience of OPDs cut in 2020 against the "
                                 "counterfactual (95% intervals)"}[lang], fontsize=11)
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
        fig.suptitle({"id": "Jika anggaran tahun depan dipotong: perkiraan dan interval 95%",
                      "en": "If next year's budget is cut: estimate and 95% interval"}[lang],
                     fontsize=11, x=0.01, ha="left")
    return plots.mark_simulated(fig, lang) if res.simulated else fig


# number, file slug, drawing function, from simulated data?, caption (id, en)
FIGURES = [
    ("01", "apbd-spending-2019-2026-public", fig_public_spending, False,
     ("Belanja daerah total Kabupaten Batang per tahun dan tahap (APBD murni, APBD perubahan, "
      "realisasi LRA), 2019–2026. Data publik yang nyata; sumber per titik di bawah.",
      "Kabupaten Batang's total spending by year and stage (original APBD, revised APBD, LRA "
      "realisation), 2019–2026. Real public data; the source of each point is listed below.")),
    ("02", "budget-cut-2020-by-opd", fig_cuts, True,
     ("Pemotongan 2020 per OPD: realisasi 2020 terhadap tren 2016–2019 OPD itu sendiri.",
      "2020 cut by OPD: 2020 actual spending against the OPD's own 2016–2019 trend.")),
    ("03", "routine-share-by-year", fig_routine_share, True,
     ("Porsi program penunjang (belanja rutin) dalam realisasi, median OPD per tahun.",
      "Share of the support programme (routine spending) in actual spending, median OPD.")),
    ("04", "effect-of-10pct-budget-cut", fig_effects, True,
     ("Asosiasi anggaran 10% lebih kecil dengan inovasi dan indikator layanan (model efek tetap "
      "OPD dan tahun, galat baku per OPD, interval 95%).",
      "Association of a 10% smaller budget with innovation and service indicators (OPD and year "
      "fixed effects, errors clustered by OPD, 95% intervals).")),
    ("05", "event-study-innovations-2020", fig_event_study, True,
     ("Studi peristiwa: inovasi per tahun relatif terhadap 2020 menurut intensitas pemotongan "
      "2020 (Poisson, acuan 2019).",
      "Event study: innovations by year relative to 2020 by 2020 cut intensity (Poisson, "
      "reference 2019).")),
    ("06", "typology-of-opds", fig_typology, True,
     ("Tipologi OPD: pemotongan 2020 dan tren inovasi, warna = kelompok KMeans.",
      "OPD typology: 2020 cut and innovation trend, colour = KMeans cluster.")),
    ("07", "resilience-ranking-innovations", fig_resilience, True,
     ("Ketahanan: inovasi per tahun 2020–2024 di atas/di bawah prediksi model, OPD yang "
      "dipotong 2020, dengan interval 95% (hijau/oranye: interval tidak mencakup nol).",
      "Resilience: innovations per year 2020–2024 above/below the model's prediction, OPDs cut "
      "in 2020, with 95% intervals (green/orange: interval excludes zero).")),
    ("08", "scenario-next-year-cut", fig_scenario, True,
     ("Skenario: perubahan inovasi dan IKM tahun berikutnya untuk pemotongan 0–30%, dengan "
      "interval 95%; garis putus-putus = skenario bawaan.",
      "Scenario: change in innovations and next year's IKM for cuts of 0–30%, with 95% "
      "intervals; dashed line = the default scenario.")),
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
    for number, slug, func, from_sim, caption in FIGURES:
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
                        "caption": caption[0 if lang == "id" else 1]})
    lines = [f"# {'Gambar' if lang == 'id' else 'Figures'} ({lang})", ""]
    for r in records:
        if not r["files"]:
            continue
        kind = (label("simulated_banner", lang) if r["simulated"] else t("public_badge", lang))
        lines += [f"## {r['figure']}", "", r["caption"], "", f"*{kind}*", "",
                  "Files: " + ", ".join(f"`{f}`" for f in r["files"]), ""]
        if r["figure"].startswith("01-"):
            lines += [f"{t('source', lang)}:", ""] + [f"- {s}" for s in public_sources(res)] + [""]
    (out_dir / f"captions.{lang}.md").write_text("\n".join(lines), encoding="utf-8")
    return records


# =================================================================================================
# HTML pieces (deck slides and brief sections)
# =================================================================================================

def fig_img(fig, alt: str = "", dpi: int = 130) -> str:
    """A figure as an inline PNG ``<img>`` (data URI: the page needs no other file)."""
    import matplotlib.pyplot as plt

    if fig is None:
        return ""
    _room_for_mark(fig)
    buf = _io.BytesIO()
    with plots.style_context():
        fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img class="fig" alt="{esc(alt)}" src="data:image/png;base64,{data}">'


def banner(res: Results, always: bool = False) -> str:
    if not (res.simulated or always):
        return ""
    return f'<div class="sim-banner">{esc(label("simulated_banner", res.lang))}</div>'


def public_badge(lang: str) -> str:
    return f'<div class="public-badge">{esc(t("public_badge", lang))}</div>'


def _slide(title: str, body: str, top: str = "", foot: str = "") -> str:
    foot_html = f'<div class="slide-foot">{foot}</div>' if foot else ""
    return (f'<div class="slide-inner">{top}<h2>{esc(title)}</h2>'
            f'<div class="slide-body">{body}</div>{foot_html}</div>')


def _two(left: str, right: str) -> str:
    return f'<div class="cols"><div class="col-fig">{left}</div><div class="col-text">{right}</div></div>'


def _ul(items) -> str:
    return "<ul>" + "".join(f"<li>{esc(x)}</li>" for x in items) + "</ul>"


def slide_title(res: Results) -> str:
    lang = res.lang
    data = {"id": f"Data: belanja daerah total (nyata, bersumber) dan panel OPD × tahun "
                  f"{int(res.panel['year'].min())}–{int(res.panel['year'].max())} "
                  f"({res.panel['unit_id'].nunique()} OPD dan kecamatan).",
            "en": f"Data: the regency's total spending (real, cited) and an OPD × year panel "
                  f"{int(res.panel['year'].min())}–{int(res.panel['year'].max())} "
                  f"({res.panel['unit_id'].nunique()} OPDs and kecamatan)."}[lang]
    sim = ""
    if res.simulated:
        sim = {"id": "Angka per OPD dalam dek ini adalah DATA SIMULASI, ditandai di setiap slide "
                     "dan gambar.",
               "en": "Per-OPD numbers in this deck are SIMULATED DATA, marked on every slide "
                     "and figure."}[lang]
    made = f"{t('made', lang)} {_dt.date.today().isoformat()}"
    return (f'<div class="slide-inner title-slide">{banner(res)}<h1>{esc(t("deck_title", lang))}'
            f'</h1><p class="sub">{esc(t("deck_sub", lang))}</p>'
            f'<p class="question">{esc(t("question", lang))}</p>'
            f'<p class="small">{esc(data)} {esc(sim)}</p>'
            f'<p class="small muted">{esc(made)} · {esc(t("nav_hint", lang))}</p></div>')


def slide_public(res: Results) -> str:
    lang = res.lang
    d = public_spending(res)
    if d.empty:
        return ""
    lo, hi = d.loc[d["value_idr"].idxmin()], d.loc[d["value_idr"].idxmax()]
    real20 = d[(d["year"] == 2020) & (d["stage"] == "realisasi")]
    items = {"id": [f"Terendah: {fmt.rupiah(lo.value_idr, lang)} ({lo.year}, {label(lo.stage, lang)}); "
                    f"tertinggi: {fmt.rupiah(hi.value_idr, lang)} ({hi.year}, "
                    f"{label(hi.stage, lang)}).",
                    "Panel OPD simulasi dikalibrasi agar totalnya sama dengan angka-angka ini."],
             "en": [f"Lowest: {fmt.rupiah(lo.value_idr, lang)} ({lo.year}, {label(lo.stage, lang)}); "
                    f"highest: {fmt.rupiah(hi.value_idr, lang)} ({hi.year}, "
                    f"{label(hi.stage, lang)}).",
                    "The simulated OPD panel is calibrated so that its totals equal these "
                    "figures."]}[lang]
    if not real20.empty:
        items.insert(0, {"id": f"Realisasi 2020 (tahun refocusing COVID-19): "
                               f"{fmt.rupiah(real20['value_idr'].iloc[0], lang)}.",
                         "en": f"2020 actual spending (the COVID-19 refocusing year): "
                               f"{fmt.rupiah(real20['value_idr'].iloc[0], lang)}."}[lang])
    docs = sorted({s.split(",")[0] if s.startswith("GitHub") else s.split("/")[2]
                   for s in d["source"]})
    foot = f"{esc(t('source', lang))}: " + esc("; ".join(docs)) + {
        "id": " (rincian per titik: figures/captions.id.md).",
        "en": " (per point: figures/captions.en.md)."}[lang]
    return _slide(t("public_title", lang),
                  _two(fig_img(fig_public_spending(res), t("public_title", lang)), _ul(items)),
                  top=public_badge(lang), foot=foot)


def slide_cuts(res: Results) -> str:
    lang = res.lang
    f = findings(res)[0]["sentence"]
    cs = cut_summary(res)
    extra = {"id": f"Total realisasi semua OPD 2020: {fmt.percent(cs['regency_2020'] / 100, lang)} "
                   "dibanding 2019.",
             "en": f"Total actual spending of all OPDs in 2020: "
                   f"{fmt.percent(cs['regency_2020'] / 100, lang)} on 2019."}[lang]
    note = {"id": "Gambar: 15 OPD dengan pemotongan terdalam (semua OPD: figures/02-…).",
            "en": "Figure: the 15 deepest cuts (all OPDs: figures/02-…)."}[lang]
    return _slide(t("cuts_title", lang), _two(fig_img(fig_cuts(res, top=15)), _ul([f, extra])),
                  top=banner(res), foot=esc(note))


def slide_effects(res: Results) -> str:
    lang = res.lang
    lead = {"id": "Anggaran 10% lebih kecil dari biasanya (model efek tetap, interval 95%):",
            "en": "A budget 10% smaller than usual (fixed-effects models, 95% intervals):"}[lang]
    items = effect_lines(res)
    extra = [x for x in (leadership_line(res),) if x]
    return _slide(t("effects_title", lang),
                  f'<div class="wide-fig">{fig_img(fig_effects(res))}</div>'
                  f'<div class="text-small"><p class="lead">{esc(lead)}</p>'
                  f'<div class="two-col">{_ul(items)}</div>{_ul(extra)}</div>', top=banner(res))


def slide_event(res: Results) -> str:
    lang = res.lang
    items = [{"id": "Setiap titik: perbedaan inovasi tahun itu antara OPD yang dipotong lebih "
                    "dalam dan yang tidak, relatif terhadap 2019 (titik positif: pemotongan "
                    "lebih dalam, inovasi lebih sedikit).",
              "en": "Each point: how innovations that year differed between more and less cut "
                    "OPDs, relative to 2019 (positive: deeper cut, fewer innovations)."}[lang],
             pretrend_sentence(res)]
    return _slide(t("event_title", lang), _two(fig_img(fig_event_study(res)), _ul(
        [i for i in items if i])), top=banner(res))


def slide_typology(res: Results) -> str:
    lang = res.lang
    ts = typology_summary(res)
    rows = "".join(f"<tr><td>{r.cluster}</td><td>{esc(r.description)}</td><td>{r.n_units}</td>"
                   f"<td>{esc(r.members)}</td></tr>" for r in ts.itertuples())
    table = (f'<table class="tbl"><thead><tr><th>{esc(t("cluster", lang))}</th><th>'
             f'{esc({"id": "Ciri", "en": "Profile"}[lang])}</th><th>{esc(t("n_units", lang))}'
             f'</th><th>{esc(t("members", lang))}</th></tr></thead><tbody>{rows}</tbody></table>')
    return _slide(t("typology_title", lang),
                  _two(fig_img(fig_typology(res)), table + f"<p>{esc(silhouette_sentence(res))}</p>"),
                  top=banner(res))


def slide_resilience(res: Results) -> str:
    lang = res.lang
    return _slide(t("resilience_title", lang),
                  _two(fig_img(fig_resilience(res)), _ul([resilience_sentence(res), {
                      "id": "Selisih = rata-rata hasil nyata 2020–2024 dikurangi kontrafaktual "
                            "(prediksi model yang ditaksir hanya pada pengamatan tanpa "
                            "pemotongan); interval memuat ketidakpastian model itu.",
                      "en": "Difference = mean observed outcome 2020–2024 minus the "
                            "counterfactual (predicted by a model fitted only on observations "
                            "without the cut); the interval includes that model's "
                            "uncertainty."}[lang]])),
                  top=banner(res))


def slide_scenario(res: Results) -> str:
    lang = res.lang
    head = {"id": f"Skenario: anggaran tahun depan dipotong "
                  f"{fmt.number(res.scenario_cut_pct, lang, 0)}%.",
            "en": f"Scenario: next year's budget cut by "
                  f"{fmt.number(res.scenario_cut_pct, lang, 0)}%."}[lang]
    return _slide(t("scenario_title", lang),
                  f'<div class="wide-fig">{fig_img(fig_scenario(res))}</div>'
                  f'<div class="text-small"><p class="lead">{esc(head)}</p>'
                  f'{_ul(scenario_sentences(res))}</div>',
                  top=banner(res))


def slide_caveats(res: Results) -> str:
    return _slide(t("caveats_title", res.lang), _ul(caveat_items(res)), top=banner(res))


def brief_html(res: Results, rows: int = BRIEF_ROWS) -> str:
    """The whole one-page brief: title, banner, five findings, resilience table, footnote."""
    lang = res.lang
    made = f"{t('made', lang)} {_dt.date.today().isoformat()}"
    years = f"{int(res.panel['year'].min())}–{int(res.panel['year'].max())}"
    sim_note = ""
    if res.simulated:
        sim_note = {"id": " Angka per OPD berasal dari panel simulasi yang dikalibrasi ke total "
                          "APBD nyata: bukan temuan tentang kantor nyata.",
                    "en": " Per-OPD numbers come from a simulated panel calibrated to the real "
                          "APBD totals: not a finding about any real office."}[lang]
    head = (f'<header><h1>{esc(t("brief_title", lang))}</h1><p class="meta">Kabupaten Batang · '
            f'{esc(years)} · {esc(made)}</p></header>')
    if res.simulated:
        head += (f'<div class="sim-banner">{esc(label("simulated_banner", lang))}'
                 f'<span class="sim-note">{esc(sim_note)}</span></div>')
    items = "".join(f'<li><b>{esc(f["headline"])}.</b> {esc(f["sentence"])}</li>'
                    for f in findings(res))
    body = f'<h2>{esc(t("five", lang))}</h2><ol class="findings">{items}</ol>'
    body += f'<h2>{esc(t("table_title", lang))}</h2>' + resilience_tables(res, rows)
    foot = {"id": "Metode: regresi panel efek tetap OPD dan tahun (pyfixest), galat baku "
                  "dikelompokkan per OPD, interval kepercayaan 95%, p dikoreksi Holm atas "
                  f"{_family(res)} uji (efek hanya diklaim bila p Holm < 0,05); ketahanan = "
                  "hasil nyata 2020–2024 dikurangi kontrafaktual dari model tanpa OPD yang "
                  "dipotong (interval bootstrap per OPD, peringkat dengan interval 95%). "
                  "Asosiasi, bukan sebab-akibat; dengan sedikit OPD interval bisa terlalu sempit "
                  "(baca kira-kira sebagai 90%). Total belanja daerah (APBD/LRA) adalah data "
                  "publik yang nyata; rincian dan sumber di dek presentasi dan "
                  "figures/captions.id.md.",
            "en": "Method: panel regressions with OPD and year fixed effects (pyfixest), errors "
                  "clustered by OPD, 95% confidence intervals, p-values Holm-adjusted over "
                  f"{_family(res)} tests (an effect is claimed only when the adjusted p < "
                  "0.05); resilience = observed 2020–2024 minus a counterfactual from a model "
                  "fitted without the cut OPDs' treated years (bootstrap interval over OPDs, "
                  "ranks with 95% intervals). Association, not "
                  "causation; with few OPDs intervals can be too narrow (read them as roughly "
                  "90%). The regency's total spending (APBD/LRA) is real public data; details "
                  "and sources in the slide deck and figures/captions.en.md."}[lang]
    return f'<div class="brief">{head}{body}<footer>{esc(foot)}</footer></div>'


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def resilience_tables(res: Results, rows: int = BRIEF_ROWS) -> str:
    """Both ends of the innovation-resilience ranking, each OPD with its difference from the
    counterfactual, its 95 % rank interval and its verdict; the intro says how far the ranks
    can be told apart (never "best"/"worst" where rank intervals overlap)."""
    lang = res.lang
    r = resilience_frame(res, "innovations")
    if r.empty:
        return f"<p>{esc(resilience_sentence(res))}</p>"
    ikm = resilience_frame(res, "ikm").set_index("unit_id")
    n_clear = int((r["above"] | r["below"]).sum())
    intro = ({"id": f"{len(r)} OPD yang dipotong pada 2020, menurut inovasi per tahun 2020–2024 "
                    f"dikurangi kontrafaktualnya. {n_clear} dari {len(r)} interval tidak "
                    "mencakup nol. ",
              "en": f"The {len(r)} OPDs cut in 2020, by innovations per year 2020–2024 minus "
                    f"their counterfactual. {n_clear} of {len(r)} intervals exclude zero. "}[lang]
             + _cap(report.resilience_ranking_words(r, lang, dict(zip(r["unit_id"], r["name"],
                                                                      strict=True)))))
    verdict = {"above": {"id": "di atas", "en": "above"}, "below": {"id": "di bawah",
                                                                    "en": "below"},
               "indistinguishable": {"id": "tak terbedakan", "en": "indistinguishable"}}

    def table(part: pd.DataFrame, title: str) -> str:
        body = ""
        for x in part.itertuples():
            ik = ikm.loc[x.unit_id] if x.unit_id in ikm.index else None
            ikm_txt = (f"{signed(ik['effect'], lang, 2)} [{signed(ik['ci_low'], lang, 1)}; "
                       f"{signed(ik['ci_high'], lang, 1)}]" if ik is not None else fmt.MISSING)
            rk = (f"{int(x.rank)} ({int(x.rank_low)}–{int(x.rank_high)})"
                  if not pd.isna(x.rank_low) else str(int(x.rank)))
            v = verdict.get(x.verdict, {}).get(lang, str(x.verdict))
            body += (f"<tr><td>{esc(rk)}</td><td>{esc(x.name)}</td>"
                     f'<td class="num">{signed(x.effect, lang, 2)} [{signed(x.ci_low, lang, 1)}; '
                     f'{signed(x.ci_high, lang, 1)}] {esc(v)}</td>'
                     f'<td class="num">{esc(ikm_txt)}</td></tr>')
        return (f'<table class="tbl"><caption>{esc(title)}</caption><thead><tr>'
                f'<th>{esc(t("rank", lang))}</th><th>{esc(t("opd", lang))}</th>'
                f'<th>{esc(t("res_innov", lang))}</th><th>{esc(t("res_ikm", lang))}</th></tr>'
                f'</thead><tbody>{body}</tbody></table>')

    n = min(rows, len(r) // 2) or 1
    return (f'<p class="intro">{esc(intro)}</p><div class="tables">'
            f'{table(r.head(n), t("most", lang))}'
            f'{table(r.tail(n).iloc[::-1], t("least", lang))}</div>')


# =================================================================================================
# HTML pages from the executed notebooks
# =================================================================================================

DECK_CSS = """
*{box-sizing:border-box}
html,body{margin:0;height:100%;background:#222;font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;color:#222}
main.deck{width:100vw;height:100vh;display:flex;align-items:center;justify-content:center}
.slides{position:relative;width:min(100vw,177.78vh);height:min(56.25vw,100vh);background:#fff;
 font-size:min(1.56vw,2.78vh);overflow:hidden}
.slides>section{display:none;position:absolute;inset:0;padding:2.2em 2.6em 2.4em 2.6em}
.slides>section.present{display:block}
.slides>section section{display:block}
.slide-inner{height:100%;display:flex;flex-direction:column}
.slide-body{flex:1;min-height:0;display:flex;flex-direction:column}
h1{font-size:2.3em;margin:.6em 0 .2em;color:#0b3d6b}
h2{font-size:1.6em;margin:.2em 0 .5em;color:#0b3d6b}
.sub{font-size:1.2em;color:#444;margin:0 0 1.2em}
.question{font-size:1.3em;line-height:1.4;border-left:.3em solid #0072B2;padding-left:.8em;margin:1em 0}
.small{font-size:.9em;line-height:1.4}.muted{color:#777}
.cols{display:flex;gap:1.6em;flex:1;min-height:0}
.col-fig{flex:1.35;min-width:0;display:flex;align-items:flex-start;justify-content:center}
.col-text{flex:1;min-width:0;font-size:.92em;line-height:1.4;overflow:hidden}
.wide-fig{flex:1;min-height:0;display:flex;justify-content:center}
img.fig{max-width:100%;max-height:100%;object-fit:contain}
.text-small{font-size:.8em;line-height:1.3}
.wide-fig{max-height:52%}
.two-col ul{columns:2;column-gap:2em}.two-col li{break-inside:avoid}
p.lead{margin:.3em 0 .1em;font-weight:bold}
ul{margin:.2em 0;padding-left:1.2em}li{margin:.35em 0}
.sim-banner{background:#fff3f3;border:.12em solid #b00;color:#900;font-weight:bold;font-size:.8em;
 padding:.25em .7em;margin:-1.2em 0 .6em 0;text-align:center}
.public-badge{background:#eef8f1;border:.12em solid #1b7f3b;color:#1b5e20;font-weight:bold;
 font-size:.8em;padding:.25em .7em;margin:-1.2em 0 .6em 0;text-align:center}
.slide-foot{font-size:.62em;color:#555;margin-top:.4em;line-height:1.3}
table.tbl{border-collapse:collapse;font-size:.78em;margin-bottom:.6em}
table.tbl th,table.tbl td{border-bottom:1px solid #ddd;padding:.2em .4em;text-align:left;vertical-align:top}
.deck-nav{position:fixed;right:1em;bottom:.6em;color:#ccc;font-size:14px;user-select:none}
.deck-nav button{background:#444;color:#eee;border:0;border-radius:3px;padding:2px 10px;margin:0 2px;cursor:pointer}
.jp-OutputArea-output,.jp-RenderedHTMLCommon{height:100%}
.jp-Cell,.jp-Cell-outputWrapper,.jp-OutputArea{height:100%}
.jp-Collapser,.jp-OutputPrompt{display:none}
@media print{
 @page{size:297mm 167mm;margin:0}
 html,body{background:#fff;height:auto}
 main.deck{display:block;width:auto;height:auto}
 .slides{width:297mm;height:auto;font-size:12pt;overflow:visible}
 .slides>section{display:block!important;position:relative;width:297mm;height:167mm;page-break-after:always;break-after:page}
 .deck-nav{display:none}
}
"""

DECK_JS = """
(function(){
 var s=[].slice.call(document.querySelectorAll('.slides > section'));
 var i=0, count=document.getElementById('deck-count');
 function show(n){
  if(!s.length)return;
  i=Math.max(0,Math.min(s.length-1,n));
  s.forEach(function(e,k){e.classList.toggle('present',k===i);});
  if(count)count.textContent=(i+1)+' / '+s.length;
  if(location.hash!=='#'+(i+1)&&history.replaceState)history.replaceState(null,'','#'+(i+1));
 }
 function fromHash(){var h=parseInt(location.hash.slice(1),10);show(isNaN(h)?0:h-1);}
 document.addEventListener('keydown',function(e){
  var k=e.key;
  if(['ArrowRight','ArrowDown','PageDown',' ','Enter','n'].indexOf(k)>=0){show(i+1);e.preventDefault();}
  else if(['ArrowLeft','ArrowUp','PageUp','Backspace','p'].indexOf(k)>=0){show(i-1);e.preventDefault();}
  else if(k==='Home'){show(0);}else if(k==='End'){show(s.length-1);}
 });
 var x0=null;
 document.addEventListener('touchstart',function(e){x0=e.touches[0].clientX;});
 document.addEventListener('touchend',function(e){if(x0===null)return;var dx=e.changedTouches[0].clientX-x0;
  if(Math.abs(dx)>50)show(i+(dx<0?1:-1));x0=null;});
 document.getElementById('deck-prev').onclick=function(){show(i-1);};
 document.getElementById('deck-next').onclick=function(){show(i+1);};
 window.addEventListener('hashchange',fromHash);
 fromHash();
})();
"""

_DECK_TEMPLATE = """{%- extends 'reveal/base.html.j2' -%}
{%- block header -%}
<!DOCTYPE html>
<html lang="{{ resources.language_code }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ resources.metadata.name | escape_html }}</title>
<style>{{ resources.batang_css }}</style>
</head>
{%- endblock header -%}
{%- block body_header -%}
<body><main class="deck"><div class="slides">
{%- endblock body_header -%}
{%- block body_footer -%}
</div></main>
<div class="deck-nav"><button id="deck-prev" aria-label="previous">&#8592;</button>
<span id="deck-count"></span><button id="deck-next" aria-label="next">&#8594;</button></div>
<script>{{ resources.batang_js }}</script>
</body>
{%- endblock body_footer -%}
{%- block footer -%}
</html>
{%- endblock footer -%}
"""

BRIEF_CSS = """
*{box-sizing:border-box}
:root{--s:1}
html{background:#f2f2f2}
body{margin:0;font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;color:#222;
 font-size:calc(9.4pt*var(--s));line-height:1.38}
.page{width:210mm;min-height:297mm;margin:1em auto;background:#fff;padding:12mm 13mm 10mm 13mm;
 box-shadow:0 0 6px rgba(0,0,0,.2)}
h1{font-size:1.55em;margin:0 0 .15em;color:#0b3d6b;line-height:1.2}
h2{font-size:1.12em;margin:.9em 0 .35em;color:#0b3d6b;border-bottom:1px solid #c9d6e3;padding-bottom:.1em}
.meta{color:#555;margin:0 0 .5em}
.sim-banner{background:#fff3f3;border:2px solid #b00;color:#900;font-weight:bold;padding:.35em .7em;margin:.3em 0 .4em}
.sim-note{display:block;font-weight:normal;color:#333;font-size:.92em}
ol.findings{margin:.2em 0;padding-left:1.4em}
ol.findings li{margin:.35em 0}
.intro{margin:.2em 0 .4em}
.tables{display:flex;gap:5mm}
table.tbl{border-collapse:collapse;width:50%;font-size:.9em}
table.tbl caption{text-align:left;font-weight:bold;padding-bottom:.2em}
table.tbl th,table.tbl td{border-bottom:1px solid #ddd;padding:.18em .3em;text-align:left;vertical-align:top}
table.tbl th{background:#f3f6f9;font-weight:bold}
table.tbl td.num{white-space:nowrap}
footer{margin-top:.8em;color:#555;font-size:.84em;border-top:1px solid #ccc;padding-top:.4em}
.jp-Collapser,.jp-OutputPrompt{display:none}
@media print{
 @page{size:A4;margin:0}
 html{background:#fff}
 .page{margin:0;box-shadow:none;width:210mm;min-height:0;height:296mm;overflow:hidden}
}
"""

_BRIEF_TEMPLATE = """{%- extends 'lab/base.html.j2' -%}
{%- block header -%}
<!DOCTYPE html>
<html lang="{{ resources.language_code }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ resources.metadata.name | escape_html }}</title>
<style>{{ resources.batang_css }}</style>
</head>
{%- endblock header -%}
{%- block body_header -%}
<body><div class="page">
{%- endblock body_header -%}
{%- block body_footer -%}
</div></body>
{%- endblock body_footer -%}
{%- block footer -%}
</html>
{%- endblock footer -%}
"""


def clean_notebook(nb):
    """Keep only what the audience sees: drop cells tagged ``remove_cell`` and code cells with
    no output left, and take stream output (warnings, prints) out of the page. Returns the
    notebook and the stream texts, which the command prints as warnings."""
    import nbformat

    nb = nbformat.from_dict(nb)
    streams, cells = [], []
    for cell in nb.cells:
        if "remove_cell" in cell.get("metadata", {}).get("tags", []):
            continue
        if cell.cell_type == "code":
            keep = []
            for o in cell.get("outputs", []):
                if o.get("output_type") == "stream":
                    streams.append(str(o.get("text", "")))
                else:
                    keep.append(o)
            cell.outputs = keep
            if not keep:
                continue
        cells.append(cell)
    nb.cells = cells
    return nb, streams


def deck_to_html(nb, title: str, lang: str = "id") -> str:
    """An executed deck notebook as one offline HTML file (nbconvert SlidesExporter)."""
    from jinja2 import DictLoader
    from nbconvert import SlidesExporter

    exp = SlidesExporter(exclude_input=True, exclude_output_prompt=True,
                         exclude_input_prompt=True,
                         extra_loaders=[DictLoader({"batang_deck.html.j2": _DECK_TEMPLATE})],
                         template_file="batang_deck.html.j2")
    exp.language_code = lang
    body, _ = exp.from_notebook_node(nb, resources={"metadata": {"name": title},
                                                    "batang_css": DECK_CSS,
                                                    "batang_js": DECK_JS})
    return body


def brief_to_html(nb, title: str, lang: str = "id") -> str:
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    exp = HTMLExporter(exclude_input=True, exclude_output_prompt=True,
                       exclude_input_prompt=True,
                       extra_loaders=[DictLoader({"batang_brief.html.j2": _BRIEF_TEMPLATE})],
                       template_file="batang_brief.html.j2")
    exp.language_code = lang
    body, _ = exp.from_notebook_node(nb, resources={"metadata": {"name": title},
                                                    "batang_css": BRIEF_CSS})
    return body


def run_template(template: Path, parameters: dict, kernel_name: str, timeout: int = 120):
    """Execute a template notebook with papermill (no .ipynb written) and return it."""
    import nbformat
    import papermill as pm

    from analysis.publish.kernel import BATCH_KERNEL_ARGS

    nb = nbformat.read(template, as_version=4)
    return pm.execute_notebook(nb, None, parameters=parameters, kernel_name=kernel_name,
                               progress_bar=False, request_save_on_cell_execute=False,
                               start_timeout=60, execution_timeout=timeout,
                               shutdown_kernel="immediate",
                               extra_arguments=list(BATCH_KERNEL_ARGS))


# =================================================================================================
# PDF with headless Chromium
# =================================================================================================

def find_chromium(explicit: str | None = None) -> str | None:
    """The browser to print with: ``explicit``, ``$BATANG_CHROMIUM``, else the first of
    chromium / chromium-browser / google-chrome on the PATH."""
    for cand in (explicit, os.environ.get("BATANG_CHROMIUM")):
        if cand:
            found = shutil.which(cand) or (cand if Path(cand).is_file() else None)
            if found:
                return found
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def pdf_pages(path: str | Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(path)).pages)


def print_pdf(html_path: Path, pdf_path: Path, chromium: str, timeout: int = 60) -> None:
    """Print ``html_path`` to ``pdf_path`` with headless Chromium (fresh profile, no network
    services, no header or footer)."""
    with tempfile.TemporaryDirectory(prefix="batang-chromium-") as profile:
        cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
               f"--print-to-pdf={pdf_path}", Path(html_path).resolve().as_uri()]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if not pdf_path.is_file() or pdf_path.stat().st_size == 0:
        raise RuntimeError(f"chromium did not write {pdf_path} (exit {proc.returncode}): "
                           f"{proc.stderr.strip()[-500:]}")


def brief_pdf(html_text: str, pdf_path: Path, chromium: str) -> tuple[int, float]:
    """Print the brief on one A4 page: try the font scales of ``PDF_SCALES`` until one page.
    Returns (pages, scale used)."""
    pages, scale = 0, 1.0
    with tempfile.TemporaryDirectory(prefix="batang-brief-") as tmp:
        for scale in PDF_SCALES:
            page = html_text.replace("</head>", f"<style>:root{{--s:{scale}}}</style></head>", 1)
            src = Path(tmp) / "brief.html"
            src.write_text(page, encoding="utf-8")
            out = Path(tmp) / "brief.pdf"
            out.unlink(missing_ok=True)
            print_pdf(src, out, chromium)
            pages = pdf_pages(out)
            if pages == 1:
                break
        _atomic_write(pdf_path, out.read_bytes())
    return pages, scale


# =================================================================================================
# the command
# =================================================================================================

def templates_dir() -> Path:
    return config.notebooks_dir() / "presentation"


def _atomic_write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class PresentResult:
    out_dir: Path
    lang: str
    files: list[str] = field(default_factory=list)
    figures: list[dict] = field(default_factory=list)
    pdf_pages: int | None = None
    pdf_scale: float | None = None
    pdf_error: str | None = None
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def exit_status(self) -> int:
        return EXIT_NO_PDF if self.pdf_error else EXIT_OK


def present(out_dir: str | Path | None = None, lang: str = "id",
            data_dir: str | Path | None = None, pdf: bool = True,
            scenario_cut_pct: float = DEFAULT_CUT_PCT,
            scenario_unit: str = DEFAULT_SCENARIO_UNIT, chromium: str | None = None,
            kernel_name: str | None = None, timeout: int = 120) -> PresentResult:
    """Render figures, deck and brief (HTML + PDF) into ``out_dir`` (default reports/).

    Raises PresentParameterError / store.NotBuiltError before writing anything when a parameter
    is wrong or the data is not built; a failing template raises papermill's error.
    """
    import matplotlib

    matplotlib.use("Agg")
    from analysis.publish.kernel import DEFAULT_KERNEL_NAME, ensure_kernel

    t0 = time.perf_counter()
    out = Path(out_dir) if out_dir else config.reports_dir()
    out = out.expanduser().resolve()
    data = Path(data_dir).expanduser().resolve() if data_dir else config.data_dir()
    res = load(data, lang, scenario_cut_pct, scenario_unit)
    result = PresentResult(out, lang)
    kernel_name = kernel_name or DEFAULT_KERNEL_NAME
    ensure_kernel(kernel_name)
    params = {"lang": lang, "data_dir": str(data), "scenario_cut_pct": res.scenario_cut_pct,
              "scenario_unit": res.scenario_unit}

    # the two notebooks run in a second process while this one draws the figures
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        fut_deck = pool.submit(run_template, templates_dir() / "deck.ipynb", params,
                               kernel_name, timeout)
        fut_brief = pool.submit(run_template, templates_dir() / "brief.ipynb",
                                {"lang": lang, "data_dir": str(data), "rows": BRIEF_ROWS},
                                kernel_name, timeout)
        t1 = time.perf_counter()
        result.figures = export_figures(res, out / "figures")
        result.seconds["figures"] = round(time.perf_counter() - t1, 2)
        deck_nb, brief_nb = fut_deck.result(), fut_brief.result()
    result.seconds["notebooks"] = round(time.perf_counter() - t1, 2)
    for rec in result.figures:
        result.files += [f"figures/{f}" for f in rec["files"]]
    result.files.append(f"figures/captions.{lang}.md")

    t2 = time.perf_counter()
    deck_nb, s1 = clean_notebook(deck_nb)
    brief_nb, s2 = clean_notebook(brief_nb)
    result.warnings += [s.strip() for s in s1 + s2 if s.strip()]
    deck = deck_to_html(deck_nb, t("deck_title", lang), lang)
    brief = brief_to_html(brief_nb, t("brief_title", lang), lang)
    _atomic_write(out / f"deck.{lang}.html", deck)
    _atomic_write(out / f"brief.{lang}.html", brief)
    result.files += [f"deck.{lang}.html", f"brief.{lang}.html"]
    result.seconds["html"] = round(time.perf_counter() - t2, 2)

    if pdf:
        t3 = time.perf_counter()
        browser = find_chromium(chromium)
        pdf_path = out / f"brief.{lang}.pdf"
        if browser is None:
            result.pdf_error = ("the PDF of the brief needs Chromium (or Chrome), which was not "
                                "found: install it (Debian/Ubuntu: apt-get install chromium), "
                                "point BATANG_CHROMIUM or --chromium at it, or pass --no-pdf. "
                                f"The HTML brief is at {out / f'brief.{lang}.html'}; printing "
                                "it from any browser on A4 gives one page too.")
        else:
            try:
                result.pdf_pages, result.pdf_scale = brief_pdf(brief, pdf_path, browser)
                result.files.append(pdf_path.name)
                if result.pdf_pages != 1:
                    result.warnings.append(f"the brief PDF has {result.pdf_pages} pages, not 1")
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
                result.pdf_error = f"printing the PDF failed: {exc}"
        result.seconds["pdf"] = round(time.perf_counter() - t3, 2)
    result.seconds["total"] = round(time.perf_counter() - t0, 2)
    manifest = {"lang": lang, "dataset": res.dataset, "data_dir": str(data),
                "scenario": {"unit": res.scenario_unit, "cut_pct": res.scenario_cut_pct},
                "files": result.files, "figures": result.figures,
                "pdf_pages": result.pdf_pages, "pdf_scale": result.pdf_scale,
                "pdf_error": result.pdf_error, "warnings": result.warnings,
                "seconds": result.seconds,
                "generated": _dt.datetime.now().isoformat(timespec="seconds")}
    _atomic_write(out / f"present.{lang}.json", json.dumps(manifest, indent=2,
                                                           ensure_ascii=False))
    return result


def _cli_present(args) -> int:
    langs = list(LANGS) if args.lang == "all" else [args.lang]
    status = EXIT_OK
    for lang in langs:
        try:
            r = present(args.out, lang, args.data_dir, pdf=not args.no_pdf,
                        scenario_cut_pct=args.cut, scenario_unit=args.unit,
                        chromium=args.chromium, timeout=args.timeout)
        except (PresentParameterError, store.NotBuiltError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except Exception as exc:  # noqa: BLE001 - a template failure: say where, exit 1
            print(f"error: presentation ({lang}) failed: {type(exc).__name__}: {exc}",
                  file=sys.stderr)
            return EXIT_FAILED
        n_fig = sum(1 for f in r.figures if f.get("files"))
        pdf_txt = (f", brief PDF {r.pdf_pages} page(s)" if r.pdf_pages is not None else "")
        print(f"[{lang}] deck, brief{pdf_txt} and {n_fig} figures (PNG+SVG) in "
              f"{r.seconds['total']:.1f} s -> {r.out_dir}")
        for w in r.warnings:
            print(f"  warning: {w}", file=sys.stderr)
        if r.pdf_error:
            print(f"  NO PDF: {r.pdf_error}", file=sys.stderr)
            status = max(status, r.exit_status)
    return status


def register_cli(subparsers) -> None:
    p = subparsers.add_parser(
        "present", help="render the slide deck, publication figures and one-page brief",
        description="Write reports/deck.<lang>.html (offline slide deck), reports/figures/ "
        "(PNG 300 dpi + SVG), reports/brief.<lang>.html and .pdf (one A4 page, via headless "
        "Chromium) and reports/present.<lang>.json. Exit status: 0 ok, 1 a template failed, "
        "2 bad parameter or data not built, 3 everything but the PDF was written (no Chromium "
        "or printing failed; --no-pdf avoids this).")
    p.add_argument("--lang", choices=[*LANGS, "all"], default="id",
                   help="language: id (default), en, or all")
    p.add_argument("--out", default=None,
                   help=f"output folder (default: {config.reports_dir()})")
    p.add_argument("--data-dir", default=None, help="data folder (default: config.data_dir())")
    p.add_argument("--no-pdf", action="store_true", help="skip the PDF of the brief")
    p.add_argument("--chromium", default=None,
                   help="browser executable for the PDF (default: $BATANG_CHROMIUM or chromium "
                   "on the PATH)")
    p.add_argument("--cut", type=float, default=DEFAULT_CUT_PCT,
                   help=f"scenario: next year's cut in percent (default {DEFAULT_CUT_PCT:g})")
    p.add_argument("--unit", default=DEFAULT_SCENARIO_UNIT,
                   help=f"scenario: the OPD whose baseline is shown (default "
                   f"{DEFAULT_SCENARIO_UNIT})")
    p.add_argument("--timeout", type=int, default=120, help="per-cell timeout in seconds")
    p.set_defaults(func=_cli_present)
