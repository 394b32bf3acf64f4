"""The findings the deck and the brief present: read once from the processed tables, turned
into numbers and sentences (no refit: the build fitted the models).

:func:`load` reads every table the presentation uses into :class:`Results`; the functions
below compute what a slide or the brief shows (effects of a 10 % smaller budget with their
intervals, the 2020 cuts, resilience, typology, the scenario) and word it through
:mod:`analysis.narrative.sentences` and the catalog (``words/present.toml``). Figures are in
:mod:`analysis.publish.deck_figures`, the HTML of the deck and the brief in
:mod:`analysis.publish.deck` and :mod:`analysis.publish.brief`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.data import store
from analysis.methods.fe import CUT_X_POST, FEW_CLUSTERS
from analysis.methods.measures import dataset_label
from analysis.methods.resilience import check_resilience
from analysis.methods.scenario import scenario
from analysis.narrative import fmt, sentences
from analysis.narrative.catalog import category, text
from analysis.publish import markup
from analysis.publish import params as checks
from analysis.publish.params import ParameterError

DEFAULT_CUT_PCT = 10.0
"""Default scenario: a 10 % cut (the regency's actual spending fell about 6 % in 2020)."""
DEFAULT_SCENARIO_UNIT = "dinkes"

# outcome -> (model, term, measure) of the budget effect; measure "pct" or "pts"
EFFECT_SPECS = {
    "innovations": ("fe_poisson", "dlog_budget", "pct"),
    "complaints": ("fe_poisson", "dlog_budget", "pct"),
    "log_service_days": ("fe_ols", "dlog_budget", "pct"),
    "ikm": ("fe_ols", "dlog_budget_lag1", "pts"),
    "ombudsman_score": ("fe_ols", "dlog_budget", "pts"),
}


class PresentParameterError(ParameterError):
    """A presentation parameter is invalid; the message says which and what is allowed (the
    checks of :mod:`analysis.publish.params`)."""


def t(key: str, lang: str, **values) -> str:
    """A phrase of the presentation (catalog ``present.<key>``) in ``lang``."""
    return text(f"present.{key}", lang, **values)


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
    models_older: dict | None = None
    """The build's ``fits_note``: set when an import deferred the refits and the model
    results are older than the data (every page then says so: ``markup.models_older``)."""

    @property
    def simulated(self) -> bool:
        return self.dataset == "simulated"

    def name(self, unit_id: str) -> str:
        return short_name(self.units, unit_id)


def validate_params(lang: str = "id", scenario_cut_pct: float = DEFAULT_CUT_PCT,
                    scenario_unit: str = DEFAULT_SCENARIO_UNIT) -> dict:
    """Check the template parameters (papermill only warns about unknown names)."""
    checks.check_lang(lang, PresentParameterError)
    cut = checks.check_percent(scenario_cut_pct, "scenario_cut_pct", 0, 100,
                               note=" (a cut, percent)", error=PresentParameterError)
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
    checks.check_known(p["scenario_unit"], sorted(set(panel["unit_id"])), "scenario_unit",
                       error=PresentParameterError)
    if "cut_2020_pct" not in tables["unit_summary"]:
        raise store.NotBuiltError("the processed unit_summary lacks cut_2020_pct (built by an "
                                  "older version): rebuild with `python -m analysis build`")
    mr = tables["model_results"]
    dataset = (str(mr["dataset"].iloc[0]) if "dataset" in mr and len(mr)
               else dataset_label(panel))
    return Results(p["lang"], data_dir, p["scenario_cut_pct"], p["scenario_unit"],
                   tables["units"], panel, tables["unit_summary"], tables["regency_year"], mr,
                   tables["event_study"], tables["typology"], tables["typology_k"],
                   tables["resilience"], tables["region_finance"], dataset,
                   models_older=markup.models_note(data_dir))


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


def _pvals(c) -> dict:
    """Raw and Holm-adjusted p-value of a coefficient row, the family size and the findings
    ledger's verdict (read, never recomputed)."""
    return {"verdict": str(c.get("verdict", "") or ""),
            "p_value": float(c.get("p_value", np.nan)),
            "p_adjusted": float(c.get("p_adjusted", np.nan)),
            "n_tests": int(c["n_tests"]) if "n_tests" in c and not pd.isna(c["n_tests"]) else 0}


def _scaled(c, f) -> dict:
    """A coefficient row turned by the monotone ``f`` (log change -> % or points), the
    interval sorted, with its clusters and p-values."""
    lo, hi = sorted([float(f(c["ci_low"])), float(f(c["ci_high"]))])
    return {"estimate": float(f(c["estimate"])), "ci_low": lo, "ci_high": hi,
            "n": int(c["n"]), "n_clusters": int(c["n_clusters"]),
            "spans_zero": lo <= 0 <= hi,
            "few_clusters": int(c["n_clusters"]) < FEW_CLUSTERS, **_pvals(c)}


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
        rows.append({"outcome": outcome, "measure": measure, **_scaled(c, f)})
    return pd.DataFrame(rows)


def cut_summary(res: Results) -> dict:
    """The 2020 cuts across OPDs, in percent (``cut_2020_pct`` of the panel builder)."""
    s = res.summary.dropna(subset=["cut_2020_pct"]).sort_values("cut_2020_pct")
    pct = s["cut_2020_pct"]
    reg = res.regency.set_index("year")
    share = reg["penunjang_median"] if "penunjang_median" in reg else pd.Series(dtype=float)
    return {"n": len(s), "n_cut": int((pct < 0).sum()), "median": float(pct.median()),
            "q1": float(pct.quantile(0.25)), "q3": float(pct.quantile(0.75)),
            "deepest": [(res.name(u), float(v)) for u, v in zip(s["unit_id"].head(3),
                                                                  pct.head(3), strict=True)],
            "share_2019": float(share.get(2019, np.nan)), "share_2020": float(share.get(2020,
                                                                                      np.nan)),
            "regency_2020": pct_of_log(float(reg["dlog_budget"].get(2020, np.nan)))}


def _leadership_rows(res: Results) -> list[tuple[str, dict]]:
    """The acting-head (Plt) coefficients of the main innovation and IKM models: a full year
    under a Plt, as % change in innovations and IKM points."""
    out = []
    for model, outcome in (("fe_poisson", "innovations"), ("fe_ols", "ikm")):
        c = coef(res, model, outcome, "acting_share")
        if c is None:
            continue
        pct = model == "fe_poisson"
        row = {"measure": "pct" if pct else "pts",
               **_scaled(c, pct_of_log if pct else (lambda b: b))}
        out.append((t(f"lead_what.{outcome}", res.lang), row))
    return out


def family(res: Results) -> int:
    """How many tests the Holm family of the findings holds."""
    mr = res.model_results
    return int(mr["n_tests"].dropna().iloc[0]) if "n_tests" in mr and mr["n_tests"].notna().any() \
        else 0


def findings(res: Results) -> list[dict]:
    """The five findings that matter most, each one generated sentence with its interval."""
    lang = res.lang
    out = []
    cs = cut_summary(res)

    def p(v):
        return fmt.percent(v, lang, fraction=False)

    deep = ", ".join(f"{n} ({p(v)})" for n, v in cs["deepest"])
    composition, _ = sentences.cut_composition(res.regency, lang)
    out.append({"key": "cuts", "headline": t("head.cuts", lang), "sentence": t(
        "finding.cuts", lang, n_cut=cs["n_cut"], n=cs["n"], median=p(cs["median"]),
        q1=p(cs["q1"]), q3=p(cs["q3"]), deepest=deep)
        + (" " + composition + "." if composition else "")})

    eff = effects_of_cut(res, 10.0).set_index("outcome", drop=False)
    if "innovations" in eff.index:
        r = eff.loc["innovations"]
        did = coef(res, "fe_poisson", "innovations", CUT_X_POST)
        extra = ""
        if did is not None:
            x = np.log1p(-0.10)
            dr = {"measure": "pct", **_scaled(did, lambda b: 100 * np.expm1(b * x))}
            extra = t("finding.innovation_did", lang, effect=sentences.effect_phrase(dr, lang),
                      qualifier=sentences.qualifier(dr, lang))
        out.append({"key": "innovation", "headline": t("head.innovation", lang),
                    "sentence": t("finding.innovation", lang,
                                  evidence=sentences.evidence(r, lang), g=r["n_clusters"],
                                  n=r["n"], extra=extra)})

    parts, few = [], []
    for o in ("ikm", "ombudsman_score", "log_service_days", "complaints"):
        if o in eff.index:
            r = eff.loc[o]
            zero = t("finding.includes_zero", lang) if r["spans_zero"] else ""
            parts.append(f"{category('outcome', o, lang)} "
                         f"{sentences.effect_phrase(r, lang)}".rstrip(")") + zero + "; "
                         + sentences.testing_phrase(r, lang) + ")")
            if r["few_clusters"]:
                few.append(f"{category('outcome_simple', o, lang)} {r['n_clusters']}")
    if parts:
        tail = t("finding.service_few", lang, few=", ".join(few)) if few else ""
        out.append({"key": "service", "headline": t("head.service", lang),
                    "sentence": t("finding.service_lead", lang) + "; ".join(parts) + "."
                    + tail})

    out.append({"key": "resilience", "headline": t("head.resilience", lang),
                "sentence": resilience_sentence(res)})

    lead_parts = [f"{what} {sentences.evidence(row, lang)}"
                  for what, row in _leadership_rows(res)]
    if lead_parts:
        out.append({"key": "leadership", "headline": t("head.leadership", lang),
                    "sentence": t("finding.leadership", lang, parts="; ".join(lead_parts))})
    return out[:5]


def resilience_frame(res: Results, outcome: str = "innovations") -> pd.DataFrame:
    """The cut OPDs with an estimate for ``outcome`` (counterfactual resilience), highest
    difference first, with their names and verdicts."""
    r = res.resilience
    if r.empty or "effect" not in r:
        return pd.DataFrame(columns=["unit_id", "effect", "ci_low", "ci_high", "rank",
                                     "rank_low", "rank_high", "verdict", "name"])
    r = check_resilience(r)
    r = r[(r["outcome"] == outcome) & r["effect"].notna()].copy()
    r["name"] = [res.name(u) for u in r["unit_id"]]
    r["above"] = r["verdict"] == "above"
    r["below"] = r["verdict"] == "below"
    return r.sort_values("effect", ascending=False).reset_index(drop=True)


def resilience_sentence(res: Results) -> str:
    """Cut OPDs grouped by verdict against their counterfactual (one sentence builder:
    :func:`analysis.narrative.sentences.resilience_sentence`)."""
    return sentences.resilience_sentence(
        {o: resilience_frame(res, o) for o in ("innovations", "ikm")}, res.lang)


def typology_summary(res: Results) -> pd.DataFrame:
    typ = res.typology
    if typ.empty or "cluster" not in typ:
        return pd.DataFrame()
    typ, col = sentences.describe_clusters(typ), "description_" + res.lang
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
    lang = res.lang
    s = t("silhouette", lang, k=int(row["k"]), sil=fmt.number(row["silhouette"], lang, 2),
          k0=int(k["k"].min()), k1=int(k["k"].max()), n=int(row["n_units"]))
    return s + (t("silhouette_weak", lang) if row["silhouette"] < 0.25 else "")


def pretrend_sentence(res: Results) -> str:
    es = res.event_study
    if es.empty or "pretrend_p" not in es or es["pretrend_p"].isna().all():
        return ""
    lang = res.lang
    p = float(es["pretrend_p"].iloc[0])
    flagged = bool(es["pretrend_flagged"].iloc[0])
    pa = float(es["pretrend_p_adjusted"].iloc[0]) if "pretrend_p_adjusted" in es else np.nan
    k = family(res)
    adj = (t("pretrend_adj", lang, pa=fmt.number(pa, lang, 2), k=k)
           if k and not pd.isna(pa) else "")
    return (t("pretrend", lang, p=fmt.number(p, lang, 2), adj=adj)
            + t("pretrend_flagged" if flagged else "pretrend_ok", lang))


def scenario_table(res: Results) -> pd.DataFrame:
    return scenario(res.model_results, res.scenario_unit, res.scenario_cut_pct, res.panel)


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
    """The scenario in words: one sentence per outcome of ``scenario.scenario`` (the one
    builder, :func:`analysis.narrative.sentences.scenario_sentence`), with the scenario
    unit's level after the cut, saying plainly when the evidence is thin."""
    return [sentences.scenario_sentence(r, res.lang, unit_name=res.name(r.unit_id))
            for r in scenario_table(res).itertuples()]


def effect_lines(res: Results) -> list[str]:
    """One short line per outcome for a slide: effect of a 10 % smaller budget, interval, and
    a tag when the interval includes zero or rests on fewer than 30 OPDs."""
    lang = res.lang
    lines = []
    for r in effects_of_cut(res, 10.0).to_dict("records"):
        tags = []
        if r["spans_zero"]:
            tags.append(t("tag.zero", lang))
        if r["few_clusters"]:
            tags.append(t("tag.few", lang, n=r["n_clusters"]))
        tags.append(sentences.testing_phrase(r, lang))
        lines.append(f"{category('outcome_short', r['outcome'], lang)}: "
                     f"{sentences.effect_phrase(r, lang)} — {', '.join(tags)}")
    return lines


def leadership_line(res: Results) -> str:
    """The acting-head association in one short line (for a slide)."""
    rows = _leadership_rows(res)
    if not rows:
        return ""
    return t("leadership_line", res.lang, parts="; ".join(
        f"{w} {sentences.effect_phrase(r, res.lang)}" for w, r in rows))


def caveat_items(res: Results) -> list[str]:
    lang = res.lang
    mr = res.model_results
    g_ikm = coef(res, "fe_ols", "ikm", "dlog_budget_lag1")
    g_omb = coef(res, "fe_ols", "ombudsman_score", "dlog_budget")
    items = [
        t("caveat.clusters", lang, g_all=int(mr["n_clusters"].max()) if len(mr) else 0,
          g_ikm=int(g_ikm["n_clusters"]) if g_ikm is not None else 0,
          g_omb=int(g_omb["n_clusters"]) if g_omb is not None else 0),
        t("caveat.causation", lang), t("caveat.resilience", lang),
        t("caveat.testing", lang, k=family(res)), t("caveat.scenario", lang),
        t("caveat.period", lang, y0=int(res.panel["year"].min()),
          y1=int(res.panel["year"].max())),
    ]
    if res.simulated:
        items.insert(0, t("caveat.simulated", lang))
    return items
