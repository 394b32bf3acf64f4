"""Everything the research notebooks (``notebooks/*.ipynb``) show, so the notebooks stay thin.

Each notebook has a ``parameters`` cell (papermill) and then calls, in order:

1. :func:`validate_params` -> a :class:`Context` (language, region, years, unit, options),
   raising :class:`ParameterError` (a ``ValueError``) that lists what is allowed;
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

import difflib
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import config
from analysis.data import store
from analysis.narrative import fmt
from analysis.narrative.labels import LANGS, label
from analysis.publish import plots

# =============================================================================================
# parameters and context
# =============================================================================================

MODEL_TABLES = ("model_results", "event_study", "typology", "typology_k", "resilience",
                "lag_results")
YEAR_COLUMN = {"innovations": "reporting_year"}


class ParameterError(ValueError):
    """A notebook parameter is invalid; the message names it and lists what is allowed."""


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

    def t(self, id: str, en: str) -> str:  # noqa: A002 - short on purpose, used everywhere
        """The text in the notebook's language."""
        return id if self.lang == "id" else en

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


def _allowed(values: Iterable[object], limit: int = 60) -> str:
    vals = [str(v) for v in values]
    more = f", … ({len(vals) - limit} more)" if len(vals) > limit else ""
    return ", ".join(vals[:limit]) + more


def _check_years(years, lo: int, hi: int, what: str) -> tuple[int, int]:
    try:
        y0, y1 = (int(y) for y in years)
    except (TypeError, ValueError):
        raise ParameterError(f"years must be [first, last], e.g. [{lo}, {hi}]; got {years!r}"
                             ) from None
    if y0 > y1:
        raise ParameterError(f"years must be increasing ([first, last]); got {years!r}")
    if y0 < lo or y1 > hi:
        raise ParameterError(f"unknown year(s) in {years!r}: {what} has years {lo}–{hi}; "
                             f"allowed: any [first, last] within {lo}–{hi}")
    return y0, y1


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
    if lang not in LANGS:
        raise ParameterError(f"unknown language {lang!r}; allowed: {_allowed(LANGS)}")
    if scope not in ("panel", "public"):
        raise ParameterError(f"unknown scope {scope!r}; allowed: panel, public")
    dd = str(data_dir) if data_dir else None
    units = store.load_table("units", dd)
    regions = sorted(units["region_code"].unique())
    if region not in regions:
        raise ParameterError(f"unknown region {region!r}; allowed: {_allowed(regions)}")
    if scope == "panel":
        panel = store.load_table("panel", dd, filters=[("region_code", "==", region)])
        if panel.empty:
            raise ParameterError(f"region {region!r} has no OPD x year panel; build the data "
                                 "with simulated or user data")
        lo, hi = int(panel["year"].min()), int(panel["year"].max())
        y0, y1 = _check_years(years, lo, hi, "the OPD x year panel")
        known = sorted(panel["unit_id"].unique())
    else:
        yrs = pd.concat([store.load_table("region_finance", dd)["year"],
                         _public(store.load_table("service", dd))["year"],
                         _public(store.load_table("innovations", dd))["reporting_year"]])
        y0, y1 = _check_years(years, int(yrs.min()), int(yrs.max()), "the public record")
        known = sorted(units.loc[units["region_code"] == region, "unit_id"])
    if unit_id is not None and unit_id not in known:
        close = difflib.get_close_matches(str(unit_id), known, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ParameterError(f"unknown unit {unit_id!r}{hint}; allowed: {_allowed(known)}")
    options: dict = {}
    if cut_pct is not None:
        options["cut_pct"] = _check_cut(cut_pct, "cut_pct")
    if cuts is not None:
        if isinstance(cuts, str | bytes) or not isinstance(cuts, Sequence) or not cuts:
            raise ParameterError(f"cuts must be a non-empty list of percentages; got {cuts!r}")
        options["cuts"] = [_check_cut(c, "cuts") for c in cuts]
    if top_n is not None:
        if isinstance(top_n, bool) or not isinstance(top_n, int) or not 1 <= top_n <= len(known):
            raise ParameterError(f"top_n must be a whole number from 1 to {len(known)}; "
                                 f"got {top_n!r}")
        options["top_n"] = top_n
    if max_lag is not None:
        if isinstance(max_lag, bool) or not isinstance(max_lag, int) or not 0 <= max_lag <= 3:
            raise ParameterError(f"max_lag must be a whole number from 0 to 3; got {max_lag!r}")
        options["max_lag"] = max_lag
    plots.use_style()
    return Context(dd, region, (y0, y1), lang, unit_id, options)


def _check_cut(x, name: str) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a number of percent (e.g. 10 for a 10 % cut); "
                             f"got {x!r}") from None
    if isinstance(x, bool) or not np.isfinite(v) or not -100 < v < 100 or v == 0:
        raise ParameterError(f"{name} must be a percentage between -100 and 100, not 0 "
                             f"(negative = increase); got {x!r}")
    return v


# =============================================================================================
# loading
# =============================================================================================

def load(ctx: Context, *names: str, max_lag: int | None = None) -> dict[str, pd.DataFrame]:
    """The processed tables ``names`` sliced to the context's region and years.

    Model tables (``model_results``, ``event_study``, ``typology``, ``typology_k``,
    ``resilience``, ``lag_results``) honour the notebook's parameters: when ``years`` covers
    the whole panel (and ``max_lag`` is the build's), they are the build's tables; otherwise
    every model is refitted on the panel rows inside ``years`` (:func:`model_tables`, cached
    under ``data/interim/models/``). ``attrs["fit"]`` of each model table says which (see
    :func:`fit_scope`). A build that lacks the tables has them fitted now
    (``attrs["computed_now"]``).
    """
    out: dict[str, pd.DataFrame] = {}
    wanted = [n for n in names if n in MODEL_TABLES]
    if wanted:
        out.update(model_tables(ctx, *wanted, max_lag=max_lag))
    for name in names:
        if name in MODEL_TABLES:
            continue
        df = store.load_table(name, ctx.data_dir)
        if "region_code" in df.columns:
            df = df[df["region_code"] == ctx.region]
        ycol = YEAR_COLUMN.get(name, "year")
        if name == "leadership":
            df = df[df["date"].dt.year.between(*ctx.years)]
        elif ycol in df.columns and name not in ("unit_summary",):
            df = df[df[ycol].between(*ctx.years)]
        out[name] = df.reset_index(drop=True)
    return {n: out[n] for n in names}


# ---------------------------------------------------------------- models on the notebook's window

DEFAULT_MAX_LAG = 2
LAG_OUTCOMES = ("ikm", "complaints", "ombudsman_score", "log_service_days")
"""The longest budget lag of the build's ``lag_results`` table (models.lag_models default)."""


def panel_years(ctx: Context) -> tuple[int, int]:
    """First and last year of the region's whole panel (what the build fits on)."""
    p = store.load_table("panel", ctx.data_dir, filters=[("region_code", "==", ctx.region)])
    return int(p["year"].min()), int(p["year"].max())


def _interim(ctx: Context) -> Path:
    return (Path(ctx.data_dir) / "interim") if ctx.data_dir else config.interim_dir()


def data_fingerprint(ctx: Context) -> str:
    """A hash of what a model fit depends on: the processed panel and units (file bytes), the
    package version and the source of the estimating modules (models.py, measures.py). A new
    build or a changed estimator gives a new fingerprint, so a stale cache is never read."""
    import hashlib

    from analysis import __version__
    from analysis.methods import measures, models

    h = hashlib.sha256(__version__.encode())
    for name in ("panel", "units"):
        h.update((store.processed_path(ctx.data_dir) / f"{name}.parquet").read_bytes())
    for mod in (models, measures):
        h.update(Path(mod.__file__).read_bytes())
    return h.hexdigest()


def cached(ctx: Context, spec: dict, compute) -> tuple[dict[str, pd.DataFrame], dict]:
    """``compute()`` (a dict of DataFrames) cached on disk under ``<data>/interim/models/``,
    keyed by a hash of ``spec`` and :func:`data_fingerprint`; a repeat is a file read.
    Returns the tables and ``{"cache": "hit"|"miss", "seconds": ..., "path": ...}``."""
    import hashlib
    import json
    import os
    import pickle
    import tempfile
    import time

    t0 = time.perf_counter()
    key = hashlib.sha256((json.dumps(spec, sort_keys=True, default=str)
                          + data_fingerprint(ctx)).encode()).hexdigest()[:20]
    folder = _interim(ctx) / "models"
    path = folder / f"{key}.pkl"
    if path.is_file():
        try:
            with path.open("rb") as f:
                tables = pickle.load(f)
            return tables, {"cache": "hit", "seconds": time.perf_counter() - t0,
                            "path": str(path)}
        except Exception:  # noqa: BLE001 - a damaged cache file is refitted, never trusted
            path.unlink(missing_ok=True)
    tables = compute()
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".pkl", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(tables, f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tables, {"cache": "miss", "seconds": time.perf_counter() - t0, "path": str(path)}


def model_tables(ctx: Context, *names: str, max_lag: int | None = None
                 ) -> dict[str, pd.DataFrame]:
    """Model tables for the notebook's parameters.

    ``years`` equal to the whole panel (and ``max_lag`` None or the build's): the build's
    tables. Otherwise :func:`analysis.methods.models.fit_all` on the panel rows inside ``years`` (and
    ``models.lag_models`` with ``max_lag``), cached by (region, years, max_lag) and the data
    fingerprint. Each table gets ``attrs["fit"] = {"years", "panel_years", "refit", "cache",
    "seconds"}``."""
    from analysis.methods import models

    full = panel_years(ctx)
    lag = DEFAULT_MAX_LAG if max_lag is None else int(max_lag)
    whole = tuple(ctx.years) == full
    info = {"years": tuple(ctx.years), "panel_years": full, "refit": not whole,
            "cache": "build", "seconds": 0.0, "max_lag": lag}
    out: dict[str, pd.DataFrame] = {}
    if not whole:
        fitted, how = _fit_window(ctx, models, lag, ctx.years)
        info.update(how)
        out = {name: fitted[name].copy() for name in names}
    else:
        missing = []
        for name in names:
            try:
                out[name] = store.load_table(name, ctx.data_dir)
            except store.NotBuiltError:
                missing.append(name)
        if [m for m in missing if m != "lag_results"]:
            # the build did not store the models: fit them all now (one family of tests)
            fitted, how = _fit_window(ctx, models, lag, full)
            info.update(how)
            for name in names:
                out[name] = fitted[name].copy()
                out[name].attrs["computed_now"] = True
        elif "lag_results" in names and ("lag_results" in missing or lag != DEFAULT_MAX_LAG):
            # other lags than the build's: refit the lag models, and the family of tests
            panel = store.load_table("panel", ctx.data_dir,
                                  filters=[("region_code", "==", ctx.region)])
            lagged, how = cached(ctx, {"what": "lag_models", "region": ctx.region,
                                       "years": list(full), "max_lag": lag},
                                 lambda: {"lag_results": fit_lag_models(panel, lag)})
            info.update(how)
            fam = {"lag_results": lagged["lag_results"]}
            for name in ("model_results", "event_study"):
                try:
                    fam[name] = out.get(name, store.load_table(name, ctx.data_dir))
                except store.NotBuiltError:
                    pass
            fam = adjust_family(fam)
            for name in names:
                if name in fam:
                    out[name] = fam[name].copy()
    es = out.get("event_study")
    if es is not None and "n_tests" not in es.columns:
        # the family size lives on model_results; the event study reports its pre-trend test
        try:
            mr = out.get("model_results")
            mr = mr if mr is not None else store.load_table("model_results", ctx.data_dir)
            k = n_tests(mr)
            if k:
                attrs = es.attrs
                out["event_study"] = es.assign(n_tests=k)
                out["event_study"].attrs = attrs
        except store.NotBuiltError:
            pass
    for name in names:
        out[name].attrs = {**out[name].attrs, "fit": dict(info)}
    return out


def _fit_window(ctx: Context, models, max_lag: int, years) -> tuple[dict, dict]:
    """fit_all + lag models + the family of tests on the panel rows inside ``years``, cached.
    The fit runs in a child process: on a very short window the estimator's compiled code can
    abort the whole process (e.g. every OPD a singleton), which must not kill the notebook's
    kernel; such a window gets "not estimable" rows saying why."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    panel = store.load_table("panel", ctx.data_dir, filters=[("region_code", "==", ctx.region)])
    units = store.load_table("units", ctx.data_dir)
    win = panel[panel["year"].between(*years)].reset_index(drop=True)
    if win.empty:
        raise ParameterError(f"years {list(years)}: no panel rows to fit the models on")

    def compute() -> dict[str, pd.DataFrame]:
        ctx_mp = multiprocessing.get_context("spawn")
        try:
            with ProcessPoolExecutor(1, mp_context=ctx_mp) as ex:
                return ex.submit(fit_window_tables, win, units, max_lag).result()
        except BrokenProcessPool:
            return not_estimable_tables(
                win, f"the estimator stopped on the years {years[0]}–{years[1]} (too few "
                "years with a budget change per OPD for unit and year effects); choose a "
                "longer range")

    spec = {"what": "fit_all+lag_models", "region": ctx.region, "years": list(years),
            "max_lag": max_lag}
    return cached(ctx, spec, compute)


def fit_window_tables(panel: pd.DataFrame, units: pd.DataFrame, max_lag: int
                      ) -> dict[str, pd.DataFrame]:
    """Every model table on ``panel`` (already cut to the window): ``models.fit_all``, the
    distributed-lag models with ``max_lag`` and the Holm family of tests. Run in a child
    process by :func:`model_tables`."""
    from analysis.methods import models

    out = models.fit_all({"panel": panel, "units": units}, None)
    if "lag_results" not in out or max_lag != DEFAULT_MAX_LAG:
        out["lag_results"] = fit_lag_models(panel, max_lag)
    return adjust_family(out)


def not_estimable_tables(panel: pd.DataFrame, why: str) -> dict[str, pd.DataFrame]:
    """Model tables that say, row by row, that nothing could be estimated and why."""
    from analysis.methods import models

    ds = models.dataset_label(panel)
    note = f"not estimable: {why}"
    row = {"estimate": np.nan, "std_error": np.nan, "ci_low": np.nan, "ci_high": np.nan,
           "p_value": np.nan, "n": 0, "n_clusters": 0, "note": note, "dataset": ds}
    mr = pd.DataFrame([{"model": m, "outcome": o, "term": " + ".join(r), **row}
                       for m, o, r in models.MAIN_SPECS])
    return {"model_results": mr,
            "event_study": pd.DataFrame([{"model": "event_study_poisson",
                                          "outcome": "innovations", **row}]),
            "typology": pd.DataFrame({"unit_id": [], "cluster": [], "dataset": []}),
            "typology_k": pd.DataFrame([{"k": 0, "silhouette": np.nan, "chosen": False,
                                         "n_units": 0, "note": note, "dataset": ds}]),
            "resilience": pd.DataFrame([{"outcome": "", "unit_id": "", "note": note,
                                         "dataset": ds}]),
            "lag_results": pd.DataFrame([{"model": "dist_lag", "outcome": o,
                                          "term": "cumulative", "lag": pd.NA, **row}
                                         for o in LAG_OUTCOMES])}


def pretrend_p(event_study: pd.DataFrame) -> float:
    """The p-value of the joint pre-trend test: the pairs cluster bootstrap-t one
    (``p_value_boot``) when the event study carries it, else the F test."""
    pt = event_study.attrs.get("pretrend") or {}
    for key in ("p_value_boot",):
        if key in pt and not pd.isna(pt[key]):
            return float(pt[key])
    for col in ("pretrend_p_boot", "pretrend_p"):
        if col in event_study.columns and event_study[col].notna().any():
            return float(event_study[col].dropna().iloc[0])
    return float("nan")


def adjust_family(tables: dict[str, pd.DataFrame], method: str = "holm"
                  ) -> dict[str, pd.DataFrame]:
    """Holm-adjusted p-values over the family of every test the findings report, exactly as
    the build does (:func:`analysis.methods.models.findings_family`): the main models and leadership
    terms (``model_results``), every lag and cumulative term (``lag_results``) and the joint
    pre-trend test (``event_study``, column ``pretrend_p_adjusted``). Used when a notebook's
    parameters (years, max_lag) change the family."""
    from analysis.methods import models

    out = dict(tables)
    mr, lag, es = out.get("model_results"), out.get("lag_results"), out.get("event_study")
    if mr is None:
        return out
    carrier = pd.DataFrame()
    p_pre = pretrend_p(es) if es is not None and len(es) else float("nan")
    carrier.attrs["pretrend"] = {"p_value": p_pre}
    mr2, lag2 = models.findings_family(mr, lag, carrier if not pd.isna(p_pre) else None,
                                       method=method)
    out["model_results"] = mr2
    if lag2 is not None:
        out["lag_results"] = lag2
    if es is not None and len(es):
        attrs = es.attrs
        es = es.copy()
        es.attrs = attrs
        es["pretrend_p_adjusted"] = carrier.attrs["pretrend"].get("p_adjusted", np.nan)
        out["event_study"] = es
    return out


def fit_lag_models(panel: pd.DataFrame, max_lag: int) -> pd.DataFrame:
    """``models.lag_models`` (one distributed-lag model per service outcome, all lags jointly
    plus the cumulative effect), labelled with the panel's dataset."""
    from analysis.methods import models

    if not hasattr(models, "lag_models"):
        return pd.DataFrame([{"model": "dist_lag", "outcome": o, "term": "cumulative",
                              "estimate": np.nan, "std_error": np.nan, "ci_low": np.nan,
                              "ci_high": np.nan, "p_value": np.nan, "n": 0, "n_clusters": 0,
                              "lag": pd.NA, "note": "not estimable: analysis.methods.models has no "
                              "lag_models (joint distributed-lag model); update the package",
                              "dataset": models.dataset_label(panel)} for o in LAG_OUTCOMES])
    return models.lag_models(panel, max_lag=max_lag).assign(
        dataset=models.dataset_label(panel))


def load_truth(ctx: Context) -> dict:
    """The simulation truth (planted effects), or {} when the data has no simulated panel."""
    try:
        return store.load_json("simulation_truth.json", ctx.data_dir)
    except store.NotBuiltError:
        return {}


def is_simulated(*frames: pd.DataFrame) -> bool:
    """Whether any frame holds simulated rows (``provenance`` or model ``dataset`` column)."""
    for df in frames:
        if df is None:
            continue
        for col in ("provenance", "dataset"):
            if col in df.columns and df[col].astype(str).str.contains("simulated").any():
                return True
    return False


# =============================================================================================
# results and display
# =============================================================================================

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
    """Display results: heading, sentences, figures (then closed), table."""
    import matplotlib.pyplot as plt
    from IPython.display import HTML, Markdown, display

    for r in results:
        display(Markdown(f"### {r.title}"))
        if r.text:
            display(Markdown(r.text))
        for fig in r.figures:
            display(fig)
            plt.close(fig)
        if r.html:
            display(HTML(r.html))


def esc(x: object) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)) or x is pd.NA:
        return fmt.MISSING
    return html.escape(str(x))


def table_html(head: Sequence[str], rows: Iterable[Sequence[object]], ctx: Context,
               caption: str, simulated: bool) -> str:
    """An HTML table with a caption; a simulated table carries the simulated banner in it."""
    cap = esc(caption)
    if simulated:
        cap = (f'<span style="color:#b00;font-weight:bold">{esc(ctx.label("simulated_banner"))}'
               f"</span><br>{cap}")
    th = "".join(f"<th>{esc(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in r) + "</tr>" for r in rows)
    return (f'<table class="batang-table"><caption style="caption-side:top;text-align:left">'
            f"{cap}</caption><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>")


def banner(ctx: Context, simulated: bool) -> str:
    """An HTML banner for the top of a notebook that uses simulated data ("" otherwise)."""
    if not simulated:
        return ""
    extra = ctx.t("Angka per OPD (anggaran, inovasi per tahun, IKM, pengaduan, pimpinan) berasal "
                  "dari panel simulasi yang dikalibrasi ke total APBD nyata Kabupaten Batang.",
                  "Per-OPD figures (budget, yearly innovations, IKM, complaints, heads) come "
                  "from a simulated panel calibrated to Kabupaten Batang's real APBD totals.")
    return (f'<div style="border:3px solid #b00;background:#fff3f3;padding:8px 12px;'
            f'font-weight:bold;color:#900">{esc(ctx.label("simulated_banner"))}'
            f'<div style="font-weight:normal;color:#333">{esc(extra)}</div></div>')


def bullets(lines: Iterable[str]) -> str:
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
        lines.append(ctx.t(
            "**Data simulasi.** Angka per OPD di sini berasal dari panel simulasi berbenih yang "
            "dikalibrasi ke total APBD nyata dan memuat hubungan yang *sengaja ditanam*. Ini "
            "bukan temuan tentang kantor nyata; impor data SIPD/LRA/SKM sendiri untuk "
            "menggantikannya.",
            "**Simulated data.** The per-OPD figures here come from a seeded simulated panel "
            "calibrated to the real APBD totals, with *planted* relationships. They are not a "
            "finding about any real office; import the regency's own SIPD/LRA/SKM files to "
            "replace them."))
    if n_units is not None:
        lines.append(ctx.t(
            f"Ukuran sampel: {n_units} OPD" + (f" × {n_years} tahun" if n_years else "")
            + ". Dengan sedikit unit, interval kepercayaan lebar dan galat baku berkelompok "
            "bisa terlalu sempit (di bawah 30 kelompok).",
            f"Sample size: {n_units} OPDs" + (f" × {n_years} years" if n_years else "")
            + ". With few units, intervals are wide and clustered standard errors can be too "
            "narrow (below 30 clusters)."))
    lines.extend(extra)
    return Result(ctx.t("Catatan dan keterbatasan", "Caveats"), bullets(lines),
                  simulated=simulated)


# =============================================================================================
# 0.0 data overview
# =============================================================================================

def build_info(ctx: Context) -> Result:
    """What was built, when, with which seed; rows per table and provenance."""
    m = store.load_manifest(ctx.data_dir)
    kinds = ["public", "simulated", "user", "derived"]
    rows, data = [], []
    for name, counts in m["provenance"].items():
        vals = [int(counts.get(k, 0)) for k in kinds]
        rows.append([name, *[fmt.number(v, ctx.lang, 0) for v in vals],
                     fmt.number(sum(vals), ctx.lang, 0)])
        data.append([name, *vals, sum(vals)])
    df = pd.DataFrame(data, columns=["table", *kinds, "total"])
    tot = df[kinds].sum()
    share_sim = tot["simulated"] / max(tot[["public", "simulated", "user"]].sum(), 1)
    seed = m.get("seed")
    when = str(m.get("built_at", ""))[:19].replace("T", " ")
    text = ctx.t(
        f"Data olahan dibangun {when} UTC (paket versi {m.get('package_version')}): "
        f"{len(df)} tabel. {ctx.pct(share_sim)} baris data dasar bersifat simulasi"
        + (f" (benih {seed})" if seed is not None else "") + f", {int(tot['public'])} baris "
        f"publik dan {int(tot['user'])} baris data pengguna.",
        f"The processed data was built {when} UTC (package version "
        f"{m.get('package_version')}): {len(df)} tables. {ctx.pct(share_sim)} of the base rows "
        "are simulated" + (f" (seed {seed})" if seed is not None else "")
        + f", {int(tot['public'])} rows are public and {int(tot['user'])} are user data.")
    head = [ctx.t("Tabel", "Table"), ctx.label("public"), ctx.label("simulated"),
            ctx.label("user"), ctx.t("Turunan", "Derived"), ctx.t("Total", "Total")]
    cap = ctx.t("Baris per tabel dan asal data (manifest build)",
                "Rows per table and provenance (build manifest)")
    return Result(ctx.t("Apa yang dimuat", "What is loaded"), text,
                  html=table_html(head, rows, ctx, cap, False), data=df,
                  facts={"tables": len(df), "share_simulated": float(share_sim),
                         "seed": seed, "public_rows": int(tot["public"])})


def unit_registry(ctx: Context, units: pd.DataFrame, panel: pd.DataFrame) -> Result:
    """Units by kind: in the registry, front-line, and with panel data."""
    in_panel = set(panel["unit_id"])
    u = units.assign(in_panel=units["unit_id"].isin(in_panel))
    g = u.groupby("kind").agg(n=("unit_id", "size"), front_line=("front_line", "sum"),
                              in_panel=("in_panel", "sum")).reset_index()
    g = g.sort_values("n", ascending=False)
    head = [ctx.t("Jenis", "Kind"), ctx.t("Unit", "Units"),
            ctx.t("Layanan garis depan", "Front-line"), ctx.t("Dengan data panel",
                                                                "With panel data")]
    rows = [[r.kind, r.n, int(r.front_line), int(r.in_panel)] for r in g.itertuples()]
    left_out = u.loc[~u["in_panel"], "kind"].value_counts()
    lo_txt = ", ".join(f"{v} {k}" for k, v in left_out.items()) or "–"
    text = ctx.t(
        f"Registri memuat {len(u)} unit; {len(in_panel)} OPD punya data panel "
        f"{ctx.span}, {int(u['front_line'].sum())} ditandai layanan garis depan (survei SKM). "
        f"Tanpa data panel: {lo_txt}.",
        f"The registry holds {len(u)} units; {len(in_panel)} OPDs have panel data "
        f"{ctx.span}, {int(u['front_line'].sum())} are flagged front-line (SKM surveys). "
        f"Without panel data: {lo_txt}.")
    cap = ctx.t("Unit menurut jenis (registri unit: data publik)",
                "Units by kind (unit registry: public data)")
    return Result(ctx.t("Unit", "Units"), text, html=table_html(head, rows, ctx, cap, False),
                  data=g, facts={"n_units": len(u), "n_panel": len(in_panel)})


COVERAGE_MEASURES = ("budget_realisasi", "penunjang_share", "innovations", "ikm",
                     "ombudsman_score", "complaints", "service_days", "acting_share")


def coverage(ctx: Context, panel: pd.DataFrame) -> Result:
    """Share of panel OPDs with a value, per measure and year; gaps in words."""
    import matplotlib.pyplot as plt

    cols = [c for c in COVERAGE_MEASURES if c in panel.columns]
    n_units = panel["unit_id"].nunique()
    cov = panel.groupby("year")[cols].agg(lambda s: s.notna().sum()).T / n_units
    sim = is_simulated(panel)
    with plots.style_context():
        fig, ax = plt.subplots(figsize=(8, 0.45 * len(cols) + 1.5))
        im = ax.imshow(cov.to_numpy(float), vmin=0, vmax=1, cmap="Blues", aspect="auto")
        ax.set_xticks(range(cov.shape[1]), [str(y) for y in cov.columns])
        ax.set_yticks(range(len(cols)), [ctx.label(c) for c in cols])
        ax.grid(False)
        fig.colorbar(im, ax=ax, label=ctx.t("Porsi OPD dengan data", "Share of OPDs with data"))
        ax.set_xlabel(ctx.label("year"))
    if sim:
        plots.mark_simulated(fig, ctx.lang)
    head = [ctx.t("Ukuran", "Measure"), *[str(y) for y in cov.columns]]
    rows = [[ctx.label(c), *[ctx.pct(v, 0) for v in cov.loc[c]]] for c in cols]
    partial = []
    for c in cols:
        full = cov.loc[c]
        if full.min() < 1:
            years_none = [str(y) for y, v in full.items() if v == 0]
            part = ctx.t(f"{ctx.label(c)}: paling banyak {ctx.pct(full.max(), 0)} OPD",
                         f"{ctx.label(c)}: at most {ctx.pct(full.max(), 0)} of OPDs")
            if years_none:
                part += ctx.t(f", tidak ada data {', '.join(years_none)}",
                              f", no data in {', '.join(years_none)}")
            partial.append(part)
    text = ctx.t(
        f"Panel: {n_units} OPD × {cov.shape[1]} tahun ({ctx.span}). Ukuran yang tidak lengkap "
        "(indikator layanan hanya ada untuk unit garis depan; skor Ombudsman hanya untuk "
        "sebagian unit dan tahun):",
        f"Panel: {n_units} OPDs × {cov.shape[1]} years ({ctx.span}). Measures that are not "
        "complete (service indicators exist only for front-line units; Ombudsman scores only "
        "for some units and years):") + "\n\n" + bullets(partial or [ctx.t("tidak ada",
                                                                             "none")])
    cap = ctx.t("Porsi OPD dengan nilai, per ukuran dan tahun",
                "Share of OPDs with a value, per measure and year")
    return Result(ctx.t("Cakupan dan celah", "Coverage and gaps"), text, [fig],
                  table_html(head, rows, ctx, cap, sim), cov, sim,
                  {"n_years": cov.shape[1], "partial": len(partial)})


def public_sources(ctx: Context, reference: pd.DataFrame, innovations: pd.DataFrame,
                   service: pd.DataFrame) -> Result:
    """The public parts: datasets of the reference file, IID profiles, Ombudsman scores."""
    ref = _public(reference)
    g = ref.groupby("dataset").agg(rows=("row", "size"), y0=("year", "min"),
                                   y1=("year", "max"), sources=("source", "nunique"))
    inn = _public(innovations)
    svc = _public(service)
    extra = pd.DataFrame({
        "rows": [len(inn), len(svc)],
        "y0": [inn["reporting_year"].min(), svc["year"].min()],
        "y1": [inn["reporting_year"].max(), svc["year"].max()],
        "sources": [inn["source"].nunique(), svc["source"].nunique()]},
        index=[ctx.t("Profil inovasi IID 2021 (tabel innovations)",
                     "IID 2021 innovation profiles (innovations table)"),
               ctx.t("Skor kepatuhan Ombudsman (tabel service)",
                     "Ombudsman compliance scores (service table)")])
    g = pd.concat([g, extra]).sort_values("rows", ascending=False)
    head = [ctx.t("Set data", "Dataset"), ctx.t("Baris", "Rows"), ctx.t("Tahun", "Years"),
            ctx.t("Sumber berbeda", "Distinct sources")]
    rows = [[k, int(r.rows), f"{_int(r.y0)}–{_int(r.y1)}", int(r.sources)]
            for k, r in g.iterrows()]
    text = ctx.t(
        f"Data publik: {len(ref)} baris rujukan dalam {ref['dataset'].nunique()} set data, "
        f"{len(inn)} profil inovasi IID 2021 dan {len(svc)} skor Ombudsman, masing-masing "
        "dengan sumbernya. Hanya bagian ini (dan notebook 4.0) yang berisi angka nyata.",
        f"Public data: {len(ref)} reference rows in {ref['dataset'].nunique()} datasets, "
        f"{len(inn)} IID 2021 innovation profiles and {len(svc)} Ombudsman scores, each with "
        "its source. Only this part (and notebook 4.0) holds real figures.")
    cap = ctx.t("Data publik menurut set data (provenance = public)",
                "Public data by dataset (provenance = public)")
    return Result(ctx.t("Bagian publik", "Public parts"), text,
                  html=table_html(head, rows, ctx, cap, False), data=g,
                  facts={"reference_rows": len(ref), "profiles": len(inn)})


def _int(x) -> str:
    return "–" if pd.isna(x) else str(int(x))


def planted_effects(ctx: Context, truth: dict) -> Result:
    """The effects planted in the simulated panel (what the models should recover)."""
    eff = pd.DataFrame(truth.get("effects", []))
    if eff.empty:
        return Result(ctx.t("Efek yang ditanam", "Planted effects"),
                      ctx.t("Data ini tidak memuat panel simulasi.",
                            "This data has no simulated panel."))
    head = [ctx.t("Nama", "Name"), ctx.t("Hasil", "Outcome"), ctx.t("Regresor", "Regressor"),
            ctx.t("Nilai", "Value"), ctx.t("Keterangan", "Description")]
    rows = [[r.name, ctx.label(r.outcome), r.regressor, planted_text(ctx, r.value),
             r.description] for r in eff.itertuples()]
    text = ctx.t(
        f"Panel simulasi (benih {truth.get('seed')}) menanam {len(eff)} efek yang diketahui; "
        "notebook 2.0, 2.1 dan 3.0 memeriksa apakah model menemukannya kembali.",
        f"The simulated panel (seed {truth.get('seed')}) plants {len(eff)} known effects; "
        "notebooks 2.0, 2.1 and 3.0 check whether the models recover them.")
    cap = ctx.t("Efek yang ditanam pada data simulasi (simulation_truth.json)",
                "Effects planted in the simulated data (simulation_truth.json)")
    return Result(ctx.t("Efek yang ditanam (kebenaran simulasi)",
                        "Planted effects (simulation truth)"), text,
                  html=table_html(head, rows, ctx, cap, True), data=eff, simulated=True,
                  facts={"n_effects": len(eff)})


def overview_conclusions(ctx: Context, *results: Result) -> Result:
    """Conclusions of notebook 0.0, from the facts of its sections."""
    f = _facts(*results)
    lines = [
        ctx.t(f"{f['n_panel']} dari {f['n_units']} unit punya panel OPD × tahun "
              f"({f['n_years']} tahun); {f['partial']} ukuran tidak lengkap.",
              f"{f['n_panel']} of {f['n_units']} units have an OPD × year panel "
              f"({f['n_years']} years); {f['partial']} measures are incomplete."),
        ctx.t(f"{ctx.pct(f['share_simulated'])} baris data dasar adalah simulasi: setiap "
              "gambar dan tabel dari baris tersebut diberi tanda.",
              f"{ctx.pct(f['share_simulated'])} of the base rows are simulated: every figure "
              "and table drawn from them is marked."),
        ctx.t(f"Catatan publik nyata: {f['reference_rows']} baris rujukan dan "
              f"{f['profiles']} profil inovasi, dirangkum di notebook 4.0.",
              f"Real public record: {f['reference_rows']} reference rows and {f['profiles']} "
              "innovation profiles, summarised in notebook 4.0."),
    ]
    return Result(ctx.t("Kesimpulan", "Conclusions"), bullets(lines), facts=f)


# =============================================================================================
# 1.0 budget cuts
# =============================================================================================

def _to_bn(df: pd.DataFrame, col: str = "amount_idr") -> pd.DataFrame:
    return df.assign(amount_bn=df[col] / 1e9)


def _yoy(s: pd.Series, a: int, b: int) -> float:
    """Relative change of s from year a to year b (NaN when either is missing)."""
    if a in s.index and b in s.index and s[a] > 0:
        return float(s[b] / s[a] - 1)
    return float("nan")


def regency_budget(ctx: Context, budget: pd.DataFrame, panel: pd.DataFrame) -> Result:
    """Regency totals by year and stage; the 2020 refocusing in words."""
    sim = is_simulated(budget)
    w = budget.groupby(["year", "stage"])["amount_idr"].sum().unstack("stage")
    w = w.reindex(columns=["murni", "perubahan", "realisasi"])
    w["refocus"] = w["perubahan"] / w["murni"] - 1
    w["yoy"] = w["realisasi"].pct_change(fill_method=None)
    fig = plots.budget_path(budget, lang=ctx.lang, simulated=sim)
    head = [ctx.label("year"), ctx.label("murni"), ctx.label("perubahan"),
            ctx.label("realisasi"), ctx.t("Perubahan vs murni", "Revised vs original"),
            ctx.t("Realisasi vs tahun lalu", "Actual vs previous year")]
    rows = [[y, ctx.rp(r.murni), ctx.rp(r.perubahan), ctx.rp(r.realisasi), ctx.pct(r.refocus),
             ctx.pct(r.yoy)] for y, r in w.iterrows()]
    cuts = panel.groupby("unit_id")["cut_2020"].first()
    n_cut, n = int((cuts < 0).sum()), int(cuts.notna().sum())
    facts = {"n_cut": n_cut, "n_units": n,
             "chg_2020": _yoy(w["realisasi"], 2019, 2020),
             "refocus_2020": float(w["refocus"].get(2020, np.nan))}
    if 2020 in w.index:
        text = ctx.t(
            f"Pada 2020 APBD perubahan {ctx.pct(facts['refocus_2020'])} terhadap APBD murni "
            f"(refocusing), dan realisasi berubah {ctx.pct(facts['chg_2020'])} dibanding 2019. "
            f"{n_cut} dari {n} OPD dibelanjakan di bawah tren sebelum 2020.",
            f"In 2020 the revised budget was {ctx.pct(facts['refocus_2020'])} against the "
            f"original (the refocusing), and actual spending changed "
            f"{ctx.pct(facts['chg_2020'])} on 2019. {n_cut} of {n} OPDs spent below their "
            "pre-2020 trend.")
    else:
        text = ctx.t(f"Tahun 2020 di luar rentang {ctx.span}; {n_cut} dari {n} OPD dibelanjakan "
                     "di bawah tren sebelum 2020 pada tahun itu.",
                     f"2020 is outside {ctx.span}; that year {n_cut} of {n} OPDs spent below "
                     "their pre-2020 trend.")
    cap = ctx.t("Total seluruh OPD per tahun dan tahap anggaran",
                "Total over all OPDs per year and budget stage")
    return Result(ctx.t("Anggaran kabupaten dan refocusing 2020",
                        "Regency budget and the 2020 refocusing"), text, [fig],
                  table_html(head, rows, ctx, cap, sim), w.reset_index(), sim, facts)


def _unit_cuts(panel: pd.DataFrame) -> pd.DataFrame:
    g = panel.sort_values("year").groupby("unit_id")
    out = pd.DataFrame({"name": g["name"].first(), "cut_2020": g["cut_2020"].first()})
    p20 = panel[panel["year"] == 2020].set_index("unit_id")
    out["refocus_2020"] = np.expm1(p20["refocus"]).reindex(out.index)
    out["chg_2020"] = np.expm1(p20["dlog_budget"]).reindex(out.index)
    p19 = panel[panel["year"] == 2019].set_index("unit_id")
    out["penunjang_2019"] = p19["penunjang_share"].reindex(out.index)
    out["cut_pct"] = np.expm1(out["cut_2020"])
    return out


def cuts_by_opd(ctx: Context, panel: pd.DataFrame, top_n: int = 10) -> Result:
    """The 2020 cut of each OPD against its own pre-2020 trend; the hardest cut."""
    sim = is_simulated(panel)
    u = _unit_cuts(panel).dropna(subset=["cut_2020"]).sort_values("cut_2020")
    fig = plots.bar_ranked(u["cut_pct"] * 100, lang=ctx.lang, simulated=sim,
                           highlight=ctx.unit_id if ctx.unit_id in u.index else None,
                           xlabel_key="cut_2020")
    fig.axes[0].set_xlabel(ctx.label("cut_2020") + ctx.t(" (% terhadap tren)",
                                                         " (% against trend)"))
    fig.set_size_inches(7.5, max(4.0, 0.2 * len(u) + 1))
    top = u.head(top_n)
    head = [ctx.label("unit"), ctx.t("Nama", "Name"), ctx.t("Terhadap tren 2016–2019",
                                                             "Against 2016–2019 trend"),
            ctx.t("APBD-P vs murni 2020", "Revised vs original 2020"),
            ctx.t("Realisasi 2020 vs 2019", "Actual 2020 vs 2019"),
            ctx.t("Porsi penunjang 2019", "Routine share 2019")]
    rows = [[r.Index, r.name, ctx.pct(r.cut_pct), ctx.pct(r.refocus_2020), ctx.pct(r.chg_2020),
             ctx.pct(r.penunjang_2019)] for r in top.itertuples()]
    worst = ", ".join(f"{r.name} ({ctx.pct(r.cut_pct)})" for r in top.head(3).itertuples())
    up = u[u["cut_2020"] > 0]
    text = ctx.t(
        f"Pemotongan terdalam terhadap tren sebelum 2020: {worst}. Median seluruh "
        f"{len(u)} OPD: {ctx.pct(u['cut_pct'].median())}; {len(up)} OPD justru naik "
        f"(antara lain {', '.join(up['name'].head(4))}).",
        f"Deepest cuts against the pre-2020 trend: {worst}. Median of all {len(u)} OPDs: "
        f"{ctx.pct(u['cut_pct'].median())}; {len(up)} OPDs went up instead "
        f"(among them {', '.join(up['name'].head(4))}).")
    if ctx.unit_id in u.index:
        r = u.loc[ctx.unit_id]
        rank = int(u.index.get_loc(ctx.unit_id)) + 1
        text += ctx.t(f" {r['name']} (disorot): {ctx.pct(r['cut_pct'])}, peringkat {rank} "
                      f"dari {len(u)} (1 = terdalam).",
                      f" {r['name']} (highlighted): {ctx.pct(r['cut_pct'])}, rank {rank} of "
                      f"{len(u)} (1 = deepest).")
    cap = ctx.t(f"{top_n} OPD dengan pemotongan 2020 terdalam",
                f"The {top_n} OPDs cut hardest in 2020")
    return Result(ctx.t("OPD mana yang paling dipotong", "Which OPDs were cut hardest"), text,
                  [fig], table_html(head, rows, ctx, cap, sim), u, sim,
                  {"median_cut": float(u["cut_pct"].median()), "n_up": len(up),
                   "hardest": list(top.index[:3])})


def cuts_by_type(ctx: Context, budget: pd.DataFrame) -> Result:
    """Actual spending by spending type per year; which types fell in 2020."""
    sim = is_simulated(budget)
    real = _to_bn(budget[budget["stage"] == "realisasi"])
    w = real.groupby(["spending_type", "year"])["amount_idr"].sum().unstack("year")
    w = w[w.sum(axis=1) > 0]
    fig = plots.counts_stacked(real, lang=ctx.lang, simulated=sim, category="spending_type",
                               value="amount_bn", ylabel_key="realisasi")
    fig.axes[0].set_ylabel(f"{ctx.label('realisasi')} ({fmt.rupiah_unit_label(ctx.lang)})")
    chg20 = w.apply(lambda s: _yoy(s, 2019, 2020), axis=1)
    chg21 = w.apply(lambda s: _yoy(s, 2020, 2021), axis=1)
    head = [ctx.t("Jenis belanja", "Spending type"), *[str(c) for c in w.columns],
            "2019→2020", "2020→2021"]
    rows = [[ctx.label(t), *[fmt.number(v / 1e9, ctx.lang, 1) for v in w.loc[t]],
             ctx.pct(chg20[t]), ctx.pct(chg21[t])] for t in w.index]
    if chg20.notna().any():
        lo, hi = chg20.idxmin(), chg20.idxmax()
        text = ctx.t(
            f"Dari 2019 ke 2020 {ctx.label(lo).lower()} turun paling dalam "
            f"({ctx.pct(chg20[lo])}); {ctx.label(hi).lower()} berubah "
            f"{ctx.pct(chg20[hi])}.",
            f"From 2019 to 2020 {ctx.label(lo).lower()} fell most ({ctx.pct(chg20[lo])}); "
            f"{ctx.label(hi).lower()} changed {ctx.pct(chg20[hi])}.")
    else:
        lo = hi = None
        text = ctx.t("Rentang tahun tidak memuat 2019 dan 2020.",
                     "The year range does not include both 2019 and 2020.")
    cap = ctx.t(f"Realisasi menurut jenis belanja ({fmt.rupiah_unit_label(ctx.lang)})",
                f"Actual spending by type ({fmt.rupiah_unit_label(ctx.lang)})")
    return Result(ctx.t("Menurut jenis belanja", "By spending type"), text, [fig],
                  table_html(head, rows, ctx, cap, sim), w, sim,
                  {"fell_most": lo, "rose_most": hi,
                   "chg_2020": chg20.to_dict()})


def later_years(ctx: Context, panel: pd.DataFrame, regency: pd.DataFrame) -> Result:
    """Cuts after 2020: how many OPDs spent less than the year before, year by year."""
    sim = is_simulated(panel)
    d = panel.dropna(subset=["dlog_budget"])
    g = d.groupby("year").agg(n=("unit_id", "size"),
                              n_cut=("dlog_budget", lambda s: int((s < 0).sum())),
                              med=("dlog_budget", "median"))
    g["regency"] = regency.set_index("year")["dlog_budget"].reindex(g.index)
    head = [ctx.label("year"), ctx.t("OPD dengan realisasi turun", "OPDs with lower spending"),
            ctx.t("Median perubahan OPD", "Median OPD change"),
            ctx.t("Perubahan kabupaten", "Regency change")]
    rows = [[y, f"{int(r.n_cut)}/{int(r.n)}", ctx.pct(np.expm1(r.med)),
             ctx.pct(np.expm1(r.regency))] for y, r in g.iterrows()]
    after = g[g.index > 2020]
    if len(after):
        y = int(after["n_cut"].idxmax())
        text = ctx.t(
            f"Setelah 2020, tahun dengan paling banyak OPD yang realisasinya turun adalah {y} "
            f"({int(after.loc[y, 'n_cut'])} dari {int(after.loc[y, 'n'])} OPD).",
            f"After 2020, the year with most OPDs spending less than the year before was {y} "
            f"({int(after.loc[y, 'n_cut'])} of {int(after.loc[y, 'n'])} OPDs).")
    else:
        y = None
        text = ctx.t("Rentang tahun tidak memuat tahun setelah 2020.",
                     "The year range has no year after 2020.")
    cap = ctx.t("Perubahan realisasi per tahun (log, ditampilkan sebagai %)",
                "Change in actual spending per year (log, shown as %)")
    return Result(ctx.t("Tahun-tahun berikutnya", "Later years"), text, [],
                  table_html(head, rows, ctx, cap, sim), g.reset_index(), sim,
                  {"worst_later_year": y})


def routine_share(ctx: Context, budget: pd.DataFrame, panel: pd.DataFrame) -> Result:
    """Routine (program penunjang) against service programmes: the share and how it moved."""
    sim = is_simulated(budget)
    real = _to_bn(budget[budget["stage"] == "realisasi"])
    w = real.groupby(["year", "programme_class"])["amount_idr"].sum().unstack()
    w = w.reindex(columns=["penunjang", "urusan"]).fillna(0.0)
    w["share"] = w["penunjang"] / (w["penunjang"] + w["urusan"])
    w["opd_median"] = panel.groupby("year")["penunjang_share"].median().reindex(w.index)
    fig = plots.counts_stacked(real, lang=ctx.lang, simulated=sim, category="programme_class",
                               value="amount_bn", ylabel_key="realisasi")
    fig.axes[0].set_ylabel(f"{ctx.label('realisasi')} ({fmt.rupiah_unit_label(ctx.lang)})")
    head = [ctx.label("year"), ctx.label("penunjang"), ctx.label("urusan"),
            ctx.label("penunjang_share"), ctx.t("Median OPD", "OPD median")]
    rows = [[y, ctx.rp(r.penunjang), ctx.rp(r.urusan), ctx.pct(r.share),
             ctx.pct(r.opd_median)] for y, r in w.iterrows()]
    y0, y1 = int(w.index.min()), int(w.index.max())
    pen20, urs20 = _yoy(w["penunjang"], 2019, 2020), _yoy(w["urusan"], 2019, 2020)
    text = ctx.t(
        f"Porsi program penunjang (rutin) dalam realisasi: {ctx.pct(w.loc[y0, 'share'])} pada "
        f"{y0}, {ctx.pct(w.loc[y1, 'share'])} pada {y1}.",
        f"Share of the routine support programme (penunjang) in actual spending: "
        f"{ctx.pct(w.loc[y0, 'share'])} in {y0}, {ctx.pct(w.loc[y1, 'share'])} in {y1}.")
    if not np.isnan(pen20):
        more = pen20 < urs20
        text += ctx.t(
            f" Dari 2019 ke 2020 belanja rutin berubah {ctx.pct(pen20)} dan program layanan "
            f"{ctx.pct(urs20)}: pemotongan {'lebih' if more else 'kurang'} mengenai belanja "
            "rutin dibanding layanan.",
            f" From 2019 to 2020 routine spending changed {ctx.pct(pen20)} and service "
            f"programmes {ctx.pct(urs20)}: the cut fell {'more' if more else 'less'} on routine "
            "than on service spending.")
    cap = ctx.t("Realisasi program penunjang (rutin) dan program urusan (layanan)",
                "Actual spending on the routine and the service programmes")
    return Result(ctx.t("Belanja rutin (program penunjang)", "Routine spending (penunjang)"),
                  text, [fig], table_html(head, rows, ctx, cap, sim), w.reset_index(), sim,
                  {"share_first": float(w.loc[y0, "share"]),
                   "share_last": float(w.loc[y1, "share"]), "penunjang_2020": pen20,
                   "urusan_2020": urs20})


def routine_by_opd(ctx: Context, panel: pd.DataFrame, top_n: int = 10) -> Result:
    """OPDs with the largest routine share, and how each share moved over the years."""
    sim = is_simulated(panel)
    p = panel.sort_values("year")
    g = p.groupby("unit_id")
    s = pd.DataFrame({"name": g["name"].first(), "avg": g["penunjang_share"].mean(),
                      "first_share": g["penunjang_share"].first(),
                      "last_share": g["penunjang_share"].last()})
    s["change"] = s["last_share"] - s["first_share"]
    s = s.sort_values("avg", ascending=False)
    fig = plots.bar_ranked(s["avg"].head(max(top_n, 15)) * 100, lang=ctx.lang, simulated=sim,
                           highlight=ctx.unit_id if ctx.unit_id in s.index[:max(top_n, 15)]
                           else None, xlabel_key="penunjang_share")
    fig.axes[0].set_xlabel(ctx.label("penunjang_share") + " (%)")
    head = [ctx.label("unit"), ctx.t("Nama", "Name"), ctx.t("Rata-rata", "Mean"),
            str(ctx.years[0]), str(ctx.years[1]), ctx.t("Perubahan (poin %)", "Change (pp)")]
    rows = [[r.Index, r.name, ctx.pct(r.avg), ctx.pct(r.first_share), ctx.pct(r.last_share),
             ctx.num(r.change * 100, 1)] for r in s.head(top_n).itertuples()]
    n_down = int((s["change"] < 0).sum())
    text = ctx.t(
        f"Porsi rutin tertinggi: {s['name'].iloc[0]} ({ctx.pct(s['avg'].iloc[0])} rata-rata "
        f"{ctx.span}). Porsi rutin turun pada {n_down} dari {len(s)} OPD antara "
        f"{ctx.years[0]} dan {ctx.years[1]}.",
        f"Highest routine share: {s['name'].iloc[0]} ({ctx.pct(s['avg'].iloc[0])} on average "
        f"{ctx.span}). The routine share fell in {n_down} of {len(s)} OPDs between "
        f"{ctx.years[0]} and {ctx.years[1]}.")
    cap = ctx.t(f"{top_n} OPD dengan porsi program penunjang terbesar",
                f"The {top_n} OPDs with the largest routine (penunjang) share")
    return Result(ctx.t("Porsi rutin per OPD", "Routine share by OPD"), text, [fig],
                  table_html(head, rows, ctx, cap, sim), s, sim,
                  {"n_down": n_down, "top": s.index[0]})


def _facts(*results: Result) -> dict:
    out: dict = {}
    for r in results:
        out.update(r.facts)
    return out


def budget_conclusions(ctx: Context, *results: Result) -> Result:
    """Conclusions of notebook 1.0, from the facts of its sections."""
    f = _facts(*results)
    lines = [
        ctx.t(f"{f['n_cut']} dari {f['n_units']} OPD dibelanjakan di bawah tren sebelum 2020 "
              f"pada 2020 (median {ctx.pct(f['median_cut'])}); {f['n_up']} OPD naik.",
              f"{f['n_cut']} of {f['n_units']} OPDs spent below their pre-2020 trend in 2020 "
              f"(median {ctx.pct(f['median_cut'])}); {f['n_up']} OPDs went up."),
    ]
    if f.get("fell_most"):
        lines.append(ctx.t(f"Jenis belanja yang paling dipotong 2020: "
                           f"{ctx.label(f['fell_most']).lower()}.",
                           f"Spending type cut most in 2020: "
                           f"{ctx.label(f['fell_most']).lower()}."))
    if not np.isnan(f.get("penunjang_2020", np.nan)):
        lines.append(ctx.t(
            f"Belanja rutin 2020: {ctx.pct(f['penunjang_2020'])}; layanan: "
            f"{ctx.pct(f['urusan_2020'])} (terhadap 2019).",
            f"Routine spending 2020: {ctx.pct(f['penunjang_2020'])}; service programmes: "
            f"{ctx.pct(f['urusan_2020'])} (against 2019)."))
    lines.append(ctx.t(
        f"Porsi rutin kabupaten bergerak dari {ctx.pct(f['share_first'])} ke "
        f"{ctx.pct(f['share_last'])} ({ctx.span}).",
        f"The regency's routine share moved from {ctx.pct(f['share_first'])} to "
        f"{ctx.pct(f['share_last'])} ({ctx.span})."))
    if f.get("worst_later_year"):
        lines.append(ctx.t(f"Sesudah 2020, pemotongan paling luas terjadi pada "
                           f"{f['worst_later_year']}.",
                           f"After 2020, cuts were most widespread in "
                           f"{f['worst_later_year']}."))
    return Result(ctx.t("Kesimpulan", "Conclusions"), bullets(lines),
                  simulated=any(r.simulated for r in results), facts=f)


# =============================================================================================
# 4.0 public record (real, cited data only)
# =============================================================================================

def _public(df: pd.DataFrame) -> pd.DataFrame:
    """Select the public rows of a table (what the public-record helpers may receive)."""
    return df[df["provenance"] == "public"].reset_index(drop=True)


def public_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The public rows of a table; pass these to the ``public_*`` helpers."""
    return _public(df)


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
                                 "(select them with explore.public_rows)")
    if "source" in df.columns and df["source"].isna().any():
        raise SimulatedDataError(f"{what}: {int(df['source'].isna().sum())} public row(s) "
                                 "without a source")
    return df


def _best_documents(rf: pd.DataFrame) -> pd.DataFrame:
    """One row per (year, stage, indicator_key): the enacted document before drafts, exact
    figures before derived before rounded (as public.calibration_targets does)."""
    from analysis.data.public import DOCUMENT_RANK, PRECISION_RANK

    t = rf.assign(_d=rf["document"].map(DOCUMENT_RANK).fillna(9),
                  _p=rf["precision"].map(PRECISION_RANK))
    t = t.sort_values(["year", "stage", "indicator_key", "_d", "_p"])
    return t.drop_duplicates(["year", "stage", "indicator_key"]).drop(columns=["_d", "_p"])


def public_finance(ctx: Context, region_finance: pd.DataFrame) -> Result:
    """APBD (murni, perubahan) and LRA realisation totals by year, each row cited."""
    rf = require_public(region_finance, "public_finance")
    best = _best_documents(rf[rf["indicator_key"].isin(["belanja_total", "pendapatan_total"])])
    spend = best[best["indicator_key"] == "belanja_total"]
    figs = []
    if len(spend):
        fig = plots.budget_path(spend.rename(columns={"value_idr": "amount_idr"}),
                                lang=ctx.lang, simulated=False)
        fig.axes[0].set_title(ctx.t("Belanja daerah (total): APBD dan LRA",
                                    "Total regional spending: APBD and LRA"))
        figs.append(fig)
    key_label = {"belanja_total": ctx.t("Belanja (total)", "Spending (total)"),
                 "pendapatan_total": ctx.t("Pendapatan (total)", "Revenue (total)")}
    head = [ctx.label("year"), ctx.label("stage"), ctx.t("Indikator", "Indicator"),
            ctx.t("Nilai", "Value"), ctx.t("Dokumen", "Document"),
            ctx.t("Ketelitian", "Precision"), ctx.t("Sumber", "Source")]
    rows = [[r.year, ctx.label(r.stage), key_label[r.indicator_key], ctx.rp(r.value_idr),
             r.document, r.precision, r.source]
            for r in best.sort_values(["indicator_key", "year", "stage"]).itertuples()]
    v = best.set_index(["indicator_key", "stage", "year"])["value_idr"]

    def get(k, s, y):
        return float(v.get((k, s, y), np.nan))

    lines = []
    rev19, rev20 = get("pendapatan_total", "realisasi", 2019), get("pendapatan_total",
                                                                      "realisasi", 2020)
    if not np.isnan(rev19 + rev20):
        lines.append(ctx.t(
            f"Realisasi pendapatan daerah 2020 {ctx.rp(rev20)}, {ctx.pct(rev20 / rev19 - 1)} "
            f"dibanding 2019 ({ctx.rp(rev19)}).",
            f"Realised regional revenue 2020 was {ctx.rp(rev20)}, {ctx.pct(rev20 / rev19 - 1)} "
            f"against 2019 ({ctx.rp(rev19)})."))
    p19, r20 = get("belanja_total", "perubahan", 2019), get("belanja_total", "realisasi", 2020)
    if not np.isnan(p19 + r20):
        lines.append(ctx.t(
            f"Realisasi belanja 2020 {ctx.rp(r20)}: {ctx.pct(r20 / p19 - 1)} terhadap APBD-P "
            f"2019 ({ctx.rp(p19)}; dokumen berbeda tahap, bukan perbandingan realisasi dengan "
            "realisasi).",
            f"Realised spending 2020 was {ctx.rp(r20)}: {ctx.pct(r20 / p19 - 1)} against the "
            f"2019 revised budget ({ctx.rp(p19)}; different stages, not actual against "
            "actual)."))
    r21 = get("belanja_total", "realisasi", 2021)
    if not np.isnan(r20 + r21):
        lines.append(ctx.t(f"Realisasi belanja 2021 {ctx.rp(r21)} "
                           f"({ctx.pct(r21 / r20 - 1)} terhadap 2020).",
                           f"Realised spending 2021 was {ctx.rp(r21)} "
                           f"({ctx.pct(r21 / r20 - 1)} on 2020)."))
    m = spend[spend["stage"] == "murni"].set_index("year")["value_idr"]
    if len(m) >= 2:
        lines.append(ctx.t(
            f"APBD murni belanja: {ctx.rp(m.iloc[0])} ({m.index[0]}) hingga "
            f"{ctx.rp(m.iloc[-1])} ({m.index[-1]}).",
            f"Original budget (murni) spending: {ctx.rp(m.iloc[0])} ({m.index[0]}) to "
            f"{ctx.rp(m.iloc[-1])} ({m.index[-1]})."))
    missing = [y for y in range(ctx.years[0], ctx.years[1] + 1) if y not in set(spend["year"])]
    if missing:
        lines.append(ctx.t(f"Tanpa angka belanja publik: {', '.join(map(str, missing))}.",
                           f"No public spending figure for: {', '.join(map(str, missing))}."))
    cap = ctx.t("APBD dan LRA Kabupaten (data publik, bersumber; satu dokumen per tahun dan tahap)",
                "Regency APBD and LRA (public, cited data; one document per year and stage)")
    return Result(ctx.t("APBD dan realisasi", "APBD and realisation"), bullets(lines), figs,
                  table_html(head, rows, ctx, cap, False), best, False,
                  {"rev_change_2020": (rev20 / rev19 - 1) if rev19 else np.nan,
                   "missing_years": missing})


def _owner(ctx: Context, r, names: pd.Series) -> str:
    if isinstance(r.unit_id, str):
        return _name(names, r.unit_id)
    return ctx.t("Akun tanpa atribusi OPD", "Account not attributed to an OPD")


def _no_public_profiles(ctx: Context, title: str, n: int) -> Result:
    """A section with no public innovation profile in the notebook's years (the IID profiles
    are reported in 2021: a range without 2021 has none)."""
    return Result(title, ctx.t(
        f"Tidak ada profil inovasi publik dalam {ctx.span} ({n} baris; profil IID dilaporkan "
        "pada 2021, jadi rentang tahun tanpa 2021 tidak memuatnya).",
        f"No public innovation profile in {ctx.span} ({n} rows; the IID profiles are reported "
        "in 2021, so a year range without 2021 holds none)."), simulated=False,
        facts={"profiles": n, "kept": 0})


def public_innovations_by_opd(ctx: Context, innovations: pd.DataFrame) -> Result:
    """The IID 2021 innovation profiles by OPD, stage and digital (duplicates left out)."""
    inn = require_public(innovations, "public_innovations_by_opd")
    names = unit_names(ctx)
    d = inn[~inn["is_duplicate"]].copy()
    if d.empty:
        return _no_public_profiles(ctx, ctx.t("Inovasi 2021 per OPD", "2021 innovations by OPD"),
                                   len(inn))
    d["owner"] = [_owner(ctx, r, names) for r in d.itertuples()]
    g = d.groupby("owner").agg(total=("innovation_id", "size"),
                               impl=("stage", lambda s: int((s == "implementasi").sum())),
                               trial=("stage", lambda s: int((s == "uji_coba").sum())),
                               init=("stage", lambda s: int((s == "inisiatif").sum())),
                               digital=("digital", "sum")).sort_values("total", ascending=False)
    head = [ctx.label("unit"), ctx.label("innovations"), ctx.label("implementasi"),
            ctx.label("uji_coba"), ctx.label("inisiatif"), ctx.label("innovations_digital")]
    rows = [[k, int(r.total), int(r.impl), int(r.trial), int(r.init), int(r.digital)]
            for k, r in g.iterrows()]
    n_dup = int(inn["is_duplicate"].sum())
    attributed = d[d["unit_id"].notna()]
    text = ctx.t(
        f"{len(inn)} profil inovasi IID 2021; {n_dup} kemungkinan duplikat disisihkan, sisa "
        f"{len(d)} dari {attributed['unit_id'].nunique()} unit. Terbanyak: {g.index[0]} "
        f"({int(g['total'].iloc[0])}). {ctx.pct(d['digital'].mean())} digital; "
        f"{ctx.pct((d['stage'] == 'implementasi').mean())} sudah tahap implementasi.",
        f"{len(inn)} IID 2021 innovation profiles; {n_dup} possible duplicates set aside, "
        f"leaving {len(d)} from {attributed['unit_id'].nunique()} units. Most: {g.index[0]} "
        f"({int(g['total'].iloc[0])}). {ctx.pct(d['digital'].mean())} are digital; "
        f"{ctx.pct((d['stage'] == 'implementasi').mean())} are at the implementation stage.")
    cap = ctx.t("Profil inovasi IID 2021 per unit (data publik, bersumber)",
                "IID 2021 innovation profiles by unit (public, cited data)")
    return Result(ctx.t("Inovasi 2021 per OPD", "2021 innovations by OPD"), text, [],
                  table_html(head, rows, ctx, cap, False), g.reset_index(), False,
                  {"profiles": len(inn), "kept": len(d), "digital_share":
                   float(d["digital"].mean())})


def public_innovations_by_form(ctx: Context, innovations: pd.DataFrame) -> Result:
    """IID 2021 profiles by form, digital or not, and year of implementation."""
    inn = require_public(innovations, "public_innovations_by_form")
    d = inn[~inn["is_duplicate"]].copy()
    d["impl_year"] = d["implementation_date"].dt.year
    dd = d.dropna(subset=["impl_year"]).astype({"impl_year": int})
    if d.empty or dd.empty:
        return _no_public_profiles(ctx, ctx.t("Bentuk, digital dan tahun implementasi",
                                              "Form, digital and year of implementation"),
                                   len(inn))
    fig = plots.counts_stacked(dd, lang=ctx.lang, simulated=False, category="form",
                               year="impl_year")
    fig.axes[0].set_xlabel(ctx.t("Tahun implementasi", "Year of implementation"))
    fig.axes[0].set_title(ctx.t("Profil IID 2021 menurut bentuk", "IID 2021 profiles by form"))
    g = d.groupby("form").agg(n=("innovation_id", "size"), digital=("digital", "sum"))
    years = dd.groupby("impl_year").size()
    head = [ctx.t("Bentuk", "Form"), ctx.label("count"), ctx.label("innovations_digital"),
            ctx.t("Porsi digital", "Digital share")]
    rows = [[ctx.label(f), int(r.n), int(r.digital), ctx.pct(r.digital / r.n)]
            for f, r in g.sort_values("n", ascending=False).iterrows()]
    top = g["n"].idxmax()
    text = ctx.t(
        f"Bentuk terbanyak: {ctx.label(top).lower()} ({int(g.loc[top, 'n'])} dari {len(d)}). "
        f"Tahun implementasi {int(years.index.min())}–{int(years.index.max())}, terbanyak "
        f"{int(years.idxmax())} ({int(years.max())}). Tahun implementasi berasal dari profil "
        "yang dilaporkan pada 2021, jadi inovasi yang berhenti sebelum 2021 tidak tercatat.",
        f"Most common form: {ctx.label(top).lower()} ({int(g.loc[top, 'n'])} of {len(d)}). "
        f"Implementation years {int(years.index.min())}–{int(years.index.max())}, most in "
        f"{int(years.idxmax())} ({int(years.max())}). Implementation years come from profiles "
        "reported in 2021, so innovations that stopped before 2021 are not recorded.")
    cap = ctx.t("Profil IID 2021 menurut bentuk dan digital (data publik)",
                "IID 2021 profiles by form and digital (public data)")
    return Result(ctx.t("Bentuk, digital dan tahun implementasi",
                        "Form, digital and year of implementation"), text, [fig],
                  table_html(head, rows, ctx, cap, False), g.reset_index(), False,
                  {"top_form": top, "peak_year": int(years.idxmax())})


def public_ombudsman(ctx: Context, service: pd.DataFrame, reference: pd.DataFrame) -> Result:
    """Ombudsman compliance: numeric scores (service table) and category findings, cited."""
    svc = require_public(service[service["indicator"] == "ombudsman_score"], "public_ombudsman")
    ref = require_public(reference, "public_ombudsman")
    cat = ref[(ref["dataset"] == "Ombudsman kepatuhan") & ref["value_num"].isna()]
    rows_df = pd.concat([
        pd.DataFrame({"year": svc["year"], "entity": svc["entity"],
                      "value": [ctx.num(x) for x in svc["value"]], "source": svc["source"]}),
        pd.DataFrame({"year": cat["year"], "entity": cat["entity"], "value": cat["value"],
                      "source": cat["source"]})]).sort_values(["year", "entity"],
                                                              ascending=[False, True])
    head = [ctx.label("year"), ctx.t("Entitas", "Entity"), ctx.label("ombudsman_score"),
            ctx.t("Sumber", "Source")]
    rows = rows_df.to_numpy().tolist()
    reg = svc[svc["unit_id"].isna()].set_index("year")["value"].sort_index()
    units = svc[svc["unit_id"].notna()]
    lines = []
    if len(reg):
        lines.append(ctx.t(
            "Skor kabupaten: " + ", ".join(f"{ctx.num(v)} ({y})" for y, v in reg.items()) + ".",
            "Regency score: " + ", ".join(f"{ctx.num(v)} ({y})" for y, v in reg.items()) + "."))
    if len(units):
        best = units.loc[units["value"].idxmax()]
        lines.append(ctx.t(
            f"{len(units)} unit layanan dinilai ({', '.join(map(str, sorted(units['year'].unique())))}"
            f"); tertinggi {best['entity']} ({ctx.num(best['value'])}), terendah "
            f"{ctx.num(units['value'].min())}.",
            f"{len(units)} service units scored ({', '.join(map(str, sorted(units['year'].unique())))}"
            f"); highest {best['entity']} ({ctx.num(best['value'])}), lowest "
            f"{ctx.num(units['value'].min())}."))
    if len(cat):
        lines.append(ctx.t("Tahun sebelumnya hanya punya kategori (zona/predikat), bukan skor.",
                           "Earlier years have only a category (zone/predicate), not a score."))
    if not lines:
        lines.append(ctx.t(f"Tidak ada catatan Ombudsman dalam {ctx.span}.",
                           f"No Ombudsman record in {ctx.span}."))
    cap = ctx.t("Kepatuhan standar pelayanan publik, Ombudsman RI (data publik, bersumber)",
                "Compliance with public-service standards, Ombudsman RI (public, cited data)")
    return Result(ctx.t("Kepatuhan Ombudsman", "Ombudsman compliance"), bullets(lines), [],
                  table_html(head, rows, ctx, cap, False), rows_df, False,
                  {"n_scores": len(svc)})


def public_source_list(ctx: Context, *frames: pd.DataFrame) -> Result:
    """Every source cited in the public record, with the number of rows it supports."""
    for i, df in enumerate(frames):
        require_public(df, f"public_source_list (table {i + 1})")
    src = pd.concat([df["source"] for df in frames]).value_counts()
    head = [ctx.t("Sumber", "Source"), ctx.t("Baris", "Rows")]
    rows = [[s, int(n)] for s, n in src.items()]
    text = ctx.t(f"{len(src)} sumber berbeda mendukung angka di notebook ini.",
                 f"{len(src)} distinct sources support the figures in this notebook.")
    cap = ctx.t("Sumber yang dikutip", "Sources cited")
    return Result(ctx.t("Sumber", "Sources"), text, [], table_html(head, rows, ctx, cap, False),
                  src.rename_axis("source").reset_index(name="rows"), False,
                  {"n_sources": len(src)})


def public_conclusions(ctx: Context, *results: Result) -> Result:
    """Conclusions of notebook 4.0, from the facts of its sections (all public)."""
    f = _facts(*results)
    lines = []
    if not np.isnan(f.get("rev_change_2020", np.nan)):
        lines.append(ctx.t(f"Pendapatan daerah yang terealisasi berubah "
                           f"{ctx.pct(f['rev_change_2020'])} dari 2019 ke 2020: dasar nyata "
                           "dari pemotongan.",
                           f"Realised regional revenue changed {ctx.pct(f['rev_change_2020'])} "
                           "from 2019 to 2020: the real ground of the cuts."))
    if f.get("kept") and "top_form" in f:
        lines.append(ctx.t(
              f"{f['kept']} profil inovasi 2021 (tanpa duplikat), "
              f"{ctx.pct(f['digital_share'])} digital; bentuk terbanyak "
              f"{ctx.label(f['top_form']).lower()}; puncak implementasi {f['peak_year']}.",
              f"{f['kept']} innovation profiles of 2021 (duplicates removed), "
              f"{ctx.pct(f['digital_share'])} digital; most common form "
              f"{ctx.label(f['top_form']).lower()}; implementations peak in {f['peak_year']}."))
    else:
        lines.append(ctx.t(f"Tidak ada profil inovasi publik dalam {ctx.span}.",
                           f"No public innovation profile in {ctx.span}."))
    lines += [
        ctx.t(f"Tidak ada data publik per OPD per tahun untuk anggaran, IKM atau pengaduan; "
              f"karena itu notebook lain memakai panel simulasi. {f['n_sources']} sumber dikutip.",
              "There is no public per-OPD per-year data on budgets, IKM or complaints; that is "
              f"why the other notebooks use a simulated panel. {f['n_sources']} sources cited."),
    ]
    return Result(ctx.t("Kesimpulan", "Conclusions"), bullets(lines), facts=f)


# =============================================================================================
# model tables: shared helpers
# =============================================================================================

TRUTH_TERMS = {"cut_2020 x post": "cut_2020_x_post", "dlog_budget (lag 1)": "dlog_budget_lag1"}


def planted(truth: dict, outcome: str, term: str, max_lag: int | None = None) -> float:
    """The value planted in the simulation for (outcome, term), NaN when the truth lists none
    (a planted 0 is listed and returned as 0). ``term="cumulative"`` is the sum of the planted
    lags 0..``max_lag`` (default: the truth's own cumulative row)."""
    if term == "cumulative" and max_lag is not None:
        vals = [planted(truth, outcome, f"dlog_budget_lag{k}") for k in range(max_lag + 1)]
        return float(sum(vals)) if not any(np.isnan(vals)) else float("nan")
    for e in truth.get("effects", []):
        reg = TRUTH_TERMS.get(e["regressor"], e["regressor"])
        if term == "cumulative" and str(reg).startswith("cumulative"):
            reg = "cumulative"
        out = e["outcome"]
        if outcome == "log_service_days" and out == "service_days":
            out = outcome
        if out == outcome and reg == term:
            return float(e["value"])
    if term == "dlog_budget_lag0":
        return planted(truth, outcome, "dlog_budget")
    return float("nan")


def _ci(ctx: Context, lo, hi, digits: int = 2) -> str:
    return f"[{ctx.num(lo, digits)}; {ctx.num(hi, digits)}]"


def _covers(lo, hi, v) -> bool | None:
    if any(pd.isna(x) for x in (lo, hi, v)):
        return None
    return bool(lo <= v <= hi)


def _peq(ctx: Context, p) -> str:
    """"p = 0.137" or "p < 0.001"."""
    text = _p(ctx, p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def _p(ctx: Context, p) -> str:
    if pd.isna(p):
        return fmt.MISSING
    return "< 0,001" if p < 0.001 and ctx.lang == "id" else ("< 0.001" if p < 0.001
                                                              else ctx.num(p, 3))


ALPHA = 0.05
"""Level at which a generated sentence claims an effect: the Holm-adjusted p-value (over the
family of every test the findings report) must be below it."""


def scale_word(ctx: Context, outcome: str, model: str = "") -> str:
    """The unit of a coefficient on ``outcome``: log rate for counts (Poisson), IKM or score
    points, log days for the log service time (0.1 is about +10 % days)."""
    if "poisson" in str(model) or outcome in ("innovations", "complaints"):
        return ctx.t("log-laju", "log rate")
    return {"ikm": ctx.t("poin IKM", "IKM points"),
            "ombudsman_score": ctx.t("poin skor", "score points"),
            "log_service_days": ctx.t("log hari (0,1 ≈ +10% hari)",
                                      "log days (0.1 ≈ +10% days)")}.get(
        outcome, ctx.t("satuan hasil", "outcome units"))


def planted_text(ctx: Context, v: float, digits: int = 2) -> str:
    """A planted value as text: a planted 0 is "0" (never a dash); "–" only when the truth file
    lists nothing for the term."""
    if pd.isna(v):
        return fmt.MISSING
    if v == 0:
        return "0"
    return ctx.num(v, digits)


def claim(row) -> str:
    """"yes" when the row supports claiming an effect (Holm-adjusted p < ALPHA), "raw" when only
    the unadjusted p-value (interval) does, "no" otherwise or when nothing is adjusted."""
    p = getattr(row, "p_value", np.nan)
    pa = getattr(row, "p_adjusted", np.nan)
    if not pd.isna(pa) and pa < ALPHA:
        return "yes"
    if not pd.isna(p) and p < ALPHA:
        return "raw"
    return "no"


def n_tests(*frames: pd.DataFrame) -> int:
    """The size of the family the adjusted p-values were computed over (0 when unadjusted)."""
    for df in frames:
        if df is not None and "n_tests" in df.columns and df["n_tests"].notna().any():
            return int(df["n_tests"].dropna().iloc[0])
    return 0


def evidence_phrase(ctx: Context, row, n: int) -> str:
    """The words after an estimate: raw and Holm-adjusted p, and whether an effect is claimed
    (only when the adjusted p-value is below 0.05)."""
    p, pa = getattr(row, "p_value", np.nan), getattr(row, "p_adjusted", np.nan)
    c = claim(row)
    if pd.isna(pa):
        return ctx.t(f"{_peq(ctx, p)}; tanpa p terkoreksi, jadi tidak ada efek yang diklaim",
                     f"{_peq(ctx, p)}; no adjusted p-value, so no effect is claimed")
    ps = ctx.t(f"{_peq(ctx, p)}, p Holm {_peq(ctx, pa)[2:]} atas {n} uji",
               f"{_peq(ctx, p)}, Holm-adjusted p {_peq(ctx, pa)[2:]} over {n} tests")
    if c == "yes":
        return ps + ctx.t(": efek dapat dibedakan dari nol setelah koreksi",
                          ": an effect distinguishable from zero after adjustment")
    if c == "raw":
        return ps + ctx.t(": interval tanpa koreksi tidak memuat nol, tetapi setelah koreksi "
                          "untuk banyak uji tidak ada efek yang diklaim",
                          ": the unadjusted interval excludes zero, but after adjusting for "
                          "the number of tests no effect is claimed")
    return ps + ctx.t(": tidak ada efek yang diklaim", ": no effect is claimed")


def _model_rows(ctx: Context, mr: pd.DataFrame, truth: dict, caption: str, simulated: bool
                ) -> str:
    head = [ctx.t("Hasil", "Outcome"), ctx.label("term"), ctx.label("estimate"),
            ctx.t("Satuan", "Unit"), ctx.t("Interval 95%", "95% interval"), "p",
            ctx.t("p Holm", "Holm p"), ctx.t("Uji", "Tests"), "n", ctx.t("OPD", "OPDs"),
            ctx.t("Nilai tanam (simulasi)", "Planted value (simulation)"),
            ctx.t("Catatan", "Note")]
    rows = [[ctx.label(r.outcome), ctx.label(r.term), ctx.num(r.estimate, 3),
             scale_word(ctx, r.outcome, r.model), _ci(ctx, r.ci_low, r.ci_high, 3),
             _p(ctx, r.p_value), _p(ctx, getattr(r, "p_adjusted", np.nan)),
             _int(getattr(r, "n_tests", np.nan)), int(r.n), int(r.n_clusters),
             planted_text(ctx, planted(truth, r.outcome, r.term)) if simulated else fmt.MISSING,
             r.note] for r in mr.itertuples()]
    return table_html(head, rows, ctx, caption, simulated)


def _computed_note(ctx: Context, *frames: pd.DataFrame) -> str:
    if any(df.attrs.get("computed_now") for df in frames):
        return ctx.t(" (Model dihitung sekarang karena build tidak menyimpannya.)",
                     " (Models fitted now because the build did not store them.)")
    return ""


def _span_of(values) -> str:
    v = sorted({int(x) for x in values if not pd.isna(x)})
    if not v:
        return "0"
    return str(v[0]) if v[0] == v[-1] else f"{v[0]}–{v[-1]}"


def fit_scope(ctx: Context, table: pd.DataFrame, rows: pd.DataFrame | None = None) -> str:
    """One sentence: which years the models were fitted on (the whole panel by the build, or
    refitted on the notebook's ``years``) and the n and OPDs actually used, taken from the
    result rows (``rows``, default the whole table)."""
    fit = table.attrs.get("fit") or {}
    r = table if rows is None else rows
    n = _span_of(r["n"]) if "n" in r.columns else "0"
    g = _span_of(r["n_clusters"]) if "n_clusters" in r.columns else "0"
    used = ctx.t(f"n = {n} OPD-tahun dipakai, {g} OPD", f"n = {n} OPD-years used, {g} OPDs")
    if not fit:
        return used + "."
    (y0, y1), (p0, p1) = fit["years"], fit["panel_years"]
    if not fit.get("refit"):
        return ctx.t(f"Model ditaksir oleh build pada seluruh panel ({p0}–{p1}); {used}.",
                     f"Models fitted by the build on the whole panel ({p0}–{p1}); {used}.")
    how = (ctx.t(f"dari cache, {ctx.num(fit['seconds'], 2)} dtk",
                 f"from the cache, {ctx.num(fit['seconds'], 2)} s") if fit["cache"] == "hit"
           else ctx.t(f"ditaksir dalam {ctx.num(fit['seconds'], 1)} dtk lalu disimpan",
                      f"fitted in {ctx.num(fit['seconds'], 1)} s and cached"))
    return ctx.t(f"Model ditaksir ulang hanya pada tahun parameter `years` {y0}–{y1} (seluruh "
                 f"panel: {p0}–{p1}; {how}); {used}.",
                 f"Models refitted on the notebook's `years` only, {y0}–{y1} (whole panel: "
                 f"{p0}–{p1}; {how}); {used}.")


def window_sentence(ctx: Context, table: pd.DataFrame) -> str:
    """Which years a model table was computed on (no n: for tables without one)."""
    fit = table.attrs.get("fit") or {}
    if not fit:
        return ""
    (y0, y1), (p0, p1) = fit["years"], fit["panel_years"]
    if not fit.get("refit"):
        return ctx.t(f"Dihitung oleh build pada seluruh panel ({p0}–{p1}).",
                     f"Computed by the build on the whole panel ({p0}–{p1}).")
    return ctx.t(f"Dihitung ulang hanya pada tahun {y0}–{y1} (seluruh panel: {p0}–{p1}).",
                 f"Recomputed on the years {y0}–{y1} only (whole panel: {p0}–{p1}).")


def estimable(df: pd.DataFrame) -> pd.DataFrame:
    """Rows with an estimate (a "not estimable" row keeps its note but no number)."""
    if "estimate" not in df.columns:
        return df.iloc[0:0]
    return df.dropna(subset=["estimate"])


def not_estimable_notes(df: pd.DataFrame) -> list[str]:
    if "note" not in df.columns:
        return []
    return [str(x) for x in df["note"].dropna() if str(x).startswith("not estimable")]


# =============================================================================================
# 2.0 innovation and budget
# =============================================================================================

def _panel_innovations(innovations: pd.DataFrame) -> pd.DataFrame:
    from analysis.methods.measures import MODEL_PROVENANCE

    inn = innovations[innovations["provenance"].isin(MODEL_PROVENANCE)
                      & ~innovations["is_duplicate"] & innovations["unit_id"].notna()]
    return inn.assign(digital_label=np.where(inn["digital"], "digital_yes", "digital_no"))


def innovation_trends(ctx: Context, innovations: pd.DataFrame) -> Result:
    """Counts of new innovations per year by stage, form and digital (panel data)."""
    inn = _panel_innovations(innovations)
    sim = is_simulated(inn)
    figs = []
    for cat in ("stage", "form", "digital_label"):
        fig = plots.counts_stacked(inn, lang=ctx.lang, simulated=sim, category=cat,
                                   year="reporting_year", ylabel_key="innovations")
        if cat == "digital_label":
            ax = fig.axes[0]
            ax.legend(ax.get_legend_handles_labels()[0],
                      [ctx.label(t.get_text()) for t in ax.get_legend().get_texts()])
        figs.append(fig)
    g = inn.groupby("reporting_year")
    t = pd.DataFrame({"total": g.size(), "digital": g["digital"].mean()})
    for st in ("inisiatif", "uji_coba", "implementasi"):
        t[st] = g["stage"].apply(lambda s, st=st: int((s == st).sum()))
    t["public_service"] = g["form"].apply(lambda s: float((s == "pelayanan_publik").mean()))
    head = [ctx.label("year"), ctx.label("innovations"), ctx.label("inisiatif"),
            ctx.label("uji_coba"), ctx.label("implementasi"),
            ctx.t("Porsi digital", "Digital share"),
            ctx.t("Porsi pelayanan publik", "Public-service share")]
    rows = [[y, int(r.total), int(r.inisiatif), int(r.uji_coba), int(r.implementasi),
             ctx.pct(r.digital), ctx.pct(r.public_service)] for y, r in t.iterrows()]
    y0, y1 = int(t.index.min()), int(t.index.max())
    pre = t.loc[t.index < 2020, "total"].mean()
    post = t.loc[t.index >= 2020, "total"].mean()
    text = ctx.t(
        f"{int(t['total'].sum())} inovasi baru dari {inn['unit_id'].nunique()} OPD, "
        f"{y0}–{y1}: {int(t.loc[y0, 'total'])} pada {y0}, {int(t.loc[y1, 'total'])} pada {y1}; "
        f"rata-rata {ctx.num(pre, 1)} per tahun sebelum 2020 dan {ctx.num(post, 1)} sejak 2020. "
        f"Porsi digital naik dari {ctx.pct(t.loc[y0, 'digital'])} ke "
        f"{ctx.pct(t.loc[y1, 'digital'])}.",
        f"{int(t['total'].sum())} new innovations from {inn['unit_id'].nunique()} OPDs, "
        f"{y0}–{y1}: {int(t.loc[y0, 'total'])} in {y0}, {int(t.loc[y1, 'total'])} in {y1}; "
        f"on average {ctx.num(pre, 1)} a year before 2020 and {ctx.num(post, 1)} from 2020. "
        f"The digital share went from {ctx.pct(t.loc[y0, 'digital'])} to "
        f"{ctx.pct(t.loc[y1, 'digital'])}.")
    cap = ctx.t("Inovasi baru per tahun menurut tahap, digital dan bentuk",
                "New innovations per year by stage, digital and form")
    return Result(ctx.t("Inovasi menurut tahap, bentuk dan digital",
                        "Innovations by stage, form and digital"), text, figs,
                  table_html(head, rows, ctx, cap, sim), t.reset_index(), sim,
                  {"pre_mean": float(pre), "post_mean": float(post),
                   "digital_first": float(t.loc[y0, "digital"]),
                   "digital_last": float(t.loc[y1, "digital"])})


def innovation_models(ctx: Context, model_results: pd.DataFrame, truth: dict,
                      panel: pd.DataFrame | None = None) -> Result:
    """The Poisson fixed-effects model of innovation counts, with intervals, raw and
    Holm-adjusted p-values, in words; an effect is claimed only when its adjusted p < 0.05."""
    sel = model_results[(model_results["model"] == "fe_poisson")
                        & (model_results["outcome"] == "innovations")]
    mr = estimable(sel)
    sim = is_simulated(model_results)
    title = ctx.t("Model Poisson efek tetap", "Poisson fixed-effects model")
    if mr.empty:
        why = "; ".join(not_estimable_notes(sel)) or ctx.t("tanpa baris", "no rows")
        return Result(title, bullets([ctx.t(f"Model tidak dapat ditaksir: {why}.",
                                            f"The model cannot be estimated: {why}."),
                                      fit_scope(ctx, model_results, sel)]), simulated=sim,
                      data=sel, facts={"n": 0, "n_clusters": 0, "covered": {}, "claims": [],
                                       "budget_ci_spans_zero": None, "n_tests": 0})
    fig = plots.coef_plot(mr, lang=ctx.lang, simulated=sim)
    fig.axes[0].set_title(ctx.t("Poisson efek tetap: jumlah inovasi",
                                "Poisson fixed effects: innovation count"))
    k = n_tests(model_results)
    lines = []
    for r in mr.itertuples():
        ev = evidence_phrase(ctx, r, k)
        if r.term == "dlog_budget":
            f = lambda b: np.exp(b * np.log(1.1)) - 1  # noqa: E731 - 10 % more budget
            lines.append(ctx.t(
                f"Anggaran 10% lebih besar pada tahun yang sama sejalan dengan perubahan "
                f"jumlah inovasi sebesar {ctx.pct(f(r.estimate))} (interval 95%: "
                f"{ctx.pct(f(r.ci_low))} s.d. {ctx.pct(f(r.ci_high))}; {ev}).",
                f"A 10% larger budget in the same year goes with a change of "
                f"{ctx.pct(f(r.estimate))} in the number of innovations (95% interval: "
                f"{ctx.pct(f(r.ci_low))} to {ctx.pct(f(r.ci_high))}; {ev})."))
        elif r.term == "acting_share":
            lines.append(ctx.t(
                f"Setahun penuh di bawah Plt sejalan dengan perubahan jumlah inovasi sebesar "
                f"{ctx.pct(np.expm1(r.estimate))} (interval: {ctx.pct(np.expm1(r.ci_low))} s.d. "
                f"{ctx.pct(np.expm1(r.ci_high))}; {ev}).",
                f"A full year under an acting head goes with a change of "
                f"{ctx.pct(np.expm1(r.estimate))} in the number of innovations (interval: "
                f"{ctx.pct(np.expm1(r.ci_low))} to {ctx.pct(np.expm1(r.ci_high))}; {ev})."))
        elif r.term == "cut_2020_x_post":
            f = lambda b: np.exp(-0.2 * b) - 1  # noqa: E731 - a 20 % deeper 2020 cut
            lines.append(ctx.t(
                f"Sesudah 2020, OPD yang dipotong 0,2 log (~18%) lebih dalam pada 2020 "
                f"mencatat perubahan jumlah inovasi per tahun sebesar {ctx.pct(f(r.estimate))} "
                f"(interval: "
                f"{ctx.pct(min(f(r.ci_low), f(r.ci_high)))} s.d. "
                f"{ctx.pct(max(f(r.ci_low), f(r.ci_high)))}; {ev}).",
                f"After 2020, an OPD cut 0.2 log (~18%) deeper in 2020 records a change of "
                f"{ctx.pct(f(r.estimate))} in innovations a year (interval: "
                f"{ctx.pct(min(f(r.ci_low), f(r.ci_high)))} to "
                f"{ctx.pct(max(f(r.ci_low), f(r.ci_high)))}; {ev})."))
    covered = [(r.term, _covers(r.ci_low, r.ci_high, planted(truth, r.outcome, r.term)))
               for r in mr.itertuples()]
    if sim and truth:
        ok = [ctx.label(t) for t, c in covered if c]
        miss = [ctx.label(t) for t, c in covered if c is False]
        lines.append(ctx.t(
            f"Pemeriksaan simulasi: interval memuat nilai yang ditanam untuk "
            f"{', '.join(ok) or 'tidak satu pun'}"
            + (f"; tidak untuk {', '.join(miss)}" if miss else "") + ".",
            f"Simulation check: the interval covers the planted value for "
            f"{', '.join(ok) or 'none'}" + (f"; not for {', '.join(miss)}" if miss else "")
            + "."))
    n = int(mr["n"].iloc[0])
    g = int(mr["n_clusters"].iloc[0])
    lines.append(ctx.t("Galat baku berkelompok per OPD. ", "Standard errors clustered by OPD. ")
                 + fit_scope(ctx, model_results, mr) + _computed_note(ctx, model_results))
    if k:
        lines.append(family_sentence(ctx, k))
    cap = ctx.t("Poisson efek tetap (OPD dan tahun): koefisien log-laju inovasi",
                "Poisson fixed effects (OPD and year): log innovation-rate coefficients")
    budget = mr[mr["term"] == "dlog_budget"]
    return Result(title, bullets(lines), [fig], _model_rows(ctx, mr, truth, cap, sim), mr, sim,
                  {"n": n, "n_clusters": g, "covered": dict(covered), "n_tests": k,
                   "claims": [(r.outcome, r.term) for r in mr.itertuples() if claim(r) == "yes"],
                   "budget_ci_spans_zero": bool(_covers(budget["ci_low"].iloc[0],
                                                        budget["ci_high"].iloc[0], 0.0))
                   if len(budget) else None})


def family_sentence(ctx: Context, k: int) -> str:
    """How many tests a finding comes from and the rule used to claim an effect."""
    return ctx.t(
        f"Uji berganda: temuan di notebook, dek dan ringkasan berasal dari satu keluarga {k} "
        "uji (model utama, efek Plt, setiap jeda dan efek kumulatif, uji tren awal). p Holm "
        "dikoreksi atas keluarga itu; efek hanya diklaim bila p Holm < 0,05.",
        f"Multiple testing: the findings of the notebooks, the deck and the brief come from "
        f"one family of {k} tests (main models, acting-head terms, every lag and cumulative "
        "effect, the pre-trend test). Holm-adjusted p-values are over that family; an effect "
        "is claimed only when its adjusted p < 0.05.")


def event_study_result(ctx: Context, event_study: pd.DataFrame, truth: dict) -> Result:
    """The event study around 2020 (cut intensity x year), with the pre-trend test (raw and
    Holm-adjusted p-value in the family of reported tests)."""
    es = estimable(event_study)
    es = es.sort_values("year") if "year" in es.columns else es
    sim = is_simulated(event_study)
    title = ctx.t("Studi peristiwa sekitar 2020", "Event study around 2020")
    if es.empty:
        why = "; ".join(not_estimable_notes(event_study)) or ctx.t("tanpa baris", "no rows")
        return Result(title, bullets([
            ctx.t(f"Studi peristiwa tidak dapat ditaksir pada tahun ini: {why}.",
                  f"The event study cannot be estimated on these years: {why}."),
            fit_scope(ctx, event_study, event_study.iloc[0:0])]), simulated=sim,
            data=event_study, facts={"pretrend_p": float("nan"), "pretrend_flagged": False,
                                     "post_sig": 0, "post_n": 0, "estimable": False})
    fig = plots.event_study_plot(es, lang=ctx.lang, simulated=sim, x="rel_year")
    fig.axes[0].set_title(ctx.t("Studi peristiwa: intensitas pemotongan 2020 × tahun",
                                "Event study: 2020 cut intensity × year"))
    ref = int(es["ref_year"].iloc[0])
    tr = truth.get("event_study", {}).get("total_relative_to_reference", {})
    head = [ctx.label("year"), ctx.label("relative_year"), ctx.label("estimate"),
            ctx.t("Interval 95%", "95% interval"), "p",
            ctx.t("Nilai tanam relatif (simulasi)", "Planted, relative (simulation)")]
    rows = [[int(r.year), int(r.rel_year), ctx.num(r.estimate, 3),
             _ci(ctx, r.ci_low, r.ci_high, 3), _p(ctx, r.p_value),
             planted_text(ctx, tr.get(str(int(r.year)), np.nan)) if sim and tr else fmt.MISSING]
            for r in es.itertuples()]
    pre_p = pretrend_p(event_study)
    pre_adj = (float(es["pretrend_p_adjusted"].iloc[0]) if "pretrend_p_adjusted" in es.columns
               else float("nan"))
    boot = "pretrend_p_f" in event_study.columns
    flagged = (bool(es["pretrend_flagged"].iloc[0]) if "pretrend_flagged" in es.columns
               else bool(pre_p < ALPHA))
    k = n_tests(event_study)
    post = es[es["year"] >= 2020]
    n_sig = int(((post["ci_low"] > 0) | (post["ci_high"] < 0)).sum())
    test_word = ctx.t("bootstrap-t berpasangan per OPD" if boot else "uji F Wald berkelompok",
                      "pairs cluster bootstrap-t" if boot else "clustered Wald F test")
    adj = (ctx.t(f", p Holm {_peq(ctx, pre_adj)[2:]} atas {k} uji",
                 f", Holm-adjusted p {_peq(ctx, pre_adj)[2:]} over {k} tests")
           if not pd.isna(pre_adj) else "")
    lines = [
        ctx.t(f"Uji bersama tren sebelum 2020 (tahun acuan {ref}, {test_word}): "
              f"{_peq(ctx, pre_p)}{adj}; "
              + ("**tren awal terdeteksi** (p < 0,05): hasil sesudah 2020 tidak bisa dibaca "
                 "sebagai efek." if flagged else
                 "tidak ada tren awal yang terdeteksi (bukan bukti tidak ada)."),
              f"Joint test of the pre-2020 leads (reference year {ref}, {test_word}): "
              f"{_peq(ctx, pre_p)}{adj}; " + ("**a pre-trend is detected** (p < 0.05): the "
                                            "post-2020 estimates cannot be read as effects."
                                            if flagged else
                                            "no pre-trend detected (not proof of none).")),
        ctx.t(f"Rata-rata koefisien 2020 dan sesudahnya: {ctx.num(post['estimate'].mean(), 2)}; "
              f"{n_sig} dari {len(post)} interval tahunan tidak memuat nol (tanpa koreksi uji "
              "berganda; bukan klaim efek per tahun).",
              f"Mean coefficient from 2020: {ctx.num(post['estimate'].mean(), 2)}; {n_sig} of "
              f"{len(post)} yearly intervals exclude zero (not adjusted for multiple tests; "
              "not a claim of a yearly effect)."),
        ctx.t("Koefisien positif berarti OPD yang dipotong *lebih dalam* (cut_2020 lebih "
              "negatif) mencatat lebih *sedikit* inovasi relatif terhadap tahun acuan.",
              "A positive coefficient means OPDs cut *deeper* (more negative cut_2020) record "
              "*fewer* innovations relative to the reference year."),
        fit_scope(ctx, event_study, es),
    ]
    cap = ctx.t(f"Studi peristiwa Poisson (acuan {ref}, n = {int(es['n'].iloc[0])}, "
                f"{int(es['n_clusters'].iloc[0])} OPD)",
                f"Poisson event study (reference {ref}, n = {int(es['n'].iloc[0])}, "
                f"{int(es['n_clusters'].iloc[0])} OPDs)")
    return Result(title, bullets(lines), [fig], table_html(head, rows, ctx, cap, sim), es, sim,
                  {"pretrend_p": pre_p, "pretrend_p_adjusted": pre_adj,
                   "pretrend_flagged": flagged, "post_sig": n_sig, "post_n": len(post),
                   "estimable": True})


def claims_sentence(ctx: Context, claims: Sequence[tuple[str, str]], k: int) -> str:
    """Which effects are claimed (Holm-adjusted p < 0.05 over the family of k tests)."""
    if not k:
        return ctx.t("Tidak ada p terkoreksi untuk uji berganda, jadi tidak ada efek yang "
                     "diklaim.", "No p-values adjusted for multiple testing are available, so "
                     "no effect is claimed.")
    if not claims:
        return ctx.t(f"Tidak ada efek yang diklaim: tidak satu pun p Holm (atas {k} uji) di "
                     "bawah 0,05.", f"No effect is claimed: no Holm-adjusted p-value (over {k} "
                     "tests) is below 0.05.")
    what = ", ".join(f"{ctx.label(o)} ~ {ctx.label(t)}" for o, t in claims)
    return ctx.t(f"Efek yang diklaim (p Holm < 0,05 atas {k} uji): {what}.",
                 f"Effects claimed (Holm-adjusted p < 0.05 over {k} tests): {what}.")


def innovation_says(ctx: Context, models_res: Result, es_res: Result,
                    trends: Result) -> Result:
    """What the innovation results say and do not say, from their facts."""
    f = _facts(trends, models_res, es_res)
    says = [
        ctx.t(f"Jumlah inovasi rata-rata {ctx.num(f['pre_mean'], 1)} per tahun sebelum 2020 "
              f"dan {ctx.num(f['post_mean'], 1)} sesudahnya.",
              f"Innovation counts averaged {ctx.num(f['pre_mean'], 1)} a year before 2020 and "
              f"{ctx.num(f['post_mean'], 1)} after."),
        ctx.t("Model membandingkan setiap OPD dengan dirinya sendiri dari tahun ke tahun, "
              "setelah guncangan bersama tiap tahun dihapus.",
              "The models compare each OPD with itself over time, after removing shocks "
              "common to all OPDs in a year."),
    ]
    says.append(claims_sentence(ctx, f.get("claims", []), f.get("n_tests", 0)))
    if f.get("budget_ci_spans_zero"):
        says.append(ctx.t("Interval koefisien anggaran memuat nol: data ini tidak cukup untuk "
                          "memastikan arah hubungan anggaran dengan jumlah inovasi tahun yang "
                          "sama.",
                          "The budget coefficient's interval includes zero: this data cannot "
                          "pin down the sign of the same-year budget–innovation link."))
    not_say = [
        ctx.t("Bukan bukti sebab-akibat: pemotongan 2020 tidak acak antar OPD.",
              "Not proof of cause: the 2020 cuts were not random across OPDs."),
        ctx.t("Tidak menilai mutu atau dampak inovasi, hanya jumlahnya.",
              "Nothing about the quality or impact of innovations, only their number."),
        ctx.t(f"Dengan {f['n_clusters']} OPD dan jumlah per OPD yang kecil, interval lebar.",
              f"With {f['n_clusters']} OPDs and small counts per OPD, intervals are wide.")
        if f.get("n_clusters") else
        ctx.t("Tidak ada model yang dapat ditaksir pada tahun ini.",
              "No model could be estimated on these years."),
    ]
    if f.get("pretrend_flagged"):
        not_say.append(ctx.t("Tren awal terdeteksi: studi peristiwa tidak dapat dibaca "
                             "sebagai efek.", "A pre-trend was detected: the event study "
                             "cannot be read as an effect."))
    text = (ctx.t("**Yang dikatakan hasil ini**", "**What the results say**") + "\n\n"
            + bullets(says) + "\n\n" + ctx.t("**Yang tidak dikatakan**",
                                             "**What they do not say**") + "\n\n"
            + bullets(not_say))
    return Result(ctx.t("Kesimpulan", "Conclusions"), text, simulated=models_res.simulated,
                  facts=f)


# =============================================================================================
# 2.1 service and budget
# =============================================================================================

SERVICE_OUTCOMES = ("ikm", "ombudsman_score", "complaints")


def service_trends(ctx: Context, panel: pd.DataFrame) -> Result:
    """IKM, Ombudsman compliance and complaints per year (units that report them)."""
    sim = is_simulated(panel)
    g = panel.groupby("year")
    t = pd.DataFrame({"ikm": g["ikm"].mean(), "n_ikm": g["ikm"].count(),
                      "ombudsman_score": g["ombudsman_score"].mean(),
                      "n_omb": g["ombudsman_score"].count(),
                      "complaints": g["complaints"].sum(min_count=1),
                      "n_compl": g["complaints"].count(),
                      "budget": g["dlog_budget"].median()}).reset_index()
    fig = _line_figure(t, "year", ["ikm", "ombudsman_score"], ctx,
                       ctx.t("Rata-rata unit (0–100)", "Mean over units (0–100)"), sim)
    head = [ctx.label("year"), ctx.label("ikm"), "n", ctx.label("ombudsman_score"), "n",
            ctx.label("complaints"), "n", ctx.t("Median perubahan anggaran",
                                                "Median budget change")]
    rows = [[int(r.year), ctx.num(r.ikm), int(r.n_ikm), ctx.num(r.ombudsman_score),
             int(r.n_omb), fmt.number(r.complaints, ctx.lang, 0), int(r.n_compl),
             ctx.pct(np.expm1(r.budget))] for r in t.itertuples()]
    ik = t.dropna(subset=["ikm"]).set_index("year")["ikm"]
    text = ctx.t(
        f"IKM rata-rata {ctx.num(ik.iloc[0])} ({ik.index[0]}) dan {ctx.num(ik.iloc[-1])} "
        f"({ik.index[-1]}), terendah {ctx.num(ik.min())} pada {ik.idxmin()}. Skor Ombudsman "
        f"tersedia untuk paling banyak {int(t['n_omb'].max())} unit per tahun.",
        f"Mean IKM {ctx.num(ik.iloc[0])} ({ik.index[0]}) and {ctx.num(ik.iloc[-1])} "
        f"({ik.index[-1]}), lowest {ctx.num(ik.min())} in {ik.idxmin()}. Ombudsman scores "
        f"exist for at most {int(t['n_omb'].max())} units a year.")
    cap = ctx.t("Indikator layanan per tahun (unit garis depan)",
                "Service indicators per year (front-line units)")
    return Result(ctx.t("Indikator layanan dari tahun ke tahun", "Service indicators over time"),
                  text, [fig], table_html(head, rows, ctx, cap, sim), t, sim,
                  {"ikm_low_year": int(ik.idxmin()), "n_omb_max": int(t["n_omb"].max())})


BUDGET_GROUPS = (("cut", -np.inf, np.log(0.95)), ("stable", np.log(0.95), np.log(1.05)),
                 ("increase", np.log(1.05), np.inf))


def service_by_budget_change(ctx: Context, panel: pd.DataFrame) -> Result:
    """Change of each service indicator in the year after a budget cut, stable year or
    increase (descriptive, before any model)."""
    sim = is_simulated(panel)
    d = panel.dropna(subset=["dlog_budget_lag1"])
    words = {"cut": ctx.t("Dipotong >5% tahun lalu", "Cut >5% the year before"),
             "stable": ctx.t("Stabil (±5%)", "Stable (±5%)"),
             "increase": ctx.t("Naik >5% tahun lalu", "Up >5% the year before")}
    rows, data = [], []
    for key, lo, hi in BUDGET_GROUPS:
        g = d[(d["dlog_budget_lag1"] > lo) & (d["dlog_budget_lag1"] <= hi)]
        vals = {c: (g[f"d_{c}"].mean(), int(g[f"d_{c}"].count())) for c in SERVICE_OUTCOMES}
        data.append({"group": key, **{f"d_{c}": v[0] for c, v in vals.items()},
                     **{f"n_{c}": v[1] for c, v in vals.items()}})
        rows.append([words[key], *[f"{ctx.num(v[0])} (n={v[1]})" for v in vals.values()]])
    t = pd.DataFrame(data).set_index("group")
    head = [ctx.t("Anggaran tahun lalu", "Budget the year before"),
            *[ctx.t("Perubahan ", "Change in ") + ctx.label(c) for c in SERVICE_OUTCOMES]]
    diff = t.loc["cut", "d_ikm"] - t.loc["increase", "d_ikm"]
    text = ctx.t(
        f"Setahun setelah pemotongan >5%, IKM berubah rata-rata {ctx.num(t.loc['cut', 'd_ikm'])} "
        f"poin; setelah kenaikan >5%, {ctx.num(t.loc['increase', 'd_ikm'])} poin (selisih "
        f"{ctx.num(diff)}). Perbandingan mentah ini belum memisahkan guncangan tahunan "
        "bersama; model di bawah melakukannya.",
        f"The year after a >5% cut, IKM changed by {ctx.num(t.loc['cut', 'd_ikm'])} points on "
        f"average; after a >5% increase, by {ctx.num(t.loc['increase', 'd_ikm'])} points "
        f"(difference {ctx.num(diff)}). This raw comparison does not remove shocks common "
        "to a year; the models below do.")
    cap = ctx.t("Perubahan indikator layanan menurut perubahan anggaran tahun sebelumnya",
                "Change in service indicators by the previous year's budget change")
    return Result(ctx.t("Setelah dipotong, stabil atau naik", "After a cut, a stable year or "
                        "an increase"), text, [], table_html(head, rows, ctx, cap, sim),
                  t.reset_index(), sim, {"ikm_cut_minus_increase": float(diff)})


def _lag_term(ctx: Context, term: str, max_lag: int) -> str:
    if term == "cumulative":
        return ctx.t(f"kumulatif (jeda 0–{max_lag})", f"cumulative (lags 0–{max_lag})")
    k = int(str(term).rsplit("lag", 1)[1])
    return ctx.t("tahun yang sama" if k == 0 else f"jeda {k} th",
                 "same year" if k == 0 else f"lag {k} y")


def service_lags(ctx: Context, lag_results: pd.DataFrame, truth: dict,
                 max_lag: int | None = None) -> Result:
    """One distributed-lag model per service indicator: the budget change 0..max_lag years
    before, all lags in the same model (unit and year effects; Poisson for complaints), each
    lag and the cumulative effect (their sum) with its interval, raw and Holm-adjusted p.
    No lag is picked by its t statistic: every lag is shown, and an effect is claimed only
    where the adjusted p-value is below 0.05."""
    sim = is_simulated(lag_results)
    title = ctx.t("Anggaran dan layanan: semua jeda dalam satu model",
                  "Budget and service: all lags in one model")
    fit = lag_results.attrs.get("fit") or {}
    max_lag = int(fit.get("max_lag", DEFAULT_MAX_LAG) if max_lag is None else max_lag)
    if "lag" not in lag_results.columns:
        raise ValueError("lag_results has no 'lag' column: the data was built before the "
                         "joint distributed-lag models; rebuild with `python -m analysis "
                         "build`")
    ok = estimable(lag_results)
    k_tests = n_tests(lag_results)
    rows, lines, claims, facts_cum = [], [], [], {}
    for r in lag_results.itertuples():
        tv = planted(truth, r.outcome, r.term, max_lag if r.term == "cumulative" else None)
        rows.append([ctx.label(r.outcome), _lag_term(ctx, r.term, max_lag) if not pd.isna(
                     r.estimate) else fmt.MISSING, ctx.num(r.estimate, 3),
                     scale_word(ctx, r.outcome, r.model), _ci(ctx, r.ci_low, r.ci_high, 3),
                     _p(ctx, r.p_value), _p(ctx, getattr(r, "p_adjusted", np.nan)),
                     _int(getattr(r, "n_tests", np.nan)), int(r.n), int(r.n_clusters),
                     planted_text(ctx, tv) if sim else fmt.MISSING, r.note])
    covered: dict = {}
    for outcome in dict.fromkeys(lag_results["outcome"]):
        g = ok[ok["outcome"] == outcome]
        if g.empty:
            why = "; ".join(not_estimable_notes(lag_results[lag_results["outcome"] == outcome]))
            lines.append(ctx.t(f"{ctx.label(outcome)}: tidak dapat ditaksir ({why}).",
                               f"{ctx.label(outcome)}: cannot be estimated ({why})."))
            continue
        unit = scale_word(ctx, outcome, g["model"].iloc[0])
        lags = g[g["term"] != "cumulative"].sort_values("lag")
        each = "; ".join(f"{_lag_term(ctx, x.term, max_lag)} {ctx.num(x.estimate)} "
                         f"{_ci(ctx, x.ci_low, x.ci_high)}" for x in lags.itertuples())
        cum = g[g["term"] == "cumulative"]
        part = ctx.t(f"{ctx.label(outcome)} ({unit} per satu satuan log perubahan anggaran; "
                     f"n = {int(g['n'].max())}, {int(g['n_clusters'].max())} OPD): {each}.",
                     f"{ctx.label(outcome)} ({unit} per unit of log budget change; n = "
                     f"{int(g['n'].max())}, {int(g['n_clusters'].max())} OPDs): {each}.")
        if len(cum):
            c = next(cum.itertuples())
            part += ctx.t(f" Kumulatif {ctx.num(c.estimate)} {_ci(ctx, c.ci_low, c.ci_high)} "
                          f"({evidence_phrase(ctx, c, k_tests)}).",
                          f" Cumulative {ctx.num(c.estimate)} {_ci(ctx, c.ci_low, c.ci_high)} "
                          f"({evidence_phrase(ctx, c, k_tests)}).")
            facts_cum[outcome] = claim(c)
        yes = [x for x in lags.itertuples() if claim(x) == "yes"]
        raw = [x for x in lags.itertuples() if claim(x) == "raw"]
        if yes:
            part += ctx.t(" Jeda dengan p Holm < 0,05: "
                          + ", ".join(_lag_term(ctx, x.term, max_lag) for x in yes) + ".",
                          " Lags with Holm-adjusted p < 0.05: "
                          + ", ".join(_lag_term(ctx, x.term, max_lag) for x in yes) + ".")
        else:
            part += ctx.t(" Tidak ada jeda tunggal dengan p Holm < 0,05.",
                          " No single lag has a Holm-adjusted p below 0.05.")
        if raw:
            part += ctx.t(" Interval tanpa koreksi tidak memuat nol pada "
                          + ", ".join(_lag_term(ctx, x.term, max_lag) for x in raw)
                          + ", tetapi itu tidak diklaim.",
                          " Unadjusted intervals exclude zero at "
                          + ", ".join(_lag_term(ctx, x.term, max_lag) for x in raw)
                          + ", which is not claimed.")
        lines.append(part)
        claims += [(x.outcome, x.term) for x in g.itertuples() if claim(x) == "yes"]
        for x in g.itertuples():
            covered[(outcome, x.term)] = _covers(
                x.ci_low, x.ci_high,
                planted(truth, outcome, x.term, max_lag if x.term == "cumulative" else None))
    if sim and truth and any(v is not None for v in covered.values()):
        miss = [f"{ctx.label(o)} {_lag_term(ctx, t, max_lag)}" for (o, t), v in covered.items()
                if v is False]
        n_chk = sum(v is not None for v in covered.values())
        lines.append(ctx.t(
            f"Pemeriksaan simulasi: interval memuat nilai yang ditanam (termasuk nol yang "
            f"ditanam) untuk {n_chk - len(miss)} dari {n_chk} koefisien"
            + (f"; tidak untuk {', '.join(miss)}." if miss else "."),
            f"Simulation check: the interval covers the planted value (planted zeros "
            f"included) for {n_chk - len(miss)} of {n_chk} coefficients"
            + (f"; not for {', '.join(miss)}." if miss else ".")))
    lines.append(ctx.t(
        "Semua jeda ada dalam satu model per indikator, sehingga setiap jeda dibaca dengan jeda "
        "lain tetap; perubahan anggaran berkorelasi negatif dari tahun ke tahun, jadi model per "
        "jeda akan menyesatkan. Efek kumulatif adalah jumlah jeda dengan intervalnya sendiri.",
        "All lags are in one model per indicator, so each lag is read holding the others "
        "fixed; budget changes are negatively autocorrelated within an OPD, so one model per "
        "lag would mislead. The cumulative effect is the sum of the lags, with its own "
        "interval."))
    lines.append(fit_scope(ctx, lag_results, ok) + (" " + family_sentence(ctx, k_tests)
                                                    if k_tests else ""))
    figs = []
    if len(ok):
        plot_df = ok.assign(term=[f"{ctx.label(o)} · {_lag_term(ctx, t, max_lag)}" for o, t in
                                  zip(ok["outcome"], ok["term"], strict=True)])
        fig = plots.coef_plot(plot_df, lang=ctx.lang, simulated=sim)
        fig.axes[0].set_title(ctx.t("Koefisien perubahan anggaran (log): semua jeda dalam satu "
                                    "model", "Budget-change (log) coefficients: all lags in "
                                    "one model"))
        figs.append(fig)
    head = [ctx.t("Hasil", "Outcome"), ctx.t("Jeda", "Lag"), ctx.label("estimate"),
            ctx.t("Satuan", "Unit"), ctx.t("Interval 95%", "95% interval"), "p",
            ctx.t("p Holm", "Holm p"), ctx.t("Uji", "Tests"), "n", ctx.t("OPD", "OPDs"),
            ctx.t("Nilai tanam (simulasi)", "Planted (simulation)"), ctx.t("Catatan", "Note")]
    cap = ctx.t("Model jeda terdistribusi: efek tetap OPD dan tahun, galat baku berkelompok "
                "per OPD", "Distributed-lag models: OPD and year fixed effects, standard "
                "errors clustered by OPD")
    return Result(title, bullets(lines), figs, table_html(head, rows, ctx, cap, sim),
                  lag_results, sim,
                  {"claims": claims, "cumulative": facts_cum, "n_tests": k_tests,
                   "max_lag": max_lag, "covered": covered,
                   "n_clusters_service": int(ok["n_clusters"].max()) if len(ok) else 0})


def service_conclusions(ctx: Context, *results: Result) -> Result:
    f = _facts(*results)
    lines = []
    word = {"yes": ctx.t("dapat dibedakan dari nol setelah koreksi uji berganda",
                         "distinguishable from zero after adjusting for multiple tests"),
            "raw": ctx.t("hanya tanpa koreksi tidak memuat nol: tidak diklaim",
                         "excludes zero only without adjustment: not claimed"),
            "no": ctx.t("tidak dapat dibedakan dari nol", "not distinguishable from zero")}
    for outcome, c in f.get("cumulative", {}).items():
        lines.append(ctx.t(f"{ctx.label(outcome)}: efek kumulatif perubahan anggaran "
                           f"{word[c]}.", f"{ctx.label(outcome)}: the cumulative effect of a "
                           f"budget change is {word[c]}."))
    lines.append(claims_sentence(ctx, f.get("claims", []), f.get("n_tests", 0)))
    lines.append(ctx.t(
        f"Indikator layanan hanya ada untuk unit garis depan ({f.get('n_clusters_service', 0)} "
        f"OPD dalam model); skor Ombudsman untuk paling banyak {f.get('n_omb_max', 0)} unit "
        "per tahun, jadi hasil Ombudsman paling rapuh.",
        f"Service indicators exist only for front-line units ({f.get('n_clusters_service', 0)} "
        f"OPDs in the models); Ombudsman scores for at most {f.get('n_omb_max', 0)} units a "
        "year, so the Ombudsman results are the most fragile."))
    return Result(ctx.t("Kesimpulan", "Conclusions"), bullets(lines),
                  simulated=any(r.simulated for r in results), facts=f)


# =============================================================================================
# 3.0 typology, resilience, leadership
# =============================================================================================

def typology_choice(ctx: Context, typology_k: pd.DataFrame) -> Result:
    """The choice of k for the clusters, with its silhouette."""
    sim = is_simulated(typology_k)
    k = typology_k.dropna(subset=["silhouette"])
    if k.empty:
        note = typology_k["note"].iloc[0] if "note" in typology_k else ""
        return Result(ctx.t("Pilihan jumlah kelompok", "Choice of the number of clusters"),
                      ctx.t(f"Tipologi tidak dapat dihitung: {note}",
                            f"The typology cannot be computed: {note}"), simulated=sim)
    best = k[k["chosen"]].iloc[0]
    strength = (ctx.t("struktur lemah: kelompok adalah ringkasan yang berguna, bukan kelompok "
                      "alami", "weak structure: the clusters are a useful summary, not natural "
                      "groups") if best["silhouette"] < 0.25 else
                ctx.t("struktur sedang", "moderate structure") if best["silhouette"] < 0.5 else
                ctx.t("struktur kuat", "strong structure"))
    text = ctx.t(
        f"k = {int(best['k'])} dipilih karena siluetnya tertinggi ({ctx.num(best['silhouette'], 3)}"
        f", {int(best['n_units'])} OPD): {strength}. KMeans pada ciri lintasan yang "
        "dibakukan (pemotongan 2020, pertumbuhan anggaran, tren inovasi, tingkat dan tren IKM, "
        "porsi rutin).",
        f"k = {int(best['k'])} is chosen for the highest silhouette "
        f"({ctx.num(best['silhouette'], 3)}, {int(best['n_units'])} OPDs): {strength}. KMeans "
        "on standardized trajectory features (2020 cut, budget growth, innovation trend, IKM "
        "level and trend, routine share).") + " " + window_sentence(ctx, typology_k)
    head = ["k", ctx.t("Siluet", "Silhouette"), ctx.t("Dipilih", "Chosen")]
    rows = [[int(r.k), ctx.num(r.silhouette, 3), "✓" if r.chosen else ""]
            for r in k.itertuples()]
    cap = ctx.t("Siluet menurut jumlah kelompok k", "Silhouette by number of clusters k")
    return Result(ctx.t("Pilihan jumlah kelompok", "Choice of the number of clusters"), text,
                  [], table_html(head, rows, ctx, cap, sim), k, sim,
                  {"k": int(best["k"]), "silhouette": float(best["silhouette"])})


def typology_clusters(ctx: Context, typology: pd.DataFrame) -> Result:
    """The clusters: size, description, members and standardized centres."""
    import matplotlib.pyplot as plt

    sim = is_simulated(typology)
    names = unit_names(ctx)
    zcols = [c for c in typology.columns if c.startswith("z_")]
    cl = typology.groupby("cluster").agg(n=("unit_id", "size"),
                                         desc=(f"description_{ctx.lang}", "first"),
                                         members=("unit_id", lambda s: ", ".join(sorted(s))))
    centres = typology.groupby("cluster")[zcols].first()
    with plots.style_context():
        fig, ax = plt.subplots(figsize=(8, 0.6 * len(cl) + 2))
        im = ax.imshow(centres.to_numpy(float), cmap="RdBu_r", vmin=-2, vmax=2, aspect="auto")
        ax.set_xticks(range(len(zcols)), [ctx.label(c[2:]) for c in zcols], rotation=30,
                      ha="right")
        ax.set_yticks(range(len(cl)), [f"{ctx.t('Kelompok', 'Cluster')} {c} (n={int(n)})"
                                       for c, n in cl["n"].items()])
        ax.grid(False)
        fig.colorbar(im, ax=ax, label=ctx.t("Pusat kelompok (simpangan baku)",
                                            "Cluster centre (standard deviations)"))
    if sim:
        plots.mark_simulated(fig, ctx.lang)
    head = [ctx.t("Kelompok", "Cluster"), "n", ctx.t("Ciri", "Profile"),
            ctx.t("Anggota", "Members")]
    rows = [[c, int(r.n), r.desc, r.members] for c, r in cl.iterrows()]
    lines = [ctx.t(f"Kelompok {c} ({int(r.n)} OPD): {r.desc}.",
                   f"Cluster {c} ({int(r.n)} OPDs): {r.desc}.") for c, r in cl.iterrows()]
    facts = {"n_clusters_typology": len(cl)}
    if ctx.unit_id in set(typology["unit_id"]):
        c = int(typology.loc[typology["unit_id"] == ctx.unit_id, "cluster"].iloc[0])
        lines.append(ctx.t(f"{_name(names, ctx.unit_id)} ada di kelompok {c}.",
                           f"{_name(names, ctx.unit_id)} is in cluster {c}."))
        facts["unit_cluster"] = c
    cap = ctx.t("Kelompok OPD (KMeans pada ciri lintasan yang dibakukan)",
                "Clusters of OPDs (KMeans on standardized trajectory features)")
    return Result(ctx.t("Tipologi OPD", "Typology of OPDs"), bullets(lines), [fig],
                  table_html(head, rows, ctx, cap, sim), cl.reset_index(), sim, facts)


def resilience_ranking(ctx: Context, resilience: pd.DataFrame, top_n: int = 10,
                       truth: dict | None = None) -> Result:
    """Which OPDs cut in 2020 held up: each cut OPD's post-2020 outcome against its
    counterfactual (a model fitted on untreated observations only), with intervals that include
    that model's uncertainty; OPDs grouped by verdict and ranked only as far as their 95 % rank
    intervals separate them (``models.resilience``)."""
    from analysis.publish import report

    sim = is_simulated(resilience)
    title = ctx.t("Ketahanan OPD yang dipotong", "Resilience of the OPDs that were cut")
    names = unit_names(ctx)
    notes = not_estimable_notes(resilience)
    if len(resilience) and len(notes) == len(resilience):
        return Result(title, ctx.t(f"Ketahanan tidak dapat ditaksir: {notes[0]}.",
                                   f"Resilience cannot be estimated: {notes[0]}."),
                      simulated=sim, data=resilience, facts={})
    try:
        res = report.check_resilience(resilience)
    except ValueError as exc:
        return Result(title, str(exc), simulated=sim, data=resilience, facts={})
    ok = res.dropna(subset=["effect"])
    truth_res = (truth or {}).get("resilience", {}) if sim else {}
    figs, rows, lines = [], [], []
    facts: dict = {"resilience_outcomes": []}
    for outcome in [o for o in ("innovations", "ikm") if o in set(res["outcome"])] + sorted(
            set(res["outcome"].dropna()) - {"innovations", "ikm", ""}):
        g_all = res[res["outcome"] == outcome]
        g = ok[ok["outcome"] == outcome].sort_values("effect", ascending=False)
        unit = report.RESILIENCE_UNITS.get(outcome, {}).get(ctx.lang, "")
        plant = truth_res.get(outcome, {}) if isinstance(truth_res, dict) else {}
        facts["resilience_outcomes"].append(outcome)
        groups = {v: g[g["verdict"] == v] for v in report.VERDICTS}
        n_ne = len(g_all) - len(g)
        for v in ("above", "below", "indistinguishable"):
            facts[f"{v}_{outcome}"] = len(groups[v])
        if g.empty:
            lines.append(ctx.t(f"{ctx.label(outcome)}: tidak ada OPD yang dapat dinilai.",
                               f"{ctx.label(outcome)}: no OPD can be assessed."))
            continue
        show_df = pd.concat([g.head(top_n), g.tail(top_n)]).drop_duplicates("unit_id")
        if ctx.unit_id in set(g["unit_id"]) and ctx.unit_id not in set(show_df["unit_id"]):
            show_df = pd.concat([show_df, g[g["unit_id"] == ctx.unit_id]])
        fig = plots.resilience_plot(show_df, lang=ctx.lang, simulated=sim,
                                    names=names.to_dict(), planted=plant or None,
                                    xlabel=ctx.t(f"Selisih terhadap kontrafaktual: {unit} "
                                                 "(interval 95%)",
                                                 f"Difference from the counterfactual: {unit} "
                                                 "(95% interval)"))
        fig.axes[0].set_title(ctx.label(outcome) + (ctx.t(f" ({top_n} teratas dan terbawah)",
                                                          f" ({top_n} at each end)")
                                                    if len(show_df) < len(g) else ""))
        figs.append(fig)
        n_untr = (int(g["n_untreated_units"].max()) if "n_untreated_units" in g.columns
                  and g["n_untreated_units"].notna().any() else None)

        def listing(df):
            return ", ".join(f"{_name(names, x.unit_id)} {ctx.num(x.effect)} "
                             f"{_ci(ctx, x.ci_low, x.ci_high)}" for x in df.itertuples()) or "–"

        lines.append(ctx.t(
            f"{ctx.label(outcome)} ({unit}): {len(g)} OPD yang dipotong pada 2020 dibandingkan "
            "dengan kontrafaktualnya, yaitu prediksi model yang ditaksir hanya pada pengamatan "
            "tanpa perlakuan (semua OPD sebelum 2020"
            + (f", {n_untr} OPD yang tidak dipotong sesudahnya" if n_untr is not None else "")
            + "). " + f"Di atas kontrafaktual (interval di atas 0): {len(groups['above'])} "
            f"({listing(groups['above'])}); di bawah (interval di bawah 0): "
            f"{len(groups['below'])} ({listing(groups['below'])}); tidak dapat dibedakan "
            f"(interval memuat 0): {len(groups['indistinguishable'])}"
            + (f"; tidak dapat ditaksir: {n_ne}" if n_ne else "") + ".",
            f"{ctx.label(outcome)} ({unit}): {len(g)} OPDs cut in 2020 compared with their "
            "counterfactual, the prediction of a model fitted on untreated observations only "
            "(every OPD before 2020"
            + (f", {n_untr} OPDs not cut afterwards" if n_untr is not None else "") + "). "
            f"Above the counterfactual (interval above 0): {len(groups['above'])} "
            f"({listing(groups['above'])}); below (interval below 0): {len(groups['below'])} "
            f"({listing(groups['below'])}); indistinguishable (interval contains 0): "
            f"{len(groups['indistinguishable'])}" + (f"; not estimable: {n_ne}" if n_ne else "")
            + "."))
        lines.append(ctx.label(outcome) + ": "
                     + report.resilience_ranking_words(g, ctx.lang, names.to_dict()))
        top, bottom = report.separated_ends(g)
        facts[f"best_{outcome}"], facts[f"worst_{outcome}"] = top, bottom
        if plant:
            chk = g.assign(_tv=[plant.get(str(u), np.nan) for u in g["unit_id"]])
            chk = chk.dropna(subset=["_tv"])
            if len(chk):
                cov = int(((chk["ci_low"] <= chk["_tv"]) & (chk["_tv"] <= chk["ci_high"])).sum())
                rho = chk["effect"].corr(chk["_tv"], method="spearman") if len(chk) > 2 else np.nan
                lines.append(ctx.t(
                    f"Pemeriksaan simulasi ({ctx.label(outcome)}): interval memuat nilai "
                    f"ketahanan yang ditanam untuk {cov} dari {len(chk)} OPD; korelasi Spearman "
                    f"perkiraan dengan nilai tanam {ctx.num(rho, 2)}.",
                    f"Simulation check ({ctx.label(outcome)}): the interval covers the planted "
                    f"resilience for {cov} of {len(chk)} OPDs; Spearman correlation of estimate "
                    f"and planted value {ctx.num(rho, 2)}."))
                facts[f"coverage_{outcome}"] = cov / len(chk)
        for r in g_all.sort_values("rank", na_position="last").itertuples():
            rows.append([ctx.label(outcome), _name(names, r.unit_id), ctx.num(r.effect),
                         _ci(ctx, r.ci_low, r.ci_high), report.rank_text(r, ctx.lang),
                         report.VERDICT_WORDS.get(r.verdict, {}).get(ctx.lang, str(r.verdict)),
                         ctx.num(getattr(r, "observed_mean", np.nan)),
                         ctx.num(getattr(r, "counterfactual_mean", np.nan)),
                         _int(getattr(r, "n_post", np.nan)),
                         planted_text(ctx, plant.get(str(r.unit_id), np.nan)) if plant
                         else fmt.MISSING, r.note])
    if ctx.unit_id is not None:
        mine = ok[ok["unit_id"] == ctx.unit_id]
        if mine.empty:
            lines.append(ctx.t(f"{_name(names, ctx.unit_id)} tidak dinilai (tidak dipotong "
                               "pada 2020 atau tanpa data).",
                               f"{_name(names, ctx.unit_id)} is not assessed (not cut in 2020 "
                               "or no data)."))
        for r in mine.itertuples():
            verdict = report.VERDICT_WORDS.get(r.verdict, {}).get(ctx.lang, str(r.verdict))
            lines.append(ctx.t(f"{_name(names, r.unit_id)}, {ctx.label(r.outcome)}: "
                               f"{ctx.num(r.effect)} {_ci(ctx, r.ci_low, r.ci_high)}, {verdict}; "
                               f"{report.rank_text(r, ctx.lang)}.",
                               f"{_name(names, r.unit_id)}, {ctx.label(r.outcome)}: "
                               f"{ctx.num(r.effect)} {_ci(ctx, r.ci_low, r.ci_high)}, {verdict}; "
                               f"{report.rank_text(r, ctx.lang)}."))
    lines.append(ctx.t(
        "Interval mencakup ketidakpastian model kontrafaktual (bootstrap berkelompok per OPD), "
        "bukan hanya keragaman antar tahun. Peringkat hanya dibaca sejauh interval peringkat "
        "95% tidak tumpang tindih.",
        "Intervals include the counterfactual model's own uncertainty (a cluster bootstrap "
        "over OPDs), not only year-to-year noise. Ranks are read only as far as the 95% rank "
        "intervals do not overlap."))
    head = [ctx.t("Hasil", "Outcome"), ctx.label("unit"),
            ctx.t("Selisih thd kontrafaktual", "Difference from counterfactual"),
            ctx.t("Interval 95%", "95% interval"), ctx.t("Peringkat", "Rank"),
            ctx.t("Putusan", "Verdict"), ctx.t("Rata-rata nyata", "Observed mean"),
            ctx.t("Rata-rata kontrafaktual", "Counterfactual mean"),
            ctx.t("Tahun sesudah", "Post years"),
            ctx.t("Nilai tanam (simulasi)", "Planted (simulation)"), ctx.t("Catatan", "Note")]
    cap = ctx.t("Ketahanan: rata-rata hasil nyata dikurangi kontrafaktual sejak 2020 (1 = "
                "selisih tertinggi; interval peringkat 95%)",
                "Resilience: mean observed minus counterfactual from 2020 (1 = highest "
                "difference; 95% rank interval)")
    return Result(title, bullets(lines), figs, table_html(head, rows, ctx, cap, sim), res, sim,
                  facts)


def leadership_events(ctx: Context, leadership: pd.DataFrame, panel: pd.DataFrame) -> Result:
    """Changes of head by kind and year; how long OPDs were under acting heads."""
    sim = is_simulated(leadership)
    ev = leadership.assign(year=leadership["date"].dt.year)
    first = ev.sort_values("date").groupby("unit_id").head(1).index
    changes = ev.drop(index=first)
    t = changes.groupby(["year", "event"]).size().unstack(fill_value=0)
    t = t.reindex(columns=["definitive", "acting", "rotation"], fill_value=0)
    fig = plots.counts_stacked(changes, lang=ctx.lang, simulated=sim, category="event",
                               year="year", ylabel_key="count")
    fig.axes[0].set_ylabel(ctx.label("head_changes"))
    acting = panel.groupby("unit_id")["acting_share"].sum()
    n_acting = int((acting > 0).sum())
    head = [ctx.label("year"), ctx.label("definitive"), ctx.label("acting"),
            ctx.label("rotation")]
    rows = [[y, *map(int, r)] for y, r in t.iterrows()]
    text = ctx.t(
        f"{len(changes)} pergantian kepala {ctx.span} (tidak termasuk kepala awal): "
        f"{int(t['acting'].sum())} Plt, {int(t['rotation'].sum())} rotasi, "
        f"{int(t['definitive'].sum())} pengangkatan definitif. {n_acting} dari "
        f"{panel['unit_id'].nunique()} OPD pernah dipimpin Plt, rata-rata "
        f"{ctx.num(acting[acting > 0].mean() * 12, 1)} bulan.",
        f"{len(changes)} changes of head {ctx.span} (first heads not counted): "
        f"{int(t['acting'].sum())} acting, {int(t['rotation'].sum())} rotations, "
        f"{int(t['definitive'].sum())} definitive appointments. {n_acting} of "
        f"{panel['unit_id'].nunique()} OPDs had an acting head, for "
        f"{ctx.num(acting[acting > 0].mean() * 12, 1)} months on average.")
    cap = ctx.t("Pergantian kepala per tahun menurut jenis", "Changes of head per year by kind")
    return Result(ctx.t("Pergantian pimpinan", "Changes of head"), text, [fig],
                  table_html(head, rows, ctx, cap, sim), t.reset_index(), sim,
                  {"n_acting_units": n_acting, "n_changes": len(changes)})


def leadership_followup(ctx: Context, model_results: pd.DataFrame, truth: dict,
                        panel: pd.DataFrame) -> Result:
    """What followed an acting head: within-OPD model estimates and a plain comparison."""
    sim = is_simulated(model_results)
    mr = model_results[model_results["model"].str.startswith("leadership_")]
    ok = estimable(mr)
    k = n_tests(model_results)
    lines = []
    for r in mr.itertuples():
        if pd.isna(r.estimate):
            lines.append(ctx.t(f"{ctx.label(r.outcome)}: tidak dapat ditaksir ({r.note}).",
                               f"{ctx.label(r.outcome)}: cannot be estimated ({r.note})."))
            continue
        tv = planted(truth, r.outcome, r.term) if sim else np.nan
        plant = (ctx.t(f"; nilai tanam {planted_text(ctx, tv)}",
                       f"; planted {planted_text(ctx, tv)}") if not pd.isna(tv) else "")
        lines.append(ctx.t(
            f"{ctx.label(r.outcome)}: setahun penuh di bawah Plt {ctx.num(r.estimate)} "
            f"{scale_word(ctx, r.outcome, r.model)} {_ci(ctx, r.ci_low, r.ci_high)} "
            f"({int(r.n_clusters)} OPD, n = {int(r.n)}{plant}); {evidence_phrase(ctx, r, k)}.",
            f"{ctx.label(r.outcome)}: a full year under an acting head {ctx.num(r.estimate)} "
            f"{scale_word(ctx, r.outcome, r.model)} {_ci(ctx, r.ci_low, r.ci_high)} "
            f"({int(r.n_clusters)} OPDs, n = {int(r.n)}{plant}); {evidence_phrase(ctx, r, k)}."))
    p = panel.assign(acting=panel["acting_share"] > 0)
    ever = p.groupby("unit_id")["acting"].transform("any")
    comp = p[ever].groupby("acting")[["innovations", "ikm"]].mean()
    if len(comp) == 2:
        lines.append(ctx.t(
            f"Perbandingan sederhana pada OPD yang pernah dipimpin Plt: rata-rata "
            f"{ctx.num(comp.loc[True, 'innovations'], 2)} inovasi pada tahun dengan Plt, "
            f"{ctx.num(comp.loc[False, 'innovations'], 2)} pada tahun lain.",
            f"Plain comparison within OPDs that ever had an acting head: "
            f"{ctx.num(comp.loc[True, 'innovations'], 2)} innovations on average in years with "
            f"one, {ctx.num(comp.loc[False, 'innovations'], 2)} in other years."))
    lines.append(ctx.t("Plt sering ditunjuk karena masalah yang sudah ada; hubungan ini bukan "
                       "bukti bahwa Plt menyebabkan penurunan.",
                       "Acting heads are often appointed because of existing problems; this "
                       "link is not proof that acting heads cause a decline."))
    cap = ctx.t("Efek tetap OPD dan tahun: porsi tahun di bawah Plt",
                "OPD and year fixed effects: share of the year under an acting head")
    lines.append(fit_scope(ctx, model_results, ok))
    return Result(ctx.t("Apa yang terjadi sesudah Plt", "What followed an acting head"),
                  bullets(lines), [], _model_rows(ctx, mr, truth, cap, sim), mr, sim,
                  {"acting_claims": [r.outcome for r in ok.itertuples() if claim(r) == "yes"],
                   "acting_raw": [r.outcome for r in ok.itertuples() if claim(r) == "raw"],
                   "claims": [(r.outcome, r.term) for r in ok.itertuples()
                              if claim(r) == "yes"], "n_tests": k})


def typology_conclusions(ctx: Context, *results: Result) -> Result:
    f = _facts(*results)
    lines = [
        ctx.t(f"{f.get('n_clusters_typology', 0)} kelompok OPD (siluet "
              f"{ctx.num(f.get('silhouette', np.nan), 3)}).",
              f"{f.get('n_clusters_typology', 0)} clusters of OPDs (silhouette "
              f"{ctx.num(f.get('silhouette', np.nan), 3)})."),
        ctx.t(f"Ketahanan inovasi (terhadap kontrafaktual): {f.get('above_innovations', 0)} OPD "
              f"di atas (interval di atas 0), {f.get('below_innovations', 0)} di bawah, "
              f"{f.get('indistinguishable_innovations', 0)} tidak dapat dibedakan; IKM: "
              f"{f.get('above_ikm', 0)} di atas, {f.get('below_ikm', 0)} di bawah, "
              f"{f.get('indistinguishable_ikm', 0)} tidak dapat dibedakan.",
              f"Innovation resilience (against the counterfactual): "
              f"{f.get('above_innovations', 0)} OPDs above (interval above 0), "
              f"{f.get('below_innovations', 0)} below, "
              f"{f.get('indistinguishable_innovations', 0)} indistinguishable; IKM: "
              f"{f.get('above_ikm', 0)} above, {f.get('below_ikm', 0)} below, "
              f"{f.get('indistinguishable_ikm', 0)} indistinguishable."),
        ctx.t(f"{f.get('n_acting_units', 0)} OPD pernah dipimpin Plt; efek Plt yang diklaim "
              f"(p Holm < 0,05 atas {f.get('n_tests', 0)} uji): "
              f"{', '.join(ctx.label(o) for o in f.get('acting_claims', [])) or 'tidak ada'}"
              + (f"; hanya tanpa koreksi (tidak diklaim): "
                 f"{', '.join(ctx.label(o) for o in f['acting_raw'])}"
                 if f.get("acting_raw") else "") + ".",
              f"{f.get('n_acting_units', 0)} OPDs had an acting head; acting-head effects "
              f"claimed (Holm-adjusted p < 0.05 over {f.get('n_tests', 0)} tests): "
              f"{', '.join(ctx.label(o) for o in f.get('acting_claims', [])) or 'none'}"
              + (f"; unadjusted only (not claimed): "
                 f"{', '.join(ctx.label(o) for o in f['acting_raw'])}"
                 if f.get("acting_raw") else "") + "."),
    ]
    return Result(ctx.t("Kesimpulan", "Conclusions"), bullets(lines),
                  simulated=any(r.simulated for r in results), facts=f)


# =============================================================================================
# 5.0 planning scenarios
# =============================================================================================

def scenario_unit(ctx: Context, panel: pd.DataFrame) -> Result:
    """The unit the scenario is about: its latest budget, innovations and IKM."""
    sim = is_simulated(panel)
    pu = panel[panel["unit_id"] == ctx.unit_id].sort_values("year")
    last = pu.iloc[-1]
    ikm = pu.dropna(subset=["ikm"])
    text = ctx.t(
        f"**{last['name']}** ({ctx.unit_id}): realisasi {int(last['year'])} "
        f"{ctx.rp(last['budget_realisasi'])}, inovasi baru: {int(last['innovations'])}; rata-rata "
        f"{ctx.num(pu['innovations'].mean(), 1)} inovasi per tahun {ctx.span}. "
        + (f"IKM {int(ikm['year'].iloc[-1])}: {ctx.num(ikm['ikm'].iloc[-1])}."
           if len(ikm) else "Tanpa IKM (bukan unit garis depan)."),
        f"**{last['name']}** ({ctx.unit_id}): actual spending {int(last['year'])} "
        f"{ctx.rp(last['budget_realisasi'])}, new innovations: {int(last['innovations'])}; on "
        f"average {ctx.num(pu['innovations'].mean(), 1)} innovations a year {ctx.span}. "
        + (f"IKM {int(ikm['year'].iloc[-1])}: {ctx.num(ikm['ikm'].iloc[-1])}."
           if len(ikm) else "No IKM (not a front-line unit)."))
    fig = plots.budget_path(
        pu.melt(id_vars=["year", "provenance"], value_vars=["budget_murni", "budget_perubahan",
                                                             "budget_realisasi"],
                var_name="stage", value_name="amount_idr").assign(
            stage=lambda d: d["stage"].str.removeprefix("budget_")),
        lang=ctx.lang, simulated=sim)
    fig.axes[0].set_title(str(last["name"]))
    return Result(ctx.t("Unit yang dibahas", "The unit"), text, [fig], simulated=sim,
                  facts={"mean_innovations": float(pu["innovations"].mean()),
                         "has_ikm": bool(len(ikm))})


def scenario_result(ctx: Context, model_results: pd.DataFrame, panel: pd.DataFrame,
                    cut_pct: float) -> Result:
    """``models.scenario``: predicted effects of cutting the unit's budget by cut_pct %."""
    import matplotlib.pyplot as plt

    from analysis.methods import models

    sim = is_simulated(model_results)
    title = ctx.t(f"Jika anggaran dipotong {ctx.num(cut_pct, 1)}%",
                  f"If the budget is cut by {ctx.num(cut_pct, 1)}%")
    try:
        sc = models.scenario(model_results, ctx.unit_id, cut_pct, panel)
    except ValueError as exc:
        return Result(title, bullets([ctx.t(f"Skenario tidak dapat dihitung: {exc}.",
                                            f"The scenario cannot be computed: {exc}."),
                                      fit_scope(ctx, model_results)]), simulated=sim,
                      facts={"evidence": {}})
    with plots.style_context():
        fig, axes = plt.subplots(1, len(sc), figsize=(9, 3.0))
    for ax, r in zip(np.atleast_1d(axes), sc.itertuples(), strict=True):
        plots.coef_plot(pd.DataFrame({"term": [""], "estimate": [r.estimate],
                                      "ci_low": [r.ci_low], "ci_high": [r.ci_high]}),
                        lang=ctx.lang, ax=ax, simulated=sim)
        ax.set_title(ctx.label(r.outcome))
        ax.set_xlabel(ctx.t("% perubahan jumlah inovasi", "% change in innovations")
                      if r.measure == "pct_change" else
                      ctx.t("Poin IKM tahun berikutnya", "IKM points the following year"))
    if sim:
        plots.mark_simulated(fig, ctx.lang)
    head = [ctx.t("Hasil", "Outcome"), ctx.t("Perkiraan", "Estimate"),
            ctx.t("Interval 95%", "95% interval"), ctx.t("Tingkat terakhir", "Latest level"),
            ctx.t("Bukti", "Evidence"), "n", ctx.t("OPD", "OPDs")]
    ev_word = {"thin": ctx.t("tipis", "thin"), "adequate": ctx.t("memadai", "adequate")}
    rows = []
    for r in sc.itertuples():
        unit = "%" if r.measure == "pct_change" else ctx.t(" poin", " points")
        rows.append([ctx.label(r.outcome), f"{ctx.num(r.estimate, 1)}{unit}",
                     _ci(ctx, r.ci_low, r.ci_high, 1), ctx.num(r.baseline, 2),
                     ev_word.get(r.evidence, r.evidence), int(r.n), int(r.n_clusters)])
    # the sentences come from models.scenario (one source of wording, in both languages)
    lines = [getattr(r, f"statement_{ctx.lang}") for r in sc.itertuples()]
    k = n_tests(model_results)
    for r in sc.itertuples():
        coef = model_results[(model_results["outcome"] == r.outcome)
                             & (model_results["term"] == r.coef_term)
                             & ~model_results["model"].str.startswith("leadership")]
        if coef.empty:
            continue
        c = next(coef.itertuples())
        extra = ctx.t(f"Koefisien {ctx.label(r.outcome)} ~ {ctx.label(r.coef_term)}: "
                      f"{evidence_phrase(ctx, c, k)}",
                      f"Coefficient {ctx.label(r.outcome)} ~ {ctx.label(r.coef_term)}: "
                      f"{evidence_phrase(ctx, c, k)}")
        if claim(c) != "yes" and r.evidence == "adequate":
            extra += ctx.t("; jadi perkiraan skenario ini juga harus dibaca sebagai bukti tipis",
                           "; so this scenario estimate must also be read as thin evidence")
        lines.append(extra + ".")
    used = model_results[model_results["term"].isin(set(sc["coef_term"]))
                         & ~model_results["model"].str.startswith("leadership")]
    lines.append(fit_scope(ctx, model_results, used))
    inn = sc[sc["outcome"] == "innovations"]
    if len(inn) and not pd.isna(inn["baseline"].iloc[0]):
        b = float(inn["baseline"].iloc[0])
        r = inn.iloc[0]
        lines.append(ctx.t(
            f"Dari {ctx.num(b, 0)} inovasi pada {r['baseline_year']}, itu sekitar "
            f"{ctx.num(b * r['estimate'] / 100, 2)} inovasi per tahun (interval "
            f"{_ci(ctx, b * r['ci_low'] / 100, b * r['ci_high'] / 100)}).",
            f"From {ctx.num(b, 0)} innovations in {r['baseline_year']}, that is about "
            f"{ctx.num(b * r['estimate'] / 100, 2)} innovations a year (interval "
            f"{_ci(ctx, b * r['ci_low'] / 100, b * r['ci_high'] / 100)})."))
    cap = ctx.t(f"Skenario: anggaran {ctx.unit_id} dipotong {ctx.num(cut_pct, 1)}%",
                f"Scenario: the budget of {ctx.unit_id} cut by {ctx.num(cut_pct, 1)}%")
    return Result(ctx.t(f"Jika anggaran dipotong {ctx.num(cut_pct, 1)}%",
                        f"If the budget is cut by {ctx.num(cut_pct, 1)}%"),
                  bullets(lines), [fig], table_html(head, rows, ctx, cap, sim), sc, sim,
                  {"evidence": dict(zip(sc["outcome"], sc["evidence"], strict=True))})


def scenario_grid(ctx: Context, model_results: pd.DataFrame, panel: pd.DataFrame,
                  cuts: Sequence[float]) -> Result:
    """The same scenario for several cut sizes: how the predicted effect and its interval
    grow with the cut."""
    import matplotlib.pyplot as plt

    from analysis.methods import models

    sim = is_simulated(model_results)
    try:
        sc = pd.concat([models.scenario(model_results, ctx.unit_id, c, panel) for c in cuts],
                       ignore_index=True).sort_values(["outcome", "cut_pct"])
    except ValueError as exc:
        return Result(ctx.t("Beberapa besaran pemotongan", "Several cut sizes"),
                      ctx.t(f"Skenario tidak dapat dihitung: {exc}.",
                            f"The scenario cannot be computed: {exc}."), simulated=sim,
                      facts={"thin": {}})
    outcomes = list(dict.fromkeys(sc["outcome"]))
    with plots.style_context():
        fig, axes = plt.subplots(1, len(outcomes), figsize=(9, 3.4))
        for ax, o in zip(np.atleast_1d(axes), outcomes, strict=True):
            d = sc[sc["outcome"] == o]
            ax.axhline(0, color="#555555", linewidth=1)
            ax.fill_between(d["cut_pct"], d["ci_low"], d["ci_high"], alpha=0.2, linewidth=0)
            ax.plot(d["cut_pct"], d["estimate"], marker="o")
            ax.set_title(ctx.label(o))
            ax.set_xlabel(ctx.t("Pemotongan (%)", "Cut (%)"))
            ax.set_ylabel(ctx.t("% perubahan", "% change") if d["measure"].iloc[0]
                          == "pct_change" else ctx.t("Poin IKM", "IKM points"))
    if sim:
        plots.mark_simulated(fig, ctx.lang)
    head = [ctx.t("Pemotongan", "Cut"), ctx.t("Hasil", "Outcome"),
            ctx.t("Perkiraan", "Estimate"), ctx.t("Interval 95%", "95% interval"),
            ctx.t("Bukti", "Evidence")]
    rows = [[f"{ctx.num(r.cut_pct, 1)}%", ctx.label(r.outcome), ctx.num(r.estimate, 1),
             _ci(ctx, r.ci_low, r.ci_high, 1), r.evidence] for r in sc.itertuples()]
    thin = sc.groupby("outcome")["evidence"].apply(lambda s: bool((s == "thin").all()))
    text = ctx.t(
        "Perkiraan dan intervalnya membesar sebanding dengan pemotongan; "
        + ", ".join(f"{ctx.label(o)}: bukti {'tipis' if t else 'memadai'}"
                    for o, t in thin.items()) + ".",
        "The estimate and its interval grow with the cut; "
        + ", ".join(f"{ctx.label(o)}: evidence {'thin' if t else 'adequate'}"
                    for o, t in thin.items()) + ".")
    cap = ctx.t("Skenario untuk beberapa besaran pemotongan",
                "Scenarios for several cut sizes")
    return Result(ctx.t("Beberapa besaran pemotongan", "Several cut sizes"), text, [fig],
                  table_html(head, rows, ctx, cap, sim), sc, sim,
                  {"thin": thin.to_dict()})


def scenario_caveats(ctx: Context, res: Result, panel: pd.DataFrame) -> Result:
    extra = [
        ctx.t("Skenario memakai koefisien rata-rata semua OPD; OPD tertentu bisa bereaksi "
              "berbeda.",
              "The scenario uses coefficients averaged over all OPDs; a given OPD may react "
              "differently."),
        ctx.t("Ini asosiasi dari masa lalu (terutama 2020), bukan ramalan sebab-akibat.",
              "This is an association from the past (mostly 2020), not a causal forecast."),
    ]
    return caveats(ctx, res.simulated, panel["unit_id"].nunique(), panel["year"].nunique(),
                   extra)
