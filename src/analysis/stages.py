"""The declared order of the package's stages: which module may import which.

The package is laid out by stage, and a stage builds only on the stages before it::

    foundation  analysis (the package: __version__), config, stages, narrative/catalog.py (the
                word catalog), narrative/fmt.py (the number formatter), narrative/labels.py
                -- any module may import them; they import only each other
    1 data      raw files in, validated tables out                     analysis.data.*
    2 methods   measures and estimators                                analysis.methods.*
    3 narrative words and numbers as text                              analysis.narrative.*
    4 publish   notebook helpers, figures, reports, rendering          analysis.publish.*
    top         pipeline (the build's steps, in order), cli, __main__  -- may import any stage

A module may import (by an ``import`` statement anywhere in it, relative or absolute, or by a
module name written in a string, e.g. ``"analysis.methods.build_fits:fit_all"`` or
``importlib.import_module("...")``) only modules of its own stage, of an earlier stage, or of
the foundation; no two modules may import each other, directly or round a cycle.
``tests/test_stage_order.py`` checks every module of the package against this table.

This module is the one place the order is written; it imports nothing.
"""

from __future__ import annotations

PACKAGE = "analysis"

FOUNDATION = frozenset({
    "analysis",
    "analysis.config",
    "analysis.stages",
    "analysis.narrative.catalog",
    "analysis.narrative.fmt",
    "analysis.narrative.labels",
})
"""Modules any stage may use: paths and settings, the word catalog, the number formatter."""

STAGES = ("data", "methods", "narrative", "publish")
"""The stages in order: each may import the ones before it (``analysis.<stage>.*``)."""

TOP = frozenset({"analysis.pipeline", "analysis.cli", "analysis.__main__"})
"""Modules above every stage: what runs the stages (the build's steps, the command line)."""

FOUNDATION_RANK = 0
TOP_RANK = len(STAGES) + 1


def rank(module: str) -> int:
    """The place of ``module`` (a dotted name inside the package) in the order: 0 for the
    foundation, 1.. for the stages in :data:`STAGES`, :data:`TOP_RANK` for the top. A module
    that is in none of them raises ValueError (declare it here)."""
    if module in FOUNDATION:
        return FOUNDATION_RANK
    if module in TOP:
        return TOP_RANK
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == PACKAGE and parts[1] in STAGES:
        return STAGES.index(parts[1]) + 1
    raise ValueError(f"module {module!r} has no declared stage: add it to analysis.stages "
                     "(FOUNDATION, STAGES or TOP)")


def stage_name(module: str) -> str:
    """``"foundation"``, the stage (``"data"`` ... ``"publish"``) or ``"top"``."""
    r = rank(module)
    if r == FOUNDATION_RANK:
        return "foundation"
    return "top" if r == TOP_RANK else STAGES[r - 1]


def may_import(importer: str, imported: str) -> bool:
    """Whether ``importer`` may import ``imported``: a foundation module only the foundation,
    any other module its own stage, an earlier stage or the foundation."""
    a, b = rank(importer), rank(imported)
    if a == FOUNDATION_RANK:
        return b == FOUNDATION_RANK
    return b <= a
