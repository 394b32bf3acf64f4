"""The peers analysis (analysis.methods.peers, numbers) and its view (analysis.publish.peers):
parameters, ranks, the fixed-effects association, escaping."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.data import national, store
from analysis.data.public import load_deflator
from analysis.methods import fe
from analysis.methods import peers as calc
from analysis.methods.fit import fit, tidy
from analysis.publish import markup, peers, pemda_report
from analysis.publish.explore import ParameterError


@pytest.fixture(scope="module")
def ddir(tmp_path_factory):
    """A data folder whose processed/ holds only the national tables."""
    d = tmp_path_factory.mktemp("peers-data")
    out = national.build_tables({"deflator": load_deflator()}, {})
    out.pop("__info__")
    store.write_processed(out, {}, d / "processed")
    return d


@pytest.fixture(scope="module")
def ctx(ddir):
    return peers.validate_params(str(ddir), "33.25", "province", [2021, 2025], "en")


@pytest.mark.parametrize("kw,msg", [
    ({"region": "33.99"}, "unknown region '33.99'"),
    ({"region": 33.25}, "region must be a text code"),
    ({"peer_group": "island"}, "unknown peer_group 'island'"),
    ({"peer_group": ["33.24", "99.99"]}, "unknown kab/kota code(s) in peer_group: '99.99'"),
    ({"years": [2010, 2024]}, "allowed any increasing [first, last]"),
    ({"lang": "fr"}, "unknown language 'fr'"),
    ({"formula": "d_ipm ~ os.system | pemda + year"}, "unknown column(s) in formula: os"),
    ({"formula": "d_ipm ~ share_modal"}, "two-way fixed effects"),
])
def test_bad_parameters(ddir, kw, msg):
    args = {"data_dir": str(ddir), "region": "33.25", "peer_group": "province",
            "years": [2021, 2025], "lang": "en", **kw}
    with pytest.raises(ParameterError) as e:
        peers.validate_params(**args)
    assert msg in str(e.value)


def test_province_peer_group_is_the_35_of_jawa_tengah(ctx):
    assert len(ctx.options["peers"]) == 35 and "33.25" in ctx.options["peers"]
    assert all(c.startswith("33.") for c in ctx.options["peers"])


def test_standing_ranks_match_pandas(ctx):
    data = peers.load(ctx)
    py = data["pemda_year"]
    res = peers.standing(ctx, py, data["pemda"])
    year = res.facts["year"]
    assert not py.loc[(py["region_code"] == "33.25") & (py["year"] == year), "partial"].any()
    jt = py[py["region_code"].isin(ctx.options["peers"]) & (py["year"] == year)]
    ok = jt[jt["partial"] == False]  # noqa: E712
    want = int((ok["share_modal"] > ok.loc[ok["region_code"] == "33.25", "share_modal"].iloc[0]
                ).sum()) + 1
    rk, n, yr = res.facts["ranks"]["share_modal|peers"]
    assert (rk, n, yr) == (want, len(ok), year)
    ipm_rk, ipm_n, _ = res.facts["ranks"]["ipm|peers"]
    assert ipm_n == 35 and 1 <= ipm_rk <= 35


def test_partial_rows_are_not_ranked():
    py = pd.DataFrame({"region_code": ["a", "b", "c"], "year": 2024,
                       "share_modal": [0.1, 0.5, 0.2], "partial": [False, True, False]})
    r = calc.ranks(py, "share_modal")
    assert list(r["region_code"]) == ["a", "c"] and list(r["rank"]) == [2.0, 1.0]


def test_association_recovers_a_planted_slope(ctx):
    rng = np.random.default_rng(7)
    n, t_years = 300, 4
    pemda = np.repeat([f"p{i}" for i in range(n)], t_years)
    year = np.tile(np.arange(2021, 2021 + t_years), n)
    a = np.repeat(rng.normal(0, 1, n), t_years)
    modal = 10 + 2 * a + rng.normal(0, 3, n * t_years)
    frame = pd.DataFrame({"pemda": pemda, "year": year, "share_modal": modal,
                          "share_pegawai": rng.normal(35, 5, n * t_years),
                          "dlog_real_spending": rng.normal(0, 10, n * t_years)})
    frame["d_ipm"] = 0.05 * frame["share_modal"] + a + 0.1 * (year - 2021) \
        + rng.normal(0, 0.3, n * t_years)
    # the notebook's fit (the package's one estimation path), then its words
    t = tidy(fit(peers.DEFAULT_FORMULA, frame, vcov={"CRV1": "pemda"}, family="ols"))
    res = peers.association(ctx, t, frame, peers.DEFAULT_FORMULA, "test")
    # the package's one tidy format (analysis.methods.fe.tidy_fit)
    assert set(fe.TIDY_COLUMNS) <= set(res.data.columns)
    assert "years 2021\u20132024" in res.html and res.facts["n"] == n * t_years
    assert res.data["note"].str.startswith("CRV1 cluster-robust SE by pemda, t(299)").all()
    row = res.data.set_index("term").loc["share_modal"]
    assert row["ci_low"] < 0.05 < row["ci_high"]
    assert row["ci_low"] > 0           # the planted slope is distinguishable from zero
    assert int(row["n"]) == n * t_years and int(row["n_clusters"]) == n
    other = res.data.set_index("term").loc["share_pegawai"]
    assert other["ci_low"] < 0 < other["ci_high"]


def test_names_from_data_are_escaped(ctx):
    data = peers.load(ctx)
    reg = data["pemda"].copy()
    reg.loc[reg["region_code"] == "33.25", "name"] = "<script>alert(1)</script>"
    res = peers.standing(ctx, data["pemda_year"], reg)
    assert "<script>" not in res.html and "&lt;script&gt;" in res.html
    # the sentences are Markdown, displayed by explore.show through markup.markdown
    assert "<script>" not in markup.markdown(res.text)
    assert "&lt;script&gt;" in markup.markdown(res.text)
    title = pemda_report.report_title_html(ctx, reg)
    assert "<script>" not in title and title.startswith("<h1>&lt;script&gt;")


def test_public_only(ctx, ddir, monkeypatch):
    """The loader returns public rows only and refuses a table with a simulated row."""
    data = peers.load(ctx)
    for df in data.values():
        if "provenance" in df:
            assert df["provenance"].isin(["public", "user"]).all()
    real = store.load_table

    def planted(name, *args, **kw):
        df = real(name, *args, **kw)
        return df.assign(provenance="simulated") if name == "pemda_year" else df

    monkeypatch.setattr(store, "load_table", planted)
    with pytest.raises(ValueError, match="simulated rows"):
        peers.load(ctx)


def test_a_pemda_whose_every_year_is_partial_gets_a_report_saying_so(ddir):
    """Kota Makassar (73.71) reports outturn under 80 % of budget in every year 2021-2025: its
    standing says so instead of stopping the report, and nothing is ranked."""
    c = peers.validate_params(str(ddir), "73.71", "province", [2021, 2025], "en")
    data = peers.load(c)
    py, reg = data["pemda_year"], data["pemda"]
    me = py[py["region_code"] == "73.71"]
    assert len(me) and me["partial"].all()                  # the premise, from the data
    stand = peers.standing(c, py, reg)
    assert stand.facts["year"] is None and "No complete APBD year in 2021–2025" in stand.text
    dist = peers.distributions(c, py, reg, stand.facts["year"])
    assert not dist.figures and "cannot be placed" in dist.text


def test_peer_figures_carry_an_alt_text_naming_the_region_and_the_year(ddir):
    from analysis.publish import plots

    c = peers.validate_params(str(ddir), "33.25", "province", [2021, 2025], "en")
    data = peers.load(c)
    py, reg = data["pemda_year"], data["pemda"]
    year = peers.standing(c, py, reg).facts["year"]
    dist = peers.distributions(c, py, reg, year).figures[0]
    trend = peers.trend(c, py, reg).figures[0]
    assert plots.figure_alt(dist).startswith(f"Distribution of each measure, {year}: Kab. Batang")
    assert "Kab. Batang (red)" in plots.figure_alt(trend)
    assert not plots.is_simulated(dist)   # public data: no simulated mark in the alt text
    import matplotlib.pyplot as plt

    plt.close("all")


def test_the_numbers_are_computed_without_the_view():
    """analysis.methods.peers gives the ranks and the 2020 deviations as numbers; the view only
    words and draws them."""
    py = pd.DataFrame({
        "region_code": ["a", "b", "c", "a", "b", "c"], "year": [2023] * 3 + [2024] * 3,
        "share_modal": [0.1, 0.3, 0.2, 0.4, 0.2, 0.1], "partial": [False] * 5 + [True],
        "ipm": [70.0, 71.0, np.nan, np.nan, np.nan, np.nan]})
    py = py.assign(**{m: np.nan for m in calc.MEASURES if m not in py})
    t = calc.standing_table(py, "a", ["a", "b"], 2024).set_index(["measure", "group"])
    assert t.loc[("share_modal", "peers"), ["year", "rank", "n"]].tolist() == [2024, 1, 2]
    assert t.loc[("share_modal", "national"), "n"] == 2           # c's 2024 row is partial
    assert t.loc[("ipm", "national"), ["year", "rank", "n"]].tolist() == [2023, 2, 2]
    assert t.loc[("spending_outturn", "peers"), "rank"] is None  # no value: not ranked
    hist = calc.rank_history_table(py, "a", ["a", "b"])
    assert hist[hist["measure"] == "share_modal"][["year", "rank"]].values.tolist() == [
        [2023, 2], [2024, 1]]
    allc = pd.DataFrame({"region_code": ["a", "b", "c"], "change": [-0.2, 0.0, 0.1],
                         "deviation": [-0.3, 0.05, 0.2]})
    s = calc.change_summary(allc, "c", ["a", "c"]).set_index("group")
    assert s.loc["peers", "rank"] == 2 and s.loc["national", "rank"] == 3
    assert s.loc["peers", "median_deviation"] == pytest.approx(-0.05)
    assert calc.change_summary(allc, "z", ["a"])["rank"].tolist() == [None, None]
