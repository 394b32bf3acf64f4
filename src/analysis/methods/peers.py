"""What the peers notebook (``notebooks/6.0-peers.ipynb``) shows: a pemda among its peers.

Public data only (the ``pemda*`` tables of :mod:`analysis.data.national`): every function refuses
rows whose provenance is ``simulated``. The sections follow the analysis.publish.explore pattern: each
returns an :class:`analysis.publish.explore.Result` with sentences built from the computed numbers,
figures and an HTML table (names from the data are escaped, never used as code or paths).

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
from analysis.publish.explore import Context, ParameterError, Result, esc, table_html

# measure -> (Indonesian label, English label, format)
MEASURES: dict[str, tuple[str, str, str]] = {
    "spending_outturn": ("Realisasi belanja + transfer", "Spending outturn (incl. transfers)",
                         "rp"),
    "realisation_rate": ("Tingkat realisasi", "Realisation rate", "pct"),
    "share_pegawai": ("Porsi belanja pegawai", "Share personnel", "pct"),
    "share_barang_jasa": ("Porsi barang dan jasa", "Share goods and services", "pct"),
    "share_modal": ("Porsi belanja modal", "Share capital", "pct"),
    "share_hibah_bansos": ("Porsi hibah + bansos", "Share grants + social aid", "pct"),
    "share_btt": ("Porsi BTT", "Share contingency (BTT)", "pct"),
    "share_transfer": ("Porsi transfer", "Share transfers", "pct"),
    "dlog_real_spending": ("Perubahan riil belanja", "Real change in spending", "dlog"),
    "ipm": ("IPM", "HDI (IPM)", "num"),
    "d_ipm": ("Perubahan IPM (poin)", "Change in IPM (points)", "num"),
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
    i, e, _ = MEASURES[key]
    return i if ctx.lang == "id" else e


def fmt_value(ctx: Context, key: str, x) -> str:
    kind = MEASURES[key][2]
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
    head = [ctx.t("sumber", "source"), ctx.t("baris", "rows")]
    return Result(ctx.t("Sumber data", "Data sources"), html=table_html(
        head, rows, ctx, ctx.t("Semua angka di notebook ini nyata dan publik (provenance "
                               "public).", "Every number in this notebook is real and public "
                               "(provenance public)."), simulated=False))


def peer_frame(ctx: Context, py: pd.DataFrame, group: str) -> pd.DataFrame:
    """Rows of the peer group (``"peers"``: the parameter's group; ``"national"``: all)."""
    if group == "national":
        return py
    return py[py["region_code"].isin(ctx.options["peers"])]


def group_name(ctx: Context, group: str, reg: pd.DataFrame) -> str:
    if group == "national":
        return ctx.t("semua kab/kota", "all kab/kota")
    pg = ctx.options["peer_group"]
    if pg == "province":
        prov = reg.loc[reg["region_code"] == ctx.region, "province"].iloc[0]
        return ctx.t(f"kab/kota {prov}", f"kab/kota of {prov}")
    if pg == "national":
        return ctx.t("semua kab/kota", "all kab/kota")
    return ctx.t("kelompok pilihan", "chosen group")


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
    """The region's value, the peer median and its rank in the peer group and nationally."""
    year = year or reference_year(ctx, py)
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
    head = [ctx.t("ukuran", "measure"), ctx.t("tahun", "year"), _name(reg, ctx.region),
            ctx.t(f"median {gp}", f"median {gp}"), ctx.t(f"peringkat {gp}", f"rank {gp}"),
            ctx.t("median nasional", "national median"), ctx.t("peringkat nasional",
                                                               "national rank")]
    cap = ctx.t(f"Peringkat 1 = nilai tertinggi. Tahun acuan {year}: tahun lengkap terakhir "
                "(tahun parsial tidak diberi peringkat pada ukuran anggaran).",
                f"Rank 1 = highest value. Reference year {year}: the last complete year "
                "(partial pemda-years are not ranked on budget measures).")
    name = _name(reg, ctx.region)
    sent = []
    for m in ("ipm", "share_modal", "share_pegawai", "realisation_rate"):
        for g, gname in (("peers", gp), ("national", gn)):
            rk, n, yr = facts.get((m, g), (None, 0, year))
            if rk:
                sent.append(ctx.t(f"{_t(ctx, m)} {yr}: peringkat {rk} dari {n} {gname}.",
                                  f"{_t(ctx, m)} {yr}: rank {rk} of {n} {gname}."))
    text = f"**{esc(name)}** — " + " ".join(sent)
    return Result(ctx.t("Posisi di antara kab/kota lain", "Standing among kab/kota"),
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
    return Result(ctx.t(f"Peringkat per tahun di antara {gp}", f"Rank per year among {gp}"),
                  html=table_html([ctx.t("ukuran", "measure"), *map(str, years)], rows, ctx,
                                  ctx.t("– : tidak ada data atau tahun parsial.",
                                        "– : no data or a partial year."), simulated=False))


def distributions(ctx: Context, py: pd.DataFrame, reg: pd.DataFrame, year: int) -> Result:
    """One panel per measure: all kab/kota (grey), the peer group (blue), the region (red)."""
    import matplotlib.pyplot as plt

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
        scale = 100.0 if MEASURES[m][2] in ("pct", "dlog") else 1e-12 \
            if m == "spending_outturn" else 1.0
        v = d[m] * scale
        ax.boxplot(v.dropna(), vert=False, widths=0.5, showfliers=False,
                   medianprops={"color": "#555555"})
        inp = d["region_code"].isin(peers)
        y = 1 + rng.uniform(-0.18, 0.18, len(d))
        ax.scatter(v[~inp], y[~inp.to_numpy()], s=4, color="#BBBBBB", lw=0)
        ax.scatter(v[inp], y[inp.to_numpy()], s=10, color="#0072B2", lw=0)
        me = d["region_code"] == ctx.region
        if me.any():
            ax.scatter(v[me], [1] * int(me.sum()), s=60, color="#D55E00", marker="D",
                       zorder=5)
        unit = {"pct": " (%)", "dlog": " (%)", "rp": ctx.t(" (Rp triliun)", " (IDR trillion)")}
        ax.set_title(f"{_t(ctx, m)}{unit.get(MEASURES[m][2], '')}\n{yr}", fontsize=8)
        ax.set_yticks([])
    for ax in list(axes.flat)[len(ms):]:
        ax.axis("off")
    gp = group_name(ctx, "peers", reg)
    fig.suptitle(ctx.t(f"{_name(reg, ctx.region)} (belah ketupat merah), {gp} (biru), semua "
                       "kab/kota (abu-abu; kotak = kuartil)",
                       f"{_name(reg, ctx.region)} (red diamond), {gp} (blue), all kab/kota "
                       "(grey; box = quartiles)"), fontsize=10)
    fig.text(0.01, 0.005, ctx.t("Sumber: DJPK via KPK JAGA (APBD), BPS (IPM).",
                                "Sources: DJPK via KPK JAGA (APBD), BPS (IPM)."), fontsize=7)
    return Result(ctx.t("Sebaran per ukuran", "Distribution of each measure"), figures=[fig])


def trend(ctx: Context, py: pd.DataFrame, reg: pd.DataFrame,
          measures: Sequence[str] = ("ipm", "share_modal", "realisation_rate")) -> Result:
    """The region against the peer group's median and interquartile range, per year."""
    import matplotlib.pyplot as plt

    pf = peer_frame(ctx, py, "peers")
    fig, axes = plt.subplots(1, len(measures), figsize=(4 * len(measures), 3),
                             layout="constrained")
    for ax, m in zip(np.atleast_1d(axes), measures, strict=True):
        d = pf[valid(pf, m)]
        scale = 100.0 if MEASURES[m][2] in ("pct", "dlog") else 1.0
        q = d.groupby("year")[m].quantile([0.25, 0.5, 0.75]).unstack() * scale
        ax.fill_between(q.index, q[0.25], q[0.75], color="#0072B2", alpha=0.15, lw=0)
        ax.plot(q.index, q[0.5], color="#0072B2", lw=1.5)
        me = d[d["region_code"] == ctx.region].set_index("year")[m] * scale
        ax.plot(me.index, me.values, color="#D55E00", marker="o", lw=2)
        ax.set_title(_t(ctx, m), fontsize=9)
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    gp = group_name(ctx, "peers", reg)
    fig.suptitle(ctx.t(f"{_name(reg, ctx.region)} (merah) dan median {gp} (biru, pita = "
                       "kuartil)", f"{_name(reg, ctx.region)} (red) and the median of {gp} "
                       "(blue, band = quartiles)"), fontsize=10)
    return Result(ctx.t("Lintasan per tahun", "Paths over the years"), figures=[fig])


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
    head = [ctx.t("variabel", "term"), ctx.t("koefisien", "estimate"), "SE",
            ctx.t("interval 95%", "95% interval"), "p"]
    cap = ctx.t(f"{sample}: n = {n} pemda-tahun, {npd} pemda, tahun {yrs}; efek tetap pemda "
                f"dan tahun; SE di-cluster per pemda (pyfixest CRV1); {single} pemda dengan "
                "satu tahun saja tidak ikut.",
                f"{sample}: n = {n} pemda-years, {npd} pemda, years {yrs}; pemda and year "
                f"fixed effects; SE clustered by pemda (pyfixest CRV1); {single} pemda with a "
                "single year drop out.")
    lines = []
    for r in t.itertuples():
        unit = ctx.t("per 1 poin persen porsi", "per 1 percentage point of share") \
            if r.term.startswith("share_") else ctx.t("per 1% perubahan riil", "per 1% real "
                                                      "change") \
            if r.term == "dlog_real_spending" else ctx.t("per satuan", "per unit")
        zero = r.ci_low <= 0 <= r.ci_high
        verdict = ctx.t("interval mencakup nol: tidak ada asosiasi yang dapat dibedakan dari "
                        "nol", "the interval includes zero: no association distinguishable "
                        "from zero") if zero else ctx.t("interval tidak mencakup nol",
                                                        "the interval excludes zero")
        lines.append(f"`{esc(r.term)}`: {ctx.num(r.estimate, 4)} "
                     f"[{ctx.num(r.ci_low, 4)}; {ctx.num(r.ci_high, 4)}] {unit}; {verdict}.")
    return Result(ctx.t(f"Asosiasi: {sample}", f"Association: {sample}"),
                  text="\n".join(f"- {s}" for s in lines),
                  html=table_html(head, rows, ctx, cap, simulated=False), data=t,
                  facts={"n": n, "n_pemda": npd, "years": yrs, "singletons": single})


def caveats(ctx: Context, py: pd.DataFrame) -> Result:
    """The caveats, with the numbers that make them concrete."""
    d = py[py["d_ipm"].notna()]
    q = d["d_ipm"].quantile([0.1, 0.5, 0.9])
    part = py[py["partial"] == True].groupby("year").size()  # noqa: E712
    ptxt = ", ".join(f"{y}: {n}" for y, n in part.items()) or fmt.MISSING
    lines = [
        ctx.t(f"IPM bergerak lambat: perubahan tahunan median {ctx.num(q[0.5])} poin (10–90%: "
              f"{ctx.num(q[0.1])} sampai {ctx.num(q[0.9])}); dengan beberapa tahun per pemda, "
              "variasi di dalam pemda kecil dan interval lebar.",
              f"IPM moves slowly: median yearly change {ctx.num(q[0.5])} points (10–90%: "
              f"{ctx.num(q[0.1])} to {ctx.num(q[0.9])}); with a few years per pemda, the "
              "within-pemda variation is small and intervals are wide."),
        ctx.t("`Anggaran` adalah anggaran terakhir yang dilaporkan pemda: untuk sebagian "
              "pemda-tahun APBD murni, untuk yang lain APBD perubahan. Tingkat realisasi bukan "
              "realisasi / APBD murni.",
              "`Anggaran` is whatever budget the pemda last filed: the original (murni) APBD "
              "for some pemda-years, the revised one for others. The realisation rate is not "
              "outturn / original budget."),
        ctx.t(f"Pemda-tahun parsial (realisasi < 80% anggaran, atau tahun berjalan) tidak "
              f"diberi peringkat dan tidak masuk model: {ptxt}.",
              f"Partial pemda-years (outturn < 80% of budget, or the current year) are not "
              f"ranked and not in the model: {ptxt}."),
        ctx.t("Ini asosiasi antar pemda, bukan sebab-akibat: pemda yang menambah belanja modal "
              "berbeda dalam banyak hal lain yang berubah dari tahun ke tahun.",
              "This is association between pemda, not causation: pemda that raise capital "
              "spending differ in many other ways that change from year to year."),
        ctx.t("Data per pemda, bukan per OPD; tidak ada data simulasi di notebook ini.",
              "Data are per pemda, not per OPD; no simulated data appear in this notebook."),
    ]
    return Result(ctx.t("Catatan kehati-hatian", "Caveats"),
                  text="\n".join(f"- {s}" for s in lines))


def conclusions(ctx: Context, stand: Result, *models: Result | None) -> Result:
    """Conclusions built from the computed ranks and model results."""
    lines = [stand.text]
    for m in models:
        if m is None or m.data is None:
            continue
        t = m.data
        f = m.facts
        parts = [f"`{esc(r.term)}` {ctx.num(r.estimate, 4)} [{ctx.num(r.ci_low, 4)}; "
                 f"{ctx.num(r.ci_high, 4)}]" for r in t.itertuples()]
        lines.append(ctx.t(f"{m.title} (n = {f['n']}, {f['n_pemda']} pemda): ",
                           f"{m.title} (n = {f['n']}, {f['n_pemda']} pemda): ")
                     + "; ".join(parts) + ".")
    return Result(ctx.t("Kesimpulan", "Conclusions"), text="\n".join(f"- {s}" for s in lines))


MIN_MODEL_PEMDA = 20
"""A peer-group model needs at least this many pemda (else the section says why it is not run)."""


def group_association(ctx: Context, frame: pd.DataFrame, reg: pd.DataFrame) -> Result:
    """The same model on the peer group only, when it has enough pemda; None for 'national'."""
    if ctx.options["peer_group"] == "national":
        return Result(ctx.t("Asosiasi: kelompok pembanding", "Association: peer group"),
                      text=ctx.t("Kelompok pembanding = semua kab/kota: lihat model di atas.",
                                 "The peer group is all kab/kota: see the model above."))
    sub = frame[frame["pemda"].isin(ctx.options["peers"])]
    name = group_name(ctx, "peers", reg)
    k = sub["pemda"].nunique()
    if k < MIN_MODEL_PEMDA:
        return Result(ctx.t(f"Asosiasi: {name}", f"Association: {name}"), text=ctx.t(
            f"Tidak diestimasi: hanya {k} pemda (minimal {MIN_MODEL_PEMDA}).",
            f"Not estimated: only {k} pemda (at least {MIN_MODEL_PEMDA} needed)."))
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
    title = ctx.t(f"Perubahan belanja {year} terhadap tren sendiri",
                  f"The {year} change in spending against each pemda's own trend")
    if not (ctx.years[0] < year <= ctx.years[1]) or year - 1 not in set(py["year"]):
        have = sorted(set(py["year"]))
        return Result(title, text=ctx.t(
            f"Belum dapat diukur: perlu realisasi {year - 1} dan {year} per kab/kota (tahun "
            f"dalam data: {', '.join(map(str, have))}). File DJPK `data_apbd_kabkota_level3-"
            f"{year - 1}.csv` dan `-{year}.csv` dapat diimpor dengan `python -m analysis import "
            f"apbd-kabkota FILE ...`; lalu jalankan notebook dengan `years` mulai {year - 1}.",
            f"Not measurable yet: it needs the {year - 1} and {year} outturn of every kab/kota "
            f"(years in the data: {', '.join(map(str, have))}). The DJPK files "
            f"`data_apbd_kabkota_level3-{year - 1}.csv` and `-{year}.csv` can be imported with "
            f"`python -m analysis import apbd-kabkota FILE ...`; then run this notebook with "
            f"`years` starting in {year - 1}."))
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
        sent.append(ctx.t(
            f"**{esc(name)}**: perubahan riil {year} {fmt_value(ctx, 'dlog_real_spending', r['change'])}"
            f", tren sendiri {fmt_value(ctx, 'dlog_real_spending', r['trend'])} per tahun "
            f"(rata-rata {int(r['n_trend_years'])} tahun lain), selisih "
            f"{fmt_value(ctx, 'dlog_real_spending', r['deviation'])}; peringkat 1 = "
            "penurunan terdalam terhadap tren.",
            f"**{esc(name)}**: real change in {year} "
            f"{fmt_value(ctx, 'dlog_real_spending', r['change'])}, own trend "
            f"{fmt_value(ctx, 'dlog_real_spending', r['trend'])} a year (mean of "
            f"{int(r['n_trend_years'])} other years), deviation "
            f"{fmt_value(ctx, 'dlog_real_spending', r['deviation'])}; rank 1 = the deepest "
            "fall against trend."))
    else:
        sent.append(ctx.t(f"{esc(name)} tidak memiliki perubahan {year} atau cukup tahun lain.",
                          f"{esc(name)} has no {year} change or too few other years."))
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 2.8), layout="constrained")
    bins = np.linspace(allc["deviation"].min(), allc["deviation"].max(), 40) * 100
    ax.hist(allc["deviation"] * 100, bins=bins, color="#bbbbbb",
            label=ctx.t("semua kab/kota", "all kab/kota"))
    ax.hist(peers_["deviation"] * 100, bins=bins, color="#0072B2", label=gp)
    if len(me):
        ax.axvline(me.iloc[0]["deviation"] * 100, color="#D55E00", lw=2, label=name)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(ctx.t(f"perubahan riil {year} dikurangi tren sendiri (poin log × 100)",
                        f"real change in {year} minus own trend (log points × 100)"))
    ax.set_ylabel(ctx.t("jumlah kab/kota", "number of kab/kota"))
    ax.legend(fontsize=8, frameon=False)
    head = [ctx.t("kelompok", "group"), "n", ctx.t(f"median perubahan {year}",
                                                  f"median {year} change"),
            ctx.t("median selisih dari tren", "median deviation from trend"),
            ctx.t(f"peringkat {name}", f"rank of {name}")]
    cap = ctx.t("Tren sendiri: rata-rata perubahan riil tahun lengkap lain dari pemda yang sama "
                "(bukan prakiraan). Data publik DJPK; tahun yang diimpor ditandai provenance "
                "user.", "Own trend: the mean real change of the same pemda's other complete "
                "years (not a forecast). Public DJPK data; imported years carry provenance "
                "user.")
    return Result(title, text=" ".join(sent), html=table_html(head, rows, ctx, cap,
                                                             simulated=False),
                  figures=[fig], data=allc)
