"""Measures and the panel: definitions hold, and edge cases give defined results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.methods import measures


def budget_rows(unit: str, years_amounts: dict[int, float], prov: str = "simulated"):
    rows = []
    for y, a in years_amounts.items():
        for stage, f in (("murni", 1.0), ("perubahan", 1.1), ("realisasi", 1.0)):
            rows.append(("33.25", unit, y, stage, "penunjang", "pegawai", a * f * 0.4, prov))
            rows.append(("33.25", unit, y, stage, "urusan", "modal", a * f * 0.6, prov))
    return pd.DataFrame(rows, columns=["region_code", "unit_id", "year", "stage",
                                       "programme_class", "spending_type", "amount_idr",
                                       "provenance"])


def test_budget_measures_follow_their_definitions():
    b = budget_rows("a", {2016: 100.0, 2017: 110.0, 2018: 121.0})
    m = measures.budget_measures(b).set_index("year")
    assert m.loc[2016, "budget_realisasi"] == pytest.approx(100.0)
    assert np.isnan(m.loc[2016, "dlog_budget"])  # first year: no change, not zero
    assert m.loc[2017, "dlog_budget"] == pytest.approx(np.log(1.1))
    assert m.loc[2017, "penunjang_share"] == pytest.approx(0.4)
    assert m.loc[2017, "realisation_rate"] == pytest.approx(1 / 1.1)
    assert m.loc[2017, "refocus"] == pytest.approx(np.log(1.1))
    assert m.loc[2018, "share_modal"] == pytest.approx(0.6)


def test_a_gap_in_the_middle_is_a_nan_row_not_a_jump():
    b = budget_rows("a", {2016: 100.0, 2017: 110.0, 2019: 150.0, 2020: 160.0})
    m = measures.budget_measures(b).set_index("year")
    assert 2018 in m.index and np.isnan(m.loc[2018, "budget_realisasi"])
    assert np.isnan(m.loc[2019, "dlog_budget"])  # no change across the gap
    assert m.loc[2020, "dlog_budget"] == pytest.approx(np.log(160 / 150))


def test_cut_intensity_relative_to_pre_trend_and_unit_with_one_year():
    b = pd.concat([budget_rows("a", {2016: 100.0, 2017: 110.0, 2018: 121.0, 2019: 133.1,
                                     2020: 100.0}),
                   budget_rows("b", {2020: 50.0})])
    m = measures.budget_measures(b)
    c = measures.cut_intensity(m).set_index("unit_id")
    assert c.loc["a", "pre_trend_growth"] == pytest.approx(0.1)
    assert c.loc["a", "cut_2020"] == pytest.approx(np.log(100 / (133.1 * 1.1)))
    # the percent form is computed once, here: 100 / 146.41 - 1 = -31.7 %
    assert c.loc["a", "cut_2020_pct"] == pytest.approx(100 * (100 / (133.1 * 1.1) - 1))
    assert np.isnan(c.loc["b", "cut_2020"]) and np.isnan(c.loc["b", "cut_2020_pct"])
    assert "needs realisasi" in c.loc["b", "cut_2020_note"]


def test_unit_without_innovations_gets_zero_counts_not_nan():
    uy = pd.DataFrame({"region_code": "33.25", "unit_id": ["a", "a", "b"],
                       "year": [2020, 2021, 2020]})
    inn = pd.DataFrame({
        "region_code": ["33.25"], "unit_id": ["a"], "reporting_year": [2021],
        "innovation_id": ["x"], "stage": ["uji_coba"], "form": ["tata_kelola"],
        "digital": [True], "maturity": [10.0], "is_duplicate": [False],
        "provenance": ["simulated"]})
    c = measures.innovation_counts(inn, uy).set_index(["unit_id", "year"])
    assert c.loc[("b", 2020), "innovations"] == 0
    assert c.loc[("a", 2021), "innov_uji_coba"] == 1
    assert c.loc[("a", 2021), "innov_implementasi"] == 0  # column exists though no row has it


def test_public_innovations_never_enter_model_counts():
    uy = pd.DataFrame({"region_code": "33.25", "unit_id": ["a"], "year": [2021]})
    inn = pd.DataFrame({
        "region_code": ["33.25"] * 2, "unit_id": ["a"] * 2, "reporting_year": [2021] * 2,
        "innovation_id": ["p", "s"], "stage": ["implementasi"] * 2, "form": ["lainnya"] * 2,
        "digital": [True, False], "maturity": [1.0, 2.0], "is_duplicate": [False, False],
        "provenance": ["public", "simulated"]})
    c = measures.innovation_counts(inn, uy)
    assert c["innovations"].item() == 1


def test_panel_of_the_bundled_build(built_tables):
    tables, truth = built_tables
    panel = measures.build_panel(tables, truth)["panel"]
    assert len(panel) == 44 * 9
    assert (panel["provenance"] == "simulated").all()
    assert not panel.duplicated(["region_code", "unit_id", "year"]).any()
    # the panel's regressors are the generator's: same definitions, same numbers
    reg = pd.DataFrame(truth["regressors"])
    merged = panel.merge(reg, on=["unit_id", "year"], suffixes=("", "_truth"))
    assert len(merged) == len(panel)
    ok = merged["dlog_budget_truth"].notna()
    assert ok.sum() == 44 * 8
    assert np.allclose(merged.loc[ok, "dlog_budget"], merged.loc[ok, "dlog_budget_truth"])
    assert np.allclose(merged["acting_share"], merged["acting_share_truth"])
    cut = panel.drop_duplicates("unit_id").set_index("unit_id")["cut_2020"]
    assert np.allclose(cut, pd.Series(truth["cut_2020"]).reindex(cut.index))


def test_a_ratio_of_parts_from_different_sources_is_not_a_number():
    """An imported (user) budget over simulated spending is not a realisation rate anyone
    measured: NaN and flagged "mixed" (issue 23, item 5); parts of one source give the ratio."""
    import pandas as pd

    from analysis.methods.measures import budget_measures

    rows = []
    for uid, prov_perubahan in (("a", "user"), ("b", "simulated")):
        for stage, amount, prov in (("murni", 100.0, "simulated"),
                                    ("perubahan", 110.0, prov_perubahan),
                                    ("realisasi", 99.0, "simulated")):
            rows.append({"region_code": "33.25", "unit_id": uid, "year": 2020, "stage": stage,
                         "programme_class": "layanan", "spending_type": "barang_jasa",
                         "amount_idr": amount, "provenance": prov})
    m = budget_measures(pd.DataFrame(rows)).set_index("unit_id")
    assert m.loc["a", "realisation_rate_mixed"] and pd.isna(m.loc["a", "realisation_rate"])
    assert m.loc["a", "refocus_mixed"] and pd.isna(m.loc["a", "refocus"])
    assert not m.loc["b", "realisation_rate_mixed"]
    assert m.loc["b", "realisation_rate"] == pytest.approx(0.9)
