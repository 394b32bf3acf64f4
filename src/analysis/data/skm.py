"""The SKM survey and its index as PermenPANRB 14/2017 defines them: what an answer is and how
the IKM is computed from the answers.

A satisfaction survey (SKM) asks each respondent about 9 elements (unsur) ``u1``..``u9``
(:data:`analysis.data.schema.SKM_ELEMENTS`), each scored 1-4. The unit's index is

    IKM = 25 × (Σ_k w_k × mean_k),  w_k = 1/9  (the regulation's "nilai rata-rata tertimbang",
                                               weight 0,111 for every element)

i.e. 25 times the mean of the 9 element means, on the converted 25-100 scale.

Rules stated here and applied everywhere (the importer's report, the panel through
:mod:`analysis.methods.ikm`, which adds the grades A-D):

* **Invalid answers.** A blank answer, or one that is not an integer 1, 2, 3 or 4, is treated
  as missing *for that element only*: the element mean uses the respondent's remaining valid
  answers, and the respondent still counts for the other elements. ``n`` is the number of
  respondents (rows) in the group and ``n_invalid`` the number of invalid answers (cells).
  A group with no valid answer at all for some element raises ValueError naming the group
  (unit and year) and the element.
* **The published value.** The IKM is published rounded half-up to 2 decimals
  (:func:`round_ikm`); float noise is removed first (rounding to 9 decimals), so an IKM whose
  exact value is 64,995 is published 65,00 even if the float reads 64,99499999.

This is part of the data's definition (the survey instrument), so the importer can report it
without importing a later stage.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analysis.data.schema import SKM_ELEMENTS
from analysis.narrative.fmt import round_half_up

IKM_MIN, IKM_MAX = 25.0, 100.0
VALID_SCORES = (1, 2, 3, 4)

DEFAULT_BY = ("region_code", "unit_id", "year")


def round_ikm(ikm: float) -> float:
    """The IKM as published: rounded half-up to 2 decimals (float noise removed first)."""
    if pd.isna(ikm):
        return float("nan")
    return float(round_half_up(round(float(ikm), 9), 2))


def valid_answers(df: pd.DataFrame, elements: Sequence[str] = SKM_ELEMENTS) -> pd.DataFrame:
    """Answers as floats, with blank / non-numeric / out-of-range / fractional set to NaN."""
    num = df[list(elements)].apply(pd.to_numeric, errors="coerce").astype(float)
    return num.where(num.isin(VALID_SCORES))


def _describe(by: Sequence[str], key: object) -> str:
    keys = key if isinstance(key, tuple) else (key,)
    return ", ".join(f"{b}={k}" for b, k in zip(by, keys, strict=True))


INDEX_COLUMNS = ("ikm", "ikm_rounded", "n", "n_invalid")


def index_from_responses(df: pd.DataFrame, by: Sequence[str] = DEFAULT_BY,
                         elements: Sequence[str] = SKM_ELEMENTS) -> pd.DataFrame:
    """The IKM per group (default: per region, unit and year) from raw SKM responses.

    ``df`` has one row per respondent and one column per element (scores 1-4). Returns one
    row per group with the ``by`` columns, the element means (columns named like the
    elements), ``ikm`` (unrounded float), ``ikm_rounded`` (2 decimals, half-up), ``n``
    (respondents) and ``n_invalid`` (invalid answers, treated as missing for their element).
    """
    by, elements = list(by), list(elements)
    missing = [c for c in by + elements if c not in df.columns]
    if missing:
        raise ValueError(f"SKM responses lack column(s): {', '.join(missing)}")
    out_cols = [*by, *elements, *INDEX_COLUMNS]
    if df.empty:
        return pd.DataFrame(columns=out_cols)
    blank_keys = df[by].isna().any(axis=1)
    if blank_keys.any():
        raise ValueError(f"{int(blank_keys.sum())} SKM response row(s) have a blank "
                         f"{'/'.join(by)}; fill or drop them first")
    answers = valid_answers(df, elements)
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
    res["n"] = groups.size()
    res["n_invalid"] = groups["n_invalid"].sum()
    return res.reset_index()[out_cols]
