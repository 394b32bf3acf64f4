"""Batch renderer: one HTML report per unit from one parameterized papermill template.

``render_reports`` (and ``python -m analysis render``) runs the template once per unit with
papermill (``unit_id`` plus shared parameters such as ``data_dir`` and ``lang``), converts the
executed notebook to HTML in the same worker process (code cells and prompts hidden, no CDN
scripts), and writes into the output folder:

- ``<unit_id>.html``: one report per unit, written atomically (temp file + ``os.replace``);
- ``<unit_id>.hash``: sidecar with the content hash the report was rendered from;
- ``manifest.json`` and ``manifest.csv``: what ran, how long, what failed and why;
- ``index.html``: links to every report and a summary table sortable in the browser.

Units run in parallel behind one small executor interface (``publish/executors.py``): a local
process pool (default) or a Dask cluster, with the same task function. A failing unit never
stops the batch; only kernel-start failures are retried. By default every report runs in a
fresh kernel; ``warm=True`` (CLI ``--warm``) keeps one kernel per worker
(``publish/engine.py``). See docs/rendering.md for the manifest format and the incremental
rules.

The modules of this package, in the order a run uses them:

=============  ===========================================================================
``kinds``      the registry of report kinds (``--kind opd|pemda``): template, unit loader,
               output folder, index title
``opd``        the ``opd`` kind: its template, output folder and unit loader
``units``      unit ids and their output paths, checked before anything runs
``hashing``    content hashes: data fingerprint, package digest, a report's key
``outdir``     the output folder's lock and the temp files a killed run left
``batch``      ``render_reports``: the run, step by step
``worker``     ``render_unit``: one unit in a worker process (papermill, then HTML)
``manifest``   manifest rows, ``manifest.json``/``.csv`` and the index page
``cli``        the ``render`` command
=============  ===========================================================================

This module re-exports the Python API (``from analysis.publish.render import
render_reports``); everything else is imported from its own module.
"""

from __future__ import annotations

from analysis.publish.index import UnitTable
from analysis.publish.render.batch import RunResult, render_reports
from analysis.publish.render.outdir import RenderLockedError
from analysis.publish.render.units import InvalidUnitError

__all__ = ["InvalidUnitError", "RenderLockedError", "RunResult", "UnitTable", "render_reports"]
