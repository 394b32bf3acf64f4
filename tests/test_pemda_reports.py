"""Peer reports per pemda through the same renderer: ids, light pages, the province filter,
and the OPD reports unchanged in style."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from analysis import config
from analysis.publish import pemda_report, versions
from analysis.publish.explore import ParameterError
from analysis.publish.index import build_index_html


def test_ids_round_trip_and_refuse_junk():
    assert pemda_report.unit_id_of("33.25") == "3325" and pemda_report.region_of("3325") == "33.25"
    for bad in ("33.25", "../etc", "3325x", ""):
        with pytest.raises(ParameterError):
            pemda_report.region_of(bad)


def test_index_filter_escapes_and_lists_values():
    rows = [{"unit_id": "3325", "title": "Kab. <b>Batang</b>", "status": "ok",
             "html": "3325.html", "summary": {"Provinsi": "Jawa <Tengah>"}},
            {"unit_id": "9101", "title": "Kab. Merauke", "status": "ok", "html": "9101.html",
             "summary": {"Provinsi": "Papua"}}]
    page = build_index_html(rows, filter_column="Provinsi")
    assert '<select id="rowfilter" data-col="3">' in page
    assert "<option value=\"Jawa &lt;Tengah&gt;\">" in page and "<b>Batang" not in page
    assert 'id="rowfilter"' not in build_index_html(rows)   # OPD index: no filter


@pytest.mark.slow
def test_render_pemda_reports_light_and_indexed(public_data_dir, tmp_path):
    d = public_data_dir      # the session's public-only build (tests/conftest.py), read only
    out = tmp_path / "pemda"
    env = {"PYTHONPATH": str(config.project_root() / "src"), "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-m", "analysis", "render", "--kind", "pemda",
                        "--units", "3325,9101", "--out", str(out), "--data-dir", str(d),
                        "--workers", "2", "--no-progress", "--lang", "en"],
                       capture_output=True, text=True, env=env, timeout=600,
                       cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    for uid in ("3325", "9101"):
        page = (out / f"{uid}.html").read_text(encoding="utf-8")
        assert len(page.encode()) < 300_000
        assert "data:image/png;base64" in page and "SIMULATED" not in page
        assert "Standing among kab/kota" in page
        assert versions.made_with(d, "en") in page   # the versions line ends every report
    assert "<h1>Kab. Batang</h1>" in (out / "3325.html").read_text(encoding="utf-8")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'id="rowfilter"' in index and ">Jawa Tengah</option>" in index
    # the pemda index: its own title and name column, years stated, Batang highlighted
    assert "Reports per kab/kota (pemda)" in index and "<th scope=\"col\">Kab/kota</th>" in index
    assert "Unit reports" not in index and "Unit name" not in index
    assert re.search(r"IPM (\d{4}|, latest \d{4}–\d{4})<", index)
    assert re.search(r"Realisation rate \(%\)(, latest \d{4}–\d{4}| \d{4})<", index)
    assert 'class="ok highlight"' in index and "Highlighted" in index
    assert 'href="../index.html"' in index
    # a code with the dot is the same kab/kota (nothing to redo: unchanged)
    dot = subprocess.run([sys.executable, "-m", "analysis", "render", "--kind", "pemda",
                          "--units", "33.25", "--out", str(out), "--data-dir", str(d),
                          "--no-progress"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert dot.returncode == 0, dot.stderr
    bad = subprocess.run([sys.executable, "-m", "analysis", "render", "--kind", "pemda",
                          "--units", "33.2x", "--out", str(out), "--data-dir", str(d)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2 and "33.2x" in bad.stderr and "33.25" in bad.stderr
    assert re.search(r"^\d+ rendered", r.stdout)
