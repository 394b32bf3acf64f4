"""Loading for the research notebooks: the processed tables for the notebook's region and
years (:func:`load`, every year: :func:`load_all_years`), the model-ready panel
(:func:`model_panel`), the findings ledger, the build manifest and the simulation truth. A
loader never fits: the model tables, the build's or refitted on the notebook's years, are
:mod:`.refits`."""

from __future__ import annotations

import pandas as pd

from analysis.data import store
from analysis.publish.explore.context import Context

DEFAULT_MAX_LAG = 2
"""The longest budget lag of the build's ``lag_results`` table (lags.lag_models default)."""


MODEL_TABLES = ("model_results", "event_study", "typology", "typology_k", "resilience",
                "lag_results")


YEAR_COLUMN = {"innovations": "reporting_year"}


def load(ctx: Context, *names: str) -> dict[str, pd.DataFrame]:
    """The processed tables ``names`` sliced to the context's region and years. A loader never
    fits a model: model tables (``model_results``, ``event_study``, ``typology``,
    ``typology_k``, ``resilience``, ``lag_results``) come from :func:`.refits.model_tables`, which
    says in its name that it may fit them for the notebook's ``years``."""
    return _read(ctx, names, window=True)


def _read(ctx: Context, names, window: bool) -> dict[str, pd.DataFrame]:
    """The processed tables ``names`` for the context's region, inside its ``years`` when
    ``window``. Refuses model tables (a loader never fits)."""
    fitted = [n for n in names if n in MODEL_TABLES]
    if fitted:
        raise ValueError(f"{', '.join(fitted)}: model tables are fitted, not loaded; use "
                         f"explore.model_tables(ctx, {', '.join(map(repr, fitted))})")
    out: dict[str, pd.DataFrame] = {}
    for name in names:
        df = store.load_table(name, ctx.data_dir)
        if "region_code" in df.columns:
            df = df[df["region_code"] == ctx.region]
        ycol = YEAR_COLUMN.get(name, "year")
        if window and name == "leadership":
            df = df[df["date"].dt.year.between(*ctx.years)]
        elif window and ycol in df.columns and name not in ("unit_summary",):
            df = df[df[ycol].between(*ctx.years)]
        out[name] = df.reset_index(drop=True)
    return {n: out[n] for n in names}


LAG_OUTCOMES = ("ikm", "complaints", "ombudsman_score", "log_service_days")


def panel_years(ctx: Context) -> tuple[int, int]:
    """First and last year of the region's whole panel (what the build fits on)."""
    p = store.load_table("panel", ctx.data_dir, filters=[("region_code", "==", ctx.region)])
    return int(p["year"].min()), int(p["year"].max())


def ledger(ctx: Context) -> pd.DataFrame:
    """The build's findings ledger (``findings``): the verdicts every view reads."""
    return store.load_table("findings", ctx.data_dir)


def load_truth(ctx: Context) -> dict:
    """The simulation truth (planted effects), or {} when the data has no simulated panel."""
    try:
        return store.load_json("simulation_truth.json", ctx.data_dir)
    except store.NotBuiltError:
        return {}


def load_manifest(ctx: Context) -> dict:
    """The build's manifest (when and with which seed and package version it was built, and
    the rows of every table per provenance)."""
    return store.load_manifest(ctx.data_dir)


def model_panel(ctx: Context, max_lag: int = DEFAULT_MAX_LAG) -> pd.DataFrame:
    """The region's OPD x year panel ready for model formulas, rows inside ``years``.

    Adds, on the whole panel before the years are cut (so a row's lag may come from a year
    before the window, as ``dlog_budget`` itself does): the model columns of
    :func:`analysis.methods.fe.add_model_columns` (``post``, ``cut_depth_2020``,
    ``cut_2020_x_post``, ``log_service_days`` ...), the budget lags ``dlog_budget_lag0`` ..
    ``dlog_budget_lag<max_lag>`` (:func:`analysis.methods.lags.add_lags`) and
    ``acting_any`` (1 when the OPD had an acting head at any time of the year). Loads only:
    never fits a model."""
    from analysis.methods.fe import add_model_columns
    from analysis.methods.lags import add_lags

    p = store.load_table("panel", ctx.data_dir, filters=[("region_code", "==", ctx.region)])
    p = add_lags(add_model_columns(p), int(max_lag))
    p["acting_any"] = (p["acting_share"] > 0).astype(float).where(p["acting_share"].notna())
    return p[p["year"].between(*ctx.years)].reset_index(drop=True)


def load_all_years(ctx: Context, *names: str) -> dict[str, pd.DataFrame]:
    """The processed tables ``names`` for the context's region, **every year** (no ``years``
    window): for the notebooks that build their model columns in view, because a budget lag
    or the 2020 cut of a row inside ``years`` comes from a year before it. The notebook then
    selects its window in pandas; :func:`model_panel` gives the same rows and columns (a test
    compares them). Never fits: model tables come from :func:`.refits.model_tables`."""
    return _read(ctx, names, window=False)
