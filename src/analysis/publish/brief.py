"""The one-page brief for the regent: title; first what is real and about Batang (its audited
2020 cut, spending path, standing, the national 2020 answer: :mod:`analysis.publish.real_evidence`);
then the per-office findings (five generated sentences with their intervals and both ends of the
resilience ranking), under the SIMULATED banner and a lead that says what they are while no
office file is imported; and the conversion of the executed
``notebooks/presentation/brief.ipynb`` to an A4 HTML page.

The brief is ``templates/brief.html.j2`` (autoescape), its words from the catalog, its
sentences from :mod:`analysis.publish.findings`.
"""

from __future__ import annotations

import datetime as _dt

import pandas as pd

from analysis.narrative import fmt, sentences
from analysis.publish import findings, markup, real_evidence, versions
from analysis.publish.findings import Results, t

BRIEF_ROWS = 5
"""OPDs shown at each end of the resilience table of the brief."""


def brief_html(res: Results, rows: int = BRIEF_ROWS) -> str:
    """The whole one-page brief: title, banner, five findings, resilience table, footnote
    (ending with the versions the tables and the page were made with)."""
    lang = res.lang
    p = res.panel
    context = {"lang": lang, "years": f"{int(p['year'].min())}–{int(p['year'].max())}",
               "made": f"{t('made', lang)} {_dt.date.today().isoformat()}",
               "banner": markup.models_older(lang, res.models_older)
               + (markup.banner(lang, note=t("brief.sim_note", lang)) if res.simulated else ""),
               "findings": findings.findings(res), "family": findings.family(res),
               "simulated": res.simulated,
               "versions": versions.made_with(res.data_dir, lang)}
    context.update(real_context(res))
    context.update(resilience_tables(res, rows))
    return str(markup.render("brief.html.j2", **context))


def real_context(res: Results) -> dict:
    """The brief's first part, what is real and about Batang
    (:mod:`analysis.publish.real_evidence`): ``real`` (plain-words points, the national one
    apart) and ``real_foot``; empty when the national tables are not built."""
    ev = real_evidence.load(res.data_dir, res.lang)
    if ev is None:
        return {"real": [], "real_national": None, "real_foot": ""}
    pts = real_evidence.points(ev)
    return {"real": [p for p in pts if p["key"] != "national"],
            "real_national": next((p for p in pts if p["key"] == "national"), None),
            "real_foot": real_evidence.footnote(ev)}


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def resilience_tables(res: Results, rows: int = BRIEF_ROWS) -> dict:
    """Both ends of the innovation-resilience ranking, each OPD with its difference from the
    counterfactual, its 95 % rank interval and its verdict; the intro says how far the ranks
    can be told apart (never "best"/"worst" where rank intervals overlap). Returns the
    template's context: ``intro`` and ``tables`` [(caption, rows)], or ``tables=None`` when no
    OPD can be scored or innovations cannot be ranked (the ledger's recovery rule): the
    resilience finding then says so with the number, and the section says how offices are
    judged."""
    lang = res.lang
    r = findings.resilience_frame(res, "innovations")
    if r.empty or not sentences.is_rankable(r):
        return {"tables": None, "intro": ""}
    ikm = findings.resilience_frame(res, "ikm").set_index("unit_id")
    n_clear = int((r["above"] | r["below"]).sum())
    names = dict(zip(r["unit_id"], r["name"], strict=True))
    intro = (t("brief.intro", lang, n=len(r), n_clear=n_clear)
             + _cap(sentences.ranking_words(r, lang, names)))

    def cells(part: pd.DataFrame) -> list[dict]:
        out = []
        for x in part.itertuples():
            ik = ikm.loc[x.unit_id] if x.unit_id in ikm.index else None
            ikm_txt = (f"{fmt.signed(ik['effect'], lang, 2)} [{fmt.signed(ik['ci_low'], lang, 1)}; "
                       f"{fmt.signed(ik['ci_high'], lang, 1)}]" if ik is not None else fmt.MISSING)
            rk = (f"{int(x.rank)} ({int(x.rank_low)}–{int(x.rank_high)})"
                  if not pd.isna(x.rank_low) else str(int(x.rank)))
            out.append({"rank": rk, "name": x.name,
                        "innov": f"{fmt.signed(x.effect, lang, 2)} [{fmt.signed(x.ci_low, lang, 1)}; "
                                 f"{fmt.signed(x.ci_high, lang, 1)}] "
                                 f"{sentences.verdict(x.verdict, lang, short=True)}",
                        "ikm": ikm_txt})
        return out

    n = min(rows, len(r) // 2) or 1
    return {"intro": intro,
            "tables": [(t("most", lang), cells(r.head(n))),
                       (t("least", lang), cells(r.tail(n).iloc[::-1]))]}


def brief_to_html(nb, title: str, lang: str = "id") -> str:
    """An executed brief notebook as one HTML page (A4 when printed)."""
    from nbconvert import HTMLExporter

    from analysis.publish.html import nbconvert_loader

    exp = HTMLExporter(exclude_input=True, exclude_output_prompt=True,
                       exclude_input_prompt=True,
                       extra_loaders=[nbconvert_loader()],  # templates/nbconvert/
                       template_file="batang_brief.html.j2")
    exp.language_code = lang
    body, _ = exp.from_notebook_node(nb, resources={"metadata": {"name": title},
                                                    "batang_css": markup.asset("brief.css"),
                                                    "batang_js": markup.asset("brief.js")})
    return body
