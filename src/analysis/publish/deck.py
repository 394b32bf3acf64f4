"""The slide deck: one function per slide (called by ``notebooks/presentation/deck.ipynb``,
one cell per slide) and the conversion of the executed notebook to one offline HTML file.

Slides are HTML fragments from ``templates/deck.html.j2`` (autoescape), their words from the
catalog, their numbers and sentences from :mod:`analysis.publish.findings`, their figures from
:mod:`analysis.publish.deck_figures`. Every slide that shows simulated numbers carries the one
SIMULATED banner (:func:`analysis.publish.markup.banner`); the public-data slide carries the
public badge instead.

The page is made by nbconvert's ``SlidesExporter`` (cells become ``<section>`` elements) with
a template of our own instead of the reveal.js one, whose page loads reveal.js, require.js and
jQuery from a CDN. Ours inlines ``templates/deck.css`` and ``templates/deck.js`` (arrow keys,
space, PageUp/PageDown, Home/End, swipe, ``#3`` addresses a slide, print = one slide per
page), so the deck opens offline. See docs/presenting.md for the reasons.
"""

from __future__ import annotations

import base64
import datetime as _dt
import io as _io

from analysis.narrative import fmt
from analysis.narrative.labels import label
from analysis.publish import deck_figures, findings, markup, real_evidence, versions
from analysis.publish.findings import Results, t


def _m(name: str, *args, **kwargs):
    return markup.macro("deck.html.j2", name, *args, **kwargs)


def fig_img(fig, alt: str = "", dpi: int = 130):
    """A figure as an inline PNG ``<img>`` (data URI: the page needs no other file). Its alt
    text is ``alt``, else the figure's own description (:func:`plots.figure_alt`: label,
    suptitle or axes titles, with the simulated mark), so no chart is left without one."""
    import matplotlib.pyplot as plt

    from analysis.publish import plots

    if fig is None:
        return ""
    alt = alt or plots.figure_alt(fig)
    deck_figures._room_for_mark(fig)
    buf = _io.BytesIO()
    with plots.style_context():
        fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return _m("img", alt, base64.b64encode(buf.getvalue()).decode("ascii"))


def banner(res: Results):
    """The SIMULATED banner when the deck's per-OPD numbers are simulated, and the notice
    when its model results are older than the data (``markup.models_older``); else nothing."""
    return markup.models_older(res.lang, res.models_older) + (
        markup.banner(res.lang) if res.simulated else "")


def _slide(title: str, body, top="", foot="") -> str:
    return str(_m("slide", title, body, top, foot))


def slide_title(res: Results) -> str:
    lang = res.lang
    p = res.panel
    data = t("slide.data", lang, y0=int(p["year"].min()), y1=int(p["year"].max()),
             n=p["unit_id"].nunique())
    sim = t("slide.data_simulated", lang) if res.simulated else ""
    made = f"{t('made', lang)} {_dt.date.today().isoformat()}"
    return str(_m("title_slide", banner(res), t("deck_title", lang), t("deck_sub", lang),
                  t("question", lang), data, sim, made, t("nav_hint", lang),
                  versions.made_with(res.data_dir, lang)))


def slide_real(res: Results) -> str:
    """What is real and about Batang: the audited 2020 cut, the spending path 2018–2024 and
    its standing (public data; "" when the national tables are not built)."""
    lang = res.lang
    ev = real_evidence.load(res.data_dir, lang)
    if ev is None:
        return ""
    pts = [p for p in real_evidence.points(ev) if p["key"] != "national"]
    items = [f"{p['headline']}: {p['sentence']}" for p in pts]
    fig = fig_img(deck_figures.fig_real_path(ev, lang), t("real.fig_path_alt", lang))
    return _slide(t("real.slide_title", lang), _m("two", fig, markup.ul(items)),
                  top=_m("public_badge", t("public_badge", lang)),
                  foot=t("real.sources", lang))


def slide_national(res: Results) -> str:
    """The national 2020 answer in plain words (from the ledger), with the capital-spending
    event study; test counts and adjusted p in the footer."""
    lang = res.lang
    ev = real_evidence.load(res.data_dir, lang)
    point = real_evidence.national_point(ev) if ev is not None else None
    if point is None:
        return ""
    fig = fig_img(deck_figures.fig_national_event(res.data_dir, lang),
                  t("real.fig_national_alt", lang))
    return _slide(t("real.slide_national_title", lang),
                  _m("two", fig, markup.ul([point["sentence"]])),
                  top=_m("public_badge", t("public_badge", lang)),
                  foot=real_evidence.footnote(ev))


def slide_divider(res: Results) -> str:
    """Between the real part and the simulated per-office part: what follows and why."""
    if not res.simulated:
        return ""
    return _slide(t("real.slide_divider_title", res.lang),
                  markup.ul([t("real.simulated_lead", res.lang)]), top=banner(res))


def slide_public(res: Results) -> str:
    lang = res.lang
    d = deck_figures.public_spending(res)
    if d.empty:
        return ""
    lo, hi = d.loc[d["value_idr"].idxmin()], d.loc[d["value_idr"].idxmax()]
    real20 = d[(d["year"] == 2020) & (d["stage"] == "realisasi")]
    items = [t("slide.public_range", lang, lo=fmt.rupiah(lo.value_idr, lang), lo_year=lo.year,
               lo_stage=label(lo.stage, lang), hi=fmt.rupiah(hi.value_idr, lang),
               hi_year=hi.year, hi_stage=label(hi.stage, lang)),
             t("slide.public_calibrated", lang)]
    if not real20.empty:
        items.insert(0, t("slide.public_2020", lang,
                          value=fmt.rupiah(real20["value_idr"].iloc[0], lang)))
    docs = sorted({s.split(",")[0] if s.startswith("GitHub") else s.split("/")[2]
                   for s in d["source"]})
    foot = f"{t('source', lang)}: " + "; ".join(docs) + t("slide.public_foot", lang)
    return _slide(t("public_title", lang),
                  _m("two", fig_img(deck_figures.fig_public_spending(res), t("public_title", lang)),
                     markup.ul(items)),
                  top=_m("public_badge", t("public_badge", lang)), foot=foot)


def slide_cuts(res: Results) -> str:
    lang = res.lang
    top = 15
    cs = findings.cut_summary(res)
    items = [findings.findings(res)[0]["sentence"],
             t("slide.cuts_total", lang,
               pct=fmt.percent(cs["regency_2020"], lang, fraction=False))]
    return _slide(t("cuts_title", lang),
                  _m("two", fig_img(deck_figures.fig_cuts(res, top=top)), markup.ul(items)),
                  top=banner(res), foot=t("slide.cuts_note", lang, n=top))


def slide_effects(res: Results) -> str:
    lang = res.lang
    items = markup.ul(findings.effect_lines(res))
    extra = markup.ul([findings.leadership_line(res)])
    body = _m("wide", fig_img(deck_figures.fig_effects(res)), t("slide.effects_lead", lang),
              markup.safe(f'<div class="two-col">{items}</div>{extra}'))
    return _slide(t("effects_title", lang), body, top=banner(res))


def slide_event(res: Results) -> str:
    lang = res.lang
    items = [t("slide.event_point", lang), findings.pretrend_sentence(res)]
    return _slide(t("event_title", lang),
                  _m("two", fig_img(deck_figures.fig_event_study(res)), markup.ul(items)),
                  top=banner(res))


def slide_typology(res: Results) -> str:
    lang = res.lang
    ts = findings.typology_summary(res)
    head = [t("cluster", lang), t("slide.profile", lang), t("n_units", lang),
            t("members", lang)]
    table = _m("typology_table", lang, list(ts.itertuples()), head)
    right = markup.safe(str(table) + str(markup.render("para.html.j2",
                                                       text=findings.silhouette_sentence(res))))
    return _slide(t("typology_title", lang), _m("two", fig_img(deck_figures.fig_typology(res)), right),
                  top=banner(res))


def slide_resilience(res: Results) -> str:
    lang = res.lang
    items = [findings.resilience_sentence(res), t("slide.resilience_def", lang)]
    return _slide(t("resilience_title", lang),
                  _m("two", fig_img(deck_figures.fig_resilience(res)), markup.ul(items)),
                  top=banner(res))


def slide_scenario(res: Results) -> str:
    lang = res.lang
    head = t("slide.scenario_head", lang, cut=fmt.compact(res.scenario_cut_pct, lang, 1))
    body = _m("wide", fig_img(deck_figures.fig_scenario(res)), head,
              markup.ul(findings.scenario_sentences(res)))
    return _slide(t("scenario_title", lang), body, top=banner(res))


def slide_caveats(res: Results) -> str:
    return _slide(t("caveats_title", res.lang), markup.ul(findings.caveat_items(res)),
                  top=banner(res))


def deck_to_html(nb, title: str, lang: str = "id") -> str:
    """An executed deck notebook as one offline HTML file (nbconvert SlidesExporter)."""
    from nbconvert import SlidesExporter

    from analysis.publish.html import nbconvert_loader

    exp = SlidesExporter(exclude_input=True, exclude_output_prompt=True,
                         exclude_input_prompt=True,
                         extra_loaders=[nbconvert_loader()],  # templates/nbconvert/
                         template_file="batang_deck.html.j2")
    exp.language_code = lang
    body, _ = exp.from_notebook_node(nb, resources={"metadata": {"name": title},
                                                    "batang_css": markup.asset("deck.css"),
                                                    "batang_js": markup.asset("deck.js")})
    return body
