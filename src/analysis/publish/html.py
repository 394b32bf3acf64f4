"""Executed report notebook -> one self-contained HTML page (the renderer's export step).

``notebook_to_html(nb, title, lang)`` is what every render worker calls after papermill. It uses
nbconvert's ``HTMLExporter`` with the ``lab`` template minus its CDN scripts (require.js,
MathJax, mermaid: the reports need none, and the page opens offline from ``file://``), no
code, no prompts, cells tagged ``remove_cell`` dropped. A template whose metadata says
``{"batang": {"html": "light"}}`` (the OPD and pemda reports) gets a few CSS rules instead of
the ~260 KB JupyterLab stylesheet. The exporter templates are files in
``templates/nbconvert/`` (:data:`NBCONVERT_TEMPLATES`).

Two things differ from a stock ``HTMLExporter`` (``tests/test_html_export.py`` compares the
two documents element by element):

* **alt text**: a PNG output whose metadata carries ``alt`` (``IPython.display.Image(...,
  alt=...)``; ``report.show`` and ``explore.show_figure`` give the figure's description:
  its label, suptitle or titles, after the simulated banner on a simulated figure, see
  :func:`analysis.publish.plots.figure_alt`) gets that text; nbconvert's template drops it and
  every figure read "No description has been provided for this image" to a screen reader.
* **no BeautifulSoup pass**: the stock exporter re-parses its whole output with BeautifulSoup
  to add that default ``alt`` and ``tabindex="0"`` on every output, then re-serialises it.
  Here the template writes the alt text, and one regular expression adds the default alt and
  the ``tabindex`` to the tags nbconvert's own templates write (text from data is escaped, so
  it holds no ``<img`` or ``<div``). A pemda page: 0.023 instead of 0.033 CPU-s (measured;
  a small saving: the reason for the change is the alt text).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

NBCONVERT_TEMPLATES = Path(__file__).resolve().parent / "templates" / "nbconvert"
"""The nbconvert exporter templates (package data, beside ``markup.TEMPLATES_DIR``'s page
templates): they extend nbconvert's own ``lab`` and ``reveal`` templates, so they are loaded
by nbconvert's Jinja2 environment (:func:`nbconvert_loader`), not by :mod:`markup`'s.

- ``batang_report.html.j2``: nbconvert's lab template minus its CDN scripts; PNG outputs carry
  their "alt" metadata;
- ``batang_report_light.html.j2``: the same with ``report_light.css`` instead of the
  JupyterLab stylesheet (an OPD page went from ~630 KB to ~370 KB, most of the rest PNGs);
- ``batang_deck.html.j2``, ``batang_brief.html.j2``: the deck and the brief
  (:mod:`analysis.publish.deck`, :mod:`analysis.publish.brief`)."""

REPORT_TEMPLATES = {"lab": "batang_report.html.j2", "light": "batang_report_light.html.j2"}
"""The report page template of each style."""


def nbconvert_loader():
    """A Jinja2 loader of :data:`NBCONVERT_TEMPLATES`, for an exporter's ``extra_loaders``."""
    from jinja2 import FileSystemLoader

    return FileSystemLoader(NBCONVERT_TEMPLATES)


DEFAULT_ALT = "No description has been provided for this image"
"""nbconvert's text for an image without alt text (kept, so pages read as before)."""

# An <img> tag without an alt attribute (base64 data holds no ">" and no whitespace, but may
# hold "/alt=", hence the whitespace before the attribute name).
_IMG_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\salt=)")
# The opening tag of a div whose class list holds one of nbconvert's focusable classes.
_FOCUSABLE_DIV = re.compile(
    r'<div\b[^>]*?\sclass="(?:[^"]*\s)?(?:jp-OutputArea-output|jp-Cell-inputWrapper)(?:\s[^"]*)?"')

_EXPORTERS: dict[str, Any] = {}


def accessible(html: str) -> str:
    """Add what nbconvert's HTMLExporter adds after rendering: the default alt text on images
    without one, and ``tabindex="0"`` on inputs and outputs (keyboard scrolling)."""
    html = _IMG_WITHOUT_ALT.sub(f'<img alt="{DEFAULT_ALT}"', html)
    return _FOCUSABLE_DIV.sub(lambda m: m.group(0) + ' tabindex="0"', html)


def _exporter_class():
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportHTMLExporter(HTMLExporter):
        """``HTMLExporter`` with :func:`accessible` in place of its BeautifulSoup pass."""

        def from_notebook_node(self, nb, resources=None, **kw):
            # As HTMLExporter.from_notebook_node (nbconvert 7.x) up to its template call.
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            highlight_code = self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
            resources = self._init_resources(resources)
            filter_data_type = WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources)
            self.register_filter("highlight_code", highlight_code)
            self.register_filter("filter_data_type", filter_data_type)
            html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return accessible(html), resources

    return ReportHTMLExporter


def make_exporter(style: str = "lab", stock: bool = False):
    """A new exporter for report pages (``style`` "lab" or "light"). ``stock=True`` gives
    nbconvert's own ``HTMLExporter`` with the same settings (for the comparison test)."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    cls = HTMLExporter if stock else _exporter_class()
    exporter = cls(
        # validate once after all preprocessors, not after each of the ~13 (nbconvert's own
        # switch; the notebook comes straight from nbclient, already valid)
        optimistic_validation=True,
        exclude_input=True,
        exclude_output_prompt=True,
        exclude_input_prompt=True,
        extra_loaders=[nbconvert_loader()],
        template_file=REPORT_TEMPLATES["light" if style == "light" else "lab"],
    )
    # Cells tagged "remove_cell" (the template's notes for its readers) stay out of reports.
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags={"remove_cell"}, enabled=True), enabled=True)
    return exporter


def page_style(nb) -> str:
    """"light" when the notebook's metadata asks for the light stylesheet, else "lab"."""
    return "light" if (nb.metadata.get("batang") or {}).get("html") == "light" else "lab"


def notebook_to_html(nb, title: str, lang: str = "id") -> str:
    """Convert an executed notebook to report HTML (no code, no prompts, no CDN scripts).
    One exporter per process and style, built on first use."""
    style = page_style(nb)
    exporter = _EXPORTERS.get(style)
    if exporter is None:
        exporter = _EXPORTERS[style] = make_exporter(style)
    exporter.language_code = lang if lang in ("id", "en") else "id"
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body
