"""What the peers notebook (``notebooks/6.0-peers.ipynb``) shows: a pemda among its peers.

Public data only (the ``pemda*`` tables of :mod:`analysis.data.national`): every function refuses
rows whose provenance is ``simulated``. The sections follow the analysis.publish.explore pattern: each
returns an :class:`analysis.publish.explore.Result` with sentences built from the computed numbers,
figures and an HTML table (names from the data are escaped by the table template and by
:func:`analysis.publish.explore.show`, never used as code or paths); every word is in the
catalog (``narrative/words/peers.toml``).

- :func:`validate_params` checks region, peer group, years, language and the model formula;
- :func:`standing`: ranks of the region on every measure in one year, in its peer group and
  among all kab/kota;
- :func:`rank_history`: its rank per year;
- :func:`distributions`: one panel per measure, the peer group's values with the region marked;
- :func:`association`: a two-way fixed-effects model on the pemda panel (pyfixest, errors
  clustered by pemda), with 95 % intervals and n.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.data import store
from analysis.narrative import fmt
from analysis.narrative.labels import LANGS
from analysis.publish import plots
from analysis.publish.explore import Context, ParameterError, Result, bullets, table_html

# measure -> format; its words are the catalog's peers.measure.<measure>
MEASURES: dict[str, str] = {
    "spending_outturn": "rp", "realisation_rate": "pct", "share_pegawai": "pct",
    "share_barang_jasa": "pct", "share_modal": "pct", "share_hibah_bansos": "pct",
    "share_btt": "pct", "share_transfer": "pct", "dlog_real_spending": "dlog", "ipm": "num",
    "d_ipm": "num",
}
FINANCE_MEASURES = [m for m in MEASURES if m not in ("ipm", "d_ipm")]
PEER_GROUPS = ("province", "national")
# columns a model formula may use (model_frame): shares in percentage points (0-100),
# real spending change in percent (100 x log change)
MODEL_COLUMNS = ["d_ipm", "ipm", "share_pegawai", "share_barang_jasa", "share_modal",
                 "share_hibah_bansos", "share_btt", "share_transfer", "dlog_real_spending",
                 "realisation_rate", "pemda", "year"]
DEFAULT_FORMULA = "d_ipm ~ share_modal + share_pegawai + dlog_real_spending | pemda + year"


def _t(ctx: Context, key: str) -> str:
    """The words for a measure."""
    return ctx.t(f"peers.measure.{key}")


def fmt_value(ctx: Context, key: str, x) -> str:
    kind = MEASURES[key]
    if x is None or pd.isna(x):
        return fmt.MISSING
    if kind == "rp":
        return ctx.rp(x)
    if kind == "pct":
        return ctx.pct(x)
    if kind == "dlog":
        return ctx.pct(np.expm1(x))
    return ctx.num(x)


# ---------------------------------------------------------------------------------- params


def validate_params(data_dir="", region: str = "33.25", peer_group="province",
                    years: Sequence[int] = (2021, 2025), lang: str = "id",
                    formula: str = DEFAULT_FORMULA) -> Context:
    """Check the notebook's parameters against the processed ``pemda`` tables."""
    if lang not in LANGS:
        raise ParameterError(f"unknown language {lang!r}; allowed: {', '.join(LANGS)}")
    dd = str(data_dir) if data_dir else None
    reg = store.load_table("pemda", dd)
    kab = reg[reg["kind"] != "provinsi"]
    codes = sorted(kab["region_code"])
    if not isinstance(region, str):
        raise ParameterError(f"region must be a text code like '33.25' (quoted; papermill: "
                             f"-y 'region: \"33.26\"'); got {region!r}")
    if region not in codes:
        close = difflib.get_close_matches(str(region), codes, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ParameterError(f"unknown region {region!r}{hint}: a kab/kota Kemendagri code "
                             "of the pemda table, e.g. 33.25")
    if isinstance(peer_group, str):
        if peer_group not in PEER_GROUPS:
            raise ParameterError(f"unknown peer_group {peer_group!r}; allowed: province, "
                                 "national, or a list of kab/kota codes")
        if peer_group == "province":
            prov = kab.loc[kab["region_code"] == region, "province_code"].iloc[0]
            peers = sorted(kab.loc[kab["province_code"] == prov, "region_code"])
        else:
            peers = codes
    elif isinstance(peer_group, list | tuple) and peer_group:
        bad = [c for c in peer_group if c not in codes]
        if bad:
            raise ParameterError(f"unknown kab/kota code(s) in peer_group: "
                                 f"{', '.join(map(repr, bad))}")
        peers = sorted(set(peer_group) | {region})
        if len(peers) < 3:
            raise ParameterError("peer_group as a list needs at least two other kab/kota")
    else:
        raise ParameterError(f"peer_group must be 'province', 'national' or a list of codes; "
                             f"got {peer_group!r}")
    py = store.load_table("pemda_year", dd)
    py = py[py["kind"] != "provinsi"]
    have = py.loc[py["spending_outturn"].notna() | py["ipm"].notna(), "year"]
    lo, hi = int(have.min()), int(have.max())
    try:
        y0, y1 = (int(y) for y in years)
    except (TypeError, ValueError):
        raise ParameterError(f"years must be [first, last], e.g. [{lo}, {hi}]; got {years!r}"
                             ) from None
    if y0 > y1 or y0 < lo or y1 > hi or y1 - y0 < 1:
        raise ParameterError(f"years {years!r}: allowed any increasing [first, last] of at "
                             f"least two years within {lo}–{hi}")
    used = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", str(formula)))
    if "~" not in str(formula) or "|" not in str(formula):
        raise ParameterError("formula must read 'outcome ~ regressors | pemda + year' "
                             f"(two-way fixed effects); got {formula!r}")
    unknown = sorted(used - set(MODEL_COLUMNS) - {"C", "i", "log", "np"})
    if unknown:
        raise ParameterError(f"unknown column(s) in formula: {', '.join(unknown)}; allowed: "
                             f"{', '.join(MODEL_COLUMNS)}")
    plots.use_style()
    return Context(dd, region, (y0, y1), lang, None,
                   {"peer_group": peer_group, "peers": peers, "formula": str(formula)})


# ---------------------------------------------------------------------------------- data


def load(ctx: Context) -> dict[str, pd.DataFrame]:
    """pemda (kab/kota), pemda_year in the years, and the unmatched names; public only."""
    reg = store.load_table("pemda", ctx.data_dir)
    py = store.load_table("pemda_year", ctx.data_dir)
    py = py[(py["kind"] != "provinsi") & py["year"].between(*ctx.years)]
    out = {"pemda": reg[reg["kind"] != "provinsi"], "pemda_year": py.reset_index(drop=True),
           "pemda_unmatched": store.load_table("pemda_unmatched", ctx.data_dir)}
    for name, df in out.items():
        if "provenance" in df and df["provenance"].str.contains("simulated").any():
            raise ValueError(f"{name}: simulated rows in the peers data")
    return out


def sources(ctx: Context) -> Result:
    """The files every number comes from (distinct ``source`` values)."""
    fin = store.load_table("pemda_finance", ctx.data_dir,
                        filters=[("year", ">=", ctx.years[0]), ("year", "<=", ctx.years[1])])
    ipm = store.load_table("pemda_ipm", ctx.data_dir)
    reg = store.load_table("pemda", ctx.data_dir)
    rows = [(s, f"{n:,}") for frame in (fin, ipm, reg)
            for s, n in frame["source"].value_counts().sort_index().items()]
    head = [ctx.t("peers.sources.source"), ctx.t("peers.sources.rows")]
    return Result(ctx.t("peers.sources.data_sources"), html=table_html(
        head, rows, ctx, ctx.t("peers.sources.every_number_this_notebook"), simulated=False))


def peer_frame(ctx: Context, py: pd.DataFrame, group: str) -> pd.DataFrame:
    """Rows of the peer group (``"peers"``: the parameter's group; ``"national"``: all)."""
    if group == "national":
        return py
    return py[py["region_code"].isin(ctx.options["peers"])]


def group_name(ctx: Context, group: str, reg: pd.DataFrame) -> str:
    if group == "national":
        return ctx.t("peers.group_name.all_kab_kota")
    pg = ctx.options["peer_group"]
    if pg == "province":
        prov = reg.loc[reg["region_code"] == ctx.region, "province"].iloc[0]
        return ctx.t("peers.group_name.kab_kota", prov=prov)
    if pg == "national":
        return ctx.t("peers.group_name.all_kab_kota")
    return ctx.t("peers.group_name.chosen_group")


def valid(py: pd.DataFrame, measure: str) -> pd.Series:
    """Rows that can be ranked on ``measure``: finance measures exclude partial pemda-years."""
    ok = py[measure].notna()
    if measure in FINANCE_MEASURES:
        ok &= py["partial"].fillna(True) == False  # noqa: E712
    return ok


def ranks(py: pd.DataFrame, measure: str) -> pd.DataFrame:
    """Per year: rank (1 = highest value) and n among the rows that can be ranked."""
    d = py.loc[valid(py, measure), ["region_code", "year", measure]].copy()
    d["rank"] = d.groupby("year")[measure].rank(ascending=False, method="min")
    d["n"] = d.groupby("year")[measure].transform("size")
    return d


def reference_year(ctx: Context, py: pd.DataFrame) -> int:
    """The last year in range where the region's finance row is complete (not partial)."""
    me = py[(py["region_code"] == ctx.region) & (py["partial"].fillna(True) == False)  # noqa: E712
            & py["spending_outturn"].notna()]
    if me.empty:
        raise ParameterError(f"region {ctx.region} has no complete APBD year in {ctx.span}")
    return int(me["year"].max())


def standing(ctx: Context, py: pd.DataFrame, reg: pd.DataFrame, year: int | None = None
             ) -> Result:
    """The region's value, the peer median and its rank in the peer group and nationally. A
    region with no complete APBD year in range (every year partial) gets a sentence saying so
    and no ranks (``facts["year"]`` None): its report shows what exists."""
    if year is None:
        try:
            year = reference_year(ctx, py)
        except ParameterError:
            have = sorted(py.loc[(py["region_code"] == ctx.region)
                                 & py["spending_outturn"].notna(), "year"].unique())
            return Result(ctx.t("peers.standing.standing_among_kab_kota"),
                          text=ctx.t("peers.standing.no_complete_year", span=ctx.span,
                                     years=", ".join(map(str, have)) or "–"),
                          facts={"year": None, "ranks": {}})
    rows, facts = [], {}
    for m in MEASURES:
        yr = year
        if m in ("ipm", "d_ipm"):   # IPM may end earlier than the budget data
            have = py.loc[(py["region_code"] == ctx.region) & py[m].notna(), "year"]
            have = have[have <= year]
            if have.empty:
                continue
            yr = int(have.max())
        cells = [_t(ctx, m), str(yr)]
        mine = py.loc[(py["region_code"] == ctx.region) & (py["year"] == yr), m]
        cells.append(fmt_value(ctx, m, mine.iloc[0] if len(mine) else np.nan))
        for g in ("peers", "national"):
            pf = peer_frame(ctx, py, g)
            r = ranks(pf, m)
            r = r[r["year"] == yr]
            med = r[m].median()
            hit = r[r["region_code"] == ctx.region]
            rk = f"{int(hit['rank'].iloc[0])} / {len(r)}" if len(hit) else fmt.MISSING
            cells += [fmt_value(ctx, m, med), rk]
            facts[(m, g)] = (int(hit["rank"].iloc[0]) if len(hit) else None, len(r), yr)
        rows.append(cells)
    gp, gn = group_name(ctx, "peers", reg), group_name(ctx, "national", reg)
    head = [ctx.t("peers.standing.measure"), ctx.t("peers.standing.year"), _name(reg, ctx.region),
            ctx.t("peers.standing.median", gp=gp), ctx.t("peers.standing.rank", gp=gp),
            ctx.t("peers.standing.national_median"), ctx.t("peers.standing.national_rank")]
    cap = ctx.t("peers.standing.rank_1_highest_value", year=year)
    name = _name(reg, ctx.region)
    sent = []
    for m in ("ipm", "share_modal", "share_pegawai", "realisation_rate"):
        for g, gname in (("peers", gp), ("national", gn)):
            rk, n, yr = facts.get((m, g), (None, 0, year))
            if rk:
                sent.append(ctx.t("peers.standing.rank_2", m=_t(ctx, m), yr=yr, rk=rk, n=n,
                                  gname=gname))
    text = f"**{name}** — " + " ".join(sent)
    return Result(ctx.t("peers.standing.standing_among_kab_kota"),
                  text=text, html=table_html(head, rows, ctx, cap, simulated=False),
                  data=pd.DataFrame(rows, columns=head),
                  facts={"year": year, "ranks": {f"{m}|{g}": v for (m, g), v in facts.items()}})


def _name(reg: pd.DataFrame, code: str) -> str:
    hit = reg.loc[reg["region_code"] == code, "name"]
    return str(hit.iloc[0]) if len(hit) else code


def rank_history(ctx: Context, py: pd.DataFrame, reg: pd.DataFrame) -> Result:
    """The region's rank per year in its peer group on every measure ('rank / n')."""
    pf = peer_frame(ctx, py, "peers")
    years = sorted(py["year"].unique())
    rows = []
    for m in MEASURES:
        r = ranks(pf, m)
        r = r[r["region_code"] == ctx.region].set_index("year")
        rows.append([_t(ctx, m)] + [f"{int(r.at[y, 'rank'])} / {int(r.at[y, 'n'])}"
                                    if y in r.index else fmt.MISSING for y in years])
    gp = group_name(ctx, "peers", reg)
    return Result(ctx.t("peers.rank_history.rank_per_year_among", gp=gp),
                  html=table_html([ctx.t("peers.standing.measure"), *map(str, years)], rows, ctx,
                                  ctx.t("peers.rank_history.no_data_or_partial"), simulated=False))


def distributions(ctx: Context, py: pd.DataFrame, reg: pd.DataFrame, year: int) -> Result:
    """One panel per measure: all kab/kota (grey), the peer group (blue), the region (red).
    Without a complete year (``year`` None) there is nothing to place the region in."""
    import matplotlib.pyplot as plt

    if year is None:
        return Result(ctx.t("peers.distributions.distribution_each_measure"),
                      text=ctx.t("peers.distributions.no_complete_year"))

    ms = list(MEASURES)
    ncol = 4
    nrow = -(-len(ms) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(12, 2.4 * nrow), layout="constrained")
    rng = np.random.default_rng(0)      # jitter only; fixed so pages are reproducible
    peers = set(ctx.options["peers"])
    for ax, m in zip(axes.flat, ms, strict=False):
        yr = year
        if m in ("ipm", "d_ipm"):
            have = py.loc[py[m].notna(), "year"]
            yr = int(min(year, have.max())) if len(have) else year
        d = py[(py["year"] == yr) & valid(py, m)]
        scale = 100.0 if MEASURES[m] in ("pct", "dlog") else 1e-12 \
            if m == "spending_outturn" else 1.0
        v = d[m] * scale
        ax.boxplot(v.dropna(), orientation="horizontal", widths=0.5, showfliers=False,
                   medianprops={"color": "#555555"})
        inp = d["region_code"].isin(peers)
        y = 1 + rng.uniform(-0.18, 0.18, len(d))
        ax.scatter(v[~inp], y[~inp.to_numpy()], s=4, color="#BBBBBB", lw=0)
        ax.scatter(v[inp], y[inp.to_numpy()], s=10, color="#0072B2", lw=0)
        me = d["region_code"] == ctx.region
        if me.any():
            ax.scatter(v[me], [1] * int(me.sum()), s=60, color="#D55E00", marker="D",
                       zorder=5)
        unit = {"pct": " (%)", "dlog": " (%)", "rp": ctx.t("peers.distributions.idr_trillion")}
        ax.set_title(f"{_t(ctx, m)}{unit.get(MEASURES[m], '')}\n{yr}", fontsize=8)
        ax.set_yticks([])
    for ax in list(axes.flat)[len(ms):]:
        ax.axis("off")
    gp = group_name(ctx, "peers", reg)
    fig.suptitle(ctx.t("peers.distributions.red_diamond_blue_all",
                       reg=_name(reg, ctx.region), gp=gp), fontsize=10)
    fig.text(0.01, 0.005, ctx.t("peers.distributions.sources_djpk_via_kpk"), fontsize=7)
    title = ctx.t("peers.distributions.distribution_each_measure")
    fig.set_label(f"{title}, {year}: {fig.get_suptitle()}")   # the image's alt text
    return Result(title, figures=[fig])


def trend(ctx: Context, py: pd.DataFrame, reg: pd.DataFrame,
          measures: Sequence[str] = ("ipm", "share_modal", "realisation_rate")) -> Result:
    """The region against the peer group's median and interquartile range, per year."""
    import matplotlib.pyplot as plt

    pf = peer_frame(ctx, py, "peers")
    fig, axes = plt.subplots(1, len(measures), figsize=(4 * len(measures), 3),
                             layout="constrained")
    for ax, m in zip(np.atleast_1d(axes), measures, strict=True):
        d = pf[valid(pf, m)]
        scale = 100.0 if MEASURES[m] in ("pct", "dlog") else 1.0
        q = d.groupby("year")[m].quantile([0.25, 0.5, 0.75]).unstack() * scale
        ax.fill_between(q.index, q[0.25], q[0.75], color="#0072B2", alpha=0.15, lw=0)
        ax.plot(q.index, q[0.5], color="#0072B2", lw=1.5)
        me = d[d["region_code"] == ctx.region].set_index("year")[m] * scale
        ax.plot(me.index, me.values, color="#D55E00", marker="o", lw=2)
        ax.set_title(_t(ctx, m), fontsize=9)
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    gp = group_name(ctx, "peers", reg)
    fig.suptitle(ctx.t("peers.trend.red_median_blue_band", reg=_name(reg, ctx.region), gp=gp), fontsize=10)
    title = ctx.t("peers.trend.paths_over_years")
    fig.set_label(f"{title} ({', '.join(_t(ctx, m) for m in measures)}): "
                  f"{fig.get_suptitle()}")   # the image's alt text
    return Result(title, figures=[fig])


# ---------------------------------------------------------------------------------- model


def model_frame(py: pd.DataFrame, years: tuple[int, int] | None = None) -> pd.DataFrame:
    """The pemda panel for the model: complete (not partial) kab/kota-years, shares in
    percentage points, real spending change in percent (100 x log change)."""
    d = py[py["partial"].fillna(True) == False].copy()  # noqa: E712
    if years:
        d = d[d["year"].between(*years)]
    out = pd.DataFrame({"pemda": d["region_code"], "year": d["year"].astype(int),
                        "d_ipm": d["d_ipm"], "ipm": d["ipm"],
                        "dlog_real_spending": 100 * d["dlog_real_spending"],
                        "realisation_rate": 100 * d["realisation_rate"]})
    for c in ("share_pegawai", "share_barang_jasa", "share_modal", "share_hibah_bansos",
              "share_btt", "share_transfer"):
        out[c] = 100 * d[c]
    return out.reset_index(drop=True)


def fit(frame: pd.DataFrame, formula: str):
    """pyfixest OLS with the formula's fixed effects, standard errors clustered by pemda."""
    import warnings

    import pyfixest as pf

    with warnings.catch_warnings():   # singletons: counted and said in the caption instead
        warnings.filterwarnings("ignore", message=".*singleton fixed effect")
        return pf.feols(formula, data=frame, vcov={"CRV1": "pemda"})


def singletons(frame: pd.DataFrame, formula: str) -> int:
    """Pemda with a single usable row for the formula (dropped by the fixed effects)."""
    used = [c for c in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", formula.split("|")[0])
            if c in frame.columns]
    d = frame.dropna(subset=used)
    return int((d.groupby("pemda").size() == 1).sum())


def tidy(model) -> pd.DataFrame:
    t = model.tidy().reset_index().rename(columns={
        "Coefficient": "term", "Estimate": "estimate", "Std. Error": "se",
        "Pr(>|t|)": "p", "2.5%": "ci_low", "97.5%": "ci_high"})
    t["n"] = int(model._N)
    t["n_pemda"] = int(model._data["pemda"].nunique()) if "pemda" in model._data else np.nan
    t["years"] = ",".join(str(y) for y in sorted(model._data["year"].unique()))
    return t[["term", "estimate", "se", "ci_low", "ci_high", "p", "n", "n_pemda", "years"]]


def association(ctx: Context, frame: pd.DataFrame, formula: str, sample: str) -> Result:
    """The model's coefficients with 95 % intervals (clustered by pemda) and n, in words."""
    model = fit(frame, formula)
    t = tidy(model)
    single = singletons(frame, formula)
    n, npd, yrs = int(t["n"].iloc[0]), int(t["n_pemda"].iloc[0]), t["years"].iloc[0]
    rows = [[r.term, ctx.num(r.estimate, 4), ctx.num(r.se, 4),
             f"[{ctx.num(r.ci_low, 4)}; {ctx.num(r.ci_high, 4)}]", ctx.num(r.p, 3)]
            for r in t.itertuples()]
    head = [ctx.t("peers.association.term"), ctx.t("peers.association.estimate"), "SE",
            ctx.t("peers.association.95_interval"), "p"]
    cap = ctx.t("peers.association.n_pemda_years_pemda", sample=sample, n=n, npd=npd,
                yrs=yrs, single=single)
    lines = []
    for r in t.itertuples():
        unit = ctx.t("peers.association.per_1_percentage_point") \
            if r.term.startswith("share_") else ctx.t("peers.association.per_1_real_change") \
            if r.term == "dlog_real_spending" else ctx.t("peers.association.per_unit")
        zero = r.ci_low <= 0 <= r.ci_high
        verdict = ctx.t("peers.association.interval_includes_zero_no") if zero else ctx.t("peers.association.interval_excludes_zero")
        lines.append(f"`{r.term}`: {ctx.num(r.estimate, 4)} "
                     f"[{ctx.num(r.ci_low, 4)}; {ctx.num(r.ci_high, 4)}] {unit}; {verdict}.")
    return Result(ctx.t("peers.association.association", sample=sample),
                  text=bullets(lines),
                  html=table_html(head, rows, ctx, cap, simulated=False), data=t,
                  facts={"n": n, "n_pemda": npd, "years": yrs, "singletons": single})


def caveats(ctx: Context, py: pd.DataFrame) -> Result:
    """The caveats, with the numbers that make them concrete."""
    d = py[py["d_ipm"].notna()]
    q = d["d_ipm"].quantile([0.1, 0.5, 0.9])
    part = py[py["partial"] == True].groupby("year").size()  # noqa: E712
    ptxt = ", ".join(f"{y}: {n}" for y, n in part.items()) or fmt.MISSING
    lines = [
        ctx.t("peers.caveats.ipm_moves_slowly_median", median=ctx.num(q[0.5]), p10=ctx.num(q[0.1]),
              p90=ctx.num(q[0.9])),
        ctx.t("peers.caveats.anggaran_whatever_budget_pemda"),
        ctx.t("peers.caveats.partial_pemda_years_outturn", ptxt=ptxt),
        ctx.t("peers.caveats.this_association_between_pemda"),
        ctx.t("peers.caveats.data_per_pemda_not"),
    ]
    return Result(ctx.t("peers.caveats.caveats"),
                  text=bullets(lines))


def conclusions(ctx: Context, stand: Result, *models: Result | None) -> Result:
    """Conclusions built from the computed ranks and model results."""
    lines = [stand.text]
    for m in models:
        if m is None or m.data is None:
            continue
        t = m.data
        f = m.facts
        parts = [f"`{r.term}` {ctx.num(r.estimate, 4)} [{ctx.num(r.ci_low, 4)}; "
                 f"{ctx.num(r.ci_high, 4)}]" for r in t.itertuples()]
        lines.append(ctx.t("peers.conclusions.n_pemda", title=m.title, n=f['n'],
                           n_pemda=f['n_pemda'])
                     + "; ".join(parts) + ".")
    return Result(ctx.t("peers.conclusions.conclusions"), text=bullets(lines))


MIN_MODEL_PEMDA = 20
"""A peer-group model needs at least this many pemda (else the section says why it is not run)."""


def group_association(ctx: Context, frame: pd.DataFrame, reg: pd.DataFrame) -> Result:
    """The same model on the peer group only, when it has enough pemda; None for 'national'."""
    if ctx.options["peer_group"] == "national":
        return Result(ctx.t("peers.group_association.association_peer_group"),
                      text=ctx.t("peers.group_association.peer_group_all_kab"))
    sub = frame[frame["pemda"].isin(ctx.options["peers"])]
    name = group_name(ctx, "peers", reg)
    k = sub["pemda"].nunique()
    if k < MIN_MODEL_PEMDA:
        return Result(ctx.t("peers.group_association.association", name=name), text=ctx.t("peers.group_association.not_estimated_only_pemda",
                                                                                     k=k,
                                                                                     MIN_MODEL_PEMDA=MIN_MODEL_PEMDA))
    return association(ctx, sub, ctx.options["formula"], name)


def check_public(data: dict[str, pd.DataFrame]) -> str:
    """Raise if any loaded table has a non-public row; return a one-line confirmation."""
    for name, df in data.items():
        if "provenance" in df and not df["provenance"].isin(["public", "user"]).all():
            raise ValueError(f"{name}: rows that are not public")
    n = sum(len(df) for df in data.values())
    return f"{n:,} rows checked: provenance public (or user-imported APBD years), none simulated"


# ---------------------------------------------------------------------------------- 2020


EVENT_YEAR = 2020
MIN_TREND_YEARS = 2


def change_vs_trend(py: pd.DataFrame, year: int = EVENT_YEAR) -> pd.DataFrame:
    """Per pemda: the real change in spending outturn in ``year`` (``dlog_real_spending``,
    needs the outturn of the year before), its own trend (the mean real change of its other
    complete years, at least ``MIN_TREND_YEARS``) and the deviation from that trend, in log
    points. Pemda without the year's change or without enough other years are left out."""
    d = py[py["dlog_real_spending"].notna() & (py["partial"].fillna(True) == False)]  # noqa: E712
    event = d[d["year"] == year].set_index("region_code")["dlog_real_spending"]
    other = d[d["year"] != year].groupby("region_code")["dlog_real_spending"]
    out = pd.DataFrame({"change": event, "trend": other.mean(), "n_trend_years": other.size()})
    out = out.dropna(subset=["change"])
    out = out[out["n_trend_years"] >= MIN_TREND_YEARS]
    out["deviation"] = out["change"] - out["trend"]
    out["n_trend_years"] = out["n_trend_years"].astype(int)
    return out.reset_index().sort_values("deviation").reset_index(drop=True)


def change_against_trend(ctx: Context, py: pd.DataFrame, reg: pd.DataFrame,
                         year: int = EVENT_YEAR) -> Result:
    """The region's real spending change in ``year`` against its own trend, ranked among its
    peers and all kab/kota, with the distribution of deviations (region marked)."""
    title = ctx.t("peers.change_against_trend.change_spending_against_each", year=year)
    if not (ctx.years[0] < year <= ctx.years[1]) or year - 1 not in set(py["year"]):
        have = sorted(set(py["year"]))
        return Result(title, text=ctx.t("peers.change_against_trend.not_measurable_yet_it",
                                        prev=year - 1, year=year, have=', '.join(map(str, have))))
    allc = change_vs_trend(py, year)
    peers_ = allc[allc["region_code"].isin(ctx.options["peers"])]
    me = allc[allc["region_code"] == ctx.region]
    name, gp = _name(reg, ctx.region), group_name(ctx, "peers", reg)
    rows, sent = [], []
    for label, frame in ((gp, peers_), (group_name(ctx, "national", reg), allc)):
        rank = (int(frame["deviation"].rank(method="min").loc[me.index[0]])
                if len(me) and me.index[0] in frame.index else None)
        rows.append([label, str(len(frame)), fmt_value(ctx, "dlog_real_spending",
                                                       frame["change"].median()),
                     fmt_value(ctx, "dlog_real_spending", frame["deviation"].median()),
                     f"{rank} / {len(frame)}" if rank else fmt.MISSING])
    if len(me):
        r = me.iloc[0]
        sent.append(ctx.t("peers.change_against_trend.real_change_own_trend", name=name,
                          year=year, change=fmt_value(ctx, 'dlog_real_spending', r['change']),
                          trend=fmt_value(ctx, 'dlog_real_spending', r['trend']),
                          n_trend_years=int(r['n_trend_years']),
                          deviation=fmt_value(ctx, 'dlog_real_spending', r['deviation'])))
    else:
        sent.append(ctx.t("peers.change_against_trend.has_no_change_or", name=name,
                          year=year))
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 2.8), layout="constrained")
    bins = np.linspace(allc["deviation"].min(), allc["deviation"].max(), 40) * 100
    ax.hist(allc["deviation"] * 100, bins=bins, color="#bbbbbb",
            label=ctx.t("peers.group_name.all_kab_kota"))
    ax.hist(peers_["deviation"] * 100, bins=bins, color="#0072B2", label=gp)
    if len(me):
        ax.axvline(me.iloc[0]["deviation"] * 100, color="#D55E00", lw=2, label=name)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(ctx.t("peers.change_against_trend.real_change_minus_own", year=year))
    ax.set_ylabel(ctx.t("peers.change_against_trend.number_kab_kota"))
    ax.legend(fontsize=8, frameon=False)
    head = [ctx.t("peers.change_against_trend.group"), "n", ctx.t("peers.change_against_trend.median_change",
                                                   year=year),
            ctx.t("peers.change_against_trend.median_deviation_from_trend"),
            ctx.t("peers.change_against_trend.rank", name=name)]
    cap = ctx.t("peers.change_against_trend.own_trend_mean_real")
    return Result(title, text=" ".join(sent), html=table_html(head, rows, ctx, cap,
                                                             simulated=False),
                  figures=[fig], data=allc)
