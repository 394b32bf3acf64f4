"""Event study around the 2020 cut (pyfixest ``i()`` interactions) and the pre-trend test
(pairs cluster bootstrap-t, with the F test beside it). See ``docs/methods.md``."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from analysis.methods.fe import (
    CUT_DEPTH,
    DEFAULT_VCOV,
    EVENT_YEAR,
    add_model_columns,
    cluster_count,
    fe_formula,
    fit_ols,
    fit_poisson,
    jackknife_blocker,
    prepare,
    set_vcov,
    tidy_fit,
    unit_columns,
)
from analysis.methods.inference import cluster_draws

# =================================================================================================
# event study
# =================================================================================================

PRETREND_BOOT = 99


def event_study(panel: pd.DataFrame, outcome: str = "innovations", intensity: str = CUT_DEPTH,
                ref_year: int = 2019, family: str = "poisson", controls=(),
                fe=("unit_id", "year"), cluster: str = "unit_id", event_year: int = EVENT_YEAR,
                alpha: float = 0.05, vcov: str = DEFAULT_VCOV, n_boot: int = PRETREND_BOOT,
                seed: int = 0) -> pd.DataFrame:
    """Coefficients of ``intensity x 1[year = t]`` for every year but ``ref_year``, with unit
    and year fixed effects (pyfixest ``i(year, intensity, ref=...)``).

    Returns the tidy format plus ``year``, ``rel_year`` (year - event_year) and ``ref_year``;
    the reference year is included as a row fixed at 0 (note says so). Errors are CRV3 (cluster
    jackknife, about 1 s per Poisson fit on 44 OPDs) by default with t(G-1) intervals; with 44
    OPDs and rare counts the CRV1 Wald test of the leads over-rejects (measured in
    validation/recovery_results.md), ``vcov="CRV1"`` is kept for comparison. The joint test of
    the leads is computed at once and kept in ``result.attrs["pretrend"]`` and in the columns
    ``pretrend_stat``, ``pretrend_p``, ``pretrend_flagged``; read it with
    :func:`pretrend_test`.

    The default intensity is ``cut_depth_2020`` = min(cut_2020, 0): units whose budget rose
    in 2020 have intensity 0 (untreated). The pre-trend test's p-value is a pairs cluster
    bootstrap-t (``n_boot`` draws of whole units, the Wald statistic of each draw centred on
    the full-sample leads): the F(q, G-1) test on the jackknife covariance flagged 8.5-9.5 % of
    200 simulated panels without a pre-trend at 5 %, the bootstrap brings it to the nominal
    size (``validation/recovery_results.md``). ``n_boot=0`` keeps the F test.
    """
    if family not in ("poisson", "ols"):
        raise ValueError("family must be 'poisson' or 'ols'")
    controls = list(controls)
    if "region_code" in panel and panel["region_code"].nunique() > 1 \
            and "unit_key" not in panel.columns:
        panel = add_model_columns(panel)
    fe, cluster = unit_columns(panel, fe, cluster)
    unit = fe[0]
    d, notes = prepare(panel, outcome, [intensity, *controls], fe, cluster)
    if "year" not in d:
        raise ValueError("event_study needs a 'year' column")
    years = sorted(int(y) for y in d["year"].unique())
    if ref_year not in years:
        raise ValueError(f"reference year {ref_year} has no complete data for {outcome!r} "
                         f"(years with data: {years})")
    if d.groupby(unit)[intensity].nunique().max() > 1:
        raise ValueError(f"{intensity!r} must be constant within each unit (a unit-level "
                         "treatment intensity)")
    if np.allclose(d[intensity], d[intensity].iloc[0]):
        raise ValueError(f"{intensity!r} is the same for every unit (no unit was cut "
                         "differently): the event study has nothing to compare")
    d = d.copy()
    d["year"] = d["year"].astype(int)
    rhs = " + ".join([f"i(year, {intensity}, ref={ref_year})", *controls])
    fml = fe_formula(outcome, rhs, fe)
    if family == "poisson":
        if d[outcome].sum() == 0:
            raise ValueError(f"{outcome!r} is zero in every row: no events, nothing to estimate")
        n_zero = int((d.groupby(unit)[outcome].sum() == 0).sum())
        if n_zero:
            notes.append(f"{n_zero} unit(s) with no {outcome} in any year dropped (Poisson FE "
                         "cannot use them)")
        fit = fit_poisson(d, fml, cluster)
    else:
        fit = fit_ols(d, fml, cluster)
    model = f"event_study_{family}"
    terms = [str(t) for t in fit.coef().index]
    pt_crv1 = _pretrend(fit, terms, ref_year, event_year)      # CRV1, for comparison only
    blocker = jackknife_blocker(fit, controls, cluster, fe)
    if blocker is None and fit._data.loc[fit._data[intensity] != 0, unit].nunique() < 2:
        blocker = f"{intensity!r} is non-zero for fewer than 2 units"
    used = set_vcov(fit, vcov, cluster, notes, blocker)
    res = tidy_fit(fit, model, outcome, notes, cluster, alpha, vcov=used)
    is_es = res["term"].str.startswith("year::")
    es = res[is_es].copy()
    es["year"] = es["term"].str.extract(r"year::(\d+)")[0].astype(int)
    estimated = set(es["year"])
    lost = [y for y in years if y != ref_year and y not in estimated]
    if lost:
        es["note"] = es["note"] + f"; no estimate for year(s) {lost} (no variation)"
    ref = pd.DataFrame([{
        "model": model, "outcome": outcome, "term": f"year::{ref_year}:{intensity}",
        "estimate": 0.0, "std_error": 0.0, "ci_low": 0.0, "ci_high": 0.0, "p_value": 1.0,
        "n": int(fit._N), "n_clusters": cluster_count(fit),
        "note": "reference year: fixed at 0 by construction (not estimated)", "year": ref_year}])
    es = pd.concat([es, ref], ignore_index=True).sort_values("year").reset_index(drop=True)
    es["rel_year"] = es["year"] - event_year
    es["ref_year"] = ref_year
    pt = _pretrend(fit, terms, ref_year, event_year)
    pt["vcov"] = used
    pt["p_value_crv1"] = pt_crv1["p_value"]
    pt["p_value_f"] = pt["p_value"]
    if n_boot and pt.get("n_leads", 0):
        pb, nb = _pretrend_boot(d, fml, family, cluster, fit.coef(), event_year,
                                pt_crv1["chi2"], n_boot, seed)
        pt["p_value_boot"], pt["n_boot"] = pb, nb
        if np.isfinite(pb):
            pt["p_value"] = pb
            pt["flagged"] = bool(pb < 0.05)
            pt["note"] = (f"joint test of {pt['n_leads']} lead(s): pairs cluster bootstrap-t "
                          f"p-value ({nb} draws of whole units; CRV1 Wald statistic centred on "
                          "the full-sample leads)")
    es["pretrend_stat"] = pt["statistic"]
    es["pretrend_p"] = pt["p_value"]
    es["pretrend_flagged"] = pt["flagged"]
    es.attrs["pretrend"] = pt
    es.attrs["controls"] = controls
    return es


def _pretrend(fit, terms: list[str], ref_year: int, event_year: int) -> dict:
    """Joint Wald test that every lead (year < event_year, not the reference) is zero.

    The Wald statistic W comes from pyfixest ``wald_test`` on the fit's cluster vcov (CRV3 by
    default); the p-value used to flag is from F = W / q on (q, G - 1) degrees of freedom, as
    pyfixest does for a clustered F test; the chi-square p-value is also reported.
    """
    from scipy import stats

    leads = [i for i, t in enumerate(terms) if t.startswith("year::")
             and int(t.split("::")[1].split(":")[0]) < event_year]
    if not leads:
        return {"statistic": np.nan, "df1": 0, "df2": 0, "p_value": np.nan, "chi2": np.nan,
                "p_value_chi2": np.nan, "flagged": False, "n_leads": 0,
                "note": f"no lead years before {event_year} besides the reference {ref_year}: "
                        "nothing to test"}
    R = np.zeros((len(leads), len(terms)))
    for r, j in enumerate(leads):
        R[r, j] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = fit.wald_test(R=R, distribution="chi2")
    chi2 = float(w["statistic"])
    q = len(leads)
    g = cluster_count(fit)
    df2 = max(g - 1, 1)
    fstat = chi2 / q
    p = float(stats.f.sf(fstat, q, df2))
    return {"statistic": fstat, "df1": q, "df2": df2, "p_value": p, "chi2": chi2,
            "p_value_chi2": float(w["pvalue"]), "flagged": bool(p < 0.05), "n_leads": q,
            "note": f"joint test of {q} lead(s), F({q}, {df2}) from the cluster-robust Wald "
                    "statistic"}


def _pretrend_boot(d: pd.DataFrame, fml: str, family: str, cluster: str, coef: pd.Series,
                   event_year: int, w_obs: float, n_boot: int, seed: int) -> tuple[float, int]:
    """Pairs cluster bootstrap-t p-value of the joint lead test: refit on ``n_boot`` draws of
    whole clusters (pyfixest, CRV1), compute the Wald statistic of H0: leads = the full-sample
    leads (pyfixest ``wald_test(R, q)``), p = (1 + #{W* >= W}) / (1 + draws)."""
    lead_names = [str(t) for t in coef.index if str(t).startswith("year::")
                  and int(str(t).split("::")[1].split(":")[0]) < event_year]
    fit_fn = fit_poisson if family == "poisson" else fit_ols
    theta = coef[lead_names].to_numpy(float)
    stats_b = []
    for _, db in cluster_draws(d, cluster, n_boot, seed):
        try:
            fb = fit_fn(db.drop(columns="_orig").reset_index(drop=True), fml, cluster)
            names = [str(t) for t in fb.coef().index]
            if not all(n in names for n in lead_names):
                continue
            R = np.zeros((len(lead_names), len(names)))
            for r, n in enumerate(lead_names):
                R[r, names.index(n)] = 1.0
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                w = fb.wald_test(R=R, q=theta, distribution="chi2")
            stat = float(w["statistic"])
            if np.isfinite(stat):
                stats_b.append(stat)
        except Exception:  # noqa: BLE001 - a failed draw is skipped and not counted
            continue
    if len(stats_b) < 20:
        return float("nan"), len(stats_b)
    stats_b = np.asarray(stats_b)
    return float((1 + (stats_b >= w_obs).sum()) / (1 + len(stats_b))), len(stats_b)


def pretrend_test(result: pd.DataFrame) -> dict:
    """The joint test of all lead coefficients of an :func:`event_study` result:
    ``statistic`` (F), ``p_value``, ``flagged`` (p < 0.05), ``chi2``, ``p_value_chi2``,
    ``n_leads``, ``note``, ``vcov`` (the covariance used, CRV3 by default) and
    ``p_value_crv1`` (the same F test on CRV1, which over-rejects: for comparison only)."""
    pt = result.attrs.get("pretrend") if hasattr(result, "attrs") else None
    if pt is None and "pretrend_p" in getattr(result, "columns", []):
        r = result.iloc[0]
        pt = {"statistic": float(r["pretrend_stat"]), "p_value": float(r["pretrend_p"]),
              "flagged": bool(r["pretrend_flagged"])}
    if pt is None:
        raise ValueError("not an event_study result (no pre-trend test attached); call "
                         "event_study(...) and pass its result")
    if pt.get("n_leads", 1) == 0:
        raise ValueError(pt["note"])
    return dict(pt)
