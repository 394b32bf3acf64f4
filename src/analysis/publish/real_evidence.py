"""What is real and about Batang, for the brief and the deck: its audited 2020 cut, its spending
path 2019–2024, its standing among the kab/kota of its province and of Indonesia, and the
national 2020 findings (the findings ledger's family ``national_2020``).

Public data only (``provenance == "public"``): the audited LRA figures of ``region_finance``,
DJPK's tables (``pemda_sikd`` 2019, ``pemda_year`` 2021–2024), BPS IPM. Numbers come from the
processed tables and :mod:`analysis.methods.national_2020`; every verdict from the ledger;
every word from the catalog (``words/present.toml``, keys ``present.real.*``), written for the
regent: what changed, how sure we are ("between X and Y"), what is not known. Test counts and
adjusted p go to :func:`footnote`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis import config
from analysis.data import store
from analysis.methods import national_2020 as nat
from analysis.methods import peers as calc
from analysis.narrative import fmt
from analysis.narrative.catalog import text

HEADLINE_OUTCOME = ("ln_real_capital", "cut_depth_fall")
"""The national result the brief quotes in numbers: capital spending in 2020–2021."""


@dataclass
class RealEvidence:
    lang: str
    region: str
    name: str
    province: str
    audited: dict
    path: pd.DataFrame               # year, value_idr, source (one row per year)
    standing: dict                   # measure -> {value, year, rank_province, n_province, ...}
    shock: pd.Series | None
    national: pd.DataFrame           # ledger rows of the family national_2020
    notes: list[str] = field(default_factory=list)


def _t(key: str, lang: str, **values) -> str:
    return text(f"present.real.{key}", lang, **values)


def load(data_dir=None, lang: str = "id", region: str = config.REGION_BATANG
         ) -> RealEvidence | None:
    """Read the real evidence for ``region``; ``None`` when the national tables are not built
    (the build ran without ``data/external/national/``)."""
    try:
        reg = store.load_table("pemda", data_dir)
        py = store.load_table("pemda_year", data_dir)
        sikd = store.load_table("pemda_sikd", data_dir)
        shock = store.load_table("pemda_shock_2020", data_dir)
        book = store.load_table("findings", data_dir)
        rf = store.load_table("region_finance", data_dir)
        defl = store.load_table("deflator", data_dir)
    except (store.NotBuiltError, FileNotFoundError):
        return None
    row = reg[reg["region_code"] == region]
    if row.empty:
        return None
    kab = reg[(reg["kind"] != "provinsi")]
    py = py[py["region_code"].isin(kab["region_code"])]
    audited = nat.batang_audited(rf, shock, region, defl)
    return RealEvidence(lang, region, str(row["name"].iloc[0]), str(row["province"].iloc[0]),
                        audited, spending_path(region, sikd, py, audited),
                        standing(region, kab, py),
                        shock.set_index("region_code").loc[region]
                        if region in set(shock["region_code"]) else None,
                        book[book["family"] == nat.FAMILY].reset_index(drop=True))


def spending_path(region: str, sikd: pd.DataFrame, py: pd.DataFrame, audited: dict
                  ) -> pd.DataFrame:
    """Total spending outturn (belanja + transfers) per year: DJPK 2018–2019, the audited LRA
    2020 (DJPK has no full-year 2020 per kab/kota), DJPK/JAGA 2021–2024 (complete years)."""
    rows = []
    s = sikd[(sikd["region_code"] == region) & (sikd["measure"] == "outturn")
             & (sikd["group"] == "total")]
    rows += [{"year": int(y), "value_idr": float(v), "source": "DJPK"}
             for y, v in zip(s["year"], s["amount_idr"], strict=True)]
    if audited:
        rows.append({"year": 2020, "value_idr": audited["audited_2020"], "source": "LRA"})
    j = py[(py["region_code"] == region) & (py["year"] > 2020)
           & (py["partial"].fillna(True).astype(bool) == False)]  # noqa: E712
    rows += [{"year": int(y), "value_idr": float(v), "source": "DJPK"}
             for y, v in zip(j["year"], j["spending_outturn"], strict=True)]
    return pd.DataFrame(rows, columns=["year", "value_idr", "source"]).sort_values("year")


def standing(region: str, kab: pd.DataFrame, py: pd.DataFrame) -> dict:
    """The region's rank (1 = highest) on IPM and on the capital share of spending in its last
    complete year, in its province and among all kab/kota: the peers analysis's own
    :func:`analysis.methods.peers.standing_table` (partial pemda-years not ranked)."""
    year = calc.reference_year(py, region)
    if year is None:
        return {}
    t = calc.standing_table(py, region, calc.peer_group_codes(kab, region, "province"), year)
    out = {}
    for measure in ("ipm", "share_modal"):
        rows = t[t["measure"] == measure].set_index("group")
        if rows.empty or rows["rank"].isna().any():
            continue
        out[measure] = {"value": float(rows.at["national", "value"]),
                        "year": int(rows.at["national", "year"]),
                        "rank_province": int(rows.at["peers", "rank"]),
                        "n_province": int(rows.at["peers", "n"]),
                        "rank_national": int(rows.at["national", "rank"]),
                        "n_national": int(rows.at["national", "n"])}
    return out


def _rp(x: float, lang: str) -> str:
    return fmt.rupiah(x, lang)


def points(ev: RealEvidence) -> list[dict]:
    """Plain-words points: the 2020 cut, the spending path, the standing, the national
    answer (and what is not known). Each ``{"key", "headline", "sentence"}``."""
    lang, out = ev.lang, []
    if ev.audited:
        s1 = ev.shock["s1_real_change"] if ev.shock is not None else np.nan
        out.append({"key": "cut", "headline": _t("head.cut", lang), "sentence": _t(
            "cut", lang, name=ev.name, a20=_rp(ev.audited["audited_2020"], lang),
            o19=_rp(ev.audited["outturn_2019"], lang),
            pct=fmt.percent(abs(ev.audited["nominal_change"]), lang, fraction=False),
            real=fmt.percent(abs(ev.audited["real_change"]), lang, fraction=False),
            s1=fmt.signed(s1, lang, 1, "%"))})
    if len(ev.path):
        steps = " → ".join(f"{int(r.year)} {fmt.number(r.value_idr / 1e12, lang, 2)}"
                           for r in ev.path.itertuples())
        out.append({"key": "path", "headline": _t("head.path", lang),
                    "sentence": _t("path", lang, steps=steps)})
    st = ev.standing
    if "ipm" in st:
        i, m = st["ipm"], st.get("share_modal")
        extra = (_t("standing_capital", lang, share=fmt.percent(m["value"], lang),
                    year=m["year"], rp=m["rank_province"], np=m["n_province"],
                    rn=m["rank_national"], nn=m["n_national"]) if m else "")
        out.append({"key": "standing", "headline": _t("head.standing", lang), "sentence": _t(
            "standing", lang, ipm=fmt.number(i["value"], lang, 2), year=i["year"],
            province=ev.province, rp=i["rank_province"], np=i["n_province"],
            rn=i["rank_national"], nn=i["n_national"]) + extra})
    nat_point = national_point(ev)
    if nat_point:
        out.append(nat_point)
    return out


def _effect(outcome: str, x: float, lang: str) -> str:
    if outcome.startswith("ln_"):
        return fmt.signed(100 * np.expm1(x), lang, 1, "%")
    return fmt.signed(x, lang, 2)


def national_point(ev: RealEvidence) -> dict | None:
    """The national 2020 answer in plain words, from the ledger: what is claimed (or that
    nothing is), one interval in numbers, what is not known."""
    lang, f = ev.lang, ev.national
    if f is None or f.empty:
        return None
    main = f[f["kind"].isin(["main", "ipm"])]
    claimed = main[main["verdict"] == "claimed"]
    n = int(main.loc[main["kind"] == "main", "n_clusters"].max())
    head = f[(f["outcome"] == HEADLINE_OUTCOME[0]) & (f["term"] == HEADLINE_OUTCOME[1])]
    example = ""
    if not head.empty:
        r = head.iloc[0]
        example = _t("national_example", lang, lo=_effect(r.outcome, r.ci_low, lang),
                     hi=_effect(r.outcome, r.ci_high, lang))
    if claimed.empty:
        sentence = _t("national_none", lang, n=n) + example
    else:
        what = "; ".join(
            f"{text('national2020.outcome.' + r.outcome, lang)} "
            f"({text('national2020.phase.' + r.term, lang)}: "
            f"{_effect(r.outcome, r.ci_low, lang)} … {_effect(r.outcome, r.ci_high, lang)})"
            for r in claimed.itertuples(index=False))
        sentence = _t("national_some", lang, n=n, what=what)
    return {"key": "national", "headline": _t("head.national", lang),
            "sentence": sentence + " " + _t("national_unknown", lang)}


def footnote(ev: RealEvidence) -> str:
    """Test counts, adjusted p and sources of the real points (for the footnote)."""
    lang, f = ev.lang, ev.national
    k = int(f["family_size"].iloc[0]) if len(f) else 0
    pmin = float(f["p_adjusted"].min()) if len(f) else np.nan
    return _t("footnote", lang, k=k, p=fmt.pvalue(pmin, lang)) + " " + _t("sources", lang)
