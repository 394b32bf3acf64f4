"""The presentation command: a fresh build, then `present` into a temp folder, in both
languages. Checks the deck (offline, one section per slide, no code, banner on every slide
with simulated numbers), the figures (PNG 300 dpi + SVG, sorted names, simulated mark on the
simulated ones and none on the public one), the brief (HTML, and a one-page PDF when Chromium
is there: required in CI) and the sentences (generated, with intervals)."""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

import pytest

from analysis.data import store
from analysis.narrative import fmt
from analysis.publish import deck_figures, findings, kernel, plots, present, versions

CHROMIUM = present.find_chromium()
NEED_PDF = CHROMIUM is not None or bool(os.environ.get("CI"))


@pytest.fixture(scope="module")
def built(built_data_dir):
    kernel.ensure_kernel()
    return built_data_dir   # the session's default build (tests/conftest.py), read only


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    present.register_cli(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["present", *argv])
    return args.func(args)


@pytest.fixture(scope="module")
def rendered_id(built, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports-id")
    status = _run(["--lang", "id", "--out", str(out), "--data-dir", str(built),
                   *([] if NEED_PDF else ["--no-pdf"])])
    return status, out


@pytest.fixture(scope="module")
def rendered_en(built, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports-en")
    status = _run(["--lang", "en", "--out", str(out), "--data-dir", str(built), "--no-pdf"])
    return status, out


def _slides(page: str) -> list[str]:
    body = page.split('<div class="slides">', 1)[1]
    parts = re.split(r"<section[^>]*>\s*<section[^>]*>", body)
    return [p for p in parts[1:]]


@pytest.mark.parametrize("lang,expected", [
    ("en", "Made with analysis 0.1.0, Python 3.11.7, pandas 3.1.1, numpy 2.4.6, pyfixest "
           "0.60.0, extra 1.0 (tables built 2026-05-01); rendered with papermill {papermill}, "
           "nbconvert {nbconvert}, matplotlib {matplotlib}."),
    ("id", "Dibuat dengan analysis 0.1.0, Python 3.11.7, pandas 3.1.1, numpy 2.4.6, pyfixest "
           "0.60.0, extra 1.0 (tabel dibangun 2026-05-01); dirender dengan papermill "
           "{papermill}, nbconvert {nbconvert}, matplotlib {matplotlib}."),
])
def test_the_versions_line_reads_the_manifest_and_the_rendering_libraries(tmp_path, lang,
                                                                         expected):
    """One wording for every page: the tables' versions from the processed manifest (build
    libraries in their declared order), the rendering libraries as installed."""
    import json
    from importlib.metadata import version

    (tmp_path / "processed").mkdir()
    (tmp_path / "processed" / "manifest.json").write_text(json.dumps({
        "package_version": "0.1.0", "python": "3.11.7", "built_at": "2026-05-01T03:04:05+00:00",
        "libraries": {"pyfixest": "0.60.0", "extra": "1.0", "numpy": "2.4.6",
                      "pandas": "3.1.1"}}))
    want = expected.format(**{lib: version(lib) for lib in versions.RENDER_LIBRARIES})
    assert versions.made_with(tmp_path, lang) == want
    html = str(versions.footer_html(tmp_path, lang))
    assert html.startswith('<p class="batang-versions" style=') and want in html


@pytest.mark.slow
def test_present_writes_deck_figures_brief_and_manifest(rendered_id, built):
    status, out = rendered_id
    assert status == 0
    for name in ("deck.id.html", "brief.id.html", "present.id.json",
                 "figures/captions.id.md"):
        assert (out / name).is_file(), name
    if NEED_PDF:
        assert (out / "brief.id.pdf").is_file()
    # the deck's title slide and the brief's footer name the versions they were made with
    line = versions.made_with(built, "id")
    deck = (out / "deck.id.html").read_text(encoding="utf-8")
    assert line in _slides(deck)[0]
    brief = (out / "brief.id.html").read_text(encoding="utf-8")
    assert line in brief.split("<footer>", 1)[1]


@pytest.mark.slow
def test_deck_is_offline_code_free_and_marks_simulated_slides(rendered_id):
    _, out = rendered_id
    page = (out / "deck.id.html").read_text(encoding="utf-8")
    # offline: no external script, stylesheet or image; everything inline
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+stylesheet", page)
    assert not re.search(r"<img[^>]+src=\"(?!data:)", page)
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)
    assert "unpkg.com" not in text and "cdn" not in text.lower()
    # no code on any slide
    for marker in ("<pre", "input_area", "jp-InputArea", "jp-InputPrompt", "highlight-ipynb",
                   "import ", "deck.slide_", "present.slide_"):
        assert marker not in page, marker
    slides = _slides(page)
    assert len(slides) == 12
    banner = "DATA SIMULASI"
    public = [s for s in slides if "DATA PUBLIK" in s]
    # real first: the three real-data slides follow the title, none with the simulated banner
    assert len(public) == 3 and all(banner not in s for s in public)
    assert [slides.index(s) for s in public] == [1, 2, 3]
    for s in slides:
        if s not in public:
            assert banner in s  # every slide showing simulated numbers says so
    assert "Pertanyaan" in slides[0]
    assert "Catatan dan keterbatasan" in slides[-1]
    assert "ArrowRight" in page  # keyboard navigation is inline


@pytest.mark.slow
def test_figures_png_and_svg_sorted_and_marked(rendered_id):
    from PIL import Image

    _, out = rendered_id
    figs = out / "figures"
    pngs = sorted(p.name for p in figs.glob("*.png"))
    svgs = sorted(p.name for p in figs.glob("*.svg"))
    assert len(pngs) == len(deck_figures.FIGURES) == len(svgs)
    assert [p[:2] for p in pngs] == [f"{i:02d}" for i in range(1, len(pngs) + 1)]
    assert all(p.endswith(".id.png") for p in pngs)
    banner = "DATA SIMULASI"
    for png in pngs:
        im = Image.open(figs / png)
        assert round(im.info["dpi"][0]) == 300
        svg = (figs / png.replace(".png", ".svg")).read_text(encoding="utf-8")
        public = "-public." in png
        desc = im.info.get("Description", "")
        if public:
            assert banner not in desc and plots.SIMULATED_GID not in svg, png
        else:
            assert banner in desc, png
            assert plots.SIMULATED_GID in svg and banner in svg, png
    captions = (figs / "captions.id.md").read_text(encoding="utf-8")
    assert "http" in captions or "GitHub" in captions  # the real figure cites its sources


def test_figure_objects_carry_the_mark(built):
    res = findings.load(built, "id")
    pub = deck_figures.fig_public_spending(res)
    assert not plots.is_simulated(pub)
    assert plots.is_simulated(deck_figures.fig_cuts(res))
    assert plots.is_simulated(deck_figures.fig_effects(res))
    # axis labels in the chosen language
    assert pub.axes[0].get_xlabel() == "Tahun"
    assert "Rp miliar" in pub.axes[0].get_ylabel()
    en = findings.load(built, "en")
    assert deck_figures.fig_public_spending(en).axes[0].get_xlabel() == "Year"


@pytest.mark.slow
def test_brief_opens_with_the_real_evidence_and_judges_no_office_on_simulated_data(
        rendered_id, built):
    """Real first: the audited 2020 cut, the spending path, the standing and the national
    answer (from the ledger); with simulated per-office data the brief prints no per-office
    finding and says why (docs/presenting.md)."""
    from analysis.publish import real_evidence

    _, out = rendered_id
    page = (out / "brief.id.html").read_text(encoding="utf-8")
    assert "<pre" not in page and "jp-InputArea" not in page
    assert page.index("Yang nyata") < page.index("Temuan per OPD: belum ada")
    ev = real_evidence.load(built, "id")
    for p in real_evidence.points(ev):
        assert p["sentence"].split(":")[0] in page
    assert fmt.rupiah(ev.audited["audited_2020"], "id") in page       # the audited LRA 2020
    assert "30 dari 35" in page and "294 dari 508" in page           # IPM 2024 standing
    assert real_evidence.footnote(ev) in page                        # tests and Holm p: footnote
    assert "p Holm" not in page.split("<footer>")[0]                 # plain words above it
    # no simulated office is named or judged
    res = findings.load(built, "id")
    for uid in res.units["unit_id"]:
        assert f">{res.name(uid)} (" not in page and f" {res.name(uid)} (" not in page
    assert "DATA SIMULASI" not in page and "<ol class=\"findings\">" not in page


def test_brief_with_user_data_shows_the_five_findings(built):
    """Once office files are imported (dataset "user"), the brief's second part holds the five
    findings from the results: the numbers are the results, not typed text; offices appear as
    above/below only where the ledger names them."""
    import dataclasses

    from analysis.publish import brief

    res = dataclasses.replace(findings.load(built, "id"), dataset="user")
    page = brief.brief_html(res)
    assert page.index("Yang nyata") < page.index("Lima temuan")
    items = re.findall(r"<li><b>", page)
    assert len(items) == 5
    assert page.count("95%") >= 5
    assert "Selisih tertinggi" not in page and "tidak diurutkan" in page and "p Holm" in page
    eff = findings.effects_of_cut(res).set_index("outcome")
    assert fmt.signed(eff.loc["innovations", "estimate"], "id", 1, "%") in page
    assert fmt.percent(findings.cut_summary(res)["median"], "id", fraction=False) in page
    book = store.load_table("findings", built)
    named = set(book.loc[book["verdict"].isin(["above", "below"]), "unit_id"])
    for uid in set(findings.resilience_frame(res)["unit_id"]) - named:
        assert f"{res.name(uid)} +" not in page and f"{res.name(uid)} −" not in page
    k = findings.family(res)
    assert k >= 20 and f"atas {k} uji" in page


@pytest.mark.slow
@pytest.mark.skipif(not NEED_PDF, reason="no Chromium and not in CI: the PDF is skipped")
def test_brief_pdf_is_exactly_one_page(rendered_id):
    _, out = rendered_id
    assert present.pdf_pages(out / "brief.id.pdf") == 1
    import json

    manifest = json.loads((out / "present.id.json").read_text(encoding="utf-8"))
    assert manifest["pdf_pages"] == 1 and manifest["pdf_error"] is None


@pytest.mark.slow
def test_english_deck_brief_and_figures(rendered_en):
    status, out = rendered_en
    assert status == 0
    deck = (out / "deck.en.html").read_text(encoding="utf-8")
    brief = (out / "brief.en.html").read_text(encoding="utf-8")
    assert "SIMULATED DATA" in deck and "PUBLIC DATA" in deck and "Caveats" in deck
    assert "What is real" in brief and "Per-office findings: not yet" in brief
    assert "The 2020 cut across Indonesia" in deck and "Batang in real figures" in deck
    assert 'lang="en"' in deck and "DATA SIMULASI" not in brief
    assert "Made with analysis " in deck and "; rendered with papermill " in brief
    assert sorted(p.name for p in (out / "figures").glob("*.en.png"))
    assert not (out / "brief.en.pdf").exists()  # --no-pdf


@pytest.mark.slow
def test_missing_chromium_writes_html_and_exits_3(built, tmp_path, monkeypatch):
    monkeypatch.setattr(present, "find_chromium", lambda explicit=None: None)
    monkeypatch.setattr(present, "run_template", _fake_run_template)
    status = _run(["--out", str(tmp_path), "--data-dir", str(built)])
    assert status == present.EXIT_NO_PDF
    assert (tmp_path / "brief.id.html").is_file() and not (tmp_path / "brief.id.pdf").exists()
    assert _run(["--out", str(tmp_path), "--data-dir", str(built), "--no-pdf"]) == 0


def _fake_run_template(template: Path, parameters: dict, kernel_name: str, timeout: int = 120):
    """Run the template's cells in-process (no kernel): fast, for the exit-status test."""
    import nbformat
    from IPython.display import HTML

    nb = nbformat.read(template, as_version=4)
    ns: dict = {}
    shown: list[str] = []
    import IPython.display as disp

    real = disp.display
    disp.display = lambda obj, *a, **k: shown.append(obj.data if isinstance(obj, HTML) else "")
    try:
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            shown.clear()
            src = cell.source
            exec(src, ns)  # noqa: S102 - our own template
            if "parameters" in cell.metadata.get("tags", []):
                ns.update(parameters)
            cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": h})
                            for h in shown if h]
    finally:
        disp.display = real
    return nb


def test_bad_parameters_are_refused(built, tmp_path):
    with pytest.raises(present.PresentParameterError, match="unknown language"):
        present.validate_params("fr")
    with pytest.raises(present.PresentParameterError, match="between 0 and 100"):
        present.validate_params("id", 150)
    with pytest.raises(present.PresentParameterError, match="did you mean dinkes"):
        findings.load(built, "id", 10, "dinkess")
    assert _run(["--out", str(tmp_path), "--data-dir", str(built), "--unit", "nope",
                 "--no-pdf"]) == present.EXIT_USAGE
    assert _run(["--out", str(tmp_path), "--data-dir", str(tmp_path / "nodata"),
                 "--no-pdf"]) == present.EXIT_USAGE


def test_sentences_carry_intervals_in_both_languages(built):
    for lang, word in (("id", "s.d."), ("en", " to ")):
        res = findings.load(built, lang)
        fs = findings.findings(res)
        assert len(fs) == 5
        for f in fs[1:]:
            if f["key"] == "resilience" and "95%" not in f["sentence"]:
                # no office is named (the ledger's simultaneous intervals name none): then
                # there is no interval to print, and the sentence says how many were judged
                assert "0 " in f["sentence"], f
                continue
            assert "95%" in f["sentence"] and word in f["sentence"], f
        assert all(s for s in findings.scenario_sentences(res))
    id_text = findings.findings(findings.load(built, "id"))[1]["sentence"]
    assert re.search(r"\d,\d", id_text)  # Indonesian decimal comma


def _indonesian_only_captions() -> list[str]:
    """Indonesian catalog captions of the deck, brief and reports that differ from their
    English text (no placeholders): none of them may appear on an English page."""
    from analysis.narrative import catalog

    return [e["id"] for k, e in catalog.entries().items()
            if k.startswith(("present.", "report.section.", "verdict", "simulated_banner"))
            and "{" not in e["id"] and e["id"] != e["en"] and len(e["id"]) > 8]


@pytest.mark.slow
def test_english_deck_and_brief_show_no_indonesian_caption(rendered_en):
    _, out = rendered_en
    words = _indonesian_only_captions()
    assert len(words) > 50
    for name in ("deck.en.html", "brief.en.html"):
        page = (out / name).read_text(encoding="utf-8")
        page = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)
        leaked = [w for w in words if w in page]
        assert not leaked, (name, leaked)


def test_brief_and_deck_escape_a_hostile_unit_name(built):
    from analysis.publish import brief, deck

    hostile = "<script>alert(1)</script>"
    import dataclasses

    res = findings.load(built, "en")
    # the OPD with the deepest 2020 cut is named on the brief's first finding (once the
    # per-office part is printed: user data)
    top = res.summary.sort_values("cut_2020_pct").iloc[0]["unit_id"]
    res.units = res.units.copy()
    res.units.loc[res.units["unit_id"] == top, ["abbreviation", "name"]] = hostile
    page = brief.brief_html(dataclasses.replace(res, dataset="user"))
    assert hostile not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    slide = deck.slide_caveats(res) + deck.slide_title(res)
    assert "<script" not in slide and "SIMULATED DATA" in slide
