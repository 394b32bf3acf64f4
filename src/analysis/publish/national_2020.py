"""What notebook ``7.0-national-2020-cut`` and the pemda reports' 2020 section show: the 2020
cut across kab/kota, on real data.

The numbers come from :mod:`analysis.methods.national_2020` (the shock, the panel, the models)
and, for every verdict, from the findings ledger (table ``findings``, family
``national_2020``): a view never decides a verdict. This module loads, words and draws; every
word is in the catalog (``narrative/words/national2020.toml``). Public data only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.data import store
from analysis.methods import national_2020 as nat
from analysis.narrative import fmt
from analysis.publish import params as checks
from analysis.publish import plots
from analysis.publish.explore import Context, Result, bullets, table_html

TABLES = ("pemda", "pemda_sikd", "pemda_year", "pemda_lkpd", "pemda_ipm", "deflator",
          "region_finance", "findings", "pemda_shock_2020", "national_2020_event_study")


def validate_params(data_dir="", region: str = "33.25", lang: str = "id",
                    outcome: str = "ln_real_capital", shock_trim: float = nat.SHOCK_TRIM
                    ) -> Context:
    """Check notebook 7.0's parameters (region against the ``pemda`` table, outcome against
    :data:`analysis.methods.national_2020.OUTCOMES`, the trim a positive number)."""
    checks.check_lang(lang)
    dd = str(data_dir) if data_dir else None
    reg = store.load_table("pemda", dd)
    codes = sorted(reg.loc[reg["kind"] != "provinsi", "region_code"])
    if not isinstance(region, str):
        raise checks.ParameterError(f"region must be a text code like '33.25' (quoted); got "
                                    f"{region!r}")
    checks.check_known(region, codes, "region",
                       tail=": a kab/kota Kemendagri code of the pemda table, e.g. 33.25")
    checks.check_known(outcome, nat.OUTCOMES, "outcome", suggest=True)
    if not isinstance(shock_trim, int | float) or not 0 < float(shock_trim) <= 1000:
        raise checks.ParameterError(f"shock_trim is a positive percentage (e.g. 50); got "
                                    f"{shock_trim!r}")
    plots.use_style()
    return Context(dd, region, (nat.YEARS[0], nat.YEARS[1]), lang, None,
                   {"outcome": outcome, "shock_trim": float(shock_trim)})


def load(ctx: Context) -> dict[str, pd.DataFrame]:
    """The tables of the 2020 analysis (kab/kota only), public rows only; a missing table
    (the build ran without the national files) is an error that says how to build it."""
    out = {}
    for name in TABLES:
        try:
            out[name] = store.load_table(name, ctx.data_dir)
        except FileNotFoundError as e:
            raise FileNotFoundError(f"table {name!r} is not built: run `make data` (the "
                                    "national files are in data/external/national/)") from e
    out["pemda"] = out["pemda"][out["pemda"]["kind"] != "provinsi"]
    out["findings"] = out["findings"][out["findings"]["family"] == nat.FAMILY]
    for name, df in out.items():
        if name != "deflator" and "provenance" in df and (df["provenance"] == "simulated").any():
            raise ValueError(f"{name}: simulated rows in the national data")
    return out


def outcome_label(ctx: Context, outcome: str) -> str:
    return ctx.t(f"national2020.outcome.{outcome}")


def _fmt(ctx: Context, measure: str, x) -> str:
    if fmt.is_missing(x):
        return fmt.MISSING
    unit = nat.SHOCK_MEASURES.get(measure, "pct")
    return fmt.signed(x, ctx.lang, 1, " %" if unit == "pct" else " pp")


def ranks(shock: pd.DataFrame, region: str, measure: str = "s1_real_change") -> dict:
    """The region's rank on ``measure`` (1 = lowest value: the deepest cut) in its province
    and among all kab/kota, with the group sizes and medians."""
    row = shock[shock["region_code"] == region]
    if row.empty or fmt.is_missing(row[measure].iloc[0]):
        return {}
    prov = shock[shock["province_code"] == row["province_code"].iloc[0]]
    out = {}
    for name, grp in (("province", prov), ("national", shock)):
        v = grp[measure].dropna()
        out[name] = {"rank": int(v.rank(method="min").loc[row.index[0]]), "n": int(len(v)),
                     "median": float(v.median())}
    return out


def shock_section(ctx: Context, shock: pd.DataFrame, audited: dict) -> Result:
    """The region's 2020 shock: each measure, the kab/kota median, its rank in its province
    and nationally, and its caveat; the audited 2020 outturn beside (Batang)."""
    row = shock[shock["region_code"] == ctx.region].iloc[0]
    rows = []
    for m in nat.SHOCK_MEASURES:
        r = ranks(shock, ctx.region, m)
        rank = (lambda g: ctx.t("national2020.rank_of", rank=r[g]["rank"], n=r[g]["n"])
                if r else fmt.MISSING)
        rows.append([ctx.t(f"national2020.measure.{m}"), _fmt(ctx, m, row[m]),
                     _fmt(ctx, m, shock[m].median()), rank("province"), rank("national"),
                     ctx.t(f"national2020.caveat.{m}")])
    head = [ctx.t(f"national2020.table.{k}") for k in ("measure", "value", "median",
                                                      "rank_province", "rank_national",
                                                      "caveat")]
    lines = [ctx.t("national2020.rank_note")]
    if audited:
        lines.insert(0, ctx.t("national2020.says.batang_audited", name=row["name"],
                              audited=ctx.rp(audited["audited_2020"]),
                              o19=ctx.rp(audited["outturn_2019"]),
                              nominal=fmt.signed(audited["nominal_change"], ctx.lang, 1, " %"),
                              real=fmt.signed(audited["real_change"], ctx.lang, 1, " %"),
                              s1=_fmt(ctx, "s1_real_change", row["s1_real_change"])))
    return Result(ctx.t("national2020.section.title") + f": {row['name']}", bullets(lines),
                  html=table_html(head, rows, ctx, ctx.t("national2020.section.source"), False),
                  data=shock[shock["region_code"] == ctx.region],
                  facts={"ranks": ranks(shock, ctx.region), "audited": audited})


def shock_figure(ctx: Context, shock: pd.DataFrame):
    """Histogram of the semester-I real change over kab/kota, the region marked."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    v = shock["s1_real_change"].clip(-ctx.options.get("shock_trim", nat.SHOCK_TRIM),
                                     ctx.options.get("shock_trim", nat.SHOCK_TRIM)).dropna()
    ax.hist(v, bins=40, color="#9bb7d4")
    x = shock.loc[shock["region_code"] == ctx.region, "s1_real_change"]
    if len(x) and not fmt.is_missing(x.iloc[0]):
        ax.axvline(float(x.iloc[0]), color="#c0392b", lw=2)
        ax.annotate(str(shock.loc[x.index[0], "name"]), (float(x.iloc[0]), ax.get_ylim()[1] * 0.9),
                    xytext=(4, 0), textcoords="offset points", color="#c0392b")
    ax.set_title(ctx.t("national2020.figure.shock_title"))
    ax.set_ylabel(ctx.t("national2020.figure.count"))
    fig.tight_layout()
    return fig


def event_figure(ctx: Context, rows: pd.DataFrame, outcome: str):
    """The event-study terms of one outcome over the years (2019 = 0), 95 % intervals."""
    import matplotlib.pyplot as plt

    r = rows[rows["outcome"] == outcome].sort_values("year")
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    yrs = [*r["year"].astype(int), nat.REFERENCE_YEAR]
    est = [*r["estimate"], 0.0]
    lo = [*r["ci_low"], 0.0]
    hi = [*r["ci_high"], 0.0]
    order = np.argsort(yrs)
    yrs, est, lo, hi = (np.asarray(a)[order] for a in (yrs, est, lo, hi))
    ax.axhline(0, color="#555", lw=0.8)
    ax.axvline(nat.EVENT_YEAR - 0.5, color="#999", lw=0.8, ls="--")
    ax.errorbar(yrs, est, yerr=[est - lo, hi - est], fmt="o", color="#1f4e79", capsize=3)
    ax.set_xticks(yrs)
    ax.set_xlabel(ctx.t("national2020.figure.year"))
    ax.set_title(ctx.t("national2020.figure.event_title", outcome=outcome_label(ctx, outcome)),
                 fontsize=10)
    fig.tight_layout()
    return fig


def ledger_rows(findings: pd.DataFrame) -> pd.DataFrame:
    """The ledger's confirmatory rows of the 2020 analysis (family ``national_2020``)."""
    return findings[findings["family"] == nat.FAMILY].reset_index(drop=True)


def _period(ctx: Context, term: str) -> str:
    key = f"national2020.phase.{term}"
    return ctx.t(key)


def ledger_table(ctx: Context, findings: pd.DataFrame) -> Result:
    """The ledger's verdicts (one row per outcome and period) and the plain sentences they
    support: a claim only where the ledger claims, the interval always."""
    f = ledger_rows(findings)
    main = f[f["kind"].isin(["main", "ipm"])]
    rows, lines = [], []
    for r in main.itertuples(index=False):
        lo, hi = fmt.signed(r.ci_low, ctx.lang, 3), fmt.signed(r.ci_high, ctx.lang, 3)
        rows.append([outcome_label(ctx, r.outcome), _period(ctx, r.term),
                     fmt.signed(r.estimate, ctx.lang, 3), f"{lo} … {hi}",
                     fmt.pvalue(r.p_adjusted, ctx.lang), r.verdict, int(r.n_clusters)])
        values = {"outcome": outcome_label(ctx, r.outcome), "period": _period(ctx, r.term),
                  "low": lo, "high": hi, "p": fmt.pvalue(r.p_adjusted, ctx.lang),
                  "k": int(r.family_size), "n": int(r.n_clusters)}
        if r.verdict == "claimed":
            values["direction"] = ctx.t("national2020.direction."
                                        + ("lower" if r.estimate < 0 else "higher"))
            lines.append(ctx.t("national2020.says.claimed", **values))
        else:
            lines.append(ctx.t("national2020.says.not_claimed", **values))
    for r in f[(f["kind"] == "pretrend") & (f["verdict"] == "flagged")].itertuples(index=False):
        lines.append(ctx.t("national2020.says.pretrend_flagged",
                           outcome=outcome_label(ctx, r.outcome),
                           p=fmt.pvalue(r.p_adjusted, ctx.lang)))
    lines.append(ctx.t("national2020.says.limits"))
    head = [ctx.t(f"national2020.table.{k}") for k in ("outcome", "period", "estimate",
                                                      "interval", "p_adjusted", "verdict",
                                                      "n")]
    return Result(ctx.t("national2020.section.title"), bullets(lines),
                  html=table_html(head, rows, ctx, ctx.t("national2020.section.source"), False),
                  data=f, facts={"claimed": int((main["verdict"] == "claimed").sum())})
