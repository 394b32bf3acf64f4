"""Leadership effects: the within-unit change in each outcome while an OPD is under an acting
head (Plt), against the same OPD's years with a definitive head (unit and year fixed effects,
through :mod:`analysis.methods.fe`). One of the build's models
(:func:`analysis.methods.build_fits.main_models`); see ``docs/methods.md``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.methods.fe import (
    DEFAULT_VCOV,
    TIDY_COLUMNS,
    add_model_columns,
    fe_ols,
    fe_poisson,
    is_count,
)


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
