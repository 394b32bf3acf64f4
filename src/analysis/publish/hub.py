"""One place to start: ``reports/index.html`` links every published page that exists (the OPD
reports' index, the pemda reports' index, the slide deck and the brief in each language, the
executed notebooks) and says, for what has not been rendered yet, which command makes it.
Every index page, report page, the deck and the brief link back to it.

Written by ``python -m analysis hub`` and, at their end, by ``present`` and ``render`` when
they write into the project's ``reports/`` folder (not into another ``--out``).
"""

from __future__ import annotations

import datetime as _dt
import html
from pathlib import Path

from analysis import config
from analysis.data import store

HUB = "index.html"
HUB_LINK_TEXT = "← Semua laporan / All reports"
"""The back link on report pages, the deck and the brief (both languages: those pages are
made by templates that do not know the catalog)."""

_WORDS = {
    "title": ("Laporan Kabupaten Batang", "Kabupaten Batang reports"),
    "intro": ("Halaman awal: semua yang telah dibuat di folder ini.",
              "Start page: everything made in this folder."),
    "opd": ("Laporan per OPD (indeks)", "Reports per OPD (index)"),
    "pemda": ("Laporan per kabupaten/kota (indeks)", "Reports per kab/kota (index)"),
    "deck": ("Dek presentasi", "Slide deck"),
    "brief": ("Ringkasan satu halaman", "One-page brief"),
    "notebooks": ("Notebook yang telah dijalankan", "Executed notebooks"),
    "missing": ("Belum dibuat", "Not rendered yet"),
    "made": ("Dibuat", "Made"),
}


def _w(key: str) -> str:
    return " / ".join(_WORDS[key])


def _a(href: str, text: str) -> str:
    return f'<a href="{html.escape(href)}">{html.escape(text)}</a>'


def build_hub(root: str | Path) -> str:
    """The start page for the folder ``root`` (what exists there, relative links)."""
    root = Path(root)
    items: list[str] = []
    missing: list[str] = []

    def entry(label: str, links: list[str], how: str) -> None:
        if links:
            items.append(f"<li><b>{html.escape(label)}</b>: {' · '.join(links)}</li>")
        else:
            missing.append(f"<li>{html.escape(label)}: <code>{html.escape(how)}</code></li>")

    entry(_w("opd"), [_a("opd/index.html", "opd/index.html")]
          if (root / "opd" / "index.html").is_file() else [], "make reports")
    entry(_w("pemda"), [_a("pemda/index.html", "pemda/index.html")]
          if (root / "pemda" / "index.html").is_file() else [], "make peers")
    for key in ("deck", "brief"):
        links = []
        for lang in ("id", "en"):
            for ext in ("html", "pdf"):
                name = f"{key}.{lang}.{ext}"
                if (root / name).is_file():
                    links.append(_a(name, name))
        entry(_w(key), links, "make present  (PRESENT_LANG=en|all)")
    nbs = sorted(p.relative_to(root).as_posix() for p in (root / "notebooks").glob("*.html")) \
        if (root / "notebooks").is_dir() else []
    entry(_w("notebooks"), [_a(n, Path(n).stem) for n in nbs],
          "no make target writes them here: make lab runs them in JupyterLab; "
          "jupyter nbconvert --to html --execute --output-dir reports/notebooks "
          "notebooks/<name>.ipynb saves one")
    made = _dt.datetime.now().isoformat(timespec="seconds")
    missing_html = (f"<h2>{html.escape(_w('missing'))}</h2><ul>{''.join(missing)}</ul>"
                    if missing else "")
    return ("<!DOCTYPE html>\n<html lang=\"id\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(_w('title'))}</title><style>"
            "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
            "max-width:50rem;margin:2rem auto;padding:0 1rem;color:#1d2327;line-height:1.5}"
            "h1{font-size:1.5rem}h2{font-size:1.1rem;margin-top:1.5rem}li{margin:.4rem 0}"
            "code{background:#f3f4f6;padding:0 .25rem}.meta{color:#555}"
            "</style></head><body>"
            f"<h1>{html.escape(_w('title'))}</h1><p class=\"meta\">{html.escape(_w('intro'))} "
            f"{html.escape(_w('made'))}: {made}.</p>"
            f"<ul>{''.join(items)}</ul>{missing_html}</body></html>\n")


def write_hub(root: str | Path | None = None) -> Path:
    """Write ``<root>/index.html`` (default: the project's reports/) and return its path."""
    root = Path(root) if root else config.reports_dir()
    root.mkdir(parents=True, exist_ok=True)
    path = root / HUB
    store.atomic_write(path, build_hub(root))
    return path


def write_hub_if_project(out_dir: str | Path) -> Path | None:
    """Refresh the start page when ``out_dir`` is the project's reports/ folder or one of its
    sub-folders (reports/opd, reports/pemda); another ``--out`` is left alone."""
    out = Path(out_dir).expanduser().resolve()
    root = config.reports_dir().resolve()
    if out == root or out.parent == root:
        return write_hub(root)
    return None


def register_cli(subparsers) -> None:
    p = subparsers.add_parser("hub", help="write reports/index.html, the start page linking "
                              "every report index, the deck, the brief and the notebooks")
    p.add_argument("--out", default=None, help="reports folder (default: reports/)")
    p.set_defaults(func=lambda args: print(write_hub(args.out)) or 0)
