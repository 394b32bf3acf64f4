"""The report HTML export (analysis.publish.html) against nbconvert's own HTMLExporter.

The export replaces HTMLExporter's BeautifulSoup pass (default alt text, tabindex) with a
regular expression and writes figure titles as alt text; these tests compare the two pages
element by element on a notebook with every kind of output the reports produce.
"""

from __future__ import annotations

import base64

import matplotlib
import nbformat
import pytest
from bs4 import BeautifulSoup

from analysis.publish import html, plots

matplotlib.use("Agg")

# A 1x1 PNG.
_PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f3c0000000049454e44ae426082")).decode()
HOSTILE = 'Kab. "X" <script>alert(1)</script> & co'


def _notebook(light: bool) -> nbformat.NotebookNode:
    v4 = nbformat.v4
    cells = [
        v4.new_markdown_cell("# Title\n\nSome *text* with <img src='x.png'> inline."),
        v4.new_code_cell("x", outputs=[
            v4.new_output("display_data", data={"image/png": _PNG, "text/plain": "<Figure>"},
                          metadata={"image/png": {"alt": HOSTILE}}),
            v4.new_output("display_data", data={"image/png": _PNG, "text/plain": "<Figure>"}),
            # base64 can end in "/alt=": that is not an alt attribute
            v4.new_output("display_data", data={"image/png": "iVBORw0KGgo/alt=",
                                                "text/plain": "<Figure>"}),
            v4.new_output("display_data", data={
                "text/html": "<table><tr><td class='num'>1</td></tr></table>",
                "text/plain": "table"}),
            v4.new_output("stream", name="stdout", text="a < b & c\n"),
            v4.new_output("execute_result", data={"text/plain": "42"}, execution_count=1),
        ]),
        v4.new_code_cell("note", metadata={"tags": ["remove_cell"]}, outputs=[
            v4.new_output("stream", name="stdout", text="REMOVED\n")]),
        v4.new_markdown_cell("<div class=\"jp-OutputArea-output\">raw div in markdown</div>\n"
                             "<div data-class=\"jp-OutputArea-output\">not a class</div>"),
    ]
    nb = v4.new_notebook(cells=cells)
    if light:
        nb.metadata["batang"] = {"html": "light"}
    return nb


def _canon(page: str) -> list:
    """Every element with its attributes (sorted) and direct text, in document order."""
    soup = BeautifulSoup(page, "html.parser")
    out = []
    for tag in soup.find_all(True):
        attrs = sorted((k, " ".join(v) if isinstance(v, list) else v)
                       for k, v in tag.attrs.items())
        out.append((tag.name, attrs, tag.string))
    return out


def _export(nb, style: str, stock: bool) -> str:
    exporter = html.make_exporter(style, stock=stock)
    return exporter.from_notebook_node(nb, resources={"metadata": {"name": "t"}})[0]


@pytest.mark.parametrize("style", ["lab", "light"])
def test_same_page_as_nbconvert_htmlexporter_and_figures_carry_their_alt_text(style):
    nb = _notebook(style == "light")
    ours, stock = _export(nb, style, False), _export(nb, style, True)
    assert _canon(ours) == _canon(stock)   # same template: the post-passes agree
    soup_ours = BeautifulSoup(ours, "html.parser")
    alts = [i.get("alt") for i in soup_ours.find_all("img")]
    # the figure with alt metadata carries it (escaped in the source, intact once parsed);
    # the others get nbconvert's default
    assert alts == [html.DEFAULT_ALT, HOSTILE, html.DEFAULT_ALT, html.DEFAULT_ALT]
    assert "<script>alert" not in ours
    assert "REMOVED" not in ours
    focusable = soup_ours.select(".jp-Notebook div.jp-OutputArea-output")
    assert focusable and all(d.get("tabindex") == "0" for d in focusable)


def test_notebook_to_html_chooses_the_style_from_metadata():
    light = html.notebook_to_html(_notebook(True), "Judul <b>", "en")
    lab = html.notebook_to_html(_notebook(False), "Judul", "id")
    assert len(light) < len(lab) / 2          # no JupyterLab stylesheet
    assert "<title>Judul &lt;b&gt;</title>" in light
    assert '<html lang="en">' in light


def test_figure_alt_from_suptitle_or_axes_titles():
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2)
    assert plots.figure_alt(fig) == ""
    a.set_title("Belanja\n2020")
    b.set_title("IPM")
    b.set_title("kanan", loc="right")
    assert plots.figure_alt(fig) == "Belanja 2020; IPM; kanan"
    fig.suptitle("Batang di antara  kab/kota")
    assert plots.figure_alt(fig) == "Batang di antara kab/kota"
    fig.suptitle("x" * 400)
    assert len(plots.figure_alt(fig)) == 300 and plots.figure_alt(fig).endswith("…")
    plt.close(fig)


def test_figure_alt_prefers_the_label_and_starts_with_the_simulated_mark():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.set_title("judul sumbu")
    fig.set_label("Anggaran Dinas X per tahun")
    assert plots.figure_alt(fig) == "Anggaran Dinas X per tahun"
    plots.mark_simulated(fig, "en")
    assert plots.figure_alt(fig) == ("SIMULATED DATA — not a finding about any real office: "
                                     "Anggaran Dinas X per tahun")
    bare, _ = plt.subplots()
    plots.mark_simulated(bare, "id")
    assert plots.figure_alt(bare) == "DATA SIMULASI — bukan temuan tentang kantor nyata"
    plt.close("all")


def test_reports_and_notebooks_display_figures_through_one_path(monkeypatch):
    """report.show (the OPD reports) and explore.show_figure / explore.show (the notebooks, the
    pemda reports) are analysis.publish.display: one PNG, alt text and simulated flag."""
    import IPython.display
    import matplotlib.pyplot as plt

    from analysis.publish import explore, opd_report

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: shown.append((a, k)))

    def fig():
        f, ax = plt.subplots(dpi=72)
        ax.plot([1, 2], [3, 4])
        f.suptitle("Belanja 2020")
        return plots.mark_simulated(f, "en")

    want = plots.figure_png(fig(), dpi=100)
    opd_report.show(fig())
    opd_report.show(None)                               # nothing for a section without a figure
    explore.show_figure(fig())
    explore.show(explore.Result("t", figures=[fig()]))
    images = [a[0] for a, _ in shown if isinstance(a[0], IPython.display.Image)]
    assert len(images) == 3
    assert images[0].data == want                       # the report's fixed dpi
    assert images[1].data == images[2].data == plots.figure_png(fig())   # the figure's own
    alt = plots.figure_alt(fig())
    assert alt.startswith("SIMULATED DATA") and alt.endswith("Belanja 2020")
    for args, kw in shown:
        if isinstance(args[0], IPython.display.Image):
            assert args[0].alt == alt
            assert kw == {"metadata": {"batang": {"simulated": True}}}
    plt.close("all")
