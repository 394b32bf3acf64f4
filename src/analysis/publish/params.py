"""The one parameter validator core of the notebooks, the reports and the presentation.

Every ``validate_params`` of the package (:func:`analysis.publish.explore.validate_params` for
the research notebooks, :func:`analysis.publish.peers.validate_params` for notebook 6.0 and the
pemda reports, :func:`analysis.publish.opd_report.validate_params` for the OPD reports and
:func:`analysis.publish.findings.validate_params` for the deck and the brief) keeps its own
signature and checks its parameters with these functions, so one kind of parameter is refused
with one message everywhere:

- :func:`check_lang`: ``unknown language 'fr'; allowed: id, en``;
- :func:`check_known` (a region, a unit id, a scope, a peer group): ``unknown unit 'dinkesz'
  (did you mean dinkes?); allowed: ...``;
- :func:`check_years`: ``years must be [first, last], e.g. [2016, 2024]; got 2020``, ``years
  must be increasing ([first, last]); got ...``, ``unknown year(s) in [2010, 2024]: the OPD x
  year panel has years 2016–2024; allowed: any [first, last] within 2016–2024``;
- :func:`check_percent`, :func:`check_whole`: numeric ranges (``cut_pct must be a percentage
  between -100 and 100, not 0 ...``, ``top_n must be a whole number from 1 to 44; got 0``).

Each raises :class:`ParameterError` (a ``ValueError``) or the subclass the caller passes as
``error`` (``ReportParameterError``, ``PresentParameterError``: their names are what a failed
report or deck shows).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Sequence

from analysis.narrative.labels import LANGS


class ParameterError(ValueError):
    """A parameter is invalid; the message names it and lists what is allowed."""


def allowed(values: Iterable[object], limit: int = 60) -> str:
    """The allowed values as a comma-separated list (the first ``limit``, then how many more)."""
    vals = [str(v) for v in values]
    more = f", … ({len(vals) - limit} more)" if len(vals) > limit else ""
    return ", ".join(vals[:limit]) + more


def check_lang(lang: str, error: type[ParameterError] = ParameterError) -> str:
    """``lang`` if it is a language of the catalog."""
    if lang not in LANGS:
        raise error(f"unknown language {lang!r}; allowed: {allowed(LANGS)}")
    return lang


def check_known(value, known: Sequence, what: str, *, suggest: bool = True,
                tail: str | None = None, error: type[ParameterError] = ParameterError):
    """``value`` if it is one of ``known``; else ``unknown <what> <value>``, the close matches
    (``suggest``) and ``tail`` (default: ``; allowed: <known>``)."""
    if value in known:
        return value
    close = difflib.get_close_matches(str(value), [str(k) for k in known], n=3) \
        if suggest else []
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    rest = f"; allowed: {allowed(known)}" if tail is None else tail
    raise error(f"unknown {what} {value!r}{hint}{rest}")


def check_years(years, lo: int, hi: int, what: str, *, min_years: int = 1,
                rule: str = "allowed: any [first, last]",
                error: type[ParameterError] = ParameterError) -> tuple[int, int]:
    """``(first, last)`` from ``years``: two whole years, increasing, spanning at least
    ``min_years`` years, within ``lo``–``hi`` (the years ``what`` has). ``rule`` says what is
    allowed (followed by ``within lo–hi``)."""
    try:
        y0, y1 = (int(y) for y in years)
    except (TypeError, ValueError):
        raise error(f"years must be [first, last], e.g. [{lo}, {hi}]; got {years!r}") from None
    if y0 > y1:
        raise error(f"years must be increasing ([first, last]); got {years!r}")
    if y0 < lo or y1 > hi:
        raise error(f"unknown year(s) in {years!r}: {what} has years {lo}–{hi}; {rule} "
                    f"within {lo}–{hi}")
    if y1 - y0 + 1 < min_years:
        raise error(f"years {years!r}: {rule} within {lo}–{hi}")
    return y0, y1


def check_percent(x, name: str, lo: float, hi: float, *, zero: bool = True, note: str = "",
                  error: type[ParameterError] = ParameterError) -> float:
    """``x`` as a float if it is a number of percent strictly between ``lo`` and ``hi`` (and not
    0 unless ``zero``); ``note`` explains the sign or the meaning in the message."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise error(f"{name} must be a number of percent (e.g. 10 for a 10 % cut); "
                    f"got {x!r}") from None
    if isinstance(x, bool) or not math.isfinite(v) or not lo < v < hi or (v == 0 and not zero):
        nonzero = ", not 0" if not zero and lo < 0 < hi else ""
        raise error(f"{name} must be a percentage between {lo:g} and {hi:g}{nonzero}{note}; "
                    f"got {x!r}")
    return v


def check_whole(x, name: str, lo: int, hi: int,
                error: type[ParameterError] = ParameterError) -> int:
    """``x`` if it is a whole number (not a bool) from ``lo`` to ``hi``."""
    if isinstance(x, bool) or not isinstance(x, int) or not lo <= x <= hi:
        raise error(f"{name} must be a whole number from {lo} to {hi}; got {x!r}")
    return x
