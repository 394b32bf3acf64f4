"""Publish: figures, notebook helpers, per-unit reports, batch rendering, deck and brief."""
