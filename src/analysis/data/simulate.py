"""Seeded simulated panel shaped like Kabupaten Batang, with known planted relationships.

Real per-OPD budgets, IKM scores and leadership histories are not public. This module
generates a realistic stand-in: the regency's OPDs and kecamatan, their APBD budgets 2016-2024
(murni, perubahan, realisasi; by programme class and spending type) calibrated exactly to the
real regency totals where those exist, a 2020 COVID refocusing shock that differs by OPD,
innovations, service indicators (IKM from raw SKM responses, complaints, Ombudsman compliance,
service time) and head-of-office events. The relationships between budget change, acting heads
and the outcomes are planted with known parameters, returned in a machine-readable ``truth``
dict, so the analysis can show that it recovers them.

Every simulated row carries ``provenance = "simulated"``: nothing here is a finding about a
real office. See ``docs/simulation.md``.

Public API::

    simulate(units, targets, seed=..., years=..., region_code="33.25", pretrend=0.0,
             respondents=(60, 150)) -> SimulatedPanel
    simulate_regions(units, n_regions, seed=..., years=..., respondents=(20, 40))
        -> SimulatedPanel
    write_truth(truth, path)

All randomness comes from ``np.random.default_rng(seed)``: the same seed gives identical tables.
The generator is vectorised over all units of all regions at once.

Why one module of about 1,000 lines: the generator is one pipeline whose parts draw from the
same random stream in a fixed order (budgets, then innovations, service, SKM answers,
leadership); the recovery study (``validation/recovery_cache``) and the tests pin the tables
each seed gives. Splitting it is possible but must keep that order; it was left as is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import config

from analysis.data import schema

GENERATOR_VERSION = "1.1.0"   # 1.1: cut-only post effect, planted unit resilience, effects=
NOT_A_FINDING = "SIMULATED DATA: not a finding about any real office"
PROVENANCE = "simulated"

OPD_KINDS = ("sekretariat", "inspektorat", "dinas", "badan", "lembaga", "rsud", "kecamatan")
TABLE_NAMES = ("budget", "innovations", "service", "skm_responses", "leadership")
REFOCUS_YEAR = 2020
ROTATION_DATE = "2024-07-01"   # the real regency moved six heads that day
N_ROTATED = 6
N_HIDDEN = 2                    # unpublished pre-period years used for the first years' lags

# ---- planted effects (the truth) ---------------------------------------------------------------
EFFECTS = {
    "b_innov": 1.0,          # log innovation rate per unit log change in realisasi (same year)
    "b_acting_innov": -0.4,  # log innovation rate per unit acting share
    "b_post": 0.5,           # log innovation rate per unit cut_2020, for t >= 2020
    "b_ikm": 8.0,            # IKM points per unit log change in realisasi, one-year lag
    "b_acting_ikm": -2.0,    # IKM points per unit acting share
    "b_complaints": -0.6,    # log complaint rate per unit log change in realisasi
    "b_omb": 10.0,           # Ombudsman score points per unit log change in realisasi
    "b_days": -0.3,          # log service days per unit log change in realisasi
}
# Planted unit-level resilience: each unit cut in 2020 gets its own post-2020 shift, drawn from
# N(0, sd) on a separate random stream (so the rest of a seed's panel is unchanged by it). The
# sd is no larger than the average 2020 effect of the outcome (see _truth "resilience"):
# innovations: |b_post x mean cut depth| ~ 0.13 log rate; IKM: |b_ikm x mean 2020 dlog| ~ 2
# points in 2021 through the lagged budget channel.
RESILIENCE_SD = {"innovations": 0.13, "ikm": 1.5}
NOISE = {"ikm_target_sd": 1.0, "ombudsman_sd": 2.5, "log_service_days_sd": 0.08}

# ---- budget structure ----------------------------------------------------------------------------
TYPES = schema.SPENDING_TYPES   # pegawai, barang_jasa, modal, hibah_bansos, tidak_terduga, transfer
_PEG, _BJ, _MODAL, _HIBAH, _BTT, _TRANSFER = range(6)

# shares of an OPD's budget by spending type
PROFILES: dict[str, tuple[float, ...]] = {
    "default": (0.42, 0.43, 0.15, 0.0, 0.0, 0.0),
    "secretariat": (0.35, 0.50, 0.12, 0.03, 0.0, 0.0),
    "parliament": (0.28, 0.62, 0.10, 0.0, 0.0, 0.0),
    "education": (0.72, 0.15, 0.10, 0.03, 0.0, 0.0),
    "health": (0.45, 0.40, 0.15, 0.0, 0.0, 0.0),
    "hospital": (0.35, 0.52, 0.13, 0.0, 0.0, 0.0),
    "public_works": (0.10, 0.15, 0.75, 0.0, 0.0, 0.0),
    "housing": (0.12, 0.28, 0.45, 0.15, 0.0, 0.0),
    "transport": (0.35, 0.35, 0.30, 0.0, 0.0, 0.0),
    "social": (0.25, 0.35, 0.05, 0.35, 0.0, 0.0),
    "economy": (0.40, 0.40, 0.15, 0.05, 0.0, 0.0),
    "environment": (0.30, 0.45, 0.25, 0.0, 0.0, 0.0),
    "finance": (0.06, 0.05, 0.01, 0.13, 0.01, 0.74),   # BPKPAD: village transfers, hibah, BTT
    "disaster": (0.25, 0.55, 0.20, 0.0, 0.0, 0.0),
    "kecamatan": (0.55, 0.35, 0.10, 0.0, 0.0, 0.0),
}
# nominal 2019 budget (Rp miliar) and profile of Batang's units; others fall back on kind/sector
UNIT_PROFILE: dict[str, tuple[float, str]] = {
    "setda": (75, "secretariat"), "setwan": (45, "parliament"), "inspektorat": (10, "default"),
    "disdikbud": (640, "education"), "dinkes": (160, "health"), "dpupr": (190, "public_works"),
    "dprkp": (45, "housing"), "dinsos": (18, "social"), "dpmptsp": (8, "default"),
    "dishub": (22, "transport"), "diskominfo": (12, "default"), "disdukcapil": (10, "default"),
    "disparpora": (16, "default"), "dp3ap2kb": (16, "default"), "dispaperta": (38, "economy"),
    "dislutkanak": (16, "economy"), "dlh": (28, "environment"), "disperindagkop": (16, "economy"),
    "dispermades": (12, "default"), "disperpuska": (7, "default"), "disnaker": (8, "default"),
    "bapelitbang": (11, "default"), "bpkpad": (540, "finance"), "bkd": (12, "default"),
    "kesbangpol": (6, "default"), "bpbd": (8, "disaster"), "satpolpp": (16, "default"),
    "rsud-batang": (150, "hospital"), "rsud-limpung": (45, "hospital"),
}
KIND_SIZE = {"sekretariat": 50, "inspektorat": 10, "dinas": 15, "badan": 10, "lembaga": 15,
             "rsud": 80, "kecamatan": 5.75}
SECTOR_PROFILE = {"health": "health", "infrastructure": "transport", "economy": "economy",
                  "environment": "environment", "finance": "finance", "disaster": "disaster",
                  "kecamatan": "kecamatan"}
REGENCY_SCALE_IDR = 1.80e12   # uncalibrated 2019 murni total of a Batang-sized regency

# 2020 refocusing: log multiplier of spending type s is c_u * weight_s (capital cut hardest)
W_CUT = np.array([0.4, 1.0, 2.0, 1.0, 0.0, 0.6])
W_UP = np.array([0.3, 1.3, 0.8, 1.0, 0.0, 0.0])
PERSIST = {2021: 0.5, 2022: 0.2, 2023: 0.05}   # share of the 2020 shock left in later murni
# realisasi / perubahan by spending type (uniform ranges)
ABSORB_LO = np.array([0.95, 0.86, 0.80, 0.88, 0.05, 0.97])
ABSORB_HI = np.array([0.99, 0.96, 0.97, 0.99, 0.50, 1.00])

STAGE_ORDER = schema.STAGES   # murni, perubahan, realisasi

AFFAIR = {"general": "Fungsi penunjang", "education": "pendidikan", "health": "kesehatan",
          "infrastructure": "pekerjaan umum dan penataan ruang", "social": "sosial",
          "licensing": "penanaman modal", "civil_registry":
          "administrasi kependudukan dan pencatatan sipil", "economy": "perekonomian",
          "environment": "lingkungan hidup", "finance": "Keuangan", "disaster":
          "ketenteraman, ketertiban umum, dan pelindungan masyarakat",
          "public_order": "ketenteraman, ketertiban umum, dan pelindungan masyarakat",
          "kecamatan": "pemerintahan umum"}

DEFINITIONS = {
    "realisasi_total": "realisasi_total[u,t] = sum of budget.amount_idr over programme_class and "
                       "spending_type for stage 'realisasi' (final, calibrated amounts)",
    "dlog_budget": "dlog_budget[u,t] = log(realisasi_total[u,t]) - log(realisasi_total[u,t-1])",
    "cut_2020": "cut_2020[u] = log(realisasi_total[u,2020]) - log(realisasi_total[u,2019] * "
                "(1 + g_u)), g_u = (realisasi_total[u,2019] / realisasi_total[u,first_year])"
                "**(1 / (2019 - first_year)) - 1 (average annual growth before 2020)",
    "acting_share": "acting_share[u,t] = fraction of the days of year t that lie between an "
                    "'acting' leadership event of unit u (inclusive) and the unit's next "
                    "'definitive' or 'rotation' event (exclusive)",
    "post": "post[t] = 1 if t >= 2020 else 0",
    "ikm": "IKM = 25 x mean over the 9 elements (u1..u9) of the element means of the SKM "
           "responses (PermenPANRB 14/2017); service.n = number of respondents",
}


@dataclass
class SimulatedPanel:
    """The simulated tables (each valid for ``schema.validate(df, key)``) and the truth."""

    tables: dict[str, pd.DataFrame]
    truth: dict


# =================================================================================================
# public API
# =================================================================================================

def simulate(units: pd.DataFrame, targets: pd.DataFrame | None, seed: int = config.DEFAULT_SEED,
             years: tuple[int, int] = config.DEFAULT_YEARS, region_code: str = "33.25",
             pretrend: float = 0.0, respondents: tuple[int, int] = (60, 150),
             effects: dict | None = None) -> SimulatedPanel:
    """Simulate one regency (default Batang) calibrated to its real belanja totals.

    ``targets`` has columns ``year, stage, value_idr``: the real regency total belanja for the
    (year, stage) pairs where one exists. The simulated budgets summed over units, programme
    classes and spending types equal each target (exact scaling). ``pretrend`` plants a
    pre-2020 trend in innovation that scales with the 2020 cut (0 = none). ``effects``
    overrides planted values by name (keys of ``EFFECTS``, plus ``resilience_sd_innovations``
    and ``resilience_sd_ikm``); ``null_effects()`` gives a world where nothing has an effect.
    """
    base = _opd_units(units, region_code)
    rng = np.random.default_rng(seed)
    return _simulate(base, rng, seed=seed, years=_check_years(years), region_codes=[region_code],
                     size_factor=np.ones(1), targets=targets, pretrend=float(pretrend),
                     respondents=_check_respondents(respondents), keep_regressors=True,
                     effects=_check_effects(effects))


def null_effects() -> dict:
    """Every planted effect (and the spread of unit resilience) set to 0: a "null world" where
    any effect a model reports is a false positive."""
    return {**{k: 0.0 for k in EFFECTS}, **{f"resilience_sd_{k}": 0.0 for k in RESILIENCE_SD}}


def _check_effects(effects: dict | None) -> dict:
    known = {**EFFECTS, **{f"resilience_sd_{k}": v for k, v in RESILIENCE_SD.items()}}
    effects = dict(effects or {})
    bad = sorted(set(effects) - set(known))
    if bad:
        raise ValueError(f"unknown planted effect(s) {bad}; known: {sorted(known)}")
    return {**known, **{k: float(v) for k, v in effects.items()}}


def simulate_regions(units: pd.DataFrame, n_regions: int, seed: int = config.DEFAULT_SEED,
                     years: tuple[int, int] = config.DEFAULT_YEARS,
                     respondents: tuple[int, int] = (20, 40)) -> SimulatedPanel:
    """Simulate ``n_regions`` regencies "sim.001".."sim.NNN" shaped like Batang.

    Each region has Batang's OPD units, budgets scaled by a random size factor (0.4-3x,
    log-uniform), no calibration (trend only) and the same planted effects. For performance work:
    540 regions run in seconds.
    """
    if not 1 <= int(n_regions) <= 999:
        raise ValueError("n_regions must be between 1 and 999 (region codes sim.001..sim.999)")
    n_regions = int(n_regions)
    first = units["region_code"].iloc[0] if "region_code" in units.columns and len(units) else None
    base = _opd_units(units, first)
    rng = np.random.default_rng(seed)
    codes = [f"sim.{i:03d}" for i in range(1, n_regions + 1)]
    size_factor = np.exp(rng.uniform(np.log(0.4), np.log(3.0), n_regions))
    return _simulate(base, rng, seed=seed, years=_check_years(years), region_codes=codes,
                     size_factor=size_factor, targets=None, pretrend=0.0,
                     respondents=_check_respondents(respondents), keep_regressors=False,
                     effects=_check_effects(None))


def write_truth(truth: dict, path) -> None:
    """Write the truth dict as JSON (indent 2, sorted keys)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_jsonable(truth), indent=2, sort_keys=True, ensure_ascii=False)
                    + "\n", encoding="utf-8")


# =================================================================================================
# inputs
# =================================================================================================

def _check_years(years) -> tuple[int, int]:
    y0, y1 = int(years[0]), int(years[1])
    if not (y0 <= 2018 and y1 >= REFOCUS_YEAR + 1):
        raise ValueError(f"years {years}: the panel must start by 2018 and end after 2020 "
                         "(cut_2020 needs pre-2020 growth and the recovery years)")
    return y0, y1


def _check_respondents(respondents) -> tuple[int, int]:
    lo, hi = int(respondents[0]), int(respondents[1])
    if not 1 <= lo <= hi:
        raise ValueError(f"respondents {respondents}: need 1 <= low <= high")
    return lo, hi


def _opd_units(units: pd.DataFrame, region_code: str | None) -> pd.DataFrame:
    """The OPD rows (is_opd) of one region, deduplicated, in registry order."""
    need = {"unit_id", "kind", "sector", "front_line"}
    missing = need - set(units.columns)
    if missing:
        raise ValueError(f"units table lacks columns: {', '.join(sorted(missing))}")
    u = units
    if region_code is not None and "region_code" in u.columns \
            and (u["region_code"] == region_code).any():
        u = u[u["region_code"] == region_code]
    is_opd = u["is_opd"].astype(bool) if "is_opd" in u.columns else u["kind"].isin(OPD_KINDS)
    u = u[is_opd.to_numpy()].drop_duplicates("unit_id")
    if u.empty:
        raise ValueError("units table has no OPD rows (is_opd True)")
    abbr = u["abbreviation"] if "abbreviation" in u.columns else pd.Series(None, index=u.index)
    label = [a if isinstance(a, str) and a.strip() else uid.upper()
             for a, uid in zip(abbr.tolist(), u["unit_id"].tolist(), strict=True)]
    return pd.DataFrame({
        "unit_id": u["unit_id"].astype(str).to_numpy(),
        "label": label,
        "kind": u["kind"].astype(str).to_numpy(),
        "sector": u["sector"].astype(str).to_numpy(),
        "front_line": u["front_line"].astype(bool).to_numpy(),
    })


def _targets_table(targets: pd.DataFrame | None, y0: int, y1: int) -> np.ndarray:
    """(n_years, 3) array of targets in rupiah, NaN where no target."""
    out = np.full((y1 - y0 + 1, 3), np.nan)
    if targets is None or len(targets) == 0:
        return out
    t = targets.copy()
    t["stage"] = t["stage"].astype(str).str.strip().str.lower()
    bad = set(t["stage"]) - set(STAGE_ORDER)
    if bad:
        raise ValueError(f"targets: unknown stage(s) {sorted(bad)}")
    if t.duplicated(["year", "stage"]).any():
        raise ValueError("targets: more than one value for a (year, stage)")
    for y, s, v in zip(t["year"].astype(int), t["stage"], t["value_idr"].astype(float),
                       strict=True):
        if y0 <= y <= y1 and np.isfinite(v) and v > 0:
            out[y - y0, STAGE_ORDER.index(s)] = v
    return out


# =================================================================================================
# the generator
# =================================================================================================

def _simulate(base: pd.DataFrame, rng: np.random.Generator, *, seed: int, years, region_codes,
              size_factor, targets, pretrend, respondents, keep_regressors, effects
              ) -> SimulatedPanel:
    y0, y1 = years
    n, R = len(base), len(region_codes)
    U = n * R
    yrs = np.arange(y0 - N_HIDDEN, y1 + 1)          # hidden pre-period + published years
    vis = slice(N_HIDDEN, None)
    vyrs = yrs[vis]
    T, Tv = len(yrs), len(vyrs)

    def iy(y: int) -> int:
        return int(y - yrs[0])

    # ---- units of all regions (region-major order) ----------------------------------------------
    reg_idx = np.repeat(np.arange(R), n)
    b_idx = np.tile(np.arange(n), R)
    uid = base["unit_id"].to_numpy(object)[b_idx]
    kind = base["kind"].to_numpy(object)[b_idx]
    sector = base["sector"].to_numpy(object)[b_idx]
    front = base["front_line"].to_numpy(bool)[b_idx]
    is_kec = kind == "kecamatan"
    codes = np.asarray(region_codes, dtype=object)

    # ---- budget ---------------------------------------------------------------------------------
    nominal, profile = _nominal_profiles(base)
    share0 = np.array([PROFILES[p] for p in profile])[b_idx]                      # (U, 6)
    size_nom = nominal[b_idx] * (REGENCY_SCALE_IDR / nominal.sum()) * size_factor[reg_idx]
    kec_draw = rng.uniform(3.5, 8.0, U) / KIND_SIZE["kecamatan"]
    size = size_nom * np.where(is_kec, kec_draw, np.exp(rng.normal(0.0, 0.10, U)))
    share = share0 * np.exp(rng.normal(0.0, 0.10, share0.shape))
    share /= share.sum(axis=1, keepdims=True)
    pen = np.zeros((U, 6))
    pen[:, _PEG] = rng.uniform(0.85, 0.98, U)
    pen[:, _BJ] = rng.uniform(0.15, 0.45, U)
    pen[:, _MODAL] = rng.uniform(0.03, 0.15, U)

    up = np.isin(sector, ["health", "disaster"]) | (uid == "dinsos")
    finance = sector == "finance"
    g = rng.normal(0.05, 0.015, U)                                   # nominal trend growth
    # idiosyncratic year-to-year variation, smaller for the big (salary-heavy) offices
    vol = np.clip((nominal[b_idx] / 20.0) ** -0.15, 0.5, 1.3)
    rw = np.cumsum(rng.normal(0.0, 0.04, (U, T)), axis=1) * vol[:, None]   # persistent drift
    rw -= rw[:, [iy(2019)]]
    eta = rng.normal(0.0, 0.04, (U, T)) * vol[:, None]                    # transitory noise
    nu = rng.normal(0.0, 0.05, (U, T, 6)) * vol[:, None, None]            # spending-type noise
    c = np.where(up, rng.uniform(0.20, 0.50, U), rng.uniform(-0.50, -0.08, U))
    c21 = np.where(up, rng.uniform(0.0, 0.15, U), rng.uniform(-0.10, 0.0, U))
    W = np.where(up[:, None], W_UP[None, :], W_CUT[None, :])
    cw = c[:, None] * W                                              # (U, 6)
    rho = np.array([PERSIST.get(int(y), 0.0) for y in yrs])

    log_m = (np.log(size)[:, None, None] + (g[:, None] * (yrs - 2019))[:, :, None]
             + rw[:, :, None] + eta[:, :, None] + nu + rho[None, :, None] * cw[:, None, :])
    log_p = log_m + rng.normal(0.02, 0.03, (U, T))[:, :, None]
    log_p[:, iy(REFOCUS_YEAR), :] += cw
    if y1 >= 2021:
        log_p[:, iy(2021), :] += c21[:, None] * W
    btt_jump = np.log(rng.uniform(10.0, 15.0, U))
    log_p[:, iy(REFOCUS_YEAR), _BTT] += np.where(finance, btt_jump, 0.0)
    absorb = rng.uniform(ABSORB_LO, ABSORB_HI, (U, T, 6))
    absorb[:, iy(REFOCUS_YEAR), _BTT] = rng.uniform(0.6, 0.9, U)
    log_r = log_p + np.log(absorb)
    amount = np.exp(np.stack([log_m, log_p, log_r], axis=2)) * share[:, None, None, :]  # U,T,3,6

    # ---- calibration: one factor per (region, year, stage), exact where a target exists ---------
    tgt = _targets_table(targets, y0, y1) if R == 1 else np.full((Tv, 3), np.nan)
    raw_tot = amount.reshape(R, n, T, 3, 6).sum(axis=(1, 4))                         # R,T,3
    factor = np.ones((R, T, 3))
    if R == 1 and np.isfinite(tgt).any():
        factor[0] = _calibration_factors(raw_tot[0], tgt, y0)
    amount *= factor[reg_idx][:, :, :, None]
    amount[:, :, 0:2] = np.round(amount[:, :, 0:2])           # pagu in whole rupiah
    amount[:, :, 2] = np.round(amount[:, :, 2], 2)            # realisasi to the sen

    # ---- regressors from the FINAL budgets ------------------------------------------------------
    real_tot = amount[:, :, 2, :].sum(axis=2)                                          # U,T
    log_rt = np.log(real_tot)
    dlog = np.full((U, T), np.nan)
    dlog[:, 1:] = np.diff(log_rt, axis=1)
    g_hat = np.exp((log_rt[:, iy(2019)] - log_rt[:, iy(y0)]) / (2019 - y0)) - 1.0
    cut = log_rt[:, iy(REFOCUS_YEAR)] - np.log(real_tot[:, iy(2019)] * (1.0 + g_hat))

    # ---- leadership and acting share ------------------------------------------------------------
    lead, acting = _leadership(rng, R, n, kind, vyrs)                                   # U,Tv

    # ---- outcomes (published years) -------------------------------------------------------------
    dl = dlog[:, vis]
    dl_lag = dlog[:, N_HIDDEN - 1:-1]
    post = (vyrs >= REFOCUS_YEAR).astype(float)
    pre_k = np.where(vyrs < REFOCUS_YEAR, vyrs - REFOCUS_YEAR, 0).astype(float)
    E = effects
    # the persistent post-2020 effect concerns units that were cut (depth = min(cut, 0)); units
    # whose 2020 budget rose carry none, so they are untreated after 2020
    depth = np.minimum(cut, 0.0)
    was_cut = cut < 0
    # planted unit resilience (separate stream: the rest of the panel does not depend on it)
    rrng = np.random.default_rng([int(seed), 7])
    res_innov = np.where(was_cut, rrng.normal(0.0, 1.0, U), 0.0) * E["resilience_sd_innovations"]
    res_ikm = np.where(was_cut, rrng.normal(0.0, 1.0, U), 0.0) * E["resilience_sd_ikm"]

    # 1. innovations (Poisson)
    base_rate = np.where(is_kec, rng.uniform(0.5, 2.0, U), np.exp(rng.uniform(np.log(0.5),
                                                                              np.log(4.0), U)))
    gamma = _innovation_year_effect(vyrs)
    treat_innov = (E["b_post"] * depth + res_innov)[:, None] * post[None, :]
    log_lam = (np.log(base_rate)[:, None] + gamma[None, :] + E["b_innov"] * dl
               + E["b_acting_innov"] * acting + treat_innov
               + pretrend * depth[:, None] * pre_k[None, :])
    counts = rng.poisson(np.exp(log_lam))
    # unit effect of the cut on innovations per year: E[count] minus E[count without the cut]
    lam = np.exp(log_lam)
    eff_innov = ((lam - lam * np.exp(-treat_innov))[:, post > 0]).mean(axis=1)
    innovations = _innovation_rows(rng, counts, codes[reg_idx], uid, b_idx, base, kind, sector,
                                   front, vyrs, y1)

    # 2-5. service indicators for front-line units
    fl = np.flatnonzero(front)
    service_parts, skm = _service(rng, fl, codes[reg_idx], uid, kind, vyrs, dl, dl_lag, acting,
                                  respondents, E, res_ikm[fl, None] * post[None, :])

    # ---- tables ---------------------------------------------------------------------------------
    src = f"simulated: analysis.data.simulate seed={seed}"
    budget = _budget_rows(amount[:, vis], pen, codes[reg_idx], uid, vyrs, src)
    lead = lead.assign(region_code=codes[reg_idx][lead["u"].to_numpy()],
                       unit_id=uid[lead["u"].to_numpy()], provenance=PROVENANCE, source=src)
    innovations["source"] = src
    service = pd.concat(service_parts, ignore_index=True)
    service["source"] = src
    tables = {
        "budget": budget,
        "innovations": innovations,
        "service": _finish(service, "service"),
        "skm_responses": skm,
        "leadership": lead,
    }
    for k in ("budget", "innovations", "leadership"):
        tables[k] = _finish(tables[k], k)

    truth = _truth(seed=seed, years=years, codes=region_codes, size_factor=size_factor,
                   targets=tgt, raw_tot=raw_tot, factor=factor, amount=amount, vyrs=vyrs,
                   vis=vis, pretrend=pretrend, respondents=respondents, uid=uid,
                   dl=dl, acting=acting, cut=cut, real_tot=real_tot, keep=keep_regressors,
                   tables=tables, effects=E,
                   resilience={"innovations": (was_cut, eff_innov),
                               "ikm": (was_cut & front, res_ikm)})
    return SimulatedPanel(tables=tables, truth=truth)


def _nominal_profiles(base: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    sizes, profiles = [], []
    for uid, kind, sector in zip(base["unit_id"], base["kind"], base["sector"], strict=True):
        if uid in UNIT_PROFILE:
            s, p = UNIT_PROFILE[uid]
        else:
            s = KIND_SIZE.get(kind, 10.0)
            p = ("hospital" if kind == "rsud" else "secretariat" if kind == "sekretariat"
                 else SECTOR_PROFILE.get(sector, "default"))
        sizes.append(float(s))
        profiles.append(p)
    return np.array(sizes), profiles


def _calibration_factors(raw: np.ndarray, tgt: np.ndarray, y0: int) -> np.ndarray:
    """Scaling factor per (year incl. hidden, stage): calibrated total / simulated total.

    Targeted cells are exact (target / simulated total). Within a year with at least one
    target, an untargeted murni takes the previous year's murni factor when that year is
    calibrated (the plan is made before the year's shock), and any other untargeted stage takes
    the factor of the nearest targeted stage (the earlier one on a tie). Years without any target get smooth totals:
    geometric interpolation between the nearest targeted years, and outside them the regency's
    simulated pre-2020 trend growth (kept within 4-6 % a year). Hidden pre-period years take
    the first published year's factor.
    """
    T = raw.shape[0]
    Tv = tgt.shape[0]
    off = T - Tv
    rawv = raw[off:]
    logf = np.full((Tv, 3), np.nan)
    have = np.isfinite(tgt)
    logf[have] = np.log(tgt[have] / rawv[have])
    for t in range(Tv):
        if not have[t].any():
            continue
        for s in range(3):
            if have[t, s]:
                continue
            if s == 0 and t > 0 and have[t - 1].any():
                logf[t, s] = logf[t - 1, 0]     # the plan follows last year's calibrated plan
            else:
                cands = sorted((abs(s - j), j) for j in range(3) if have[t, j])
                logf[t, s] = logf[t, cands[0][1]]
    rows = np.flatnonzero(have.any(axis=1))
    log_total = np.log(rawv) + logf                                  # NaN in untargeted years
    x = np.arange(Tv)
    pre = x[x + y0 < REFOCUS_YEAR]
    slope = np.polyfit(pre, np.log(rawv[pre].sum(axis=1)), 1)[0]
    slope = float(np.clip(slope, 0.04, 0.06))
    for s in range(3):
        lt = log_total[:, s]
        inner = np.interp(x, rows, lt[rows])
        before = lt[rows[0]] - slope * (rows[0] - x)
        after = lt[rows[-1]] + slope * (x - rows[-1])
        filled = np.where(x < rows[0], before, np.where(x > rows[-1], after, inner))
        log_total[:, s] = np.where(np.isfinite(lt), lt, filled)
    out = np.ones((T, 3))
    out[off:] = np.exp(log_total - np.log(rawv))
    out[:off] = out[off]
    return out


def _innovation_year_effect(vyrs: np.ndarray) -> np.ndarray:
    """Innovation reporting rises over time, with a push from 2019 (IID, Permendagri 104/2018)."""
    y = vyrs.astype(float)
    return np.where(y < 2019, -0.35 - 0.12 * (2018 - y), 0.0 + 0.06 * (y - 2019))


# ---- leadership ---------------------------------------------------------------------------------

def _leadership(rng, R: int, n: int, kind: np.ndarray, vyrs: np.ndarray):
    U = R * n
    y0, y1 = int(vyrs[0]), int(vyrs[-1])
    day = np.timedelta64(1, "D")
    d_first = np.datetime64(f"{y0}-03-01")
    d_last_start = np.datetime64(f"{y1}-12-31") - 365 * day
    span = int((d_last_start - d_first) / day)
    mid = span // 2

    # acting (Plt) spells: about 30% of each region's units (25-35%), a fifth of them twice
    k_act = np.round(rng.uniform(0.25, 0.35, R) * n).astype(int)
    rank = rng.random((R, n)).argsort(axis=1).argsort(axis=1)
    has = (rank < k_act[:, None]).ravel()
    two = has & (rng.random(U) < 0.2)
    dur1 = rng.integers(91, 366, U)
    dur2 = rng.integers(91, 366, U)
    s1 = np.where(two, rng.integers(0, max(mid - 366, 1), U), rng.integers(0, span + 1, U))
    s2 = rng.integers(mid, span + 1, U)
    start = np.stack([s1, s2], axis=1) * day + d_first                    # U,2
    end = start + np.stack([dur1, dur2], axis=1) * day
    valid = np.stack([has, two], axis=1)

    # six heads rotated on 2024-07-01 in every region (OPDs, not kecamatan, no spell running)
    rot_date = np.datetime64(ROTATION_DATE)
    rotated = np.zeros(U, bool)
    if vyrs[0] <= 2024 <= vyrs[-1]:
        busy = (valid & (start <= rot_date) & (end >= rot_date)).any(axis=1)
        key = rng.random(U) + np.where(is_ok := (kind != "kecamatan") & ~busy, 0.0, 10.0)
        order = key.reshape(R, n).argsort(axis=1).argsort(axis=1).ravel()
        rotated = (order < N_ROTATED) & is_ok

    # other appointments: up to two per unit, well away from acting spells
    extra_day = rng.integers(0, int((np.datetime64(f"{y1}-12-31") - np.datetime64(f"{y0}-04-01"))
                                    / day), (U, 2))
    extra = np.datetime64(f"{y0}-04-01") + extra_day * day
    keep = rng.random((U, 2)) < 0.45
    is_rot = rng.random((U, 2)) < 0.4
    inside = np.zeros((U, 2), bool)
    for j in range(2):
        inside |= valid[:, [j]] & (extra >= start[:, [j]] - 90 * day) \
            & (extra <= end[:, [j]] + 180 * day)
    keep &= ~inside & (extra != rot_date)

    ui = np.arange(U)
    first_day = np.datetime64(f"{y0}-01-01") + rng.integers(1, 9, U) * day   # 2016-01-02..09
    parts = [
        (ui, first_day, np.full(U, "definitive", object)),
        (np.repeat(ui[:, None], 2, 1)[valid], start[valid], np.full(valid.sum(), "acting", object)),
        (np.repeat(ui[:, None], 2, 1)[valid], end[valid],
         np.full(valid.sum(), "definitive", object)),
        (ui[rotated], np.full(rotated.sum(), rot_date), np.full(rotated.sum(), "rotation", object)),
        (np.repeat(ui[:, None], 2, 1)[keep], extra[keep],
         np.where(is_rot[keep], "rotation", "definitive").astype(object)),
    ]
    u_all = np.concatenate([p[0] for p in parts])
    d_all = np.concatenate([p[1].astype("datetime64[D]") for p in parts])
    e_all = np.concatenate([p[2] for p in parts])
    lead = pd.DataFrame({"u": u_all, "date": d_all, "event": e_all})
    lead = lead.drop_duplicates(["u", "date", "event"]).sort_values(["u", "date", "event"],
                                                                    kind="stable")

    # acting share per published year (spells do not overlap and contain no other event)
    jan1 = np.array([np.datetime64(f"{y}-01-01") for y in vyrs])
    jan1_next = np.array([np.datetime64(f"{y + 1}-01-01") for y in vyrs])
    ndays = ((jan1_next - jan1) / day).astype(float)
    acting = np.zeros((U, len(vyrs)))
    for j in range(2):
        lo = np.maximum(start[:, [j]], jan1[None, :])
        hi = np.minimum(end[:, [j]], jan1_next[None, :])
        ov = np.clip((hi - lo) / day, 0, None).astype(float)
        acting += np.where(valid[:, [j]], ov, 0.0) / ndays[None, :]
    return lead, acting


# ---- innovations --------------------------------------------------------------------------------

def _innovation_rows(rng, counts, region, uid, b_idx, base, kind, sector, front, vyrs, y1):
    U, Tv = counts.shape
    flat = counts.ravel()
    N = int(flat.sum())
    cell = np.repeat(np.arange(U * Tv), flat)
    u = cell // Tv
    t = cell % Tv
    starts = np.repeat(np.cumsum(flat) - flat, flat)
    k = np.arange(N) - starts + 1
    year = vyrs[t]
    age = y1 - year
    p_impl = np.select([age >= 4, age == 3, age == 2, age == 1], [0.9, 0.8, 0.65, 0.5], 0.35)
    r = rng.random(N)
    stage = np.where(r < p_impl, "implementasi",
                     np.where(r < p_impl + (1 - p_impl) * 0.7, "uji_coba", "inisiatif"))
    p_digital = 0.40 + 0.45 * np.clip((year - 2016) / 8.0, 0.0, 1.0)
    digital = rng.random(N) < p_digital
    fr = front[u]
    rf = rng.random(N)
    form = np.where(rf < np.where(fr, 0.65, 0.35), "pelayanan_publik",
                    np.where(rf < 0.80, "tata_kelola", "lainnya"))
    initiator = np.array(["OPD", "Kepala Daerah", "ASN", "Masyarakat"], dtype=object)[
        np.searchsorted([0.80, 0.92, 0.96], rng.random(N), side="right")]
    jan1 = np.array([f"{y}-01-01" for y in vyrs], dtype="datetime64[D]")[t]
    ndays = np.where((year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0)), 366, 365)
    trial_off = np.floor(rng.random(N) * np.where(stage == "implementasi", 240, ndays)
                         ).astype(int)
    trial = jan1 + trial_off.astype("timedelta64[D]")
    impl_off = np.minimum(trial_off + rng.integers(0, 181, N), ndays - 1)
    impl = jan1 + impl_off.astype("timedelta64[D]")
    nat = np.datetime64("NaT")
    trial = np.where(stage == "inisiatif", nat, trial)
    impl = np.where(stage == "implementasi", impl, nat)
    mat_mean = np.select([stage == "implementasi", stage == "uji_coba"], [70.0, 45.0], 20.0)
    maturity = np.round(np.clip(rng.normal(mat_mean + 10.0 * digital, 18.0), 0, 111))

    label = base["label"].to_numpy(object)[b_idx][u]
    reg = pd.Series(region[u], dtype="str")
    uids = pd.Series(uid[u], dtype="str")
    ys = pd.Series(year.astype(str), dtype="str")
    ks = pd.Series(k.astype(str), dtype="str")
    innovation_id = "sim-" + reg + "-" + uids + "-" + ys + "-" + ks
    name = "Inovasi simulasi " + pd.Series(label, dtype="str") + " " + ys + "-" + ks
    return pd.DataFrame({
        "region_code": reg,
        "innovation_id": innovation_id,
        "unit_id": uids,
        "attribution": np.where(kind[u] == "kecamatan", "kecamatan", "opd"),
        "submitted_by": pd.Series(None, index=range(N), dtype="str"),
        "name": name,
        "stage": stage,
        "form": form,
        "digital": digital,
        "initiator": initiator,
        "affair": pd.Series(sector[u], dtype="str").map(AFFAIR).fillna("lainnya"),
        "trial_date": trial.astype("datetime64[ns]"),
        "implementation_date": impl.astype("datetime64[ns]"),
        "maturity": maturity.astype(float),
        "reporting_year": year.astype(np.int64),
        "duplicate_group": pd.Series(None, index=range(N), dtype="str"),
        "is_duplicate": np.zeros(N, bool),
        "provenance": PROVENANCE,
    })


# ---- service indicators and SKM responses -------------------------------------------------------

def _score_grid(sd: float = 0.55):
    """Mean of a discretised normal on {1,2,3,4} as a function of its location m (monotone)."""
    m = np.linspace(-4.0, 9.0, 5201)
    k = np.arange(1, 5)
    w = np.exp(-((k[None, :] - m[:, None]) ** 2) / (2 * sd * sd))
    p = w / w.sum(axis=1, keepdims=True)
    return m, p @ k


_GRID_M, _GRID_MEAN = _score_grid()


def _element_cdf(mu: np.ndarray, sd: float = 0.55) -> np.ndarray:
    """Cumulative probabilities P(score<=1..3) of a score distribution with mean ``mu``."""
    m = np.interp(mu, _GRID_MEAN, _GRID_M)
    k = np.arange(1, 5)
    w = np.exp(-((k - m[..., None]) ** 2) / (2 * sd * sd))
    p = w / w.sum(axis=-1, keepdims=True)
    return np.cumsum(p, axis=-1)[..., :3]


def _service(rng, fl, region, uid, kind, vyrs, dl, dl_lag, acting, respondents, E, ikm_shift):
    F, Tv = len(fl), len(vyrs)
    yrel = (vyrs - 2016).astype(float)
    kind_fl = kind[fl]
    kec = kind_fl == "kecamatan"

    # IKM target, then raw SKM responses whose IKM is centred on it
    a_u = rng.uniform(74.0, 86.0, F)
    g_t = -2.5 + 0.75 * yrel
    target = (a_u[:, None] + g_t[None, :] + E["b_ikm"] * dl_lag[fl] + E["b_acting_ikm"]
              * acting[fl] + ikm_shift + rng.normal(0.0, NOISE["ikm_target_sd"], (F, Tv)))
    target = np.clip(target, 40.0, 96.0)
    elem = rng.normal(0.0, 0.08, (F, 9))
    elem -= elem.mean(axis=1, keepdims=True)
    mu = np.clip(target[:, :, None] / 25.0 + elem[:, None, :], 1.02, 3.98)        # F,Tv,9
    cdf = _element_cdf(mu.reshape(F * Tv, 9))                                      # C,9,3
    C = F * Tv
    n_resp = rng.integers(respondents[0], respondents[1] + 1, C)
    N = int(n_resp.sum())
    c_idx = np.repeat(np.arange(C), n_resp)
    respondent = np.arange(N) - np.repeat(np.cumsum(n_resp) - n_resp, n_resp)
    u_shared = rng.random(N)                       # respondent's general mood
    scores = {}
    ikm_sum = np.zeros(C)
    for j in range(9):
        use_shared = rng.random(N) < 0.5
        uu = np.where(use_shared, u_shared, rng.random(N))   # still uniform: exact marginals
        sc = 1 + (uu > cdf[c_idx, j, 0]).astype(np.int64) \
            + (uu > cdf[c_idx, j, 1]) + (uu > cdf[c_idx, j, 2])
        scores[f"u{j + 1}"] = sc
        ikm_sum += np.bincount(c_idx, weights=sc, minlength=C) / n_resp
    ikm = 25.0 * ikm_sum / 9.0

    cu = fl[c_idx // Tv]
    skm = pd.DataFrame({
        "region_code": _str_take(region, cu),
        "unit_id": _str_take(uid, cu),
        "year": vyrs[c_idx % Tv].astype(np.int64),
        "respondent": respondent.astype(np.int64),
        **scores,
        "provenance": PROVENANCE,
    })

    def frame(units_ix, years_ix, indicator, value, measure, n=None):
        m = len(value)
        return pd.DataFrame({
            "region_code": region[units_ix], "unit_id": uid[units_ix], "entity": uid[units_ix],
            "year": vyrs[years_ix].astype(np.int64), "indicator": indicator,
            "value": np.asarray(value, float), "measure": measure,
            "n": pd.array(n if n is not None else [pd.NA] * m, dtype="Int64"),
            "provenance": PROVENANCE,
        })

    uu_ix = np.repeat(fl, Tv)
    tt_ix = np.tile(np.arange(Tv), F)
    parts = [frame(uu_ix, tt_ix, "ikm", ikm, "IKM 25-100 (PermenPANRB 14/2017)", n_resp)]

    # complaints (Poisson)
    c_u = np.log(np.where(kec, np.exp(rng.uniform(np.log(1.5), np.log(12), F)),
                          np.exp(rng.uniform(np.log(4), np.log(60), F))))
    h_t = -0.4 + 0.7 * np.clip(yrel / 8.0, 0, 1)
    mu_c = np.exp(c_u[:, None] + h_t[None, :] + E["b_complaints"] * dl[fl])
    parts.append(frame(uu_ix, tt_ix, "complaints", rng.poisson(mu_c).ravel(), "count"))

    # Ombudsman compliance: front-line dinas / rsud / lembaga, 2018 on
    o_u = rng.uniform(70.0, 88.0, F)
    k_t = -6.0 + 2.0 * (vyrs - 2018)
    omb = np.clip(o_u[:, None] + k_t[None, :] + E["b_omb"] * dl[fl]
                  + rng.normal(0.0, NOISE["ombudsman_sd"], (F, Tv)), 0.0, 100.0)
    ok = (np.isin(kind_fl, ["dinas", "rsud", "lembaga"])[:, None] & (vyrs >= 2018)[None, :])
    parts.append(frame(uu_ix[ok.ravel()], tt_ix[ok.ravel()], "ombudsman_score",
                       np.round(omb, 2)[ok], "score 0-100"))

    # service time (days, log-normal)
    s_u = rng.uniform(np.log(0.5), np.log(14.0), F)
    m_t = -0.06 * yrel
    days = np.exp(s_u[:, None] + m_t[None, :] + E["b_days"] * dl[fl]
                  + rng.normal(0.0, NOISE["log_service_days_sd"], (F, Tv)))
    parts.append(frame(uu_ix, tt_ix, "service_days", days.ravel(), "days (mean service time)"))
    return parts, skm


# ---- tables ---------------------------------------------------------------------------------------

def _budget_rows(amount, pen, region, uid, vyrs, src):
    """Long budget table: unit x year x stage x programme class x spending type (non-zero)."""
    U, Tv = amount.shape[:2]
    by_class = np.stack([amount * pen[:, None, None, :],
                         amount * (1.0 - pen)[:, None, None, :]], axis=3)          # U,T,3,2,6
    # a class/type combination exists for a unit when its share is non-zero (same every year)
    exists = (np.stack([pen, 1.0 - pen], axis=1) > 0) & (amount[:, :1, :1, :].reshape(U, 1, 6)
                                                        > 0)
    mask = np.broadcast_to(exists[:, None, None, :, :], by_class.shape)
    u, t, s, k, ty = np.nonzero(mask)
    vals = by_class[mask]
    st = np.array(STAGE_ORDER, dtype=object)
    cls = np.array(schema.PROGRAMME_CLASSES, dtype=object)
    typ = np.array(TYPES, dtype=object)
    return pd.DataFrame({
        "region_code": _str_take(region, u),
        "unit_id": _str_take(uid, u),
        "year": vyrs[t].astype(np.int64),
        "stage": _str_take(st, s),
        "programme_class": _str_take(cls, k),
        "spending_type": _str_take(typ, ty),
        "amount_idr": vals.astype(float),
        "provenance": PROVENANCE,
        "source": src,
    })


def _str_take(values, idx) -> pd.Series:
    """String column ``values[idx]`` built by an Arrow take (fast for millions of rows)."""
    small, inv = np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)
    return pd.Series(pd.array(small.tolist(), dtype="str").take(inv[idx]))


def _finish(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Canonical column order and dtypes of ``table``."""
    cols = list(schema.SCHEMAS[table].columns)
    df = df.reset_index(drop=True)
    out = {}
    for c in cols:
        col = df[c]
        dtype = schema.SCHEMAS[table].columns[c].dtype
        name = str(dtype)
        if name.startswith("datetime64"):
            col = pd.to_datetime(col).astype("datetime64[ns]")
        elif name == "Int64":
            col = col.astype("Int64")
        elif name in ("str", "string") or name.startswith("str"):
            col = col.astype("str")
        elif name == "bool":
            col = col.astype(bool)
        elif name.startswith("int"):
            col = col.astype(np.int64)
        elif name.startswith("float"):
            col = col.astype(float)
        out[c] = col
    return pd.DataFrame(out)


# ---- truth ----------------------------------------------------------------------------------------

def _zero_effects(E: dict) -> list[dict]:
    """Effects that are planted as exactly 0: the lags a distributed-lag model also estimates
    and the acting-head terms of outcomes an acting head does not move. Listed so that tables
    print the planted 0 and the recovery study counts false positives."""
    rows = []
    lag_truth = {"ikm": {0: 0.0, 1: E["b_ikm"], 2: 0.0},
                 "complaints": {0: E["b_complaints"], 1: 0.0, 2: 0.0},
                 "ombudsman_score": {0: E["b_omb"], 1: 0.0, 2: 0.0},
                 "log_service_days": {0: E["b_days"], 1: 0.0, 2: 0.0}}
    for outcome, lags in lag_truth.items():
        for k, v in lags.items():
            rows.append({"name": f"lag{k}_{outcome}", "outcome": outcome,
                         "regressor": f"dlog_budget_lag{k}", "model": "distributed lag",
                         "value": float(v),
                         "scale": "outcome units per unit change in log realisasi k years before",
                         "description": f"budget change {k} year(s) earlier, all lags in one "
                                        "model (0 where nothing was planted)"})
        rows.append({"name": f"cumulative_{outcome}", "outcome": outcome,
                     "regressor": "cumulative (lags 0-2)", "model": "distributed lag",
                     "value": float(sum(lags.values())),
                     "scale": "sum of the lag effects", "description": "cumulative effect"})
    for name, outcome in (("b_acting_complaints", "complaints"),
                          ("b_acting_omb", "ombudsman_score"),
                          ("b_acting_days", "log_service_days")):
        rows.append({"name": name, "outcome": outcome, "regressor": "acting_share",
                     "model": "leadership", "value": 0.0,
                     "scale": "outcome units per unit acting share",
                     "description": "nothing planted: an acting head does not move this outcome"})
    return rows


def _effects_list(pretrend: float, E: dict | None = None) -> list[dict]:
    E = E or {**EFFECTS, **{f"resilience_sd_{k}": v for k, v in RESILIENCE_SD.items()}}
    innov_model = ("poisson: log E[innovations_ut] = alpha_u + gamma_t + b_innov*dlog_budget_ut"
                   " + b_acting_innov*acting_share_ut + (b_post*min(cut_2020_u, 0) + r_u)*post_t"
                   " + pretrend*min(cut_2020_u, 0)*(t-2020)*1[t<2020]; r_u ~ N(0, "
                   f"{E['resilience_sd_innovations']:g}^2) for cut units, 0 otherwise")
    ikm_model = ("linear: ikm_target_ut = a_u + g_t + b_ikm*dlog_budget_u,t-1 + b_acting_ikm*"
                 "acting_share_ut + s_u*post_t + N(0, 1.0^2), s_u ~ N(0, "
                 f"{E['resilience_sd_ikm']:g}^2) for cut units, 0 otherwise; the published ikm is "
                 "computed from simulated SKM responses centred on ikm_target, so it also "
                 "carries survey sampling noise")
    return [
        {"name": "b_innov", "outcome": "innovations", "regressor": "dlog_budget",
         "model": innov_model, "value": E["b_innov"],
         "scale": "log innovation rate per unit change in log realisasi (same year)",
         "description": "budget growth raises the count of new innovations in the same year"},
        {"name": "b_acting_innov", "outcome": "innovations", "regressor": "acting_share",
         "model": innov_model, "value": E["b_acting_innov"],
         "scale": "log innovation rate per unit acting share (a full year under a Plt head)",
         "description": "an acting (Plt) head lowers the innovation rate"},
        {"name": "b_post", "outcome": "innovations", "regressor": "cut_2020 x post",
         "model": innov_model, "value": E["b_post"],
         "scale": "log innovation rate per unit cut depth min(cut_2020, 0), every year t >= 2020",
         "description": "persistent post-2020 effect of the 2020 cut intensity (beyond the "
                        "same-year budget change): deeper cut, fewer innovations afterwards"},
        {"name": "pretrend", "outcome": "innovations",
         "regressor": "min(cut_2020, 0) x (t - 2020) x 1[t < 2020]", "model": innov_model,
         "value": float(pretrend),
         "scale": "log innovation rate per unit cut depth per year before 2020",
         "description": "planted pre-trend that an event study must flag (0 = none)"},
        {"name": "b_ikm", "outcome": "ikm", "regressor": "dlog_budget (lag 1)",
         "model": ikm_model, "value": E["b_ikm"],
         "scale": "IKM points per unit change in log realisasi of the previous year",
         "description": "service satisfaction responds to the budget change with a one-year lag"},
        {"name": "b_acting_ikm", "outcome": "ikm", "regressor": "acting_share",
         "model": ikm_model, "value": E["b_acting_ikm"],
         "scale": "IKM points per unit acting share",
         "description": "an acting head lowers satisfaction in the same year"},
        {"name": "b_complaints", "outcome": "complaints", "regressor": "dlog_budget",
         "model": "poisson: log E[complaints_ut] = c_u + h_t + b_complaints*dlog_budget_ut",
         "value": E["b_complaints"], "scale": "log complaint rate per unit change in log realisasi",
         "description": "budget cuts raise complaints in the same year"},
        {"name": "b_omb", "outcome": "ombudsman_score", "regressor": "dlog_budget",
         "model": "linear: score_ut = clip(o_u + k_t + b_omb*dlog_budget_ut + N(0, 2.5^2), "
                  "0, 100); front-line dinas/rsud/lembaga, 2018 on",
         "value": E["b_omb"], "scale": "score points per unit change in log realisasi",
         "description": "budget cuts lower Ombudsman compliance in the same year"},
        {"name": "b_days", "outcome": "service_days", "regressor": "dlog_budget",
         "model": "log-linear: log(days_ut) = s_u + m_t + b_days*dlog_budget_ut + N(0, 0.08^2)",
         "value": E["b_days"], "scale": "log days per unit change in log realisasi",
         "description": "budget cuts lengthen mean service time"},
        *_zero_effects(E),
    ]


def _truth(*, seed, years, codes, size_factor, targets, raw_tot, factor, amount, vyrs, vis,
           pretrend, respondents, uid, dl, acting, cut, real_tot, keep, tables, effects,
           resilience) -> dict:
    y0, y1 = years
    achieved = amount[:, vis].sum(axis=(0, 3)) if len(codes) == 1 else None        # Tv,3
    calib = []
    if achieved is not None:
        for t, y in enumerate(vyrs):
            for s, st in enumerate(STAGE_ORDER):
                if np.isfinite(targets[t, s]):
                    calib.append({"year": int(y), "stage": st, "target_idr": targets[t, s],
                                  "achieved_idr": achieved[t, s],
                                  "rel_error": achieved[t, s] / targets[t, s] - 1.0})
    totals = None
    if achieved is not None:
        totals = [{"year": int(y), "stage": st, "total_idr": achieved[t, s],
                   "calibration_factor": factor[0, N_HIDDEN + t, s],
                   "targeted": bool(np.isfinite(targets[t, s]))}
                  for t, y in enumerate(vyrs) for s, st in enumerate(STAGE_ORDER)]

    # event-study truth for innovations with treatment = cut_2020 (linear projection of the
    # budget channel on cut_2020 year by year, plus the direct terms)
    E = effects
    beta = []
    for t in range(len(vyrs)):
        x, y = np.minimum(cut, 0.0), dl[:, t]
        ok = np.isfinite(y)
        xc = x[ok] - x[ok].mean()
        beta.append(float((xc * (y[ok] - y[ok].mean())).sum() / (xc * xc).sum()) if ok.sum() > 2
                    else float("nan"))
    ref = 2019
    direct = {int(y): (E["b_post"] if y >= REFOCUS_YEAR else pretrend * (y - REFOCUS_YEAR))
              for y in vyrs}
    via = {int(y): E["b_innov"] * beta[t] for t, y in enumerate(vyrs)}
    total = {y: direct[y] + via[y] for y in direct}
    event_study = {
        "outcome": "innovations", "treatment": "cut_depth_2020", "reference_year": ref,
        "note": "coefficient on cut_depth_2020 = min(cut_2020, 0) x 1[year = t] in "
                "log E[innovations]; 'via_budget' is "
                "b_innov times the cross-unit slope of dlog_budget[t] on cut depth (a linear "
                "projection, so approximate). cut_2020 is built from 2016-2019 growth, so the "
                "pre-2020 budget channel is not exactly zero. Relative = minus the reference "
                "year's value. The first published year's dlog_budget uses an unpublished year.",
        "direct": {str(y): v for y, v in direct.items()},
        "via_budget": {str(y): v for y, v in via.items()},
        "total": {str(y): v for y, v in total.items()},
        "total_relative_to_reference": {str(y): v - total[ref] for y, v in total.items()},
    }

    truth = {
        "label": NOT_A_FINDING,
        "provenance": PROVENANCE,
        "generator": "analysis.data.simulate",
        "generator_version": GENERATOR_VERSION,
        "seed": int(seed),
        "years": [int(y0), int(y1)],
        "region_codes": list(codes),
        "region_code": codes[0] if len(codes) == 1 else None,
        "n_units_per_region": int(len(uid) // len(codes)),
        "respondents": list(respondents),
        "definitions": dict(DEFINITIONS),
        "effects": _effects_list(pretrend, E),
        "resilience": {
            "note": "planted effect of the 2020 cut on each cut unit after 2020, in outcome "
                    "units: innovations = mean over 2020 on of E[count] - E[count had the unit "
                    "not been cut] (b_post x depth plus the unit's own shift r_u); ikm = the "
                    "unit's own post-2020 shift s_u in IKM points (no average post-2020 effect "
                    "is planted on IKM; the cut reaches IKM through the lagged budget change, "
                    "which the counterfactual keeps). Units not cut are untreated.",
            "sd": {k: float(E[f"resilience_sd_{k}"]) for k in RESILIENCE_SD},
            **{k: {str(u): float(v) for u, v, m in zip(uid, vals, mask, strict=True) if m}
               for k, (mask, vals) in resilience.items()},
        },
        "noise": dict(NOISE),
        "event_study": event_study,
        "notes": [
            "All rows have provenance='simulated'. " + NOT_A_FINDING + ".",
            "Outcomes of the first published year (innovations, complaints, ombudsman, "
            "service_days) and IKM of the first two years depend on budget changes from "
            "unpublished pre-period years: their regressors cannot be rebuilt from the budget "
            "table, so estimation drops them.",
            "The ikm outcome includes SKM survey sampling noise on top of the planted model.",
            "2020 refocusing: perubahan and realisasi 2020 cut for most OPDs (capital hardest); "
            "health units, BPBD and Dinsos go up; BPKPAD's tidak_terduga jumps. 2021 partly "
            "recovers with further refocusing; the shock has faded from murni by 2024.",
        ],
        "calibration": {
            "method": "one scaling factor per (year, stage), applied to every unit and row; "
                      "exact where a target exists; untargeted stages take the nearest targeted "
                      "stage's factor of the same year; untargeted years interpolate log-factors "
                      "between targeted years (flat at the ends)" if len(codes) == 1
                      else "none: trend only (simulate_regions)",
            "targets": calib,
            "totals": totals,
        },
        "row_counts": {k: int(len(v)) for k, v in tables.items()},
    }
    if len(codes) > 1:
        truth["region_size_factor"] = {c: float(f) for c, f in zip(codes, size_factor,
                                                                    strict=True)}
    if keep:
        Tv = len(vyrs)
        truth["cut_2020"] = {str(u): float(v) for u, v in zip(uid, cut, strict=True)}
        truth["regressors"] = {
            "unit_id": [str(u) for u in np.repeat(uid, Tv)],
            "year": [int(y) for y in np.tile(vyrs, len(uid))],
            # the first year's change needs an unpublished year: not rebuildable, so None
            "dlog_budget": [None if (not np.isfinite(v) or y == y0) else float(v)
                            for v, y in zip(dl.ravel(), np.tile(vyrs, len(uid)), strict=True)],
            "acting_share": [float(v) for v in acting.ravel()],
            "realisasi_total_idr": [float(v) for v in real_tot[:, vis].ravel()],
        }
    return _jsonable(truth)


def _jsonable(obj):
    """Plain Python types (numpy scalars -> int/float, NaN -> None) for JSON."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        return v if np.isfinite(v) else None
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    return obj
