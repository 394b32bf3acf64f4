"""The build's summary tables, computed once per build (the derived step
``"analysis.publish.summaries:summary_tables"`` of ``pipeline.STEPS``): ``unit_summary``, one
row per OPD (the 2020 cut and its rank, innovations, the last IKM, the typology cluster with
its description, the resilience verdicts), read by the per-unit reports' peers section and the
index page; and ``regency_year``, the regency's totals per year (budget stages, innovations,
the median routine share, which data kinds a year's totals mix, the actual spending on routine
and on service programmes: :func:`programme_totals`). Here rather than in ``methods/`` because
the cluster descriptions are words (:func:`analysis.narrative.sentences.describe_clusters`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.narrative import sentences


def summary_tables(tables: dict[str, pd.DataFrame], truth: dict | None = None
                   ) -> dict[str, pd.DataFrame]:
    """Per-unit summary (peers, index page) and regency totals per year, computed once."""
    panel = tables.get("panel")
    if panel is None or panel.empty:
        return {}
    keys = ["region_code", "unit_id"]
    last = panel.sort_values("year").groupby(keys).tail(1).set_index(keys)
    g = panel.groupby(keys)
    s = pd.DataFrame({
        "name": g["name"].first(),
        "kind": g["kind"].first(),
        "cut_2020": g["cut_2020"].first(),
        "cut_2020_pct": g["cut_2020_pct"].first(),
        "innovations_total": g["innovations"].sum(),
        "penunjang_share_mean": g["penunjang_share"].mean(),
        "ikm_last": last["ikm"] if "ikm" in last else np.nan,
        "ikm_grade_last": last["ikm_grade"] if "ikm_grade" in last else None,
        "provenance": g["provenance"].agg(lambda x: "+".join(sorted(set(x)))),
    })
    s["cut_2020"] = pd.to_numeric(s["cut_2020"], errors="coerce").astype(float)
    s["cut_2020_pct"] = pd.to_numeric(s["cut_2020_pct"], errors="coerce").astype(float)
    s["cut_rank"] = s["cut_2020"].rank(method="min")
    typ = tables.get("typology")
    if typ is not None and not typ.empty:
        t = sentences.describe_clusters(typ).set_index("unit_id")[["cluster", "description_id", "description_en"]]
        t = t.rename(columns={"description_id": "cluster_label_id",
                              "description_en": "cluster_label_en"})
        s = s.join(t, on="unit_id")
    res = tables.get("resilience")
    if res is not None and not res.empty:
        for outcome, r in res.groupby("outcome"):
            if not outcome:
                continue
            cols = [c for c in ("effect", "ci_low", "ci_high", "rank", "rank_low", "rank_high",
                                "verdict", "note") if c in r.columns]
            part = r.set_index("unit_id")[cols]
            s = s.join(part.add_prefix(f"resilience_{outcome}_"), on="unit_id")
    regency = panel.groupby(["region_code", "year"])[["budget_murni", "budget_perubahan",
                                                      "budget_realisasi", "innovations"]].sum(
        min_count=1).reset_index()
    regency = regency.merge(panel.groupby(["region_code", "year"])["penunjang_share"].median()
                            .rename("penunjang_median").reset_index(), on=["region_code", "year"])
    regency = regency.sort_values(["region_code", "year"])
    regency["provenance"] = ("simulated" if (panel["provenance"] == "simulated").any()
                             else "user")
    # which kinds of budget figures a year's regency totals add up: "simulated", "user" or
    # "simulated+user" (mixed: the totals combine imported and simulated units or stages)
    src = panel.groupby(["region_code", "year"])["provenance_budget"].agg(
        lambda x: "+".join(sorted({p for v in x.dropna() for p in str(v).split("+")})))
    regency = regency.merge(src.rename("budget_sources").reset_index(),
                            on=["region_code", "year"], how="left")
    regency["mixed"] = regency["budget_sources"].fillna("").str.contains(r"\+")
    regency["dlog_budget"] = np.log(regency["budget_realisasi"]
                                    / regency.groupby("region_code")["budget_realisasi"].shift(1))
    regency = regency.merge(programme_totals(tables.get("budget")), on=["region_code", "year"],
                            how="left")
    return {"unit_summary": s.reset_index(), "regency_year": regency}


def programme_totals(budget: pd.DataFrame | None) -> pd.DataFrame:
    """Actual spending (realisasi) of the regency per year on the routine support programme
    (``penunjang_realisasi``) and on service programmes (``urusan_realisasi``): the one source
    of the composition of a cut (:func:`analysis.narrative.sentences.cut_composition`)."""
    cols = ["region_code", "year", "penunjang_realisasi", "urusan_realisasi"]
    if budget is None or budget.empty or "programme_class" not in budget:
        return pd.DataFrame(columns=cols)
    real = budget[budget["stage"] == "realisasi"]
    w = real.pivot_table(index=["region_code", "year"], columns="programme_class",
                         values="amount_idr", aggfunc="sum")
    w = w.reindex(columns=["penunjang", "urusan"]).fillna(0.0)
    w.columns = ["penunjang_realisasi", "urusan_realisasi"]
    return w.reset_index()[cols]
