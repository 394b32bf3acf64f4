"""Shared wording of model results: planted values, intervals, raw and Holm-adjusted p-values, claims, fit scope."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.methods.fit import TRUTH_TERMS, planted  # noqa: F401 - re-exported
from analysis.narrative import fmt
from analysis.publish.explore.context import (
    Context,
    Result,
    _int,
    bullets,
    is_simulated,
    table_html,
)


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
    if "formula" in table.columns and len(r):
        return live_scope(ctx, r)  # fitted in the notebook, not by the build
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


# ---------------------------------------------------------------- models fitted in the notebook


def live_scope(ctx: Context, res: pd.DataFrame) -> str:
    """One sentence: the model(s) were fitted now, on the notebook's ``years``, with the n, the
    OPDs and the years of the rows actually used, and the errors (from the note)."""
    n, g = _span_of(res["n"]), _span_of(res["n_clusters"])
    used = _span_of([*(res["year_first"] if "year_first" in res else []),
                     *(res["year_last"] if "year_last" in res else [])])
    y0, y1 = ctx.years
    errors = "; ".join(dict.fromkeys(str(x).split(";")[0] for x in res["note"]))
    return ctx.t(f"Ditaksir sekarang pada tahun parameter `years` notebook, {y0}–{y1}: n = {n} "
                 f"OPD-tahun dari {used} dipakai, {g} OPD. Galat baku: {errors}.",
                 f"Fitted live on the notebook's `years`, {y0}–{y1}: n = {n} OPD-years from "
                 f"{used} used, {g} OPDs. Errors: {errors}.")


def model_table(ctx: Context, res: pd.DataFrame, caption: str | None = None) -> Result:
    """A :func:`analysis.methods.fit.tidy` table (one or more models) as a captioned table:
    estimate, unit, 95 % interval, raw and Holm p (over the rows of ``res``), n, OPDs, the
    planted value when the data are simulated, and the note; the fit scope in words."""
    sim = is_simulated(res)
    formulas = list(dict.fromkeys(res["formula"])) if "formula" in res else []
    cap = caption or ctx.t("Model yang ditaksir di sel ini: ", "Model fitted in this cell: ") \
        + " ; ".join(formulas)
    head = [ctx.t("Hasil", "Outcome"), ctx.label("term"), ctx.label("estimate"),
            ctx.t("Satuan", "Unit"), ctx.t("Interval 95%", "95% interval"), "p",
            ctx.t("p Holm", "Holm p"), ctx.t("Uji", "Tests"), "n", ctx.t("OPD", "OPDs"),
            *([ctx.t("Nilai tanam (simulasi)", "Planted value (simulation)")] if sim else []),
            ctx.t("Catatan", "Note")]
    rows = [[ctx.label(r.outcome), ctx.label(r.term), ctx.num(r.estimate, 3),
             scale_word(ctx, r.outcome, r.model), _ci(ctx, r.ci_low, r.ci_high, 3),
             _p(ctx, r.p_value), _p(ctx, getattr(r, "p_adjusted", np.nan)),
             _int(getattr(r, "n_tests", np.nan)), int(r.n), int(r.n_clusters),
             *([planted_text(ctx, getattr(r, "planted", np.nan))] if sim else []), r.note]
            for r in res.itertuples()]
    k = n_tests(res)
    return Result(ctx.t("Hasil model", "Model results"),
                  bullets([live_scope(ctx, res), ctx.t(
                      f"p Holm dikoreksi atas {k} uji dalam tabel ini.",
                      f"Holm-adjusted p over the {k} tests of this table.")]),
                  html=table_html(head, rows, ctx, cap, sim), data=res, simulated=sim,
                  facts={"n": int(res["n"].max()), "n_clusters": int(res["n_clusters"].max()),
                         "n_tests": k})


def model_says(ctx: Context, res: pd.DataFrame) -> Result:
    """What a fitted table says, term by term, in words that follow from its numbers: the
    estimate with its interval, raw and Holm p (over the rows of ``res``), and a claim only
    when the Holm-adjusted p-value is below 0.05; the simulation check when planted values
    are given; the errors used."""
    sim = is_simulated(res)
    k = n_tests(res)
    lines = []
    for r in res.itertuples():
        name = f"{ctx.label(r.outcome)} ~ {ctx.label(r.term)}"
        if pd.isna(r.estimate):
            lines.append(ctx.t(f"{name}: tidak dapat ditaksir ({r.note}).",
                               f"{name}: cannot be estimated ({r.note})."))
            continue
        ratio = ""
        if str(r.model).endswith("poisson"):
            ratio = ctx.t(f"; satu satuan lebih mengalikan jumlah dengan "
                          f"{ctx.num(np.exp(r.estimate), 2)}",
                          f"; one unit more multiplies the count by "
                          f"{ctx.num(np.exp(r.estimate), 2)}")
        lines.append(f"**{name}**: {ctx.num(r.estimate, 3)} {scale_word(ctx, r.outcome, r.model)}"
                     f" {_ci(ctx, r.ci_low, r.ci_high, 3)}{ratio}; {evidence_phrase(ctx, r, k)}.")
    claims = [(r.outcome, r.term) for r in res.itertuples() if claim(r) == "yes"]
    lines.append(claims_sentence(ctx, claims, k))
    covered = {}
    if sim and "planted" in res:
        covered = {(r.outcome, r.term): _covers(r.ci_low, r.ci_high, r.planted)
                   for r in res.itertuples()}
        checked = {t: c for t, c in covered.items() if c is not None}
        if checked:
            miss = [f"{ctx.label(o)} ~ {ctx.label(t)}" for (o, t), c in checked.items() if not c]
            lines.append(ctx.t(
                f"Pemeriksaan simulasi: interval memuat nilai yang ditanam untuk "
                f"{len(checked) - len(miss)} dari {len(checked)} koefisien"
                + (f"; tidak untuk {', '.join(miss)}." if miss else "."),
                f"Simulation check: the interval covers the planted value for "
                f"{len(checked) - len(miss)} of {len(checked)} coefficients"
                + (f"; not for {', '.join(miss)}." if miss else ".")))
    if any(str(x).startswith("CRV1") for x in res["note"]):
        lines.append(ctx.t(
            "Galat CRV1 dengan sedikit OPD bisa terlalu sempit; build memakai jackknife "
            "klaster CRV3 (`vcov={\"CRV3\": \"unit_id\"}`), yang intervalnya lebih sering memuat "
            "efek yang ditanam dalam studi pemulihan.",
            "CRV1 errors with few OPDs can be too narrow; the build uses the CRV3 cluster "
            "jackknife (`vcov={\"CRV3\": \"unit_id\"}`), whose intervals covered the planted "
            "effects more often in the recovery study."))
    return Result(ctx.t("Apa yang dikatakan model", "What the model says"), bullets(lines),
                  data=res, simulated=sim,
                  facts={"claims": claims, "n_tests": k, "covered": covered,
                         "n": int(res["n"].max()), "n_clusters": int(res["n_clusters"].max())})
