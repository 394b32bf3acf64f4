"""Do the deck and the brief fit their pages? Measured in a real browser (headless Chromium).

* :func:`measure_deck` opens the deck at a window size, shows every slide in turn and reads,
  for each, the section's ``scrollHeight``/``scrollWidth`` against its box, the elements that
  clip their content (``overflow`` not visible and more content than box) and the elements
  drawn outside the slide (below or right of its content box, above or left of its edge). A slide fits when none of these is true.
* :func:`brief_text_coverage` compares the words of the brief's HTML (its visible text, read
  from the DOM) with the words ``pdftotext`` finds in its PDF: every word of the page must be
  in the PDF (a clipped page loses words).

The measuring script is added to a temporary copy of the page and writes its results as JSON
into the DOM, which ``--dump-dom`` prints; nothing is downloaded and the page itself is not
changed. Used by ``tests/test_pagefit.py`` (CI) and by the ``present`` command, which records
the brief's coverage in ``present.<lang>.json``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

DECK_SIZES = ((1280, 720), (1400, 788), (1920, 1080))
"""Window sizes every slide must fit (a laptop, a 16:9 projector, full HD)."""

BROWSER_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                 "--force-device-scale-factor=1")

_MARK = "batang-fit-result"

_DECK_JS = """
<script>(function(){
 function run(){
  var secs=[].slice.call(document.querySelectorAll('.slides > section'));
  var out=[];
  secs.forEach(function(s,k){
   secs.forEach(function(e){e.classList.toggle('present',e===s);});
   if(window.batangFit)window.batangFit(s);
   var r=s.getBoundingClientRect();
   var inner=s.querySelector('.slide-inner'), ir=inner?inner.getBoundingClientRect():r;
   var rec={slide:k+1,scrollHeight:s.scrollHeight,clientHeight:s.clientHeight,
            scrollWidth:s.scrollWidth,clientWidth:s.clientWidth,
            fontScale:parseFloat(s.dataset.fitScale||'1'),clipped:[],outside:[]};
   s.querySelectorAll('*').forEach(function(el){
    var cs=getComputedStyle(el);
    if(cs.display==='none'||cs.visibility==='hidden')return;
    var what=(el.tagName.toLowerCase()+(el.className&&el.className.baseVal===undefined?
              '.'+String(el.className).trim().split(/\\s+/).join('.'):'')+' "'+
              (el.textContent||el.alt||'').trim().slice(0,40)+'"');
    if((cs.overflowY!=='visible'&&el.scrollHeight>el.clientHeight+1)||
       (cs.overflowX!=='visible'&&el.scrollWidth>el.clientWidth+1))rec.clipped.push(what);
    var b=el.getBoundingClientRect();
    if(b.width>0&&b.height>0&&(b.bottom>ir.bottom+1||b.right>ir.right+1||b.top<r.top-1||
       b.left<r.left-1))rec.outside.push(what);
   });
   out.push(rec);
  });
  var pre=document.createElement('pre');pre.id='@MARK@';pre.textContent=JSON.stringify(out);
  document.body.appendChild(pre);
 }
 if(document.readyState==='complete')setTimeout(run,50);
 else window.addEventListener('load',function(){setTimeout(run,50);});
})();</script>
""".replace("@MARK@", _MARK)

_TEXT_JS = """
<script>window.addEventListener('load',function(){setTimeout(function(){
 var root=document.querySelector('.page')||document.body;
 var pre=document.createElement('pre');pre.id='@MARK@';
 pre.textContent=JSON.stringify({text:root.innerText,
   scale:getComputedStyle(document.documentElement).getPropertyValue('--s').trim()});
 document.body.appendChild(pre);},50);});</script>
""".replace("@MARK@", _MARK)


CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium(explicit: str | None = None) -> str | None:
    """The browser to print with: ``explicit``, ``$BATANG_CHROMIUM``, else the first of
    chromium / chromium-browser / google-chrome on the PATH."""
    for cand in (explicit, os.environ.get("BATANG_CHROMIUM")):
        if cand:
            found = shutil.which(cand) or (cand if Path(cand).is_file() else None)
            if found:
                return found
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def find_browser() -> str | None:
    return find_chromium()


def _run_with_script(html_path: Path, script: str, size: tuple[int, int], browser: str,
                     timeout: int = 90) -> str:
    page = Path(html_path).read_text(encoding="utf-8")
    page = page.replace("</body>", script + "</body>", 1) if "</body>" in page \
        else page + script
    with tempfile.TemporaryDirectory(prefix="batang-fit-") as tmp:
        src = Path(tmp) / Path(html_path).name
        src.write_text(page, encoding="utf-8")
        cmd = [browser, *BROWSER_FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}",
               f"--window-size={size[0]},{size[1]}", "--virtual-time-budget=5000",
               "--dump-dom", src.resolve().as_uri()]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    m = re.search(rf'<pre id="{_MARK}">(.*?)</pre>', proc.stdout, re.S)
    if not m:
        raise RuntimeError(f"the measuring script wrote nothing (exit {proc.returncode}): "
                           f"{proc.stderr.strip()[-400:]}")
    import html as _html

    return _html.unescape(m.group(1))


def measure_deck(html_path: str | Path, size: tuple[int, int], browser: str | None = None
                 ) -> list[dict]:
    """Every slide of the deck at window ``size``: one dict per slide with its scroll and
    client sizes, ``fontScale`` (the deck's own fit, 1 = none), ``clipped`` and ``outside``
    (descriptions of the elements that clip or leave the slide) and ``fits``."""
    browser = browser or find_browser()
    if not browser:
        raise RuntimeError("no Chromium to measure with")
    rows = json.loads(_run_with_script(Path(html_path), _DECK_JS, size, browser))
    for r in rows:
        r["size"] = f"{size[0]}x{size[1]}"
        r["fits"] = (r["scrollHeight"] <= r["clientHeight"] + 1
                     and r["scrollWidth"] <= r["clientWidth"] + 1
                     and not r["clipped"] and not r["outside"])
    return rows


def overflowing_slides(html_path: str | Path, sizes=DECK_SIZES, browser: str | None = None
                       ) -> list[dict]:
    """The slides that do not fit, at every size of ``sizes`` (empty: all fit)."""
    return [r for size in sizes for r in measure_deck(html_path, size, browser)
            if not r["fits"]]


_WORD = re.compile(r"[^\W_]+", re.U)


def words(text: str) -> Counter:
    """The words of a text (letters and digits; case-folded), counted. Hyphenation or line
    breaks in a PDF split no word here: soft hyphens are dropped first."""
    text = text.replace("\u00ad", "")
    return Counter(w.casefold() for w in _WORD.findall(text))


def page_text(html_path: str | Path, browser: str | None = None) -> tuple[str, str]:
    """The visible text of a page's ``.page`` element (else its body) and its ``--s`` font
    scale, read in the browser."""
    browser = browser or find_browser()
    if not browser:
        raise RuntimeError("no Chromium to read the page with")
    rec = json.loads(_run_with_script(Path(html_path), _TEXT_JS, (1280, 900), browser))
    return rec["text"], rec["scale"]


def pdf_text(pdf_path: str | Path) -> str:
    exe = shutil.which("pdftotext")
    if not exe:
        raise RuntimeError("pdftotext (poppler-utils) is not installed")
    proc = subprocess.run([exe, "-layout", str(pdf_path), "-"], capture_output=True,
                          text=True, timeout=60, check=True)
    return proc.stdout


def brief_text_coverage(html_path: str | Path, pdf_path: str | Path,
                        browser: str | None = None) -> dict:
    """How much of the brief's visible HTML text is in its PDF: ``coverage`` (share of the
    HTML's words, counted with repeats, found in the PDF), ``missing`` (the words not found,
    with how many times each), ``scale`` (the page's ``--s``)."""
    text, scale = page_text(html_path, browser)
    want = words(text)
    have = words(pdf_text(pdf_path))
    missing = Counter({w: n - have.get(w, 0) for w, n in want.items() if have.get(w, 0) < n})
    total = sum(want.values())
    return {"coverage": 1 - sum(missing.values()) / total if total else 1.0,
            "missing": dict(missing), "words": total, "scale": scale}
