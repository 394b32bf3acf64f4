"""Published tables: the fixed-effects wrappers in ``analysis.methods.fe`` reproduce numbers printed
by others, on data available offline. Every reference number below is copied from the cited
publication, never produced by this code.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest
from statsmodels.datasets import grunfeld

from analysis.methods import fe


def _grunfeld_ten_firms() -> pd.DataFrame:
    d = grunfeld.load_pandas().data
    d = d[d["firm"] != "American Steel"].copy()
    assert len(d) == 200 and d["firm"].nunique() == 10  # Baltagi's N = 10, T = 20
    return d


def test_grunfeld_within_estimates_match_baltagi():
    """Baltagi, *Econometric Analysis of Panel Data* (Wiley, 3rd ed. 2005 and later), table
    2.1 (one-way error component estimates on Grunfeld's data, Within estimator): Grunfeld
    (1958) investment of 10 US firms, 1935-1954, I = a_i + b1 F + b2 C. Within estimates:
    value (F) 0.1101, capital (C) 0.3101; conventional (iid) standard errors 0.0119, 0.0174.

    statsmodels ships the 11-firm Grunfeld set; Baltagi's table uses the 10 firms without
    "American Steel"."""
    res = fe.fe_ols(_grunfeld_ten_firms(), "invest", ["value", "capital"], fe=("firm",),
                        cluster="firm", vcov="iid").set_index("term")
    assert res.loc["value", "estimate"] == pytest.approx(0.1101, abs=5e-5)
    assert res.loc["capital", "estimate"] == pytest.approx(0.3101, abs=5e-5)
    assert res.loc["value", "std_error"] == pytest.approx(0.0119, abs=5e-5)
    assert res.loc["capital", "std_error"] == pytest.approx(0.0174, abs=5e-5)
    assert (res["n"] == 200).all() and (res["n_clusters"] == 10).all()
    assert res["note"].str.startswith("iid").all()


def test_grunfeld_point_estimates_do_not_depend_on_the_vcov():
    """The default (CRV3) and CRV1 fits give Baltagi's within point estimates too; only the
    standard errors differ (cluster-robust, so not comparable with table 2.1)."""
    d = _grunfeld_ten_firms()
    for vcov in ("CRV1", "CRV3"):
        res = fe.fe_ols(d, "invest", ["value", "capital"], fe=("firm",), cluster="firm",
                            vcov=vcov).set_index("term")
        assert res.loc["value", "estimate"] == pytest.approx(0.1101, abs=5e-5)
        assert res.loc["capital", "estimate"] == pytest.approx(0.3101, abs=5e-5)


# R's built-in ``mtcars`` (Henderson and Velleman 1981, from Motor Trend 1974): mpg, cyl, wt
# for the 32 cars, in R's row order (Mazda RX4 ... Volvo 142E).
MTCARS = """mpg,cyl,wt
21,6,2.62
21,6,2.875
22.8,4,2.32
21.4,6,3.215
18.7,8,3.44
18.1,6,3.46
14.3,8,3.57
24.4,4,3.19
22.8,4,3.15
19.2,6,3.44
17.8,6,3.44
16.4,8,4.07
17.3,8,3.73
15.2,8,3.78
10.4,8,5.25
10.4,8,5.424
14.7,8,5.345
32.4,4,2.2
30.4,4,1.615
33.9,4,1.835
21.5,4,2.465
15.5,8,3.52
15.2,8,3.435
13.3,8,3.84
19.2,8,3.845
27.3,4,1.935
26,4,2.14
30.4,4,1.513
15.8,8,3.17
19.7,6,2.77
15,8,3.57
21.4,4,2.78
"""


@pytest.fixture(scope="module")
def mtcars() -> pd.DataFrame:
    d = pd.read_csv(io.StringIO(MTCARS))
    assert len(d) == 32 and d["cyl"].value_counts().to_dict() == {8: 14, 4: 11, 6: 7}
    return d


def test_mtcars_transcription_matches_r(mtcars):
    """The transcription is R's data: ``summary(lm(mpg ~ wt, data = mtcars))`` prints
    intercept 37.285 (SE 1.878) and wt -5.344 (SE 0.559), and mean(mpg) = 20.09062,
    mean(wt) = 3.21725 (R documentation and countless textbooks)."""
    import statsmodels.formula.api as smf

    fit = smf.ols("mpg ~ wt", mtcars).fit()
    assert fit.params["Intercept"] == pytest.approx(37.285, abs=5e-4)
    assert fit.params["wt"] == pytest.approx(-5.344, abs=5e-4)
    assert fit.bse["Intercept"] == pytest.approx(1.878, abs=5e-4)
    assert fit.bse["wt"] == pytest.approx(0.559, abs=5e-4)
    assert mtcars["mpg"].mean() == pytest.approx(20.09062, abs=1e-5)
    assert mtcars["wt"].mean() == pytest.approx(3.21725, abs=1e-5)


def test_poisson_fe_matches_fixest_on_mtcars(mtcars):
    """R fixest: ``fixest::fepois(mpg ~ wt | cyl, mtcars)`` gives wt = -0.179882, as recorded
    in the test suite of the CRAN package capybara (tests/testthat/test-fepoisson.R, test
    "fepoisson is similar to fixest": ``# fixest::fepois(mpg ~ wt | cyl, mtcars)`` /
    ``# wt -0.179882``; https://rdrr.io/cran/capybara/src/tests/testthat/test-fepoisson.R).

    The point estimate does not depend on the variance, so it holds for every ``vcov``. The
    published source gives no standard error, so none is checked here."""
    for vcov in ("iid", "CRV1", "CRV3"):
        res = fe.fe_poisson(mtcars, "mpg", ["wt"], fe=("cyl",), cluster="cyl",
                                vcov=vcov).set_index("term")
        assert res.loc["wt", "estimate"] == pytest.approx(-0.179882, abs=5e-7)
        assert res.loc["wt", "n"] == 32 and res.loc["wt", "n_clusters"] == 3
