"""Shared wording of model results: planted values, intervals, raw and Holm-adjusted p-values, claims, fit scope."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.methods.fit import TRUTH_TERMS, planted  # noqa: F401 - re-exported
from analysis.narrative import fmt, sentences
from analysis.narrative.sentences import ALPHA  # noqa: F401 - re-exported
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


def scale_word(ctx: Context, outcome: str, model: str = "") -> str:
    """The unit of a coefficient on ``outcome``: log rate for counts (Poisson), IKM or score
    points, log days for the log service time (0.1 is about +10 % days)."""
    if "poisson" in str(model) or outcome in ("innovations", "complaints"):
        return ctx.t("explore.evidence.scale_word.log_rate")
    return {"ikm": ctx.t("explore.evidence.scale_word.ikm_points"),
            "ombudsman_score": ctx.t("explore.evidence.scale_word.score_points"),
            "log_service_days": ctx.t("explore.evidence.scale_word.log_days_0_1")}.get(
        outcome, ctx.t("explore.evidence.scale_word.outcome_units"))


def planted_text(ctx: Context, v: float, digits: int = 2) -> str:
    """A planted value as text: a planted 0 is "0" (never a dash); "–" only when the truth file
    lists nothing for the term."""
    if pd.isna(v):
        return fmt.MISSING
    if v == 0:
        return "0"
    return ctx.num(v, digits)


def n_tests(*frames: pd.DataFrame) -> int:
    """The size of the family the adjusted p-values were computed over (0 when unadjusted)."""
    for df in frames:
        if df is not None and "n_tests" in df.columns and df["n_tests"].notna().any():
            return int(df["n_tests"].dropna().iloc[0])
    return 0


def evidence_phrase(ctx: Context, row, n: int) -> str:
    """The words after an estimate (:func:`analysis.narrative.sentences.testing_phrase`): raw
    and Holm-adjusted p over the family of ``n`` tests, and whether an effect is claimed (only
    when the adjusted p-value is below 0.05)."""
    return sentences.testing_phrase({"p_value": getattr(row, "p_value", np.nan),
                                     "p_adjusted": getattr(row, "p_adjusted", np.nan),
                                     "n_tests": n}, ctx.lang)


def coverage_sentence(ctx: Context, n_ok: int, n: int, miss: Sequence[str],
                      zeros: bool = False) -> str:
    """The simulation check: for how many of ``n`` coefficients the interval covers the
    planted value (``zeros``: planted zeros included), and which it misses."""
    key = "explore.evidence.coverage." + ("zeros_" if zeros else "") + ("miss" if miss else "all")
    return ctx.t(key, ok=n_ok, n=n, miss=", ".join(miss))


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
    used = ctx.t("explore.evidence.fit_scope.n_opd_years_used", n=n, g=g)
    if not fit:
        return used + "."
    (y0, y1), (p0, p1) = fit["years"], fit["panel_years"]
    if not fit.get("refit"):
        return ctx.t("explore.evidence.fit_scope.models_fitted_by_build", p0=p0, p1=p1, used=used)
    how = (ctx.t("explore.evidence.fit_scope.from_cache", seconds=ctx.num(fit['seconds'], 2)) if fit["cache"] == "hit"
           else ctx.t("explore.evidence.fit_scope.fitted_cached",
                      seconds=ctx.num(fit['seconds'], 1)))
    return ctx.t("explore.evidence.fit_scope.models_refitted_on_notebook", y0=y0, y1=y1, p0=p0,
                 p1=p1, how=how, used=used)


def window_sentence(ctx: Context, table: pd.DataFrame) -> str:
    """Which years a model table was computed on (no n: for tables without one)."""
    fit = table.attrs.get("fit") or {}
    if not fit:
        return ""
    (y0, y1), (p0, p1) = fit["years"], fit["panel_years"]
    if not fit.get("refit"):
        return ctx.t("explore.evidence.window_sentence.whole_panel", p0=p0, p1=p1)
    return ctx.t("explore.evidence.window_sentence.recomputed_on_years_only", y0=y0, y1=y1, p0=p0,
                 p1=p1)


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
        return ctx.t("explore.evidence.claims_sentence.no_p_values_adjusted")
    if not claims:
        return ctx.t("explore.evidence.claims_sentence.none_claimed", k=k)
    what = ", ".join(f"{ctx.label(o)} ~ {ctx.label(t)}" for o, t in claims)
    return ctx.t("explore.evidence.claims_sentence.effects_claimed_holm_adjusted", k=k, what=what)


# ---------------------------------------------------------------- models fitted in the notebook


def live_scope(ctx: Context, res: pd.DataFrame) -> str:
    """One sentence: the model(s) were fitted now, on the notebook's ``years``, with the n, the
    OPDs and the years of the rows actually used, and the errors (from the note)."""
    n, g = _span_of(res["n"]), _span_of(res["n_clusters"])
    used = _span_of([*(res["year_first"] if "year_first" in res else []),
                     *(res["year_last"] if "year_last" in res else [])])
    y0, y1 = ctx.years
    errors = "; ".join(dict.fromkeys(str(x).split(";")[0] for x in res["note"]))
    return ctx.t("explore.evidence.live_scope.fitted_live_on_notebook", y0=y0, y1=y1, n=n,
                 used=used, g=g, errors=errors)


def model_table(ctx: Context, res: pd.DataFrame, caption: str | None = None) -> Result:
    """A :func:`analysis.methods.fit.tidy` table (one or more models) as a captioned table:
    estimate, unit, 95 % interval, raw and Holm p (over the rows of ``res``), n, OPDs, the
    planted value when the data are simulated, and the note; the fit scope in words."""
    sim = is_simulated(res)
    formulas = list(dict.fromkeys(res["formula"])) if "formula" in res else []
    cap = caption or ctx.t("explore.evidence.model_table.model_fitted_this_cell") \
        + " ; ".join(formulas)
    head = [ctx.t("explore.evidence.model_table.outcome"), ctx.label("term"), ctx.label("estimate"),
            ctx.t("explore.evidence.model_table.unit"), ctx.t("explore.evidence.model_table.95_interval"), "p",
            ctx.t("explore.evidence.model_table.holm_p"), ctx.t("explore.evidence.model_table.tests"), "n", ctx.t("explore.evidence.model_table.opds"),
            *([ctx.t("explore.evidence.model_table.planted_value_simulation")] if sim else []),
            ctx.t("explore.evidence.model_table.note")]
    rows = [[ctx.label(r.outcome), ctx.label(r.term), ctx.num(r.estimate, 3),
             scale_word(ctx, r.outcome, r.model), _ci(ctx, r.ci_low, r.ci_high, 3),
             fmt.pvalue(r.p_value, ctx.lang), fmt.pvalue(getattr(r, "p_adjusted", np.nan), ctx.lang),
             _int(getattr(r, "n_tests", np.nan)), int(r.n), int(r.n_clusters),
             *([planted_text(ctx, getattr(r, "planted", np.nan))] if sim else []), r.note]
            for r in res.itertuples()]
    k = n_tests(res)
    return Result(ctx.t("explore.evidence.model_table.model_results"),
                  bullets([live_scope(ctx, res), ctx.t("explore.evidence.model_table.holm_adjusted_p_over",
                                                       k=k)]),
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
            lines.append(ctx.t("explore.evidence.model_says.cannot_be_estimated", name=name,
                               note=r.note))
            continue
        ratio = ""
        if str(r.model).endswith("poisson"):
            ratio = ctx.t("explore.evidence.model_says.one_unit_more_multiplies",
                          estimate=ctx.num(np.exp(r.estimate), 2))
        lines.append(f"**{name}**: {ctx.num(r.estimate, 3)} {scale_word(ctx, r.outcome, r.model)}"
                     f" {_ci(ctx, r.ci_low, r.ci_high, 3)}{ratio}; {evidence_phrase(ctx, r, k)}.")
    claims = [(r.outcome, r.term) for r in res.itertuples() if sentences.claim_of(r) == "yes"]
    if "formula" in res.columns:
        lines.extend(ledger_beside(ctx, res))
    else:
        lines.append(claims_sentence(ctx, claims, k))
    covered = {}
    if sim and "planted" in res:
        covered = {(r.outcome, r.term): _covers(r.ci_low, r.ci_high, r.planted)
                   for r in res.itertuples()}
        checked = {t: c for t, c in covered.items() if c is not None}
        if checked:
            miss = [f"{ctx.label(o)} ~ {ctx.label(t)}" for (o, t), c in checked.items() if not c]
            lines.append(coverage_sentence(ctx, len(checked) - len(miss), len(checked), miss))
    if any(str(x).startswith("CRV1") for x in res["note"]):
        lines.append(ctx.t("explore.evidence.model_says.crv1_errors_with_few"))
    return Result(ctx.t("explore.evidence.model_says.what_model_says"), bullets(lines),
                  data=res, simulated=sim,
                  facts={"claims": claims, "n_tests": k, "covered": covered,
                         "n": int(res["n"].max()), "n_clusters": int(res["n_clusters"].max())})


def ledger_beside(ctx: Context, res: pd.DataFrame) -> list[str]:
    """Lines for a live refit (exploration): that it is not a verdict, the ledger's verdict for
    each of its terms (from the build's ``findings`` table) and one sentence on why the two can
    differ. The verdict itself is never computed here."""
    from analysis.data import store
    from analysis.methods import ledger as L

    try:
        book = store.load_table("findings", ctx.data_dir)
    except store.NotBuiltError:
        book = None
    lines = [ctx.t("explore.evidence.ledger.exploratory")]
    k = 0
    for r in res.itertuples():
        name = f"{ctx.label(r.outcome)} ~ {ctx.label(r.term)}"
        row = L.lookup(book, r.outcome, r.term) if book is not None else None
        if row is None:
            lines.append(ctx.t("explore.evidence.ledger.none", name=name))
            continue
        k = int(row["family_size"])
        lines.append(ctx.t("explore.evidence.ledger.row", name=name,
                           estimate=ctx.num(row["estimate"], 3),
                           ci=_ci(ctx, row["ci_low"], row["ci_high"], 3),
                           testing=sentences.testing_phrase(
                               {"p_value": row["p_value"], "p_adjusted": row["p_adjusted"],
                                "n_tests": k}, ctx.lang)))
    if k:
        years = store.load_table("panel", ctx.data_dir,
                                 filters=[("region_code", "==", ctx.region)])["year"]
        lines.append(ctx.t("explore.evidence.ledger.why", k=k, p0=int(years.min()),
                           p1=int(years.max())))
    return lines
