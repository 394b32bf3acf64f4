"""Measures for every unit and year, computed in one pass, and the tidy OPD x year panel.

The panel is the one table the notebooks and reports read ("compute once, render many"); it
is written by the build (``data/processed/panel.parquet``) together with a per-unit summary.
The panel is built from one dataset at a time: the simulated and user rows. Public rows (the
real IID 2021 profiles, Ombudsman scores) are not mixed into model inputs; they appear in
the public record sections, cited.

Definitions (also in ``DEFINITIONS``, shown in notebooks):

- ``budget_<stage>``: total spending of the unit in the year, all programmes and types.
- ``dlog_budget``: log(realisasi_t) - log(realisasi_{t-1}); NaN for a unit's first year and
  after a gap (never interpolated).
- ``dlog_budget_real``: the same in constant prices (deflator: ``data/external/indonesia/
  deflator_cpi.csv``, replaceable).
- ``refocus``: log(perubahan / murni), the mid-year revision (the 2020 refocusing).
- ``realisation_rate``: realisasi / perubahan (NaN with ``realisation_rate_mixed`` when the two
  stages come from different provenances; ``refocus`` likewise with ``refocus_mixed``).
- ``penunjang_share``: share of realisasi in the routine programme (program penunjang).
- ``share_<type>``: share of realisasi by spending type.
- ``cut_2020``: log(realisasi_2020) - log(realisasi_2019 x (1 + g)), g the unit's average
  annual growth 2016-2019 (geometric); negative = cut relative to its pre-2020 trend.
- ``cut_2020_pct``: the same cut in percent, ``100 * (exp(cut_2020) - 1)`` (-12.3 = 2020
  spending 12.3 % below the trend). Computed here once; reports, deck and brief read it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.data.public import load_deflator  # the deflator is a public file (re-exported)
from analysis.data.schema import INNOVATION_FORMS, INNOVATION_STAGES, SPENDING_TYPES

KEYS = ["region_code", "unit_id", "year"]
MODEL_PROVENANCE = ("simulated", "user")

DEFINITIONS = {
    "dlog_budget": "log(realisasi_t) - log(realisasi_t-1)",
    "dlog_budget_real": "dlog_budget in constant prices (CPI deflator)",
    "refocus": "log(perubahan / murni)",
    "realisation_rate": "realisasi / perubahan",
    "penunjang_share": "realisasi of programme penunjang / total realisasi",
    "cut_2020": "log(realisasi_2020) - log(realisasi_2019 * (1 + g)), g = geometric mean "
                "annual growth 2016-2019",
    "cut_2020_pct": "100 * (exp(cut_2020) - 1): the 2020 cut in percent of the pre-2020 trend",
    "innovations": "new innovations reported in the year (near-duplicates dropped)",
    "innovations_per_miliar": "implemented innovations per Rp 1 miliar of realisasi",
    "acting_share": "fraction of the year's days under an acting head (Plt)",
}


def budget_measures(budget: pd.DataFrame, deflator: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per unit-year: totals by stage, realisation rate, refocus, shares, year-on-year change."""
    b = budget[budget["provenance"].isin(MODEL_PROVENANCE)]
    tot = b.pivot_table(index=KEYS, columns="stage", values="amount_idr", aggfunc="sum")
    tot = tot.reindex(columns=["murni", "perubahan", "realisasi"]).add_prefix("budget_")
    real = b[b["stage"] == "realisasi"]
    pen = real[real["programme_class"] == "penunjang"].groupby(KEYS)["amount_idr"].sum()
    by_type = real.pivot_table(index=KEYS, columns="spending_type", values="amount_idr",
                               aggfunc="sum").reindex(columns=SPENDING_TYPES).fillna(0.0)
    out = tot.copy()
    r = out["budget_realisasi"]
    out["penunjang_share"] = pen.reindex(out.index).fillna(0.0) / r
    for t in SPENDING_TYPES:
        out[f"share_{t}"] = by_type[t].reindex(out.index) / r
    out["realisation_rate"] = r / out["budget_perubahan"]
    out["refocus"] = np.log(out["budget_perubahan"] / out["budget_murni"])
    # a ratio whose parts come from different sources (e.g. an imported budget over simulated
    # spending) is not a number anyone measured: NaN, with a flag the views print as "mixed"
    by_stage = b.groupby([*KEYS, "stage"])["provenance"].agg(
        lambda s: "+".join(sorted(set(s)))).unstack("stage").reindex(
        columns=["murni", "perubahan", "realisasi"]).reindex(out.index)
    for col, num, den in (("realisation_rate", "realisasi", "perubahan"),
                          ("refocus", "perubahan", "murni")):
        mixed = (by_stage[num].notna() & by_stage[den].notna()
                 & (by_stage[num] != by_stage[den]))
        out[f"{col}_mixed"] = mixed.to_numpy(bool)
        out.loc[mixed.to_numpy(bool), col] = np.nan
    prov = b.groupby(KEYS)["provenance"].agg(lambda s: "+".join(sorted(set(s))))
    out["provenance_budget"] = prov.reindex(out.index)
    out = out.reset_index()
    out = _complete_years(out)
    for c in ("realisation_rate_mixed", "refocus_mixed"):
        out[c] = out[c].astype("boolean").fillna(False).astype(bool)
    out["dlog_budget"] = _dlog(out, "budget_realisasi")
    if deflator is not None:
        idx = out["year"].map(deflator.set_index("year")["index"])
        out["budget_realisasi_real"] = out["budget_realisasi"] / idx * 100
        out["dlog_budget_real"] = _dlog(out, "budget_realisasi_real")
    return out


def _complete_years(df: pd.DataFrame) -> pd.DataFrame:
    """Make the unit x year grid explicit so a gap is a NaN row, not a silent jump."""
    if df.empty:
        return df
    years = range(int(df["year"].min()), int(df["year"].max()) + 1)
    units = df[["region_code", "unit_id"]].drop_duplicates()
    grid = units.merge(pd.DataFrame({"year": list(years)}), how="cross")
    return grid.merge(df, on=KEYS, how="left").sort_values(KEYS).reset_index(drop=True)


def _dlog(df: pd.DataFrame, col: str) -> pd.Series:
    """log change on the previous calendar year of the same unit (NaN across gaps)."""
    prev = df.groupby(["region_code", "unit_id"])[col].shift(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(df[col] / prev).where((df[col] > 0) & (prev > 0))


def cut_intensity(measures: pd.DataFrame, year: int = 2020, base: int = 2016) -> pd.DataFrame:
    """Per unit: the cut in ``year`` relative to its own pre-``year`` trend (log, and in percent
    as ``cut_<year>_pct``), with a reason when it cannot be computed."""
    w = measures.pivot_table(index=["region_code", "unit_id"], columns="year",
                             values="budget_realisasi")
    need = [base, year - 1, year]
    rows = []
    for (reg, uid), r in w.iterrows():
        vals = [r.get(y, np.nan) for y in need]
        if any(pd.isna(v) or v <= 0 for v in vals):
            rows.append((reg, uid, np.nan, np.nan, np.nan,
                         f"needs realisasi for {base}, {year - 1} and {year}"))
            continue
        g = (vals[1] / vals[0]) ** (1 / (year - 1 - base)) - 1
        cut = np.log(vals[2]) - np.log(vals[1] * (1 + g))
        rows.append((reg, uid, cut, 100 * np.expm1(cut), g, ""))
    return pd.DataFrame(rows, columns=["region_code", "unit_id", f"cut_{year}",
                                       f"cut_{year}_pct", "pre_trend_growth",
                                       f"cut_{year}_note"])


def innovation_counts(innovations: pd.DataFrame, units_years: pd.DataFrame) -> pd.DataFrame:
    """Per unit-year counts of new innovations by stage, form and digital, zeros where a unit
    has budget data but reported nothing; near-duplicates are dropped."""
    inn = innovations[innovations["provenance"].isin(MODEL_PROVENANCE)
                      & ~innovations["is_duplicate"] & innovations["unit_id"].notna()]
    inn = inn.rename(columns={"reporting_year": "year"})
    g = inn.groupby(KEYS)
    out = pd.DataFrame({"innovations": g.size()})
    for col, values in (("stage", INNOVATION_STAGES), ("form", INNOVATION_FORMS)):
        counts = inn.pivot_table(index=KEYS, columns=col, values="innovation_id",
                                 aggfunc="count").reindex(columns=values)
        out = out.join(counts.add_prefix("innov_"))
    out["innov_digital"] = g["digital"].sum()
    out["maturity_mean"] = g["maturity"].mean()
    out = units_years[KEYS].merge(out.reset_index(), on=KEYS, how="left")
    count_cols = [c for c in out.columns if c.startswith("innov") or c == "innovations"]
    out[count_cols] = out[count_cols].fillna(0).astype(int)
    return out


def service_measures(service: pd.DataFrame, skm: pd.DataFrame | None) -> pd.DataFrame:
    """Per unit-year service indicators; IKM is recomputed from raw SKM responses where they
    exist (PermenPANRB 14/2017), else taken from the service table."""
    from analysis.methods import ikm

    s = service[service["provenance"].isin(MODEL_PROVENANCE) & service["unit_id"].notna()]
    wide = s.pivot_table(index=KEYS, columns="indicator", values="value", aggfunc="mean")
    if skm is not None and not skm.empty:
        sk = skm[skm["provenance"].isin(MODEL_PROVENANCE)]
        k = ikm.ikm_from_responses(sk)
        k = k.set_index(KEYS)[["ikm", "grade", "n"]].rename(columns={"n": "ikm_n"})
        # an IKM the user imported as a value wins over IKM from simulated responses
        user_ikm = s[(s["indicator"] == "ikm") & (s["provenance"] == "user")].groupby(
            KEYS)["value"].mean()
        user_skm = sk[sk["provenance"] == "user"].groupby(KEYS).size().index
        user_ikm = user_ikm[~user_ikm.index.isin(user_skm)]
        if not user_ikm.empty:
            k = k.reindex(k.index.union(user_ikm.index))
            k.loc[user_ikm.index, "ikm"] = user_ikm
            k.loc[user_ikm.index, "grade"] = ikm.grade(user_ikm.to_numpy())
            k.loc[user_ikm.index, "ikm_n"] = np.nan
        wide = wide.drop(columns=["ikm"], errors="ignore").join(k, how="outer")
    elif "ikm" in wide:
        wide["grade"] = ikm.grade(wide["ikm"].to_numpy())
    wide = wide.rename(columns={"grade": "ikm_grade"})
    return wide.reset_index()


def leadership_measures(leadership: pd.DataFrame, units_years: pd.DataFrame) -> pd.DataFrame:
    """Per unit-year: share of days under an acting head, and head changes (rotations and
    new definitive heads after the first)."""
    lead = leadership[leadership["provenance"].isin(MODEL_PROVENANCE)].sort_values(
        ["region_code", "unit_id", "date"])
    out = units_years[KEYS].copy()
    out["acting_share"] = 0.0
    out["head_changes"] = 0
    pos = {k: i for i, k in enumerate(zip(out["region_code"], out["unit_id"], out["year"],
                                          strict=True))}
    for (reg, uid), ev in lead.groupby(["region_code", "unit_id"]):
        dates = ev["date"].tolist() + [pd.Timestamp(f"{out['year'].max() + 1}-01-01")]
        for i, row in enumerate(ev.itertuples()):
            if i > 0:
                key = (reg, uid, row.date.year)
                if key in pos:
                    out.loc[pos[key], "head_changes"] += 1
            if row.event != "acting":
                continue
            start, end = row.date, dates[i + 1]
            for y in range(start.year, end.year + 1):
                key = (reg, uid, y)
                if key not in pos:
                    continue
                a = max(start, pd.Timestamp(f"{y}-01-01"))
                b = min(end, pd.Timestamp(f"{y + 1}-01-01"))
                days = (pd.Timestamp(f"{y + 1}-01-01") - pd.Timestamp(f"{y}-01-01")).days
                out.loc[pos[key], "acting_share"] += max((b - a).days, 0) / days
    return out


def build_panel(tables: dict[str, pd.DataFrame], truth: dict | None = None,
                deflator: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The OPD x year panel and a per-unit summary (a derived build step)."""
    if "budget" not in tables or tables["budget"].empty:
        return {}
    if deflator is None:
        deflator = tables["deflator"] if "deflator" in tables else load_deflator()
    units = tables["units"]
    m = budget_measures(tables["budget"], deflator)
    uy = m[KEYS]
    panel = m.merge(cut_intensity(m), on=["region_code", "unit_id"], how="left")
    panel = panel.merge(innovation_counts(tables["innovations"], uy), on=KEYS, how="left")
    panel = panel.merge(service_measures(tables["service"], tables.get("skm_responses")),
                        on=KEYS, how="left")
    if "leadership" in tables:
        panel = panel.merge(leadership_measures(tables["leadership"], uy), on=KEYS, how="left")
    panel["innovations_per_miliar"] = panel["innov_implementasi"] / (
        panel["budget_realisasi"] / 1e9)
    panel = add_changes(panel)
    panel = panel.merge(units[["region_code", "unit_id", "name", "kind", "sector",
                               "front_line"]], on=["region_code", "unit_id"], how="left")
    # provenance of every part of a row (budget, innovations, service, skm, leadership):
    # "user", "simulated" or "simulated+user" (mixed); NaN when the part has no rows there.
    # A gap year (no budget rows) takes the budget provenance of the unit's other years.
    unit_prov = panel.groupby(["region_code", "unit_id"])["provenance_budget"].transform(
        lambda s: "+".join(sorted({p for v in s.dropna() for p in v.split("+")})))
    panel["provenance_budget"] = panel["provenance_budget"].fillna(unit_prov).replace("", np.nan)
    for part, prov in part_provenance(tables).items():
        keys = KEYS if "year" in prov.columns else ["region_code", "unit_id"]
        panel = panel.merge(prov.rename(columns={"provenance": f"provenance_{part}"}),
                            on=keys, how="left")
    pcols = [c for c in panel.columns if c.startswith("provenance_")]
    parts = panel[pcols].fillna("")
    any_sim = parts.apply(lambda c: c.str.contains("simulated")).any(axis=1)
    # a row is user data only when no part of it is simulated
    panel["provenance"] = np.where(any_sim, "simulated", "user")
    panel["user_parts"] = parts.apply(
        lambda r: ",".join(c.removeprefix("provenance_") for c, v in r.items() if "user" in v),
        axis=1)
    return {"panel": panel}


def part_provenance(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Per unit-year (leadership: per unit) provenance of each non-budget input table:
    "simulated", "user" or "simulated+user"."""
    specs = {"innovations": ("innovations", "reporting_year"),
             "service": ("service", "year"), "skm": ("skm_responses", "year"),
             "leadership": ("leadership", None)}
    out = {}
    for part, (name, ycol) in specs.items():
        df = tables.get(name)
        if df is None or df.empty:
            continue
        df = df[df["provenance"].isin(MODEL_PROVENANCE) & df["unit_id"].notna()]
        keys = ["region_code", "unit_id"] + ([ycol] if ycol else [])
        g = df.groupby(keys)["provenance"].agg(lambda s: "+".join(sorted(set(s))))
        g = g.reset_index()
        if ycol and ycol != "year":
            g = g.rename(columns={ycol: "year"})
        out[part] = g
    return out


def add_changes(panel: pd.DataFrame) -> pd.DataFrame:
    """One-year lags and year-to-year changes of the main measures."""
    g = panel.groupby(["region_code", "unit_id"])
    for col in ["dlog_budget", "ikm", "ombudsman_score", "complaints", "innovations"]:
        if col in panel:
            panel[f"{col}_lag1"] = g[col].shift(1)
    for col in ["ikm", "ombudsman_score", "complaints", "service_days"]:
        if col in panel:
            panel[f"d_{col}"] = panel[col] - g[col].shift(1)
    return panel


# ---------------------------------------------------------------------------------------------
# the panel's dataset label, and the simulated panel of one seed (tests, the recovery study)

def dataset_label(panel: pd.DataFrame) -> str:
    """"simulated" when any row is simulated (so nothing drawn from it can pass as real),
    "public" when every row is public (the national data), else "user"."""
    prov = set(panel["provenance"].astype(str)) if "provenance" in panel else {"simulated"}
    if any("simulated" in p for p in prov):
        return "simulated"
    return "public" if prov == {"public"} else "user"


def simulated_panel(seed: int, pretrend: float = 0.0, years=None, effects: dict | None = None,
                    with_truth: bool = False):
    """The model panel of the simulated Batang regency for one seed (for tests and the recovery
    study): the same generator, calibration targets and panel builder as the build, without
    public rows. ``effects`` overrides planted effects (``simulate.null_effects()`` for a null
    world); ``with_truth=True`` returns ``(panel, truth)``."""
    from analysis import config
    from analysis.data import public
    from analysis.data import simulate as sim

    years = years or config.DEFAULT_YEARS
    ext = config.external_dir()
    units = public.load_units(ext)
    targets = public.calibration_targets(public.load_region_finance(public.load_reference(ext)))
    targets = targets[targets["year"].between(*years)]
    sp = sim.simulate(units, targets, seed=seed, years=years, pretrend=pretrend, effects=effects)
    panel = build_panel({**sp.tables, "units": units}, sp.truth)["panel"]
    return (panel, sp.truth) if with_truth else panel
