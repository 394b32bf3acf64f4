"""What the peers notebook (``notebooks/6.0-peers.ipynb``) and the per-pemda reports
(``notebooks/reports/pemda_report.ipynb``) show: a pemda among its peers.

The numbers are computed by :mod:`analysis.methods.peers` (peer groups, ranks, distributions,
the 2020 change against each pemda's own trend; the association model is fitted in view by
notebook 6.0 with :func:`analysis.methods.fit.fit`); this module words and draws them. Public data only (the ``pemda*`` tables of
:mod:`analysis.data.national`): :func:`load` refuses rows whose provenance is ``simulated``.
The sections follow the analysis.publish.explore pattern: each returns an
:class:`analysis.publish.explore.Result` with sentences built from the computed numbers,
figures and an HTML table (names from the data are escaped by the table template and by
:func:`analysis.publish.explore.show`, never used as code or paths); every word is in the
catalog (``narrative/words/peers.toml``).

- :func:`validate_params` checks region, peer group, years, language and the model formula;
- :func:`standing`: ranks of the region on every measure in one year, in its peer group and
  among all kab/kota;
- :func:`rank_history`: its rank per year;
- :func:`distributions`: one panel per measure, the peer group's values with the region marked;
- :func:`association`, :func:`group_association`: the words and formatted table of the
  two-way fixed-effects model the notebook fits in view (its tidy result, 95 % intervals, n).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.data import store
from analysis.methods import peers as calc
from analysis.methods.peers import (
    DEFAULT_FORMULA,
    EVENT_YEAR,
    MEASURES,
    MIN_MODEL_PEMDA,
    MODEL_COLUMNS,
    PEER_GROUPS,
)
from analysis.narrative import fmt
from analysis.publish import params as checks
from analysis.publish import plots
from analysis.publish.explore import Context, ParameterError, Result, bullets, table_html


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
    checks.check_lang(lang)
    dd = str(data_dir) if data_dir else None
    reg = store.load_table("pemda", dd)
    kab = reg[reg["kind"] != "provinsi"]
    codes = sorted(kab["region_code"])
    if not isinstance(region, str):
        raise ParameterError(f"region must be a text code like '33.25' (quoted; papermill: "
                             f"-y 'region: \"33.26\"'); got {region!r}")
    checks.check_known(region, codes, "region",
                       tail=": a kab/kota Kemendagri code of the pemda table, e.g. 33.25")
    if isinstance(peer_group, str):
        checks.check_known(peer_group, PEER_GROUPS, "peer_group", suggest=False,
                           tail="; allowed: province, national, or a list of kab/kota codes")
    elif isinstance(peer_group, list | tuple) and peer_group:
        bad = [c for c in peer_group if c not in codes]
        if bad:
            raise ParameterError(f"unknown kab/kota code(s) in peer_group: "
                                 f"{', '.join(map(repr, bad))}")
        if len(set(peer_group) | {region}) < 3:
            raise ParameterError("peer_group as a list needs at least two other kab/kota")
    else:
        raise ParameterError(f"peer_group must be 'province', 'national' or a list of codes; "
                             f"got {peer_group!r}")
    peers = calc.peer_group_codes(kab, region, peer_group)
    py = store.load_table("pemda_year", dd)
    py = py[py["kind"] != "provinsi"]
    have = py.loc[py["spending_outturn"].notna() | py["ipm"].notna(), "year"]
    y0, y1 = checks.check_years(
        years, int(have.min()), int(have.max()), "the pemda panel", min_years=2,
        rule="allowed any increasing [first, last] of at least two years")
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
    return calc.peer_rows(py, ctx.options["peers"], group)


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


def reference_year(ctx: Context, py: pd.DataFrame) -> int:
    """The last year in range where the region's finance row is complete (not partial)."""
    year = calc.reference_year(py, ctx.region)
    if year is None:
        raise ParameterError(f"region {ctx.region} has no complete APBD year in {ctx.span}")
    return year


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
    table = calc.standing_table(py, ctx.region, ctx.options["peers"], year)
    rows, facts = [], {}
    for (m, yr), g in table.groupby(["measure", "year"], sort=False):
        cells = [_t(ctx, m), str(yr), fmt_value(ctx, m, g["value"].iloc[0])]
        for r in g.itertuples():
            rk = f"{r.rank} / {r.n}" if r.rank is not None else fmt.MISSING
            cells += [fmt_value(ctx, m, r.median), rk]
            facts[(m, r.group)] = (r.rank, int(r.n), int(yr))
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
                sent.append(ctx.t("peers.standing.rank_sentence", m=_t(ctx, m), yr=yr, rk=rk, n=n,
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
    hist = calc.rank_history_table(py, ctx.region, ctx.options["peers"])
    years = sorted(py["year"].unique())
    rows = []
    for m in MEASURES:
        r = hist[hist["measure"] == m].set_index("year")
        rows.append([_t(ctx, m)] + [f"{r.at[y, 'rank']} / {r.at[y, 'n']}"
                                    if y in r.index else fmt.MISSING for y in years])
    gp = group_name(ctx, "peers", reg)
    return Result(ctx.t("peers.rank_history.rank_per_year_among", gp=gp),
                  html=table_html([ctx.t("peers.standing.measure"), *map(str, years)], rows, ctx,
                                  ctx.t("peers.rank_history.no_data_or_partial"), simulated=False))


def _scale(m: str) -> float:
    """Display scale of a measure: percent for shares and changes, trillions of rupiah."""
    return 100.0 if MEASURES[m] in ("pct", "dlog") else 1e-12 \
        if m == "spending_outturn" else 1.0


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
    fig, axes = plt.subplots(nrow, ncol, figsize=(10.5, 2.5 * nrow), layout="constrained")
    rng = np.random.default_rng(0)      # jitter only; fixed so pages are reproducible
    peers = set(ctx.options["peers"])
    for ax, m in zip(axes.flat, ms, strict=False):
        yr, d = calc.distribution(py, m, year)
        v = d[m] * _scale(m)
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
        # wrapped: a long measure name never runs into the next panel's title
        ax.set_title(textwrap.fill(f"{_t(ctx, m)}{unit.get(MEASURES[m], '')}", 30) + f"\n{yr}",
                     fontsize=9)
        ax.set_yticks([])
    for ax in list(axes.flat)[len(ms):]:
        ax.axis("off")
    gp = group_name(ctx, "peers", reg)
    fig.suptitle(ctx.t("peers.distributions.red_diamond_blue_all",
                       reg=_name(reg, ctx.region), gp=gp), fontsize=10)
    # a supxlabel, not fig.text: the layout keeps room for it below the tick labels
    fig.supxlabel(ctx.t("peers.distributions.sources_djpk_via_kpk"), x=0.01, ha="left",
                  fontsize=8, color="#444444")
    title = ctx.t("peers.distributions.distribution_each_measure")
    fig.set_label(f"{title}, {year}: {fig.get_suptitle()}")   # the image's alt text
    return Result(title, figures=[fig])


def trend(ctx: Context, py: pd.DataFrame, reg: pd.DataFrame,
          measures: Sequence[str] = ("ipm", "share_modal", "realisation_rate")) -> Result:
    """The region against the peer group's median and interquartile range, per year."""
    import matplotlib.pyplot as plt

    pf = peer_frame(ctx, py, "peers")
    fig, axes = plt.subplots(1, len(measures), figsize=(3.5 * len(measures), 3),
                             layout="constrained")
    for ax, m in zip(np.atleast_1d(axes), measures, strict=True):
        scale = 100.0 if MEASURES[m] in ("pct", "dlog") else 1.0
        q = calc.peer_band(pf, m) * scale
        ax.fill_between(q.index, q[0.25], q[0.75], color="#0072B2", alpha=0.15, lw=0)
        ax.plot(q.index, q[0.5], color="#0072B2", lw=1.5)
        me = calc.region_series(pf, m, ctx.region) * scale
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


def association(ctx: Context, t: pd.DataFrame, frame: pd.DataFrame, formula: str,
                sample: str) -> Result:
    """The words and the formatted table of a fitted association model: ``t`` is the tidy
    result (:func:`analysis.methods.fit.tidy`) of ``fit(formula, frame, vcov={"CRV1":
    "pemda"})``, which the notebook fits and shows itself; ``frame`` counts the pemda with a
    single usable year (dropped by the fixed effects) for the caption."""
    single = calc.singletons(frame, formula)
    n, npd = int(t["n"].iloc[0]), int(t["n_clusters"].iloc[0])
    yrs = f"{int(t['year_first'].iloc[0])}\u2013{int(t['year_last'].iloc[0])}"
    rows = [[r.term, ctx.num(r.estimate, 4), ctx.num(r.std_error, 4),
             f"[{ctx.num(r.ci_low, 4)}; {ctx.num(r.ci_high, 4)}]", ctx.num(r.p_value, 3)]
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
        verdict = ctx.t("peers.association.includes_zero") if zero else ctx.t("peers.association.interval_excludes_zero")
        lines.append(f"`{r.term}`: {ctx.num(r.estimate, 4)} "
                     f"[{ctx.num(r.ci_low, 4)}; {ctx.num(r.ci_high, 4)}] {unit}; {verdict}.")
    return Result(ctx.t("peers.association.association", sample=sample),
                  text=bullets(lines),
                  html=table_html(head, rows, ctx, cap, simulated=False), data=t,
                  facts={"n": n, "n_pemda": npd, "years": yrs, "singletons": single})


def caveats(ctx: Context, py: pd.DataFrame) -> Result:
    """The caveats, with the numbers that make them concrete."""
    c = calc.caveat_numbers(py)
    ptxt = ", ".join(f"{y}: {n}" for y, n in c["partial"].items()) or fmt.MISSING
    lines = [
        ctx.t("peers.caveats.ipm_moves_slowly_median", median=ctx.num(c["median"]),
              p10=ctx.num(c["p10"]), p90=ctx.num(c["p90"])),
        ctx.t("peers.caveats.anggaran_last_filed_budget"),
        ctx.t("peers.caveats.partial_pemda_years_outturn", ptxt=ptxt),
        ctx.t("peers.caveats.this_association_between_pemda"),
        ctx.t("peers.caveats.per_pemda_not_simulated"),
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


def group_association(ctx: Context, t: pd.DataFrame, frame: pd.DataFrame,
                      reg: pd.DataFrame) -> Result:
    """The words of the same model on the peer group only (rows ``frame``; ``t`` its tidy
    result, empty when it was not fitted): why it was not fitted (the peer group is all
    kab/kota, or it has fewer than :data:`MIN_MODEL_PEMDA` pemda), else :func:`association`."""
    if ctx.options["peer_group"] == "national":
        return Result(ctx.t("peers.group_association.association_peer_group"),
                      text=ctx.t("peers.group_association.peer_group_all_kab"))
    name = group_name(ctx, "peers", reg)
    if t.empty:
        return Result(ctx.t("peers.group_association.association", name=name),
                      text=ctx.t("peers.group_association.not_estimated_only_pemda",
                                 k=frame["pemda"].nunique(), MIN_MODEL_PEMDA=MIN_MODEL_PEMDA))
    return association(ctx, t, frame, ctx.options["formula"], name)


# ---------------------------------------------------------------------------------- 2020


def change_against_trend(ctx: Context, py: pd.DataFrame, reg: pd.DataFrame,
                         year: int = EVENT_YEAR) -> Result:
    """The region's real spending change in ``year`` against its own trend, ranked among its
    peers and all kab/kota, with the distribution of deviations (region marked)."""
    title = ctx.t("peers.change_against_trend.change_spending_against_each", year=year)
    if not (ctx.years[0] < year <= ctx.years[1]) or year - 1 not in set(py["year"]):
        have = sorted(set(py["year"]))
        return Result(title, text=ctx.t("peers.change_against_trend.not_measurable_yet",
                                        prev=year - 1, year=year, have=', '.join(map(str, have))))
    allc = calc.change_vs_trend(py, year)
    peers_ = allc[allc["region_code"].isin(ctx.options["peers"])]
    me = allc[allc["region_code"] == ctx.region]
    name, gp = _name(reg, ctx.region), group_name(ctx, "peers", reg)
    summary = calc.change_summary(allc, ctx.region, ctx.options["peers"])
    labels = {"peers": gp, "national": group_name(ctx, "national", reg)}
    rows, sent = [], []
    for s in summary.itertuples():
        rows.append([labels[s.group], str(s.n),
                     fmt_value(ctx, "dlog_real_spending", s.median_change),
                     fmt_value(ctx, "dlog_real_spending", s.median_deviation),
                     f"{s.rank} / {s.n}" if s.rank else fmt.MISSING])
    if len(me):
        r = me.iloc[0]
        sent.append(ctx.t("peers.change_against_trend.real_change_own_trend", name=name,
                          year=year, change=fmt_value(ctx, 'dlog_real_spending', r['change']),
                          trend=fmt_value(ctx, 'dlog_real_spending', r['trend']),
                          n_trend_years=int(r['n_trend_years']),
                          deviation=fmt_value(ctx, 'dlog_real_spending', r['deviation'])))
    else:
        sent.append(ctx.t("peers.change_against_trend.no_change_for_pemda", name=name,
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
