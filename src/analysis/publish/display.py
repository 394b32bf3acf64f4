"""The one display path of the notebooks and the reports (Jupyter outputs).

- :func:`show_figures`: figures as PNG (:func:`analysis.publish.plots.figure_png`), each with its
  description as alt text (:func:`analysis.publish.plots.figure_alt`, which the report pages
  write into the ``<img>`` tag) and ``metadata["batang"]["simulated"]`` (whether the figure
  bears the simulated mark, :func:`analysis.publish.plots.is_simulated`, so a test can check
  it), then closed, so Jupyter does not show them twice;
- :func:`show_results`: sections of a notebook or a report (a title, sentences, figures, an
  HTML table: :class:`analysis.publish.explore.Result`): the heading and the sentences as
  Markdown with HTML characters escaped (:func:`analysis.publish.markup.markdown`), so a name
  from the data shows as text, never as markup; then the figures; then the table.

``explore.show`` / ``explore.show_figure`` (the research notebooks, the pemda reports) and
``report.show`` (the OPD report's figures) are these functions.
"""

from __future__ import annotations

from analysis.publish import markup, plots


def show_figures(*figs, dpi: float | None = None) -> None:
    """Display each figure once as PNG at ``dpi`` (default: the figure's own), with its alt text
    and simulated flag, and close it; ``None`` entries are skipped."""
    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    for fig in figs:
        if fig is None:
            continue
        marked = plots.is_simulated(fig)
        png = plots.figure_png(fig, dpi=dpi)
        alt = plots.figure_alt(fig) or None
        plt.close(fig)
        display(Image(data=png, format="png", alt=alt),
                metadata={"batang": {"simulated": marked}})


def show_results(*results) -> None:
    """Display results (anything with ``title``, ``text``, ``figures`` and ``html``): heading,
    sentences, figures (:func:`show_figures`), table."""
    from IPython.display import HTML, Markdown, display

    for r in results:
        display(Markdown(markup.markdown(f"### {r.title}")))
        if r.text:
            display(Markdown(markup.markdown(r.text)))
        show_figures(*r.figures)
        if r.html:
            display(HTML(r.html))
