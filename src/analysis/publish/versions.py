"""The one line that names the versions a page was made with, for every report (per OPD, per
pemda), the deck and the brief: "Made with analysis 0.1.0, Python 3.11.7, pandas …, pyfixest …
(tables built 2026-05-01); rendered with papermill …, nbconvert …, matplotlib …", in the
page's language (catalog ``versions.made_with``).

The tables' part is read from the processed manifest the page was made from
(``package_version``, ``python``, ``libraries``: :mod:`analysis.data.versions`, the same
versions every processed Parquet file records); the rendering part is the installed
:data:`RENDER_LIBRARIES` (:mod:`importlib.metadata`), the ones that run and draw the page.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from markupsafe import Markup

from analysis.data import store
from analysis.data.versions import BUILD_LIBRARIES
from analysis.narrative.catalog import text
from analysis.publish import markup

RENDER_LIBRARIES = ("papermill", "nbconvert", "matplotlib")
"""The libraries that execute a page's notebook, convert it to HTML and draw its figures."""


def _installed(lib: str) -> str:
    try:
        return version(lib)
    except PackageNotFoundError:
        return "absent"


def made_with(data_dir=None, lang: str = "id") -> str:
    """The versions line of a page made from the processed tables in ``data_dir`` (default the
    project's data folder), in ``lang``."""
    man = store.load_manifest(data_dir)
    libs = dict(man.get("libraries") or {})
    order = ([lib for lib in BUILD_LIBRARIES if lib in libs]
             + sorted(set(libs) - set(BUILD_LIBRARIES)))
    tables = [f"analysis {man.get('package_version', '?')}"]
    if man.get("python"):
        tables.append(f"Python {man['python']}")
    tables += [f"{lib} {libs[lib]}" for lib in order]
    rendering = [f"{lib} {_installed(lib)}" for lib in RENDER_LIBRARIES]
    return text("versions.made_with", lang, tables=", ".join(tables),
                built=str(man.get("built_at") or "?")[:10], rendering=", ".join(rendering))


def footer_html(data_dir=None, lang: str = "id", inline: bool = True) -> Markup:
    """:func:`made_with` as the small footer paragraph of a page (escaped). ``inline`` carries
    its own style (the nbconvert report pages have no stylesheet of ours)."""
    return markup.render("versions.html.j2", text=made_with(data_dir, lang), inline=inline)
