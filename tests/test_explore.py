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
from conftest import copy_data

from analysis import config
from analysis.data import store
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
    return explore.load(c, "units", "panel", "budget", "innovations", "service", "reference",
                        "region_finance", "leadership", "regency_year", "model_results",
                        "event_study", "typology", "typology_k", "resilience",
                        "lag_results")


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
    mr = explore.load(c, "model_results")["model_results"]
    assert mr.attrs.get("computed_now") and {"fe_poisson", "fe_ols"} <= set(mr["model"])


# ------------------------------------------------------------------------ public record guard


def test_require_public_refuses_simulated_rows(data):
    inn = data["innovations"]
    assert set(inn["provenance"]) == {"public", "simulated"}
    with pytest.raises(explore.SimulatedDataError, match="provenance \\['simulated'\\]"):
        explore.require_public(inn, "innovations")
    assert explore.require_public(explore.public_rows(inn), "x")["provenance"].eq("public").all()


def test_require_public_refuses_user_rows_and_missing_provenance():
    df = pd.DataFrame({"provenance": ["public", "user"], "source": ["a", "b"]})
    with pytest.raises(explore.SimulatedDataError, match="user"):
        explore.require_public(df, "t")
    with pytest.raises(explore.SimulatedDataError, match="no provenance column"):
        explore.require_public(pd.DataFrame({"x": [1]}), "t")
    with pytest.raises(explore.SimulatedDataError, match="without a source"):
        explore.require_public(pd.DataFrame({"provenance": ["public"], "source": [None]}), "t")


@pytest.mark.parametrize("func, tables", [
    (explore.public_finance, ["region_finance"]),
    (explore.public_innovations_by_opd, ["innovations"]),
    (explore.public_innovations_by_form, ["innovations"]),
    (explore.public_ombudsman, ["service", "reference"]),
    (explore.public_source_list, ["region_finance", "innovations"]),
])
def test_public_helpers_refuse_a_single_simulated_row(ctx, data, func, tables):
    frames = [explore.public_rows(data[t]) for t in tables]
    func(ctx, *frames)  # public rows only: fine
    tainted = frames[0].copy()
    tainted.loc[tainted.index[0], "provenance"] = "simulated"
    with pytest.raises(explore.SimulatedDataError):
        func(ctx, tainted, *frames[1:])


def test_public_results_are_not_marked_simulated(ctx, data):
    fin = explore.public_finance(ctx, explore.public_rows(data["region_finance"]))
    assert not fin.simulated and not any(plots.is_simulated(f) for f in fin.figures)
    assert "SIMUL" not in fin.html
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
    info = explore.build_info(ctx)
    units = explore.unit_registry(ctx, data["units"], data["panel"])
    cov = explore.coverage(ctx, data["panel"])
    pub = explore.public_sources(ctx, data["reference"], data["innovations"], data["service"])
    for r in (info, units, pub):
        _check(r, False)
    _check(cov, True)
    _check(explore.planted_effects(ctx, explore.load_truth(ctx)), True)
    concl = explore.overview_conclusions(ctx, info, units, cov, pub)
    assert str(units.facts["n_panel"]) in concl.text
    assert info.facts["seed"] == config.DEFAULT_SEED


def test_budget_sections(ctx, data):
    reg = explore.regency_budget(ctx, data["budget"], data["panel"])
    opd = explore.cuts_by_opd(ctx, data["panel"], 5)
    typ = explore.cuts_by_type(ctx, data["budget"])
    later = explore.later_years(ctx, data["panel"], data["regency_year"])
    rout = explore.routine_share(ctx, data["budget"], data["panel"])
    ropd = explore.routine_by_opd(ctx, data["panel"], 5)
    for r in (reg, opd, typ, later, rout, ropd):
        _check(r, True)
    assert typ.facts["fell_most"] == "modal"  # the simulator cuts capital hardest
    assert reg.facts["n_cut"] + opd.facts["n_up"] == reg.facts["n_units"]
    hardest = opd.data.index[0]
    assert opd.data.loc[hardest, "cut_2020"] == opd.data["cut_2020"].min()
    concl = explore.budget_conclusions(ctx, reg, opd, typ, later, rout, ropd)
    assert fmtpct(ctx, opd.facts["median_cut"]) in concl.text


def fmtpct(ctx, x):
    return ctx.pct(x)


def test_sentences_follow_the_language(ctx, data):
    reg = explore.regency_budget(ctx, data["budget"], data["panel"])
    if ctx.lang == "id":
        assert "Pada 2020" in reg.text and "," in reg.text
    else:
        assert "In 2020" in reg.text


def test_innovation_sections(ctx, data):
    truth = explore.load_truth(ctx)
    tr = explore.innovation_trends(ctx, data["innovations"])
    mo = explore.innovation_models(ctx, data["model_results"], truth, data["panel"])
    es = explore.event_study_result(ctx, data["event_study"], truth)
    for r in (tr, mo, es):
        _check(r, True)
    assert len(tr.figures) == 3
    assert tr.data["total"].sum() == len(explore._panel_innovations(data["innovations"]))
    assert (tr.data["total"].sum() < len(data["innovations"]))  # public rows are not counted
    assert set(mo.data["term"]) == {"dlog_budget", "acting_share", "cut_2020_x_post"}
    assert 0 <= es.facts["pretrend_p"] <= 1
    says = explore.innovation_says(ctx, mo, es, tr)
    assert says.text.count("\n- ") >= 4


def test_service_sections(ctx, data):
    truth = explore.load_truth(ctx)
    for r in (explore.service_trends(ctx, data["panel"]),
              explore.service_by_budget_change(ctx, data["panel"])):
        _check(r, True)
    lags = explore.service_lags(ctx, data["lag_results"], truth)
    _check(lags, True)
    d = lags.data
    # every lag and the cumulative effect of every outcome is shown: none is picked by t
    for outcome in ("ikm", "complaints", "ombudsman_score", "log_service_days"):
        terms = set(d.loc[d["outcome"] == outcome, "term"])
        assert terms == {"dlog_budget_lag0", "dlog_budget_lag1", "dlog_budget_lag2",
                         "cumulative"}, outcome
    assert "clearest" not in lags.text and "paling jelas" not in lags.text
    ikm1 = d[(d["outcome"] == "ikm") & (d["term"] == "dlog_budget_lag1")].iloc[0]
    assert ikm1["ci_low"] <= 8.0 <= ikm1["ci_high"]  # the planted 8 IKM points
    # a lag is claimed only when its Holm-adjusted p-value is below 0.05
    for o, t in lags.facts["claims"]:
        row = d[(d["outcome"] == o) & (d["term"] == t)].iloc[0]
        assert row["p_adjusted"] < 0.05
    raw_only = d[(d["p_value"] < 0.05) & (d["p_adjusted"] >= 0.05)]
    for r in raw_only.itertuples():
        assert (r.outcome, r.term) not in lags.facts["claims"]
    n = int(d["n_tests"].iloc[0])
    assert (f"over {n} tests" in lags.text) or (f"atas {n} uji" in lags.text)
    # planted zeros are printed as 0 in the table, never as a dash
    assert ">0</td>" in lags.html
    concl = explore.service_conclusions(ctx, lags)
    assert concl.text


def test_planted_zero_and_units_are_shown(ctx, data):
    truth = explore.load_truth(ctx)
    assert explore.planted(truth, "ombudsman_score", "acting_share") == 0.0
    assert explore.planted(truth, "complaints", "dlog_budget_lag1") == 0.0
    assert explore.planted(truth, "ikm", "cumulative", max_lag=1) == 8.0
    assert explore.planted_text(ctx, 0.0) == "0" and explore.planted_text(ctx, np.nan) == "–"
    fu = explore.leadership_followup(ctx, data["model_results"], truth, data["panel"])
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
    d = explore.load(c, "model_results", "event_study", "lag_results")
    first = time.perf_counter() - t0
    mr = d["model_results"]
    assert mr.attrs["fit"]["refit"] and mr.attrs["fit"]["years"] == (2018, 2023)
    full = explore.load(explore.validate_params(str(built_dir), lang="en"),
                        "model_results")["model_results"]
    assert not full.attrs["fit"]["refit"]
    inn = mr[(mr["model"] == "fe_poisson") & (mr["term"] == "dlog_budget")].iloc[0]
    inn_full = full[(full["model"] == "fe_poisson") & (full["term"] == "dlog_budget")].iloc[0]
    assert inn["n"] < inn_full["n"]  # fewer OPD-years: the window was used
    res = explore.innovation_models(c, mr, {}, None)
    assert f"n = {int(inn['n'])} OPD-years used" in res.text
    assert "2018–2023" in res.text and "whole panel: 2016–2024" in res.text
    assert "fitted by the build on the whole panel" in explore.innovation_models(
        c, full, {}, None).text
    t1 = time.perf_counter()
    again = explore.load(c, "model_results", "event_study", "lag_results")
    second = time.perf_counter() - t1
    assert again["model_results"].attrs["fit"]["cache"] == "hit"
    pd.testing.assert_frame_equal(again["model_results"], mr)
    assert second < 2.0 and second < first / 5, (first, second)
    print(f"window refit {first:.1f} s, cache hit {second:.2f} s")
    # another max_lag refits the lag models and the family of tests
    lag1 = explore.load(explore.validate_params(str(built_dir), lang="en"), "lag_results",
                        max_lag=1)["lag_results"]
    assert set(lag1["term"]) == {"dlog_budget_lag0", "dlog_budget_lag1", "cumulative"}
    assert lag1.attrs["fit"]["max_lag"] == 1


def test_a_window_too_short_says_why_and_does_not_crash(built_dir):
    c = explore.validate_params(str(built_dir), years=[2016, 2017], lang="en")
    d = explore.load(c, "model_results", "event_study", "lag_results", "resilience")
    mr = d["model_results"]
    # the main models cannot be estimated on one year with a budget change, and say why
    main = mr[mr["model"].isin(["fe_ols", "fe_poisson"])]
    assert main["estimate"].isna().all()
    assert main["note"].str.startswith("not estimable:").all()
    # what can be estimated (an acting-head term from the few units with a Plt) carries its
    # sample and the few-units caveat, and is never a claim
    est = mr[mr["estimate"].notna()]
    assert (est["n"] > 0).all() and est["note"].str.contains("varies within only").all()
    assert (est["p_adjusted"] >= 0.05).all()
    for res in (explore.innovation_models(c, d["model_results"], {}, None),
                explore.event_study_result(c, d["event_study"], {}),
                explore.service_lags(c, d["lag_results"], {}),
                explore.resilience_ranking(c, d["resilience"], 3)):
        assert "not estimable" in res.text or "cannot be estimated" in res.text


@pytest.mark.parametrize("years", [[2018, 2018], [2019, 2020], [2021, 2021], [2022, 2026],
                                   [2024, 2025], [2019, 2026]])
def test_public_record_runs_for_every_accepted_range(built_dir, years):
    c = explore.validate_params(str(built_dir), years=years, lang="en", scope="public")
    d = explore.load(c, "region_finance", "innovations", "service", "reference")
    pub = {k: explore.public_rows(v) for k, v in d.items()}
    parts = [explore.public_finance(c, pub["region_finance"]),
             explore.public_innovations_by_opd(c, pub["innovations"]),
             explore.public_innovations_by_form(c, pub["innovations"]),
             explore.public_ombudsman(c, pub["service"], pub["reference"]),
             explore.public_source_list(c, pub["region_finance"], pub["innovations"],
                                        pub["service"])]
    concl = explore.public_conclusions(c, *parts)
    assert concl.text and not any(r.simulated for r in parts)
    if not 2021 <= years[1] or years[0] > 2021:
        assert "No public innovation profile" in concl.text


def test_typology_and_leadership_sections(ctx, data):
    truth = explore.load_truth(ctx)
    k = explore.typology_choice(ctx, data["typology_k"])
    cl = explore.typology_clusters(ctx, data["typology"])
    rs = explore.resilience_ranking(ctx, data["resilience"], 5, truth)
    hd = explore.leadership_events(ctx, data["leadership"], data["panel"])
    fu = explore.leadership_followup(ctx, data["model_results"], truth, data["panel"])
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
    unit = explore.scenario_unit(ctx, data["panel"])
    res = explore.scenario_result(ctx, data["model_results"], data["panel"], 10)
    grid = explore.scenario_grid(ctx, data["model_results"], data["panel"], [5, 10, 30])
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
    assert ctx.label("simulated_banner") in html
    assert ctx.label("simulated_banner") not in explore.table_html(["a"], [[1]], ctx, "c", False)
