"""SKM/IKM per PermenPANRB 14/2017 (analysis.methods.ikm)."""

import math

import numpy as np
import pandas as pd
import pytest

from analysis import config
from analysis.data.schema import SKM_ELEMENTS
from analysis.methods.ikm import band_table, grade, ikm_from_responses, round_ikm

# Four respondents of one unit in one year (u1..u9):
ANSWERS = [
    [3, 4, 3, 3, 4, 3, 4, 4, 3],
    [3, 4, 3, 2, 4, 3, 3, 4, 3],
    [4, 3, 3, 3, 3, 3, 4, 4, 2],
    [3, 3, 2, 3, 4, 3, 3, 4, 3],
]
# Element sums 13 14 11 11 15 12 14 16 11 -> element means (÷4):
#   u1 3.25, u2 3.50, u3 2.75, u4 2.75, u5 3.75, u6 3.00, u7 3.50, u8 4.00, u9 2.75
# Sum of element means = 29.25; mean over 9 elements = 29.25 / 9 = 3.25; IKM = 3.25 × 25 = 81.25
# 81.25 lies in 76.61-88.30 -> grade B (Baik).
EXPECTED_MEANS = [3.25, 3.5, 2.75, 2.75, 3.75, 3.0, 3.5, 4.0, 2.75]


def _frame(rows, unit="dinkes", year=2021):
    df = pd.DataFrame(rows, columns=SKM_ELEMENTS)
    return df.assign(region_code="33.25", unit_id=unit, year=year, respondent=range(len(rows)))


def test_hand_computed_survey():
    res = ikm_from_responses(_frame(ANSWERS))
    assert len(res) == 1
    row = res.iloc[0]
    assert [row[u] for u in SKM_ELEMENTS] == EXPECTED_MEANS
    assert row["ikm"] == 81.25
    assert row["ikm_rounded"] == 81.25
    assert row["grade"] == "B"
    assert row["grade_label_id"] == "Baik"
    assert row["grade_label_en"] == "Good"
    assert row["n"] == 4 and row["n_invalid"] == 0
    assert list(res.columns[:3]) == ["region_code", "unit_id", "year"]


def test_groups_are_separate():
    df = pd.concat([_frame(ANSWERS), _frame([[4] * 9, [4] * 9], unit="dpmptsp")])
    res = ikm_from_responses(df).set_index("unit_id")
    assert res.loc["dinkes", "ikm"] == 81.25
    assert res.loc["dpmptsp", "ikm"] == 100.0 and res.loc["dpmptsp", "grade"] == "A"
    assert res.loc["dpmptsp", "n"] == 2


def test_invalid_answers_are_missing_for_their_element_only():
    rows = [r[:] for r in ANSWERS]
    rows.append([None, 5, 0, "x", 2.5, 3, 3, 4, 3])  # 5 invalid answers, 4 valid ones
    res = ikm_from_responses(_frame(rows)).iloc[0]
    assert res["n"] == 5
    assert res["n_invalid"] == 5
    # u1..u5 keep the four original answers; u6..u9 gain the fifth respondent's answers.
    assert [res[u] for u in SKM_ELEMENTS[:5]] == EXPECTED_MEANS[:5]
    assert res["u6"] == 15 / 5 and res["u7"] == 17 / 5 and res["u8"] == 4.0
    assert res["u9"] == 14 / 5
    expected = 25 * (sum(EXPECTED_MEANS[:5]) + 3.0 + 3.4 + 4.0 + 2.8) / 9
    assert res["ikm"] == pytest.approx(expected, abs=1e-12)


def test_group_without_valid_answers_names_unit_and_year():
    rows = [[3, 3, 9, 3, 3, 3, 3, 3, 3], [3, 3, None, 3, 3, 3, 3, 3, 3]]
    with pytest.raises(ValueError, match=r"unit_id=dinkes, year=2021.*u3"):
        ikm_from_responses(_frame(rows))


def test_missing_columns_and_blank_keys():
    with pytest.raises(ValueError, match="u9"):
        ikm_from_responses(_frame(ANSWERS).drop(columns="u9"))
    bad = _frame(ANSWERS)
    bad.loc[0, "unit_id"] = None
    with pytest.raises(ValueError, match="blank"):
        ikm_from_responses(bad)


def test_empty_input_gives_empty_table():
    res = ikm_from_responses(_frame(ANSWERS).iloc[0:0])
    assert res.empty and "ikm" in res.columns and "n_invalid" in res.columns


@pytest.mark.parametrize("value, expected", [
    (25, "D"), (64.99, "D"), (65.00, "C"), (76.60, "C"), (76.61, "B"),
    (88.30, "B"), (88.31, "A"), (100, "A"),
])
def test_grade_boundaries(value, expected):
    assert grade(value) == expected


def test_grade_uses_the_rounded_value():
    # The published IKM has 2 decimals: 64.994 -> 64.99 (D), 64.995 -> 65.00 (C), half-up.
    assert round_ikm(64.994) == 64.99 and grade(64.994) == "D"
    assert round_ikm(64.995) == 65.0 and grade(64.995) == "C"
    assert grade(64.995 - 1e-12) == "C"  # float noise below the 9th decimal is ignored
    assert grade(76.604) == "C" and grade(76.605) == "B"
    assert grade(88.304) == "B" and grade(88.305) == "A"


def test_grade_arrays_and_nan():
    assert grade(float("nan")) is None
    out = grade(np.array([50.0, np.nan, 90.0]))
    assert list(out) == ["D", None, "A"]
    s = grade(pd.Series([70.0, 80.0], index=["a", "b"]))
    assert s.to_dict() == {"a": "C", "b": "B"}
    with pytest.raises(ValueError, match="outside"):
        grade(101.0)


def test_band_table_matches_official_thresholds():
    csv = pd.read_csv(config.external_dir() / "batang_rules_thresholds.csv")
    nik = csv[csv["rule"].str.contains("SKM/IKM") & csv["item"].str.contains("NIK")]
    official = {(row.lower, row.upper, row.label) for row in nik.itertuples()}
    bands = band_table("id")
    ours = {(r.lower, r.upper, f"{r.grade} ({r.label})") for r in bands.itertuples()}
    assert ours == official
    assert list(bands.columns) == ["lower", "upper", "grade", "label"]
    assert list(band_table("en")["label"]) == ["Very good", "Good", "Less than good", "Not good"]


def test_band_table_covers_the_scale_without_gaps():
    b = band_table().sort_values("lower")
    gaps = (b["lower"].to_numpy()[1:] - b["upper"].to_numpy()[:-1]).round(2)
    assert list(gaps) == [0.01, 0.01, 0.01]
    assert math.isclose(b["lower"].min(), 25) and math.isclose(b["upper"].max(), 100)


def test_the_index_is_defined_once_in_the_data_stage():
    """The importer's report (data stage) and the panel's graded IKM (methods) use one formula:
    data/skm.py; methods/ikm.py adds the grades."""
    from analysis.data import skm

    df = pd.concat([_frame(ANSWERS), _frame([[4, 0, 3, 3, 4, "x", 4, 4, 3], ANSWERS[0]], unit="dpu")])
    raw = skm.index_from_responses(df)
    graded = ikm_from_responses(df)
    assert list(raw.columns) == ["region_code", "unit_id", "year", *SKM_ELEMENTS, "ikm",
                                 "ikm_rounded", "n", "n_invalid"]
    pd.testing.assert_frame_equal(graded[list(raw.columns)], raw)
    assert list(graded["grade"]) == [grade(v) for v in raw["ikm"]]
    assert skm.round_ikm is round_ikm
