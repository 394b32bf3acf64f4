"""Same pages (issue 24 item 3): the real OPD and pemda templates rendered with the in-process
engine give the HTML a fresh kernel gives, cell by cell, for a sample of units in both
languages. Random ids (cell ids, pandas Styler ids) aside; nothing else is normalised: figures
(PNG bytes), tables, text and the page's metadata must be equal."""

from __future__ import annotations

import re

import pytest

from analysis.publish.render import render_reports
from analysis.publish.render.kinds import get_kind

_IDS = re.compile(r"\b(?:cell-id|id)=\"[^\"]*\"|#T_[0-9a-f_]+|T_[0-9a-f]{5}\w*")


def _cells(html: str) -> list[str]:
    """The page split at its cells (``jp-Cell`` divs), random ids removed."""
    text = _IDS.sub("", html)
    return re.split(r'(?=<div[^>]*class="jp-Cell )', text)


def _sample(kind: str, data_dir, n: int) -> list[str]:
    names = list(get_kind(kind).units(lang="id", data_dir=str(data_dir)).names)
    # spread over the table (first, last, middle): different sizes and peers
    picks = [names[0], names[-1], names[len(names) // 2]]
    return list(dict.fromkeys(picks))[:n]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["opd", "pemda"])
@pytest.mark.parametrize("lang", ["id", "en"])
def test_inprocess_pages_equal_fresh_kernel_pages(built_data_dir, tmp_path, kind, lang):
    ids = _sample(kind, built_data_dir, 2)
    params = {"data_dir": str(built_data_dir), "lang": lang}
    pages = {}
    for engine in ("fresh", "inprocess"):
        # one worker: the second unit runs after the first in the same in-process shell
        res = render_reports(ids, None, tmp_path / engine, parameters=params, workers=1,
                             progress=False, kind=kind, engine=engine)
        assert res.exit_status == 0, [(r["unit_id"], r["ename"], r["evalue"]) for r in res.rows]
        pages[engine] = {u: (tmp_path / engine / f"{u}.html").read_text(encoding="utf-8")
                         for u in ids}
    for uid in ids:
        fresh, mine = _cells(pages["fresh"][uid]), _cells(pages["inprocess"][uid])
        assert len(fresh) > 5 and len(mine) == len(fresh), uid
        for i, (a, b) in enumerate(zip(mine, fresh, strict=True)):
            assert a == b, f"{kind} {uid} ({lang}): cell {i} differs"
