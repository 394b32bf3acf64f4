"""Recovery study: does the analysis find the effects planted in the simulated panel, and does
it stay quiet where nothing was planted?

For each seed, simulate the Batang panel (analysis.data.simulate), build the model panel
(analysis.methods.measures.build_panel) and fit every model the findings use, exactly as the build does
(analysis.methods.build_fits, default errors: CRV3 cluster jackknife with t(G-1) intervals, t(k-1) for a
term that varies within only k < G units). Compared with the planted values in the truth file:

- main models and leadership terms (planted 0 for complaints, Ombudsman, log service days);
- every lag and the cumulative effect of the distributed-lag models (planted 0 where nothing
  was planted);
- event-study post-2020 coefficients;
- unit resilience (counterfactual / imputation estimator): Spearman correlation of the unit
  estimates with the planted unit effects, and interval coverage;
- the pre-trend test: false alarms without a planted pre-trend, power with one (first
  ``--power-seeds`` seeds);
- a null world (every planted effect 0, ``simulate.null_effects()``): the share of builds in
  which at least one of the reported tests is "significant", raw and Holm-adjusted over the
  family the findings report (``build_fits.findings_family``).

    .venv/bin/python validation/recovery.py --seeds 200 [--power-seeds 40] [--workers 2] \
        [--out validation/recovery_results.md] [--cache DIR]

With ``--cache DIR`` each seed's result is kept in DIR/<seed>.json and reused by a later run
(an interrupted study resumes where it stopped). ``--seeds 2 --power-seeds 0 --out -`` is the
smoke test CI runs (tests/test_recovery_smoke.py).

All data here is SIMULATED: these are properties of the methods, not findings about offices.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

# (truth name, model, outcome, term)
TARGETS = [
    ("b_innov", "fe_poisson", "innovations", "dlog_budget"),
    ("b_acting_innov", "fe_poisson", "innovations", "acting_share"),
    ("b_post", "fe_poisson", "innovations", "cut_2020_x_post"),
    ("b_ikm", "fe_ols", "ikm", "dlog_budget_lag1"),
    ("b_acting_ikm", "fe_ols", "ikm", "acting_share"),
    ("b_complaints", "fe_poisson", "complaints", "dlog_budget"),
    ("b_omb", "fe_ols", "ombudsman_score", "dlog_budget"),
    ("b_days", "fe_ols", "log_service_days", "dlog_budget"),
    # leadership models (outcome ~ acting_share | unit + year)
    ("lead_innovations", "leadership_poisson", "innovations", "acting_share"),
    ("lead_ikm", "leadership_ols", "ikm", "acting_share"),
    ("lead_complaints", "leadership_poisson", "complaints", "acting_share"),
    ("lead_ombudsman_score", "leadership_ols", "ombudsman_score", "acting_share"),
    ("lead_log_service_days", "leadership_ols", "log_service_days", "acting_share"),
]
LEAD_TRUTH = {"lead_innovations": "b_acting_innov", "lead_ikm": "b_acting_ikm",
              "lead_complaints": "b_acting_complaints",
              "lead_ombudsman_score": "b_acting_omb", "lead_log_service_days": "b_acting_days"}
PRETRENDS = (0.3, 1.0)
# parts of a cached seed made by an older estimator or rule are recomputed by --refresh:
# resilience 2 = counterfactual with the main model's slopes and year effects, office verdicts
# under simultaneous inference; event study 2 = the build's own call (no controls)
RESILIENCE_VERSION = 2
ES_VERSION = 2
FIRST_SEED = 1000
CONTROLS = ("dlog_budget", "acting_share")


def _truth_values(truth: dict) -> dict:
    return {e["name"]: float(e["value"]) for e in truth["effects"]}


def _row(effect, r, true):
    return {"effect": effect, "true": float(true), "estimate": float(r["estimate"]),
            "ci_low": float(r["ci_low"]), "ci_high": float(r["ci_high"]),
            "se": float(r["std_error"]), "p_value": float(r["p_value"]), "n": float(r["n"]),
            "n_clusters": float(r["n_clusters"])}


def one_seed(seed: int, power: bool = True) -> dict:
    from analysis.data import simulate as sim
    from analysis.methods import build_fits, lags, measures

    warnings.simplefilter("ignore")
    out = {"seed": seed, "rows": [], "pretrend": [], "resilience": [], "null": {},
           "resilience_version": RESILIENCE_VERSION}
    panel, truth = measures.simulated_panel(seed, with_truth=True)
    tv = _truth_values(truth)
    t0 = time.perf_counter()
    mr = build_fits.main_models(panel).set_index(["model", "outcome", "term"])
    out["seconds_main"] = time.perf_counter() - t0
    for name, model, outcome, term in TARGETS:
        key = (model, outcome, term)
        if key in mr.index and np.isfinite(mr.loc[key, "estimate"]):
            out["rows"].append(_row(name, mr.loc[key], tv[LEAD_TRUTH.get(name, name)]))
    lag_res = lags.lag_models(panel)
    for r in lag_res.itertuples():
        name = (f"cumulative_{r.outcome}" if r.term == "cumulative"
                else f"lag{int(r.lag)}_{r.outcome}")
        if name in tv and np.isfinite(r.estimate):
            out["rows"].append(_row(name, r._asdict(), tv[name]))
    out.update(es_part(panel, truth))
    out.update(resilience_part(panel, truth))
    out.update(null_resilience_part(seed))
    # null world: nothing planted; which tests of the findings family come out significant?
    p0 = measures.simulated_panel(seed, effects=sim.null_effects())
    m0, l0 = build_fits.findings_family(build_fits.main_models(p0), lags.lag_models(p0))
    fam = pd.concat([m0, l0], ignore_index=True).dropna(subset=["p_value"])
    out["null"] = {"n_tests": int(len(fam)), "any_raw": bool((fam["p_value"] < 0.05).any()),
                   "any_holm": bool((fam["p_adjusted"] < 0.05).any()),
                   "share_raw": float((fam["p_value"] < 0.05).mean())}
    if power:
        out["pretrend"] += pretrend_power_part(seed)
    return out


def es_part(panel, truth) -> dict:
    """The event study exactly as the build runs it (``eventstudy.event_study`` with its defaults:
    no controls, CRV3, the bootstrap pre-trend test), against the planted total effect of the
    cut depth in each year relative to 2019 (truth ``event_study.total_relative_to_reference``:
    the direct post-2020 effect plus the part that runs through the budget change)."""
    from analysis.methods import eventstudy

    t0 = time.perf_counter()
    es = eventstudy.event_study(panel)
    rel = truth["event_study"]["total_relative_to_reference"]
    rows = [_row(f"es_post_{int(r.year)}", r._asdict(), rel[str(int(r.year))])
            for r in es[es["year"] >= 2020].itertuples()]
    pt = eventstudy.pretrend_test(es)
    return {"seconds_event_study": time.perf_counter() - t0, "es_rows": rows, "es_version": 2,
            "pretrend0": {"pretrend": 0.0, "p_boot": pt.get("p_value_boot", np.nan),
                          "p_f": pt.get("p_value_f", np.nan)}}


def pretrend_power_part(seed: int) -> list[dict]:
    from analysis.methods import eventstudy, measures

    out = []
    for ptv in PRETRENDS:
        e = eventstudy.event_study(measures.simulated_panel(seed, pretrend=ptv))
        t = eventstudy.pretrend_test(e)
        out.append({"pretrend": ptv, "p_boot": t.get("p_value_boot", np.nan),
                    "p_f": t.get("p_value_f", np.nan)})
    return out


def resilience_part(panel, truth) -> dict:
    """Unit resilience of one seed against the planted unit effects, with the verdicts the
    product prints (``inference.office_verdicts``: Bonferroni-simultaneous intervals over the
    offices of an outcome)."""
    from analysis.methods import resilience

    out = {"resilience": []}
    t0 = time.perf_counter()
    res = resilience.resilience(panel)
    out["seconds_resilience"] = time.perf_counter() - t0
    for outcome, g in res.dropna(subset=["effect"]).groupby("outcome"):
        planted = g["unit_id"].map(truth["resilience"][outcome]).astype(float)
        cover = (g["ci_low"] <= planted) & (planted <= g["ci_high"])
        cover_pw = (g["ci_low_pointwise"] <= planted) & (planted <= g["ci_high_pointwise"])
        named = g["verdict"].isin(["above", "below"])
        wrong = ((g["verdict"] == "above") & (planted <= 0)) | \
            ((g["verdict"] == "below") & (planted >= 0))
        pl = planted.to_numpy(float)
        lo, hi = g["ci_low"].to_numpy(float), g["ci_high"].to_numpy(float)
        above = lo[None, :] > hi[:, None]          # j surely above i
        pairs = int(np.triu(above | above.T, 1).sum())
        bad_pairs = int((above & (pl[None, :] < pl[:, None])).sum())
        out["resilience"].append({
            "outcome": outcome, "spearman": float(stats.spearmanr(g["effect"], planted)[0]),
            "coverage": float(cover.mean()), "coverage_pointwise": float(cover_pw.mean()),
            "simultaneous_cover": bool(cover.all()), "units": int(len(g)),
            "sd_planted": float(planted.std()),
            "halfwidth": float(((g["ci_high"] - g["ci_low"]) / 2).mean()),
            "bias": float((g["effect"] - planted).mean()),
            "mean_effect": float(g["effect"].mean()), "mean_planted": float(planted.mean()),
            "named": int(named.sum()), "named_wrong": int(wrong.sum()),
            "pairs_ordered": pairs, "pairs_misordered": bad_pairs,
            "separated": int(named.sum())})
    return out


def null_resilience_part(seed: int) -> dict:
    """The office verdicts in a null world (every planted effect and the spread of office
    resilience 0): any office named, any pair of offices ordered, is false by construction."""
    from analysis.data import simulate as sim
    from analysis.methods import inference, measures, resilience

    p0 = measures.simulated_panel(seed, effects=sim.null_effects())
    res = resilience.resilience(p0)
    out = []
    for outcome, g in res.dropna(subset=["effect"]).groupby("outcome"):
        sep, _ = inference.ordered_pairs(g["ci_low"], g["ci_high"])
        out.append({"outcome": outcome, "units": int(len(g)),
                    "named": int(g["verdict"].isin(["above", "below"]).sum()),
                    "pairs_ordered": int(sep), "rankable": bool(inference.rankable(outcome)),
                    "ranked_pairs_printed": int(sep) if inference.rankable(outcome) else 0,
                    "names_raw": int(((g["ci_low_pointwise"] > 0) |
                                      (g["ci_high_pointwise"] < 0)).sum())})
    return {"null_resilience": out}


def _one(args):
    """One seed: read from the cache, compute what is missing or stale (older estimator or
    rule, see ``RESILIENCE_VERSION``, ``ES_VERSION``; planted-world office results only for
    ``office``), write it back."""
    from analysis.methods import measures

    warnings.simplefilter("ignore")
    seed, power, office, cache = args
    path = Path(cache) / f"{seed}.json" if cache else None
    res = json.loads(path.read_text()) if path is not None and path.exists() else None
    if res is None:
        res = one_seed(seed, power)
        res["power"] = power
    else:
        panel = truth = None
        if res.get("es_version") != ES_VERSION:
            panel, truth = measures.simulated_panel(seed, with_truth=True)
            res["rows"] = [r for r in res["rows"] if not r["effect"].startswith("es_post_")]
            res.update(es_part(panel, truth))
            res["pretrend"] = []
            res["power"] = False
        if power and not res.get("power"):
            res["pretrend"] = pretrend_power_part(seed)
            res["power"] = True
        if "null_resilience" not in res or res.get("resilience_version") != RESILIENCE_VERSION:
            res.update(null_resilience_part(seed))
            res["resilience_version"] = RESILIENCE_VERSION
            res["resilience"] = []
        if office and not res.get("resilience"):
            if panel is None:
                panel, truth = measures.simulated_panel(seed, with_truth=True)
            res.update(resilience_part(panel, truth))
    if path is not None:
        path.write_text(json.dumps(res, default=float))
    return res


def summarize(results: list[dict]):
    from statsmodels.stats.multitest import multipletests

    rows = pd.DataFrame([dict(r, seed=res["seed"]) for res in results
                         for r in [*res["rows"], *res.get("es_rows", [])]])
    rows["covered"] = (rows["ci_low"] <= rows["true"]) & (rows["true"] <= rows["ci_high"])
    rows["err"] = rows["estimate"] - rows["true"]
    rows["reject"] = rows["p_value"] < 0.05
    # the product's rule: Holm over the findings family of each seed (main and leadership
    # terms, every lag and cumulative term, the pre-trend test), as build_fits.findings_family
    fam_sizes = []
    rows["reject_holm"] = np.nan
    for res in results:
        idx = rows.index[(rows["seed"] == res["seed"]) & ~rows["effect"].str.startswith("es_")]
        pv = list(rows.loc[idx, "p_value"].astype(float))
        pt = res.get("pretrend0", {}).get("p_boot", np.nan)
        if np.isfinite(pt):
            pv.append(float(pt))
        adj = multipletests(pv, method="holm")[1]
        rows.loc[idx, "reject_holm"] = (adj[:len(idx)] < 0.05).astype(float)
        fam_sizes.append(len(pv))
    g = rows.groupby("effect", sort=False)
    tab = pd.DataFrame({
        "true": g["true"].mean(),
        "mean_estimate": g["estimate"].mean(),
        "bias": g["err"].mean(),
        "sd_estimate": g["estimate"].std(),
        "rmse": g["err"].apply(lambda e: float(np.sqrt(np.mean(e ** 2)))),
        "coverage_95": g["covered"].mean(),
        "reject_5": g["reject"].mean(),
        "reject_holm": g["reject_holm"].mean(),
        "n_per_fit": g["n"].mean(),
        "clusters_per_fit": g["n_clusters"].mean(),
        "fits": g.size(),
    }).reset_index()
    pre = pd.DataFrame([r for res in results
                        for r in [res.get("pretrend0"), *res["pretrend"]] if r])
    pre["flag_boot"] = pre["p_boot"] < 0.05
    pre["flag_f"] = pre["p_f"] < 0.05
    flag = pre.groupby("pretrend").agg(flag_boot=("flag_boot", "mean"),
                                       flag_f=("flag_f", "mean"),
                                       fits=("flag_boot", "size")).reset_index()
    res = pd.DataFrame([r for x in results for r in x.get("resilience", [])])
    rtab = res.groupby("outcome").agg(
        spearman_mean=("spearman", "mean"), spearman_p10=("spearman", lambda s: s.quantile(.1)),
        spearman_p90=("spearman", lambda s: s.quantile(.9)), coverage=("coverage", "mean"),
        coverage_pointwise=("coverage_pointwise", "mean"),
        simultaneous_cover=("simultaneous_cover", "mean"),
        bias=("bias", "mean"), halfwidth=("halfwidth", "mean"), units=("units", "mean"),
        sd_planted=("sd_planted", "mean"), named=("named", "sum"),
        named_wrong=("named_wrong", "sum"), unit_total=("units", "sum"),
        pairs_ordered=("pairs_ordered", "mean"), pairs_misordered=("pairs_misordered", "sum"),
        seeds=("spearman", "size")).reset_index()
    rtab["bias_sd"] = rtab["bias"] / rtab["sd_planted"]
    rtab["power"] = rtab["named"] / rtab["unit_total"]
    nres = pd.DataFrame([dict(r, seed=x["seed"]) for x in results
                         for r in x.get("null_resilience", [])])
    by_seed = nres.groupby("seed").agg(named=("named", "sum"),
                                       pairs=("ranked_pairs_printed", "sum"))
    ntab = nres.groupby("outcome").agg(
        any_named=("named", lambda v: float((v > 0).mean())),
        any_named_raw=("names_raw", lambda v: float((v > 0).mean())),
        any_pair=("pairs_ordered", lambda v: float((v > 0).mean())),
        any_pair_printed=("ranked_pairs_printed", lambda v: float((v > 0).mean())),
        rankable=("rankable", "first"), units=("units", "mean"),
        seeds=("named", "size")).reset_index()
    ntab_all = {"any_office_named": float((by_seed["named"] > 0).mean()),
                "any_pair_printed": float((by_seed["pairs"] > 0).mean()),
                "seeds": int(len(by_seed))}
    null = pd.DataFrame([x["null"] for x in results if x.get("null")])
    null.attrs["family_sizes"] = sorted(set(fam_sizes))
    return tab, flag, rtab, null, ntab, ntab_all


def summary_json(rtab, ntab, ntab_all, tab) -> dict:
    """The numbers other code reads (``inference.RECOVERY_SPEARMAN`` is kept in step with
    ``spearman`` by tests/test_ledger.py)."""
    return {
        "spearman": {r.outcome: round(float(r.spearman_mean), 2) for r in rtab.itertuples()},
        "office_power": {r.outcome: float(r.power) for r in rtab.itertuples()},
        "office_bias_in_planted_sd": {r.outcome: float(r.bias_sd) for r in rtab.itertuples()},
        "null_world": {**ntab_all, **{f"any_named_{r.outcome}": r.any_named
                                      for r in ntab.itertuples()}},
        "power_holm": {r.effect: float(r.reject_holm) for r in tab.itertuples()
                       if r.true != 0 and not r.effect.startswith("es_")},
        "note": "SIMULATED DATA: properties of the methods, not findings about offices",
    }


def to_markdown(tab, flag, rtab, null, ntab, ntab_all, n_seeds, seconds, workers, timing,
                power_seeds, command) -> str:
    def f(v, d=3):
        return "–" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{v:.{d}f}"

    lines = [
        "# Recovery of planted effects (SIMULATED DATA)",
        "",
        f"Made by `{command}`: {n_seeds} seeds (from {FIRST_SEED} on) of "
        "the simulated Batang panel (44 OPD units x 2016-2024), each fitted with "
        "`analysis.methods.build_fits` exactly as the build does (CRV3 cluster jackknife, t(G-1) "
        "intervals; t(k-1) for a term that varies within only k < G units). "
        + (f"Run time {seconds:.0f} s with {workers} worker processes; " if seconds >= 1 else
           "Summarised from the per-seed cache (`--cache`), whose parts were made by this "
           "command without `--summarize-only` (stale parts are recomputed); ")
        + "mean time per panel: main + leadership "
        f"models {timing['main']:.1f} s, event study with its bootstrap pre-trend test "
        f"{timing['es']:.1f} s, resilience {timing['res']:.1f} s.",
        "",
        "Coverage = share of seeds whose 95 % interval contains the planted value; `reject` = "
        "share with p < 0.05 (for a planted 0 this is the false-positive rate, nominal 0.05; "
        "otherwise power). A coverage estimate over 120 seeds has a Monte Carlo SE of about "
        "0.02 (over the 40 office seeds about 0.035).",
        "",
        "## Coefficients",
        "",
        "`reject (Holm)` is the product's rule (`analysis.methods.inference`): the share of seeds "
        "in which the ledger claims the term, Holm over the seed's whole findings family "
        f"({', '.join(map(str, null.attrs.get('family_sizes', [])))} tests: every main, "
        "leadership, lag and cumulative term and the pre-trend test). For a planted non-zero "
        "effect it is the power a reader of the deck or a report actually has; the raw rate "
        "beside it is not a verdict any view states. Event-study rows are shown with "
        "pointwise intervals only and carry no verdict.",
        "",
        "| effect | planted | mean estimate | bias | sd | RMSE | 95% coverage | reject (raw p) | "
        "reject (Holm, product's rule) | n per fit | clusters | fits |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in tab.itertuples():
        holm = "–" if r.effect.startswith("es_") else f(r.reject_holm)
        lines.append(f"| {r.effect} | {f(r.true)} | {f(r.mean_estimate)} | {f(r.bias)} | "
                     f"{f(r.sd_estimate)} | {f(r.rmse)} | {f(r.coverage_95)} | "
                     f"{f(r.reject_5)} | {holm} | {r.n_per_fit:.0f} | "
                     f"{r.clusters_per_fit:.0f} | {r.fits} |")
    lines += [
        "",
        "Main models: `b_*` (MAIN_SPECS). Leadership: `lead_<outcome>` = outcome ~ "
        "acting_share | unit + year (planted: innovations -0.4 log rate, IKM -2 points, 0 "
        "for complaints, Ombudsman and log service days). Distributed lags: `lag<k>_<outcome>` "
        "and `cumulative_<outcome>` from one model per outcome with lags 0-2 of dlog_budget "
        "together (planted: IKM lag 1 only; complaints, Ombudsman and log service days lag 0 "
        "only). `es_post_<year>`: event-study coefficient of cut depth x 1[year] as the build "
        "fits it (`eventstudy.event_study` defaults: reference 2019, no controls, Poisson, CRV3); "
        "planted value: the total effect of the cut depth in that year relative to 2019 (the "
        "direct post-2020 effect b_post plus the part through the budget change, truth "
        "`event_study.total_relative_to_reference`).",
        "",
        "## Unit resilience (counterfactual from untreated observations)",
        "",
        "Per seed: Spearman correlation of the cut units' estimated effects with their planted "
        "effects, and the share of units whose 95 % interval covers the planted effect. "
        "Innovations: effect in innovations per year (planted = mean over 2020-2024 of "
        "E[count] minus E[count without the cut]; the unit's own shift has sd 0.13 log rate, "
        "the average 2020 effect b_post x mean cut depth is about -0.13 log rate, so the "
        "planted spread equals the average effect). IKM: effect in IKM points (planted = the "
        "unit's own post-2020 shift, sd 1.5 points, below the average 2020 effect of about "
        "-2 points in 2021 through the lagged budget channel).",
        "",
        "The counterfactual takes the covariate slopes and the year effects from the outcome's "
        "main model and the unit's level from its own untreated years "
        "(`methods/resilience.py`). Verdicts are the product's: Bonferroni-simultaneous "
        "intervals over the offices of an outcome (`inference.office_verdicts`); `coverage` is "
        "of those intervals, `pointwise` of the 95 % ones. `power` = share of planted "
        "non-zero office effects named above or below; `wrong` = offices named in the wrong "
        "direction (all seeds); `pairs ordered` = mean pairs whose simultaneous intervals "
        "separate, `misordered` = such pairs against the planted order (all seeds). "
        "`bias / sd` = mean (estimate - planted) over offices and seeds, in planted standard "
        "deviations (target: within 0.1).",
        "",
        "| outcome | Spearman (mean) | Spearman 10th-90th pct | coverage (simultaneous) | "
        "coverage (pointwise) | all offices covered | bias | bias / sd | mean half-width | "
        "planted sd | units | power | wrong | pairs ordered | misordered | seeds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rtab.itertuples():
        lines.append(f"| {r.outcome} | {f(r.spearman_mean, 2)} | {f(r.spearman_p10, 2)} to "
                     f"{f(r.spearman_p90, 2)} | {f(r.coverage)} | {f(r.coverage_pointwise)} | "
                     f"{f(r.simultaneous_cover)} | {f(r.bias)} | {f(r.bias_sd, 2)} | "
                     f"{f(r.halfwidth, 2)} | {f(r.sd_planted, 2)} | {r.units:.1f} | "
                     f"{f(r.power)} | {int(r.named_wrong)} | {f(r.pairs_ordered, 2)} | "
                     f"{int(r.pairs_misordered)} | {r.seeds} |")
    lines += [
        "",
        "Ranking rule: an outcome whose mean Spearman is below 0.6 is not ranked in any view "
        "(`inference.RECOVERY_SPEARMAN`, kept in step with `validation/recovery_summary.json` "
        "by a test).",
        "",
        "## Offices in a null world (every planted effect and the office spread 0)",
        "",
        "Any office named above or below its counterfactual, and any pair of offices ordered, "
        "is false by construction. Target: at most 5 % of builds (family-wise).",
        "",
        "| outcome | builds naming any office | with raw 95 % intervals | builds with a pair "
        "ordered | with a pair printed (rankable outcomes only) | rankable | offices | seeds |",
        "|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in ntab.itertuples():
        lines.append(f"| {r.outcome} | {f(r.any_named)} | {f(r.any_named_raw)} | "
                     f"{f(r.any_pair)} | {f(r.any_pair_printed)} | {bool(r.rankable)} | "
                     f"{r.units:.1f} | {r.seeds} |")
    lines += [
        "",
        f"Builds naming any office on either outcome: {f(ntab_all['any_office_named'])}; "
        f"builds printing any ordered pair: {f(ntab_all['any_pair_printed'])} "
        f"({ntab_all['seeds']} seeds).",
    ]
    lines += [
        "",
        "## Pre-trend test (joint test of the event-study leads, flagged when p < 0.05)",
        "",
        "`bootstrap`: the build's test, a pairs cluster bootstrap-t (99 draws of whole units, "
        "CRV1 Wald statistic centred on the full-sample leads). `F (CRV3)`: the previous "
        "test, F = W/q on (q, G-1) from the jackknife covariance, on the same fits. With no "
        "planted pre-trend the flag rate is the false-alarm rate (nominal 0.05); otherwise it "
        f"is power (first {power_seeds} seeds). Pre-trend = p means log E[innovations] "
        "carries p x cut_2020 x (year - 2020) before 2020.",
        "",
        "| planted pre-trend | flag rate (bootstrap) | flag rate (F, CRV3) | fits |",
        "|---:|---:|---:|---:|",
    ]
    for r in flag.itertuples():
        lines.append(f"| {r.pretrend:g} | {f(r.flag_boot)} | {f(r.flag_f)} | {r.fits} |")
    lines += [
        "",
        "## Null world (every planted effect 0)",
        "",
        f"Per seed, the {int(null['n_tests'].mean())} tests of the main, leadership and "
        "distributed-lag models (the pre-trend test left out of this quick null refit) are "
        "one family (`build_fits.findings_family`, Holm). Share of "
        "builds in which at least one test is significant at 5 %: raw "
        f"{f(null['any_raw'].mean())}, Holm-adjusted {f(null['any_holm'].mean())} (nominal "
        "family-wise rate 0.05); mean share of single tests significant (raw): "
        f"{f(null['share_raw'].mean())}. {len(null)} seeds.",
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=120, help="number of seeds (default 120)")
    ap.add_argument("--power-seeds", type=int, default=20,
                    help="seeds on which the pre-trend power is measured (default 20)")
    ap.add_argument("--office-seeds", type=int, default=40,
                    help="seeds on which the planted-world office results (power, bias, "
                         "Spearman) are measured (default 40; the null-world office results "
                         "use every seed)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--cache", default=None, help="directory for per-seed results (resume; "
                    "parts made by an older estimator or rule are recomputed)")
    ap.add_argument("--summarize-only", action="store_true",
                    help="summarise the seeds already in --cache without fitting anything")
    ap.add_argument("--out", default=str(Path(__file__).with_name("recovery_results.md")),
                    help="markdown output file ('-' prints only); the summary JSON is written "
                         "beside it as recovery_summary.json")
    args = ap.parse_args(argv)
    command = "validation/recovery.py " + " ".join(
        a for a in (argv if argv is not None else sys.argv[1:]) if not a.startswith("/"))
    t0 = time.perf_counter()
    seeds = list(range(FIRST_SEED, FIRST_SEED + args.seeds))
    if args.cache:
        Path(args.cache).mkdir(parents=True, exist_ok=True)
    jobs = [(s, i < args.power_seeds, i < args.office_seeds, args.cache)
            for i, s in enumerate(seeds)]
    results = []
    if args.summarize_only:
        if not args.cache:
            ap.error("--summarize-only needs --cache")
        results = [json.loads((Path(args.cache) / f"{j[0]}.json").read_text()) for j in jobs
                   if (Path(args.cache) / f"{j[0]}.json").exists()]
        args.seeds = len(results)
    else:
        with mp.get_context("fork").Pool(args.workers) as pool:
            for res in pool.imap_unordered(_one, jobs):
                results.append(res)
                print(f"{len(results)}/{len(jobs)} seeds, {time.perf_counter() - t0:.0f} s",
                      file=sys.stderr, flush=True)
    results.sort(key=lambda r: r["seed"])
    seconds = time.perf_counter() - t0
    tab, flag, rtab, null, ntab, ntab_all = summarize(results)
    timing = {k: float(np.nanmean([r.get(f"seconds_{v}", np.nan) for r in results]))
              for k, v in (("main", "main"), ("es", "event_study"), ("res", "resilience"))}
    md = to_markdown(tab, flag, rtab, null, ntab, ntab_all, args.seeds, seconds, args.workers,
                     timing, min(args.power_seeds, args.seeds), command.strip())
    print(md)
    if args.out != "-":
        Path(args.out).write_text(md, encoding="utf-8")
        Path(args.out).with_name("recovery_summary.json").write_text(
            json.dumps(summary_json(rtab, ntab, ntab_all, tab), indent=1) + "\n",
            encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
