"""Notebook parameters (Context, validate_params), loading of processed tables, results and their display (Result, show, table_html, banner, caveats), public-row guards.

Everything the research notebooks (``notebooks/*.ipynb``) show, so the notebooks stay thin.

Each notebook has a ``parameters`` cell (papermill) and then calls, in order:

1. :func:`validate_params` -> a :class:`Context` (language, region, years, unit, options),
   raising :class:`ParameterError` (a ``ValueError``) that lists what is allowed (the checks
   of :mod:`analysis.publish.params`, shared with the reports and the presentation);
2. :func:`load` -> the processed tables it needs, sliced to the region and years;
3. one function per section, each returning a :class:`Result`: a title, sentences built from
   the computed numbers, figures and an HTML table; :func:`show` displays it.

Rules kept here, not in the notebooks:

* every sentence is built from computed results, in Bahasa Indonesia or English
  (``ctx.lang``), words from :mod:`analysis.narrative.labels`, numbers from :mod:`analysis.narrative.fmt`;
* every figure drawn from simulated rows is made by :mod:`analysis.publish.plots` with the simulated
  mark, and every table from simulated rows has the simulated banner in its caption;
* the public-record helpers (``public_*``) refuse any row whose provenance is not ``public``
  (:class:`SimulatedDataError`), so notebook 4.0 cannot show a simulated number;
* nothing depends on the working directory: paths come from :mod:`analysis.config` and the
  ``data_dir`` parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import config
from analysis.data import store
from analysis.narrative import catalog, fmt
from analysis.narrative.labels import label
from analysis.publish import markup, plots
from analysis.publish import params as checks
from analysis.publish.display import show_figures, show_results
from analysis.publish.params import ParameterError


class SimulatedDataError(ValueError):
    """A public-record helper was given rows that are not public (simulated or user data)."""


@dataclass(frozen=True)
class Context:
    """Validated notebook parameters."""

    data_dir: str | None
    region: str
    years: tuple[int, int]
    lang: str
    unit_id: str | None = None
    options: dict = field(default_factory=dict)

    def t(self, key: str, /, **values: object) -> str:
        """The catalog text of ``key`` in the notebook's language, its placeholders filled
        from ``values`` (:func:`analysis.narrative.catalog.text`)."""
        return catalog.text(key, self.lang, **values)

    def label(self, key: str) -> str:
        return label(key, self.lang, default=key)

    def pct(self, x, digits: int = 1) -> str:
        return fmt.percent(x, self.lang, digits)

    def num(self, x, digits: int = 2) -> str:
        return fmt.number(x, self.lang, digits)

    def rp(self, x) -> str:
        return fmt.rupiah(x, self.lang)

    @property
    def span(self) -> str:
        return f"{self.years[0]}–{self.years[1]}"


# explore's own names for the shared checks (analysis.publish.params), re-exported by explore
def _allowed(values: Iterable[object], limit: int = 60) -> str:
    return checks.allowed(values, limit)


def _check_years(years, lo: int, hi: int, what: str) -> tuple[int, int]:
    return checks.check_years(years, lo, hi, what)


def validate_params(data_dir: str | Path | None = "", region: str = config.REGION_BATANG,
                    years: Sequence[int] = config.DEFAULT_YEARS, lang: str = "id",
                    unit_id: str | None = None, *, scope: str = "panel",
                    cut_pct: float | None = None, cuts: Sequence[float] | None = None,
                    top_n: int | None = None, max_lag: int | None = None) -> Context:
    """Check a notebook's parameters against the processed data; return a :class:`Context`.

    ``scope="panel"`` checks years and units against the OPD x year panel (simulated/user
    data); ``scope="public"`` checks years against the public record (APBD/LRA, IID,
    Ombudsman). Raises :class:`ParameterError` naming the bad value and listing the allowed
    ones; :class:`analysis.data.store.NotBuiltError` when the processed data does not exist.
    """
    checks.check_lang(lang)
    checks.check_known(scope, ("panel", "public"), "scope", suggest=False)
    dd = str(data_dir) if data_dir else None
    units = store.load_table("units", dd)
    checks.check_known(region, sorted(units["region_code"].unique()), "region", suggest=False)
    if scope == "panel":
        panel = store.load_table("panel", dd, filters=[("region_code", "==", region)])
        if panel.empty:
            raise ParameterError(f"region {region!r} has no OPD x year panel; build the data "
                                 "with simulated or user data")
        lo, hi = int(panel["year"].min()), int(panel["year"].max())
        y0, y1 = checks.check_years(years, lo, hi, "the OPD x year panel")
        known = sorted(panel["unit_id"].unique())
    else:
        yrs = pd.concat([store.load_table("region_finance", dd)["year"],
                         _public(store.load_table("service", dd))["year"],
                         _public(store.load_table("innovations", dd))["reporting_year"]])
        y0, y1 = checks.check_years(years, int(yrs.min()), int(yrs.max()), "the public record")
        known = sorted(units.loc[units["region_code"] == region, "unit_id"])
    if unit_id is not None:
        checks.check_known(unit_id, known, "unit")
    options: dict = {}
    if cut_pct is not None:
        options["cut_pct"] = _check_cut(cut_pct, "cut_pct")
    if cuts is not None:
        if isinstance(cuts, str | bytes) or not isinstance(cuts, Sequence) or not cuts:
            raise ParameterError(f"cuts must be a non-empty list of percentages; got {cuts!r}")
        options["cuts"] = [_check_cut(c, "cuts") for c in cuts]
    if top_n is not None:
        options["top_n"] = checks.check_whole(top_n, "top_n", 1, len(known))
    if max_lag is not None:
        options["max_lag"] = checks.check_whole(max_lag, "max_lag", 0, 3)
    plots.use_style()
    announce_models_older(dd, lang)
    return Context(dd, region, (y0, y1), lang, unit_id, options)


def announce_models_older(data_dir: str | None, lang: str) -> str:
    """Show the notice when the build's model results are older than its data (an import
    deferred the refits: ``markup.models_older``) in the notebook (HTML) or on stderr outside
    IPython; return its text ("" when the models are current)."""
    note = markup.models_note(data_dir)
    if note is None:
        return ""
    words = " ".join([catalog.text("models_older", lang, **note),
                      catalog.text("models_older_note", lang)])
    try:
        from IPython import get_ipython
        from IPython.display import HTML, display

        in_ipython = get_ipython() is not None
    except ImportError:   # pragma: no cover - IPython is a dependency
        in_ipython = False
    if in_ipython:
        display(HTML(str(markup.models_older(lang, note))))
    else:
        import sys

        print(words, file=sys.stderr)
    return words


def _check_cut(x, name: str) -> float:
    """A cut in percent: between -100 and 100, not 0 (negative = increase)."""
    return checks.check_percent(x, name, -100, 100, zero=False, note=" (negative = increase)")


@dataclass
class Result:
    """One section of a notebook: title, sentences, figures, an HTML table and the numbers."""

    title: str
    text: str = ""
    figures: list = field(default_factory=list)
    html: str = ""
    data: pd.DataFrame | None = None
    simulated: bool = False
    facts: dict = field(default_factory=dict)


def show(*results: Result) -> None:
    """Display results: heading, sentences, figures (then closed), table
    (:func:`analysis.publish.display.show_results`, the one display path of notebooks and
    reports). Headings and sentences are Markdown whose HTML characters are escaped
    (:func:`markup.markdown`), so a name from the data shows as text, never as markup."""
    show_results(*results)


def _cell(x: object) -> object:
    """A table cell: missing values as the en dash (the template escapes the rest)."""
    return fmt.MISSING if fmt.is_missing(x) else x


def table_html(head: Sequence[str], rows: Iterable[Sequence[object]], ctx: Context,
               caption: str, simulated: bool) -> str:
    """An HTML table with a caption (:func:`analysis.publish.markup.table`, every cell and
    title escaped); a simulated table carries the simulated banner in its caption."""
    cap = markup.sim_caption(caption, ctx.lang) if simulated else caption
    return str(markup.table(head, [[_cell(v) for v in r] for r in rows], caption=cap,
                            caption_style="caption-side:top;text-align:left"))


def banner(ctx: Context, simulated: bool) -> str:
    """The simulated-data banner (:func:`analysis.publish.markup.banner`, with its own style)
    for the top of a notebook that uses simulated data ("" otherwise)."""
    if not simulated:
        return ""
    return str(markup.banner(ctx.lang, note=ctx.t("explore.context.banner.note"), inline=True))


def bullets(lines: Iterable[str]) -> str:
    """A Markdown list of the non-empty lines (:func:`show` escapes the HTML characters)."""
    return "\n".join(f"- {s}" for s in lines if s)


def unit_names(ctx: Context) -> pd.Series:
    u = store.load_table("units", ctx.data_dir)
    u = u[u["region_code"] == ctx.region]
    return u.set_index("unit_id")["name"]


def _name(names: pd.Series, uid: str) -> str:
    return str(names.get(uid, uid))


def _line_figure(df: pd.DataFrame, x: str, ys: Sequence[str], ctx: Context, ylabel: str,
                 simulated: bool, percent: bool = False):
    """Lines of ``ys`` against ``x`` in the shared style (simulated mark when simulated)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    with plots.style_context():
        fig, ax = plt.subplots()
        for y in ys:
            ax.plot(df[x], df[y], marker="o", label=ctx.label(y))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(ctx.label("year"))
        ax.set_ylabel(ylabel)
        if percent:
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: ctx.pct(v, 0)))
        if len(ys) > 1:
            ax.legend()
    return plots.mark_simulated(fig, ctx.lang) if simulated else fig


def caveats(ctx: Context, simulated: bool, n_units: int | None = None,
            n_years: int | None = None, extra: Iterable[str] = ()) -> Result:
    """Caveats on sample size and simulated data, as sentences."""
    lines = []
    if simulated:
        lines.append(ctx.t("explore.context.caveats.simulated_data_per_opd"))
    if n_units is not None:
        key = "explore.context.caveats.sample_years" if n_years else \
            "explore.context.caveats.sample"
        lines.append(ctx.t(key, n_units=n_units, n_years=n_years))
    lines.extend(extra)
    return Result(ctx.t("explore.context.caveats.caveats"), bullets(lines),
                  simulated=simulated)


def build_info(ctx: Context, manifest: dict, built: pd.DataFrame) -> Result:
    """What was built, when, with which seed (the build ``manifest``,
    :func:`.loading.load_manifest`), and the notebook's table of the rows per table and
    provenance (``built``: index table; ``public``, ``simulated``, ``user``, ``derived``,
    ``total``), in words."""
    kinds = ["public", "simulated", "user", "derived", "total"]
    rows = [[name, *[fmt.number(int(r[k]), ctx.lang, 0) for k in kinds]]
            for name, r in built.iterrows()]
    tot = built[kinds].sum()
    share_sim = tot["simulated"] / max(tot[["public", "simulated", "user"]].sum(), 1)
    seed = manifest.get("seed")
    when = str(manifest.get("built_at", ""))[:19].replace("T", " ")
    text = ctx.t("explore.context.build_info.built", when=when,
                 version=manifest.get("package_version"), tables=len(built),
                 share=ctx.pct(share_sim),
                 seed=ctx.t("explore.context.build_info.seed", seed=seed)
                 if seed is not None else "",
                 public=int(tot["public"]), user=int(tot["user"]))
    head = [ctx.t("explore.context.build_info.table"), ctx.label("public"), ctx.label("simulated"),
            ctx.label("user"), ctx.t("explore.context.build_info.derived"), ctx.t("explore.context.build_info.total")]
    cap = ctx.t("explore.context.build_info.rows_per_table_provenance")
    return Result(ctx.t("explore.context.build_info.what_loaded"), text,
                  html=table_html(head, rows, ctx, cap, False), data=built,
                  facts={"tables": len(built), "share_simulated": float(share_sim),
                         "seed": seed, "public_rows": int(tot["public"])})


def _int(x) -> str:
    return "–" if pd.isna(x) else str(int(x))


def _to_bn(df: pd.DataFrame, col: str = "amount_idr") -> pd.DataFrame:
    return df.assign(amount_bn=df[col] / 1e9)


def _yoy(s: pd.Series, a: int, b: int) -> float:
    """Relative change of s from year a to year b (NaN when either is missing)."""
    if a in s.index and b in s.index and s[a] > 0:
        return float(s[b] / s[a] - 1)
    return float("nan")


def _facts(*results: Result) -> dict:
    out: dict = {}
    for r in results:
        out.update(r.facts)
    return out


def _public(df: pd.DataFrame) -> pd.DataFrame:
    """The public rows of a table (``provenance == "public"``)."""
    return df[df["provenance"] == "public"].reset_index(drop=True)


def require_public(df: pd.DataFrame, what: str) -> pd.DataFrame:
    """Return ``df`` if every row is public and cited; raise :class:`SimulatedDataError`
    otherwise (a simulated or user row must never reach the public record)."""
    if "provenance" not in df.columns:
        raise SimulatedDataError(f"{what}: rows have no provenance column; the public record "
                                 "shows only rows marked provenance='public'")
    bad = df["provenance"].astype(str) != "public"
    if bad.any():
        kinds = sorted(set(df.loc[bad, "provenance"].astype(str)))
        raise SimulatedDataError(f"{what}: {int(bad.sum())} row(s) with provenance "
                                 f"{kinds}; the public record shows only real, cited rows "
                                 "(select them with df[df['provenance'] == 'public'])")
    if "source" in df.columns and df["source"].isna().any():
        raise SimulatedDataError(f"{what}: {int(df['source'].isna().sum())} public row(s) "
                                 "without a source")
    return df


def show_figure(*figs) -> None:
    """Display figures as PNG with their description as alt text, then close them
    (:func:`analysis.publish.display.show_figures`). Each output carries
    ``metadata["batang"]["simulated"]``: whether the figure bears the simulated mark
    (:func:`analysis.publish.plots.mark_simulated`), so a test can check it."""
    show_figures(*figs)


def is_simulated(*frames: pd.DataFrame) -> bool:
    """Whether any frame holds simulated rows (``provenance`` or model ``dataset`` column)."""
    for df in frames:
        if df is None:
            continue
        for col in ("provenance", "dataset"):
            if col in df.columns and df[col].astype(str).str.contains("simulated").any():
                return True
    return False


def show_banner(ctx: Context, simulated: bool) -> None:
    """Display :func:`banner` (nothing when the data are not simulated)."""
    from IPython.display import HTML, display

    if simulated:
        display(HTML(banner(ctx, simulated)))
