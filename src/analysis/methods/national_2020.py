"""The 2020 cut across kab/kota, on real data: the shock per pemda and what followed (numbers
only; words are the catalog's ``national2020.*``, views in notebook ``7.0`` and the pemda
reports).

Public data only: DJPK's 2018–2020 tables (``pemda_sikd``), the JAGA/DJPK outturn 2021–2024
(``pemda_year``), the audited-LKPD indices of the Maksikeuda dashboard (``pemda_lkpd``) and BPS
IPM (``pemda_ipm``), all built by :mod:`analysis.data.national`.

The shock (one row per kab/kota, :func:`shock_table`; every measure with its caveat in
:data:`SHOCK_MEASURES`):

- ``s1_real_change``: real change of semester-I spending outturn, 2020 on 2019 (%); the
  treatment of the models, as ``cut_depth`` = −s1_real_change / 10 (one unit = a cut 10
  percentage points deeper). Semester I is a partial measure: the refocusing came in April 2020
  and spending timing differs between pemda.
- ``full_real_change``: real change of full-year spending outturn, 2020 on 2019 (%), only
  where a researcher imported the JAGA 2020 kab/kota file (``python -m analysis import
  apbd-kabkota``; not bundled) and the pemda's 2020 is not partial. Where present it replaces
  the semester-I measure as that pemda's treatment (``shock_measure`` = ``full_year``; the
  row's provenance ``public+user``).
- ``budget2020_vs_outturn2019``: the 2020 APBD murni (before the refocusing) on 2019 outturn (%):
  what was planned, not the cut.
- ``real_change_2019_2021``: real change of full-year outturn 2019 → 2021 (%): DJPK publishes
  no full-year 2020 outturn per kab/kota here.
- ``shift_<group>_s1``: change of a spending type's share of semester-I outturn, 2020 − 2019
  (percentage points) for personnel, goods and services, capital and unforeseen (BTT).

What followed (:func:`panel`, kab/kota × 2016–2024): real capital and goods-and-services
outturn (log; 2018–2019 and 2021–2024), the LKPD service indices (log, 2016–2024) and IPM
(2020–2024).

The models (one estimation path, :func:`analysis.methods.fit.fit`; pyfixest OLS, errors clustered
by pemda, t(G-1) intervals):

- event study ``y ~ i(year, cut_depth, ref=2019) | region_code + year`` with a joint Wald test
  of the pre-2019 terms (the pre-trend test);
- the confirmatory phases ``y ~ cut_depth:fall + cut_depth:after | region_code + year``, fall =
  2020–2021, after = 2022–2024 (reference: 2016–2019);
- IPM growth 2020 → 2024 on ``cut_depth`` with province effects, clustered by province.

Every confirmatory p-value is adjusted by Holm over the family ``national_2020`` (declared in
:mod:`analysis.methods.ledger`) and enters the findings ledger; :func:`fit_step` is the build
step. All of it is an association between a pemda's 2020 shock and its later path, not the
effect of a cut.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.methods import fit as fitting
from analysis.methods import inference

REFERENCE_YEAR = 2019
EVENT_YEAR = 2020
YEARS = (2016, 2024)
TREATMENT = "cut_depth"
TREATMENT_SCALE = 10.0
"""``cut_depth`` = −(real semester-I change, %) / 10: one unit is a cut 10 pp deeper."""
SHOCK_TRIM = 50.0
"""A semester-I real change beyond ±50 % is taken as a reporting artefact (a missing or
double-counted half year), not a budget decision: the pemda keeps its measures but gets no
``cut_depth`` (counted in the step's info). The notebook shows the pemda so excluded."""
PHASES = {"fall": (2020, 2021), "after": (2022, 2024)}

SHOCK_MEASURES = {
    "s1_real_change": "pct", "full_real_change": "pct", "budget2020_vs_outturn2019": "pct", "real_change_2019_2021": "pct",
    "shift_pegawai_s1": "pp", "shift_barang_jasa_s1": "pp", "shift_modal_s1": "pp",
    "shift_btt_s1": "pp",
}
"""Measure -> unit; the words (label, caveat) are ``national2020.measure.<measure>``."""
SHIFT_GROUPS = ("pegawai", "barang_jasa", "modal", "btt")

LKPD_INDICES = ("kapasitas_layanan", "komitmen_mempertahankan_layanan",
                "komitmen_meningkatkan_layanan")
LKPD_OUTCOMES = tuple(f"ln_{k}" for k in LKPD_INDICES)
"""The LKPD service indices enter in logs: each is a ratio or rupiah per person (fixed assets
per inhabitant; maintenance, or capital + maintenance, over depreciation), strictly positive
and spread over orders of magnitude (kapasitas layanan Rp 1.1 million to 62 million per person
between the 1st and 99th percentile; komitmen meningkatkan up to 395). Chosen from these
distributions (docs/national.md), not from any fit; a coefficient reads as a proportional
difference."""
SPENDING_OUTCOMES = ("ln_real_capital", "ln_real_goods")
OUTCOMES = (*SPENDING_OUTCOMES, *LKPD_OUTCOMES)
"""The outcomes of the confirmatory models, in the order every view lists them."""
IPM_OUTCOME = "ipm_growth_2020_2024"
HETEROGENEITY = "kemandirian_keuangan"
"""The moderator of the exploratory heterogeneity (fiscal independence, LKPD 2019)."""

FAMILY = "national_2020"
RESULT_COLUMNS = ["model", "outcome", "term", "kind", "estimate", "std_error", "ci_low",
                  "ci_high", "p_value", "n", "n_clusters", "note", "formula", "p_adjusted",
                  "n_tests", "adjust_method", "verdict", "provenance"]


# --------------------------------------------------------------------------- the shock

def _index(deflator: pd.DataFrame | None) -> pd.Series:
    if deflator is None or len(deflator) == 0:
        raise ValueError("the 2020 shock needs the CPI deflator (table 'deflator')")
    return deflator.set_index("year")["index"].astype(float)


def _sikd_wide(sikd: pd.DataFrame, measure: str, year: int) -> pd.DataFrame:
    d = sikd[(sikd["measure"] == measure) & (sikd["year"] == year)]
    return d.pivot_table(index="region_code", columns="group", values="amount_idr",
                         aggfunc="sum")


def _full_year(pemda_year: pd.DataFrame, year: int) -> tuple[pd.Series, pd.Series]:
    """Full-year spending outturn of ``year`` per pemda from ``pemda_year`` (JAGA files, public
    or imported), partial pemda-years left out; and the provenance of those rows."""
    d = pemda_year[(pemda_year["year"] == year)
                   & (pemda_year["partial"].fillna(True).astype(bool) == False)  # noqa: E712
                   & pemda_year["spending_outturn"].notna()]
    d = d.set_index("region_code")
    prov = d["provenance"] if "provenance" in d else pd.Series("public", index=d.index)
    return d["spending_outturn"].astype(float), prov


def shock_table(sikd: pd.DataFrame, pemda_year: pd.DataFrame, pemda: pd.DataFrame,
                deflator: pd.DataFrame) -> pd.DataFrame:
    """One row per kab/kota: the 2020 shock measures of :data:`SHOCK_MEASURES`, the amounts
    they come from, ``cut_depth`` (the models' treatment; NaN beyond :data:`SHOCK_TRIM`) and
    ``trimmed`` (True when a measured change was set aside as a reporting artefact).

    ``shock_measure`` says which change the treatment of each pemda comes from (its value in
    ``treatment_change``): ``"full_year"`` where ``pemda_year`` holds a complete (not partial)
    full-year 2020 spending outturn (an imported JAGA 2020 file) and a 2019 outturn to set it
    against (``full_real_change``), ``"semester_1"`` otherwise (``s1_real_change``). The 2019
    full-year outturn is JAGA's when a 2019 file was imported (same source and accounts as
    2020), DJPK's (``pemda_sikd``) otherwise (``full_2019_source``). ``provenance`` is
    ``public+user`` for a pemda whose row uses imported figures."""
    p = _index(deflator)
    kab = pemda[pemda["kind"] != "provinsi"][["region_code", "name", "kind", "province_code",
                                               "province"]].set_index("region_code")
    s19 = _sikd_wide(sikd, "outturn_s1", 2019)
    s20 = _sikd_wide(sikd, "outturn_s1", 2020)
    b20 = _sikd_wide(sikd, "budget_murni", 2020)
    o19 = _sikd_wide(sikd, "outturn", 2019)
    out = kab.copy()
    out["s1_2019"] = s19.get("total")
    out["s1_2020"] = s20.get("total")
    out["budget_2020"] = b20.get("total")
    out["outturn_2019"] = o19.get("total")
    full21, _ = _full_year(pemda_year, 2021)
    out["outturn_2021"] = full21
    full20, prov20 = _full_year(pemda_year, 2020)
    jaga19, prov19 = _full_year(pemda_year, 2019)
    out["full_2020"] = full20
    out["full_2019"] = jaga19.reindex(out.index).fillna(out["outturn_2019"])
    out["full_2019_source"] = np.where(
        jaga19.reindex(out.index).notna(), "jaga",
        np.where(out["outturn_2019"].notna(), "djpk", ""))
    with np.errstate(divide="ignore", invalid="ignore"):
        out["s1_real_change"] = 100 * ((out["s1_2020"] / p[2020]) /
                                       (out["s1_2019"] / p[2019]) - 1)
        out["budget2020_vs_outturn2019"] = 100 * (out["budget_2020"] / out["outturn_2019"] - 1)
        out["real_change_2019_2021"] = 100 * ((out["outturn_2021"] / p[2021]) /
                                              (out["outturn_2019"] / p[2019]) - 1)
        out["full_real_change"] = 100 * ((out["full_2020"] / p[2020]) /
                                         (out["full_2019"] / p[2019]) - 1)
        for g in SHIFT_GROUPS:
            a = s20.get(g) / s20.get("total") if g in s20 else np.nan
            b = s19.get(g) / s19.get("total") if g in s19 else np.nan
            out[f"shift_{g}_s1"] = 100 * (a - b)
    for c in SHOCK_MEASURES:
        out[c] = pd.to_numeric(out[c], errors="coerce").replace([np.inf, -np.inf], np.nan)
    full = out["full_real_change"].notna()
    out["shock_measure"] = np.where(full, "full_year", "semester_1")
    out["treatment_change"] = out["full_real_change"].where(full, out["s1_real_change"])
    ok = out["treatment_change"].abs() <= SHOCK_TRIM
    out["trimmed"] = out["treatment_change"].notna() & ~ok
    out[TREATMENT] = (-out["treatment_change"] / TREATMENT_SCALE).where(ok)
    used = pd.concat([prov20.reindex(out.index).where(full),
                      prov19.reindex(out.index).where(full & (out["full_2019_source"] == "jaga"))],
                     axis=1)
    out["provenance"] = [_provenance(["public", *(v for v in r if isinstance(v, str))])
                         for r in used.itertuples(index=False)]
    return out.reset_index().rename(columns={"index": "region_code"})


def _provenance(parts) -> str:
    """``public``, ``user`` or ``public+user`` from the provenances a row was made from."""
    return "+".join(sorted({q for p in parts for q in str(p).split("+") if q}))


def treatment_counts(shock: pd.DataFrame) -> dict[str, int]:
    """Kab/kota with a treatment value per measure it comes from (``semester_1`` /
    ``full_year``)."""
    t = shock[shock[TREATMENT].notna()]
    return {m: int((t["shock_measure"] == m).sum()) for m in ("semester_1", "full_year")}


def batang_audited(region_finance: pd.DataFrame | None, shock: pd.DataFrame,
                   region_code: str, deflator: pd.DataFrame) -> dict:
    """The regency's own audited 2020 spending outturn (LRA 2020, ``region_finance``) on its
    2019 DJPK outturn, nominal and real, beside its DJPK-based measures (``{}`` when the
    audited figure is not in the public record)."""
    if region_finance is None or len(region_finance) == 0:
        return {}
    rf = region_finance[(region_finance["region_code"] == region_code)
                        & (region_finance["stage"] == "realisasi")
                        & (region_finance["indicator_key"] == "belanja_total")]
    a20 = rf.loc[rf["year"] == 2020, "value_idr"]
    row = shock[shock["region_code"] == region_code]
    if a20.empty or row.empty or not np.isfinite(row["outturn_2019"].iloc[0]):
        return {}
    p = _index(deflator)
    o19 = float(row["outturn_2019"].iloc[0])
    a = float(a20.iloc[0])
    return {"region_code": region_code, "audited_2020": a, "outturn_2019": o19,
            "nominal_change": 100 * (a / o19 - 1),
            "real_change": 100 * ((a / p[2020]) / (o19 / p[2019]) - 1),
            "source": str(rf.loc[rf["year"] == 2020, "source"].iloc[0])}


# --------------------------------------------------------------------------- the panel

def _real_group(sikd, pemda_year, p, group: str, share_col: str) -> pd.DataFrame:
    """Real outturn of one spending group per kab/kota-year: DJPK 2018–2019 full-year outturn,
    JAGA 2021–2024 (share x outturn, partial years left out)."""
    a = sikd[(sikd["measure"] == "outturn") & (sikd["group"] == group)]
    a = a.groupby(["region_code", "year"], as_index=False)["amount_idr"].sum()
    b = pemda_year[pemda_year["partial"].fillna(True).astype(bool) == False]  # noqa: E712
    b = b.assign(amount_idr=b[share_col] * b["spending_outturn"])[
        ["region_code", "year", "amount_idr"]]
    b = b[b["year"] > 2020]
    d = pd.concat([a, b], ignore_index=True)
    d["real"] = d["amount_idr"] / d["year"].map(p) * 100
    return d


def panel(shock: pd.DataFrame, sikd: pd.DataFrame, pemda_year: pd.DataFrame,
          lkpd: pd.DataFrame, ipm: pd.DataFrame, deflator: pd.DataFrame) -> pd.DataFrame:
    """Kab/kota × year (2016–2024): the outcomes of :data:`OUTCOMES`, ``ipm``, the treatment
    ``cut_depth`` and its phase interactions (``cut_depth_fall``, ``cut_depth_after``), the
    moderator (:data:`HETEROGENEITY` in 2019) and the province. A missing pemda-year is a NaN,
    never filled."""
    p = _index(deflator)
    cols = ["region_code", "province", "province_code", "name", TREATMENT, "s1_real_change"]
    cols += [c for c in ("shock_measure", "provenance") if c in shock]
    grid = shock[cols].rename(columns={"provenance": "_prov"}).merge(
        pd.DataFrame({"year": range(YEARS[0], YEARS[1] + 1)}), how="cross")
    for col, group, share in (("ln_real_capital", "modal", "share_modal"),
                              ("ln_real_goods", "barang_jasa", "share_barang_jasa")):
        g = _real_group(sikd, pemda_year, p, group, share)
        g[col] = np.log(g["real"].where(g["real"] > 0))
        grid = grid.merge(g[["region_code", "year", col]], on=["region_code", "year"],
                          how="left")
    if lkpd is not None and len(lkpd):
        w = lkpd[lkpd["indicator"].isin([*LKPD_INDICES, HETEROGENEITY])].pivot_table(
            index=["region_code", "year"], columns="indicator", values="value").reset_index()
        grid = grid.merge(w, on=["region_code", "year"], how="left")
    for c in (*LKPD_INDICES, HETEROGENEITY):
        if c not in grid:
            grid[c] = np.nan
    for c in LKPD_INDICES:
        grid[f"ln_{c}"] = np.log(grid[c].where(grid[c] > 0))
    if ipm is not None and len(ipm):
        grid = grid.merge(ipm[["region_code", "year", "ipm"]], on=["region_code", "year"],
                          how="left")
    else:
        grid["ipm"] = np.nan
    base = grid.loc[grid["year"] == REFERENCE_YEAR].set_index("region_code")[HETEROGENEITY]
    grid[f"{HETEROGENEITY}_2019"] = grid["region_code"].map(base)
    for name, (a, b) in PHASES.items():
        grid[f"{name}"] = grid["year"].between(a, b).astype(int)
        grid[f"{TREATMENT}_{name}"] = grid[TREATMENT] * grid[name]
    grid["provenance"] = grid.pop("_prov") if "_prov" in grid else "public"
    return grid.sort_values(["region_code", "year"]).reset_index(drop=True)


# --------------------------------------------------------------------------- the models

def event_formula(outcome: str) -> str:
    return f"{outcome} ~ i(year, {TREATMENT}, ref={REFERENCE_YEAR}) | region_code + year"


def phase_formula(outcome: str) -> str:
    return f"{outcome} ~ {TREATMENT}_fall + {TREATMENT}_after | region_code + year"


IPM_FORMULA = f"{IPM_OUTCOME} ~ {TREATMENT} | province"
VCOV = {"CRV1": "region_code"}


def event_study(data: pd.DataFrame, outcome: str) -> tuple[pd.DataFrame, dict]:
    """The event-study terms of ``outcome`` (one tidy row per year but 2019, with ``year``) and
    its pre-trend test (joint Wald chi2 test of the pre-2019 terms: ``stat, p_value, df, n,
    n_clusters``; NaN when the outcome has no pre-2019 year besides the reference)."""
    model = fitting.fit(event_formula(outcome), data, vcov=VCOV, family="ols")
    rows = fitting.tidy(model)
    rows["year"] = rows["term"].str.extract(r"year::(\d{4})", expand=False).astype(float)
    names = [str(c) for c in model._coefnames]
    pre = [i for i, t in enumerate(names) if (y := _term_year(t)) and y < REFERENCE_YEAR]
    test = {"stat": np.nan, "p_value": np.nan, "df": 0, "n": int(model._N),
            "n_clusters": int(rows["n_clusters"].iloc[0])}
    if pre:
        r = np.zeros((len(pre), len(names)))
        for k, i in enumerate(pre):
            r[k, i] = 1.0
        w = model.wald_test(R=r, distribution="chi2")
        test.update(stat=float(w["statistic"]), p_value=float(w["pvalue"]), df=len(pre))
    return rows, test


def _term_year(term: str) -> int | None:
    import re

    m = re.search(r"year::(\d{4})", term)
    return int(m.group(1)) if m else None


def phase_model(data: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """The confirmatory terms of ``outcome``: ``cut_depth_fall`` and ``cut_depth_after``."""
    model = fitting.fit(phase_formula(outcome), data, vcov=VCOV, family="ols")
    return fitting.tidy(model)


def ipm_frame(data: pd.DataFrame) -> pd.DataFrame:
    """One row per kab/kota: IPM growth 2020 → 2024 (points), ``cut_depth``, province."""
    w = data.pivot_table(index="region_code", columns="year", values="ipm")
    keep = [c for c in (TREATMENT, "province", "province_code", "name",
                        f"{HETEROGENEITY}_2019") if c in data]
    d = data.drop_duplicates("region_code").set_index("region_code")[keep]
    d[IPM_OUTCOME] = (w.get(2024) - w.get(2020)) if 2024 in w and 2020 in w else np.nan
    d["ipm_2020"] = w.get(2020)
    d["provenance"] = "public"
    return d.reset_index()


def ipm_growth(data: pd.DataFrame) -> pd.DataFrame:
    """IPM growth 2020 → 2024 on ``cut_depth``, province effects, errors clustered by province."""
    model = fitting.fit(IPM_FORMULA, ipm_frame(data), vcov={"CRV1": "province"}, family="ols")
    return fitting.tidy(model)


def confirmatory(data: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every confirmatory result of the family :data:`FAMILY`, Holm-adjusted together: the phase
    terms of each outcome, the IPM-growth term and each outcome's pre-trend test
    (``kind`` main / pretrend / ipm); and the event-study rows of every outcome."""
    rows, es = [], []
    for y in OUTCOMES:
        if data[y].notna().sum() == 0:
            continue
        t = phase_model(data, y)
        t["kind"] = "main"
        t["model"] = "phases"
        rows.append(t)
        e, test = event_study(data, y)
        e["model"] = "event_study"
        es.append(e)
        if np.isfinite(test["p_value"]):
            rows.append(pd.DataFrame([{
                "model": "event_study", "outcome": y,
                "term": f"pretrend (joint Wald test of {test['df']} leads)", "kind": "pretrend",
                "estimate": test["stat"], "std_error": np.nan, "ci_low": np.nan,
                "ci_high": np.nan, "p_value": test["p_value"], "n": test["n"],
                "n_clusters": test["n_clusters"], "note": "CRV1 by pemda; Wald chi2 test of the pre-2019 terms",
                "formula": event_formula(y)}]))
    if data["ipm"].notna().any():
        t = ipm_growth(data)
        t["kind"] = "ipm"
        t["model"] = "ipm_growth"
        rows.append(t)
    res = pd.concat(rows, ignore_index=True)
    res = inference.adjust_pvalues(res)
    res["verdict"] = [
        ("flagged" if pa < inference.ALPHA else "not flagged") if k == "pretrend"
        else inference.term_verdict(p, pa)
        for k, p, pa in zip(res["kind"], res["p_value"], res["p_adjusted"], strict=True)]
    used = data.loc[data[TREATMENT].notna(), "provenance"] if "provenance" in data else []
    res["provenance"] = _provenance(["public", *set(used)])
    return res.reindex(columns=RESULT_COLUMNS), pd.concat(es, ignore_index=True)


def fit_step(tables: dict, truth: dict | None = None) -> dict:
    """Build step ``national_2020``: the shock table, the confirmatory results and the event
    study; nothing when the DJPK 2018–2020 tables are absent."""
    sikd = tables.get("pemda_sikd")
    if sikd is None or len(sikd) == 0:
        return {"__info__": {"skipped": "no DJPK 2018-2020 tables (pemda_sikd)"}}
    shock = shock_table(sikd, tables["pemda_year"], tables["pemda"], tables["deflator"])
    data = panel(shock, sikd, tables["pemda_year"], tables.get("pemda_lkpd"),
                 tables.get("pemda_ipm"), tables["deflator"])
    res, es = confirmatory(data)
    info = {"kabkota": int(len(shock)), "with_cut_depth": int(shock[TREATMENT].notna().sum()),
            "trimmed": int(shock["trimmed"].sum()),
            "no_semester_data": int(shock["s1_real_change"].isna().sum()),
            "treatment_measure": treatment_counts(shock),
            "claimed": int((res["verdict"] == "claimed").sum()), "tests": int(len(res))}
    return {"pemda_shock_2020": shock, "national_2020_results": res,
            "national_2020_event_study": es, "__info__": info}
