"""Pages that fit, measured in a real browser (headless Chromium, installed by .ci/run; the
PDF's words read by pdftotext from poppler-utils, installed there too).

* Every slide of the deck fits its box at 1280×720, 1400×788 and 1920×1080: a small script
  (``analysis.publish.pagefit``) shows each slide and compares its ``scrollHeight`` /
  ``scrollWidth`` with its box, and lists elements that clip their content or are drawn
  outside the slide; ``--dump-dom`` returns the measurements.
* The brief prints on one A4 page and its PDF holds every word of its HTML (a page clipped by
  ``overflow: hidden`` prints one page but loses words: the coverage check catches it).
* A brief too long for one page is never clipped: it is scaled down, and if it still does not
  fit it prints on more pages with every word.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from analysis.publish import kernel, pagefit, present

CHROMIUM = present.find_chromium()
IN_CI = bool(os.environ.get("CI"))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None and not IN_CI,
                       reason="chromium not installed (.ci/run installs it)"),
]


@pytest.fixture(scope="module")
def rendered(built_data_dir, tmp_path_factory):
    assert CHROMIUM, "chromium must be installed in CI"
    kernel.ensure_kernel()
    out = tmp_path_factory.mktemp("pagefit")
    r = present.present(out, "id", built_data_dir, pdf=True)
    assert r.pdf_error is None, r.pdf_error
    return r, out


@pytest.mark.parametrize("size", pagefit.DECK_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_deck_slide_fits_its_box(rendered, size):
    _, out = rendered
    rows = pagefit.measure_deck(out / "deck.id.html", size, CHROMIUM)
    assert len(rows) >= 8   # every slide was measured
    bad = [(r["slide"], f"scroll {r['scrollWidth']}x{r['scrollHeight']} > box "
            f"{r['clientWidth']}x{r['clientHeight']}", r["clipped"][:2], r["outside"][:2])
           for r in rows if not r["fits"]]
    assert not bad, bad
    # the deck's own font fit stays readable (it stops at 0.7; a slide that needs less
    # than that must be shortened, not shrunk further)
    assert min(r["fontScale"] for r in rows) >= 0.7


def test_every_deck_chart_has_alt_text(rendered):
    _, out = rendered
    page = (out / "deck.id.html").read_text(encoding="utf-8")
    imgs = re.findall(r"<img[^>]*>", page)
    assert len(imgs) >= 7
    alts = [re.search(r'alt="([^"]*)"', i) for i in imgs]
    assert all(a and a.group(1).strip() for a in alts), [a and a.group(1) for a in alts]


def _need_pdftotext():
    if shutil.which("pdftotext") is None:
        if IN_CI:
            pytest.fail("pdftotext (poppler-utils) must be installed in CI")
        pytest.skip("pdftotext (poppler-utils) not installed")


def test_brief_is_one_a4_page_holding_every_word(rendered):
    _need_pdftotext()
    r, out = rendered
    assert present.pdf_pages(out / "brief.id.pdf") == 1
    cov = pagefit.brief_text_coverage(out / "brief.id.html", out / "brief.id.pdf", CHROMIUM)
    assert cov["words"] > 200
    assert cov["coverage"] == 1.0, cov["missing"]
    assert r.pdf_coverage and r.pdf_coverage["coverage"] == 1.0
    assert r.pdf_scale is not None and r.pdf_scale >= 0.76
    # nothing is hidden to make it fit
    page = (out / "brief.id.html").read_text(encoding="utf-8")
    style = " ".join(re.findall(r"<style>(.*?)</style>", page, re.S))
    assert "overflow:hidden" not in style.replace(" ", "")


def test_a_brief_too_long_for_one_page_loses_no_word(rendered, tmp_path):
    """Six times the real section: the page scales itself down, and whatever it prints on,
    every word of the HTML is in the PDF (a clipped page would print one page with words
    missing)."""
    _need_pdftotext()
    _, out = rendered
    page = (out / "brief.id.html").read_text(encoding="utf-8")
    m = re.search(r'<ul class="real">.*?</ul>', page, re.S)
    assert m
    long_page = page.replace(m.group(0), m.group(0) * 6, 1)
    src = tmp_path / "long.html"
    src.write_text(long_page, encoding="utf-8")
    pages, scale, cov = present.brief_pdf(long_page, tmp_path / "long.pdf", CHROMIUM)
    assert cov["coverage"] == 1.0, (pages, scale, cov["missing"])
    assert scale is not None and scale < 1.0   # it was scaled to fit, not clipped
    assert Path(tmp_path / "long.pdf").is_file() and pages >= 1
