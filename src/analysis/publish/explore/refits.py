"""Model tables for a research notebook's parameters: the build's tables when the notebook
uses the whole panel and the build's lags, otherwise refitted on the notebook's ``years``
(``max_lag``) by the build's own fits (:func:`analysis.methods.build_fits.fit_all`), in a child
process, cached by content (:func:`cached`, :func:`data_fingerprint`) and marked exploratory
(no verdicts: those are the findings ledger's). Loading without fitting is :mod:`.loading`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis import config
from analysis.data import store
from analysis.publish.explore.context import Context, ParameterError
from analysis.publish.explore.evidence import n_tests
from analysis.publish.explore.loading import DEFAULT_MAX_LAG, LAG_OUTCOMES, panel_years


def _interim(ctx: Context) -> Path:
    return (Path(ctx.data_dir) / "interim") if ctx.data_dir else config.interim_dir()


FIT_TABLES = ("panel", "units")
"""The processed tables a model fit reads."""


def data_fingerprint(ctx: Context) -> str:
    """A hash of what a model fit depends on: the content of the processed panel and units and
    the package version (:func:`analysis.data.fingerprint.data_fingerprint`, the renderer's
    fingerprint, over :data:`FIT_TABLES`); ``data.cache.key`` adds the source of every
    estimator module (``analysis.methods``) and the libraries' versions. A new build or a
    changed estimator gives a new key, so a stale cache is never read."""
    from analysis.data.fingerprint import data_fingerprint as fingerprint

    return fingerprint(ctx.data_dir or config.data_dir(), tables=FIT_TABLES)


def cached(ctx: Context, spec: dict, compute) -> tuple[dict[str, pd.DataFrame], dict]:
    """``compute()`` (a dict of DataFrames) cached on disk under ``<data>/interim/models/``
    (the project's one result cache, :mod:`analysis.data.cache`), keyed by ``spec``,
    :func:`data_fingerprint` and the estimators' source; a repeat is a file read.
    Returns the tables and ``{"cache": "hit"|"miss", "seconds": ..., "path": ...}``."""
    from analysis.data import cache

    key = cache.key("notebook", spec, data_fingerprint(ctx))
    return cache.cached(_interim(ctx) / "models", key, compute)


def model_tables(ctx: Context, *names: str, max_lag: int | None = None
                 ) -> dict[str, pd.DataFrame]:
    """Model tables for the notebook's parameters.

    ``years`` equal to the whole panel (and ``max_lag`` None or the build's): the build's
    tables. Otherwise :func:`analysis.methods.build_fits.fit_all` on the panel rows inside ``years``
    (and :func:`analysis.methods.lags.lag_models` with ``max_lag``), cached by (region, years, max_lag) and the data
    fingerprint. Each table gets ``attrs["fit"] = {"years", "panel_years", "refit", "cache",
    "seconds"}``."""
    full = panel_years(ctx)
    lag = DEFAULT_MAX_LAG if max_lag is None else int(max_lag)
    whole = tuple(ctx.years) == full
    info = {"years": tuple(ctx.years), "panel_years": full, "refit": not whole,
            "cache": "build", "seconds": 0.0, "max_lag": lag}
    out: dict[str, pd.DataFrame] = {}
    if not whole:
        fitted, how = _fit_window(ctx, lag, ctx.years)
        info.update(how)
        out = {name: fitted[name].copy() for name in names}
    else:
        missing = []
        for name in names:
            try:
                out[name] = store.load_table(name, ctx.data_dir)
            except store.NotBuiltError:
                missing.append(name)
        if [m for m in missing if m != "lag_results"]:
            # the build did not store the models: fit them all now (one family of tests)
            fitted, how = _fit_window(ctx, lag, full)
            info.update(how)
            for name in names:
                out[name] = fitted[name].copy()
                out[name].attrs["computed_now"] = True
        elif "lag_results" in names and ("lag_results" in missing or lag != DEFAULT_MAX_LAG):
            # other lags than the build's: refit the lag models, and the family of tests
            panel = store.load_table("panel", ctx.data_dir,
                                  filters=[("region_code", "==", ctx.region)])
            lagged, how = cached(ctx, {"what": "lag_models", "region": ctx.region,
                                       "years": list(full), "max_lag": lag},
                                 lambda: {"lag_results": fit_lag_models(panel, lag)})
            info.update(how)
            fam = {"lag_results": lagged["lag_results"]}
            for name in ("model_results", "event_study"):
                try:
                    fam[name] = out.get(name, store.load_table(name, ctx.data_dir))
                except store.NotBuiltError:
                    pass
            fam = adjust_family(fam)
            for name in names:
                if name in fam:
                    out[name] = fam[name].copy()
    es = out.get("event_study")
    if es is not None and "n_tests" not in es.columns:
        # the family size lives on model_results; the event study reports its pre-trend test
        try:
            mr = out.get("model_results")
            mr = mr if mr is not None else store.load_table("model_results", ctx.data_dir)
            k = n_tests(mr)
            if k:
                attrs = es.attrs
                out["event_study"] = es.assign(n_tests=k)
                out["event_study"].attrs = attrs
        except store.NotBuiltError:
            pass
    if info["refit"] or lag != DEFAULT_MAX_LAG:
        # another window or other lags than the build's: exploration, not a verdict. The
        # verdicts are the findings ledger's (build window, declared family); a refit's own
        # family-adjusted p-values would disagree with it, so they are not kept.
        for name in names:
            out[name] = _exploratory(out[name])
    for name in names:
        out[name].attrs = {**out[name].attrs, "fit": dict(info), "exploratory":
                           bool(info["refit"] or lag != DEFAULT_MAX_LAG)}
    return out


def _exploratory(df: pd.DataFrame) -> pd.DataFrame:
    """A refitted model table without verdicts: no family-adjusted p-values, no pre-trend
    flag (the raw p-values stay)."""
    attrs = df.attrs
    df = df.copy()
    if "p_adjusted" in df and "term" in df:
        df["p_adjusted"] = np.nan
        df["n_tests"] = 0
        if "verdict" in df:
            df["verdict"] = ""
    if "pretrend_p_adjusted" in df:
        df["pretrend_p_adjusted"] = np.nan
        df["pretrend_flagged"] = False
    df.attrs = attrs
    return df


def _fit_window(ctx: Context, max_lag: int, years) -> tuple[dict, dict]:
    """fit_all + lag models + the family of tests on the panel rows inside ``years``, cached.
    The fit runs in a child process: on a very short window the estimator's compiled code can
    abort the whole process (e.g. every OPD a singleton), which must not kill the notebook's
    kernel; such a window gets "not estimable" rows saying why."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    panel = store.load_table("panel", ctx.data_dir, filters=[("region_code", "==", ctx.region)])
    units = store.load_table("units", ctx.data_dir)
    win = panel[panel["year"].between(*years)].reset_index(drop=True)
    if win.empty:
        raise ParameterError(f"years {list(years)}: no panel rows to fit the models on")

    def compute() -> dict[str, pd.DataFrame]:
        ctx_mp = multiprocessing.get_context("spawn")
        try:
            with ProcessPoolExecutor(1, mp_context=ctx_mp) as ex:
                return ex.submit(fit_window_tables, win, units, max_lag).result()
        except BrokenProcessPool:
            return not_estimable_tables(
                win, f"the estimator stopped on the years {years[0]}–{years[1]} (too few "
                "years with a budget change per OPD for unit and year effects); choose a "
                "longer range")

    spec = {"what": "fit_all+lag_models", "region": ctx.region, "years": list(years),
            "max_lag": max_lag}
    return cached(ctx, spec, compute)


def fit_window_tables(panel: pd.DataFrame, units: pd.DataFrame, max_lag: int
                      ) -> dict[str, pd.DataFrame]:
    """Every model table on ``panel`` (already cut to the window): ``build_fits.fit_all``, the
    distributed-lag models with ``max_lag`` and the Holm family of tests. Run in a child
    process by :func:`model_tables`."""
    from analysis.methods.build_fits import fit_all

    out = fit_all({"panel": panel, "units": units}, None)
    if "lag_results" not in out or max_lag != DEFAULT_MAX_LAG:
        out["lag_results"] = fit_lag_models(panel, max_lag)
    return adjust_family(out)


def not_estimable_tables(panel: pd.DataFrame, why: str) -> dict[str, pd.DataFrame]:
    """Model tables that say, row by row, that nothing could be estimated and why."""
    from analysis.methods.fe import MAIN_SPECS
    from analysis.methods.measures import dataset_label

    ds = dataset_label(panel)
    note = f"not estimable: {why}"
    row = {"estimate": np.nan, "std_error": np.nan, "ci_low": np.nan, "ci_high": np.nan,
           "p_value": np.nan, "n": 0, "n_clusters": 0, "note": note, "dataset": ds}
    mr = pd.DataFrame([{"model": m, "outcome": o, "term": " + ".join(r), **row}
                       for m, o, r in MAIN_SPECS])
    return {"model_results": mr,
            "event_study": pd.DataFrame([{"model": "event_study_poisson",
                                          "outcome": "innovations", **row}]),
            "typology": pd.DataFrame({"unit_id": [], "cluster": [], "dataset": []}),
            "typology_k": pd.DataFrame([{"k": 0, "silhouette": np.nan, "chosen": False,
                                         "n_units": 0, "note": note, "dataset": ds}]),
            "resilience": pd.DataFrame([{"outcome": "", "unit_id": "", "note": note,
                                         "dataset": ds}]),
            "lag_results": pd.DataFrame([{"model": "dist_lag", "outcome": o,
                                          "term": "cumulative", "lag": pd.NA, **row}
                                         for o in LAG_OUTCOMES])}


def pretrend_p(event_study: pd.DataFrame) -> float:
    """The p-value of the joint pre-trend test: the pairs cluster bootstrap-t one
    (``p_value_boot``) when the event study carries it, else the F test."""
    pt = event_study.attrs.get("pretrend") or {}
    for key in ("p_value_boot",):
        if key in pt and not pd.isna(pt[key]):
            return float(pt[key])
    for col in ("pretrend_p_boot", "pretrend_p"):
        if col in event_study.columns and event_study[col].notna().any():
            return float(event_study[col].dropna().iloc[0])
    return float("nan")


def adjust_family(tables: dict[str, pd.DataFrame], method: str = "holm"
                  ) -> dict[str, pd.DataFrame]:
    """Holm-adjusted p-values over the family of every test the findings report, exactly as
    the build does (:func:`analysis.methods.build_fits.findings_family`): the main models and leadership
    terms (``model_results``), every lag and cumulative term (``lag_results``) and the joint
    pre-trend test (``event_study``, column ``pretrend_p_adjusted``). Used when a notebook's
    parameters (years, max_lag) change the family."""
    from analysis.methods.build_fits import findings_family

    out = dict(tables)
    mr, lag, es = out.get("model_results"), out.get("lag_results"), out.get("event_study")
    if mr is None:
        return out
    carrier = pd.DataFrame()
    p_pre = pretrend_p(es) if es is not None and len(es) else float("nan")
    carrier.attrs["pretrend"] = {"p_value": p_pre}
    mr2, lag2 = findings_family(mr, lag, carrier if not pd.isna(p_pre) else None,
                                method=method)
    out["model_results"] = mr2
    if lag2 is not None:
        out["lag_results"] = lag2
    if es is not None and len(es):
        attrs = es.attrs
        es = es.copy()
        es.attrs = attrs
        es["pretrend_p_adjusted"] = carrier.attrs["pretrend"].get("p_adjusted", np.nan)
        out["event_study"] = es
    return out


def fit_lag_models(panel: pd.DataFrame, max_lag: int) -> pd.DataFrame:
    """:func:`analysis.methods.lags.lag_models` (one distributed-lag model per service outcome,
    all lags jointly plus the cumulative effect), labelled with the panel's dataset."""
    from analysis.methods.lags import lag_models
    from analysis.methods.measures import dataset_label

    return lag_models(panel, max_lag=max_lag).assign(dataset=dataset_label(panel))
