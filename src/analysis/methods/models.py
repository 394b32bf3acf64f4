"""Models of the OPD x year panel: fixed-effects regressions, an event study around the 2020
cut, leadership effects, a typology of OPDs, resilience scores and planning scenarios.

Every estimator comes from a maintained library (pyfixest for OLS/Poisson with fixed effects,
``i()`` interactions and Wald tests; statsmodels for intervals; scikit-learn for clustering);
this module only prepares the data, checks it, and turns results into one tidy format::

    model, outcome, term, estimate, std_error, ci_low, ci_high, p_value, n, n_clusters, note

``n`` is the number of observations actually used, ``n_clusters`` the number of OPDs (the
clustering unit) and ``note`` says, in words, the standard-error type (CRV3 cluster
jackknife with t(G-1) intervals by default, CRV1 where the jackknife cannot be computed), rows
that were dropped and why, and a small-sample caveat when there are fewer than 30 clusters or
100 observations. Nothing returns an unexplained NaN: a model that cannot be estimated raises a
``ValueError`` saying why, or (in the multi-outcome helpers) returns a row whose note begins
with "not estimable:". See ``docs/methods.md``.

``fit_all(tables, truth)`` is the build's derived step (``"analysis.methods.models:fit_all"``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

TIDY_COLUMNS = ["model", "outcome", "term", "estimate", "std_error", "ci_low", "ci_high",
                "p_value", "n", "n_clusters", "note"]
FEW_CLUSTERS = 30
SMALL_N = 100
EVENT_YEAR = 2020
COUNT_OUTCOMES = ("innovations", "complaints", "innov_implementasi", "innov_inisiatif",
                  "innov_uji_coba", "innov_digital", "innov_pelayanan_publik",
                  "innov_tata_kelola", "innov_lainnya", "head_changes")
CUT_X_POST = "cut_2020_x_post"
CUT_DEPTH = "cut_depth_2020"     # min(cut_2020, 0): the 2020 cut, 0 for units whose budget rose
VCOV_LABEL = {"CRV1": "CRV1", "CRV3": "CRV3 (cluster jackknife)", "iid": "iid (conventional)",
              "hetero": "HC1 (heteroskedasticity-robust)"}
# Default errors: CRV3, pyfixest's leave-one-cluster-out jackknife (MacKinnon, Nielsen & Webb
# 2023), with t(G-1) intervals and p-values for every model (OLS and Poisson). With 13-44
# clusters CRV1 intervals covered the planted effects in only 87-90 % of 200 simulated panels
# for several terms; CRV3 + t(G-1) brings them to about 95 % (validation/recovery_results.md).
DEFAULT_VCOV = "CRV3"

# main specifications fitted by fit_all (and used by resilience / scenario)
MAIN_SPECS = [
    # (model, outcome, regressors)
    ("fe_poisson", "innovations", ("dlog_budget", "acting_share", CUT_X_POST)),
    ("fe_ols", "ikm", ("dlog_budget_lag1", "acting_share")),
    ("fe_poisson", "complaints", ("dlog_budget",)),
    ("fe_ols", "ombudsman_score", ("dlog_budget",)),
    ("fe_ols", "log_service_days", ("dlog_budget",)),
]


# =================================================================================================
# data preparation
# =================================================================================================

def add_model_columns(panel: pd.DataFrame, event_year: int = EVENT_YEAR) -> pd.DataFrame:
    """Columns the models need that are simple functions of panel columns: ``post``
    (year >= event_year), ``cut_depth_2020`` = min(cut_2020, 0) (the depth of the 2020 cut; 0
    for a unit whose budget rose, which is untreated), ``cut_2020_x_post`` = cut depth x post,
    ``dlog_budget_lag2`` and ``log_<x>`` for positive outcomes. Also a unit key that is unique
    across regions when the panel has more than one region."""
    p = panel.copy()
    if "cut_2020" in p:
        p[CUT_DEPTH] = pd.to_numeric(p["cut_2020"], errors="coerce").clip(upper=0.0)
    if "year" in p:
        p["post"] = (p["year"] >= event_year).astype(float)
        if "cut_2020" in p:
            p[CUT_X_POST] = p[CUT_DEPTH] * p["post"]
    for col in ("service_days", "complaints", "innovations"):
        if col in p and f"log_{col}" not in p:
            v = p[col].astype(float)
            p[f"log_{col}"] = np.log(v.where(v > 0))
    if "region_code" in p and "unit_id" in p and p["region_code"].nunique() > 1:
        p["unit_key"] = p["region_code"].astype(str) + ":" + p["unit_id"].astype(str)
    return p


def _prepare(panel: pd.DataFrame, outcome: str, regressors, fe, cluster) -> tuple[
        pd.DataFrame, list[str]]:
    """Estimation frame (complete cases, index 0..n-1) and notes on what was dropped."""
    if panel is None or len(panel) == 0:
        raise ValueError("the panel is empty: nothing to estimate")
    p = panel
    need_derived = [c for c in [outcome, *regressors] if c not in p.columns]
    if need_derived:
        p = add_model_columns(p)
    cols = list(dict.fromkeys([outcome, *regressors, *fe, cluster]))
    missing = [c for c in cols if c not in p.columns]
    if missing:
        raise ValueError(f"panel lacks column(s) {', '.join(missing)} needed for the model of "
                         f"{outcome!r}")
    d = p[cols].copy()
    for c in [outcome, *regressors]:
        d[c] = pd.to_numeric(d[c], errors="coerce").astype(float)
    d = d.replace([np.inf, -np.inf], np.nan)
    notes = []
    bad = d.isna().any(axis=1)
    if bad.all():
        raise ValueError(f"no complete rows for {outcome!r} ~ {' + '.join(regressors)}: every "
                         "row misses the outcome or a regressor")
    if bad.any():
        notes.append(f"{int(bad.sum())} row(s) with a missing value dropped (never imputed)")
    d = d[~bad].reset_index(drop=True)
    for f in fe or ():
        sizes = d.groupby(f).size()
        if (sizes < 2).all():
            # pyfixest's demeaning aborts the process (not an exception) on this
            raise ValueError(f"every {f} has at most one usable row for {outcome!r} (too few "
                             "years with the regressors, e.g. a budget change needs the year "
                             f"before): the {f} effects leave nothing to estimate")
    if d[cluster].nunique() < 2:
        raise ValueError(f"only {d[cluster].nunique()} {cluster} with complete data for "
                         f"{outcome!r}: cluster-robust errors need at least 2 clusters")
    for r in regressors:
        if d[r].nunique() < 2:
            raise ValueError(f"regressor {r!r} does not vary in the data for {outcome!r}: "
                             "its effect cannot be estimated")
    return d, notes


def _caveats(n: int, g: int, cluster: str) -> list[str]:
    out = []
    if g < FEW_CLUSTERS:
        out.append(f"few clusters ({g}): cluster-robust SEs may be too small")
    if n < SMALL_N:
        out.append(f"small sample (n={n}): treat intervals as approximate")
    return out


def _n_clusters(fit) -> int:
    g = getattr(fit, "_G", None)
    if g is None:
        return 0
    return int(np.min(np.atleast_1d(g)))


def _tidy(fit, model: str, outcome: str, notes: list[str], cluster: str, alpha: float = 0.05,
          terms: list[str] | None = None, vcov: str = "CRV1",
          term_clusters: dict[str, int] | None = None) -> pd.DataFrame:
    """Tidy rows from a pyfixest fit. Estimates and standard errors are pyfixest's (for the
    fit's current vcov); intervals and p-values use t(G-1) critical values for every family
    (pyfixest itself uses t(G-1) for OLS but the normal for Poisson, which under-covers with
    few clusters)."""
    from scipy import stats

    t = fit.tidy(alpha=alpha)
    n, g = int(fit._N), _n_clusters(fit)
    est = t["Estimate"].to_numpy(float)
    se = t["Std. Error"].to_numpy(float)
    df = max(g - 1, 1)
    # a term identified by within-unit variation in only k < G clusters (e.g. acting heads in
    # 4 offices) gets t(k-1): its cluster-robust SE rests on k clusters, not G
    names = [str(x) for x in t.index]
    dfs = np.array([max(min(df, (term_clusters or {}).get(nm, g) - 1), 1) for nm in names],
                   float)
    crit = stats.t.ppf(1 - alpha / 2, dfs)
    with np.errstate(divide="ignore", invalid="ignore"):
        pval = 2 * stats.t.sf(np.abs(est / se), dfs)
    few_terms = [f"{nm} varies within only {int(k)} {cluster}: t({int(k) - 1}) for it"
                 for nm, k in (term_clusters or {}).items() if nm in names and k - 1 < df]
    notes = [*notes, *few_terms]
    label = VCOV_LABEL.get(vcov, vcov)
    if vcov in ("iid", "hetero"):
        # conventional errors: pyfixest's own intervals and p-values (t with its residual df)
        ci = t.filter(like="%").to_numpy(float)
        pval = t["Pr(>|t|)"].to_numpy(float)
        head = f"{label} SE, pyfixest intervals"
        out_ci = (ci[:, 0], ci[:, 1])
    else:
        head = f"{label} cluster-robust SE by {cluster}, t({df}) intervals"
        out_ci = (est - crit * se, est + crit * se)
    note = "; ".join([head, *notes,
                      *_caveats(n, g, cluster)])
    out = pd.DataFrame({
        "model": model, "outcome": outcome, "term": [str(x) for x in t.index],
        "estimate": est, "std_error": se, "ci_low": out_ci[0], "ci_high": out_ci[1],
        "p_value": pval, "n": n, "n_clusters": g, "note": note,
    })
    if terms is not None:
        lost = [x for x in terms if x not in set(out["term"])]
        if len(lost) == len(terms):
            raise ValueError(f"none of {terms} could be estimated for {outcome!r} (collinear with "
                             "the fixed effects)")
        if lost:
            out["note"] = out["note"] + f"; dropped as collinear with the fixed effects: " \
                                        f"{', '.join(lost)}"
    return out[TIDY_COLUMNS]


def _formula(outcome: str, rhs: str, fe) -> str:
    return f"{outcome} ~ {rhs}" + (f" | {' + '.join(fe)}" if fe else "")


def _fit_ols(d, fml, cluster, ssc=None):
    """pyfixest feols with CRV1 errors (cheap); see :func:`_set_vcov` for CRV3."""
    import pyfixest as pf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pf.feols(fml, data=d, vcov={"CRV1": cluster}, ssc=ssc)


def _fit_pois(d, fml, cluster):
    """pyfixest fepois with CRV1 errors (cheap); see :func:`_set_vcov` for CRV3."""
    import pyfixest as pf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pf.fepois(fml, data=d, vcov={"CRV1": cluster})


def _jackknife_blocker(fit, within: list[str], cluster: str, fe) -> str | None:
    """Why the cluster jackknife cannot be computed, or None. With unit fixed effects a
    regressor is identified only by its variation *within* units; one that varies within a
    single cluster is lost when that cluster is left out (pyfixest would then silently misalign
    the leave-one-out coefficients), so CRV3 is not defined for it."""
    if cluster not in tuple(fe or ()):
        return None
    data = fit._data
    for r in within:
        if r not in data:
            continue
        k = int((data.groupby(cluster)[r].nunique() > 1).sum())
        if k < 2:
            return (f"{r!r} varies within only {k} {cluster}: not identified when it is left "
                    "out")
    return None


def _term_clusters(fit, regressors, cluster: str, fe) -> dict[str, int]:
    """For each regressor, the number of clusters within which it varies (with unit fixed
    effects only those clusters identify it); empty when the unit is not a fixed effect or
    the cluster-robust errors are not by unit."""
    if cluster not in tuple(fe or ()) or not hasattr(fit, "_data"):
        return {}
    data = fit._data
    return {r: int((data.groupby(cluster)[r].nunique() > 1).sum()) for r in regressors
            if r in data}


def _set_vcov(fit, vcov: str, cluster: str, notes: list[str], blocker: str | None = None
              ) -> str:
    """Switch a CRV1 fit to ``vcov`` with pyfixest's ``fit.vcov({vcov: cluster})``. CRV3 is
    pyfixest's cluster jackknife: the model is re-estimated without each cluster in turn (one
    refit per OPD). When the jackknife cannot be computed (a leave-one-out fit loses a regressor,
    e.g. when only one OPD ever had an acting head) or gives a non-finite SE, the fit keeps CRV1
    and ``notes`` says so. Returns the vcov actually used."""
    if vcov not in VCOV_LABEL:
        raise ValueError(f"vcov must be one of {sorted(VCOV_LABEL)} (got {vcov!r})")
    if vcov == "CRV1":
        return "CRV1"
    if vcov in ("iid", "hetero"):
        # not clustered: for published-table checks and unit-level inference only
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit.vcov(vcov)
        return vcov
    if blocker:
        notes.append(f"{vcov} could not be computed ({blocker}): CRV1 shown, likely too narrow")
        return "CRV1"
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            fit.vcov({vcov: cluster})
        if not np.all(np.isfinite(np.asarray(fit.se(), float))):
            raise ValueError("non-finite standard error")
        return vcov
    except Exception as exc:  # noqa: BLE001 - any failure of the jackknife falls back to CRV1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit.vcov({"CRV1": cluster})
        reason = str(exc).splitlines()[0][:80] if str(exc) else type(exc).__name__
        notes.append(f"{vcov} could not be computed ({reason}): CRV1 shown, likely too narrow")
        return "CRV1"


def _unit_col(panel: pd.DataFrame, fe, cluster):
    """Swap unit_id for the cross-region key when the panel spans several regions."""
    if "unit_key" in panel.columns or ("region_code" in panel and
                                       panel["region_code"].nunique() > 1):
        fe = tuple("unit_key" if f == "unit_id" else f for f in fe)
        cluster = "unit_key" if cluster == "unit_id" else cluster
    return fe, cluster


# =================================================================================================
# fixed-effects regressions
# =================================================================================================

def fe_ols(panel: pd.DataFrame, outcome: str, regressors, fe=("unit_id", "year"),
           cluster: str = "unit_id", alpha: float = 0.05, model: str = "fe_ols",
           ssc: dict | None = None, return_fit: bool = False, vcov: str = DEFAULT_VCOV):
    """Linear model with unit and year fixed effects (pyfixest ``feols``), errors clustered by
    unit: CRV3 (cluster jackknife) by default, ``vcov="CRV1"`` for the classic sandwich;
    t(G-1) intervals. ``outcome`` may be ``log_<col>`` for a positive column."""
    regressors = list(regressors)
    if "unit_key" not in panel.columns and "region_code" in panel and \
            panel["region_code"].nunique() > 1:
        panel = add_model_columns(panel)
    fe, cluster = _unit_col(panel, fe, cluster)
    d, notes = _prepare(panel, outcome, regressors, fe, cluster)
    fit = _fit_ols(d, _formula(outcome, " + ".join(regressors), fe), cluster, ssc)
    dropped = len(d) - int(fit._N)
    if dropped:
        notes.append(f"{dropped} singleton row(s) dropped (a unit or year with one observation)")
    used = _set_vcov(fit, vcov, cluster, notes, _jackknife_blocker(fit, regressors, cluster, fe))
    res = _tidy(fit, model, outcome, notes, cluster, alpha, regressors, vcov=used,
                term_clusters=_term_clusters(fit, regressors, cluster, fe))
    return (res, fit, d) if return_fit else res


def fe_poisson(panel: pd.DataFrame, outcome: str, regressors, fe=("unit_id", "year"),
               cluster: str = "unit_id", alpha: float = 0.05, model: str = "fe_poisson",
               return_fit: bool = False, vcov: str = DEFAULT_VCOV):
    """Poisson (PPML) model with unit and year fixed effects (pyfixest ``fepois``), errors
    clustered by unit: CRV3 (cluster jackknife) by default, ``vcov="CRV1"`` for the classic
    sandwich; t(G-1) intervals (pyfixest would use the normal for Poisson). Units whose outcome is zero in every year carry no information
    under unit fixed effects and are dropped; the note says how many."""
    regressors = list(regressors)
    if "unit_key" not in panel.columns and "region_code" in panel and \
            panel["region_code"].nunique() > 1:
        panel = add_model_columns(panel)
    fe, cluster = _unit_col(panel, fe, cluster)
    d, notes = _prepare(panel, outcome, regressors, fe, cluster)
    if (d[outcome] < 0).any():
        raise ValueError(f"{outcome!r} has negative values: a Poisson model needs counts")
    if d[outcome].sum() == 0:
        raise ValueError(f"{outcome!r} is zero in every row: no events, nothing to estimate")
    unit = fe[0] if fe else cluster
    zero_units = d.groupby(unit)[outcome].sum()
    n_zero = int((zero_units == 0).sum())
    fit = _fit_pois(d, _formula(outcome, " + ".join(regressors), fe), cluster)
    dropped = len(d) - int(fit._N)
    if n_zero:
        notes.append(f"{n_zero} unit(s) with no {outcome} in any year dropped (Poisson FE "
                     "cannot use them)")
    if dropped:
        notes.append(f"{dropped} row(s) dropped in total (all-zero units, separation, "
                     "singletons)")
    used = _set_vcov(fit, vcov, cluster, notes, _jackknife_blocker(fit, regressors, cluster, fe))
    res = _tidy(fit, model, outcome, notes, cluster, alpha, regressors, vcov=used,
                term_clusters=_term_clusters(fit, regressors, cluster, fe))
    return (res, fit, d) if return_fit else res


def is_count(panel: pd.DataFrame, outcome: str) -> bool:
    if outcome in COUNT_OUTCOMES:
        return True
    v = pd.to_numeric(panel[outcome], errors="coerce").dropna()
    return bool(len(v) and (v >= 0).all() and np.allclose(v, np.round(v)) and v.max() > 1)


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
    fe, cluster = _unit_col(panel, fe, cluster)
    unit = fe[0]
    d, notes = _prepare(panel, outcome, [intensity, *controls], fe, cluster)
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
    fml = _formula(outcome, rhs, fe)
    if family == "poisson":
        if d[outcome].sum() == 0:
            raise ValueError(f"{outcome!r} is zero in every row: no events, nothing to estimate")
        n_zero = int((d.groupby(unit)[outcome].sum() == 0).sum())
        if n_zero:
            notes.append(f"{n_zero} unit(s) with no {outcome} in any year dropped (Poisson FE "
                         "cannot use them)")
        fit = _fit_pois(d, fml, cluster)
    else:
        fit = _fit_ols(d, fml, cluster)
    model = f"event_study_{family}"
    terms = [str(t) for t in fit.coef().index]
    pt_crv1 = _pretrend(fit, terms, ref_year, event_year)      # CRV1, for comparison only
    blocker = _jackknife_blocker(fit, controls, cluster, fe)
    if blocker is None and fit._data.loc[fit._data[intensity] != 0, unit].nunique() < 2:
        blocker = f"{intensity!r} is non-zero for fewer than 2 units"
    used = _set_vcov(fit, vcov, cluster, notes, blocker)
    res = _tidy(fit, model, outcome, notes, cluster, alpha, vcov=used)
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
        "n": int(fit._N), "n_clusters": _n_clusters(fit),
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
    g = _n_clusters(fit)
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
    fit_fn = _fit_pois if family == "poisson" else _fit_ols
    theta = coef[lead_names].to_numpy(float)
    stats_b = []
    for _, db in _cluster_draws(d, cluster, n_boot, seed):
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


# =================================================================================================
# leadership
# =================================================================================================

def leadership_effect(panel: pd.DataFrame, outcomes=("innovations", "complaints", "ikm",
                                                     "ombudsman_score", "log_service_days"),
                      regressor: str = "acting_share", controls=(), alpha: float = 0.05,
                      vcov: str = DEFAULT_VCOV) -> pd.DataFrame:
    """Within-unit change in each outcome when the unit is under an acting head (Plt), against
    the same unit's years with a definitive head (unit and year fixed effects). Poisson for
    counts (estimate = change in log rate), OLS otherwise. An outcome that cannot be estimated
    gets one row whose note begins with "not estimable:"."""
    rows = []
    p = add_model_columns(panel)
    for y in outcomes:
        if y not in p.columns:
            raise ValueError(f"panel has no outcome column {y!r}")
        count = is_count(p, y)
        try:
            fn = fe_poisson if count else fe_ols
            r = fn(p, y, [regressor, *controls], alpha=alpha, vcov=vcov,
                   model="leadership_" + ("poisson" if count else "ols"))
            rows.append(r[r["term"] == regressor])
        except ValueError as exc:
            rows.append(pd.DataFrame([{
                "model": "leadership_" + ("poisson" if count else "ols"), "outcome": y,
                "term": regressor, "estimate": np.nan, "std_error": np.nan, "ci_low": np.nan,
                "ci_high": np.nan, "p_value": np.nan, "n": 0, "n_clusters": 0,
                "note": f"not estimable: {exc}"}]))
    return pd.concat(rows, ignore_index=True)[TIDY_COLUMNS]


# =================================================================================================
# typology
# =================================================================================================

DEFAULT_FEATURES = ("cut_2020", "mean_dlog_budget", "innovation_trend", "ikm_level",
                    "ikm_trend", "penunjang_share")
# phrase for a high (+) and a low (-) standardized centre value: (id, en)
# Words for a cluster centre beyond 0.5 SD: (id, en), and the strong form beyond 1.5 SD.
PHRASES = {
    "cut_2020": {+1: (("anggaran naik 2020", "budget up in 2020"),
                      ("anggaran naik tajam 2020", "budget sharply up in 2020")),
                 -1: (("dipotong 2020", "cut in 2020"),
                      ("dipotong sangat tajam 2020", "cut very sharply in 2020"))},
    "mean_dlog_budget": {+1: (("anggaran tumbuh", "budget growing"),
                              ("anggaran tumbuh pesat", "budget growing fast")),
                         -1: (("anggaran menyusut", "budget shrinking"),
                              ("anggaran menyusut tajam", "budget shrinking fast"))},
    "innovation_trend": {+1: (("inovasi naik", "innovation rising"),
                              ("inovasi naik pesat", "innovation rising fast")),
                         -1: (("inovasi turun", "innovation falling"),
                              ("inovasi turun tajam", "innovation falling fast"))},
    "innovation_level": {+1: (("inovasi banyak", "many innovations"),
                              ("inovasi sangat banyak", "very many innovations")),
                         -1: (("inovasi sedikit", "few innovations"),
                              ("inovasi sangat sedikit", "very few innovations"))},
    "ikm_level": {+1: (("IKM tinggi", "high IKM"), ("IKM sangat tinggi", "very high IKM")),
                  -1: (("IKM rendah", "low IKM"), ("IKM sangat rendah", "very low IKM"))},
    "ikm_trend": {+1: (("IKM membaik", "IKM improving"),
                       ("IKM membaik pesat", "IKM improving fast")),
                  -1: (("IKM memburuk", "IKM worsening"),
                       ("IKM memburuk tajam", "IKM worsening fast"))},
    "penunjang_share": {+1: (("porsi rutin (penunjang) besar", "large routine (penunjang) share"),
                             ("porsi rutin (penunjang) sangat besar",
                              "very large routine (penunjang) share")),
                        -1: (("porsi rutin (penunjang) kecil", "small routine (penunjang) share"),
                             ("porsi rutin (penunjang) sangat kecil",
                              "very small routine (penunjang) share"))},
}


@dataclass
class Typology:
    assignments: pd.DataFrame          # unit_id, cluster, description_id, description_en
    k_table: pd.DataFrame              # k, silhouette, chosen
    k: int
    silhouette: float
    clusters: pd.DataFrame             # cluster, n_units, description_id/en, centre z-values
    features: pd.DataFrame             # per-unit raw features used
    notes: list[str] = field(default_factory=list)


def unit_features(panel: pd.DataFrame) -> pd.DataFrame:
    """Per-unit trajectory features: cut_2020, mean dlog_budget, innovation level and trend
    (slope per year, least squares), IKM level and trend, mean penunjang share."""
    unit = "unit_id"
    rows = []
    for uid, g in panel.sort_values("year").groupby(unit, sort=True):
        rec = {unit: uid}
        rec["cut_2020"] = g["cut_2020"].iloc[0] if "cut_2020" in g else np.nan
        rec["mean_dlog_budget"] = g["dlog_budget"].mean() if "dlog_budget" in g else np.nan
        for col, name in (("innovations", "innovation"), ("ikm", "ikm")):
            if col not in g:
                rec[f"{name}_level"] = rec[f"{name}_trend"] = np.nan
                continue
            s = g[["year", col]].dropna()
            rec[f"{name}_level"] = s[col].mean() if len(s) else np.nan
            rec[f"{name}_trend"] = (np.polyfit(s["year"], s[col], 1)[0] if s["year"].nunique()
                                    >= 2 else np.nan)
        rec["penunjang_share"] = g["penunjang_share"].mean() if "penunjang_share" in g \
            else np.nan
        rows.append(rec)
    return pd.DataFrame(rows)


def _describe(z: pd.Series, threshold: float = 0.5) -> tuple[str, str]:
    """Words for one standardized centre: up to three features beyond +/- threshold SD, the
    strongest first; a strong form beyond 1.5 SD."""
    parts_id, parts_en = [], []
    for feat in z.abs().sort_values(ascending=False).index:
        v = z[feat]
        if abs(v) < threshold or feat not in PHRASES or len(parts_id) == 3:
            continue
        pid, pen = PHRASES[feat][1 if v > 0 else -1][1 if abs(v) >= 1.5 else 0]
        parts_id.append(pid)
        parts_en.append(pen)
    if not parts_id:
        return "mendekati rata-rata", "close to average"
    return ", ".join(parts_id), ", ".join(parts_en)


def typology(panel: pd.DataFrame, features=DEFAULT_FEATURES, k_range=range(2, 7),
             seed: int = 0, n_init: int = 20) -> Typology:
    """KMeans on standardized per-unit features, k chosen by the highest silhouette.

    Units lacking an IKM feature (not front-line units: no SKM survey) are placed at the
    average (z = 0) on those features, so they are clustered on the rest; units lacking any
    other feature are left out. ``notes`` says how many of each. Descriptions are generated
    from the sign and size of the standardized cluster centres."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from sklearn.preprocessing import StandardScaler

    feats = unit_features(panel)
    features = list(features)
    unknown = [f for f in features if f not in feats.columns]
    if unknown:
        raise ValueError(f"unknown typology feature(s) {unknown}; available: "
                         f"{[c for c in feats.columns if c != 'unit_id']}")
    notes = []
    soft = [f for f in features if f.startswith("ikm_")]
    X = feats[["unit_id", *features]].dropna(subset=[f for f in features if f not in soft])
    n_soft = int(X[soft].isna().any(axis=1).sum()) if soft else 0
    if n_soft:
        notes.append(f"{n_soft} unit(s) without IKM data placed at the average IKM level/trend")
    if len(X) < len(feats):
        notes.append(f"{len(feats) - len(X)} unit(s) without all features left out "
                     f"(of {len(feats)})")
    flat = [f for f in features if X[f].nunique() < 2]
    if flat:
        raise ValueError(f"feature(s) {flat} are the same for every unit: drop them")
    ks = [k for k in k_range if 2 <= k <= len(X) - 1]
    if not ks:
        raise ValueError(f"{len(X)} unit(s) with complete features: too few to form clusters "
                         f"for k in {list(k_range)} (need at least k + 1 units)")
    Z = StandardScaler().fit_transform(X[features].to_numpy(float))
    Z = np.nan_to_num(Z, nan=0.0)   # missing IKM features at the mean (z = 0)
    fits, rows = {}, []
    for k in ks:
        km = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(Z)
        s = float(silhouette_score(Z, km.labels_))
        fits[k] = km
        rows.append({"k": k, "silhouette": s})
    k_table = pd.DataFrame(rows)
    best = int(k_table.loc[k_table["silhouette"].idxmax(), "k"])
    k_table["chosen"] = k_table["k"] == best
    k_table["n_units"] = len(X)
    km = fits[best]
    # stable cluster numbering: by size (largest first), then by first centre value
    centres = pd.DataFrame(km.cluster_centers_, columns=features)
    sizes = np.bincount(km.labels_, minlength=best)
    order = sorted(range(best), key=lambda c: (-sizes[c], tuple(centres.iloc[c])))
    relabel = {old: new + 1 for new, old in enumerate(order)}
    labels = np.array([relabel[c] for c in km.labels_])
    clusters = []
    for old in order:
        did, den = _describe(centres.iloc[old])
        clusters.append({"cluster": relabel[old], "n_units": int(sizes[old]),
                         "description_id": did, "description_en": den,
                         **{f"z_{f}": float(centres.iloc[old][f]) for f in features}})
    clusters = pd.DataFrame(clusters)
    assign = pd.DataFrame({"unit_id": X["unit_id"].to_numpy(), "cluster": labels})
    assign = assign.merge(clusters[["cluster", "description_id", "description_en"]],
                          on="cluster", how="left")
    return Typology(assign, k_table, best, float(k_table["silhouette"].max()), clusters,
                    feats, notes)


# =================================================================================================
# resilience
# =================================================================================================

RESILIENCE_SPECS = {
    # counterfactual (untreated) model of each outcome: family and time-varying covariates;
    # the unit and year effects are always in
    "innovations": ("poisson", ("dlog_budget", "acting_share")),
    "ikm": ("ols", ("dlog_budget_lag1", "acting_share")),
}
RESILIENCE_BOOT = 99
RESILIENCE_UNITS = {"innovations": ("inovasi per tahun", "innovations per year"),
                    "ikm": ("poin IKM", "IKM points")}


def _cluster_draws(d: pd.DataFrame, cluster: str, n_boot: int, seed: int,
                   strata: pd.Series | None = None):
    """Pairs cluster bootstrap: yields ``(b, frame)`` where ``frame`` holds the rows of G
    clusters drawn with replacement, each copy relabelled ``"<cluster>#<k>"`` so that a unit
    drawn twice gets two fixed effects, and a column ``_orig`` with the original label.
    ``strata`` (a label per cluster) draws within each stratum, keeping their sizes (e.g. cut
    and not-cut units)."""
    rng = np.random.default_rng(seed)
    labels = d[cluster].astype(str).to_numpy()
    groups = pd.Series(np.arange(len(d))).groupby(labels).apply(lambda x: x.to_numpy())
    keys = groups.index.to_numpy()
    if strata is None:
        pools = [np.arange(len(keys))]
    else:
        lab = pd.Series(strata).reindex(keys).to_numpy()
        pools = [np.flatnonzero(lab == v) for v in pd.unique(lab)]
    for b in range(n_boot):
        draw = np.concatenate([rng.choice(pool, len(pool)) for pool in pools])
        rows = np.concatenate([groups.iloc[i] for i in draw])
        sizes = [len(groups.iloc[i]) for i in draw]
        lab = np.repeat([f"{keys[i]}#{k}" for k, i in enumerate(draw)], sizes)
        yield b, d.iloc[rows].assign(**{cluster: lab, "_orig": keys[np.repeat(draw, sizes)]})


def _imputation_fit(d0: pd.DataFrame, y: str, regs, family: str):
    """The counterfactual model: unit and year effects plus covariates, fitted by pyfixest on
    untreated rows only."""
    import pyfixest as pf

    fml = _formula(y, " + ".join(regs), ("unit_id", "year")) if regs else \
        f"{y} ~ 1 | unit_id + year"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if family == "poisson":
            return pf.fepois(fml, data=d0, vcov="iid")
        return pf.feols(fml, data=d0, vcov="iid")


def _predict0(fit, new: pd.DataFrame, family: str) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if family == "poisson":
            return np.asarray(fit.predict(newdata=new, type="response"), float)
        return np.asarray(fit.predict(newdata=new), float)


def resilience(panel: pd.DataFrame, outcomes=("innovations", "ikm"), specs=None,
               event_year: int = EVENT_YEAR, alpha: float = 0.05, n_boot: int = RESILIENCE_BOOT,
               seed: int = 0) -> pd.DataFrame:
    """Which OPDs held up after the 2020 cut: each cut unit's outcomes from ``event_year`` on
    against a counterfactual from a model fitted on untreated observations only (the
    imputation estimator of Borusyak, Jaravel & Spiess 2024).

    Untreated rows are every unit before ``event_year`` and the units not cut in 2020
    (``cut_2020 >= 0``) after it. The counterfactual model (``RESILIENCE_SPECS``: unit and year
    effects, the unit's own budget change and acting heads; Poisson for innovations, OLS for
    IKM) is fitted on them with pyfixest and predicts each cut unit's post-2020 years had it not
    been cut. ``effect`` = mean over those years of observed - counterfactual, in the outcome's
    units (innovations per year; IKM points); negative = below its counterfactual.

    Uncertainty has two independent parts, added as variances: (1) the unit's own year noise,
    a two-sample comparison of its post-2020 gaps with its pre-2020 residuals (statsmodels
    ``CompareMeans``, pooled within-unit variance, n_pre + n_post - 2 degrees of freedom; this
    carries the error of the unit's own level, which is estimated from its pre-2020 years); (2) the counterfactual model's uncertainty (year
    effects and covariate slopes), from a pairs cluster bootstrap over units, stratified by
    cut / not cut so that every draw keeps the number of comparison units (``n_boot`` draws; the model is refitted on each draw and the unit's effect recomputed whenever the
    unit is drawn; the spread is the interquartile range / 1.349, robust to the rare draw whose
    Poisson refit predicts absurd counts). Intervals use t(n_pre + n_post - 2). Years within a unit are
    treated as independent given the model. ``rank`` (1 = highest effect) comes with a 95 %
    interval ``rank_low``-``rank_high`` from 4000 normal draws of every unit's effect: two
    units are ordered only if their rank intervals do not overlap. ``verdict`` is "below" /
    "above" (interval entirely below / above 0) or "indistinguishable".

    Columns: outcome, unit_id, cut_2020, effect, std_error, ci_low, ci_high, observed_mean,
    counterfactual_mean, se_year, se_model, df, n_post, n_pre, rank, rank_low, rank_high,
    verdict, note, model_note, n_untreated_units, n_boot (plus ``score`` = effect and
    ``n_years`` = n_post, the names used before).
    """
    from scipy import stats
    from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

    specs = {**RESILIENCE_SPECS, **(specs or {})}
    p = add_model_columns(panel, event_year)
    if "cut_2020" not in p:
        raise ValueError("panel has no cut_2020 column")
    cut_by_unit = p.groupby("unit_id")["cut_2020"].first()
    cut_units = set(cut_by_unit[cut_by_unit < 0].index)
    if not cut_units:
        raise ValueError("no unit has cut_2020 < 0: no unit was cut in 2020, nothing to score")
    out = []
    for y in outcomes:
        if y not in specs:
            raise ValueError(f"no resilience specification for {y!r}; pass specs={{...}}")
        if y not in p.columns:
            raise ValueError(f"panel has no outcome column {y!r}")
        family, regs = specs[y]
        regs = list(regs)
        d = p[["unit_id", "year", y, *regs]].copy()
        for c in [y, *regs]:
            d[c] = pd.to_numeric(d[c], errors="coerce").astype(float)
        d = d.replace([np.inf, -np.inf], np.nan).dropna().reset_index(drop=True)
        d["_treated"] = d["unit_id"].isin(cut_units) & (d["year"] >= event_year)
        d0, d1 = d[~d["_treated"]], d[d["_treated"]]
        untreated_after = d0.loc[d0["year"] >= event_year, "unit_id"].nunique()
        has_data = set(d["unit_id"]) & cut_units
        if d1.empty or untreated_after < 2:
            for uid in sorted(has_data):
                out.append({"outcome": y, "unit_id": uid, "verdict": "not estimable",
                            "note": f"not estimable: {untreated_after} unit(s) not cut with "
                                    f"data after {event_year}; the counterfactual year effects "
                                    "need at least 2", "n_untreated_units": untreated_after})
            continue
        fit0 = _imputation_fit(d0, y, regs, family)
        y0 = _predict0(fit0, d1, family)
        gaps = d1.assign(_y0=y0, _gap=d1[y].to_numpy(float) - y0)
        # in-sample residuals of the untreated rows (units a Poisson FE fit dropped get none)
        resid0 = d0.assign(_res=d0[y].to_numpy(float) - _predict0(fit0, d0, family)
                           ).dropna(subset=["_res"])
        used0 = resid0
        # (2) model uncertainty: pairs cluster bootstrap over units
        boot = {u: [] for u in has_data}
        strata = pd.Series({u: u in cut_units for u in d["unit_id"].astype(str).unique()})
        for _, db in _cluster_draws(d, "unit_id", n_boot, seed, strata=strata):
            b0, b1 = db[~db["_treated"]], db[db["_treated"]]
            if b1.empty or b0.loc[b0["year"] >= event_year, "_orig"].nunique() < 2:
                continue
            try:
                fb = _imputation_fit(b0, y, regs, family)
                yb = _predict0(fb, b1, family)
            except Exception:  # noqa: BLE001 - a failed replicate is skipped, and counted below
                continue
            gb = b1.assign(_gap=b1[y].to_numpy(float) - yb).dropna(subset=["_gap"])
            first = gb.groupby("_orig")["unit_id"].transform("first") == gb["unit_id"]
            for u, v in gb[first].groupby("_orig")["_gap"].mean().items():
                boot[u].append(float(v))
        model_note = (f"counterfactual: {family} FE model ({' + '.join(regs) or 'no covariates'}"
                      f" | unit_id + year) on {len(used0)} untreated rows of "
                      f"{used0['unit_id'].nunique()} units ({untreated_after} not cut, observed "
                      f"after {event_year}); pairs cluster bootstrap, {n_boot} draws")
        for uid in sorted(has_data):
            g = gaps[(gaps["unit_id"] == uid)].dropna(subset=["_gap"])
            pre = resid0.loc[resid0["unit_id"] == uid, "_res"].to_numpy(float)
            rec = {"outcome": y, "unit_id": uid, "cut_2020": float(cut_by_unit[uid]),
                   "n_post": len(g), "n_pre": len(pre), "model_note": model_note,
                   "n_untreated_units": untreated_after, "n_boot": len(boot[uid])}
            if g.empty or len(pre) < 2:
                rec.update(verdict="not estimable",
                           note="not estimable: the unit's own level cannot be estimated "
                                f"(fewer than 2 usable years before {event_year}, or no events "
                                "before it for a count outcome)")
                out.append(rec)
                continue
            gap = g["_gap"].to_numpy(float)
            effect = float(gap.mean())
            if len(gap) + len(pre) >= 4 and (np.std(gap) > 0 or np.std(pre) > 0):
                # pooled within-unit variance (pre residuals have mean 0 by the unit effect):
                # n_pre + n_post - 2 degrees of freedom, stable with 2-3 pre years
                cm = CompareMeans(DescrStatsW(gap), DescrStatsW(pre))
                se_year = float(cm.std_meandiff_pooledvar)
                df = float(len(gap) + len(pre) - 2)
            else:
                se_year, df = np.nan, np.nan
            # robust spread (IQR / 1.349, the sd for normal draws): a Poisson refit on a draw
            # with few comparison units can predict absurd counts for one unit, and one such
            # draw would otherwise dominate the standard deviation
            if len(boot[uid]) >= 10:
                q1, q3 = np.percentile(boot[uid], [25, 75])
                se_model = float((q3 - q1) / 1.349)
            else:
                se_model = np.nan
            se = float(np.sqrt(se_year ** 2 + se_model ** 2))
            if np.isfinite(se) and se > 0 and np.isfinite(df):
                crit = float(stats.t.ppf(1 - alpha / 2, max(df, 1.0)))
                lo, hi = effect - crit * se, effect + crit * se
            else:
                lo = hi = np.nan
            if np.isnan(lo):
                verdict, note = "indistinguishable", ("too few years for an interval: treat as "
                                                      "indistinguishable")
            elif hi < 0:
                verdict, note = "below", ("di bawah kontrafaktual / below its counterfactual")
            elif lo > 0:
                verdict, note = "above", ("di atas kontrafaktual / above its counterfactual")
            else:
                verdict, note = "indistinguishable", (
                    "tidak dapat dibedakan dari kontrafaktual / indistinguishable from its "
                    "counterfactual")
            rec.update(effect=effect, std_error=se, ci_low=lo, ci_high=hi,
                       observed_mean=float(g[y].mean()), counterfactual_mean=float(g["_y0"].mean()),
                       se_year=se_year, se_model=se_model, df=df, verdict=verdict, note=note)
            out.append(rec)
    df_out = pd.DataFrame(out)
    cols = ["outcome", "unit_id", "cut_2020", "effect", "std_error", "ci_low", "ci_high",
            "observed_mean", "counterfactual_mean", "se_year", "se_model", "df", "n_post",
            "n_pre", "rank", "rank_low", "rank_high", "verdict", "note", "model_note",
            "n_untreated_units", "n_boot"]
    for c in cols:
        if c not in df_out:
            df_out[c] = np.nan
    df_out = _rank_intervals(df_out, seed=seed, alpha=alpha)
    df_out["score"] = df_out["effect"]
    df_out["n_years"] = df_out["n_post"]
    return df_out[[*cols, "score", "n_years"]].sort_values(
        ["outcome", "rank", "unit_id"]).reset_index(drop=True)


def _rank_intervals(df: pd.DataFrame, seed: int = 0, alpha: float = 0.05, draws: int = 4000
                    ) -> pd.DataFrame:
    """Rank (1 = highest effect) and its (1 - alpha) interval within each outcome, from normal
    draws of every unit's effect with its standard error (ties share the lower rank)."""
    rng = np.random.default_rng(seed)
    df = df.copy()
    for c in ("rank", "rank_low", "rank_high"):
        df[c] = pd.array([pd.NA] * len(df), dtype="Int64")
    for _, g in df.groupby("outcome"):
        ok = g["effect"].notna() & g["std_error"].notna()
        if not ok.any():
            continue
        e = g.loc[ok, "effect"].to_numpy(float)
        se = g.loc[ok, "std_error"].to_numpy(float)
        sim = e[None, :] + rng.standard_normal((draws, len(e))) * se[None, :]
        ranks = (-sim).argsort(axis=1).argsort(axis=1) + 1
        idx = g.index[ok]
        df.loc[idx, "rank"] = pd.Series(-e).rank(method="min").astype(int).to_numpy()
        df.loc[idx, "rank_low"] = np.quantile(ranks, alpha / 2, axis=0,
                                              method="inverted_cdf").astype(int)
        df.loc[idx, "rank_high"] = np.quantile(ranks, 1 - alpha / 2, axis=0,
                                               method="inverted_cdf").astype(int)
    return df


# =================================================================================================
# distributed lags
# =================================================================================================

def add_lags(panel: pd.DataFrame, max_lag: int, regressor: str = "dlog_budget") -> pd.DataFrame:
    """``<regressor>_lag0..max_lag`` (lag 0 = the same year), within unit, NaN across gaps in
    the years (a lag is never taken from a year that is not exactly k years before)."""
    if max_lag < 0:
        raise ValueError("max_lag must be 0 or more")
    keys = [c for c in ("region_code", "unit_id") if c in panel.columns]
    p = panel.sort_values([*keys, "year"]).copy()
    g = p.groupby(keys, sort=False)
    for k in range(max_lag + 1):
        shifted = g[regressor].shift(k)
        year_ok = g["year"].shift(k) == p["year"] - k
        p[f"{regressor}_lag{k}"] = shifted.where(year_ok)
    return p


def distributed_lags(panel: pd.DataFrame, outcome: str, max_lag: int = 2,
                     regressor: str = "dlog_budget", controls=(), fe=("unit_id", "year"),
                     cluster: str = "unit_id", alpha: float = 0.05,
                     vcov: str = DEFAULT_VCOV) -> pd.DataFrame:
    """All lags in one model: ``outcome ~ x_lag0 + ... + x_lagK [+ controls] | unit + year``
    (Poisson for counts, OLS otherwise), never one model per lag.

    Returns the tidy rows of every lag (``lag`` = k) and a ``cumulative`` row, the sum of the
    lag effects with its own interval. The cumulative effect is estimated by the equivalent
    reparametrisation ``outcome ~ c*x_lag0 + b1*(x_lag1 - x_lag0) + ... | fe`` whose coefficient
    c is the sum of the lags, so its standard error comes from pyfixest like any other
    coefficient (same rows, same vcov)."""
    if max_lag < 0:
        raise ValueError("max_lag must be 0 or more")
    p = add_lags(add_model_columns(panel), max_lag, regressor)
    terms = [f"{regressor}_lag{k}" for k in range(max_lag + 1)]
    count = is_count(p, outcome)
    fn = fe_poisson if count else fe_ols
    model = "dist_lag_" + ("poisson" if count else "ols")
    res = fn(p, outcome, [*terms, *controls], fe=fe, cluster=cluster, alpha=alpha,
             model=model, vcov=vcov)
    res = res[res["term"].isin(terms)].copy()
    res["lag"] = [int(t.rsplit("lag", 1)[1]) for t in res["term"]]
    if max_lag > 0:
        q = p.copy()
        diffs = []
        for k in range(1, max_lag + 1):
            q[f"_d{k}"] = q[terms[k]] - q[terms[0]]
            diffs.append(f"_d{k}")
        # same complete rows as the lag model (the differences are missing exactly where a lag is)
        cum = fn(q, outcome, [terms[0], *diffs, *controls], fe=fe, cluster=cluster, alpha=alpha,
                 model=model, vcov=vcov)
        cum = cum[cum["term"] == terms[0]].assign(term="cumulative", lag=pd.NA)
        cum["note"] = cum["note"] + f"; sum of lags 0-{max_lag}"
        res = pd.concat([res, cum], ignore_index=True)
    res["lag"] = res["lag"].astype("Int64")
    return res.reset_index(drop=True)


LAG_OUTCOMES = ("ikm", "complaints", "ombudsman_score", "log_service_days")


def lag_models(panel: pd.DataFrame, outcomes=LAG_OUTCOMES, max_lag: int = 2,
               vcov: str = DEFAULT_VCOV) -> pd.DataFrame:
    """:func:`distributed_lags` for each service outcome, stacked; an outcome that cannot be
    estimated gets one row whose note begins with "not estimable:"."""
    out = []
    for y in outcomes:
        try:
            out.append(distributed_lags(panel, y, max_lag=max_lag, vcov=vcov))
        except ValueError as exc:
            out.append(pd.DataFrame([{"model": "dist_lag", "outcome": y, "term": "cumulative",
                                      "estimate": np.nan, "std_error": np.nan,
                                      "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan,
                                      "n": 0, "n_clusters": 0, "lag": pd.NA,
                                      "note": f"not estimable: {exc}"}]))
    res = pd.concat(out, ignore_index=True)
    res["lag"] = res["lag"].astype("Int64")
    return res[[*TIDY_COLUMNS, "lag"]]


# =================================================================================================
# multiple testing
# =================================================================================================

def adjust_pvalues(df: pd.DataFrame, method: str = "holm", p_col: str = "p_value"
                   ) -> pd.DataFrame:
    """Adjusted p-values over the rows given, taken as one family of tests
    (``statsmodels.stats.multitest.multipletests``; Holm by default, "fdr_bh" for
    Benjamini-Hochberg). Adds ``p_adjusted``, ``n_tests`` (the family size: rows with a
    p-value) and ``adjust_method``. Rows without a p-value keep NaN."""
    from statsmodels.stats.multitest import multipletests

    out = df.copy()
    p = pd.to_numeric(out[p_col], errors="coerce")
    ok = p.notna()
    out["p_adjusted"] = np.nan
    if ok.any():
        out.loc[ok, "p_adjusted"] = multipletests(p[ok].to_numpy(float), method=method)[1]
    out["n_tests"] = int(ok.sum())
    out["adjust_method"] = method
    return out


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


# =================================================================================================
# the build step
# =================================================================================================

def simulated_panel(seed: int, pretrend: float = 0.0, years=None, effects: dict | None = None,
                    with_truth: bool = False):
    """The model panel of the simulated Batang regency for one seed (for tests and the recovery
    study): the same generator, calibration targets and panel builder as the build, without
    public rows. ``effects`` overrides planted effects (``simulate.null_effects()`` for a null
    world); ``with_truth=True`` returns ``(panel, truth)``."""
    from analysis import config
    from analysis.data import public
    from analysis.data import simulate as sim
    from analysis.methods.measures import build_panel

    years = years or config.DEFAULT_YEARS
    ext = config.external_dir()
    units = public.load_units(ext)
    targets = public.calibration_targets(public.load_region_finance(public.load_reference(ext)))
    targets = targets[targets["year"].between(*years)]
    sp = sim.simulate(units, targets, seed=seed, years=years, pretrend=pretrend, effects=effects)
    panel = build_panel({**sp.tables, "units": units}, sp.truth)["panel"]
    return (panel, sp.truth) if with_truth else panel


def dataset_label(panel: pd.DataFrame) -> str:
    """"simulated" when any row is simulated (so nothing drawn from it can pass as real),
    else "user"."""
    prov = set(panel["provenance"].astype(str)) if "provenance" in panel else {"simulated"}
    return "simulated" if any("simulated" in p for p in prov) else "user"


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
    with a ``dataset`` column: "simulated" or "user"). ``model_results`` and ``lag_results``
    carry Holm-adjusted p-values over the whole family of reported tests
    (:func:`findings_family`)."""
    panel = tables.get("panel")
    if panel is None:
        from analysis.methods.measures import build_panel

        panel = build_panel(tables, truth).get("panel")
    if panel is None or len(panel) == 0:
        return {}
    return _cached_fit(panel, _fit_all_panel)


def _fit_key(panel: pd.DataFrame) -> str:
    """Content key of a fit: the panel's values (not file times), this module's source and
    the estimation libraries' versions."""
    import hashlib
    from importlib.metadata import version
    from pathlib import Path

    h = hashlib.sha256()
    h.update(pd.util.hash_pandas_object(panel.reset_index(drop=True), index=True).to_numpy()
             .tobytes())
    h.update(",".join(map(str, panel.columns)).encode())
    h.update(Path(__file__).read_bytes())
    for lib in ("pyfixest", "statsmodels", "scikit-learn", "numpy", "pandas"):
        h.update(version(lib).encode())
    return h.hexdigest()[:24]


def _cached_fit(panel: pd.DataFrame, fit) -> dict[str, pd.DataFrame]:
    """``fit(panel)`` cached as ``fit_all-<key>.pkl`` in :func:`analysis.config.fit_cache_dir`
    (``<data>/interim/models/`` unless ``BATANG_FIT_CACHE_DIR`` is set): a rebuild whose
    panel is unchanged (same values, same code, same library versions) reuses the fit instead
    of spending ~15-40 s on jackknife and bootstrap refits. A damaged cache file is refitted."""
    import os
    import pickle
    import tempfile

    from analysis import config

    folder = config.fit_cache_dir()
    path = folder / f"fit_all-{_fit_key(panel)}.pkl"
    if path.is_file():
        try:
            with path.open("rb") as f:
                return pickle.load(f)
        except Exception:  # noqa: BLE001 - never trust a damaged cache: refit
            path.unlink(missing_ok=True)
    out = fit(panel)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".pkl", dir=folder)
        with os.fdopen(fd, "wb") as f:
            pickle.dump(out, f)
        os.replace(tmp, path)
    except OSError:
        pass            # a read-only data folder only loses the cache
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
        out["typology"] = ty.assignments.merge(
            ty.clusters.drop(columns=["description_id", "description_en"]), on="cluster")
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
    for k in out:
        out[k] = out[k].assign(dataset=ds).reset_index(drop=True)
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
