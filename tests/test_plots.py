"""Figures in the shared style (analysis.publish.plots)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from analysis import config  # noqa: E402
from analysis.narrative.labels import label  # noqa: E402
from analysis.publish import plots


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _budget(provenance="simulated"):
    rows = []
    for year in range(2018, 2023):
        for stage, f in (("murni", 1.0), ("perubahan", 0.9), ("realisasi", 0.8)):
            for unit in ("dinkes", "disdik"):
                rows.append({"unit_id": unit, "year": year, "stage": stage,
                             "amount_idr": f * 50e9 * (0.7 if year == 2020 else 1.0),
                             "provenance": provenance})
    return pd.DataFrame(rows)


SERIES = pd.Series({"dinkes": 0.3, "disdik": -0.1, "dpmptsp": 0.05}, name="cut_2020")
COEFS = pd.DataFrame({"term": ["dlog_budget", "acting_share"], "estimate": [0.5, -0.2],
                      "ci_low": [0.1, -0.6], "ci_high": [0.9, 0.2]})
EVENT = pd.DataFrame({"rel_year": [-3, -2, 0, 1, 2], "estimate": [0.0, 0.1, -0.3, -0.5, -0.4],
                      "ci_low": [-0.2, -0.1, -0.6, -0.9, -0.8],
                      "ci_high": [0.2, 0.3, 0.0, -0.1, 0.0]})
COUNTS = pd.DataFrame({"year": [2019, 2019, 2020, 2020, 2021],
                       "stage": ["inisiatif", "uji_coba", "inisiatif", "implementasi", "uji_coba"]})

CASES = {
    "budget_path": lambda **kw: plots.budget_path(_budget(), unit_id="dinkes", **kw),
    "bar_ranked": lambda **kw: plots.bar_ranked(SERIES, highlight="dinkes", **kw),
    "coef_plot": lambda **kw: plots.coef_plot(COEFS, **kw),
    "event_study_plot": lambda **kw: plots.event_study_plot(EVENT, **kw),
    "counts_stacked": lambda **kw: plots.counts_stacked(COUNTS, category="stage", **kw),
}


def _axis_texts(fig):
    ax = fig.axes[0]
    return (ax.get_xlabel(), ax.get_ylabel(),
            tuple(t.get_text() for t in ax.get_yticklabels()),
            tuple(t.get_text() for t in (ax.get_legend().get_texts() if ax.get_legend() else [])))


@pytest.mark.parametrize("name", CASES)
def test_returns_figure_and_marks_only_when_asked(name):
    fig = CASES[name](simulated=True)
    assert isinstance(fig, Figure)
    assert plots.is_simulated(fig)
    marks = [t for t in fig.texts if t.get_gid() == plots.SIMULATED_GID]
    assert len(marks) == 1 and marks[0].get_text() == label("simulated_banner", "id")
    assert marks[0].get_visible()
    plain = CASES[name](simulated=False)
    assert not plots.is_simulated(plain)
    assert not [t for t in plain.texts if t.get_gid() == plots.SIMULATED_GID]


@pytest.mark.parametrize("name", CASES)
def test_accepts_existing_ax(name):
    fig, (ax0, ax1) = plt.subplots(1, 2)
    out = CASES[name](ax=ax1, simulated=False)
    assert out is fig
    assert ax1.has_data() and not ax0.has_data()


@pytest.mark.parametrize("name", CASES)
def test_labels_follow_language(name):
    fig_id = CASES[name](lang="id", simulated=True)
    fig_en = CASES[name](lang="en", simulated=True)
    assert _axis_texts(fig_id) != _axis_texts(fig_en)
    assert fig_id.axes[0].get_xlabel() and fig_en.axes[0].get_xlabel()
    mark_en = next(t for t in fig_en.texts if t.get_gid() == plots.SIMULATED_GID)
    assert mark_en.get_text() == label("simulated_banner", "en")


def test_budget_axis_and_provenance_inference():
    fig = plots.budget_path(_budget())  # provenance says simulated
    assert plots.is_simulated(fig)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Anggaran (Rp miliar)"
    assert ax.yaxis.get_major_formatter()(100e9, 0) == "100"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "APBD murni", "APBD perubahan", "Realisasi"]
    assert not plots.is_simulated(plots.budget_path(_budget("public")))
    en = plots.budget_path(_budget(), lang="en")
    assert en.axes[0].get_ylabel() == "Budget (IDR billion)"
    with pytest.raises(ValueError, match="no rows for unit_id 'nope'"):
        plots.budget_path(_budget(), unit_id="nope")


def test_bar_ranked_order_and_highlight():
    fig = plots.bar_ranked(SERIES, highlight="dinkes", xlabel_key="cut_2020", lang="en")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["disdik", "dpmptsp", "dinkes"]
    colors = [p.get_facecolor() for p in ax.patches]
    assert colors[-1] != colors[0] and colors[0] == colors[1]
    assert ax.get_xlabel() == "2020 budget change (negative = cut)"
    with pytest.raises(ValueError, match="highlight"):
        plots.bar_ranked(SERIES, highlight="nope")


def test_coef_plot_labels_terms_and_checks_ci():
    fig = plots.coef_plot(COEFS, lang="en")
    ax = fig.axes[0]
    ticks = sorted(zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()], strict=True))
    # first term on top (highest y position)
    assert [t for _y, t in ticks] == ["Share of time under acting head", "Budget change (log)"]
    bad = COEFS.assign(ci_low=[0.6, -0.6])
    with pytest.raises(ValueError, match="ci_low"):
        plots.coef_plot(bad)


def test_event_study_reference_lines_and_terms():
    tidy = EVENT.drop(columns="rel_year").assign(term=[f"rel_year::{k}" for k in EVENT.rel_year])
    fig = plots.event_study_plot(tidy)
    ax = fig.axes[0]
    xs = {tuple(line.get_xdata()) for line in ax.lines}
    ys = {tuple(line.get_ydata()) for line in ax.lines}
    assert (-1, -1) in xs  # vertical line at the reference year
    assert (0, 0) in ys    # horizontal line at zero effect
    est = next(line for line in ax.lines if len(line.get_xdata()) > 2)
    assert list(est.get_xdata()) == [-3, -2, -1, 0, 1, 2]  # reference point added at 0


def test_counts_stacked_order_and_counts():
    fig = plots.counts_stacked(COUNTS, category="stage", lang="id")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Inisiatif", "Uji coba", "Implementasi (penerapan)"]
    assert ax.get_ylabel() == "Jumlah"
    assert sum(p.get_height() for p in ax.patches) == len(COUNTS)


def test_mark_simulated_is_idempotent_and_works_on_axes():
    fig, ax = plt.subplots()
    assert plots.mark_simulated(ax, "en") is fig
    plots.mark_simulated(fig, "en")
    assert sum(t.get_gid() == plots.SIMULATED_GID for t in fig.texts) == 1
    assert fig._batang_simulated is True


def test_style_and_save(tmp_path):
    assert config.style_path().is_file()
    with plots.style_context():
        assert plt.rcParams["axes.spines.top"] is False
        assert plt.rcParams["savefig.dpi"] == 300
        assert plt.rcParams["figure.dpi"] == 100
    fig = plots.coef_plot(COEFS, simulated=True)
    files = plots.save_figure(fig, tmp_path / "coef", formats=("png", "svg"))
    assert [f.name for f in files] == ["coef.png", "coef.svg"]
    assert "DATA SIMULASI" in (tmp_path / "coef.svg").read_text(encoding="utf-8")
    from PIL import Image

    with Image.open(tmp_path / "coef.png") as im:
        assert "DATA SIMULASI" in im.info.get("Description", "")


def test_resilience_plot_colours_by_verdict_and_marks_simulated():
    df = pd.DataFrame({"unit_id": ["a", "b", "c"], "effect": [1.0, -1.0, 0.2],
                       "ci_low": [0.5, -1.5, -0.5], "ci_high": [1.5, -0.5, 0.9],
                       "verdict": ["above", "below", "indistinguishable"],
                       "provenance": "simulated"})
    fig = plots.resilience_plot(df, lang="en", names={"a": "Unit A"}, planted={"a": 0.8})
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == "Unit A" and labels[0] == "b"  # highest effect on top
    assert plots.is_simulated(fig)
    with pytest.raises(ValueError, match="verdict"):
        plots.resilience_plot(df.drop(columns=["verdict"]), lang="en")
    plt.close(fig)

