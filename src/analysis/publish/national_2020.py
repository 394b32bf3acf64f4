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
                    outcome: str = "ln_real_capital", shock_trim: float = nat.SHOCK_TRIM,
                    years=nat.YEARS) -> Context:
    """Check notebook 7.0's parameters (region against the ``pemda`` table, outcome against
    :data:`analysis.methods.national_2020.OUTCOMES`, the trim a positive number, the years
    within 2016–2024 and holding 2019 and 2020)."""
    checks.check_lang(lang)
    y0, y1 = checks.check_years(years, nat.YEARS[0], nat.YEARS[1], "the kab/kota panel",
                                min_years=2)
    if not (y0 <= nat.REFERENCE_YEAR and y1 >= nat.EVENT_YEAR):
        raise checks.ParameterError(f"years must hold {nat.REFERENCE_YEAR} (the reference) and "
                                    f"{nat.EVENT_YEAR}; got {list(years)!r}")
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
    return Context(dd, region, (y0, y1), lang, None,
                   {"outcome": outcome, "shock_trim": float(shock_trim)})


def load(ctx: Context) -> dict[str, pd.DataFrame]:
    """The tables of the 2020 analysis (kab/kota only), public rows only; a missing table
    (the build ran without the national files) is an error that says how to build it."""
    out = {}
    for name in TABLES:
        try:
            out[name] = store.load_table(name, ctx.data_dir)
        except (store.NotBuiltError, FileNotFoundError) as e:
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

        def rank(g, r=r):
            return ctx.t("national2020.rank_of", rank=r[g]["rank"], n=r[g]["n"]) if r \
                else fmt.MISSING
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

    fig, ax = plt.subplots(figsize=(6.4, 3.2), layout="constrained")
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
    return fig


def event_figure(ctx: Context, rows: pd.DataFrame, outcome: str):
    """The event-study terms of one outcome over the years (2019 = 0), 95 % intervals."""
    import matplotlib.pyplot as plt

    r = rows[rows["outcome"] == outcome].sort_values("year")
    fig, ax = plt.subplots(figsize=(6.4, 3.2), layout="constrained")
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
    return fig


def ledger_rows(findings: pd.DataFrame) -> pd.DataFrame:
    """The ledger's confirmatory rows of the 2020 analysis (family ``national_2020``)."""
    return findings[findings["family"] == nat.FAMILY].reset_index(drop=True)


def _period(ctx: Context, term: str) -> str:
    key = f"national2020.phase.{term}"
    return ctx.t(key)


def effect_text(ctx: Context, outcome: str, x) -> str:
    """An estimate or bound in the outcome's own terms: a log outcome as a percent difference
    (100 × (e^b − 1)), IPM growth in points."""
    if fmt.is_missing(x):
        return fmt.MISSING
    if outcome.startswith("ln_"):
        return fmt.signed(100 * np.expm1(float(x)), ctx.lang, 1, " %")
    return fmt.signed(float(x), ctx.lang, 3)


def ledger_table(ctx: Context, findings: pd.DataFrame, refit: pd.DataFrame | None = None
                 ) -> Result:
    """The ledger's verdicts (one row per outcome and period) and the plain sentences they
    support: a claim only where the ledger claims, the interval always. ``refit``: a
    notebook's live phase estimates, shown in a last column beside the ledger's (exploration:
    they differ when the notebook's parameters differ from the build's)."""
    f = ledger_rows(findings)
    live = ({(r.outcome, r.term): r.estimate for r in refit.itertuples(index=False)}
            if refit is not None else {})
    main = f[f["kind"].isin(["main", "ipm"])]
    rows, lines = [], []
    for r in main.itertuples(index=False):
        lo, hi = effect_text(ctx, r.outcome, r.ci_low), effect_text(ctx, r.outcome, r.ci_high)
        n = int(r.n if r.kind == "ipm" else r.n_clusters)
        rows.append([outcome_label(ctx, r.outcome), _period(ctx, r.term),
                     effect_text(ctx, r.outcome, r.estimate), f"{lo} … {hi}",
                     fmt.pvalue(r.p_adjusted, ctx.lang),
                     ctx.t(f"national2020.verdict.{r.verdict.replace(' ', '_')}"), n]
                    + ([effect_text(ctx, r.outcome, live.get((r.outcome, r.term)))]
                       if live else []))
        values = {"outcome": outcome_label(ctx, r.outcome), "period": _period(ctx, r.term),
                  "low": lo, "high": hi, "p": fmt.pvalue(r.p_adjusted, ctx.lang),
                  "k": int(r.family_size), "n": n}
        if r.verdict == "claimed":
            values["direction"] = ctx.t("national2020.direction."
                                        + ("lower" if r.estimate < 0 else "higher"))
            lines.append(ctx.t("national2020.says.claimed", **values))
        elif r.verdict == "raw only":
            lines.append(ctx.t("national2020.says.raw_only", **values))
        else:
            lines.append(ctx.t("national2020.says.not_claimed", **values))
    for r in f[(f["kind"] == "pretrend") & (f["verdict"] == "flagged")].itertuples(index=False):
        lines.append(ctx.t("national2020.says.pretrend_flagged",
                           outcome=outcome_label(ctx, r.outcome),
                           p=fmt.pvalue(r.p_adjusted, ctx.lang)))
    lines.append(ctx.t("national2020.says.limits"))
    if refit is not None and len(refit):
        lines.insert(0, ctx.t("national2020.says.live_scope", y0=ctx.years[0], y1=ctx.years[1],
                              n=int(refit["n"].max()), g=int(refit["n_clusters"].max()),
                              trim=fmt.number(ctx.options.get("shock_trim", nat.SHOCK_TRIM),
                                              ctx.lang, 0),
                              b0=nat.YEARS[0], b1=nat.YEARS[1],
                              btrim=fmt.number(nat.SHOCK_TRIM, ctx.lang, 0)))
    head = [ctx.t(f"national2020.table.{k}") for k in ("outcome", "period", "estimate",
                                                      "interval", "p_adjusted", "verdict",
                                                      "n")]
    head += [ctx.t("national2020.table.refit")] if live else []
    return Result(ctx.t("national2020.section.conclusions"), bullets(lines),
                  html=table_html(head, rows, ctx, ctx.t("national2020.section.source"), False),
                  data=f, facts={"claimed": int((main["verdict"] == "claimed").sum())})


def check_public(tables: dict[str, pd.DataFrame]) -> str:
    """Raise if a loaded table has a simulated row; a one-line confirmation otherwise."""
    for name, df in tables.items():
        if "provenance" in df and not df["provenance"].isin(["public", "user"]).all():
            raise ValueError(f"{name}: rows that are not public")
    n = sum(len(df) for df in tables.values())
    return f"{n:,} rows checked: provenance public, none simulated"


def pemda_section(ctx: Context) -> Result | None:
    """The pemda report's 2020 section: the pemda's shock, recovery and standing among its
    province and all kab/kota (:func:`shock_section` on the build's ``pemda_shock_2020``), the
    audited 2020 outturn beside where the public record has it (Batang). ``None`` when the
    build has no 2020 tables (the national 2018–2020 files absent)."""
    try:
        shock = store.load_table("pemda_shock_2020", ctx.data_dir)
    except (store.NotBuiltError, FileNotFoundError):
        return None
    if not (shock["region_code"] == ctx.region).any():
        return None
    audited = {}
    try:
        audited = nat.batang_audited(store.load_table("region_finance", ctx.data_dir), shock,
                                     ctx.region, store.load_table("deflator", ctx.data_dir))
    except (store.NotBuiltError, FileNotFoundError):
        pass
    return shock_section(ctx, shock, audited)


def index_column(data_dir: str | None = None) -> dict[str, float]:
    """region_code -> semester-I real change 2020 (%), for the pemda reports' index page
    (empty when the 2020 tables are not built)."""
    try:
        shock = store.load_table("pemda_shock_2020", data_dir)
    except (store.NotBuiltError, FileNotFoundError):
        return {}
    return {c: round(float(v), 1) for c, v in zip(shock["region_code"], shock["s1_real_change"],
                                                  strict=True) if np.isfinite(v)}
