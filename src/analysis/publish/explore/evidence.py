"""Shared wording of model results: planted values, intervals, raw and Holm-adjusted p-values, claims, fit scope."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.methods.fit import TRUTH_TERMS, planted  # noqa: F401 - re-exported
from analysis.narrative import fmt
from analysis.publish.explore.context import Context, _int, table_html


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
