"""Narrative: number formats and the id/en words."""
