"""A failed render keeps the last good report, marked stale in the index with the error."""

from __future__ import annotations

import json
from pathlib import Path

from analysis.publish.index import build_index_html
from analysis.publish.render import render_reports

FIXTURE = Path(__file__).parent / "fixtures" / "render" / "report_fixture.ipynb"


def test_failed_render_keeps_the_last_good_report_marked_stale(tmp_path):
    out = tmp_path / "opd"
    data = tmp_path / "data"
    data.mkdir()
    ok = render_reports(["u-a"], FIXTURE, out, parameters={"data_dir": str(data), "lang": "en",
                                                          "fail_unit": "none"},
                        workers=1, progress=False)
    assert ok.rows[0]["status"] == "ok"
    good = (out / "u-a.html").read_bytes()
    # the next render of u-a fails: the good HTML stays, the index says it is stale and why
    bad = render_reports(["u-a"], FIXTURE, out, parameters={"data_dir": str(data), "lang": "en",
                                                           "fail_unit": "u-a"},
                         workers=1, progress=False)
    row = bad.rows[0]
    assert row["status"] == "failed" and row["stale"] is True and bad.exit_status == 1
    assert (out / "u-a.html").read_bytes() == good
    assert not (out / "u-a.hash").exists()            # so the next run tries again
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="u-a.html"' in index
    assert "stale: last good report (" in index and "planted failure for u-a" in index
    m = json.loads((out / "manifest.json").read_text())
    assert m["units"][0]["stale"] is True and m["units"][0]["html"] == "u-a.html"
    # fixed: rendered again, no longer stale
    again = render_reports(["u-a"], FIXTURE, out, parameters={"data_dir": str(data),
                                                             "lang": "en", "fail_unit": "none"},
                           workers=1, progress=False)
    assert again.rows[0]["status"] == "ok" and not again.rows[0].get("stale")
    assert "stale:" not in (out / "index.html").read_text(encoding="utf-8")


def test_a_failed_unit_without_an_earlier_report_has_no_link():
    page = build_index_html([{"unit_id": "u-b", "title": "B", "status": "failed",
                              "html": None, "ename": "E", "evalue": "x"}], lang="en")
    assert "u-b.html" not in page and "stale" not in page
