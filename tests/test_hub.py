"""One place to start (reports/index.html) and small first-time stumbles: the start page lists
only what exists and says how to make the rest; index pages link back to it; a kecamatan's
legend is its name, never "nan"; a pemda code is accepted with or without the dot."""

from __future__ import annotations

import types

import numpy as np
import pandas as pd

from analysis.publish import hub, opd_report
from analysis.publish.index import build_index_html
from analysis.publish.render.kinds import get_kind


def test_hub_lists_what_exists_and_says_how_to_make_the_rest(tmp_path):
    (tmp_path / "opd").mkdir()
    (tmp_path / "opd" / "index.html").write_text("x")
    (tmp_path / "deck.id.html").write_text("x")
    (tmp_path / "brief.id.pdf").write_text("x")
    page = hub.build_hub(tmp_path)
    assert 'href="opd/index.html"' in page and 'href="deck.id.html"' in page
    assert 'href="brief.id.pdf"' in page and 'href="deck.en.html"' not in page
    assert 'href="pemda/index.html"' not in page and "make peers" in page
    assert "Not rendered yet" in page and "make reports" not in page
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "1.0-budget-cuts.html").write_text("x")
    assert 'href="notebooks/1.0-budget-cuts.html"' in hub.build_hub(tmp_path)
    assert hub.write_hub_if_project(tmp_path / "opd") is None   # another --out: left alone
    path = hub.write_hub(tmp_path)
    assert path == tmp_path / "index.html" and "opd/index.html" in path.read_text()


def test_index_pages_link_back_and_highlight():
    rows = [{"unit_id": "3325", "title": "Kab. Batang", "status": "ok", "html": "3325.html"},
            {"unit_id": "3326", "title": "Kab. Pekalongan", "status": "ok",
             "html": "3326.html"}]
    page = build_index_html(rows, lang="id", name_head="Kabupaten/kota", highlight=("3325",))
    assert 'href="../index.html"' in page and "Kabupaten/kota</th>" in page
    assert page.count('class="ok highlight"') == 1 and "Nama unit" not in page
    kind = get_kind("pemda")
    assert kind.index_title == "index.title_pemda" and kind.highlight == ("3325",)


def test_pemda_codes_with_or_without_the_dot():
    norm = get_kind("pemda").normalize_id
    assert norm("33.25") == "3325" and norm("3325") == "3325" and norm(" 33.25 ") == "3325"
    assert norm("33.2x") == "33.2x"          # left as typed: refused later, with the hint
    assert "33.25" in get_kind("pemda").id_hint and get_kind("opd").normalize_id is None


def test_kecamatan_legend_is_never_nan():
    unit = pd.Series({"unit_id": "kec-bandar", "abbreviation": np.nan,
                      "name": "Kecamatan Bandar"})
    rep = types.SimpleNamespace(unit=unit, unit_id="kec-bandar")
    assert opd_report._legend_name(rep) == "Kec. Bandar"
    rep.unit = pd.Series({"unit_id": "x", "abbreviation": None, "name": np.nan})
    rep.unit_id = "x"
    assert opd_report._legend_name(rep) == "x"
    rep.unit = pd.Series({"abbreviation": "DINKES", "name": "Dinas Kesehatan"})
    assert opd_report._legend_name(rep) == "DINKES"
