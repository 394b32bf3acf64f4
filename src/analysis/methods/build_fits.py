"""The build's model fits: every model the build fits once per panel, as the derived step
``"analysis.methods.build_fits:fit_all"`` of ``pipeline.STEPS``. Named for what it is: the
fits the build makes and caches (``data/cache.py``), apart from the estimators it runs, each
in its own module (:mod:`~analysis.methods.fe` for the main fixed-effects models,
:mod:`~analysis.methods.leadership`, :mod:`~analysis.methods.eventstudy`,
:mod:`~analysis.methods.lags`, :mod:`~analysis.methods.typology`,
:mod:`~analysis.methods.resilience`), and from the rules of inference
(:mod:`~analysis.methods.inference`). Callers import each name from the module that defines it.

Every estimator comes from a maintained library (pyfixest for OLS/Poisson with fixed effects,
``i()`` interactions and Wald tests; statsmodels for intervals; scikit-learn for clustering);
the estimator modules only prepare the data, check it, and turn results into one tidy format::

    model, outcome, term, estimate, std_error, ci_low, ci_high, p_value, n, n_clusters, note

``n`` is the number of observations actually used, ``n_clusters`` the number of OPDs (the
clustering unit) and ``note`` says, in words, the standard-error type (CRV3 cluster
jackknife with t(G-1) intervals by default, CRV1 where the jackknife cannot be computed), rows
that were dropped and why, and a small-sample caveat when there are fewer than 30 clusters or
100 observations. Nothing returns an unexplained NaN: a model that cannot be estimated raises a
``ValueError`` saying why, or (in the multi-outcome helpers) returns a row whose note begins
with "not estimable:". See ``docs/methods.md``.

``fit_all(tables, truth)`` is the build's step; :func:`main_models` the main specifications
with the leadership effects; :func:`findings_family` the Holm family of every reported test.
"""


from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.methods import inference, ledger
from analysis.methods.eventstudy import event_study
from analysis.methods.fe import (
    DEFAULT_VCOV,
    MAIN_SPECS,
    TIDY_COLUMNS,
    add_model_columns,
    fe_ols,
    fe_poisson,
)
from analysis.methods.inference import adjust_pvalues
from analysis.methods.lags import lag_models
from analysis.methods.leadership import leadership_effect
from analysis.methods.measures import dataset_label
from analysis.methods.resilience import resilience
from analysis.methods.typology import typology


def main_models(panel: pd.DataFrame, vcov: str = DEFAULT_VCOV, leadership: bool = True
                ) -> pd.DataFrame:
    """The main specifications (``MAIN_SPECS``), the DiD ``cut_2020 x post`` term included in
    the innovations model, and (``leadership=True``) the leadership effects, as one tidy table.
    Errors: ``vcov`` (CRV3 cluster jackknife by default) clustered by OPD, t(G-1) intervals."""
    p = add_model_columns(panel)
    out = []
    for model, outcome, regs in MAIN_SPECS:
        fn = fe_poisson if model == "fe_poisson" else fe_ols
        try:
            out.append(fn(p, outcome, list(regs), model=model, vcov=vcov))
        except ValueError as exc:
            out.append(pd.DataFrame([{
                "model": model, "outcome": outcome, "term": " + ".join(regs),
                "estimate": np.nan, "std_error": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                "p_value": np.nan, "n": 0, "n_clusters": 0, "note": f"not estimable: {exc}"}]))
    if leadership:
        out.append(leadership_effect(p, vcov=vcov))
    return pd.concat(out, ignore_index=True)[TIDY_COLUMNS]


def fit_all(tables: dict, truth: dict | None = None) -> dict[str, pd.DataFrame]:
    """Derived build step: fit every model once and return the tables ``model_results``,
    ``event_study``, ``lag_results``, ``typology``, ``typology_k`` and ``resilience`` (each
    with a ``dataset`` column: "simulated" or "user"), and the regency's part of the findings ledger ``findings_regency`` (the step ``ledger`` makes ``findings`` of it)
    (:mod:`analysis.methods.ledger`: every verdict, once). ``model_results`` and
    ``lag_results`` carry Holm-adjusted p-values over the whole family of reported tests
    (:func:`findings_family`); ``resilience`` carries the office verdicts under simultaneous
    inference (:func:`analysis.methods.inference.office_verdicts`)."""
    panel = tables.get("panel")
    if panel is None:
        from analysis.methods.measures import build_panel

        panel = build_panel(tables, truth).get("panel")
    if panel is None or len(panel) == 0:
        return {}
    return _cached_fit(panel, _fit_all_panel)


def fit_is_cached(tables: dict) -> bool:
    """Whether :func:`fit_all` on ``tables`` would only read the fit cache (the build step's
    ``cached`` probe: an import then runs it instead of keeping the older fits)."""
    from analysis import config

    panel = tables.get("panel")
    if panel is None or len(panel) == 0:
        return True      # nothing to fit: fit_all returns at once
    return (config.fit_cache_dir() / f"fit_all-{_fit_key(panel)}.pkl").is_file()


def _fit_key(panel: pd.DataFrame) -> str:
    """Content key of a fit: the panel's values and columns (not file times), with the source
    of every estimator module and the libraries' versions (``cache.key``)."""
    from analysis.data import cache

    values = pd.util.hash_pandas_object(panel.reset_index(drop=True), index=True).to_numpy()
    return cache.key("fit_all", values.tobytes(), list(map(str, panel.columns)))


def _cached_fit(panel: pd.DataFrame, fit) -> dict[str, pd.DataFrame]:
    """``fit(panel)`` cached as ``fit_all-<key>.pkl`` in :func:`analysis.config.fit_cache_dir`
    (``<data>/interim/models/`` unless ``BATANG_FIT_CACHE_DIR`` is set; ``data.cache``): a
    rebuild whose panel is unchanged (same values, same code, same library versions) reuses
    the fit instead of spending ~15-40 s on jackknife and bootstrap refits. A damaged cache
    file is refitted."""
    from analysis import config
    from analysis.data import cache

    out, _ = cache.cached(config.fit_cache_dir(), f"fit_all-{_fit_key(panel)}",
                          lambda: fit(panel))
    return out


def _fit_all_panel(panel: pd.DataFrame) -> dict[str, pd.DataFrame]:
    ds = dataset_label(panel)
    p = add_model_columns(panel)
    out = {"model_results": main_models(p)}
    try:
        es = event_study(p)
    except ValueError as exc:
        es = pd.DataFrame([{"model": "event_study_poisson", "outcome": "innovations",
                            "note": f"not estimable: {exc}"}])
    out["event_study"] = pd.DataFrame(es)
    out["lag_results"] = lag_models(p)
    try:
        ty = typology(p)
        # the members' raw values beside the centres: a cluster's words say "up" only when
        # every member went up (narrative.sentences.describe_clusters)
        raw = ty.features.set_index("unit_id").add_prefix("value_").reset_index()
        out["typology"] = (ty.assignments.merge(ty.clusters, on="cluster")
                           .merge(raw, on="unit_id", how="left"))
        out["typology_k"] = ty.k_table
    except ValueError as exc:
        out["typology"] = pd.DataFrame({"unit_id": [], "cluster": []})
        out["typology_k"] = pd.DataFrame([{"k": 0, "silhouette": np.nan, "chosen": False,
                                           "n_units": 0, "note": f"not estimable: {exc}"}])
    try:
        out["resilience"] = resilience(p)
    except ValueError as exc:
        out["resilience"] = pd.DataFrame([{"outcome": "", "unit_id": "",
                                           "note": f"not estimable: {exc}"}])
    out["model_results"], out["lag_results"] = findings_family(out["model_results"],
                                                               out["lag_results"], es)
    pt = es.attrs.get("pretrend") if hasattr(es, "attrs") else None
    if pt and "pretrend_p" in out["event_study"]:
        out["event_study"]["pretrend_p_adjusted"] = pt.get("p_adjusted", np.nan)
        out["event_study"]["pretrend_p_f"] = pt.get("p_value_f", np.nan)
        # flagged by the family's rule (Holm over the findings family), not on the raw p
        out["event_study"]["pretrend_flagged"] = bool(
            np.isfinite(pt.get("p_adjusted", np.nan)) and pt["p_adjusted"] < inference.ALPHA)
    for k in out:
        out[k] = out[k].assign(dataset=ds).reset_index(drop=True)
    out["findings"] = ledger.build(out["model_results"], out["lag_results"],
                                   out["event_study"], out["resilience"], provenance=ds)
    # the tables the views read carry the ledger's verdict itself (read, never recomputed)
    for name in ("model_results", "lag_results"):
        out[name] = ledger.with_verdicts(out[name], out["findings"])
    # the regency's part of the ledger; the step ``ledger`` (analysis.pipeline) joins the
    # national family to it into the one ``findings`` table
    out["findings_regency"] = out.pop("findings")
    return out


def findings_family(model_results: pd.DataFrame, lag_results: pd.DataFrame | None = None,
                    event_study_result: pd.DataFrame | None = None, method: str = "holm"
                    ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Holm-adjusted p-values over every test the findings report, as one family: the main
    models and leadership terms (``model_results``), every lag and cumulative term
    (``lag_results``) and the pre-trend test of the event study. Both tables get
    ``p_adjusted``, ``n_tests`` (the family size) and ``adjust_method``."""
    parts = [model_results.assign(_src="m", _i=range(len(model_results)))]
    if lag_results is not None and len(lag_results):
        parts.append(lag_results.assign(_src="l", _i=range(len(lag_results))))
    pt_p = np.nan
    if event_study_result is not None and hasattr(event_study_result, "attrs"):
        pt_p = (event_study_result.attrs.get("pretrend") or {}).get("p_value", np.nan)
    if np.isfinite(pt_p):
        parts.append(pd.DataFrame({"p_value": [pt_p], "_src": ["p"], "_i": [0]}))
    fam = adjust_pvalues(pd.concat(parts, ignore_index=True), method=method)
    out = []
    for src, frame in (("m", model_results), ("l", lag_results)):
        if frame is None:
            out.append(None)
            continue
        f = fam[fam["_src"] == src].sort_values("_i")
        out.append(frame.assign(p_adjusted=f["p_adjusted"].to_numpy(),
                                n_tests=int(fam["n_tests"].iloc[0]), adjust_method=method))
    if event_study_result is not None and np.isfinite(pt_p):
        adj = float(fam.loc[fam["_src"] == "p", "p_adjusted"].iloc[0])
        event_study_result.attrs["pretrend"]["p_adjusted"] = adj
    return out[0], out[1]
