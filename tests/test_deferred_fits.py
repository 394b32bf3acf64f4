"""An import does not wait for the models (issue 23, item 7).

An import rebuilds the tables in seconds and keeps the last build's model results, marked
older than the data in the manifest (``fits``); every view says so until a build without
``defer_fits``, a ``render`` or a ``present`` refits them.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from _support import copy_data

from analysis import pipeline
from analysis.data import build as data_build
from analysis.data import store

MODEL_TABLES = ("model_results", "event_study", "lag_results", "typology", "typology_k",
                "resilience", "findings_regency")


def unique_budget_csv(path: Path) -> Path:
    """A programme-level budget file of Dinkes 2020 whose amount no other test uses (a panel
    whose fit cannot be in the session's fit cache: the import must then defer the fit)."""
    amount = 2_000_000_000 + (time.time_ns() // 1000) % 900_000_000
    rows = ["PEMERINTAH KABUPATEN BATANG - DINAS KESEHATAN;;", "TAHUN ANGGARAN 2020;;",
            "Kode Program;Program;Pagu Perubahan",
            f"1.02.1.02.01.01;Program Pelayanan Administrasi Perkantoran;{amount}",
            "1.02.1.02.01.16;Program Upaya Kesehatan Masyarakat;5275500000"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def imported(built_data_dir, tmp_path_factory):
    """A copy of the default build, then one budget file imported (fits deferred)."""
    tmp = tmp_path_factory.mktemp("deferred")
    d = copy_data(built_data_dir, tmp / "data")
    before = store.load_manifest(d)
    old = {n: store.load_table(n, d) for n in MODEL_TABLES}
    mp = pytest.MonkeyPatch()
    mp.setenv("BATANG_DATA_DIR", str(d))
    mp.setenv("BATANG_REPORTS_DIR", str(tmp / "reports"))
    rep = pipeline.import_files("budget", [unique_budget_csv(tmp / "pk_dinkes_2020.csv")],
                                unit="dinkes", data_dir=d)
    yield d, before, old, rep
    mp.undo()


def test_import_keeps_the_older_fits_and_marks_them(imported):
    d, before, old, rep = imported
    assert rep.written
    man = store.load_manifest(d)
    # the data are current: the imported rows are in the panel
    panel = store.load_table("panel", d)
    row = panel[(panel.unit_id == "dinkes") & (panel.year == 2020)].iloc[0]
    assert "user" in row["provenance_budget"]
    # the model tables are the last build's (the same frames), marked older than the data
    assert man["fits"]["models"]["current"] is False
    assert man["fits"]["models"]["fitted_at"] == before["fits"]["models"]["fitted_at"]
    assert before["fits"]["models"]["current"] is True
    for name in MODEL_TABLES:
        pd.testing.assert_frame_equal(store.load_table(name, d), old[name], obj=name)
    note = data_build.fits_note(man)
    assert note and note["steps"] == ["models"]
    # the import report says so
    assert any("models not refitted yet" in n for n in rep.notes)
    # the build summary says so; a build that would refit is not up to date, one that
    # defers is
    assert "were fitted on the data of" in data_build.format_summary(man)
    cur, reasons = data_build.check_up_to_date(d, steps=pipeline.STEPS, defer=True,
                                               **data_build.settings_of(man))
    assert cur is not None and reasons == []
    cur, reasons = data_build.check_up_to_date(d, steps=pipeline.STEPS,
                                               **data_build.settings_of(man))
    assert cur is None and any("older than the data" in r for r in reasons)


def test_every_view_says_the_models_are_older(imported):
    d = imported[0]
    from analysis.publish import brief, findings, opd_report
    from analysis.publish.explore.context import announce_models_older
    from analysis.publish.render.opd import load_opd_units

    rep = opd_report.load("dinkes", d, lang="en")
    assert "MODEL RESULTS OLDER THAN THE DATA" in opd_report.banner_html(rep)
    res = findings.load(d, lang="id")
    # the brief prints the per-office findings (and with them the notice) only when they are
    # not simulated (docs/presenting.md)
    assert "HASIL MODEL LEBIH LAMA DARI DATA" not in brief.brief_html(res)
    res.dataset = "user"
    assert "HASIL MODEL LEBIH LAMA DARI DATA" in brief.brief_html(res)
    res.dataset = "simulated"
    from analysis.publish import deck

    assert "HASIL MODEL LEBIH LAMA DARI DATA" in str(deck.banner(res))
    assert "MODEL RESULTS OLDER" in (load_opd_units("en", d).banner or "")
    assert "MODEL RESULTS OLDER" in announce_models_older(str(d), "en")


def test_views_are_quiet_when_the_models_are_current(built_data_dir):
    from analysis.publish import findings, opd_report
    from analysis.publish.explore.context import announce_models_older

    assert data_build.fits_note(store.load_manifest(built_data_dir)) is None
    rep = opd_report.load("dinkes", built_data_dir, lang="en")
    assert "MODEL RESULTS OLDER" not in opd_report.banner_html(rep)
    assert findings.load(built_data_dir).models_older is None
    assert announce_models_older(str(built_data_dir), "en") == ""


def test_a_build_with_no_earlier_fit_fits(tmp_path):
    """Nothing to keep (no earlier build): the deferring build runs the step."""
    calls = []

    def fit(tables, truth):
        calls.append(1)
        return {"model_results": pd.DataFrame({"x": [1.0]})}

    step = pipeline.Step("models", fit, inputs=(), outputs=("model_results",),
                         deferrable=True)
    fits: dict = {}
    carry = data_build._carrier(tmp_path / "processed")     # no manifest there
    out = data_build.run_steps([step], {}, {}, carry=carry, fits=fits)
    assert calls == [1] and list(out) == ["model_results"] and fits["models"]["current"]


def test_a_damaged_kept_table_is_refitted_not_trusted(imported, tmp_path):
    d = imported[0]
    src = tmp_path / "processed"
    copy_data(store.processed_path(d), src)
    (src / "typology.parquet").write_bytes(b"damaged")
    step = next(s for s in pipeline.STEPS if s.name == "models")
    assert data_build._carrier(src)(step) is None
    assert data_build._carrier(store.processed_path(d))(step) is not None


@pytest.mark.slow   # one refit of the models on the changed panel (~30 s)
def test_render_refits_first_unless_told_not_to(imported):
    """The command as a user runs it (a fresh interpreter, as `python -m analysis render`)."""
    d = imported[0]
    reports = d.parent / "reports"
    common = ["--units", "dinkes", "--lang", "en", "--engine", "inprocess", "--workers", "1",
              "--no-progress", "--data-dir", str(d)]

    def render(*extra):
        return subprocess.run([sys.executable, "-m", "analysis", "render", *extra, *common],
                              capture_output=True, text=True, timeout=600)

    proc = render("--no-refit")
    assert proc.returncode == 0, proc.stderr[-2000:]
    page = (reports / "opd" / "dinkes.html").read_text(encoding="utf-8")
    assert "MODEL RESULTS OLDER THAN THE DATA" in page
    assert data_build.fits_note(store.load_manifest(d)) is not None   # not refitted

    proc = render()
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "refitting first" in proc.stderr
    man = store.load_manifest(d)
    assert data_build.fits_note(man) is None and man["fits"]["models"]["current"]
    page = (reports / "opd" / "dinkes.html").read_text(encoding="utf-8")
    assert "MODEL RESULTS OLDER" not in page
    # nothing deferred any more: the next render does not refit
    assert pipeline.refit_deferred(d) is False
