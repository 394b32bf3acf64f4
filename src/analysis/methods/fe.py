"""Fixed-effects regressions of the OPD x year panel (pyfixest): the package's one estimation
module. Data preparation, OLS and Poisson fits, standard errors (CRV3 jackknife by default) and
the one tidy output format::

    model, outcome, term, estimate, std_error, ci_low, ci_high, p_value, n, n_clusters, note

Estimation apart from reporting (as pyfixest splits ``feols`` from ``tidy``); every estimator
of the package (``build_fits``, ``leadership``, ``eventstudy``, ``lags``, ``resilience``, the notebooks'
:mod:`analysis.methods.fit`, the pemda model of :mod:`analysis.methods.peers`) fits and reports
through these public functions, none through a private one:

- estimation: :func:`add_model_columns`, :func:`unit_columns`, :func:`prepare`,
  :func:`fe_formula`, :func:`fit_ols`, :func:`fit_poisson` (CRV1 fits), :func:`set_vcov` (switch
  to CRV3 / iid / HC1, with the CRV1 fallback), :func:`jackknife_blocker`,
  :func:`term_clusters`;
- reporting: :func:`tidy_fit` (the tidy rows of any fit: t(G-1) intervals and p-values, notes),
  :func:`cluster_count`;
- both in one call: :func:`fe_ols`, :func:`fe_poisson`.

See ``analysis.methods.build_fits`` for the overview and ``docs/methods.md``.
"""

from __future__ import annotations

import warnings

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


def prepare(panel: pd.DataFrame, outcome: str, regressors, fe, cluster) -> tuple[
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


def _caveats(n: int, g: int, cluster: str, clustered: bool = True) -> list[str]:
    out = []
    if clustered and g < FEW_CLUSTERS:
        out.append(f"few clusters ({g}): cluster-robust SEs may be too small")
    if n < SMALL_N:
        out.append(f"small sample (n={n}): treat intervals as approximate")
    return out


def cluster_count(fit) -> int:
    """The number of clusters of a fit's cluster-robust errors (the smallest, for several
    cluster variables); 0 when its errors are not clustered."""
    g = getattr(fit, "_G", None)
    if g is None:
        return 0
    return int(np.min(np.atleast_1d(g)))


def tidy_fit(fit, model: str, outcome: str, notes: list[str], cluster: str, alpha: float = 0.05,
             terms: list[str] | None = None, vcov: str = "CRV1",
             term_clusters: dict[str, int] | None = None, n_clusters: int | None = None
             ) -> pd.DataFrame:
    """Tidy rows (:data:`TIDY_COLUMNS`) from a pyfixest fit whose errors are ``vcov`` (what
    :func:`set_vcov` returned), clustered by ``cluster``. Estimates and standard errors are
    pyfixest's (for the fit's current vcov); intervals and p-values use t(G-1) critical values
    for every family (pyfixest itself uses t(G-1) for OLS but the normal for Poisson, which
    under-covers with few clusters). ``notes`` go into ``note`` after the errors used;
    ``terms``: the regressors asked for (a ValueError when none was estimated, a note for the
    ones lost); ``term_clusters``: :func:`term_clusters`; ``n_clusters``: G when the fit
    does not say it (default :func:`cluster_count`, else the ``cluster`` values in the fit's
    data)."""
    from scipy import stats

    t = fit.tidy(alpha=alpha)
    n = int(fit._N)
    g = cluster_count(fit) if n_clusters is None else int(n_clusters)
    clustered = vcov not in ("iid", "hetero")
    if not g and hasattr(fit, "_data") and cluster in getattr(fit, "_data", {}):
        # errors not clustered: n_clusters still counts the OPDs in the estimation sample
        g = int(fit._data[cluster].nunique())
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
    # the few-clusters caveat concerns cluster-robust errors only
    note = "; ".join([head, *notes, *_caveats(n, g, cluster, clustered)])
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


def fe_formula(outcome: str, rhs: str, fe) -> str:
    """The pyfixest formula ``outcome ~ rhs | fe1 + fe2`` (no ``|`` without fixed effects)."""
    return f"{outcome} ~ {rhs}" + (f" | {' + '.join(fe)}" if fe else "")


def fit_ols(d, fml, cluster, ssc=None):
    """pyfixest feols with CRV1 errors (cheap); see :func:`set_vcov` for CRV3."""
    import pyfixest as pf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pf.feols(fml, data=d, vcov={"CRV1": cluster}, ssc=ssc)


def fit_poisson(d, fml, cluster):
    """pyfixest fepois with CRV1 errors (cheap); see :func:`set_vcov` for CRV3."""
    import pyfixest as pf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pf.fepois(fml, data=d, vcov={"CRV1": cluster})


def jackknife_blocker(fit, within: list[str], cluster: str, fe) -> str | None:
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


def term_clusters(fit, regressors, cluster: str, fe) -> dict[str, int]:
    """For each regressor, the number of clusters within which it varies (with unit fixed
    effects only those clusters identify it); empty when the unit is not a fixed effect or
    the cluster-robust errors are not by unit."""
    if cluster not in tuple(fe or ()) or not hasattr(fit, "_data"):
        return {}
    data = fit._data
    return {r: int((data.groupby(cluster)[r].nunique() > 1).sum()) for r in regressors
            if r in data}


def set_vcov(fit, vcov: str, cluster: str, notes: list[str], blocker: str | None = None
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


def unit_columns(panel: pd.DataFrame, fe, cluster):
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
    fe, cluster = unit_columns(panel, fe, cluster)
    d, notes = prepare(panel, outcome, regressors, fe, cluster)
    fit = fit_ols(d, fe_formula(outcome, " + ".join(regressors), fe), cluster, ssc)
    dropped = len(d) - int(fit._N)
    if dropped:
        notes.append(f"{dropped} singleton row(s) dropped (a unit or year with one observation)")
    used = set_vcov(fit, vcov, cluster, notes, jackknife_blocker(fit, regressors, cluster, fe))
    res = tidy_fit(fit, model, outcome, notes, cluster, alpha, regressors, vcov=used,
                   term_clusters=term_clusters(fit, regressors, cluster, fe))
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
    fe, cluster = unit_columns(panel, fe, cluster)
    d, notes = prepare(panel, outcome, regressors, fe, cluster)
    if (d[outcome] < 0).any():
        raise ValueError(f"{outcome!r} has negative values: a Poisson model needs counts")
    if d[outcome].sum() == 0:
        raise ValueError(f"{outcome!r} is zero in every row: no events, nothing to estimate")
    unit = fe[0] if fe else cluster
    zero_units = d.groupby(unit)[outcome].sum()
    n_zero = int((zero_units == 0).sum())
    fit = fit_poisson(d, fe_formula(outcome, " + ".join(regressors), fe), cluster)
    dropped = len(d) - int(fit._N)
    if n_zero:
        notes.append(f"{n_zero} unit(s) with no {outcome} in any year dropped (Poisson FE "
                     "cannot use them)")
    if dropped:
        notes.append(f"{dropped} row(s) dropped in total (all-zero units, separation, "
                     "singletons)")
    used = set_vcov(fit, vcov, cluster, notes, jackknife_blocker(fit, regressors, cluster, fe))
    res = tidy_fit(fit, model, outcome, notes, cluster, alpha, regressors, vcov=used,
                   term_clusters=term_clusters(fit, regressors, cluster, fe))
    return (res, fit, d) if return_fit else res


def is_count(panel: pd.DataFrame, outcome: str) -> bool:
    if outcome in COUNT_OUTCOMES:
        return True
    v = pd.to_numeric(panel[outcome], errors="coerce").dropna()
    return bool(len(v) and (v >= 0).all() and np.allclose(v, np.round(v)) and v.max() > 1)
