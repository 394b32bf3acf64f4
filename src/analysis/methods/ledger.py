"""The findings ledger: every confirmatory statement the product may make, one row each, built
once per build (table ``findings``) and read by every view that states a verdict (notebooks,
reports, index, deck, brief). No view computes its own verdict for a ledger finding; a
notebook's live refit is exploration, shown beside the ledger's verdict for the same term.

The families of tests and their members are declared here, once (:data:`FAMILIES`), with the
reason for each; the rules of inference are in :mod:`analysis.methods.inference`.

Columns of ``findings``::

    finding_id, family, family_size, adjustment, kind, model, outcome, term, unit_id,
    estimate, std_error, ci_low, ci_high, ci_level, p_value, p_adjusted, verdict,
    sentence_key, n, n_clusters, note, provenance

``verdict`` is "claimed" / "raw only" / "not claimed" for a model term (Holm over the family),
"above" / "below" / "indistinguishable" / "not estimable" for an office, "flagged" / "not
flagged" for the pre-trend test. ``sentence_key`` is the catalog key of the sentence a view
uses for it (``words/sentences.toml``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.methods import inference

FAMILIES = {
    "model_terms": {
        "members": "every term of the main models (MAIN_SPECS), the acting-head terms of the "
                   "leadership models, every lag and cumulative term of the distributed-lag "
                   "models, and the joint pre-trend test of the event study",
        "adjustment": inference.TERM_ADJUSTMENT,
        "error_rate": "family-wise error rate 5 % (Holm 1979)",
        "reason": "the deck, the brief, the reports and the notebooks state these effects side "
                  "by side as the answer to the research questions 2, 3 and 4, so a reader "
                  "takes them as one set of claims: one false claim among them is the error to "
                  "control. The pre-trend test is in the family because a flagged pre-trend "
                  "changes how every post-2020 effect is read.",
    },
    "offices_innovations": {
        "members": "every OPD cut in 2020 with an estimated innovation effect against its "
                   "counterfactual (resilience)",
        "adjustment": inference.OFFICE_ADJUSTMENT,
        "error_rate": "family-wise error rate 5 % over the offices (Bonferroni-simultaneous "
                      "intervals, Dunn 1961); orders of offices by the joint rank intervals of "
                      "Klein, Wright & Wieczorek (2020)",
        "reason": "heads of offices that 'cannot keep up' are rotated: naming any office on "
                  "noise is the harm to avoid, so the chance of naming even one wrongly is "
                  "held at 5 %.",
    },
    "national_2020": {
        "members": "the 2020 cut across kab/kota on real data (methods/national_2020.py): the "
                   "two phase terms (2020-2021, 2022-2024) of each of the five outcomes, the "
                   "joint pre-trend test of each outcome's event study, and IPM growth "
                   "2020-2024 on the depth of the cut",
        "adjustment": inference.TERM_ADJUSTMENT,
        "error_rate": "family-wise error rate 5 % (Holm 1979)",
        "reason": "notebook 7.0, the pemda reports and the brief state these as one answer to "
                  "the question 'what followed deeper 2020 cuts across Indonesia'; a flagged "
                  "pre-trend changes how its outcome's phase terms are read, so the tests are "
                  "in the family too. A separate family from model_terms: different data "
                  "(real, per pemda) and a different question (across kab/kota, not OPDs).",
    },
    "offices_ikm": {
        "members": "every front-line OPD cut in 2020 with an estimated IKM effect against its "
                   "counterfactual",
        "adjustment": inference.OFFICE_ADJUSTMENT,
        "error_rate": "as offices_innovations",
        "reason": "as offices_innovations.",
    },
}

FINDINGS_COLUMNS = ["finding_id", "family", "family_size", "adjustment", "kind", "model",
                    "outcome", "term", "unit_id", "estimate", "std_error", "ci_low", "ci_high",
                    "ci_level", "p_value", "p_adjusted", "verdict", "sentence_key", "n",
                    "n_clusters", "note", "provenance"]

TERM_SENTENCE = {"claimed": "sent.testing.claimed", "raw only": "sent.testing.raw",
                 "not claimed": "sent.testing.not_claimed"}
OFFICE_SENTENCE = "sent.resilience.unit"
PRETREND_SENTENCE = {"flagged": "explore.innovation.event_study_result.pretrend_detected",
                     "not flagged": "explore.innovation.event_study_result.no_pretrend"}


def _term_rows(frame: pd.DataFrame | None, kind: str) -> list[dict]:
    if frame is None or len(frame) == 0 or "p_adjusted" not in frame:
        return []
    out = []
    for r in frame.itertuples(index=False):
        p, pa = float(r.p_value), float(r.p_adjusted)
        if not np.isfinite(p):
            continue
        verdict = inference.term_verdict(p, pa)
        out.append({
            "finding_id": f"term:{r.model}:{r.outcome}:{r.term}", "family": "model_terms",
            "family_size": int(r.n_tests), "adjustment": str(r.adjust_method), "kind": kind,
            "model": r.model, "outcome": r.outcome, "term": r.term, "unit_id": "",
            "estimate": float(r.estimate), "std_error": float(r.std_error),
            "ci_low": float(r.ci_low), "ci_high": float(r.ci_high), "ci_level": 0.95,
            "p_value": p, "p_adjusted": pa, "verdict": verdict,
            "sentence_key": TERM_SENTENCE[verdict], "n": int(r.n),
            "n_clusters": int(r.n_clusters), "note": str(r.note)})
    return out


def _pretrend_rows(es: pd.DataFrame | None, family_size: int) -> list[dict]:
    if es is None or len(es) == 0 or "pretrend_p" not in es:
        return []
    r = es.iloc[0]
    p = float(r.get("pretrend_p", np.nan))
    pa = float(r.get("pretrend_p_adjusted", np.nan))
    if not np.isfinite(p):
        return []
    verdict = "flagged" if np.isfinite(pa) and pa < inference.ALPHA else "not flagged"
    return [{"finding_id": f"pretrend:{r['model']}:{r['outcome']}", "family": "model_terms",
             "family_size": family_size, "adjustment": inference.TERM_ADJUSTMENT,
             "kind": "pretrend", "model": r["model"], "outcome": r["outcome"],
             "term": "pretrend (joint test of the leads)", "unit_id": "",
             "estimate": float(r.get("pretrend_stat", np.nan)), "std_error": np.nan,
             "ci_low": np.nan, "ci_high": np.nan, "ci_level": np.nan, "p_value": p,
             "p_adjusted": pa, "verdict": verdict, "sentence_key": PRETREND_SENTENCE[verdict],
             "n": int(r.get("n", 0)), "n_clusters": int(r.get("n_clusters", 0)),
             "note": "pairs cluster bootstrap-t of the event-study leads"}]


def _office_rows(res: pd.DataFrame | None) -> list[dict]:
    if res is None or len(res) == 0 or "n_offices" not in res:
        return []
    out = []
    for r in res.itertuples(index=False):
        if not r.outcome:
            continue
        out.append({
            "finding_id": f"office:{r.outcome}:{r.unit_id}", "family": f"offices_{r.outcome}",
            "family_size": int(r.n_offices), "adjustment": str(r.adjust_method),
            "kind": "office", "model": "resilience", "outcome": r.outcome,
            "term": "effect against counterfactual", "unit_id": r.unit_id,
            "estimate": float(r.effect), "std_error": float(r.std_error),
            "ci_low": float(r.ci_low), "ci_high": float(r.ci_high),
            "ci_level": float(r.ci_level), "p_value": float(r.p_value),
            "p_adjusted": float(r.p_adjusted), "verdict": str(r.verdict),
            "sentence_key": OFFICE_SENTENCE, "n": int(np.nan_to_num(r.n_post) + np.nan_to_num(r.n_pre)),
            "n_clusters": 1, "note": str(r.note or "")})
    return out


def build(model_results: pd.DataFrame | None, lag_results: pd.DataFrame | None,
          event_study: pd.DataFrame | None, resilience: pd.DataFrame | None,
          provenance: str) -> pd.DataFrame:
    """The ``findings`` table from the fitted tables of one build (whose p-values were adjusted
    by :func:`analysis.methods.build_fits.findings_family` and whose office verdicts come from
    :func:`analysis.methods.inference.office_verdicts`)."""
    rows = _term_rows(model_results, "main") + _term_rows(lag_results, "lag")
    size = rows[0]["family_size"] if rows else 0
    rows += _pretrend_rows(event_study, size)
    rows += _office_rows(resilience)
    df = pd.DataFrame(rows, columns=FINDINGS_COLUMNS)
    df["provenance"] = provenance
    return _checked(df)


def _checked(df: pd.DataFrame) -> pd.DataFrame:
    """Every finding in a declared family, counts as integers."""
    unknown = set(df["family"]) - set(FAMILIES)
    if unknown:
        raise ValueError(f"findings in undeclared families: {sorted(unknown)} (declare them in "
                         "analysis.methods.ledger.FAMILIES)")
    for c in ("family_size", "n", "n_clusters"):
        df[c] = df[c].astype("int64")
    return df.reset_index(drop=True)


NATIONAL_SENTENCE = {"claimed": "national2020.says.claimed",
                     "raw only": "national2020.says.raw_only",
                     "not claimed": "national2020.says.not_claimed",
                     "flagged": "national2020.says.pretrend_flagged",
                     "not flagged": "national2020.says.not_claimed"}


def _national_rows(res: pd.DataFrame | None) -> list[dict]:
    """Ledger rows of the family ``national_2020`` from ``national_2020_results`` (whose Holm
    p-values and verdicts :func:`analysis.methods.national_2020.confirmatory` computed with
    :mod:`analysis.methods.inference`)."""
    if res is None or len(res) == 0:
        return []
    out = []
    for r in res.itertuples(index=False):
        if not np.isfinite(float(r.p_value)):
            continue
        out.append({
            "finding_id": f"national:{r.model}:{r.outcome}:{r.term}", "family": "national_2020",
            "family_size": int(r.n_tests), "adjustment": str(r.adjust_method),
            "kind": "pretrend" if r.kind == "pretrend" else str(r.kind),
            "model": f"national_{r.model}", "outcome": r.outcome, "term": r.term,
            "unit_id": "", "estimate": float(r.estimate), "std_error": float(r.std_error),
            "ci_low": float(r.ci_low), "ci_high": float(r.ci_high),
            "ci_level": np.nan if r.kind == "pretrend" else 0.95,
            "p_value": float(r.p_value), "p_adjusted": float(r.p_adjusted),
            "verdict": str(r.verdict), "sentence_key": NATIONAL_SENTENCE[str(r.verdict)],
            "n": int(r.n), "n_clusters": int(r.n_clusters), "note": str(r.note)})
    return out


def assemble(tables: dict, truth: dict | None = None) -> dict:
    """Build step ``ledger``: the one ``findings`` table, the regency's findings (built with
    the models, ``findings_regency``) and the national 2020 family
    (``national_2020_results``)."""
    parts = [tables.get("findings_regency")]
    nat = _national_rows(tables.get("national_2020_results"))
    if nat:
        df = pd.DataFrame(nat, columns=FINDINGS_COLUMNS)
        res = tables["national_2020_results"]
        # "public", or "public+user" when imported JAGA 2020 files set some pemda's treatment
        df["provenance"] = (str(res["provenance"].iloc[0]) if "provenance" in res
                            else "public")
        parts.append(df)
    parts = [p for p in parts if p is not None and len(p)]
    if not parts:
        return {"findings": pd.DataFrame(columns=FINDINGS_COLUMNS)}
    out = _checked(pd.concat(parts, ignore_index=True))
    return {"findings": out, "__info__": {f: int(n) for f, n in
                                          out["family"].value_counts().items()}}


# ------------------------------------------------------------------------- reading the ledger

def lookup(findings: pd.DataFrame, outcome: str, term: str, model: str | None = None
           ) -> pd.Series | None:
    """The ledger row of a model term (``None`` when the ledger holds no such finding)."""
    if findings is None or len(findings) == 0:
        return None
    m = (findings["outcome"] == outcome) & (findings["term"] == term) & \
        (findings["unit_id"] == "")
    if model is not None:
        m &= findings["model"] == model
    hit = findings[m]
    return None if hit.empty else hit.iloc[0]


def office(findings: pd.DataFrame, outcome: str, unit_id: str) -> pd.Series | None:
    """The ledger row of one office's verdict for ``outcome``."""
    if findings is None or len(findings) == 0:
        return None
    hit = findings[(findings["kind"] == "office") & (findings["outcome"] == outcome) &
                   (findings["unit_id"] == unit_id)]
    return None if hit.empty else hit.iloc[0]


def with_verdicts(table: pd.DataFrame, findings: pd.DataFrame) -> pd.DataFrame:
    """``table`` (model_results or lag_results) with the ledger's ``verdict`` and
    ``finding_id`` for each of its terms (empty where the ledger holds no finding, e.g. a term
    that could not be estimated)."""
    if table is None or len(table) == 0:
        return table
    keys = findings.loc[findings["kind"].isin(["main", "lag"]),
                        ["model", "outcome", "term", "verdict", "finding_id"]]
    out = table.drop(columns=["verdict", "finding_id"], errors="ignore").merge(
        keys, on=["model", "outcome", "term"], how="left")
    out["verdict"] = out["verdict"].fillna("")
    out["finding_id"] = out["finding_id"].fillna("")
    return out
