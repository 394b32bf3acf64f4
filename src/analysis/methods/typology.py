"""A typology of OPDs: k-means (scikit-learn) on standardised unit features, k chosen by
silhouette; each cluster is given by its standardized centre (numbers only: the words that
describe a cluster are made from the centre when it is shown, by
``narrative/sentences.py``'s ``cluster_description``). See ``docs/methods.md``."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# =================================================================================================
# typology
# =================================================================================================

DEFAULT_FEATURES = ("cut_2020", "mean_dlog_budget", "innovation_trend", "ikm_level",
                    "ikm_trend", "penunjang_share")
# Words for a cluster centre: the catalog's typology entries (narrative/words/typology.toml),
# put together from the z_<feature> columns by sentences.cluster_description when shown.


@dataclass
class Typology:
    assignments: pd.DataFrame          # unit_id, cluster
    k_table: pd.DataFrame              # k, silhouette, chosen
    k: int
    silhouette: float
    clusters: pd.DataFrame             # cluster, n_units, centre z-values (z_<feature>)
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


def typology(panel: pd.DataFrame, features=DEFAULT_FEATURES, k_range=range(2, 7),
             seed: int = 0, n_init: int = 20) -> Typology:
    """KMeans on standardized per-unit features, k chosen by the highest silhouette.

    Units lacking an IKM feature (not front-line units: no SKM survey) are placed at the
    average (z = 0) on those features, so they are clustered on the rest; units lacking any
    other feature are left out. ``notes`` says how many of each. The clusters are given by
    their standardized centres (``z_<feature>``), from which their descriptions are made when
    shown."""
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
        clusters.append({"cluster": relabel[old], "n_units": int(sizes[old]),
                         **{f"z_{f}": float(centres.iloc[old][f]) for f in features}})
    clusters = pd.DataFrame(clusters)
    assign = pd.DataFrame({"unit_id": X["unit_id"].to_numpy(), "cluster": labels})
    return Typology(assign, k_table, best, float(k_table["silhouette"].max()), clusters,
                    feats, notes)
