"""Performance indicators against their targets (the ``indicators`` table: LPPD IKK, SPM,
Ombudsman, IKU, ...), for one unit or the region.

An indicator is *met* when its value reaches the target in its direction (``higher``: value >=
target; ``lower``: value <= target). ``achievement_pct`` is the value as a percentage of the
target for ``higher`` indicators and the target as a percentage of the value for ``lower``
ones (100 = exactly on target, above 100 = better than the target), the convention of LPPD and
SAKIP reports. Without a target (or with a zero one), or without a direction (an LPPD file
without ``Arah``), neither is defined and both stay missing: no met / not-met verdict.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = ["year", "framework", "indicator", "measure_unit", "direction", "target", "value",
           "achievement_pct", "met", "provenance", "source"]


def against_target(indicators: pd.DataFrame, entity: str | None = None,
                   years: tuple[int, int] | None = None) -> pd.DataFrame:
    """The rows of ``entity`` (a unit id or the region code; all when None) inside ``years``,
    with ``achievement_pct`` and ``met``; latest year first, then framework and name."""
    df = indicators
    if entity is not None:
        df = df[df["entity"] == entity]
    if years is not None:
        df = df[df["year"].between(*years)]
    if df.empty:
        return pd.DataFrame(columns=["entity", *COLUMNS])
    value = df["value"].astype(float)
    target = df["target"].astype(float)
    higher = df["direction"].eq("higher")
    known = df["direction"].isin(["higher", "lower"])
    usable = (known & target.notna() & target.ne(0) & value.notna()
              & (higher | value.ne(0)))
    with np.errstate(divide="ignore", invalid="ignore"):
        ach = np.where(higher, value / target, target / value) * 100.0
    out = df.assign(
        achievement_pct=pd.Series(np.where(usable, ach, np.nan), index=df.index),
        met=pd.Series(np.where(higher, value >= target, value <= target),
                      index=df.index).astype("boolean").where(usable, pd.NA),
    )
    out = out.sort_values(["year", "framework", "indicator"], ascending=[False, True, True])
    return out[["entity", *COLUMNS]].reset_index(drop=True)
