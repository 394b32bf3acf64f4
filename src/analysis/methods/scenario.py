"""Planning scenarios: the predicted effect of a budget cut of a given size on one OPD, from
the fitted main models, with 95 % intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.methods.fe import FEW_CLUSTERS

# =================================================================================================
# scenario
# =================================================================================================

def _coef(fits, model: str, outcome: str, term: str) -> pd.Series:
    mr = fits["model_results"] if isinstance(fits, dict) else fits
    hit = mr[(mr["model"] == model) & (mr["outcome"] == outcome) & (mr["term"] == term)]
    if hit.empty:
        raise ValueError(f"no fitted coefficient {model}/{outcome}/{term} in the results: run "
                         "fit_all first")
    return hit.iloc[0]


def _signed(x: float, lang: str) -> str:
    """+1,5 / −1,5 (id) or +1.5 / −1.5 (en), one decimal."""
    from analysis.narrative import fmt

    text = fmt.number(x, lang, 1)
    return text if text.startswith(("−", "-")) or text in ("0,0", "0.0") else "+" + text


def scenario(fits, unit_id: str, cut_pct: float, panel: pd.DataFrame | None = None
             ) -> pd.DataFrame:
    """What the evidence says if next year's budget of ``unit_id`` is cut by ``cut_pct`` %.

    - innovations: percent change exp(b * log(1 - cut)) - 1, b = the Poisson semi-elasticity
      on dlog_budget; interval from the coefficient's confidence interval.
    - IKM: b_ikm * log(1 - cut) points the year after (the IKM model uses the lagged change).

    ``fits`` is the ``model_results`` table (or fit_all's dict). With ``panel`` (or a "panel"
    entry in ``fits``) the unit is checked and its latest level shown. ``statement_*`` says in
    plain words when the evidence is too thin (interval spans 0, or fewer than 30 clusters).
    """
    cut = float(cut_pct) / 100.0
    if not np.isfinite(cut) or cut >= 1.0 or cut <= -1.0:
        raise ValueError(f"cut_pct must be between -100 and 100 (got {cut_pct}); a negative "
                         "value means an increase")
    if cut == 0:
        raise ValueError("cut_pct is 0: no change to evaluate")
    if panel is None and isinstance(fits, dict):
        panel = fits.get("panel")
    base = {}
    if panel is not None:
        pu = panel[panel["unit_id"] == unit_id]
        if pu.empty:
            raise ValueError(f"unknown unit_id {unit_id!r}: not in the panel")
        last = pu.sort_values("year")
        for col in ("innovations", "ikm"):
            s = last[["year", col]].dropna() if col in last else pd.DataFrame()
            base[col] = (float(s[col].iloc[-1]), int(s["year"].iloc[-1])) if len(s) else None
    x = np.log1p(-cut)
    rows = []
    specs = [("innovations", "fe_poisson", "dlog_budget", "pct_change",
              lambda b: 100 * (np.exp(b * x) - 1)),
             ("ikm", "fe_ols", "dlog_budget_lag1", "points_next_year", lambda b: b * x)]
    mr = fits["model_results"] if isinstance(fits, dict) else fits
    dataset = str(mr["dataset"].iloc[0]) if "dataset" in mr else "unknown"
    for outcome, model, term, measure, f in specs:
        c = _coef(fits, model, outcome, term)
        vals = sorted([f(c["ci_low"]), f(c["ci_high"])])
        est = float(f(c["estimate"]))
        spans = vals[0] <= 0 <= vals[1]
        few = int(c["n_clusters"]) < FEW_CLUSTERS
        unit_txt = "%" if measure == "pct_change" else " poin IKM"
        unit_en = "%" if measure == "pct_change" else " IKM points"
        what_id = "jumlah inovasi" if outcome == "innovations" else "IKM tahun berikutnya"
        what_en = "innovations" if outcome == "innovations" else "IKM the following year"
        rng_id = (f"{_signed(est, 'id')}{unit_txt} (95%: {_signed(vals[0], 'id')} s.d. "
                  f"{_signed(vals[1], 'id')})")
        rng_en = (f"{_signed(est, 'en')}{unit_en} (95%: {_signed(vals[0], 'en')} to "
                  f"{_signed(vals[1], 'en')})")
        if spans or few:
            why_id, why_en = [], []
            if spans:
                why_id.append("selang kepercayaan mencakup nol")
                why_en.append("the confidence interval includes zero")
            if few:
                why_id.append(f"hanya {int(c['n_clusters'])} OPD dalam model")
                why_en.append(f"only {int(c['n_clusters'])} OPDs in the model")
            sid = (f"Bukti terlalu tipis untuk {what_id}: {' dan '.join(why_id)}. "
                   f"Perkiraan {rng_id}; jangan dijadikan dasar keputusan tanpa data lain.")
            sen = (f"Evidence too thin for {what_en}: {' and '.join(why_en)}. "
                   f"Estimate {rng_en}; do not base a decision on it alone.")
            evidence = "thin"
        else:
            sid = f"Pemotongan {cut_pct:g}% diperkirakan mengubah {what_id} sebesar {rng_id}."
            sen = f"A {cut_pct:g}% cut is estimated to change {what_en} by {rng_en}."
            evidence = "adequate"
        if dataset == "simulated":
            sid += " (DATA SIMULASI: bukan temuan tentang OPD nyata.)"
            sen += " (SIMULATED DATA: not a finding about a real office.)"
        b = base.get(outcome)
        rows.append({"unit_id": unit_id, "cut_pct": float(cut_pct), "outcome": outcome,
                     "measure": measure, "estimate": est, "ci_low": float(vals[0]),
                     "ci_high": float(vals[1]), "coef_term": term,
                     "coef": float(c["estimate"]), "n": int(c["n"]),
                     "n_clusters": int(c["n_clusters"]),
                     "baseline": b[0] if b else np.nan, "baseline_year": b[1] if b else pd.NA,
                     "evidence": evidence, "statement_id": sid, "statement_en": sen,
                     "dataset": dataset})
    return pd.DataFrame(rows)
