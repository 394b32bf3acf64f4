"""SKM/IKM: the public satisfaction index of PermenPANRB 14/2017.

A satisfaction survey (SKM) asks each respondent about 9 elements (unsur) ``u1``..``u9``,
each scored 1-4. The unit's index is

    IKM = 25 × (Σ_k w_k × mean_k),  w_k = 1/9  (the regulation's "nilai rata-rata tertimbang",
                                               weight 0,111 for every element)

i.e. 25 times the mean of the 9 element means, on the converted 25-100 scale.

Rules stated here and applied everywhere:

* **Invalid answers.** A blank answer, or one that is not an integer 1, 2, 3 or 4, is treated
  as missing *for that element only*: the element mean uses the respondent's remaining valid
  answers, and the respondent still counts for the other elements. ``n`` is the number of
  respondents (rows) in the group and ``n_invalid`` the number of invalid answers (cells).
  A group with no valid answer at all for some element raises ValueError naming the group
  (unit and year) and the element.
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
from analysis.narrative.fmt import round_half_up
from analysis.narrative.labels import check_lang, label

IKM_MIN, IKM_MAX = 25.0, 100.0
VALID_SCORES = (1, 2, 3, 4)

BANDS: tuple[tuple[float, float, str], ...] = (
    # (lower, upper, grade) on the rounded IKM, best first
    (88.31, 100.00, "A"),
    (76.61, 88.30, "B"),
    (65.00, 76.60, "C"),
    (25.00, 64.99, "D"),
)

DEFAULT_BY = ("region_code", "unit_id", "year")


def round_ikm(ikm: float) -> float:
    """The IKM as published: rounded half-up to 2 decimals (float noise removed first)."""
    if pd.isna(ikm):
        return float("nan")
    return float(round_half_up(round(float(ikm), 9), 2))


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


def _valid_answers(df: pd.DataFrame, elements: Sequence[str]) -> pd.DataFrame:
    """Answers as floats, with blank / non-numeric / out-of-range / fractional set to NaN."""
    num = df[list(elements)].apply(pd.to_numeric, errors="coerce").astype(float)
    return num.where(num.isin(VALID_SCORES))


def _describe(by: Sequence[str], key: object) -> str:
    keys = key if isinstance(key, tuple) else (key,)
    return ", ".join(f"{b}={k}" for b, k in zip(by, keys, strict=True))


def ikm_from_responses(df: pd.DataFrame, by: Sequence[str] = DEFAULT_BY,
                       elements: Sequence[str] = SKM_ELEMENTS) -> pd.DataFrame:
    """IKM per group (default: per region, unit and year) from raw SKM responses.

    ``df`` has one row per respondent and one column per element (scores 1-4). Returns one
    row per group with the ``by`` columns, the element means (columns named like the
    elements), ``ikm`` (unrounded float), ``ikm_rounded`` (2 decimals, half-up), ``grade``,
    ``grade_label_id``, ``grade_label_en``, ``n`` (respondents) and ``n_invalid`` (invalid
    answers, treated as missing for their element: see the module docstring).
    """
    by, elements = list(by), list(elements)
    missing = [c for c in by + elements if c not in df.columns]
    if missing:
        raise ValueError(f"SKM responses lack column(s): {', '.join(missing)}")
    out_cols = [*by, *elements, "ikm", "ikm_rounded", "grade", "grade_label_id",
                "grade_label_en", "n", "n_invalid"]
    if df.empty:
        return pd.DataFrame(columns=out_cols)
    blank_keys = df[by].isna().any(axis=1)
    if blank_keys.any():
        raise ValueError(f"{int(blank_keys.sum())} SKM response row(s) have a blank "
                         f"{'/'.join(by)}; fill or drop them first")
    answers = _valid_answers(df, elements)
    invalid = answers.isna().sum(axis=1).rename("n_invalid")
    work = pd.concat([df[by], answers, invalid], axis=1)
    groups = work.groupby(by, sort=True)
    means = groups[elements].mean()
    empty = means.isna()
    if empty.any(axis=None):
        key = empty.any(axis=1).idxmax()
        cols = [e for e in elements if empty.loc[key, e]]
        raise ValueError(f"SKM group {_describe(by, key)}: no valid answer (1-4) for "
                         f"element(s) {', '.join(cols)}; IKM cannot be computed")
    res = means.copy()
    res["ikm"] = 25 * means.sum(axis=1) / len(elements)
    res["ikm_rounded"] = res["ikm"].map(round_ikm)
    res["grade"] = grade(res["ikm"])
    res["grade_label_id"] = res["grade"].map(lambda g: grade_label(g, "id"))
    res["grade_label_en"] = res["grade"].map(lambda g: grade_label(g, "en"))
    res["n"] = groups.size()
    res["n_invalid"] = groups["n_invalid"].sum()
    return res.reset_index()[out_cols]
