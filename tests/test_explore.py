"""Unit tests of analysis.publish.explore: parameter validation, the public-record guard, and that every
section builds its sentences, tables and figures (marked when simulated) in both languages."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from _support import copy_data

from analysis import config
from analysis.data import store
from analysis.methods.fit import cumulative, fit, tidy
from analysis.publish import explore, plots

matplotlib.use("Agg")


@pytest.fixture(scope="session")
def built_dir(built_data_dir, tmp_path_factory) -> Path:
    """A private data folder with the default build (public + simulated + models): a copy of
    the session's build (tests/conftest.py)."""
    return copy_data(built_data_dir, tmp_path_factory.mktemp("explore-data") / "data")


@pytest.fixture(scope="session", params=["id", "en"])
def ctx(request, built_dir):
    return explore.validate_params(str(built_dir), "33.25", [2016, 2024], request.param,
                                   "dinkes", top_n=5, max_lag=1, cut_pct=10, cuts=[5, 20])


@pytest.fixture(scope="session")
def data(built_dir):
    c = explore.validate_params(str(built_dir), lang="en")
    return {**explore.load(c, "units", "panel", "budget", "innovations", "service",
                           "reference", "region_finance", "leadership", "regency_year"),
            **explore.model_tables(c, "event_study", "typology", "typology_k", "resilience")}


def test_a_loader_never_fits(built_dir):
    c = explore.validate_params(str(built_dir), years=[2018, 2023], lang="en")
    with pytest.raises(ValueError, match="model tables are fitted, not loaded.*model_tables"):
        explore.load(c, "panel", "event_study")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ------------------------------------------------------------------------ parameters


def test_defaults_validate(ctx):
    assert ctx.years == (2016, 2024) and ctx.region == "33.25" and ctx.unit_id == "dinkes"
    assert ctx.options == {"top_n": 5, "max_lag": 1, "cut_pct": 10.0, "cuts": [5.0, 20.0]}


@pytest.mark.parametrize("kwargs, message", [
    ({"lang": "fr"}, r"unknown language 'fr'; allowed: id, en"),
    ({"unit_id": "dinkesz"}, r"unknown unit 'dinkesz' \(did you mean dinkes"),
    ({"unit_id": "nope"}, r"allowed: bapelitbang, bkd"),
    ({"region": "33.99"}, r"unknown region '33.99'; allowed: 33.25"),
    ({"years": [2010, 2024]}, r"unknown year.*2016–2024"),
    ({"years": [2024, 2016]}, r"increasing"),
    ({"years": 2020}, r"years must be \[first, last\]"),
    ({"cut_pct": 0}, r"cut_pct must be a percentage between -100 and 100"),
    ({"cut_pct": 150}, r"cut_pct must be"),
    ({"cut_pct": "ten"}, r"cut_pct must be a number"),
    ({"cuts": []}, r"cuts must be a non-empty list"),
    ({"top_n": 0}, r"top_n must be a whole number"),
    ({"max_lag": 7}, r"max_lag must be a whole number from 0 to 3"),
    ({"scope": "x"}, r"unknown scope"),
])
def test_bad_parameters_raise_clear_errors(built_dir, kwargs, message):
    with pytest.raises(explore.ParameterError, match=message):
        explore.validate_params(str(built_dir), **kwargs)


def test_parameter_error_is_a_value_error():
    assert issubclass(explore.ParameterError, ValueError)
    assert issubclass(explore.SimulatedDataError, ValueError)


def test_public_scope_has_its_own_years(built_dir):
    c = explore.validate_params(str(built_dir), years=[2019, 2026], scope="public")
    assert c.years == (2019, 2026)
    with pytest.raises(explore.ParameterError, match="public record"):
        explore.validate_params(str(built_dir), years=[2019, 2030], scope="public")
    with pytest.raises(explore.ParameterError, match="OPD x year panel"):
        explore.validate_params(str(built_dir), years=[2019, 2026])


def test_missing_data_names_the_build_command(tmp_path):
    with pytest.raises(store.NotBuiltError, match="python -m analysis build"):
        explore.validate_params(str(tmp_path))


def test_load_slices_region_and_years(built_dir):
    c = explore.validate_params(str(built_dir), years=[2019, 2021])
    d = explore.load(c, "budget", "innovations", "leadership", "panel")
    assert set(d["budget"]["year"]) == {2019, 2020, 2021}
    assert d["innovations"]["reporting_year"].between(2019, 2021).all()
    assert d["leadership"]["date"].dt.year.between(2019, 2021).all()
    assert (d["panel"]["region_code"] == "33.25").all()


def test_model_tables_are_fitted_when_the_build_lacks_them(built_dir, tmp_path):
    d = tmp_path / "data"
    shutil.copytree(built_dir, d)
    (d / "processed" / "model_results.parquet").unlink()
    c = explore.validate_params(str(d))
    mr = explore.model_tables(c, "model_results")["model_results"]
    assert mr.attrs.get("computed_now") and {"fe_poisson", "fe_ols"} <= set(mr["model"])


# ------------------------------------------------------------------------ public record guard


def test_require_public_refuses_simulated_rows(data):
    inn = data["innovations"]
    assert set(inn["provenance"]) == {"public", "simulated"}
    with pytest.raises(explore.SimulatedDataError, match="provenance \\['simulated'\\]"):
        explore.require_public(inn, "innovations")
    assert explore.require_public(inn[inn["provenance"] == "public"], "x")["provenance"].eq(
        "public").all()


def test_require_public_refuses_user_rows_and_missing_provenance():
    df = pd.DataFrame({"provenance": ["public", "user"], "source": ["a", "b"]})
    with pytest.raises(explore.SimulatedDataError, match="user"):
        explore.require_public(df, "t")
    with pytest.raises(explore.SimulatedDataError, match="no provenance column"):
        explore.require_public(pd.DataFrame({"x": [1]}), "t")
    with pytest.raises(explore.SimulatedDataError, match="without a source"):
        explore.require_public(pd.DataFrame({"provenance": ["public"], "source": [None]}), "t")


def _public_sections(c, d):
    """Notebook 4.0's selections of public rows and its tables, and its sections' arguments."""
    from analysis.data.public import DOCUMENT_RANK, PRECISION_RANK

    pub = {k: v[v["provenance"] == "public"] for k, v in d.items()}
    rf = pub["region_finance"]
    totals = rf[rf["indicator_key"].isin(["belanja_total", "pendapatan_total"])]
    totals = totals.assign(document_rank=totals["document"].map(DOCUMENT_RANK).fillna(9),
                           precision_rank=totals["precision"].map(PRECISION_RANK))
    totals = totals.sort_values(["year", "stage", "indicator_key", "document_rank",
                                 "precision_rank"]).drop_duplicates(["year", "stage",
                                                                     "indicator_key"])
    inn = pub["innovations"]
    profiles = inn[~inn["is_duplicate"]]
    owner = profiles["unit_id"].rename("owner")
    by_opd = pd.crosstab(owner, profiles["stage"], dropna=False).reindex(
        columns=["implementasi", "uji_coba", "inisiatif"], fill_value=0)
    by_opd.insert(0, "total", owner.value_counts(dropna=False))
    by_opd["digital"] = profiles.groupby(owner, dropna=False)["digital"].sum()
    by_opd = by_opd.sort_values("total", ascending=False)
    by_form = profiles.groupby("form").agg(n=("innovation_id", "size"),
                                           digital=("digital", "sum"))
    by_form["digital_share"] = by_form["digital"] / by_form["n"]
    by_year = pd.crosstab(profiles["implementation_date"].dt.year.rename("impl_year"),
                          profiles["form"])
    scores = pub["service"][pub["service"]["indicator"] == "ombudsman_score"]
    ref = pub["reference"]
    findings = ref[(ref["dataset"] == "Ombudsman kepatuhan") & ref["value_num"].isna()]
    table = pd.concat([scores, findings])[["year", "entity", "value", "source"]]
    sources = pd.concat([df["source"] for df in (totals, profiles, scores, findings)])
    return {"finance": (totals,), "by_opd": (inn, profiles, by_opd),
            "by_form": (inn, profiles, by_form, by_year),
            "ombudsman": (scores, findings, table), "sources": (sources.value_counts(),)}


PUBLIC_FUNCS = {"finance": explore.public_finance, "by_opd": explore.public_innovations_by_opd,
                "by_form": explore.public_innovations_by_form,
                "ombudsman": explore.public_ombudsman, "sources": explore.public_source_list}


@pytest.mark.parametrize("section", [k for k in PUBLIC_FUNCS if k != "sources"])
def test_public_helpers_refuse_a_single_simulated_row(ctx, data, section):
    """Every public_* helper given rows refuses one that is not public (the tables the notebook
    computed from them carry no provenance)."""
    frames = _public_sections(ctx, {k: data[k] for k in ("region_finance", "innovations",
                                                         "service", "reference")})[section]
    func = PUBLIC_FUNCS[section]
    func(ctx, *frames)  # public rows only: fine
    rows = [i for i, f in enumerate(frames) if "provenance" in f.columns]
    assert rows
    for i in rows:
        tainted = list(frames)
        tainted[i] = frames[i].copy()
        tainted[i].loc[tainted[i].index[0], "provenance"] = "simulated"
        with pytest.raises(explore.SimulatedDataError):
            func(ctx, *tainted)


def test_public_results_are_not_marked_simulated(ctx, data):
    sections = _public_sections(ctx, {k: data[k] for k in ("region_finance", "innovations",
                                                           "service", "reference")})
    results = {k: f(ctx, *sections[k]) for k, f in PUBLIC_FUNCS.items()}
    fin = results["finance"]
    assert not fin.simulated and not any(plots.is_simulated(f) for f in fin.figures)
    assert "SIMUL" not in fin.html
    assert not any(r.simulated for r in results.values())
    assert results["sources"].facts["n_sources"] == len(sections["sources"][0])
    assert explore.planted(explore.load_truth(ctx), "ikm", "dlog_budget_lag1") == 8.0


# ------------------------------------------------------------------------ sections


def _check(res: explore.Result, simulated: bool) -> None:
    assert res.title and res.text
    assert res.simulated is simulated
    for fig in res.figures:
        assert plots.is_simulated(fig) is simulated
    if res.html and simulated:
        assert "bukan temuan" in res.html or "not a finding" in res.html
    assert not re.search(r"\bnan\b", res.text.lower()), res.text


def test_overview_sections(ctx, data):
    panel = data["panel"]
    manifest = explore.load_manifest(ctx)
    built = pd.DataFrame(manifest["provenance"]).T.reindex(
        columns=["public", "simulated", "user", "derived"]).fillna(0).astype(int)
    built["total"] = built.sum(axis=1)
    info = explore.build_info(ctx, manifest, built)
    u = data["units"].assign(in_panel=data["units"]["unit_id"].isin(panel["unit_id"]))
    by_kind = u.groupby("kind").agg(n=("unit_id", "size"), front_line=("front_line", "sum"),
                                    in_panel=("in_panel", "sum"))
    by_kind["without_panel"] = by_kind["n"] - by_kind["in_panel"]
    units = explore.unit_registry(ctx, by_kind)
    measures = ["budget_realisasi", "ikm", "ombudsman_score"]
    n_units = panel["unit_id"].nunique()
    cov_table = panel.groupby("year")[measures].count().T / n_units
    incomplete = cov_table[cov_table.min(axis=1) < 1]
    gaps = pd.DataFrame({"max_share": incomplete.max(axis=1),
                         "years_without": [list(r.index[r == 0])
                                           for _, r in incomplete.iterrows()]})
    cov = explore.coverage(ctx, cov_table, gaps, n_units, True)
    ref = data["reference"][data["reference"]["provenance"] == "public"]
    datasets = ref.groupby("dataset").agg(rows=("row", "size"), y0=("year", "min"),
                                          y1=("year", "max"), sources=("source", "nunique"))
    datasets.loc["innovations"] = [98, 2021, 2021, 98]
    datasets.loc["service"] = [8, 2023, 2024, 2]
    pub = explore.public_sources(ctx, ref, datasets)
    assert pub.facts == {"reference_rows": len(ref), "profiles": 98}
    tainted = ref.assign(provenance=["simulated"] + ["public"] * (len(ref) - 1))
    with pytest.raises(explore.SimulatedDataError):
        explore.public_sources(ctx, tainted, datasets)
    for r in (info, units, pub):
        _check(r, False)
    _check(cov, True)
    assert cov.facts["partial"] == 2  # IKM and Ombudsman are not complete; the budget is
    truth = explore.load_truth(ctx)
    _check(explore.planted_effects(ctx, pd.DataFrame(truth["effects"]), truth), True)
    concl = explore.overview_conclusions(ctx, info, units, cov, pub)
    assert str(units.facts["n_panel"]) in concl.text
    assert info.facts["seed"] == config.DEFAULT_SEED
    assert info.facts["tables"] == len(manifest["provenance"])


def _budget_sections(ctx, data):
    """Notebook 1.0's selections, and its sections."""
    budget, panel = data["budget"], data["panel"]
    totals = budget.pivot_table(index="year", columns="stage", values="amount_idr",
                                aggfunc="sum")
    totals["refocus"] = totals["perubahan"] / totals["murni"] - 1
    totals["yoy"] = totals["realisasi"].pct_change()
    cuts = panel.groupby("unit_id")[["name", "cut_2020"]].first()
    cuts["cut_pct"] = np.expm1(cuts["cut_2020"])
    y19, y20 = (panel[panel["year"] == y].set_index("unit_id") for y in (2019, 2020))
    cuts["refocus_2020"], cuts["chg_2020"] = np.expm1(y20["refocus"]), np.expm1(y20["dlog_budget"])
    cuts["penunjang_2019"] = y19["penunjang_share"]
    cuts = cuts.dropna(subset=["cut_pct"]).sort_values("cut_pct")
    real = budget[budget["stage"] == "realisasi"]
    by_type = real.pivot_table(index="spending_type", columns="year", values="amount_idr",
                               aggfunc="sum")
    later = panel.dropna(subset=["dlog_budget"]).groupby("year").agg(
        n=("unit_id", "size"), n_cut=("dlog_budget", lambda s: (s < 0).sum()),
        med=("dlog_budget", "median"))
    later["regency"] = data["regency_year"].set_index("year")["dlog_budget"]
    routine = real.pivot_table(index="year", columns="programme_class", values="amount_idr",
                               aggfunc="sum").reindex(columns=["penunjang", "urusan"]).fillna(0)
    routine["share"] = routine["penunjang"] / (routine["penunjang"] + routine["urusan"])
    routine["opd_median"] = panel.groupby("year")["penunjang_share"].median()
    g = panel.sort_values("year").groupby("unit_id")["penunjang_share"]
    by_opd = pd.DataFrame({"name": panel.groupby("unit_id")["name"].first(), "avg": g.mean(),
                           "first_share": g.first(), "last_share": g.last()})
    by_opd["change"] = by_opd["last_share"] - by_opd["first_share"]
    return (explore.regency_budget(ctx, totals, budget, cuts),
            explore.cuts_by_opd(ctx, cuts, 5, True),
            explore.cuts_by_type(ctx, by_type[by_type.sum(axis=1) > 0], real),
            explore.later_years(ctx, later, True),
            explore.routine_share(ctx, routine, real),
            explore.routine_by_opd(ctx, by_opd.sort_values("avg", ascending=False), 5, True))


def test_budget_sections(ctx, data):
    reg, opd, typ, later, rout, ropd = _budget_sections(ctx, data)
    for r in (reg, opd, typ, later, rout, ropd):
        _check(r, True)
    assert typ.facts["fell_most"] == "modal"  # the simulator cuts capital hardest
    assert reg.facts["n_cut"] + opd.facts["n_up"] == reg.facts["n_units"]
    assert opd.facts["hardest"][0] == opd.data["cut_pct"].idxmin()
    concl = explore.budget_conclusions(ctx, reg, opd, typ, later, rout, ropd)
    assert fmtpct(ctx, opd.facts["median_cut"]) in concl.text


def fmtpct(ctx, x):
    return ctx.pct(x)


def test_sentences_follow_the_language(ctx, data):
    reg = _budget_sections(ctx, data)[0]
    if ctx.lang == "id":
        assert "Pada 2020" in reg.text and "," in reg.text
    else:
        assert "In 2020" in reg.text


MAIN = "innovations ~ dlog_budget + acting_share + cut_2020_x_post | unit_id + year"


@pytest.fixture(scope="session")
def model_panel(ctx):
    return explore.model_panel(ctx, 2)


def test_model_panel_holds_the_formula_columns(built_dir, model_panel):
    for col in ("cut_2020_x_post", "dlog_budget_lag0", "dlog_budget_lag2", "acting_any",
                "log_service_days", "post"):
        assert col in model_panel.columns
    assert model_panel["acting_any"].isin([0.0, 1.0]).all()
    narrow = explore.model_panel(explore.validate_params(str(built_dir), years=[2021, 2024]), 2)
    assert narrow["year"].min() == 2021
    # lags come from the whole panel: the first year of the window keeps its lags
    assert narrow.loc[narrow["year"] == 2021, "dlog_budget_lag2"].notna().any()


def test_innovation_sections(ctx, data, model_panel):
    truth = explore.load_truth(ctx)
    inn = data["innovations"]
    inn = inn[inn["provenance"].isin(["simulated", "user"]) & ~inn["is_duplicate"]]
    per_year = inn.groupby("reporting_year").agg(
        total=("unit_id", "size"), digital=("digital", "mean"),
        public_service=("form", lambda s: (s == "pelayanan_publik").mean()))
    per_year = per_year.join(pd.crosstab(inn["reporting_year"], inn["stage"]))
    tr = explore.innovation_trends(ctx, per_year, True)
    figs = explore.innovation_figures(ctx, inn, True)
    assert len(figs) == 3 and all(plots.is_simulated(f) for f in figs)
    res = tidy(fit(MAIN, model_panel), truth)
    table = explore.model_table(ctx, res)
    says = explore.model_says(ctx, res)
    es = explore.event_study_result(ctx, data["event_study"], truth)
    for r in (tr, table, says, es):
        _check(r, True)
    assert tr.data["total"].sum() == len(inn) < len(data["innovations"])  # no public rows
    assert set(says.data["term"]) == {"dlog_budget", "acting_share", "cut_2020_x_post"}
    # a live refit is exploration: it claims nothing and shows the ledger's verdict beside it,
    # with the ledger's family size (the same verdict the deck and the reports state)
    assert says.facts["claims"] == []
    book = explore.ledger(ctx)
    row = book[(book["outcome"] == "innovations") & (book["term"] == "dlog_budget") &
               (book["model"] == "fe_poisson")].iloc[0]
    k = int(row["family_size"])
    assert (f"over {k} tests" in says.text) or (f"atas {k} uji" in says.text)
    assert ("Exploration" in says.text) or ("Eksplorasi" in says.text)
    assert all(says.facts["covered"].values())  # the planted values are covered
    assert 0 <= es.facts["pretrend_p"] <= 1
    concl = explore.innovation_says(ctx, says, es, tr)
    assert concl.text.count("\n- ") >= 4


def test_service_sections(ctx, model_panel):
    truth = explore.load_truth(ctx)
    p = model_panel
    trend = p.groupby("year").agg(ikm=("ikm", "mean"), n_ikm=("ikm", "count"),
                                  ombudsman_score=("ombudsman_score", "mean"),
                                  n_omb=("ombudsman_score", "count"),
                                  complaints=("complaints", "sum"),
                                  n_compl=("complaints", "count"),
                                  budget=("dlog_budget", "median"))
    group = pd.cut(np.expm1(p["dlog_budget_lag1"]), [-np.inf, -0.1, 0.1, np.inf],
                   labels=["cut", "stable", "increase"])
    groups = p.groupby(group, observed=True)[["d_ikm", "d_complaints"]].agg(["mean", "count"])
    compare = explore.service_by_budget_change(ctx, groups, 0.1, True)
    assert ctx.pct(0.1, 0) in compare.html
    terms = ["dlog_budget_lag0", "dlog_budget_lag1", "dlog_budget_lag2"]
    fitted = [fit(f"{y} ~ {' + '.join(terms)} | unit_id + year", p)
              for y in ("ikm", "complaints", "ombudsman_score", "log_service_days")]
    d = pd.concat([tidy(m, truth) for m in fitted]
                  + [cumulative(m, terms, truth) for m in fitted], ignore_index=True)
    lags = explore.service_lags(ctx, d, 2)
    for r in (explore.service_trends(ctx, trend, True), compare, lags):
        _check(r, True)
    # every lag and the cumulative effect of every outcome is shown: none is picked by t
    for outcome in ("ikm", "complaints", "ombudsman_score", "log_service_days"):
        assert set(d.loc[d["outcome"] == outcome, "term"]) == {*terms, "cumulative"}, outcome
    assert "clearest" not in lags.text and "paling jelas" not in lags.text
    ikm1 = d[(d["outcome"] == "ikm") & (d["term"] == "dlog_budget_lag1")].iloc[0]
    assert ikm1["ci_low"] <= 8.0 <= ikm1["ci_high"]  # the planted 8 IKM points
    # a live refit is exploration: it claims nothing itself and shows the ledger's verdicts
    assert lags.facts["claims"] == []
    assert "p_adjusted" not in d.columns
    assert ("Exploration" in lags.text) or ("Eksplorasi" in lags.text)
    book = explore.ledger(ctx)
    ikm_row = book[(book["outcome"] == "ikm") & (book["term"] == "dlog_budget_lag1") &
                   (book["kind"] == "lag")].iloc[0]
    assert f"{ikm_row['family_size']} tests" in lags.text or \
        f"{ikm_row['family_size']} uji" in lags.text
    # planted zeros are printed as 0 in the table, never as a dash
    assert ">0</td>" in lags.html
    assert explore.service_conclusions(ctx, compare, lags).text


def _followup(ctx, panel, truth):
    fitted = [fit(f"{y} ~ acting_share | unit_id + year", panel)
              for y in ("innovations", "ikm", "ombudsman_score", "log_service_days")]
    res = pd.concat([tidy(m, truth) for m in fitted], ignore_index=True)
    return explore.leadership_followup(ctx, res, panel)


def test_planted_zero_and_units_are_shown(ctx, data):
    truth = explore.load_truth(ctx)
    assert explore.planted(truth, "ombudsman_score", "acting_share") == 0.0
    assert explore.planted(truth, "complaints", "dlog_budget_lag1") == 0.0
    assert explore.planted(truth, "ikm", "cumulative", max_lag=1) == 8.0
    assert explore.planted_text(ctx, 0.0) == "0" and explore.planted_text(ctx, np.nan) == "–"
    fu = _followup(ctx, explore.model_panel(ctx), truth)
    rows = fu.html.split("<tr>")
    omb = [r for r in rows if ctx.label("ombudsman_score") in r][0]
    assert "<td>0</td>" in omb  # the planted 0 of the Ombudsman acting-head term
    days = [r for r in rows if ctx.label("log_service_days") in r][0]
    assert ("log days" in days or "log hari" in days) and "points" not in days
    line = [x for x in fu.text.split("\n") if x.startswith(f"- {ctx.label('log_service_days')}")][0]
    assert ("log days (0.1" in line or "log hari (0,1" in line) and "points" not in line \
        and "poin" not in line


@pytest.mark.slow   # refits every model on a year window (15-40 s)
def test_models_honour_the_years_and_are_cached(built_dir):
    c = explore.validate_params(str(built_dir), years=[2018, 2023], lang="en")
    t0 = time.perf_counter()
    d = explore.model_tables(c, "event_study", "resilience")
    first = time.perf_counter() - t0
    es = d["event_study"]
    assert es.attrs["fit"]["refit"] and es.attrs["fit"]["years"] == (2018, 2023)
    full = explore.model_tables(explore.validate_params(str(built_dir), lang="en"),
                                "event_study")["event_study"]
    assert not full.attrs["fit"]["refit"]
    assert es["n"].max() < full["n"].max()  # fewer OPD-years: the window was used
    text = explore.event_study_result(c, es, {}).text
    assert "2018–2023" in text and "whole panel: 2016–2024" in text
    assert "fitted by the build on the whole panel" in explore.event_study_result(
        c, full, {}).text
    t1 = time.perf_counter()
    again = explore.model_tables(c, "event_study", "resilience")
    second = time.perf_counter() - t1
    assert again["event_study"].attrs["fit"]["cache"] == "hit"   # read, not refitted
    pd.testing.assert_frame_equal(again["event_study"], es)
    print(f"window refit {first:.1f} s, cache hit {second:.2f} s")  # timing: benchmarks/


def test_a_window_too_short_says_why_and_does_not_crash(built_dir):
    c = explore.validate_params(str(built_dir), years=[2016, 2017], lang="en")
    d = explore.model_tables(c, "event_study", "resilience")
    for res in (explore.event_study_result(c, d["event_study"], {}),
                explore.resilience_ranking(c, d["resilience"], 3)):
        assert "not estimable" in res.text or "cannot be estimated" in res.text
    with pytest.raises(ValueError, match="at most one usable row|no complete rows|singleton"):
        fit("ikm ~ dlog_budget_lag2 | unit_id + year",
            explore.model_panel(c, 2).assign(dlog_budget_lag2=np.nan))


@pytest.mark.parametrize("years", [[2018, 2018], [2019, 2020], [2021, 2021], [2022, 2026],
                                   [2024, 2025], [2019, 2026]])
def test_public_record_runs_for_every_accepted_range(built_dir, years):
    c = explore.validate_params(str(built_dir), years=years, lang="en", scope="public")
    d = explore.load(c, "region_finance", "innovations", "service", "reference")
    sections = _public_sections(c, d)
    parts = [PUBLIC_FUNCS[k](c, *frames) for k, frames in sections.items()]
    concl = explore.public_conclusions(c, *parts)
    assert concl.text and not any(r.simulated for r in parts)
    if not 2021 <= years[1] or years[0] > 2021:
        assert "No public innovation profile" in concl.text


def test_typology_and_leadership_sections(ctx, data):
    truth = explore.load_truth(ctx)
    k = explore.typology_choice(ctx, data["typology_k"])
    cl = explore.typology_clusters(ctx, data["typology"])
    rs = explore.resilience_ranking(ctx, data["resilience"], 5, truth)
    ev = data["leadership"].assign(year=data["leadership"]["date"].dt.year).sort_values("date")
    changes = ev[ev.duplicated("unit_id")]
    per_year = changes.pivot_table(index="year", columns="event", values="unit_id",
                                   aggfunc="count", fill_value=0)
    hd = explore.leadership_events(ctx, changes, per_year, data["panel"])
    assert hd.facts["n_changes"] == len(data["leadership"]) - data["leadership"]["unit_id"].nunique()
    fu = _followup(ctx, explore.model_panel(ctx), truth)
    for r in (k, cl, rs, hd, fu):
        _check(r, True)
    assert cl.data["n"].sum() == data["typology"]["unit_id"].nunique()
    assert k.facts["k"] == int(data["typology_k"].loc[data["typology_k"]["chosen"], "k"].iloc[0])
    assert "dinkes" in cl.data.loc[cl.data["cluster"] == cl.facts["unit_cluster"],
                                   "members"].iloc[0]
    explore.typology_conclusions(ctx, k, cl, rs, hd, fu)
    res = data["resilience"].dropna(subset=["effect"])
    for o in ("innovations", "ikm"):
        g = res[res["outcome"] == o]
        assert rs.facts[f"above_{o}"] == int((g["verdict"] == "above").sum())
        assert rs.facts[f"below_{o}"] == int((g["verdict"] == "below").sum())
        # "best"/"worst" only for a unit whose rank interval is apart from every other's
        for u in rs.facts[f"best_{o}"]:
            mine = g[g["unit_id"] == u].iloc[0]
            assert (mine["rank_high"] < g[g["unit_id"] != u]["rank_low"]).all()
    if not rs.facts["best_innovations"] and not rs.facts["best_ikm"]:
        assert "held up best" not in rs.text and "paling tahan" not in rs.text
        assert "none is called the best" in rs.text or "tidak ada yang disebut" in rs.text


def test_scenario_sections(ctx, data):
    panel = explore.model_panel(ctx)
    unit = explore.scenario_unit(ctx, panel[panel["unit_id"] == "dinkes"])
    mr = pd.concat([tidy(fit(f, panel)) for f in
                    (MAIN, "ikm ~ dlog_budget_lag1 + acting_share | unit_id + year")],
                   ignore_index=True)
    res = explore.scenario_result(ctx, mr, panel, 10)
    grid = explore.scenario_grid(ctx, mr, panel, [5, 10, 30])
    assert ("Fitted live" in res.text) or ("Ditaksir sekarang" in res.text)
    no_budget = mr[mr["term"] != "dlog_budget"]
    assert "cannot be computed" in explore.scenario_result(ctx, no_budget, panel, 10).text \
        or "tidak dapat dihitung" in explore.scenario_result(ctx, no_budget, panel, 10).text
    for r in (unit, res, grid):
        _check(r, True)
    assert set(res.data["outcome"]) == {"innovations", "ikm"}
    assert (res.data["ci_low"] <= res.data["estimate"]).all()
    assert len(grid.data) == 6
    inn = grid.data[grid.data["outcome"] == "innovations"].sort_values("cut_pct")
    assert inn["estimate"].abs().is_monotonic_increasing  # a bigger cut, a bigger effect
    assert ("Bukti terlalu tipis" in res.text) or ("Evidence too thin" in res.text) or (
        "adequate" in set(res.data["evidence"]))


def test_table_html_escapes_and_marks(ctx):
    html = explore.table_html(["<b>"], [["<script>x</script>"]], ctx, "cap & more", True)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; more" in html
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert ctx.label("simulated_banner") in html
    assert ctx.label("simulated_banner") not in explore.table_html(["a"], [[1]], ctx, "c", False)
    assert "<td>–</td>" in explore.table_html(["a"], [[None], [np.nan]], ctx, "c", False)


def test_banner_is_the_one_banner(ctx):
    b = explore.banner(ctx, True)
    assert b.startswith('<div class="sim-banner"') and ctx.label("simulated_banner") in b
    assert explore.banner(ctx, False) == ""


def test_show_escapes_names_in_sentences(ctx, monkeypatch):
    """A hostile unit name in a heading or sentence is displayed as text, not as markup."""
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: shown.extend(a))
    hostile = "<script>alert(1)</script> & co"
    explore.show(explore.Result(f"OPD {hostile}", explore.bullets([f"**{hostile}**: 1"]),
                                html=explore.table_html(["n"], [[hostile]], ctx, hostile,
                                                        False)))
    out = " ".join(str(getattr(o, "data", o)) for o in shown)
    assert "<script>" not in out and out.count("&lt;script&gt;") == 4
    assert "**&lt;script&gt;alert(1)&lt;/script&gt; &amp; co**" in out  # Markdown kept


def test_every_catalog_key_in_explore_and_peers_exists():
    """The keys the notebook helpers name literally are in the catalog (both languages)."""
    import re
    from pathlib import Path

    from analysis.narrative import catalog
    from analysis.publish import peers

    files = [*Path(explore.__file__).parent.glob("*.py"), Path(peers.__file__)]
    keys = {k for f in files for k in re.findall(r'ctx\.t\("((?:explore|peers)\.[\w.]+)"',
                                                    f.read_text())}
    assert len(keys) > 300
    assert not [k for k in keys if not catalog.has(k) and not k.endswith(".")]
    for f in files:  # no inline id/en pairs left
        assert not re.search(r'ctx\.t\(\s*f?"[^"]*",\s*f?"', f.read_text()), f
