"""The peers analysis: a kab/kota among its peers on the pemda panel (numbers only).

Public data only (the ``pemda*`` tables of :mod:`analysis.data.national`). This module
computes; what notebook ``6.0-peers`` and the per-pemda reports show (tables, figures,
sentences: every word from the catalog, ``narrative/words/peers.toml``) is made from these
numbers by :mod:`analysis.publish.peers`.

- :func:`peer_group_codes`: the peer group of a region (its province, all kab/kota, or a list);
- :func:`ranks`, :func:`standing_table`, :func:`rank_history_table`: ranks of the region on
  every measure (rank 1 = highest value; partial pemda-years are not ranked on finance);
- :func:`distribution`, :func:`peer_band`: the values of a measure in one year, and the peer
  group's median and interquartile range per year;
- :func:`change_vs_trend`, :func:`change_summary`: the 2020 real change in spending against
  each pemda's own trend, ranked;
- :data:`MODEL_COLUMNS`, :data:`DEFAULT_FORMULA`, :func:`singletons`: the columns and formula
  of the two-way fixed-effects association model on the pemda panel. Notebook 6.0 builds the
  model frame with pandas and fits it in view through the package's one estimation path
  (:func:`analysis.methods.fit.fit`: pyfixest OLS, errors clustered by pemda; its tidy
  format, t(G-1) 95 % intervals).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

# measure -> format; its words are the catalog's peers.measure.<measure>
MEASURES: dict[str, str] = {
    "spending_outturn": "rp", "realisation_rate": "pct", "share_pegawai": "pct",
    "share_barang_jasa": "pct", "share_modal": "pct", "share_hibah_bansos": "pct",
    "share_btt": "pct", "share_transfer": "pct", "dlog_real_spending": "dlog", "ipm": "num",
    "d_ipm": "num",
}
FINANCE_MEASURES = [m for m in MEASURES if m not in ("ipm", "d_ipm")]
IPM_MEASURES = ("ipm", "d_ipm")
"""Measures that may end earlier than the budget data (BPS IPM)."""
PEER_GROUPS = ("province", "national")
GROUPS = ("peers", "national")
"""The two groups a region is ranked in: its peer group and all kab/kota."""
# columns a model formula may use (the model frame notebook 6.0 builds): shares in percentage
# points (0-100), real spending change in percent (100 x log change)
MODEL_COLUMNS = ["d_ipm", "ipm", "share_pegawai", "share_barang_jasa", "share_modal",
                 "share_hibah_bansos", "share_btt", "share_transfer", "dlog_real_spending",
                 "realisation_rate", "pemda", "year"]
DEFAULT_FORMULA = "d_ipm ~ share_modal + share_pegawai + dlog_real_spending | pemda + year"

MIN_MODEL_PEMDA = 20
"""A peer-group model needs at least this many pemda (else the section says why it is not run)."""

EVENT_YEAR = 2020
MIN_TREND_YEARS = 2


# ---------------------------------------------------------------------------------- groups


def peer_group_codes(kab: pd.DataFrame, region: str, peer_group) -> list[str]:
    """The kab/kota codes of the peer group of ``region`` (validated parameters): the region's
    province (``"province"``), every kab/kota (``"national"``) or the given codes and the
    region. ``kab``: the ``pemda`` rows of the kab/kota."""
    if peer_group == "province":
        prov = kab.loc[kab["region_code"] == region, "province_code"].iloc[0]
        return sorted(kab.loc[kab["province_code"] == prov, "region_code"])
    if peer_group == "national":
        return sorted(kab["region_code"])
    return sorted(set(peer_group) | {region})


def peer_rows(py: pd.DataFrame, peers: Sequence[str], group: str) -> pd.DataFrame:
    """Rows of the group (``"peers"``: the codes ``peers``; ``"national"``: all)."""
    if group == "national":
        return py
    return py[py["region_code"].isin(peers)]


def valid(py: pd.DataFrame, measure: str) -> pd.Series:
    """Rows that can be ranked on ``measure``: finance measures exclude partial pemda-years."""
    ok = py[measure].notna()
    if measure in FINANCE_MEASURES:
        ok &= py["partial"].fillna(True) == False  # noqa: E712
    return ok


def ranks(py: pd.DataFrame, measure: str) -> pd.DataFrame:
    """Per year: rank (1 = highest value) and n among the rows that can be ranked."""
    d = py.loc[valid(py, measure), ["region_code", "year", measure]].copy()
    d["rank"] = d.groupby("year")[measure].rank(ascending=False, method="min")
    d["n"] = d.groupby("year")[measure].transform("size")
    return d


def reference_year(py: pd.DataFrame, region: str) -> int | None:
    """The last year where the region's finance row is complete (not partial); None when
    every year is partial."""
    me = py[(py["region_code"] == region) & (py["partial"].fillna(True) == False)  # noqa: E712
            & py["spending_outturn"].notna()]
    return None if me.empty else int(me["year"].max())


def measure_year(py: pd.DataFrame, measure: str, year: int, region: str | None = None
                 ) -> int | None:
    """The year a measure is read in for ``year``: ``year``, except for the IPM measures
    (which may end earlier): their last year up to ``year`` with a value (of ``region``, or
    of any pemda when ``region`` is None and then never later than ``year``); None when the
    region has none."""
    if measure not in IPM_MEASURES:
        return year
    if region is None:
        have = py.loc[py[measure].notna(), "year"]
        return int(min(year, have.max())) if len(have) else year
    have = py.loc[(py["region_code"] == region) & py[measure].notna(), "year"]
    have = have[have <= year]
    return None if have.empty else int(have.max())


def standing_table(py: pd.DataFrame, region: str, peers: Sequence[str], year: int
                   ) -> pd.DataFrame:
    """Per measure (in :data:`MEASURES` order; an IPM measure without a value up to ``year`` is
    left out) and group (:data:`GROUPS`): the year it is read in, the region's value, the
    group's median, the region's rank (None when it is not ranked) and n."""
    rows = []
    for m in MEASURES:
        yr = measure_year(py, m, year, region)
        if yr is None:
            continue
        mine = py.loc[(py["region_code"] == region) & (py["year"] == yr), m]
        value = mine.iloc[0] if len(mine) else np.nan
        for g in GROUPS:
            r = ranks(peer_rows(py, peers, g), m)
            r = r[r["year"] == yr]
            hit = r[r["region_code"] == region]
            rows.append({"measure": m, "year": yr, "value": value, "group": g,
                         "median": r[m].median(),
                         "rank": int(hit["rank"].iloc[0]) if len(hit) else None,
                         "n": len(r)})
    return _with_ranks(pd.DataFrame(rows, columns=["measure", "year", "value", "group",
                                                   "median", "rank", "n"]), rows)


def _with_ranks(df: pd.DataFrame, rows: list[dict]) -> pd.DataFrame:
    """``df`` with its ``rank`` column as given (whole numbers or None, not floats and NaN)."""
    df["rank"] = pd.Series([r["rank"] for r in rows], index=df.index, dtype=object)
    return df


def rank_history_table(py: pd.DataFrame, region: str, peers: Sequence[str]) -> pd.DataFrame:
    """The region's rank and n per measure and year in its peer group (years where it is
    ranked)."""
    pf = peer_rows(py, peers, "peers")
    parts = []
    for m in MEASURES:
        r = ranks(pf, m)
        r = r[r["region_code"] == region]
        parts.append(pd.DataFrame({"measure": m, "year": r["year"].to_numpy(),
                                   "rank": r["rank"].astype(int).to_numpy(),
                                   "n": r["n"].astype(int).to_numpy()}))
    return pd.concat(parts, ignore_index=True)


def distribution(py: pd.DataFrame, measure: str, year: int) -> tuple[int, pd.DataFrame]:
    """The year the measure is read in (:func:`measure_year` over all pemda) and the rows of
    that year that can be ranked on it."""
    yr = measure_year(py, measure, year)
    return yr, py[(py["year"] == yr) & valid(py, measure)]


def peer_band(pf: pd.DataFrame, measure: str) -> pd.DataFrame:
    """Per year: the 25th, 50th and 75th percentile of ``measure`` over the rows ``pf`` that can
    be ranked on it (columns 0.25, 0.5, 0.75)."""
    d = pf[valid(pf, measure)]
    return d.groupby("year")[measure].quantile([0.25, 0.5, 0.75]).unstack()


def region_series(pf: pd.DataFrame, measure: str, region: str) -> pd.Series:
    """The region's values of ``measure`` per year (rows that can be ranked on it)."""
    d = pf[valid(pf, measure)]
    return d[d["region_code"] == region].set_index("year")[measure]


def caveat_numbers(py: pd.DataFrame) -> dict:
    """The numbers that make the caveats concrete: the 10th, 50th and 90th percentile of the
    yearly IPM change and the partial pemda-years per year."""
    q = py.loc[py["d_ipm"].notna(), "d_ipm"].quantile([0.1, 0.5, 0.9])
    part = py[py["partial"] == True].groupby("year").size()  # noqa: E712
    return {"p10": q[0.1], "median": q[0.5], "p90": q[0.9],
            "partial": {y: int(n) for y, n in part.items()}}


# ---------------------------------------------------------------------------------- model


def singletons(frame: pd.DataFrame, formula: str) -> int:
    """Pemda with a single usable row for the formula (dropped by the fixed effects)."""
    used = [c for c in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", formula.split("|")[0])
            if c in frame.columns]
    d = frame.dropna(subset=used)
    return int((d.groupby("pemda").size() == 1).sum())


# ---------------------------------------------------------------------------------- 2020


def change_vs_trend(py: pd.DataFrame, year: int = EVENT_YEAR) -> pd.DataFrame:
    """Per pemda: the real change in spending outturn in ``year`` (``dlog_real_spending``,
    needs the outturn of the year before), its own trend (the mean real change of its other
    complete years, at least ``MIN_TREND_YEARS``) and the deviation from that trend, in log
    points. Pemda without the year's change or without enough other years are left out."""
    d = py[py["dlog_real_spending"].notna() & (py["partial"].fillna(True) == False)]  # noqa: E712
    event = d[d["year"] == year].set_index("region_code")["dlog_real_spending"]
    other = d[d["year"] != year].groupby("region_code")["dlog_real_spending"]
    out = pd.DataFrame({"change": event, "trend": other.mean(), "n_trend_years": other.size()})
    out = out.dropna(subset=["change"])
    out = out[out["n_trend_years"] >= MIN_TREND_YEARS]
    out["deviation"] = out["change"] - out["trend"]
    out["n_trend_years"] = out["n_trend_years"].astype(int)
    return out.reset_index().sort_values("deviation").reset_index(drop=True)


def change_summary(allc: pd.DataFrame, region: str, peers: Sequence[str]) -> pd.DataFrame:
    """Per group (:data:`GROUPS`) of :func:`change_vs_trend`'s rows: n, the median change and
    median deviation from trend, and the region's rank by deviation (1 = the largest fall
    below its trend; None when it has no row)."""
    me = allc[allc["region_code"] == region]
    rows = []
    for g in GROUPS:
        frame = allc if g == "national" else allc[allc["region_code"].isin(peers)]
        rank = (int(frame["deviation"].rank(method="min").loc[me.index[0]])
                if len(me) and me.index[0] in frame.index else None)
        rows.append({"group": g, "n": len(frame), "median_change": frame["change"].median(),
                     "median_deviation": frame["deviation"].median(), "rank": rank})
    return _with_ranks(pd.DataFrame(rows), rows)
