"""User rows replace simulated rows at the grain the file covers (unit, year, stage), a report
never fails because a unit's data is partial, regency totals say when a year mixes user and
simulated figures, and panel provenance reflects every user table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _support import copy_data

from analysis import config
from analysis.data import store
from analysis.pipeline import import_files
from analysis.publish import opd_report

# every test here imports into a build and rebuilds: with the simulated panel that refits the
# models (two imports, two refits of ~30 s each); the last one renders a report on a kernel
pytestmark = pytest.mark.slow

EXAMPLES = config.project_root() / "data" / "raw" / "examples"


def perubahan_only(path: Path) -> Path:
    """Only the revised budget (APBD-P) of dinsos for 2020."""
    path.write_text(
        "DINAS SOSIAL\nTAHUN ANGGARAN 2020\n"
        "Kode Rekening;Uraian;Anggaran Setelah Perubahan\n"
        "1.06.01;Program Penunjang Urusan Pemerintahan Daerah Kabupaten/Kota;\n"
        "5.1.01.01.01.0001;Belanja Gaji Pokok PNS;3.000.000.000\n"
        "1.06.04;Program Rehabilitasi Sosial;\n"
        "5.1.02.01.01.0024;Belanja ATK;1.500.000.000\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def imported(built_data_dir, tmp_path_factory):
    # a copy of the session's default build; each import rebuilds it (and refits the models:
    # the panel changes)
    d = copy_data(built_data_dir, tmp_path_factory.mktemp("grain") / "data")
    mp = pytest.MonkeyPatch()
    mp.setenv("BATANG_DATA_DIR", str(d))
    before = store.load_table("regency_year", d).set_index("year")
    import_files("budget", [perubahan_only(d.parent / "p.csv")])
    import_files("service", [EXAMPLES / "layanan_long_2023.csv"])
    yield d, before
    mp.undo()


def test_a_stage_replaces_only_that_stage(imported):
    d, _ = imported
    b = store.load_table("budget", d)
    x = b[(b.unit_id == "dinsos") & (b.year == 2020)]
    prov = x.groupby("stage")["provenance"].agg(lambda s: "+".join(sorted(set(s))))
    assert prov.to_dict() == {"murni": "simulated", "perubahan": "user",
                              "realisasi": "simulated"}
    assert x.loc[x.stage == "perubahan", "amount_idr"].sum() == 4.5e9
    panel = store.load_table("panel", d).set_index(["unit_id", "year"])
    row = panel.loc[("dinsos", 2020)]
    assert row["provenance_budget"] == "simulated+user" and row["provenance"] == "simulated"
    assert row["budget_perubahan"] == 4.5e9 and row["budget_murni"] > 0
    assert not np.isnan(row["budget_realisasi"])
    assert panel.loc[("dinsos", 2019), "provenance_budget"] == "simulated"


def test_regency_totals_say_when_a_year_is_mixed(imported):
    d, before = imported
    reg = store.load_table("regency_year", d).set_index("year")
    assert bool(reg.loc[2020, "mixed"]) and reg.loc[2020, "budget_sources"] == "simulated+user"
    assert not reg.drop(index=2020)["mixed"].any()
    # the realisasi totals (and so the regency change) are untouched by a perubahan file
    assert reg.loc[2020, "budget_realisasi"] == pytest.approx(before.loc[2020,
                                                                          "budget_realisasi"])
    assert reg.loc[2020, "dlog_budget"] == pytest.approx(before.loc[2020, "dlog_budget"])
    rep = opd_report.load("dinkes", d, lang="en")
    assert "Regency totals for 2020 combine imported (user) and simulated" in \
        opd_report.budget_text(rep)


def test_panel_provenance_reflects_service_rows(imported):
    d, _ = imported
    panel = store.load_table("panel", d).set_index(["unit_id", "year"])
    row = panel.loc[("dinsos", 2023)]
    # IKM, complaints and SPM are imported; Ombudsman and service days stay simulated
    assert row["provenance_service"] == "simulated+user"
    assert row["ikm"] == pytest.approx(81.2) and row["complaints"] == 9
    assert "service" in row["user_parts"] and row["provenance"] == "simulated"
    assert panel.loc[("dinsos", 2022), "provenance_service"] == "simulated"
    assert "service" not in panel.loc[("dinsos", 2022), "user_parts"]


def test_partial_unit_report_shows_what_exists(public_data_copy, tmp_path):
    """Without the simulated panel, a unit with only the 2020 perubahan stage still gets its
    report sections; the text says what is missing."""
    d = public_data_copy     # the public-only build; BATANG_DATA_DIR points at it
    import_files("budget", [perubahan_only(tmp_path / "p.csv")])
    man = store.load_manifest(d)
    assert any("not estimable" in n for n in man["derived_notes"])
    rep = opd_report.load("dinsos", d, years=(2020, 2020), lang="en")
    text = opd_report.budget_text(rep)
    assert "cannot be computed" in text and "No budget figures for: 2020 (murni, realisasi)" \
        in text
    fig = opd_report.peers_figure(rep)          # no highlight error for a unit without a cut
    assert fig is not None
    assert "IDR 4.50 billion" in opd_report.budget_table(rep)
    assert opd_report.budget_figure(rep) is not None
    assert pd.isna(rep.panel["budget_murni"]).all()
    # and the whole report template runs for it
    from analysis.publish.render import render_reports

    res = render_reports(["dinsos"], out_dir=tmp_path / "opd", workers=1, progress=False,
                         parameters={"data_dir": str(d), "lang": "en"})
    assert res.rows[0]["status"] == "ok", (res.rows[0].get("ename"), res.rows[0].get("evalue"))
    html = (tmp_path / "opd" / "dinsos.html").read_text(encoding="utf-8")
    assert "No budget figures for: 2020 (murni, realisasi)" in html
