"""The registry of report kinds: what ``render --kind NAME`` renders.

A kind is a papermill template run once per unit, a unit loader (ids, titles, index columns,
banner: an :class:`analysis.publish.index.UnitTable`), a default output folder and the index
page's title. Today:

- ``opd``: one report per OPD and kecamatan (:mod:`analysis.publish.render.opd`);
- ``pemda``: one peer report per kab/kota (:mod:`analysis.publish.pemda_report`).

This is the one module that knows both kinds: the renderer (``batch``, ``cli``) asks the
registry, and :mod:`analysis.publish.pemda_report` imports nothing of the renderer. ``pemda`` (which
imports pandas) is imported only when its kind is used. To add a kind, register it in
:data:`KINDS`; ``--kind`` lists every registered name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from analysis import config
from analysis.publish.index import UnitTable
from analysis.publish.render import opd


@dataclass(frozen=True)
class ReportKind:
    """One kind of report the renderer makes."""

    name: str
    """The ``--kind`` value."""
    template: Callable[[], Path]
    """The papermill template (``--template``'s default)."""
    units: Callable[..., UnitTable]
    """``units(lang=..., data_dir=...)``: the units to render and the index page's columns."""
    out_dir: Callable[[], Path]
    """The output folder (``--out``'s default)."""
    index_title: str = "index.title"
    """Catalog key of the index page's title."""
    index_name: str = "index.name"
    """Catalog key of the index page's name column."""
    highlight: tuple[str, ...] = ()
    """Unit ids whose row the index page highlights (the pemda index: Batang, 3325)."""
    normalize_id: Callable[[str], str] | None = None
    """How an id typed on the command line becomes a unit id (pemda: ``33.25`` -> ``3325``)."""
    id_hint: str = ""
    """What a unit id of this kind looks like, said when one is refused."""
    help: str = ""
    """What ``--help`` says about the kind."""


def _pemda_template() -> Path:
    from analysis.publish import pemda_report

    return pemda_report.pemda_template()


def _pemda_out_dir() -> Path:
    return config.reports_dir() / "pemda"


def _pemda_id(typed: str) -> str:
    """A kab/kota as typed: ``3325`` or its Kemendagri code with the dot, ``33.25``."""
    import re

    typed = typed.strip()
    return typed.replace(".", "") if re.fullmatch(r"\d{2}\.\d{2}", typed) else typed


def _pemda_units(lang: str = "id", data_dir: str | None = None) -> UnitTable:
    from analysis.publish import pemda_report

    return pemda_report.pemda_units(lang=lang, data_dir=data_dir)


KINDS: dict[str, ReportKind] = {
    "opd": ReportKind(
        name="opd", template=opd.default_template, units=opd.load_opd_units,
        out_dir=opd.default_out_dir, help="the per-OPD reports (default)"),
    "pemda": ReportKind(
        name="pemda", template=_pemda_template, units=_pemda_units,
        out_dir=_pemda_out_dir, index_title="index.title_pemda",
        index_name="index.name_pemda", highlight=("3325",), normalize_id=_pemda_id,
        id_hint="a kab/kota is its 4-digit Kemendagri code, with or without the dot "
        "(3325 or 33.25 for Kabupaten Batang); `python -m analysis render --kind pemda` "
        "without --units renders all of them and lists their codes in the index",
        help="one peer report per kab/kota (template notebooks/reports/pemda_report.ipynb, "
        "output reports/pemda/, ids = Kemendagri codes without the dot, e.g. 3325)"),
}
DEFAULT_KIND = "opd"


def get_kind(kind: str | ReportKind = DEFAULT_KIND) -> ReportKind:
    """The registered kind of that name (a :class:`ReportKind` is returned as it is)."""
    if isinstance(kind, ReportKind):
        return kind
    try:
        return KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown report kind {kind!r}: one of {', '.join(KINDS)}") from None


def is_kind_loader(loader: Callable) -> bool:
    """True for the unit loader of a registered kind (the CLI caches only those)."""
    return any(loader is k.units for k in KINDS.values())
