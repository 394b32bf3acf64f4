"""Planning scenarios: the predicted effect of a budget cut of a given size on one OPD, from
the fitted main models, with 95 % intervals. Numbers only: a scenario row is put in words
when shown, by ``narrative/sentences.py``'s ``scenario_sentence``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.methods.fe import FEW_CLUSTERS
from analysis.methods.inference import scenario_evidence

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


def scenario(fits, unit_id: str, cut_pct: float, panel: pd.DataFrame | None = None
             ) -> pd.DataFrame:
    """What the evidence says if next year's budget of ``unit_id`` is cut by ``cut_pct`` %.

    - innovations: percent change exp(b * log(1 - cut)) - 1, b = the Poisson semi-elasticity
      on dlog_budget; interval from the coefficient's confidence interval.
    - IKM: b_ikm * log(1 - cut) points the year after (the IKM model uses the lagged change).

    ``fits`` is the ``model_results`` table (or fit_all's dict). With ``panel`` (or a "panel"
    entry in ``fits``) the unit is checked and its latest level shown. ``evidence`` is
    "adequate" only when the budget coefficient is claimed under the findings family and the
    model has at least 30 clusters, else "thin" (``inference.scenario_evidence``, the one
    rule); the
    raw and Holm-adjusted p of the coefficient (``p_value``, ``p_adjusted``, ``n_tests``) come
    with it, so the sentence builder can say whether the effect is claimed.
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
        evidence = scenario_evidence(float(c.get("p_value", np.nan)),
                                     float(c.get("p_adjusted", np.nan)), int(c["n_clusters"]),
                                     FEW_CLUSTERS)
        b = base.get(outcome)
        rows.append({"unit_id": unit_id, "cut_pct": float(cut_pct), "outcome": outcome,
                     "measure": measure, "estimate": est, "ci_low": float(vals[0]),
                     "ci_high": float(vals[1]), "coef_term": term,
                     "coef": float(c["estimate"]), "n": int(c["n"]),
                     "n_clusters": int(c["n_clusters"]),
                     "baseline": b[0] if b else np.nan, "baseline_year": b[1] if b else pd.NA,
                     "evidence": evidence, "p_value": float(c.get("p_value", np.nan)),
                     "p_adjusted": float(c.get("p_adjusted", np.nan)),
                     "n_tests": (int(c["n_tests"]) if pd.notna(c.get("n_tests", np.nan))
                                 else 0),
                     "dataset": dataset})
    return pd.DataFrame(rows)
