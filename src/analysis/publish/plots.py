"""Publication figures in the one shared style, labelled in Bahasa Indonesia or English.

Every plot function takes ``lang`` (``"id"`` default, ``"en"``), an optional existing ``ax``
to draw into, and ``simulated``; it returns the :class:`~matplotlib.figure.Figure`.

``simulated=None`` (the default) marks the figure as simulated when the input frame has a
``provenance`` column containing ``"simulated"``; ``True``/``False`` force it. A simulated
figure carries a visible diagonal watermark and a corner note (see :func:`mark_simulated`),
and :func:`save_figure` writes the banner into the file's metadata too, so nobody can mistake
it for a finding about a real office.

The code uses matplotlib's object API only (Agg-safe, no ``plt.show``); figures are created
with ``plt.subplots`` so they display in JupyterLab. Close them (``plt.close(fig)``) in loops.
When you pass your own ``ax``, create its figure under :func:`use_style` or
:func:`style_context` so it gets the shared colours too (an Axes keeps the colour cycle it was
created with).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.ticker import MaxNLocator

from analysis import config
from analysis.data.schema import STAGES
from analysis.narrative.fmt import rupiah_axis_formatter, rupiah_unit_label
from analysis.narrative.labels import LABELS, check_lang, label

SIMULATED_GID = "simulated-mark"
"""``gid`` of the watermark text (the corner note has ``gid = SIMULATED_GID + '-corner'``)."""

_HIGHLIGHT, _MUTED, _REF = "#D55E00", "#A6A6A6", "#555555"
_NOTE_ORANGE = "#B34F00"
"""Small orange text (the corner mark): a darker Okabe-Ito vermilion, contrast 5.2:1 on white
(#D55E00 is 3.87:1, below the 4.5:1 that small text needs)."""


# --- style -----------------------------------------------------------------------------------
def use_style() -> None:
    """Apply the shared style globally (``plt.style.use``), e.g. at the top of a notebook."""
    plt.style.use(config.style_path())


@contextmanager
def style_context() -> Iterator[None]:
    """Apply the shared style inside a ``with`` block only."""
    with plt.style.context(config.style_path()):
        yield


def _styled(func):
    """Run a plot function inside :func:`style_context`."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with style_context():
            return func(*args, **kwargs)

    return wrapper


# --- simulated mark --------------------------------------------------------------------------
def _root_figure(fig_or_ax: Figure | SubFigure | Axes) -> Figure:
    if isinstance(fig_or_ax, Figure):
        return fig_or_ax
    return fig_or_ax.get_figure(root=True)


def mark_simulated(fig_or_ax: Figure | SubFigure | Axes, lang: str = "id") -> Figure:
    """Watermark a figure as simulated data and return it (idempotent).

    Adds the SIMULATED banner (:func:`analysis.narrative.labels.label` ``simulated_banner``) as a large
    diagonal semi-transparent text (``gid="simulated-mark"``) and as a small opaque note in
    the bottom-left corner, and sets ``fig._batang_simulated = True``.
    """
    check_lang(lang)
    fig = _root_figure(fig_or_ax)
    if is_simulated(fig):
        return fig
    text = label("simulated_banner", lang)
    width_pt = fig.get_figwidth() * 72
    size = max(8.0, min(22.0, 0.9 * width_pt / (0.62 * len(text))))
    fig.text(0.5, 0.5, text, gid=SIMULATED_GID, rotation=20, ha="center", va="center",
             fontsize=size, fontweight="bold", color=_HIGHLIGHT, alpha=0.3, zorder=1000)
    fig.text(0.005, 0.005, text, gid=SIMULATED_GID + "-corner", ha="left", va="bottom",
             fontsize=7, color=_NOTE_ORANGE, zorder=1000)
    fig._batang_simulated = True
    return fig


def is_simulated(fig_or_ax: Figure | SubFigure | Axes) -> bool:
    """Whether :func:`mark_simulated` has marked this figure."""
    fig = _root_figure(fig_or_ax)
    return bool(getattr(fig, "_batang_simulated", False)) or any(
        t.get_gid() == SIMULATED_GID for t in fig.texts)


def save_figure(fig: Figure, path: str | Path, formats: Iterable[str] = ("png", "svg"),
                lang: str = "id") -> list[Path]:
    """Save ``fig`` as ``path`` with each suffix in ``formats`` and return the files written.

    A simulated figure gets the banner in the file metadata as well (PNG/SVG ``Description``,
    PDF ``Subject``).
    """
    out = []
    for ext in formats:
        target = Path(path).with_suffix("." + ext)
        meta = None
        if is_simulated(fig) and ext in ("png", "svg", "pdf"):
            meta = {"Subject" if ext == "pdf" else "Description": label("simulated_banner", lang)}
        target.parent.mkdir(parents=True, exist_ok=True)
        with style_context():
            fig.savefig(target, metadata=meta)
        out.append(target)
    return out


def figure_png(fig: Figure, dpi: float | None = None) -> bytes:
    """PNG bytes of ``fig`` at its own dpi (or ``dpi``), for display.

    A figure with a layout engine is saved with ``bbox_inches=None``, i.e. as
    ``rcParams["savefig.bbox"]`` says (the project style says "tight"); a figure without one
    is always saved "tight", as the inline backend does, so nothing is cut off. matplotlib
    draws a laid-out figure twice on save either way; no measurable time is saved here.
    """
    import io

    buf = io.BytesIO()
    tight = fig.get_layout_engine() is None
    fig.savefig(buf, format="png", dpi=dpi if dpi is not None else "figure",
                bbox_inches="tight" if tight else None)
    return buf.getvalue()


def figure_alt(fig: Figure, limit: int = 300) -> str:
    """Alt text for a figure's image: its label (``fig.set_label``, how the report functions
    describe an untitled figure), else its suptitle, else its axes' titles (distinct, in
    order, joined by "; "); a figure marked simulated starts with its simulated banner.
    Whitespace collapsed, at most ``limit`` characters; "" when there is nothing to say (the
    page then gets nbconvert's default text)."""
    parts = [t for t in (fig.get_label(), fig.get_suptitle()) if t.strip()][:1]
    if not parts:
        for ax in fig.axes:
            for t in (ax.get_title("left"), ax.get_title(), ax.get_title("right")):
                if t.strip() and t not in parts:
                    parts.append(t)
    if is_simulated(fig):
        mark = next((t.get_text() for t in fig.texts if t.get_gid() == SIMULATED_GID),
                    "") or label("simulated_banner")
        parts = [f"{mark}: {parts[0]}" if parts else mark, *parts[1:]]
    text = " ".join("; ".join(parts).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- helpers ---------------------------------------------------------------------------------
def _axes(ax: Axes | None, figsize: tuple[float, float] | None = None) -> tuple[Figure, Axes]:
    if ax is not None:
        return _root_figure(ax), ax
    fig, ax = plt.subplots(figsize=figsize)
    return fig, ax


def _infer_simulated(simulated: bool | None, data: object) -> bool:
    if simulated is not None:
        return bool(simulated)
    if isinstance(data, pd.DataFrame) and "provenance" in data.columns:
        return bool((data["provenance"] == "simulated").any())
    return False


def _finish(fig: Figure, simulated: bool, lang: str) -> Figure:
    if simulated:
        mark_simulated(fig, lang)
    return fig


def _require(df: pd.DataFrame, cols: Iterable[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{what} needs column(s) {', '.join(missing)}; got {list(df.columns)}")


def _text(key: object, lang: str) -> str:
    """Label of a category value, or the value itself when it has no label."""
    return label(key, lang, default=str(key)) if isinstance(key, str) else str(key)


def _known_order(values: Iterable[object]) -> list[object]:
    """Values in the order of LABELS (stages, types, forms...), unknown ones after, sorted."""
    order = {k: i for i, k in enumerate(LABELS)}
    return sorted(values, key=lambda v: (order.get(v, len(order)), str(v)))


# --- plots -----------------------------------------------------------------------------------
@_styled
def budget_path(df: pd.DataFrame, unit_id: str | None = None, lang: str = "id",
                ax: Axes | None = None, simulated: bool | None = None) -> Figure:
    """Lines of murni / perubahan / realisasi totals by year, y axis in Rupiah miliar.

    ``df`` is tidy with columns ``year``, ``stage``, ``amount_idr`` (e.g. the budget table);
    amounts are summed within year and stage. ``unit_id`` keeps that unit's rows only.
    """
    check_lang(lang)
    _require(df, ["year", "stage", "amount_idr"], "budget_path")
    if unit_id is not None:
        _require(df, ["unit_id"], "budget_path(unit_id=...)")
        df = df[df["unit_id"] == unit_id]
        if df.empty:
            raise ValueError(f"budget_path: no rows for unit_id {unit_id!r}")
    wide = df.groupby(["year", "stage"])["amount_idr"].sum().unstack("stage")
    fig, ax = _axes(ax)
    for stage, marker in zip(STAGES, ("o", "s", "^"), strict=True):
        if stage in wide.columns:
            ax.plot(wide.index, wide[stage], marker=marker, label=label(stage, lang))
    ax.yaxis.set_major_formatter(rupiah_axis_formatter(lang, "miliar"))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(bottom=0)
    ax.set_xlabel(label("year", lang))
    ax.set_ylabel(f"{label('budget', lang)} ({rupiah_unit_label(lang, 'miliar')})")
    if unit_id is not None:
        ax.set_title(unit_id)
    ax.legend()
    return _finish(fig, _infer_simulated(simulated, df), lang)


@_styled
def year_lines(df: pd.DataFrame, series: dict[str, str], lang: str = "id",
               ax: Axes | None = None, simulated: bool | None = None,
               ylabel_key: str | None = None, percent: bool = False) -> Figure:
    """One line per column of ``df`` against ``year``; ``series`` maps column -> legend text.
    ``percent`` shows fractions (0.25) as percentages on the y axis."""
    check_lang(lang)
    _require(df, ["year", *series], "year_lines")
    fig, ax = _axes(ax)
    scale = 100 if percent else 1
    for col, text in series.items():
        ax.plot(df["year"], df[col] * scale, marker="o", label=text)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(label("year", lang))
    if ylabel_key:
        ax.set_ylabel(label(ylabel_key, lang) + (" (%)" if percent else ""))
    if len(series) > 1:
        ax.legend()
    return _finish(fig, _infer_simulated(simulated, df), lang)


@_styled
def bar_ranked(series: pd.Series, lang: str = "id", ax: Axes | None = None,
               simulated: bool | None = None, highlight: object = None,
               xlabel_key: str | None = None) -> Figure:
    """Horizontal bars of one value per unit, largest on top; ``highlight`` (an index label or
    a list of them) is drawn in the accent colour, the rest in grey.

    The x label is ``label(xlabel_key)``, else the label of ``series.name`` (or the name itself).
    """
    check_lang(lang)
    s = series.dropna().sort_values()
    wanted = [] if highlight is None else (
        list(highlight) if isinstance(highlight, list | tuple | set) else [highlight])
    unknown = [h for h in wanted if h not in s.index]
    if unknown:
        raise ValueError(f"bar_ranked: highlight {unknown} not in the series index")
    fig, ax = _axes(ax, figsize=(7.5, max(3.0, 1.0 + 0.28 * len(s))))
    colors = [(_HIGHLIGHT if i in wanted else _MUTED) if wanted else "C0" for i in s.index]
    ax.barh([_text(i, lang) for i in s.index], s.to_numpy(), color=colors)
    ax.grid(axis="y", visible=False)
    name = xlabel_key or series.name
    ax.set_xlabel(_text(name, lang) if name is not None else label("value", lang))
    ax.set_ylabel(label("unit", lang))
    return _finish(fig, _infer_simulated(simulated, None), lang)


@_styled
def coef_plot(tidy: pd.DataFrame, lang: str = "id", ax: Axes | None = None,
              simulated: bool | None = None) -> Figure:
    """Point estimates with confidence-interval whiskers, one row per term (first on top).

    ``tidy`` has columns ``term``, ``estimate``, ``ci_low``, ``ci_high``; terms with a label
    (e.g. ``dlog_budget``) are shown by it.
    """
    check_lang(lang)
    _require(tidy, ["term", "estimate", "ci_low", "ci_high"], "coef_plot")
    est, lo, hi = (tidy[c].to_numpy(dtype=float) for c in ("estimate", "ci_low", "ci_high"))
    if np.any(lo > est) or np.any(hi < est):
        raise ValueError("coef_plot: every estimate must lie within [ci_low, ci_high]")
    pos = np.arange(len(tidy))[::-1]
    fig, ax = _axes(ax, figsize=(7.5, max(2.5, 1.0 + 0.4 * len(tidy))))
    ax.axvline(0, color=_REF, linewidth=1)
    ax.errorbar(est, pos, xerr=[est - lo, hi - est], fmt="o", capsize=3, color="C0")
    ax.set_yticks(pos, [_text(t, lang) for t in tidy["term"]])
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(label("estimate_ci", lang))
    return _finish(fig, _infer_simulated(simulated, tidy), lang)


def _relative_years(tidy: pd.DataFrame, x: str | None) -> pd.Series:
    if x is not None:
        _require(tidy, [x], "event_study_plot")
        return tidy[x].astype(int)
    for col in ("rel_year", "relative_year", "event_time"):
        if col in tidy.columns:
            return tidy[col].astype(int)
    _require(tidy, ["term"], "event_study_plot (no rel_year column)")
    found = tidy["term"].astype(str).map(lambda t: re.search(r"(-?\d+)\D*$", t))
    if found.isna().any():
        raise ValueError("event_study_plot: cannot read a relative year from every term")
    return found.map(lambda m: int(m.group(1)))


@_styled
def event_study_plot(tidy: pd.DataFrame, lang: str = "id", ax: Axes | None = None,
                     simulated: bool | None = None, x: str | None = None,
                     reference: int = -1) -> Figure:
    """Estimates by relative year with a shaded confidence band.

    ``tidy`` has ``estimate``, ``ci_low``, ``ci_high`` and the relative year in column ``x``
    (default: the first of ``rel_year``, ``relative_year``, ``event_time``, else the trailing
    integer of ``term``, e.g. ``rel_year::-2``). Lines mark zero effect (horizontal) and the
    omitted ``reference`` year (vertical, default -1), whose point is drawn at 0 if absent.
    """
    check_lang(lang)
    _require(tidy, ["estimate", "ci_low", "ci_high"], "event_study_plot")
    d = tidy[["estimate", "ci_low", "ci_high"]].astype(float).assign(
        rel=_relative_years(tidy, x).to_numpy())
    if reference not in set(d["rel"]):
        ref = pd.DataFrame({"estimate": [0.0], "ci_low": [0.0], "ci_high": [0.0],
                            "rel": [reference]})
        d = pd.concat([d, ref], ignore_index=True)
    d = d.sort_values("rel")
    fig, ax = _axes(ax)
    ax.axhline(0, color=_REF, linewidth=1)
    ax.axvline(reference, color=_REF, linewidth=1, linestyle="--",
               label=f"{label('reference_year', lang)} ({str(reference).replace('-', '−')})")
    ax.fill_between(d["rel"], d["ci_low"], d["ci_high"], color="C0", alpha=0.2, linewidth=0)
    ax.plot(d["rel"], d["estimate"], marker="o", color="C0", label=label("estimate_ci", lang))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(label("relative_year", lang))
    ax.set_ylabel(label("estimate", lang))
    ax.legend()
    return _finish(fig, _infer_simulated(simulated, tidy), lang)


@_styled
def counts_stacked(df: pd.DataFrame, lang: str = "id", ax: Axes | None = None,
                   simulated: bool | None = None, category: str = "category",
                   year: str = "year", value: str | None = None,
                   ylabel_key: str = "count") -> Figure:
    """Stacked bars per year, one segment per category.

    ``df`` is tidy: a ``year`` column, a ``category`` column and a ``value`` column (default
    ``count`` if present). Without a value column each row counts once, so an innovations
    table plots directly: ``counts_stacked(innov, category="stage", year="reporting_year")``.
    Categories with a label (stages, forms, spending types...) appear in that order and words.
    """
    check_lang(lang)
    _require(df, [year, category], "counts_stacked")
    value = value or ("count" if "count" in df.columns else None)
    if value is None:
        wide = df.groupby([year, category]).size().unstack(category, fill_value=0)
    else:
        _require(df, [value], "counts_stacked")
        wide = df.groupby([year, category])[value].sum().unstack(category, fill_value=0)
    wide = wide[_known_order(wide.columns)]
    fig, ax = _axes(ax)
    bottom = np.zeros(len(wide))
    for cat in wide.columns:
        vals = wide[cat].to_numpy(dtype=float)
        ax.bar(wide.index.to_numpy(), vals, bottom=bottom, label=_text(cat, lang))
        bottom += vals
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if np.all(np.mod(wide.to_numpy(dtype=float), 1) == 0):
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="x", visible=False)
    ax.set_xlabel(label("year", lang))
    ax.set_ylabel(label(ylabel_key, lang))
    ax.legend()
    return _finish(fig, _infer_simulated(simulated, df), lang)


VERDICT_COLORS = {"above": "#009E73", "below": "#D55E00", "indistinguishable": "#0072B2",
                  "not estimable": "#A6A6A6"}


@_styled
def resilience_plot(res: pd.DataFrame, lang: str = "id", ax: Axes | None = None,
                    simulated: bool | None = None, names: dict | None = None,
                    xlabel: str | None = None, planted: dict | None = None) -> Figure:
    """Counterfactual resilience of cut units: ``effect`` (observed minus counterfactual) with
    its 95 % interval, one row per unit (highest effect on top), coloured by ``verdict``
    (above / indistinguishable / below 0); ``planted`` values (simulation) as open circles."""
    check_lang(lang)
    _require(res, ["unit_id", "effect", "ci_low", "ci_high", "verdict"], "resilience_plot")
    r = res.dropna(subset=["effect"]).sort_values("effect").reset_index(drop=True)
    names = names or {}
    fig, ax = _axes(ax, figsize=(7.5, max(3.0, 1.0 + 0.22 * len(r))))
    y = np.arange(len(r))
    est = r["effect"].to_numpy(float)
    lo = np.minimum(r["ci_low"].to_numpy(float), est)
    hi = np.maximum(r["ci_high"].to_numpy(float), est)
    ax.errorbar(est, y, xerr=[est - lo, hi - est], fmt="none", ecolor="#A6A6A6",
                elinewidth=1.2, capsize=2)
    ax.scatter(est, y, color=[VERDICT_COLORS.get(v, "#0072B2") for v in r["verdict"]],
               zorder=3, s=22)
    if planted:
        pv = r["unit_id"].map(lambda u: planted.get(str(u), np.nan)).to_numpy(float)
        ok = ~np.isnan(pv)
        if ok.any():
            ax.scatter(pv[ok], y[ok], facecolors="none", edgecolors="#000000", zorder=4, s=26,
                       label=label("planted_simulation", lang))
            ax.legend(loc="lower right", fontsize=8)
    ax.axvline(0, color=_REF, linewidth=1)
    ax.set_yticks(y, [str(names.get(u, u)) for u in r["unit_id"]], fontsize=8)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(xlabel or label("resilience_difference", lang))
    return _finish(fig, _infer_simulated(simulated, res), lang)
