"""One parameter validator core (analysis.publish.params) behind every validate_params: the
notebooks', the peers notebook's, the OPD reports' and the presentation's."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.publish import explore, findings, opd_report, params, peers


def test_every_validator_refuses_a_language_with_one_message_and_one_error_type():
    units = pd.DataFrame({"unit_id": ["dinkes"], "is_opd": [True]})
    calls = {
        "explore": lambda: explore.validate_params("", lang="fr"),
        "peers": lambda: peers.validate_params("", lang="fr"),
        "report": lambda: opd_report.validate_params("dinkes", "fr", (2016, 2024), units),
        "findings": lambda: findings.validate_params("fr"),
    }
    for name, call in calls.items():
        with pytest.raises(params.ParameterError) as e:
            call()
        assert str(e.value) == "unknown language 'fr'; allowed: id, en", name
    assert explore.ParameterError is params.ParameterError
    # the subclasses keep their names: a failed report or deck says which it was
    assert issubclass(opd_report.ReportParameterError, params.ParameterError)
    assert issubclass(findings.PresentParameterError, params.ParameterError)
    assert issubclass(params.ParameterError, ValueError)


def test_unknown_values_are_named_with_close_matches():
    with pytest.raises(params.ParameterError,
                       match=r"^unknown unit 'dinkez' \(did you mean dinkes\?\); allowed: "
                             r"dinkes, dinsos$"):
        params.check_known("dinkez", ["dinkes", "dinsos"], "unit")
    units = pd.DataFrame({"unit_id": ["dinkes", "dinsos"], "is_opd": [True, True]})
    with pytest.raises(opd_report.ReportParameterError, match=r"unknown unit id 'dinkess' "
                                                          r"\(did you mean dinkes"):
        opd_report.validate_params("dinkess", "id", (2016, 2024), units)
    assert params.check_known("x", ("x", "y"), "scope") == "x"


@pytest.mark.parametrize("years, message", [
    (2020, r"years must be \[first, last\], e.g. \[2016, 2024\]; got 2020"),
    ([2024, 2016], r"years must be increasing \(\[first, last\]\); got \[2024, 2016\]"),
    ([2010, 2024], r"unknown year\(s\) in \[2010, 2024\]: the panel has years 2016–2024; "
                   r"allowed: any \[first, last\] within 2016–2024"),
])
def test_years(years, message):
    with pytest.raises(params.ParameterError, match=message):
        params.check_years(years, 2016, 2024, "the panel")
    assert params.check_years(["2017", 2018], 2016, 2024, "the panel") == (2017, 2018)


def test_a_minimum_span_of_years():
    with pytest.raises(params.ParameterError, match=r"years \[2020, 2020\]: allowed any "
                                                    r"increasing \[first, last\] of at least"):
        params.check_years([2020, 2020], 2016, 2024, "the panel", min_years=2,
                           rule="allowed any increasing [first, last] of at least two years")


def test_numeric_ranges():
    assert params.check_percent("10", "cut", -100, 100, zero=False) == 10.0
    for bad in (0, 100, float("nan"), True):
        with pytest.raises(params.ParameterError, match="cut must be a percentage between "
                                                        "-100 and 100, not 0"):
            params.check_percent(bad, "cut", -100, 100, zero=False)
    with pytest.raises(params.ParameterError, match="cut must be a number of percent"):
        params.check_percent("ten", "cut", 0, 100)
    with pytest.raises(findings.PresentParameterError, match="between 0 and 100"):
        findings.validate_params("id", 0)
    assert params.check_whole(3, "max_lag", 0, 3) == 3
    for bad in (4, 1.0, True, "1"):
        with pytest.raises(params.ParameterError,
                           match="max_lag must be a whole number from 0 to 3"):
            params.check_whole(bad, "max_lag", 0, 3)
