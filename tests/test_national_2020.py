"""The 2020 cut across kab/kota: the shock measures and the models against planted truth."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.methods import national_2020 as nat

ROOT = Path(__file__).resolve().parents[1]


def _validation():
    spec = importlib.util.spec_from_file_location("national_validation",
                                                  ROOT / "validation" / "national_2020.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def val():
    return _validation()


def _deflator():
    d = pd.DataFrame({"year": range(2016, 2025), "index": [100.0 + 3 * k for k in range(9)]})
    return d


def test_shock_measures_by_hand():
    """s1 real change, budget vs outturn, shifts and the trim, computed by hand."""
    pemda = pd.DataFrame({"region_code": ["01.01", "01.02", "01.00"],
                          "name": ["Kab A", "Kab B", "Prov"],
                          "kind": ["kabupaten", "kota", "provinsi"],
                          "province_code": ["01", "01", "01"], "province": ["P", "P", "P"]})
    rows = []
    for code, s19, s20, mod19, mod20 in (("01.01", 100.0, 80.0, 10.0, 4.0),
                                        ("01.02", 100.0, 200.0, 10.0, 10.0)):
        rows += [(code, 2019, "outturn_s1", "total", s19), (code, 2020, "outturn_s1", "total", s20),
                 (code, 2019, "outturn_s1", "modal", mod19),
                 (code, 2020, "outturn_s1", "modal", mod20),
                 (code, 2020, "budget_murni", "total", 330.0),
                 (code, 2019, "outturn", "total", 300.0)]
    sikd = pd.DataFrame(rows, columns=["region_code", "year", "measure", "group", "amount_idr"])
    py = pd.DataFrame({"region_code": ["01.01", "01.02"], "year": [2021, 2021],
                       "spending_outturn": [330.0, 330.0], "partial": [False, True]})
    d = _deflator()
    s = nat.shock_table(sikd, py, pemda, d).set_index("region_code")
    assert list(s.index) == ["01.01", "01.02"]          # kab/kota only
    p19, p20, p21 = 109.0, 112.0, 115.0
    assert s.loc["01.01", "s1_real_change"] == pytest.approx(100 * ((80 / p20) / (100 / p19) - 1))
    assert s.loc["01.01", "budget2020_vs_outturn2019"] == pytest.approx(10.0)
    assert s.loc["01.01", "real_change_2019_2021"] == pytest.approx(
        100 * ((330 / p21) / (300 / p19) - 1))
    assert np.isnan(s.loc["01.02", "real_change_2019_2021"])       # partial 2021: no measure
    assert s.loc["01.01", "shift_modal_s1"] == pytest.approx(100 * (4 / 80 - 10 / 100))
    assert s.loc["01.01", "cut_depth"] == pytest.approx(-s.loc["01.01", "s1_real_change"] / 10)
    # +94 % in semester I is beyond the trim: measured, but not a treatment value
    assert s.loc["01.02", "trimmed"] and np.isnan(s.loc["01.02", "cut_depth"])


def test_planted_world_recovered_and_claimed(val):
    res, es = nat.confirmatory(val.simulated_world(3))
    main = res[res["kind"] == "main"].set_index(["outcome", "term"])
    for (y, term), truth in val.PLANTED.items():
        r = main.loc[(y, term)]
        assert r["ci_low"] <= truth <= r["ci_high"], (y, term, r["estimate"])
    assert main.loc[("ln_real_capital", "cut_depth_fall"), "verdict"] == "claimed"
    assert (res["n_tests"] == len(res)).all() and (res["adjust_method"] == "holm").all()
    assert set(es["year"].dropna().astype(int)) >= {2016, 2018, 2021, 2024}
    assert nat.REFERENCE_YEAR not in set(es["year"].dropna().astype(int))


def test_null_world_claims_nothing(val):
    """Five null worlds: no claim in any (the full study's family-wise rate is in
    validation/national_2020_results.md)."""
    for seed in range(5):
        res, _ = nat.confirmatory(val.simulated_world(20_000 + seed, planted={}))
        assert not ((res["kind"] != "pretrend") & (res["verdict"] == "claimed")).any(), seed


def test_validation_summary_holds():
    """The recorded planted-truth study: coverage near 95 % for every term and the null
    family's any-claim rate at most 5 % plus its sampling error."""
    s = json.loads((ROOT / "validation" / "national_2020_summary.json").read_text())
    n = s["seeds"]
    assert n >= 100
    se = np.sqrt(0.05 * 0.95 / n)
    assert s["null_any_claim"] <= 0.05 + 2 * se
    for k, v in s["terms"].items():
        assert v["coverage"] >= 0.95 - 3 * np.sqrt(0.05 * 0.95 / n), k


def test_real_evidence_batang_on_the_bundled_data(built_data_dir):
    """The real points the brief and deck open with, checked against the public record:
    audited LRA 2020 on DJPK 2019 (−5.3 %), IPM 2024 rank 30 of 35 in Jawa Tengah and 294 of
    508 nationally, capital share 2024 rank 26 of 33 in the province."""
    from analysis.publish import real_evidence

    ev = real_evidence.load(built_data_dir, "en")
    assert ev is not None and ev.name == "Kab. Batang"
    assert ev.audited["nominal_change"] == pytest.approx(-5.2735, abs=1e-3)
    ipm = ev.standing["ipm"]
    assert (ipm["year"], ipm["rank_province"], ipm["n_province"]) == (2024, 30, 35)
    assert (ipm["rank_national"], ipm["n_national"]) == (294, 508)
    cap = ev.standing["share_modal"]
    assert (cap["rank_province"], cap["n_province"]) == (26, 33)
    assert list(ev.path["year"]) == [2018, 2019, 2020, 2021, 2022, 2023, 2024]
    keys = [p["key"] for p in real_evidence.points(ev)]
    assert keys == ["cut", "path", "standing", "national"]
    nat_point = real_evidence.national_point(ev)["sentence"]
    claimed = ev.national["verdict"].eq("claimed").any()
    assert ("were not followed" in nat_point) == (not claimed)
