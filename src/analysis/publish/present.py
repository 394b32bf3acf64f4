"""Presenting findings: the ``present`` command, which writes the slide deck, the publication
figures and the one-page brief, id or en.

``python -m analysis present [--lang id|en] [--out reports/]`` (and ``make present``) writes::

    reports/figures/NN-<what>.<lang>.png / .svg   every headline figure, 300 dpi PNG and SVG
    reports/figures/captions.<lang>.md            caption, data kind and source of each figure
    reports/deck.<lang>.html                      the slide deck (one self-contained file)
    reports/brief.<lang>.html / .pdf              the one-page brief for the regent (A4)
    reports/present.<lang>.json                   what was written, timings, PDF page count

What the deck and the brief show is computed in :mod:`analysis.publish.findings` (numbers and
sentences, from the processed tables the build wrote; nothing is refitted), drawn in
:mod:`analysis.publish.deck_figures` and laid out in :mod:`analysis.publish.deck` and
:mod:`analysis.publish.brief`. The two notebook templates in ``notebooks/presentation/`` are
thin: parameters, a validation cell, then one call per slide or section.

The PDF of the brief is printed by headless Chromium (``--print-to-pdf``). Without a browser the
HTML is still written, the command says that the PDF needs Chromium and exits with status 3
(``--no-pdf`` skips the PDF on purpose and exits 0).
"""

from __future__ import annotations

import datetime as _dt
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from analysis import config
from analysis.data import store
from analysis.narrative.catalog import LANGS
from analysis.publish import brief, deck, deck_figures
from analysis.publish.findings import (
    DEFAULT_CUT_PCT,
    DEFAULT_SCENARIO_UNIT,
    PresentParameterError,
    load,
    t,
    validate_params,
)
from analysis.publish.pagefit import CHROMIUM_NAMES, find_chromium  # noqa: F401 (part of present's API)

__all__ = ["PresentParameterError", "PresentResult", "clean_notebook", "find_chromium", "load",
           "pdf_pages", "present", "register_cli", "run_template", "validate_params"]

# exit statuses of the command
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NO_PDF = 0, 1, 2, 3

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-pdf-header-footer")
def clean_notebook(nb):
    """Keep only what the audience sees: drop cells tagged ``remove_cell`` and code cells with
    no output left, and take stream output (warnings, prints) out of the page. Returns the
    notebook and the stream texts, which the command prints as warnings."""
    import nbformat

    nb = nbformat.from_dict(nb)
    streams, cells = [], []
    for cell in nb.cells:
        if "remove_cell" in cell.get("metadata", {}).get("tags", []):
            continue
        if cell.cell_type == "code":
            keep = []
            for o in cell.get("outputs", []):
                if o.get("output_type") == "stream":
                    streams.append(str(o.get("text", "")))
                else:
                    keep.append(o)
            cell.outputs = keep
            if not keep:
                continue
        cells.append(cell)
    nb.cells = cells
    return nb, streams


def run_template(template: Path, parameters: dict, kernel_name: str, timeout: int = 120):
    """Execute a template notebook with papermill (no .ipynb written) and return it."""
    import nbformat
    import papermill as pm

    from analysis.publish.kernel import BATCH_KERNEL_ARGS

    nb = nbformat.read(template, as_version=4)
    return pm.execute_notebook(nb, None, parameters=parameters, kernel_name=kernel_name,
                               progress_bar=False, request_save_on_cell_execute=False,
                               start_timeout=60, execution_timeout=timeout,
                               shutdown_kernel="immediate",
                               extra_arguments=list(BATCH_KERNEL_ARGS))


# =================================================================================================
# PDF with headless Chromium
# =================================================================================================

def pdf_pages(path: str | Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(path)).pages)


def print_pdf(html_path: Path, pdf_path: Path, chromium: str, timeout: int = 60) -> None:
    """Print ``html_path`` to ``pdf_path`` with headless Chromium (fresh profile, no network
    services, no header or footer)."""
    with tempfile.TemporaryDirectory(prefix="batang-chromium-") as profile:
        cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
               f"--print-to-pdf={pdf_path}", Path(html_path).resolve().as_uri()]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if not pdf_path.is_file() or pdf_path.stat().st_size == 0:
        raise RuntimeError(f"chromium did not write {pdf_path} (exit {proc.returncode}): "
                           f"{proc.stderr.strip()[-500:]}")


def brief_pdf(html_text: str, pdf_path: Path, chromium: str) -> tuple[int, float | None, dict]:
    """Print the brief on A4. The page fits itself (``templates/brief.js``: the largest font
    scale from 1 down to 0.76 at which its content is one A4 page high; nothing is hidden), so
    one print is enough; a page still too long prints on two sheets and the page count says
    so. Returns (pages, scale the page chose, text coverage of the PDF): ``coverage`` is the
    share of the HTML's words that ``pdftotext`` finds in the PDF, ``missing`` the words
    not found (:mod:`analysis.publish.pagefit`; ``{"error": ...}`` without poppler-utils)."""
    from analysis.publish import pagefit

    with tempfile.TemporaryDirectory(prefix="batang-brief-") as tmp:
        src = Path(tmp) / "brief.html"
        src.write_text(html_text, encoding="utf-8")
        out = Path(tmp) / "brief.pdf"
        print_pdf(src, out, chromium)
        pages = pdf_pages(out)
        try:
            cov = pagefit.brief_text_coverage(src, out, chromium)
            scale = float(cov.pop("scale") or 1)
        except (RuntimeError, OSError, ValueError, subprocess.SubprocessError) as exc:
            cov, scale = {"error": str(exc)}, None
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        store.atomic_write(pdf_path, out.read_bytes())
    return pages, scale, cov


# =================================================================================================
# the command
# =================================================================================================

def templates_dir() -> Path:
    return config.notebooks_dir() / "presentation"


@dataclass
class PresentResult:
    out_dir: Path
    lang: str
    files: list[str] = field(default_factory=list)
    figures: list[dict] = field(default_factory=list)
    pdf_pages: int | None = None
    pdf_scale: float | None = None
    pdf_coverage: dict | None = None
    pdf_error: str | None = None
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def exit_status(self) -> int:
        return EXIT_NO_PDF if self.pdf_error else EXIT_OK


def present(out_dir: str | Path | None = None, lang: str = "id",
            data_dir: str | Path | None = None, pdf: bool = True,
            scenario_cut_pct: float = DEFAULT_CUT_PCT,
            scenario_unit: str = DEFAULT_SCENARIO_UNIT, chromium: str | None = None,
            kernel_name: str | None = None, timeout: int = 120) -> PresentResult:
    """Render figures, deck and brief (HTML + PDF) into ``out_dir`` (default reports/).

    Raises PresentParameterError / store.NotBuiltError before writing anything when a parameter
    is wrong or the data is not built; a failing template raises papermill's error.
    """
    import matplotlib

    matplotlib.use("Agg")
    from analysis.publish.kernel import DEFAULT_KERNEL_NAME, ensure_kernel

    t0 = time.perf_counter()
    out = Path(out_dir) if out_dir else config.reports_dir()
    out = out.expanduser().resolve()
    data = Path(data_dir).expanduser().resolve() if data_dir else config.data_dir()
    res = load(data, lang, scenario_cut_pct, scenario_unit)
    result = PresentResult(out, lang)
    kernel_name = kernel_name or DEFAULT_KERNEL_NAME
    ensure_kernel(kernel_name)
    params = {"lang": lang, "data_dir": str(data), "scenario_cut_pct": res.scenario_cut_pct,
              "scenario_unit": res.scenario_unit}

    # the two notebooks run in a second process while this one draws the figures
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        fut_deck = pool.submit(run_template, templates_dir() / "deck.ipynb", params,
                               kernel_name, timeout)
        fut_brief = pool.submit(run_template, templates_dir() / "brief.ipynb",
                                {"lang": lang, "data_dir": str(data), "rows": brief.BRIEF_ROWS},
                                kernel_name, timeout)
        t1 = time.perf_counter()
        result.figures = deck_figures.export_figures(res, out / "figures")
        result.seconds["figures"] = round(time.perf_counter() - t1, 2)
        deck_nb, brief_nb = fut_deck.result(), fut_brief.result()
    result.seconds["notebooks"] = round(time.perf_counter() - t1, 2)
    for rec in result.figures:
        result.files += [f"figures/{f}" for f in rec["files"]]
    result.files.append(f"figures/captions.{lang}.md")

    t2 = time.perf_counter()
    deck_nb, s1 = clean_notebook(deck_nb)
    brief_nb, s2 = clean_notebook(brief_nb)
    result.warnings += [s.strip() for s in s1 + s2 if s.strip()]
    deck_html = deck.deck_to_html(deck_nb, t("deck_title", lang), lang)
    brief_page = brief.brief_to_html(brief_nb, t("brief_title", lang), lang)
    out.mkdir(parents=True, exist_ok=True)
    store.atomic_write(out / f"deck.{lang}.html", deck_html)
    store.atomic_write(out / f"brief.{lang}.html", brief_page)
    result.files += [f"deck.{lang}.html", f"brief.{lang}.html"]
    result.seconds["html"] = round(time.perf_counter() - t2, 2)

    if pdf:
        t3 = time.perf_counter()
        browser = find_chromium(chromium)
        pdf_path = out / f"brief.{lang}.pdf"
        if browser is None:
            result.pdf_error = ("the PDF of the brief needs Chromium (or Chrome), which was not "
                                "found: install it (Debian/Ubuntu: apt-get install chromium), "
                                "point BATANG_CHROMIUM or --chromium at it, or pass --no-pdf. "
                                f"The HTML brief is at {out / f'brief.{lang}.html'}; printing "
                                "it from any browser on A4 gives one page too.")
        else:
            try:
                result.pdf_pages, result.pdf_scale, result.pdf_coverage = brief_pdf(
                    brief_page, pdf_path, browser)
                result.files.append(pdf_path.name)
                if result.pdf_pages != 1:
                    result.warnings.append(f"the brief PDF has {result.pdf_pages} pages, not 1: "
                                           "its content is too long for one A4 page even at "
                                           "the smallest font scale; shorten it")
                missing = (result.pdf_coverage or {}).get("missing")
                if missing:
                    result.warnings.append(f"words of the brief missing from its PDF: "
                                           f"{sorted(missing)[:20]}")
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
                result.pdf_error = f"printing the PDF failed: {exc}"
        result.seconds["pdf"] = round(time.perf_counter() - t3, 2)
    result.seconds["total"] = round(time.perf_counter() - t0, 2)
    manifest = {"lang": lang, "dataset": res.dataset, "data_dir": str(data),
                "scenario": {"unit": res.scenario_unit, "cut_pct": res.scenario_cut_pct},
                "files": result.files, "figures": result.figures,
                "pdf_pages": result.pdf_pages, "pdf_scale": result.pdf_scale,
                "pdf_coverage": result.pdf_coverage,
                "pdf_error": result.pdf_error, "warnings": result.warnings,
                "seconds": result.seconds,
                "generated": _dt.datetime.now().isoformat(timespec="seconds")}
    store.atomic_write(out / f"present.{lang}.json", json.dumps(manifest, indent=2,
                                                                ensure_ascii=False))
    from analysis.publish import hub

    hub.write_hub_if_project(out)   # reports/index.html, the start page
    return result


def _cli_present(args) -> int:
    langs = list(LANGS) if args.lang == "all" else [args.lang]
    status = EXIT_OK
    for lang in langs:
        try:
            r = present(args.out, lang, args.data_dir, pdf=not args.no_pdf,
                        scenario_cut_pct=args.cut, scenario_unit=args.unit,
                        chromium=args.chromium, timeout=args.timeout)
        except (PresentParameterError, store.NotBuiltError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except Exception as exc:  # noqa: BLE001 - a template failure: say where, exit 1
            print(f"error: presentation ({lang}) failed: {type(exc).__name__}: {exc}",
                  file=sys.stderr)
            return EXIT_FAILED
        n_fig = sum(1 for f in r.figures if f.get("files"))
        pdf_txt = (f", brief PDF {r.pdf_pages} page(s)" if r.pdf_pages is not None else "")
        print(f"[{lang}] deck, brief{pdf_txt} and {n_fig} figures (PNG+SVG) in "
              f"{r.seconds['total']:.1f} s -> {r.out_dir}")
        for w in r.warnings:
            print(f"  warning: {w}", file=sys.stderr)
        if r.pdf_error:
            print(f"  NO PDF: {r.pdf_error}", file=sys.stderr)
            status = max(status, r.exit_status)
    return status


def register_cli(subparsers) -> None:
    p = subparsers.add_parser(
        "present", help="render the slide deck, publication figures and one-page brief",
        description="Write reports/deck.<lang>.html (offline slide deck), reports/figures/ "
        "(PNG 300 dpi + SVG), reports/brief.<lang>.html and .pdf (one A4 page, via headless "
        "Chromium) and reports/present.<lang>.json. Exit status: 0 ok, 1 a template failed, "
        "2 bad parameter or data not built, 3 everything but the PDF was written (no Chromium "
        "or printing failed; --no-pdf avoids this).")
    p.add_argument("--lang", choices=[*LANGS, "all"], default="id",
                   help="language: id (default), en, or all")
    p.add_argument("--out", default=None,
                   help=f"output folder (default: {config.reports_dir()})")
    p.add_argument("--data-dir", default=None, help="data folder (default: config.data_dir())")
    p.add_argument("--no-pdf", action="store_true", help="skip the PDF of the brief")
    p.add_argument("--no-refit", action="store_true",
                   help="do not refit the models an import deferred first: the deck and the "
                        "brief then say their model results are older than the data")
    p.add_argument("--chromium", default=None,
                   help="browser executable for the PDF (default: $BATANG_CHROMIUM or chromium "
                   "on the PATH)")
    p.add_argument("--cut", type=float, default=DEFAULT_CUT_PCT,
                   help=f"scenario: next year's cut in percent (default {DEFAULT_CUT_PCT:g})")
    p.add_argument("--unit", default=DEFAULT_SCENARIO_UNIT,
                   help=f"scenario: the OPD whose baseline is shown (default "
                   f"{DEFAULT_SCENARIO_UNIT})")
    p.add_argument("--timeout", type=int, default=120, help="per-cell timeout in seconds")
    p.set_defaults(func=_cli_present)
