"""Bilingual labels for every measure and term: a thin view of the word catalog.

The words themselves live in the catalog (:mod:`analysis.narrative.catalog`, file
``words/terms.toml``); :func:`label` is the short form the figures, tables and notebooks use
for a plain term key (the word used in the data: ``murni``, ``uji_coba``, ``ikm``).

>>> label("dlog_budget")
'Perubahan anggaran (log)'
>>> label("dlog_budget", "en")
'Budget change (log)'
"""

from __future__ import annotations

from analysis.narrative import catalog
from analysis.narrative.catalog import LANGS, check_lang

__all__ = ["DEFAULT_LANG", "LABELS", "LANGS", "check_lang", "has_label", "label"]

DEFAULT_LANG = LANGS[0]

_MISSING = object()

LABELS: dict[str, dict[str, str]] = {k: v for k, v in catalog.entries().items()
                                     if catalog.source(k) == "terms.toml" and "." not in k}
"""The plain term keys (``words/terms.toml``), ``{key: {"id": ..., "en": ...}}``: a read-only
copy kept for callers that list the terms; edit the TOML file, not this dict."""


def label(key: str, lang: str = DEFAULT_LANG, default: object = _MISSING) -> str:
    """The label of ``key`` (any catalog key) in ``lang``.

    An unknown key raises KeyError naming it, unless ``default`` is given (then ``default`` is
    returned; pass ``default=key`` to fall back to the raw key, e.g. for category values that
    have no label).
    """
    check_lang(lang)
    if not catalog.has(key):
        if default is not _MISSING:
            return default  # type: ignore[return-value]
        return catalog.text(key, lang)  # raises KeyError naming the key and the catalog
    return catalog.text(key, lang)


def has_label(key: object) -> bool:
    """Whether ``key`` has a label."""
    return catalog.has(key)
