"""Tests of the simulated panel: determinism, calibration, schema, planted truth."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from analysis import config
from analysis.data import schema
from analysis.data import simulate as sim

# The real Batang belanja totals the generator is calibrated to (see the public reference data).
TARGETS = pd.DataFrame(
    [
        (2019, "perubahan", 1_886_957_453_033.0),
        (2020, "realisasi", 1_662_512_932_221.19),
        (2021, "murni", 1.871e12),
        (2021, "perubahan", 1.92e12),
        (2021, "realisasi", 1_780_425_131_876.0),
        (2022, "murni", 1_829_304_856_259.0),
        (2022, "perubahan", 1_958_746_736_810.77),
        (2023, "murni", 1_823_587_840_833.0),
        (2024, "murni", 1_956_534_612_233.0),
    ],
    columns=["year", "stage", "value_idr"],
)
UP_UNITS = ["dinkes", "rsud-batang", "rsud-limpung", "bpbd", "dinsos"]


def registry_units() -> pd.DataFrame:
    d = pd.read_csv(config.external_dir() / "unit_ids.csv")
    n = len(d)
    return pd.DataFrame({
        "region_code": "33.25",
        "unit_id": d["unit_id"],
        "name": d["full_name"],
        "abbreviation": pd.Series([None] * n, dtype="str"),
        "kind": d["kind"],
        "sector": d["sector"],
        "front_line": d["front_line"].astype(bool),
        "is_opd": ~d["kind"].isin(["kelurahan", "bumd"]),
        "kemendagri_code": pd.Series([None] * n, dtype="str"),
        "provenance": "public",
        "source": "data/external/batang/unit_ids.csv",
    })


@pytest.fixture(scope="module")
def units() -> pd.DataFrame:
    return registry_units()


@pytest.fixture(scope="module")
def panel(units) -> sim.SimulatedPanel:
    return sim.simulate(units, TARGETS)


def realisasi_totals(budget: pd.DataFrame) -> pd.DataFrame:
    r = budget[budget["stage"] == "realisasi"]
    return r.groupby(["unit_id", "year"])["amount_idr"].sum().unstack("year")


# ---- shape and determinism -----------------------------------------------------------------------

def test_units_are_the_44_opd(units, panel):
    assert units.pipe(schema.validate, "units") is not None
    assert panel.tables["budget"]["unit_id"].nunique() == 44
    assert set(panel.tables["budget"]["unit_id"]) == set(units.loc[units["is_opd"], "unit_id"])
    assert set(panel.tables) == set(sim.TABLE_NAMES)


def test_every_table_validates_and_is_labelled_simulated(panel):
    for key, df in panel.tables.items():
        schema.validate(df, key)
        assert (df["provenance"] == "simulated").all(), key
        assert (df["region_code"] == "33.25").all(), key
        if "source" in df.columns:
            assert df["source"].str.startswith("simulated").all(), key
    assert panel.tables["service"]["n"].dtype == "Int64"
    assert panel.tables["innovations"]["trial_date"].dtype == "datetime64[ns]"
    assert panel.tables["leadership"]["date"].dtype == "datetime64[ns]"
    assert panel.tables["budget"]["year"].dtype == np.int64


def test_same_seed_identical_different_seed_differs(units, panel):
    again = sim.simulate(units, TARGETS)
    for key in panel.tables:
        pd.testing.assert_frame_equal(panel.tables[key], again.tables[key])
    assert json.dumps(panel.truth, sort_keys=True) == json.dumps(again.truth, sort_keys=True)
    other = sim.simulate(units, TARGETS, seed=config.DEFAULT_SEED + 1)
    a = panel.tables["budget"]["amount_idr"].to_numpy()
    b = other.tables["budget"]["amount_idr"].to_numpy()
    assert len(a) != len(b) or not np.allclose(a, b)


# ---- budget ------------------------------------------------------------------------------------

def test_calibrated_to_every_target(panel):
    tot = panel.tables["budget"].groupby(["year", "stage"])["amount_idr"].sum()
    for y, s, v in TARGETS.itertuples(index=False):
        assert abs(tot[(y, s)] / v - 1) < 0.005, (y, s)
    recorded = {(r["year"], r["stage"]) for r in panel.truth["calibration"]["targets"]}
    assert recorded == set(zip(TARGETS["year"], TARGETS["stage"], strict=True))


def test_series_is_plausible_where_no_target(panel):
    tot = panel.tables["budget"].groupby(["year", "stage"])["amount_idr"].sum().unstack()
    growth = np.diff(np.log(tot.loc[2016:2019, "murni"].to_numpy()))
    assert ((growth > 0.03) & (growth < 0.07)).all()
    ratio = tot["realisasi"] / tot["perubahan"]
    assert ((ratio > 0.85) & (ratio < 0.98)).all()


def test_budget_structure_is_realistic(panel):
    b = panel.tables["budget"]
    r = realisasi_totals(b)
    mean = r.mean(axis=1)
    assert mean.idxmax() == "disdikbud"
    kec = mean[mean.index.str.startswith("kec-")]
    assert ((kec > 2e9) & (kec < 12e9)).all()
    transfers = b[(b["spending_type"] == "transfer") & (b["stage"] == "realisasi")]
    assert set(transfers["unit_id"]) == {"bpkpad"}
    assert (transfers.groupby("year")["amount_idr"].sum() > 2.0e11).all()
    # consistent combinations: every unit has the same rows in every year and stage
    combos = b.groupby(["unit_id", "year", "stage"]).size().groupby("unit_id").nunique()
    assert (combos == 1).all()
    cls = b.groupby(["unit_id", "programme_class"])["amount_idr"].sum().unstack()
    pen_share = cls["penunjang"] / cls.sum(axis=1)
    assert pen_share.drop(["bpkpad", "dpupr", "dprkp"]).between(0.3, 0.8).mean() > 0.8


def test_2020_refocusing_shock(panel):
    b = panel.tables["budget"]
    r = realisasi_totals(b)
    change = r[2020] / r[2019] - 1
    assert (change[UP_UNITS] > 0).all()
    others = change.drop(UP_UNITS + ["bpkpad"])
    assert (others < 0).mean() > 0.5
    btt = b[(b["spending_type"] == "tidak_terduga") & (b["stage"] == "perubahan")]
    btt = btt.groupby("year")["amount_idr"].sum()
    assert btt[2020] > 5 * btt.drop(2020).max()
    # murni 2020 was planned normally: no collapse before the refocusing
    m = b[b["stage"] == "murni"].groupby("year")["amount_idr"].sum()
    assert m[2020] > m[2019]


def test_regressors_match_definitions(panel):
    b = panel.tables["budget"]
    r = realisasi_totals(b)
    reg = pd.DataFrame(panel.truth["regressors"]).set_index(["unit_id", "year"])
    dlog = np.log(r).diff(axis=1).stack().rename("dlog")
    joined = reg.join(dlog, how="inner").dropna(subset=["dlog_budget"])
    np.testing.assert_allclose(joined["dlog_budget"], joined["dlog"], rtol=1e-9, atol=1e-12)
    assert reg.xs(2016, level="year")["dlog_budget"].isna().all()
    g = (r[2019] / r[2016]) ** (1 / 3) - 1
    cut = np.log(r[2020]) - np.log(r[2019] * (1 + g))
    truth_cut = pd.Series(panel.truth["cut_2020"])
    np.testing.assert_allclose(truth_cut[cut.index], cut, rtol=1e-9)


def acting_share_from_table(leadership: pd.DataFrame, years) -> pd.Series:
    """acting_share per the truth definition, recomputed from the leadership table."""
    out = {}
    for uid, g in leadership.sort_values("date").groupby("unit_id"):
        spells = []
        rows = list(g[["date", "event"]].itertuples(index=False))
        for i, (d, e) in enumerate(rows):
            if e == "acting":
                end = next((d2 for d2, e2 in rows[i + 1:] if e2 in ("definitive", "rotation")),
                           pd.Timestamp(f"{years[1] + 1}-01-01"))
                spells.append((d, end))
        for y in range(years[0], years[1] + 1):
            a, b = pd.Timestamp(f"{y}-01-01"), pd.Timestamp(f"{y + 1}-01-01")
            days = sum(max((min(e, b) - max(s, a)).days, 0) for s, e in spells)
            out[(uid, y)] = days / (b - a).days
    return pd.Series(out)


def test_leadership_and_acting_share(panel):
    lead = panel.tables["leadership"]
    first = lead.sort_values("date").groupby("unit_id").first()
    assert (first["event"] == "definitive").all()
    assert (first["date"] < pd.Timestamp("2016-01-10")).all()
    has_acting = lead.groupby("unit_id")["event"].apply(lambda e: (e == "acting").any())
    assert 0.25 <= has_acting.mean() <= 0.35
    rot = lead[(lead["event"] == "rotation") & (lead["date"] == pd.Timestamp("2024-07-01"))]
    assert len(rot) == 6
    share = acting_share_from_table(lead, config.DEFAULT_YEARS)
    reg = pd.DataFrame(panel.truth["regressors"]).set_index(["unit_id", "year"])["acting_share"]
    np.testing.assert_allclose(reg.sort_index(), share[reg.index].sort_index(), atol=1e-12)


# ---- outcomes ----------------------------------------------------------------------------------

def test_ikm_is_computed_from_skm_responses(panel):
    skm = panel.tables["skm_responses"]
    elements = [f"u{i}" for i in range(1, 10)]
    element_means = skm.groupby(["unit_id", "year"])[elements].mean()
    ikm = 25 * element_means.mean(axis=1)
    n = skm.groupby(["unit_id", "year"]).size()
    svc = panel.tables["service"]
    got = svc[svc["indicator"] == "ikm"].set_index(["unit_id", "year"])
    assert len(got) == len(ikm)
    np.testing.assert_allclose(got["value"], ikm[got.index], rtol=1e-12)
    assert (got["n"].astype(int) == n[got.index]).all()
    assert n.between(60, 150).all()
    assert got["value"].between(60, 97).all()
    assert skm["respondent"].min() == 0


def test_service_indicators_cover_the_right_units(panel, units):
    svc = panel.tables["service"]
    front = set(units.loc[units["is_opd"] & units["front_line"], "unit_id"])
    for ind in ("ikm", "complaints", "service_days"):
        assert set(svc.loc[svc["indicator"] == ind, "unit_id"]) == front
    omb = svc[svc["indicator"] == "ombudsman_score"]
    kinds = units.set_index("unit_id")["kind"]
    assert omb["year"].min() >= 2018
    assert set(kinds[omb["unit_id"].unique()]) <= {"dinas", "rsud", "lembaga"}
    assert omb["value"].between(0, 100).all()


def test_innovations_look_like_iid_profiles(panel):
    inv = panel.tables["innovations"]
    assert inv["innovation_id"].is_unique
    assert inv["innovation_id"].str.match(r"^sim-33\.25-[a-z0-9-]+-\d{4}-\d+$").all()
    assert (inv["trial_date"].dropna().dt.year == inv.loc[inv["trial_date"].notna(),
                                                          "reporting_year"]).all()
    impl = inv[inv["stage"] == "implementasi"]
    assert impl["implementation_date"].notna().all()
    assert (impl["implementation_date"] >= impl["trial_date"]).all()
    assert inv["maturity"].between(0, 111).all()
    digital = inv.groupby("reporting_year")["digital"].mean()
    assert digital[2016] < 0.6 < digital[2024]
    recent = inv[inv["reporting_year"] == 2024]["stage"].eq("implementasi").mean()
    older = inv[inv["reporting_year"] <= 2019]["stage"].eq("implementasi").mean()
    assert recent < older
    assert set(inv.loc[inv["unit_id"].str.startswith("kec-"), "attribution"]) == {"kecamatan"}


def test_truth_is_json_and_lists_every_effect(panel, tmp_path):
    truth = panel.truth
    text = json.dumps(truth)
    assert "SIMULATED DATA" in text
    names = {e["name"] for e in truth["effects"]}
    assert {"b_innov", "b_acting_innov", "b_post", "pretrend", "b_ikm", "b_acting_ikm",
            "b_complaints", "b_omb", "b_days"} <= names
    # planted zeros are listed explicitly (lags, acting heads on outcomes they do not move)
    zeros = {e["name"]: e["value"] for e in truth["effects"] if e["model"] in
             ("distributed lag", "leadership")}
    assert zeros["lag0_ikm"] == 0.0 and zeros["lag1_ikm"] == 8.0 and zeros["b_acting_omb"] == 0.0
    assert set(truth["resilience"]["innovations"]) == {u for u, c in truth["cut_2020"].items()
                                                       if c < 0}
    for e in truth["effects"]:
        assert set(e) == {"name", "outcome", "regressor", "model", "value", "scale",
                          "description"}
    for key in ("dlog_budget", "cut_2020", "acting_share"):
        assert key in truth["definitions"]
    assert truth["seed"] == config.DEFAULT_SEED and truth["region_code"] == "33.25"
    assert any("sampling noise" in e["model"] for e in truth["effects"] if e["outcome"] == "ikm")
    path = tmp_path / "truth.json"
    sim.write_truth(truth, path)
    assert json.loads(path.read_text()) == json.loads(json.dumps(truth))


def test_pretrend_changes_innovations_only(units, panel):
    pt = sim.simulate(units, TARGETS, pretrend=0.3)
    pd.testing.assert_frame_equal(pt.tables["budget"], panel.tables["budget"])
    assert not pt.tables["innovations"].equals(panel.tables["innovations"])
    assert {e["name"]: e["value"] for e in pt.truth["effects"]}["pretrend"] == 0.3


def test_simulate_regions(units):
    p = sim.simulate_regions(units, 3, seed=7)
    for key, df in p.tables.items():
        schema.validate(df, key)
        assert set(df["region_code"]) == {"sim.001", "sim.002", "sim.003"}, key
    assert p.truth["region_codes"] == ["sim.001", "sim.002", "sim.003"]
    sizes = p.tables["budget"].groupby("region_code")["amount_idr"].sum()
    assert sizes.nunique() == 3
    n = p.tables["skm_responses"].groupby(["region_code", "unit_id", "year"]).size()
    assert n.between(20, 40).all()
    json.dumps(p.truth)


def test_recovers_planted_innovation_effect(panel):
    """Poisson FE on the unit-year count panel built from the tables: b_innov in the 99% CI."""
    pf = pytest.importorskip("pyfixest")
    b = panel.tables["budget"]
    r = realisasi_totals(b)
    dlog = np.log(r).diff(axis=1).stack().rename("dlog_budget").dropna().reset_index()
    share = acting_share_from_table(panel.tables["leadership"], config.DEFAULT_YEARS)
    share = share.rename("acting_share").rename_axis(["unit_id", "year"]).reset_index()
    counts = (panel.tables["innovations"].groupby(["unit_id", "reporting_year"]).size()
              .rename("innovations").rename_axis(["unit_id", "year"]).reset_index())
    d = (dlog.merge(share, on=["unit_id", "year"])
         .merge(counts, on=["unit_id", "year"], how="left").fillna({"innovations": 0}))
    assert len(d) == 44 * 8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.fepois("innovations ~ dlog_budget + acting_share | unit_id + year", data=d,
                        vcov={"CRV1": "unit_id"})
    lo, hi = fit.confint(alpha=0.01).loc["dlog_budget"]
    planted = {e["name"]: e["value"] for e in panel.truth["effects"]}["b_innov"]
    assert lo <= planted <= hi, (lo, planted, hi)
    assert fit.coef()["dlog_budget"] > 0
