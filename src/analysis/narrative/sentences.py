"""One sentence builder per finding, for every view: the per-unit reports, the deck, the brief
(and the notebooks' helper layer).

Each builder takes the numbers (plain floats, or a row of a processed table) and the language,
and returns the sentence. Numbers are written by :mod:`analysis.narrative.fmt`, words come
from the catalog (``words/sentences.toml``), so a number in a sentence is always the number
given, written the page's way, and the two languages say the same thing.

The claim rule is here once: an effect is *claimed* only when its Holm-adjusted p-value, over
the family of every test the findings report, is below :data:`ALPHA` (0.05). An interval that
excludes zero without adjustment is said to be so, and not claimed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from analysis.methods.inference import ALPHA  # noqa: F401 - the one level, re-exported
from analysis.narrative import fmt
from analysis.narrative.catalog import category, text

FEW_CLUSTERS = 30
"""Fewer OPDs (clusters) than this in a model: say the interval may be too narrow (the same
threshold as ``analysis.methods.fe.FEW_CLUSTERS``)."""


def _get(row, key: str, default=math.nan):
    if isinstance(row, Mapping):
        return row.get(key, default)
    if hasattr(row, "get") and not hasattr(row, "_fields"):
        return row.get(key, default)  # a pandas Series
    return getattr(row, key, default)


def _has(row, key: str) -> bool:
    if hasattr(row, "_fields"):
        return key in row._fields
    try:
        return key in row
    except TypeError:
        return hasattr(row, key)


def _missing(x) -> bool:
    return fmt.is_missing(x)


# ----------------------------------------------------------------------- evidence for a term

def claim(p_value: float, p_adjusted: float) -> str:
    """``"yes"`` when Holm p < ALPHA (an effect is claimed), ``"raw"`` when only the unadjusted
    p is below ALPHA, ``"no"`` otherwise or when no adjusted p exists: the words of
    :func:`analysis.methods.inference.term_verdict`, the one rule."""
    from analysis.methods.inference import term_verdict

    v = term_verdict(None if _missing(p_value) else float(p_value),
                     None if _missing(p_adjusted) else float(p_adjusted), ALPHA)
    return {"claimed": "yes", "raw only": "raw", "not claimed": "no"}[v]


def claimed(row) -> bool:
    """Whether a row supports claiming an effect: the ledger's verdict, or Holm p < 0.05."""
    return claim_of(row) == "yes"


def peq(p: float, lang: str) -> str:
    """``= 0,012`` or ``< 0,001``: a p-value after its name (``p {peq}``, ``p Holm {peq}``)."""
    t = fmt.pvalue(p, lang)
    return t if t.startswith("<") else "= " + t


LEDGER_CLAIM = {"claimed": "yes", "raw only": "raw", "not claimed": "no"}


def claim_of(row) -> str:
    """The claim of a row: the findings ledger's ``verdict`` when the row carries it (the
    build's model tables do), else :func:`claim` of its ``p_value`` and ``p_adjusted`` (a
    missing column counts as no p-value: a live refit never claims)."""
    v = _get(row, "verdict", "")
    if isinstance(v, str) and v in LEDGER_CLAIM:
        return LEDGER_CLAIM[v]
    return claim(_get(row, "p_value"), _get(row, "p_adjusted"))


def interval(lo: float, hi: float, lang: str, digits: int = 1, suffix: str = "") -> str:
    """``95%: −13,8% s.d. +1,4%`` / ``95%: −13.8% to +1.4%``."""
    return text("sent.interval", lang, lo=fmt.signed(lo, lang, digits, suffix),
                hi=fmt.signed(hi, lang, digits, suffix))


def effect_phrase(row, lang: str) -> str:
    """``−6,5% (95%: −13,8% s.d. +1,4%)`` for ``measure == "pct"``, ``+0,12 poin (95%: ...)``
    for points: the estimate and its 95 % interval, signed."""
    pct = _get(row, "measure") in ("pct", "pct_change")
    digits, suf = (1, "%") if pct else (2, "")
    val = fmt.signed(_get(row, "estimate"), lang, digits, suf)
    if not pct:
        val += text("sent.points", lang)
    return f"{val} ({interval(_get(row, 'ci_low'), _get(row, 'ci_high'), lang, digits, suf)})"


def testing_phrase(row, lang: str) -> str:
    """Raw and Holm p with the family size, and whether the effect is claimed:
    ``p = 0,012, p Holm = 0,25 atas 30 uji: tidak diklaim sebagai efek``."""
    k = _get(row, "n_tests", 0)
    k = 0 if _missing(k) else int(k)
    pa = _get(row, "p_adjusted")
    if not k or _missing(pa):
        return text("sent.testing.none", lang)
    p = _get(row, "p_value")
    c = claim_of(row)  # the ledger's verdict where the row carries it
    key = {"yes": "claimed", "raw": "raw", "no": "not_claimed"}[c]
    return text(f"sent.testing.{key}", lang, p=peq(p, lang), pa=peq(pa, lang), k=k)


def spans_zero(row) -> bool:
    lo, hi = _get(row, "ci_low"), _get(row, "ci_high")
    return bool(not _missing(lo) and not _missing(hi) and lo <= 0 <= hi)


def few_clusters(row) -> bool:
    g = _get(row, "n_clusters")
    return bool(not _missing(g) and int(g) < FEW_CLUSTERS)


def qualifier(row, lang: str) -> str:
    """``; <testing>; <interval includes zero>; <few OPDs>``: what limits a claim, each part
    only when it applies (testing only when the row carries p-values)."""
    parts = []
    if _has(row, "p_adjusted"):
        parts.append(testing_phrase(row, lang))
    if spans_zero(row):
        parts.append(text("sent.spans_zero", lang))
    if few_clusters(row):
        parts.append(text("sent.few_clusters", lang, n=int(_get(row, "n_clusters"))))
    return ("; " + "; ".join(parts)) if parts else ""


def evidence(row, lang: str) -> str:
    """The evidence phrase for a model term: estimate, 95 % interval, raw and Holm p, the claim
    (only when Holm p < 0.05) and the caveats that apply."""
    return effect_phrase(row, lang) + qualifier(row, lang)


# ----------------------------------------------------------------------- the unit's 2020 cut

def cut_2020_sentence(cut_pct: float | None, median_pct: float, rank: int | None, n: int,
                      lang: str) -> str:
    """The unit's 2020 cut: its actual spending against its pre-2020 trend, in percent
    (``panel.cut_2020_pct``), the median unit and its rank (1 = deepest cut)."""
    if _missing(cut_pct):
        return text("sent.cut.none", lang)
    key = "sent.cut.below" if cut_pct < 0 else "sent.cut.above"
    return text(key, lang, pct=fmt.percent(abs(cut_pct), lang, fraction=False),
                median=fmt.percent(median_pct, lang, fraction=False), rank=int(rank), n=int(n))


# ----------------------------------------------------------------------- the scenario

def scenario_sentence(row, lang: str, unit_name: str | None = None,
                      simulated: bool = False) -> str:
    """One row of ``scenario.scenario`` in words: the estimate with its interval for a cut of
    ``cut_pct`` %, saying plainly when the evidence is thin (interval includes zero, or fewer
    than 30 OPDs) and, when the row carries ``p_adjusted`` and ``n_tests``, when the
    coefficient is not claimed after the Holm adjustment; with ``unit_name`` and a baseline, the unit's level after the cut; with
    ``simulated``, that it is simulated data."""
    pct = _get(row, "measure") in ("pct", "pct_change")
    outcome = str(_get(row, "outcome"))
    what = category("outcome_scenario", outcome, lang)
    digits, suf = (1, "%") if pct else (2, "")
    unit = "%" if pct else text("sent.scenario.unit_pts", lang)
    effect = (fmt.signed(_get(row, "estimate"), lang, digits) + unit + " ("
              + interval(_get(row, "ci_low"), _get(row, "ci_high"), lang, digits, suf) + ")")
    cut = fmt.compact(_get(row, "cut_pct"), lang, 1)
    why = []
    if spans_zero(row):
        why.append(text("sent.scenario.spans_zero", lang))
    if few_clusters(row):
        why.append(text("sent.scenario.few", lang, n=int(_get(row, "n_clusters"))))
    k, pa = _get(row, "n_tests", 0), _get(row, "p_adjusted")
    k = 0 if _missing(k) else int(k)
    if not k or _missing(pa):
        why.append(text("sent.scenario.exploratory", lang))
    elif claim(math.nan, pa) != "yes":
        why.append(text("sent.scenario.not_claimed", lang, pa=peq(pa, lang), k=k))
    # the same rule as the scenario's evidence label (inference.scenario_evidence)
    if why:
        s = text("sent.scenario.thin", lang, what=what, cut=cut, effect=effect,
                 why=text("sent.scenario.and", lang).join(why))
    else:
        s = text("sent.scenario.adequate", lang, what=what, cut=cut, effect=effect)
    base = _get(row, "baseline")
    if unit_name and not _missing(base):
        e, lo, hi = (_get(row, k) for k in ("estimate", "ci_low", "ci_high"))
        if pct:
            levels = [base * (1 + v / 100) for v in (e, lo, hi)]
            d, b = 1, fmt.number(base, lang, 0)
        else:
            levels = [base + v for v in (e, lo, hi)]
            d, b = 2, fmt.number(base, lang, 2)
        s += " " + text("sent.scenario.baseline", lang, unit=unit_name,
                        year=_get(row, "baseline_year"), base=b,
                        level=fmt.number(levels[0], lang, d), lo=fmt.number(levels[1], lang, d),
                        hi=fmt.number(levels[2], lang, d))
    if simulated:
        s += " " + text("sent.scenario.simulated", lang)
    return s


# ----------------------------------------------------------------------- resilience

def verdict(value: str, lang: str, short: bool = False) -> str:
    """The words for a resilience verdict (above / below / indistinguishable / not estimable)."""
    return category("verdict_short" if short else "verdict", value, lang)


def rank_text(row, lang: str) -> str:
    """"rank 3 (95%: 1–7)" / "peringkat 3 (95%: 1–7)"."""
    r, lo, hi = (_get(row, k) for k in ("rank", "rank_low", "rank_high"))
    if _missing(r):
        return fmt.MISSING
    if _missing(lo) or _missing(hi):
        return text("sent.rank", lang, rank=int(r))
    return text("sent.rank_ci", lang, rank=int(r), lo=int(lo), hi=int(hi))


def separated_ends(g) -> tuple[list[str], list[str]]:
    """Units of one outcome whose 95 % rank interval lies entirely above (top) or below
    (bottom) every other unit's: the only ones that may be called best or worst."""
    g = g.dropna(subset=["rank_low", "rank_high"])
    top, bottom = [], []
    for r in g.itertuples():
        others = g[g["unit_id"] != r.unit_id]
        if others.empty:
            continue
        if r.rank_high < others["rank_low"].min():
            top.append(r.unit_id)
        if r.rank_low > others["rank_high"].max():
            bottom.append(r.unit_id)
    return top, bottom


def ordered_pairs(g) -> tuple[int, int]:
    """(pairs of units that can be ordered, all pairs) within one outcome: pairs whose
    simultaneous intervals do not overlap (:func:`analysis.methods.inference.ordered_pairs`),
    only where the outcome is rankable; (0, pairs) otherwise."""
    from analysis.methods import inference

    g = g.dropna(subset=["effect"]) if "effect" in g else g
    n = len(g)
    if not is_rankable(g):
        return 0, n * (n - 1) // 2
    return inference.ordered_pairs(g["ci_low"], g["ci_high"])


def is_rankable(g) -> bool:
    """Whether the offices of this outcome may be ranked: the table's ``rankable`` column,
    set by the ledger's rule (recovery Spearman at least 0.6)."""
    return bool(len(g) and "rankable" in g and g["rankable"].fillna(False).astype(bool).all())


def ranking_words(g, lang: str, names=None) -> str:
    """The sentence on ranking for one outcome: which units (if any) are separated from all
    others by their rank intervals, and how many pairs can be ordered at all."""
    from analysis.methods import inference

    names = names if names is not None else {}
    if not is_rankable(g):
        outcome = str(g["outcome"].iloc[0]) if len(g) and "outcome" in g else ""
        rho = inference.RECOVERY_SPEARMAN.get(outcome, float("nan"))
        return text("sent.ranking.not_rankable", lang, rho=fmt.number(rho, lang, 2),
                    min=fmt.number(inference.RANK_MIN_SPEARMAN, lang, 1)) + "."
    top, bottom = separated_ends(g)
    sep, total = ordered_pairs(g)

    def nm(units):
        return ", ".join(str(names.get(u, u)) for u in units)

    parts = []
    if top:
        parts.append(text("sent.ranking.top", lang, names=nm(top)))
    if bottom:
        parts.append(text("sent.ranking.bottom", lang, names=nm(bottom)))
    if not parts:
        parts.append(text("sent.ranking.none", lang))
    parts.append(text("sent.ranking.pairs", lang, sep=sep, total=total))
    return "; ".join(parts) + "."


def resilience_unit(row, n: int, lang: str) -> str:
    """One unit's resilience: difference from its counterfactual with the 95 % interval, the
    verdict, and its rank with the rank interval among the ``n`` cut units."""
    if _missing(_get(row, "rank")):
        return text("sent.resilience.unit_unranked", lang,
                    effect=fmt.number(_get(row, "effect"), lang),
                    lo=fmt.number(_get(row, "ci_low"), lang),
                    hi=fmt.number(_get(row, "ci_high"), lang),
                    verdict=verdict(_get(row, "verdict"), lang), n=n)
    return text("sent.resilience.unit", lang, effect=fmt.number(_get(row, "effect"), lang),
                lo=fmt.number(_get(row, "ci_low"), lang),
                hi=fmt.number(_get(row, "ci_high"), lang),
                verdict=verdict(_get(row, "verdict"), lang), rank=rank_text(row, lang), n=n)


def resilience_sentence(frames: Mapping[str, object], lang: str) -> str:
    """Cut OPDs grouped by verdict against their counterfactual, per outcome
    (``{outcome: frame}`` with unit_id, name, effect, ci_low, ci_high, verdict and rank
    columns); a unit is called best or worst only when its 95 % rank interval is apart from
    every other unit's."""
    parts = []
    for outcome, r in frames.items():
        if r is None or len(r) == 0:
            continue
        unit = category("resilience_unit", outcome, lang)

        def names(v, r=r, unit=unit):
            sub = r[r["verdict"] == v]
            listed = ", ".join(f"{x.name} {fmt.signed(x.effect, lang, 2)} {unit} "
                               f"({interval(x.ci_low, x.ci_high, lang, 2)})"
                               for x in sub.itertuples())
            return f" ({listed})" if listed else ""

        parts.append(text(
            "sent.resilience.outcome", lang, what=category("outcome_simple", outcome, lang),
            n=len(r), n_above=int((r["verdict"] == "above").sum()), above=names("above"),
            n_below=int((r["verdict"] == "below").sum()), below=names("below"),
            n_ind=int((r["verdict"] == "indistinguishable").sum()),
            ranking=ranking_words(r, lang, dict(zip(r["unit_id"], r["name"], strict=True))
                                  if "name" in r else None).rstrip(".")))
    if not parts:
        return text("sent.resilience.none", lang)
    s = "; ".join(parts)
    return s[0].upper() + s[1:] + "."


# ----------------------------------------------------------------------- the 2020 cut, by programme

def cut_composition(regency_year, lang: str, y0: int = 2019, y1: int = 2020) -> tuple[str, dict]:
    """Where the 2020 cut fell, one fact for every view: the change of the regency's actual
    spending on the routine support programme (penunjang) and on service programmes (urusan)
    from ``y0`` to ``y1`` (``regency_year`` columns ``penunjang_realisasi``,
    ``urusan_realisasi``: :func:`analysis.publish.summaries.programme_totals`). "routine" when
    routine spending fell by more (in percent) than service spending, "service" otherwise.
    Returns the sentence and the numbers ``{"routine_pct", "service_pct", "fell_more_on"}``;
    an empty sentence when a year is missing."""
    import pandas as pd

    r = regency_year.set_index("year") if "year" in regency_year else regency_year
    try:
        pen = 100 * (float(r.loc[y1, "penunjang_realisasi"]) / float(r.loc[y0, "penunjang_realisasi"]) - 1)
        urs = 100 * (float(r.loc[y1, "urusan_realisasi"]) / float(r.loc[y0, "urusan_realisasi"]) - 1)
    except (KeyError, ZeroDivisionError, TypeError):
        return "", {}
    if pd.isna(pen) or pd.isna(urs):
        return "", {}
    where = "routine" if pen < urs else "service"
    facts = {"routine_pct": pen, "service_pct": urs, "fell_more_on": where}
    return text(f"sent.cut_composition.{where}", lang, y0=y0, y1=y1,
                routine=fmt.signed(pen, lang, 1, "%"), service=fmt.signed(urs, lang, 1, "%")), facts


# ----------------------------------------------------------------------- typology

SIGNED_FEATURES = ("cut_2020", "mean_dlog_budget", "innovation_trend", "ikm_trend")
"""Typology features whose sign is a direction (0 = no change): their "up"/"down" words say
that the members went up/down, so they are used only when every member did."""


def cluster_description(z, threshold: float = 0.5, values=None) -> tuple[str, str]:
    """Words (id, en) for one standardized cluster centre (a Series feature -> z): up to three
    features beyond +/- ``threshold`` SD, the strongest first; a strong form beyond 1.5 SD.

    A signed feature (:data:`SIGNED_FEATURES`) gets its direction words ("budget up in 2020")
    only when ``values`` (feature -> the members' raw values) shows every member moved that
    way; otherwise, or without ``values``, it is named against the average of all units
    ("2020 change above average"): a centre above the mean is not a rise."""
    import numpy as np

    from analysis.narrative import catalog

    values = values or {}
    parts_id, parts_en = [], []
    for feat in z.abs().sort_values(ascending=False).index:
        v = z[feat]
        if abs(v) < threshold or len(parts_id) == 3:
            continue
        key = f"typology.{feat}.{'up' if v > 0 else 'down'}{'_strong' if abs(v) >= 1.5 else ''}"
        if feat in SIGNED_FEATURES:
            raw = np.asarray(values.get(feat, []), dtype=float)
            raw = raw[~np.isnan(raw)]
            moved = len(raw) > 0 and bool((raw > 0).all() if v > 0 else (raw < 0).all())
            if not moved:
                key = f"typology.{feat}.{'above' if v > 0 else 'below'}"
        if not catalog.has(key):
            continue
        parts_id.append(text(key, "id"))
        parts_en.append(text(key, "en"))
    if not parts_id:
        return text("typology.average", "id"), text("typology.average", "en")
    return ", ".join(parts_id), ", ".join(parts_en)


def describe_clusters(typology, values=None):
    """The typology table (``typology``: one row per unit or per cluster, with the cluster's
    standardized centre in ``z_<feature>`` columns) with the words of each cluster added as
    ``description_id`` and ``description_en`` (:func:`cluster_description`). The fitted table
    holds numbers only; its words are made here, when it is shown. The members' raw values of
    the signed features come from the table's ``value_<feature>`` columns (written by the
    build) or from ``values`` (a frame with ``unit_id`` and raw feature columns)."""
    zcols = [c for c in typology.columns if str(c).startswith("z_")]
    raw = typology
    if values is not None and "unit_id" in typology:
        keep = [f for f in SIGNED_FEATURES if f in values.columns]
        raw = typology.drop(columns=[f"value_{f}" for f in keep], errors="ignore").merge(
            values[["unit_id", *keep]].rename(columns={f: f"value_{f}" for f in keep})
            .drop_duplicates("unit_id"), on="unit_id", how="left")

    def member_values(g_raw):
        return {f: g_raw[f"value_{f}"].to_numpy(float) for f in SIGNED_FEATURES
                if f"value_{f}" in g_raw}

    raw_by = dict(tuple(raw.groupby("cluster", sort=True))) if len(raw) else {}
    words = {cl: cluster_description(g[zcols].iloc[0].astype(float).rename(lambda c: c[2:]),
                                     values=member_values(raw_by[cl]))
             for cl, g in typology.groupby("cluster", sort=True)} if len(typology) else {}
    return typology.assign(
        description_id=[words[c][0] for c in typology["cluster"]] if words else [],
        description_en=[words[c][1] for c in typology["cluster"]] if words else [])
