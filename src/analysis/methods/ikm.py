"""SKM/IKM: the public satisfaction index of PermenPANRB 14/2017, with its grades.

The survey and the index formula are part of the data's definition
(:mod:`analysis.data.skm`: nine elements scored 1-4, IKM = 25 × the mean of the element means,
invalid answers missing for their element only, published rounded half-up to 2 decimals);
this module adds what the panel and the reports read from it:

* **Grading on the published value.** The grade is read from the IKM rounded half-up to 2
  decimals (as the index is published), not from the unrounded value: 64,994 -> 64,99 -> D,
  64,995 -> 65,00 -> C. Float noise is removed first (rounding to 9 decimals), so an IKM whose
  exact value is 64,995 grades C even if the float reads 64,99499999.
* **Bands** on the 25-100 scale: A (Sangat Baik) 88,31-100; B (Baik) 76,61-88,30;
  C (Kurang Baik) 65,00-76,60; D (Tidak Baik) 25,00-64,99
  (``data/external/batang/batang_rules_thresholds.csv`` holds the sources).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.data.schema import SKM_ELEMENTS
from analysis.data.skm import (  # noqa: F401 (re-exported: the index is read from here too)
    DEFAULT_BY,
    IKM_MAX,
    IKM_MIN,
    VALID_SCORES,
    index_from_responses,
    round_ikm,
)
from analysis.narrative.labels import check_lang, label

BANDS: tuple[tuple[float, float, str], ...] = (
    # (lower, upper, grade) on the rounded IKM, best first
    (88.31, 100.00, "A"),
    (76.61, 88.30, "B"),
    (65.00, 76.60, "C"),
    (25.00, 64.99, "D"),
)


def _grade_one(ikm: float) -> str | None:
    if pd.isna(ikm):
        return None
    r = round_ikm(ikm)
    if not IKM_MIN <= r <= IKM_MAX:
        raise ValueError(f"IKM {ikm!r} is outside the 25-100 scale")
    return next(g for lower, _upper, g in BANDS if r >= lower)


def grade(ikm: float | Sequence[float] | np.ndarray | pd.Series):
    """Grade ``A``..``D`` of an IKM (25-100), read from the IKM rounded to 2 decimals.

    A scalar gives a str (None for NaN); an array gives an object array and a Series a
    Series with the same index. A value outside 25-100 raises ValueError.
    """
    if np.ndim(ikm) == 0:
        return _grade_one(ikm)  # type: ignore[arg-type]
    if isinstance(ikm, pd.Series):
        return ikm.map(_grade_one).astype(object)
    return np.array([_grade_one(v) for v in np.asarray(ikm, dtype=float)], dtype=object)


def grade_label(g: str | None, lang: str = "id") -> str | None:
    """Words of a grade: ``grade_label("A")`` -> ``Sangat Baik``; None stays None."""
    return None if g is None else label(f"grade_{g}", lang)


def band_table(lang: str = "id") -> pd.DataFrame:
    """The IKM bands as a table: lower, upper, grade, label (best grade first)."""
    check_lang(lang)
    rows = [(lo, up, g, label(f"grade_{g}", lang)) for lo, up, g in BANDS]
    return pd.DataFrame(rows, columns=["lower", "upper", "grade", "label"])


def ikm_from_responses(df: pd.DataFrame, by: Sequence[str] = DEFAULT_BY,
                       elements: Sequence[str] = SKM_ELEMENTS) -> pd.DataFrame:
    """IKM per group (default: per region, unit and year) from raw SKM responses, graded.

    ``df`` has one row per respondent and one column per element (scores 1-4). Returns one
    row per group with the ``by`` columns, the element means (columns named like the
    elements), ``ikm`` (unrounded float), ``ikm_rounded`` (2 decimals, half-up), ``grade``,
    ``grade_label_id``, ``grade_label_en``, ``n`` (respondents) and ``n_invalid`` (invalid
    answers, treated as missing for their element: :mod:`analysis.data.skm`).
    """
    by, elements = list(by), list(elements)
    out_cols = [*by, *elements, "ikm", "ikm_rounded", "grade", "grade_label_id",
                "grade_label_en", "n", "n_invalid"]
    res = index_from_responses(df, by, elements)
    if res.empty:
        return pd.DataFrame(columns=out_cols)
    res["grade"] = grade(res["ikm"])
    res["grade_label_id"] = res["grade"].map(lambda g: grade_label(g, "id"))
    res["grade_label_en"] = res["grade"].map(lambda g: grade_label(g, "en"))
    return res[out_cols]
