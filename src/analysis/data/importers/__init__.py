"""Bring your own data: importers for the regency's real exports.

``python -m analysis import <kind> FILE [FILE...]`` reads CSV or Excel files of one kind,

* ``budget``      SIPD / LRA budget exports          -> ``budget``
* ``innovations`` IID innovation lists               -> ``innovations``
* ``skm``         SKM survey sheets (U1..U9)         -> ``skm_responses``
* ``service``     service indicators, long or wide   -> ``service``
* ``leadership``  heads of units: definitif/Plt/rotasi -> ``leadership``

(national files: ``apbd-kabkota`` / ``apbd-provinsi`` in :mod:`.apbd`, ``iid-pemda`` in
:mod:`.iid_pemda`, kept in ``data/user/national/``)

maps their headers to the canonical columns through a layout mapping
(``analysis/resources/mappings/*.toml``), validates every row (problems name file, sheet,
row, column and value), writes ``data/user/<table>.parquet`` with provenance ``user`` and
rebuilds the processed tables, all or nothing. The rebuild is the whole build, which is declared
above the stages: call :func:`analysis.pipeline.import_files` (it passes ``rebuild=``). See
``docs/importing.md``.
"""

from __future__ import annotations

from analysis.data.importers.cli import register_cli
from analysis.data.importers.mapping import available as available_mappings
from analysis.data.importers.report import Report
from analysis.data.importers.commit import KINDS, REPLACE_KEYS, import_files

__all__ = ["KINDS", "REPLACE_KEYS", "Report", "available_mappings", "import_files",
           "register_cli"]
