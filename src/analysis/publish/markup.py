"""HTML from Jinja2 templates: the one place the package makes HTML.

The templates are package data (``analysis/publish/templates/*.html.j2``, with the pages'
stylesheets and scripts beside them). :func:`environment` makes the one
``jinja2.Environment``, with ``autoescape=True``: every value from data (unit names, titles,
messages, sentences) is escaped unless it is HTML this module made (:func:`safe`), so no name
can become markup. ``StrictUndefined`` makes a missing template variable an error, not an
empty string.

Templates see ``t(key, lang, **values)`` (:func:`analysis.narrative.catalog.text`) and the
filters ``num``, ``pct``, ``signed`` and ``rupiah`` (:mod:`analysis.narrative.fmt`).

:func:`banner` is the one SIMULATED-data banner of the reports, the index page, the deck and
the brief.

The nbconvert exporter templates of the report, deck and brief pages extend nbconvert's own
lab and reveal templates, so nbconvert's environment loads them, not this one: they are files
in ``templates/nbconvert/`` (:func:`analysis.publish.html.nbconvert_loader`).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from markupsafe import Markup

from analysis.narrative import catalog, fmt

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
"""The folder of the page templates, stylesheets and scripts (package data)."""


@cache
def environment():
    """The one Jinja2 environment (autoescape on, strict undefined), made on first use."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.globals["t"] = catalog.text
    env.filters["num"] = fmt.number
    env.filters["pct"] = fmt.percent
    env.filters["signed"] = fmt.signed
    env.filters["rupiah"] = fmt.rupiah
    env.filters["blank"] = _blank
    return env


def render(template: str, /, **context) -> Markup:
    """Render ``template`` with ``context``; the result is safe HTML (:class:`Markup`)."""
    return Markup(environment().get_template(template).render(**context))


def macro(name: str, macro_name: str, *args, **kwargs) -> Markup:
    """Call macro ``macro_name`` of template ``name``."""
    mod = environment().get_template(name).module
    return Markup(getattr(mod, macro_name)(*args, **kwargs))


def asset(name: str) -> str:
    """A stylesheet or script shipped beside the templates (``deck.css``)."""
    return (TEMPLATES_DIR / name).read_text(encoding="utf-8")


def safe(html: str) -> Markup:
    """Mark HTML this package made (a rendered fragment, an inline image) as safe."""
    return Markup(html)


def _blank(value: object) -> object:
    """None and NaN as empty text; anything else unchanged (escaped by the template)."""
    return "" if value is None or fmt.is_missing(value) else value


def banner(lang: str, note: str = "", text: str | None = None, inline: bool = False) -> Markup:
    """The SIMULATED-data banner: the catalog's ``simulated_banner`` (or ``text``) and an
    optional note under it. ``inline`` carries its own style (a page with no stylesheet of
    ours: the nbconvert report page); otherwise the page's ``.sim-banner`` rules apply."""
    return render("banner.html.j2", text=text or catalog.text("simulated_banner", lang),
                  note=note, inline=inline)


def models_older(lang: str, note: dict | None) -> Markup:
    """The notice that the model results are older than the data (an import deferred the
    refits: ``analysis.data.build.fits_note`` of the build's manifest, given as ``note``);
    empty when ``note`` is None. It carries its own style, so it reads the same on every
    page (report, index, brief, deck, notebook)."""
    if not note:
        return Markup("")
    return render("models_older.html.j2",
                  text=catalog.text("models_older", lang, fitted_at=note["fitted_at"],
                                    data_at=note["data_at"]),
                  note=catalog.text("models_older_note", lang))


def models_note(data_dir=None) -> dict | None:
    """``analysis.data.build.fits_note`` of the processed manifest in ``data_dir``: None when
    the model results are current (or nothing is built)."""
    from analysis.data import build, store

    try:
        return build.fits_note(store.load_manifest(data_dir))
    except (store.NotBuiltError, ValueError):
        return None


def table(head, rows, caption: str = "", cls: str = "batang-table", num_cols=(),
          caption_style: str = "") -> Markup:
    """A table: ``head`` (column titles), ``rows`` (lists of cells; a cell is text, or a
    :class:`Markup` fragment), an optional caption (with its own ``caption_style`` on a page
    with no stylesheet of ours: the notebooks); ``num_cols`` get ``class="num"``."""
    return render("table.html.j2", head=list(head), rows=[list(r) for r in rows],
                  caption=caption, cls=cls, num_cols=set(num_cols),
                  caption_style=caption_style)


def sim_caption(caption: str, lang: str) -> Markup:
    """A table caption led by the simulated-data banner (the notebooks' tables)."""
    return render("sim_caption.html.j2", banner=catalog.text("simulated_banner", lang),
                  caption=caption)


def heading(title: str, sub: str = "") -> Markup:
    """A page heading with an optional line under it (the pemda reports)."""
    return render("heading.html.j2", title=title, sub=sub)


def markdown(text: str) -> str:
    """Markdown with the HTML characters (``&``, ``<``, ``>``) escaped: a name from the data
    shows as text, never as markup, and Markdown's own syntax (``**``, backticks, lists) is
    kept. The notebooks' headings and sentences are displayed through it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def kv_table(items, cls: str = "batang-kv") -> Markup:
    """A two-column table of (label, value) pairs."""
    return render("kv.html.j2", items=list(items), cls=cls)


def ul(items, cls: str = "") -> Markup:
    """A bulleted list of texts (escaped); empty items are left out."""
    return render("ul.html.j2", items=[i for i in items if i], cls=cls)
